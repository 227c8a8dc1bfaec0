"""Load test of the site on the 19,883-paper listings sample: requests/s and p99 per page kind.

    python3 bench/web_load.py [--duration 10] [--connections 32] [--workers 1] [--keep DIR]

1. Imports the sample into a fresh SQLite home (``paperboard import``; reused with ``--keep DIR``),
   features 12 papers per listing day with made-up upvote counts (the sample carries none), so
   ``/papers`` shows the featured path rather than its fallback, and builds the search indexes
   (``paperboard reindex``: BM25 and the MiniLM vectors; minutes on two cores).
2. Starts ``paperboard web`` in its own process, pinned to CPU 0 when there are two or more CPUs
   and one worker (``--workers N`` processes share all CPUs).
3. Drives it with ``wrk`` (apt-get install wrk) pinned to the other CPU, one run per target:
   the cached pages (the same URL again and again), a paper page rotating over 500 papers, and
   search with a new query on almost every request (so the page cache does not help). Search runs
   with ``--search-connections`` (default 4) concurrent clients: each uncached search costs CPU
   time, so more clients only queue behind each other on one core.

Prints one line per target and writes bench/results/web_load.json.

``--mixed`` runs one load of ``--duration`` seconds instead, all kinds at once on ``--connections``
clients in all (default 16): ``--search-connections`` of them on unique searches, the rest going
round the cached pages (the daily page, trending, the JSON API, a feed, 500 paper pages, all
rendered once before it starts). Two wrk processes, so each kind has its own latencies; the
server's RSS is read every 5 s (start, middle, end, highest), and errors are counted per kind: non-2xx
answers and socket errors (connect, read, write, timeout).

    python3 bench/web_load.py --mixed --duration 600 --keep DIR
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
LISTINGS = ROOT.parent / "shared" / "eval" / "arxiv-listings-2026-03-to-05"
RESULTS = ROOT / "bench" / "results"
FEATURED_PER_DAY = 12

# Each wrk thread has a Lua state of its own: ``setup`` numbers them, so that each starts at its own
# part of the list (else every thread would send the same sequence, and a "unique" search would
# reach the server once per thread, answered from the page cache after the first).
_ROTATE_LUA = """
local threads = 0
function setup(thread)
  thread:set("part", threads)
  threads = threads + 1
end
paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
i = 0
function init(args)
  i = (part or 0) * math.floor(#paths / %d)
end
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
"""


def _records() -> list[dict]:
    records = []
    for path in sorted(LISTINGS.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            records.extend(json.loads(line) for line in handle)
    return records


def prepare(home: Path, env: dict) -> list[dict]:
    records = _records()
    if not (home / "paperboard.db").exists():
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "paperboard", "import", *map(str, sorted(LISTINGS.glob("*.jsonl.gz")))], env=env, check=True)
        print(f"imported {len(records):,} papers in {time.monotonic() - started:.0f} s", file=sys.stderr)
        _feature(env, records)
    started = time.monotonic()  # resumable: quick when a kept home is already indexed
    subprocess.run([sys.executable, "-m", "paperboard", "reindex"], env=env, check=True)
    print(f"search indexes up to date after {time.monotonic() - started:.0f} s", file=sys.stderr)
    return records


def _feature(env: dict, records: list[dict]) -> None:
    """Feature a few papers per listing day, through the store, with reproducible upvotes."""
    from paperboard.adapters.store import features as feature_store
    from paperboard.domain.paper import DailyFeature
    from paperboard.services.context import AppContext
    from paperboard.settings import Settings

    rng = random.Random(4)
    by_day: dict[str, list[str]] = {}
    for record in records:
        by_day.setdefault(record["listing_date"], []).append(record["id"])
    features = [
        DailyFeature(paper_id, date.fromisoformat(day), "bench", rng.randint(0, 200), "bench")
        for day, ids in by_day.items()
        for paper_id in rng.sample(ids, min(FEATURED_PER_DAY, len(ids)))
    ]
    ctx = AppContext(Settings(home=Path(env["PAPERBOARD_HOME"]), database_url=None))
    with ctx.database.write() as connection:
        feature_store.upsert_features(connection, features)


def _pin(cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu)] if shutil.which("taskset") and (os.cpu_count() or 1) >= 2 else []


def start_server(env: dict, port: int, workers: int, log: Path) -> subprocess.Popen:
    # One worker is pinned to CPU 0 (wrk gets CPU 1); several workers share every CPU.
    command = [*(_pin(0) if workers == 1 else []), sys.executable, "-m", "paperboard", "web", "--port", str(port), "--workers", str(workers)]
    # The log goes to a file: an unread pipe would fill up and stall the server.
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"the server did not start: {log.read_text()[-2000:]}")


def wrk_command(url: str, paths: list[str] | None, duration: int, connections: int, folder: Path, threads: int = 2) -> list[str]:
    threads = min(threads, connections)
    command = [*_pin(1), "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    if paths:
        listing = folder / f"paths-{abs(hash(tuple(paths[:3])))}.txt"
        listing.write_text("\n".join(paths) + "\n")
        script = listing.with_suffix(".lua")
        script.write_text(_ROTATE_LUA % (listing, threads))
        command += ["-s", str(script)]
    return [*command, url]


def run_wrk(url: str, paths: list[str] | None, duration: int, connections: int, folder: Path) -> dict:
    command = wrk_command(url, paths, duration, connections, folder)
    return parse_wrk(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


def parse_wrk(output: str) -> dict:
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": _ms(re.search(r"50%\s+([\d.]+\w+)", output).group(1)),
        "p99_ms": _ms(re.search(r"99%\s+([\d.]+\w+)", output).group(1)),
        "non_2xx": int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", output)) else 0,
        "socket_errors": sum(map(int, errors.groups())) if errors else 0,
        "errors": errors.group(0).removeprefix("Socket errors: ") if errors else "",
    }


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def search_paths(records: list[dict], n: int) -> list[str]:
    """Distinct two- and three-word queries drawn from titles: almost every request is a cache miss."""
    rng = random.Random(7)
    words = [w for r in records for w in re.findall(r"[A-Za-z]{5,}", r["title"])]
    queries = {" ".join(rng.sample(words, rng.choice((2, 3)))).lower() for _ in range(n * 2)}
    return ["/papers?q=" + q.replace(" ", "+") for q in sorted(queries)[:n]]


def memory_mib(pid: int) -> dict[str, float]:
    """VmRSS, and its anonymous part (the heap: what a leak grows) and file-backed part (the
    memory-mapped search indexes, pages the kernel can drop again)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return {name: int(re.search(rf"{name}:\s+(\d+) kB", status).group(1)) / 1024 for name in ("VmRSS", "RssAnon", "RssFile")}


def per_target_load(base: str, server: subprocess.Popen, records: list[dict], args, folder: Path) -> dict:
    """One wrk run per target, one after another."""
    paper_ids = [r["id"] for r in random.Random(3).sample(records, 500)]
    many, few = args.connections, args.search_connections
    targets = {
        "/papers (cached)": ("/papers", None, many),
        "/papers/{id} (one paper, cached)": (f"/papers/{paper_ids[0]}", None, many),
        "/papers/{id} (500 papers in turn)": ("/", [f"/papers/{i}" for i in paper_ids], many),
        "/api/daily_papers (cached)": ("/api/daily_papers", None, many),
        "/papers?q=... (distinct queries, uncached)": ("/", search_paths(records, 20_000), few),
    }
    targets = {name: target for name, target in targets.items() if args.only in name}
    for _, (path, rotate, _) in targets.items():  # warm: first renders, model and vectors loaded
        for warm in (rotate or [path])[:20]:
            httpx.get(base + warm, timeout=120)
    results = {}
    for name, (path, rotate, connections) in targets.items():
        results[name] = r = run_wrk(base + path, rotate, args.duration, connections, folder)
        r["connections"] = connections
        print(f"{name:45s} c={connections:<3d} {r['requests_per_second']:7.0f} req/s   p50 {r['p50_ms']:7.1f} ms   p99 {r['p99_ms']:7.1f} ms"
              + (f"   non-2xx {r['non_2xx']}" if r["non_2xx"] else "") + (f"   errors {r['errors']}" if r["errors"] else ""))
    return results


def mixed_load(base: str, server: subprocess.Popen, records: list[dict], args, folder: Path) -> dict:
    """Cached pages and unique searches at once, each kind its own wrk; the server's RSS sampled."""
    paper_ids = [r["id"] for r in random.Random(3).sample(records, 500)]
    cached = ["/papers", "/", "/papers/trending", "/api/daily_papers", "/papers/feed.rss", *(f"/papers/{i}" for i in paper_ids)]
    # Enough distinct queries that none comes round again within the run (a few hundred a second at most).
    searches = search_paths(records, max(20_000, 400 * args.duration))
    for path in cached:  # every cached page rendered once, the model and vectors loaded
        httpx.get(base + path, timeout=120)
    for path in searches[-20:]:
        httpx.get(base + path, timeout=120)
    searches = searches[:-20]
    streams = {
        "cached pages": wrk_command(base + "/", cached, args.duration, args.connections - args.search_connections, folder),
        "unique searches": wrk_command(base + "/", searches, args.duration, args.search_connections, folder),
    }
    started = time.monotonic()
    running = {name: subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for name, command in streams.items()}
    samples = []
    while any(p.poll() is None for p in running.values()):
        samples.append({"second": round(time.monotonic() - started), **memory_mib(server.pid)})
        time.sleep(5)
    results = {name: parse_wrk(p.stdout.read()) for name, p in running.items()}
    for name, r in results.items():
        r["connections"] = args.connections - args.search_connections if name == "cached pages" else args.search_connections
        print(f"{name:16s} c={r['connections']:<3d} {r['requests']:8,d} requests  {r['requests_per_second']:7.1f} req/s   "
              f"p50 {r['p50_ms']:7.1f} ms   p99 {r['p99_ms']:7.1f} ms   non-2xx {r['non_2xx']}   socket errors {r['socket_errors']}"
              + (f" ({r['errors']})" if r["errors"] else ""))
    moments = {"start": samples[0], "middle": samples[len(samples) // 2], "end": samples[-1]}
    for name, label in (("VmRSS", "server RSS"), ("RssAnon", "  of it anon"), ("RssFile", "  of it files")):
        print(f"{label:16s} " + ", ".join(f"{when} {m[name]:.0f}" for when, m in moments.items())
              + f", highest {max(m[name] for m in samples):.0f} MiB")
    print(f"                 ({len(samples)} samples, every 5 s)")
    rss = {**moments, "samples": samples}
    print(f"errors           {sum(r['non_2xx'] + r['socket_errors'] for r in results.values())} in "
          f"{sum(r['requests'] for r in results.values()):,} requests over {time.monotonic() - started:.0f} s; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")
    return {"streams": results, "rss_mib": rss}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per target")
    parser.add_argument("--connections", type=int, default=16, help="concurrent clients on cached pages (--mixed: in all)")
    parser.add_argument("--search-connections", type=int, default=4, help="concurrent clients on search")
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--keep", type=Path, help="data directory to reuse between runs")
    parser.add_argument("--only", default="", help="run only the targets whose name contains this text")
    parser.add_argument("--mixed", action="store_true", help="one run of every kind at once (see above) instead of one per target")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    folder = Path(tempfile.mkdtemp(prefix="paperboard-bench-"))
    home = args.keep or folder / "home"
    env = {**os.environ, "PAPERBOARD_HOME": str(home), "PAPERBOARD_CONFIG": str(folder / "absent.toml"),
           "PAPERBOARD_HARVEST_ENABLED": "false", "PAPERBOARD_ON_DEMAND_TIMEOUT_SECONDS": "0"}
    env.pop("PAPERBOARD_DATABASE_URL", None)
    records = prepare(home, env)
    server = start_server(env, args.port, args.workers, folder / "server.log")
    base = f"http://127.0.0.1:{args.port}"
    try:
        load = mixed_load if args.mixed else per_target_load
        results = load(base, server, records, args, folder)
    finally:
        server.terminate()
        server.wait(timeout=10)
    RESULTS.mkdir(parents=True, exist_ok=True)
    summary = {"papers": len(records), "cpus": os.cpu_count(), "workers": args.workers, "mixed": args.mixed,
               "duration_s": args.duration, "load_average_end": os.getloadavg(), "results": results}
    (RESULTS / "web_load.json").write_text(json.dumps(summary, indent=2))
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

"""A newcomer's first hour, measured: `paperboard up` running, then the README's import of the sample.

    python bench/first_hour.py [--load N] [--papers-files 6] [--port 8765]

In a fresh temporary home (SQLite), this starts `paperboard up --no-harvest` as a newcomer would,
then runs `paperboard import` of the 19,883-paper listings sample beside it, and measures:

- time until search answers: from the import's start until the site's search (`/papers?q=`) and the
  API (`/api/papers/search`) return results for a word of the sample;
- the site during the import: a search every second, its status codes and latency (median, worst);
- total time until every paper has a vector, and the import's own wall time;
- embeddings computed per paper: what the import and `up`'s catch-up job each embedded (from the
  import's JSON and `up`'s log lines), divided by the papers (1.00 means no paper embedded twice);
- the raw model's speed in the same run, on this machine: `embed_documents` on 1,000 of the
  sample's abstracts in batches of 64, no database; and the end-to-end rate beside it.

`--load N` keeps N busy-loop processes running the whole time (a machine shared with other work).
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "eval" / "arxiv-listings-2026-03-to-05"
SEARCH_WORD = "diffusion"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--load", type=int, default=0, help="busy-loop processes to run beside it")
    parser.add_argument("--papers-files", type=int, default=6, help="how many of the sample's six parts to import")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--keep", action="store_true", help="keep the temporary home (printed)")
    args = parser.parse_args()
    files = sorted(SAMPLE.glob("papers-*.jsonl.gz"))[: args.papers_files]
    papers = sum(1 for f in files for _ in gzip.open(f, "rt"))
    home = Path(tempfile.mkdtemp(prefix="paperboard-first-hour-"))
    burners = [multiprocessing.Process(target=_burn, daemon=True) for _ in range(args.load)]
    for burner in burners:
        burner.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERBOARD_")}
    env.update(PAPERBOARD_HOME=str(home), PAPERBOARD_CONFIG=str(home / "absent.toml"), COLUMNS="160")
    up_log = home / "up.log"
    up = subprocess.Popen([sys.executable, "-m", "paperboard", "up", "--no-harvest", "--port", str(args.port)],
                          env=env, stdout=up_log.open("w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{args.port}"
    try:
        _wait_for(lambda: _get(f"{base}/healthz")[0] == 200, 120, "the server to answer")
        probe = _Probe(base)
        started = time.monotonic()
        probe.start(started)
        importing = subprocess.run(
            [sys.executable, "-m", "paperboard", "import", *map(str, files), "--json"],
            env=env, capture_output=True, text=True,
        )
        import_seconds = time.monotonic() - started
        if importing.returncode != 0:
            sys.exit(f"import failed:\n{importing.stderr[-2000:]}")
        imported = json.loads(importing.stdout)["search_index"]
        database = home / "paperboard.db"
        _wait_for(lambda: _embedded(database) >= papers, 3600, "every paper to be embedded")
        all_embedded = time.monotonic() - started
        probe.stop()
        time.sleep(1)  # the catch-up's line for its last batch
        up.terminate()
        up.wait(30)
        # The model alone, under the same load, in a home of its own (its model build is not timed).
        raw = _raw_model_speed({**env, "PAPERBOARD_HOME": str(home / "raw")}, files[0])
    finally:
        if up.poll() is None:
            up.kill()
        for burner in burners:
            burner.terminate()
    by_up = sum(int(n.replace(",", "")) for n in re.findall(r"search-index: .*?([\d,]+) embedded", up_log.read_text()))
    computed = imported["embedded"] + by_up
    rows = [
        ("papers", f"{papers:,}"),
        ("load beside it", f"{args.load} busy process(es) on {os.cpu_count()} cores"),
        ("search answers (site, API) after", f"{probe.first_answer.get('site', float('nan')):.1f} s, {probe.first_answer.get('api', float('nan')):.1f} s"),
        ("import command took", f"{import_seconds:.1f} s"),
        ("every paper embedded after", f"{all_embedded:.1f} s ({papers / all_embedded:.1f} papers/s end to end)"),
        ("embedded by the import / by up", f"{imported['embedded']:,} / {by_up:,}"),
        ("embeddings computed per paper", f"{computed / papers:.2f}"),
        ("searches during the import", probe.summary()),
        ("raw model, same machine and run", f"{raw:.1f} papers/s (end to end is {papers / all_embedded / raw:.0%} of it)"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    if args.keep:
        print(f"home kept at {home}")
    else:
        shutil.rmtree(home, ignore_errors=True)


class _Probe:
    """Searches the site and the API once a second, on a thread, while the import runs."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.statuses: list[int] = []
        self.seconds: list[float] = []
        self.first_answer: dict[str, float] = {}
        self._stop = threading.Event()

    def start(self, started: float) -> None:
        self._started = started
        threading.Thread(target=self._run, daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, path in (("site", f"/papers?q={SEARCH_WORD}"), ("api", f"/api/papers/search?q={SEARCH_WORD}")):
                asked = time.monotonic()
                status, body = _get(self.base + path)
                self.statuses.append(status)
                self.seconds.append(time.monotonic() - asked)
                found = status == 200 and (b"2603." in body or b"2604." in body or b"2605." in body)
                if found and name not in self.first_answer:
                    self.first_answer[name] = time.monotonic() - self._started
            self._stop.wait(1.0)

    def summary(self) -> str:
        if not self.statuses:
            return "none"
        codes = ", ".join(f"{code}: {self.statuses.count(code)}" for code in sorted(set(self.statuses)))
        return (f"{len(self.statuses)} ({codes}); median {statistics.median(self.seconds) * 1000:.0f} ms, "
                f"worst {max(self.seconds) * 1000:.0f} ms")


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""
    except (urllib.error.URLError, OSError):
        return 0, b""


def _embedded(database: Path) -> int:
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as connection:
            return connection.execute("SELECT count(*) FROM paper_embeddings").fetchone()[0]
    except sqlite3.Error:
        return 0


def _wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            sys.exit(f"gave up waiting for {what}")
        time.sleep(1.0)


def _raw_model_speed(env: dict, part: Path) -> float:
    """The model alone in a child process (same settings, same cores): papers per second."""
    code = f"""
import gzip, json, time
from paperboard.adapters.search.embedder import document_text
from paperboard.services.context import default_context
texts = []
for line in gzip.open({str(part)!r}, "rt"):
    r = json.loads(line)
    texts.append(document_text(r["title"], r["abstract"]))
    if len(texts) == 1000:
        break
embedder = default_context().embedder
embedder.embed_documents(texts[:64])
started = time.perf_counter()
for start in range(0, len(texts), 64):
    embedder.embed_documents(texts[start:start + 64])
print(len(texts) / (time.perf_counter() - started))
"""
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def _burn() -> None:
    while True:
        pass


if __name__ == "__main__":
    main()

"""Replay issue 16's attack and fault campaign against a live site; one line per check.

    python3 bench/attack.py [--engine sqlite|postgres] [--keep DIR] [--subscribers 1000] [--only 1,5]

Starts a real site in a temporary folder: ``paperboard web`` on a free port of 127.0.0.1, with
``paperboard mail-sink`` as its SMTP relay, a fake arXiv API (``tests/fakes_arxiv.py``) in this
process, and with ``--engine postgres`` an embedded PostgreSQL. It loads the papers of one listing
day of the real sample (438 papers of 2026-05-29; the ``hashing`` embedder, so loading takes
seconds), then attacks it only through its public surfaces, HTTP and the command line, never
leaving 127.0.0.0/8 (each check talks from its own loopback address, so one check's per-IP limits
never hold back another's):

 1. hostile links in a listings file, an export and a fake arXiv answer: none reaches an href or
    src of a page, a feed, the API's JSON, a ``.md`` copy or ``paperboard export``;
 2. 1,000 subscribe POSTs from one IP: 429 after the limit, the sink's count bounded;
 3. a rotating X-Forwarded-For does not reset the login and sign-up limits;
 4. security headers on a page, JSON, a feed, static, a 404 and /account;
 5. a 240 KB repetitive abstract (refused, or searchable within 5 s) and one just under the cap
    (searchable within 5 s); a 50 MB abstract refused at import in one line;
 6. a 200 MB JSON body (413, server RSS flat); a gzip bomb from arXiv (ingest exits non-zero, one
    line; an on-demand page survives it);
 7. ``digest send`` killed with SIGKILL a third of the way, then rerun: one digest per subscriber;
 8. unwritable storage: writes 503, reads 200, /healthz consistent, and writes again afterwards;
 9. far dates: 4xx, and the keep-alive connection survives;
10. smaller points: feed titles, a planted CSRF cookie, the cookie and HSTS under https, logout,
    sign-up, comment links, API 401, hostile export ids, a busy port, a corrected re-import.

Prints PASS, FINDING or SKIPPED per check with the reason, then the number of findings; exits 1
when there is any. ``--keep DIR`` keeps the folder (home, server log, received mail) in DIR.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the fake arXiv, the hostile links

from attack_faults import killed_digest, read_only_storage
from attack_input import crafted_records, far_dates, hostile_links, unbounded_memory
from attack_site import Site, slice_records, write_jsonl
from attack_web import forwarded_for, security_headers, smaller_points, subscribe_flood
from outcome import FINDING, Outcome, verdict

CHECKS = [  # in this order: the read-only storage last, since it may leave the site broken
    (4, security_headers), (1, hostile_links), (9, far_dates), (10, smaller_points), (3, forwarded_for),
    (2, subscribe_flood), (5, crafted_records), (6, unbounded_memory), (7, None), (8, read_only_storage),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--keep", type=Path, help="keep the site's folder here (created; must not exist)")
    parser.add_argument("--subscribers", type=int, default=1000, help="confirmed subscribers of the killed digest run")
    parser.add_argument("--only", default="", help="comma-separated item numbers to run (default: all)")
    args = parser.parse_args()
    only = {int(n) for n in args.only.split(",") if n}
    if args.keep:
        args.keep.mkdir(parents=True)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="paperboard-attack-"))
    site = Site(folder.resolve(), args.engine)
    outcomes: list[Outcome] = []
    started = time.monotonic()
    try:
        site.start()
        ran = site.cli("import", str(write_jsonl(folder / "slice.jsonl", slice_records())))
        if ran.code != 0:
            raise SystemExit(f"importing the slice failed: {ran.err[-2000:]}")
        site.make_admin()
        print(f"site {site.url} on {args.engine}, folder {folder}, set up in {time.monotonic() - started:.0f} s", file=sys.stderr)
        for item, check in CHECKS:
            if only and item not in only:
                continue
            began = time.monotonic()
            try:
                found = killed_digest(site, args.subscribers) if item == 7 else check(site)
            except Exception as error:  # noqa: BLE001 - a check that breaks is a finding, the others still run
                traceback.print_exc()
                found = [verdict(item, f"item {item} check", False, f"the check broke: {type(error).__name__}: {error}"[:200])]
            for outcome in found:
                print(outcome.line(), flush=True)
            outcomes += found
            print(f"         ({time.monotonic() - began:.0f} s)", file=sys.stderr)
        if site.server.poll() is not None:
            outcomes.append(verdict(0, "the server survived the campaign", False, f"it exited with {site.server.returncode}"))
    finally:
        site.close()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    findings = sum(1 for o in outcomes if o.status == FINDING)
    skipped = sum(1 for o in outcomes if o.status not in (FINDING, "PASS"))
    print(f"{findings} finding(s), {skipped} skipped, {len(outcomes)} checks on {args.engine} in {time.monotonic() - started:.0f} s")
    sys.exit(1 if findings else 0)


if __name__ == "__main__":
    main()

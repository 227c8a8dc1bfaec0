"""Star refresh throughput against the local fake GitHub (tests/fake_github.py) on SQLite.

    python bench/stars_refresh.py [--repositories 500]

Creates that many papers announced two days before "now", each linking its own repository, then
times ``refresh_stars`` twice: a first run (every answer a 200 with a new count, a history row
each) and a recheck 13 hours later (every answer a 304), then ``star_growth_for_papers`` over all
papers. The fake answers on 127.0.0.1, so this measures our client and store, not GitHub; against
GitHub itself the rate limit (5,000 requests an hour with a token) is the bound.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from paperboard.adapters.sources.github import GitHubClient  # noqa: E402
from paperboard.adapters.store import papers  # noqa: E402
from paperboard.adapters.store.migrate import upgrade  # noqa: E402
from paperboard.domain.paper import Paper  # noqa: E402
from paperboard.services.context import AppContext  # noqa: E402
from paperboard.services.stars import refresh_stars, star_growth_for_papers  # noqa: E402
from paperboard.settings import Settings  # noqa: E402
from tests.fake_github import FakeGitHub, FakeRepository  # noqa: E402

NOW = datetime(2026, 5, 20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repositories", type=int, default=500)
    count = parser.parse_args().repositories
    fake = FakeGitHub(rate_limit=10 * count, repositories={f"acme/r{n}": FakeRepository(n) for n in range(count)})
    fake.start()
    with tempfile.TemporaryDirectory() as home:
        ctx = AppContext(Settings(home=Path(home), database_url=None, github_api_url=fake.url))
        upgrade(ctx.database)
        ids = [f"2605.{n:05d}" for n in range(count)]
        with ctx.database.write() as connection:
            links = [(f"https://github.com/acme/r{n}",) for n in range(count)]
            papers.upsert_papers(
                connection, [Paper(i, "T", code_urls=urls, announced=date(2026, 5, 18)) for i, urls in zip(ids, links)]
            )
        for label, at in (("first run (200s)", NOW), ("recheck (304s)", NOW + timedelta(hours=13))):
            with GitHubClient(api_url=fake.url, user_agent="bench", clock=fake.clock) as client:
                start = time.perf_counter()
                summary = refresh_stars(ctx, count, now=at, client=client)
                seconds = time.perf_counter() - start
            print(
                f"{label:17} {summary.checked} repositories in {seconds:.2f} s ({summary.checked / seconds:.0f}/s); "
                f"{summary.changed} changed, {summary.unchanged} unchanged"
            )
        with ctx.database.read() as connection:
            start = time.perf_counter()
            star_growth_for_papers(connection, ids, NOW + timedelta(days=1), 7)
            print(f"star_growth_for_papers over {count} papers: {(time.perf_counter() - start) * 1000:.0f} ms")
        ctx.database.dispose()
    fake.stop()


if __name__ == "__main__":
    main()

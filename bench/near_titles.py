"""Near-exact titles: is a title typed with small slips still pinned first, and do a few of its
words never pin it?

    PAPERBOARD_HOME=/tmp/pb-bench/home python bench/near_titles.py [--n 300] [--seed 0]

Needs the sample imported and indexed in that home (see bench/known_item.py). Each sampled title
is searched through the real service in several spellings; a spelling is "pinned" when the paper
is the first hit with the reason "exact". Beside each rate, how often the rule before near-exact
titles (the same folded words, ``domain.analysis.normalise_title``) would have pinned it.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time

from sqlalchemy import select

from paperboard.adapters.store.schema import papers
from paperboard.domain.analysis import STOPWORDS, normalise_title
from paperboard.services.context import default_context
from paperboard.services.search import EXACT, search


def spellings(title: str) -> dict[str, str | None]:
    """The slips tried on one title (None: it does not apply to this title)."""
    words = title.split()
    inner = [i for i, word in enumerate(words) if i and re.sub(r"\W", "", word).lower() in STOPWORDS]
    return {
        "lower case": title.lower(),
        "trailing period": title.rstrip(".") + ".",
        "punctuation as spaces": re.sub(r"[^\w\s]", " ", title),
        "one short word dropped": " ".join(words[: inner[0]] + words[inner[0] + 1 :]) if inner and len(words) >= 4 else None,
        "first three words (must not pin)": " ".join(words[:3]) if len(words) >= 6 else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    ctx = default_context()
    with ctx.database.read(timeout_ms=60_000) as connection:
        rows = connection.execute(select(papers.c.id, papers.c.title).order_by(papers.c.id)).all()
    if len(rows) < args.n:
        sys.exit(f"only {len(rows)} papers in {ctx.settings.home}: import and index the sample first")
    chosen = random.Random(args.seed).sample(rows, args.n)
    tried: dict[str, int] = {}
    pinned: dict[str, int] = {}
    before: dict[str, int] = {}
    started = time.perf_counter()
    for paper_id, title in chosen:
        for name, typed in spellings(title).items():
            if typed is None:
                continue
            hits = search(ctx, typed, per_page=1).hits
            tried[name] = tried.get(name, 0) + 1
            pinned[name] = pinned.get(name, 0) + bool(hits and hits[0].paper.id == paper_id and hits[0].reason == EXACT)
            before[name] = before.get(name, 0) + (normalise_title(typed) == normalise_title(title))
    elapsed = time.perf_counter() - started
    print(f"{args.n} titles sampled (seed {args.seed}); {sum(tried.values())} searches in {elapsed:.1f} s")
    print(f"{'spelling':<34} {'tried':>6} {'pinned now':>11} {'pinned before':>14}")
    for name, count in tried.items():
        print(f"{name:<34} {count:>6} {pinned[name] / count:>10.1%} {before[name] / count:>13.1%}")


if __name__ == "__main__":
    main()

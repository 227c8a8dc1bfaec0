"""Known-item search: does typing a paper's exact title put that paper first?

    PAPERBOARD_HOME=/tmp/pb-bench/home python bench/known_item.py [--n 1000] [--seed 0]

Needs the 19,883-paper sample imported and indexed in that home (`paperboard import
../shared/eval/arxiv-listings-2026-03-to-05/*.jsonl.gz` then `paperboard reindex`). Searches go
through the real service (query language, exact-title pin, both legs). Also reports how often
the ranking alone (no pin) puts the paper first, by BM25 and by the hybrid.
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from sqlalchemy import select

from paperboard.adapters.store.schema import papers
from paperboard.domain.analysis import normalise_title
from paperboard.services.context import default_context
from paperboard.services.search import ranked_ids, search


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    ctx = default_context()
    with ctx.database.read(timeout_ms=60_000) as connection:
        rows = connection.execute(select(papers.c.id, papers.c.title).order_by(papers.c.id)).all()
    if len(rows) < args.n:
        sys.exit(f"only {len(rows)} papers in {ctx.settings.home}: import and index the sample first")
    title_counts: dict[str, int] = {}
    for _, title in rows:
        key = normalise_title(title)
        title_counts[key] = title_counts.get(key, 0) + 1
    chosen = random.Random(args.seed).sample(rows, args.n)
    first = same_title_first = bm25_first = hybrid_first = 0
    failures = []
    started = time.perf_counter()
    for paper_id, title in chosen:
        hits = search(ctx, title, per_page=1).hits
        top = hits[0].paper if hits else None
        first += top is not None and top.id == paper_id
        same_title_first += top is not None and normalise_title(top.title) == normalise_title(title)
        if not (top is not None and top.id == paper_id) and len(failures) < 10:
            failures.append((paper_id, title[:80], top.id if top else None))
        bm25_first += ranked_ids(ctx, title, "bm25")[:1] == [paper_id]
        hybrid_first += ranked_ids(ctx, title, "hybrid")[:1] == [paper_id]
    elapsed = time.perf_counter() - started
    duplicates = sum(1 for _, title in chosen if title_counts[normalise_title(title)] > 1)
    print(f"papers in the database: {len(rows):,}; sampled {args.n} (seed {args.seed}); {duplicates} share their title")
    print(f"search(title) puts the paper first:          {first / args.n:.1%} ({first}/{args.n})")
    print(f"... or a paper with the very same title:      {same_title_first / args.n:.1%}")
    print(f"ranking alone, BM25, paper first:             {bm25_first / args.n:.1%}")
    print(f"ranking alone, hybrid, paper first:           {hybrid_first / args.n:.1%}")
    print(f"{elapsed:.1f} s for {args.n} searches and {2 * args.n} rankings")
    for failure in failures:
        print("  missed:", failure)


if __name__ == "__main__":
    main()

"""How a search's whole match set is paged and ordered: pure rules over paper ids, no I/O.

A search matches the papers holding all its words, the papers whose meaning is close enough (at or
above the similarity floor), and the ranked candidates it shows first. Relevance lists the ranked
candidates first, then the remaining keyword matches by BM25, then the remaining neighbours by
similarity; only the part a page reaches is ranked. Newest first orders the whole set by
announcement day, ties by paper id (descending), so every page follows from the same order.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence

import numpy as np

from paperboard.errors import UserError

MAX_PER_PAGE = 100
# Pages past the last one are empty; past this one, a request is refused as absurd (20 a page,
# two million results: more than the largest archive this is built for).
MAX_PAGE = 100_000


def offset_of(page: int, per_page: int) -> int:
    """Where ``page`` starts (from 1, ``per_page`` results a page); a clear error when out of bounds."""
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise UserError(f"per_page must be between 1 and {MAX_PER_PAGE}")
    if not 1 <= page <= MAX_PAGE:
        raise UserError(f"page must be between 1 and {MAX_PAGE:,}")
    return (page - 1) * per_page


def match_count(keyword: int, others: Iterable[str], among_keyword: Collection[str]) -> int:
    """How many distinct papers: ``keyword`` matches, and ``others`` (the head's and the
    neighbours' paper ids), ``among_keyword`` being those of them that are keyword matches too."""
    return keyword + len(set(others) - set(among_keyword))


def relevance_window(head: Sequence[str], keyword_best: Callable[[int], list[str]], keyword: Collection[str],
                     semantic: Sequence[str], offset: int, count: int) -> list[str]:
    """Results ``offset`` to ``offset + count`` in relevance order: ``head`` (the ranked
    candidates) as given, then the other ``keyword`` matches best first (``keyword_best(depth)``:
    the ``depth`` best of them), then the other ``semantic`` neighbours as given."""
    end = offset + count
    if end <= len(head):
        return list(head[offset:end])
    shown = set(head)
    listing = list(head)
    if keyword:
        wanted = end - len(listing) + len(shown.intersection(keyword))
        listing += [paper_id for paper_id in keyword_best(wanted) if paper_id not in shown][: end - len(listing)]
    if len(listing) < end:
        shown.update(keyword)
        listing += [paper_id for paper_id in semantic if paper_id not in shown][: end - len(listing)]
    return listing[offset:end]


def newest_window(days: Mapping[str, int], offset: int, count: int) -> list[str]:
    """Results ``offset`` to ``offset + count`` of ``days`` (paper id → announcement day as an
    ordinal, 0 when unknown) newest first, ties by paper id descending. Only the papers on or
    after the day where the window ends are sorted."""
    end = min(offset + count, len(days))
    if offset >= end:
        return []
    ids = list(days)
    ordinals = np.fromiter(days.values(), np.int64, len(ids))
    boundary = np.partition(ordinals, len(ids) - end)[len(ids) - end]  # the end-th newest day
    chosen = sorted(((int(ordinals[i]), ids[i]) for i in np.flatnonzero(ordinals >= boundary)), reverse=True)
    return [paper_id for _day, paper_id in chosen[offset:end]]

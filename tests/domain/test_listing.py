"""The paging and ordering rules of a search's whole match set (domain/listing.py)."""

from __future__ import annotations

import pytest

from paperboard.domain import listing
from paperboard.errors import UserError


def test_relevance_lists_the_head_then_other_keyword_matches_then_other_neighbours():
    head = ["a", "b", "c"]
    keyword = {"b", "d", "e"}
    best = lambda depth: ["e", "b", "d"][:depth]  # noqa: E731
    semantic = ["c", "f", "d", "g"]
    whole = [item for offset in range(0, 10, 2) for item in listing.relevance_window(head, best, keyword, semantic,
                                                                                      offset, 2)]
    assert whole == ["a", "b", "c", "e", "d", "f", "g"]
    assert listing.match_count(len(keyword), [*head, *semantic], set(keyword) & {*head, *semantic}) == len(whole)


def test_newest_first_with_ties_by_paper_id_and_any_window():
    days = {"p1": 5, "p2": 7, "p3": 7, "p4": 0, "p5": 6}
    order = ["p3", "p2", "p5", "p1", "p4"]
    assert listing.newest_window(days, 0, 5) == order
    assert [listing.newest_window(days, offset, 2) for offset in (0, 2, 4, 6)] == [order[:2], order[2:4], order[4:], []]


@pytest.mark.parametrize(("page", "per_page"), [(0, 20), (listing.MAX_PAGE + 1, 20), (1, 0), (1, listing.MAX_PER_PAGE + 1)])
def test_absurd_pages_are_refused(page, per_page):
    with pytest.raises(UserError):
        listing.offset_of(page, per_page)
    assert listing.offset_of(3, 20) == 40

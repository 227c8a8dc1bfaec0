"""Ranking "recommended for you" and where the section goes in a digest (pure)."""

from __future__ import annotations

from datetime import date

from paperboard.domain.digest import Candidate, ContentWindow, DigestPeriod, Topics, rank_recommendations, select_digest
from paperboard.domain.paper import Paper


def test_the_closest_match_to_any_seed_ranks_first_and_seeds_are_left_out():
    ranked = rank_recommendations(
        {
            "seed-a": [("close", 0.9), ("loose", 0.4), ("seed-b", 0.95)],
            "seed-b": [("loose", 0.5), ("twice", 0.6), ("seed-a", 0.95)],
            "seed-c": [("twice", 0.6), ("known", 0.99)],
        },
        exclude={"known"},
    )
    assert ranked == ["close", "twice", "loose"]


def test_a_tie_goes_to_the_paper_near_more_seeds_then_the_id():
    ranked = rank_recommendations({"s1": [("b", 0.5), ("c", 0.5)], "s2": [("c", 0.5)], "s3": [("a", 0.5)]})
    assert ranked == ["c", "a", "b"]


def test_recommendations_come_last_without_papers_of_earlier_sections():
    papers = {i: Paper(id=i, title=f"Paper {i}", abstract="We propose a thing.") for i in ("p1", "p2", "p3")}
    digest = select_digest(
        DigestPeriod("daily", date(2026, 4, 14)),
        ContentWindow(date(2026, 4, 14), date(2026, 4, 14)),
        Topics(categories=("cs.CL",)),
        trending=[Candidate(papers["p1"])],
        by_category={"cs.CL": [Candidate(papers["p2"])]},
        by_search={},
        per_section=5,
        recommended=[Candidate(papers["p1"]), Candidate(papers["p3"]), Candidate(papers["p2"])],
    )
    assert [(s.kind, [e.paper.id for e in s.entries]) for s in digest.sections] == [
        ("trending", ["p1"]),
        ("category", ["p2"]),
        ("recommended", ["p3"]),
    ]
    assert digest.sections[-1].title == "Recommended for you"

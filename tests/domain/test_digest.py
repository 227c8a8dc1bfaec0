"""Digest domain: periods, content windows, topics, section selection, summaries, token payloads."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperboard.domain.digest import (
    MAX_WINDOW_DAYS,
    Candidate,
    ContentWindow,
    InvalidTopics,
    Topics,
    content_window,
    digest_message_id,
    due_period,
    email_from_payload,
    one_line_summary,
    parse_period_key,
    parse_topics,
    period_for,
    select_digest,
    split_sentences,
    token_payload,
    topics_from_json,
)
from paperboard.domain.paper import Paper

MONDAY = date(2026, 4, 13)


def test_daily_periods_exist_on_weekdays_only():
    assert period_for("daily", MONDAY).key == "daily:2026-04-13"
    assert period_for("daily", date(2026, 4, 17)).key == "daily:2026-04-17"
    assert period_for("daily", date(2026, 4, 18)) is None
    assert period_for("daily", date(2026, 4, 19)) is None


def test_a_weekly_period_is_the_iso_week_from_its_monday():
    for day in range(13, 20):
        period = period_for("weekly", date(2026, 4, day))
        assert (period.key, period.day) == ("weekly:2026-W16", MONDAY)
    assert period_for("weekly", date(2026, 12, 31)).key == "weekly:2026-W53"
    assert period_for("weekly", date(2027, 1, 4)).key == "weekly:2027-W01"


def test_due_waits_for_the_hour_then_stays_due_for_the_period():
    assert due_period("daily", datetime(2026, 4, 13, 6, 59), 7) is None
    assert due_period("daily", datetime(2026, 4, 13, 7, 0), 7).key == "daily:2026-04-13"
    assert due_period("daily", datetime(2026, 4, 18, 12), 7) is None
    assert due_period("weekly", datetime(2026, 4, 13, 6), 7) is None
    assert due_period("weekly", datetime(2026, 4, 15, 3), 7).key == "weekly:2026-W16"


@pytest.mark.parametrize("key", ["daily:2026-04-14", "weekly:2026-W16", "weekly:2027-W01"])
def test_period_keys_round_trip(key):
    assert parse_period_key(key).key == key


@pytest.mark.parametrize("key", ["", "daily:2026-04-18", "daily:2026-13-01", "weekly:2026-W54", "monthly:2026-04", "daily:26-4-1"])
def test_bad_period_keys_are_refused(key):
    with pytest.raises(ValueError):
        parse_period_key(key)


def test_first_daily_digest_covers_since_the_previous_weekday():
    assert content_window(period_for("daily", MONDAY), None) == ContentWindow(date(2026, 4, 11), MONDAY)
    tuesday = date(2026, 4, 14)
    assert content_window(period_for("daily", tuesday), None) == ContentWindow(tuesday, tuesday)


def test_window_reaches_back_to_the_last_digest_but_not_too_far():
    period = period_for("daily", date(2026, 4, 16))
    assert content_window(period, "daily:2026-04-13").since == date(2026, 4, 14)
    far = content_window(period, "daily:2026-01-05")
    assert (far.until - far.since).days == MAX_WINDOW_DAYS - 1
    # Switching from weekly to daily: the window starts after the weekly digest's Monday.
    assert content_window(period, "weekly:2026-W16").since == date(2026, 4, 14)
    assert content_window(period, "garbage").since == date(2026, 4, 16)


def test_a_first_digest_that_never_went_out_widens_the_next_window():
    thursday = period_for("daily", date(2026, 4, 16))
    # Tuesday's digest failed and none was ever delivered: Thursday's reaches back to Tuesday.
    assert content_window(thursday, None, "daily:2026-04-14").since == date(2026, 4, 14)
    # A failed Monday reaches back over the weekend, as Monday's own window did.
    assert content_window(thursday, None, "daily:2026-04-13").since == date(2026, 4, 11)
    # A delivered digest wins: its window already covers any later period that failed.
    assert content_window(thursday, "daily:2026-04-14", "daily:2026-04-13").since == date(2026, 4, 15)
    # The owed period is this one (a retry), or unreadable: the nominal window.
    assert content_window(thursday, None, "daily:2026-04-16").since == date(2026, 4, 16)
    assert content_window(thursday, None, "garbage").since == date(2026, 4, 16)
    assert (content_window(thursday, None, "daily:2026-01-05").until - content_window(thursday, None, "daily:2026-01-05").since).days == MAX_WINDOW_DAYS - 1


def test_weekly_window_is_seven_days_ending_on_its_monday():
    assert content_window(period_for("weekly", MONDAY), None) == ContentWindow(date(2026, 4, 7), MONDAY)


def test_topics_from_a_form_are_canonical_and_deduplicated():
    topics = parse_topics("CS.cl, cs.CL  hep-th\nmath.gt astro-ph.CO", "diffusion  models\n\nDiffusion models\n graph networks ")
    assert topics == Topics(("cs.CL", "hep-th", "math.GT", "astro-ph.CO"), ("diffusion models", "graph networks"))


@pytest.mark.parametrize(
    "categories, searches",
    [("cs.CL; DROP TABLE", ""), ("1cs", ""), ("", "x" * 201), ("", "a\x00b"), (" ".join(f"cs.A{chr(65 + i)}" for i in range(21)), "")],
)
def test_bad_topics_are_refused_with_a_reason(categories, searches):
    with pytest.raises(InvalidTopics):
        parse_topics(categories, searches)


def test_stored_topics_survive_garbage():
    assert topics_from_json(None) == Topics()
    assert topics_from_json({"categories": ["cs.CL", 3], "searches": "not a list"}) == Topics(("cs.CL",), ())
    assert topics_from_json(Topics(("cs.LG",), ("q",)).as_json()) == Topics(("cs.LG",), ("q",))


def _candidate(paper_id: str, upvotes: int = 0, abstract: str = "We propose a thing. It is good.") -> Candidate:
    return Candidate(Paper(paper_id, f"Title {paper_id}", abstract, code_urls=("https://github.com/a/b",)), upvotes, 7)


def test_sections_keep_order_skip_repeats_and_empty_ones():
    period = period_for("daily", MONDAY)
    window = content_window(period, None)
    digest = select_digest(
        period,
        window,
        Topics(("cs.CL", "cs.CV"), ("graphs",)),
        trending=[_candidate("1"), _candidate("2")],
        by_category={"cs.CL": [_candidate("2"), _candidate("3"), _candidate("4")], "cs.CV": [_candidate("1")]},
        by_search={"graphs": [_candidate("5", 3)]},
        per_section=2,
    )
    assert [(s.kind, s.title, [e.paper.id for e in s.entries]) for s in digest.sections] == [
        ("trending", "Trending", ["1", "2"]),
        ("category", "New in cs.CL", ["3", "4"]),
        ("search", "Matching “graphs”", ["5"]),
    ]
    entry = digest.sections[-1].entries[0]
    assert (entry.summary, entry.upvotes, entry.stars, entry.code_url) == ("We propose a thing.", 3, 7, "https://github.com/a/b")
    assert digest.paper_count == 5 and not digest.is_empty


def test_nothing_new_is_an_empty_digest():
    period = period_for("weekly", MONDAY)
    digest = select_digest(period, content_window(period, None), Topics(("cs.CL",)), trending=[], by_category={}, by_search={}, per_section=5)
    assert digest.is_empty and digest.paper_count == 0


def test_sentences_do_not_break_at_abbreviations_or_numbers():
    text = "Models, e.g. transformers by Vaswani et al. in 2017, scale. Accuracy rises by 3.5 points (Fig. 2). Done!"
    assert split_sentences(text) == [
        "Models, e.g. transformers by Vaswani et al. in 2017, scale.",
        "Accuracy rises by 3.5 points (Fig. 2).",
        "Done!",
    ]


def test_summary_prefers_the_contribution_sentence():
    abstract = "Retrieval is hard. In this work we introduce RAGged, a retriever that reads tables.\nIt wins."
    assert one_line_summary(abstract) == "In this work we introduce RAGged, a retriever that reads tables."
    assert one_line_summary("Only one fact here. And another.") == "Only one fact here."
    assert one_line_summary("") == ""


@given(st.text(max_size=2000))
def test_a_summary_is_one_short_line_taken_from_the_abstract(abstract):
    summary = one_line_summary(abstract, max_chars=120)
    assert len(summary) <= 120
    assert "\n" not in summary and "\r" not in summary
    words = " ".join(abstract.split())
    assert summary.rstrip("…") in words or not summary


def test_token_payloads_are_single_purpose():
    payload = token_payload("manage", "a@example.org")
    assert email_from_payload(payload, "manage") == "a@example.org"
    assert email_from_payload(payload, "unsubscribe") is None
    assert email_from_payload("a@example.org", "manage") is None
    with pytest.raises(ValueError):
        token_payload("login", "a@example.org")


def test_message_id_is_stable_per_subscriber_and_period():
    one = digest_message_id("daily:2026-04-13", "a@example.org", "example.org")
    assert one == digest_message_id("daily:2026-04-13", "a@example.org", "example.org")
    assert one != digest_message_id("daily:2026-04-14", "a@example.org", "example.org")
    assert one.startswith("<digest.daily.2026-04-13.") and one.endswith("@example.org>")

"""Merge rules between a stored record and an incoming one."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperboard.domain.merge import merge
from paperboard.domain.paper import ImportCounts, Paper, with_derived_fields
from tests.hostile_links import HOSTILE_LINKS


def test_newer_version_wins_but_keeps_what_it_lacks():
    stored = Paper(id="2401.01234", title="Old", version=1, doi="10.1/x", comment="5 pages")
    incoming = Paper(id="2401.01234", title="New", version=2, comment="v2: 7 pages", source="oai")
    merged = merge(stored, incoming)
    assert (merged.title, merged.version, merged.doi, merged.comment, merged.source) == (
        "New", 2, "10.1/x", "v2: 7 pages", "oai"
    )


def test_older_version_changes_nothing():
    stored = Paper(id="2401.01234", title="New", version=3)
    assert merge(stored, Paper(id="2401.01234", title="Old", version=2, doi="10.1/y")) == stored


def test_same_version_from_another_source_only_fills_gaps():
    stored = Paper(id="2401.01234", title="T", version=1, doi=None, authors=("A",), source="oai")
    merged = merge(stored, Paper(id="2401.01234", title="Other", version=1, doi="10.1/z", authors=("B",), source="listings"))
    assert (merged.title, merged.doi, merged.authors, merged.source) == ("T", "10.1/z", ("A",), "oai")


@pytest.mark.parametrize("version", [None, 2])
def test_a_correction_from_the_same_source_is_applied_and_erases_nothing(version):
    stored = Paper(id="2401.01234", title="Atention is all", version=version, doi="10.1/x", authors=("A",), source="listings")
    corrected = Paper(id="2401.01234", title="Attention is all", version=version, authors=("A", "B"), source="listings")
    merged = merge(stored, corrected)
    assert (merged.title, merged.authors, merged.doi) == ("Attention is all", ("A", "B"), "10.1/x")
    assert merge(merged, corrected) == merged  # importing the corrected file again changes nothing


def test_two_sources_alternating_settle():
    first = Paper(id="2401.01234", title="Title as A words it", source="a")
    second = Paper(id="2401.01234", title="Title as B words it", source="b")
    stored = merge(merge(first, second), first)
    assert merge(stored, second) == stored == first


def test_earliest_announced_date_wins_whatever_the_version():
    stored = Paper(id="x:1", title="T", version=2, announced=date(2026, 3, 9))
    assert merge(stored, Paper(id="x:1", title="T", version=1, announced=date(2026, 3, 2))).announced == date(2026, 3, 2)


papers = st.builds(
    Paper,
    id=st.just("2401.01234"),
    title=st.text(min_size=1, max_size=20),
    version=st.none() | st.integers(1, 5),
    doi=st.none() | st.text(max_size=10),
    announced=st.none() | st.dates(date(2020, 1, 1), date(2030, 1, 1)),
)


@given(papers, papers)
def test_merge_is_idempotent(stored, incoming):
    once = merge(stored, incoming)
    assert merge(once, incoming) == once


def test_derived_fields():
    paper = with_derived_fields(
        Paper(id="2401.01234", title=" A\n  title ", abstract="Code at https://github.com/a/b.", categories=("cs.CL",))
    )
    assert paper.title == "A title"
    assert paper.primary_category == "cs.CL"
    assert paper.abs_url == "https://arxiv.org/abs/2401.01234"
    assert paper.code_urls == ("https://github.com/a/b",)
    beir = with_derived_fields(Paper(id="beir:42", title="T"))
    assert beir.abs_url is None and not beir.is_arxiv


@pytest.mark.parametrize("bad", HOSTILE_LINKS)
def test_unsafe_links_are_dropped_and_the_record_kept(bad):
    paper = with_derived_fields(
        Paper(
            id="2605.90007", title="Kept", abstract="Code at https://github.com/a/b.", abs_url=bad, pdf_url=bad,
            project_url=bad, code_urls=(bad,), huggingface_urls=(bad, "https://huggingface.co/org/model"),
        )
    )
    assert paper.title == "Kept"
    # arXiv's own pages replace the dropped ones; links found in the text replace dropped code links.
    assert (paper.abs_url, paper.pdf_url) == ("https://arxiv.org/abs/2605.90007", "https://arxiv.org/pdf/2605.90007")
    assert paper.project_url is None
    assert paper.code_urls == ("https://github.com/a/b",)
    assert paper.huggingface_urls == ("https://huggingface.co/org/model",)
    other = with_derived_fields(Paper(id="beir:1", title="T", abs_url=bad, pdf_url=bad))
    assert other.abs_url is None and other.pdf_url is None


def test_import_counts_add_up():
    total = ImportCounts(read=2, inserted=1, unchanged=1)
    batch = ImportCounts(read=3, updated=2)
    batch.skip("bad id")
    total.add(batch)
    assert total.as_dict() == {"read": 5, "inserted": 1, "updated": 2, "unchanged": 1, "skipped": {"bad id": 1}}
    assert total.changed

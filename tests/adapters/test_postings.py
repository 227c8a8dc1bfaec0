"""The in-memory postings against BM25 computed document by document (``domain.bm25``)."""

from __future__ import annotations

import json
import math
import random
import warnings
from datetime import date, timedelta

import pytest

from paperboard.adapters.search import postings as postings_module
from paperboard.adapters.search.filters import PaperFilter
from paperboard.adapters.search.postings import Corpus, Document, TermPostings
from paperboard.domain import bm25

WORDS = [f"w{i}" for i in range(60)]


def _corpus(count: int, seed: int = 1, first_id: int = 1) -> list[Document]:
    """Documents as the engines give them: a token per entry, weighted by its field (2 for the
    first three tokens, a "title"; 1 after), words drawn with a skew so some are common."""
    rng = random.Random(seed)
    documents = []
    for doc_id in range(first_id, first_id + count):
        tokens = [WORDS[min(int(rng.expovariate(0.08)), len(WORDS) - 1)] for _ in range(rng.randint(3, 40))]
        weights = [2.0 if i < 3 else 1.0 for i in range(len(tokens))]
        documents.append(Document(doc_id, len(tokens), tokens, weights, date(2026, 1, 1) + timedelta(days=doc_id % 90),
                                  (["cs.CL", "cs.LG", "math.AG"][doc_id % 3],), doc_id % 5 == 0))
    return documents


def _brute_force(documents, idfs, average_length, excluded=()):
    scored = []
    for doc_id, length, tokens, weights, *_metadata in documents:
        if any(term in tokens for term in excluded):
            continue
        counts: dict[str, float] = {}
        for token, weight in zip(tokens, weights):
            counts[token] = counts.get(token, 0.0) + weight
        score = bm25.score(counts, length, idfs, average_length)
        if score > 0:
            scored.append((doc_id, score))
    return sorted(scored, key=lambda hit: (-hit[1], hit[0]))


def _source(documents):
    def read(after: int, limit: int):
        return [d for d in documents if d.doc_id > after][:limit]

    return read


def _stats(documents):
    frequencies: dict[str, int] = {}
    for document in documents:
        for term in set(document.terms):
            frequencies[term] = frequencies.get(term, 0) + 1
    average = sum(d[1] for d in documents) / len(documents)
    return frequencies, Corpus(len(documents), average)


def _idfs(frequencies, corpus, terms):
    return {term: bm25.idf(corpus.documents, frequencies.get(term, 0)) for term in terms}


def _assert_ranks_exactly(postings, documents, terms, depth, **options):
    """The postings' top ``depth`` for ``terms`` are the document-by-document BM25's, scores too."""
    frequencies, corpus = _stats(documents)
    idfs = _idfs(frequencies, corpus, terms)
    expected = _brute_force(documents, idfs, corpus.average_length)[:depth]
    found = postings.top(idfs, corpus, depth, **options)
    assert [doc_id for doc_id, _ in found] == [doc_id for doc_id, _ in expected]
    assert [score for _, score in found] == pytest.approx([score for _, score in expected], rel=1e-9)
    return found


@pytest.mark.parametrize("terms", [["w0"], ["w0", "w1", "w2"], ["w5", "w30"], ["w59", "w0", "w3", "w12"], ["nope"]])
def test_top_is_bm25_document_by_document(terms):
    documents = _corpus(600)
    postings = TermPostings()
    assert postings.sync(_source(documents), newest=600, live_documents=600)
    _assert_ranks_exactly(postings, documents, terms, 25)


def test_excluded_terms_remove_their_documents():
    documents = _corpus(300)
    postings = TermPostings()
    postings.sync(_source(documents), newest=300, live_documents=300)
    frequencies, corpus = _stats(documents)
    idfs = _idfs(frequencies, corpus, ["w0", "w1"])
    found = postings.top(idfs, corpus, 300, excluded=["w2"])
    expected = _brute_force(documents, idfs, corpus.average_length, excluded=["w2"])
    assert [doc_id for doc_id, _ in found] == [doc_id for doc_id, _ in expected]


def test_catching_up_in_steps_merges_and_stays_exact(monkeypatch):
    monkeypatch.setattr(postings_module, "_MERGE_MIN", 500)
    documents = _corpus(900)
    postings = TermPostings()
    frequencies, corpus = _stats(documents)
    idfs = _idfs(frequencies, corpus, ["w0", "w4", "w9"])
    # A search may load only a bounded number of documents: incomplete until the rest come.
    assert not postings.sync(_source(documents), newest=900, live_documents=900, limit=100, batch=40)
    assert postings.watermark == 100
    for step in range(200, 901, 100):
        complete = postings.sync(_source(documents), newest=900, live_documents=900, limit=100, batch=40)
        postings.top(idfs, corpus, 5)  # builds (and sometimes merges) the tail between steps
        assert complete == (step == 900)
    _assert_ranks_exactly(postings, documents, ["w0", "w4", "w9"], 40)


def _with_enormous_counts(documents: list[Document]) -> list[Document]:
    """Crafted records: one word a million times (float16 ends at 65,504), 70,000 times, and
    3,001 times (float16 holds counts exactly only to 2,048), beside ordinary documents."""
    first = documents[-1].doc_id + 1
    crafted = [(["w0"], [1_000_000.0]), (["w1", "w0"], [70_000.0, 2.0]), (["w2", "w1"], [3_001.0, 1.0])]
    return documents + [
        Document(first + n, int(sum(weights)), terms, weights, date(2026, 1, 1), ("cs.CL",), False)
        for n, (terms, weights) in enumerate(crafted)
    ]


def test_enormous_term_counts_score_finite_and_rank_as_exact_bm25(tmp_path, monkeypatch):
    monkeypatch.setattr(postings_module, "_MERGE_MIN", 300)
    documents = _with_enormous_counts(_corpus(600))
    newest = documents[-1].doc_id
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no float16 overflow, no NaN from inf / inf
        first = TermPostings(tmp_path)
        first.sync(_source(documents[:400]), newest=400, live_documents=400)
        first.top({"w0": 1.0}, Corpus(400, 20.0), 5)
        assert first.sync(_source(documents), newest=newest, live_documents=len(documents))  # merged with the tail
        first.save()
        loaded = TermPostings(tmp_path)
        assert loaded.sync(_source(documents), newest=newest, live_documents=len(documents))
        for postings in (first, loaded):
            for terms in (["w0"], ["w1"], ["w2"], ["w0", "w1", "w2"], ["w1", "w7"]):
                found = _assert_ranks_exactly(postings, documents, terms, 40)
                assert all(math.isfinite(score) for _, score in found)
            everything = _assert_ranks_exactly(postings, documents, ["w0", "w1", "w2"], len(documents))
            assert set(range(601, newest + 1)) <= {doc_id for doc_id, _ in everything}  # ranked, not lost


def test_saved_postings_load_in_another_process_and_catch_up(tmp_path):
    documents = _corpus(400)
    first = TermPostings(tmp_path)
    first.sync(_source(documents[:300]), newest=300, live_documents=300)
    first.save()
    assert first.saved
    second = TermPostings(tmp_path)
    assert second.sync(_source(documents[:350]), newest=350, live_documents=350)
    assert second.watermark == 350 and not second.saved
    second.save()  # a main segment and a tail on disk
    third = TermPostings(tmp_path)
    assert third.sync(_source(documents), newest=400, live_documents=400)
    for terms in (["w0", "w7"], ["w1"], ["w3", "w20", "w44"]):
        _assert_ranks_exactly(third, documents, terms, 30)


def test_damaged_files_cost_a_rebuild_not_an_error(tmp_path):
    documents = _corpus(50)
    first = TermPostings(tmp_path)
    first.sync(_source(documents), newest=50, live_documents=50)
    first.save()
    for path in (tmp_path / "keyword-postings").rglob("main-rows.npy"):
        path.write_bytes(b"not numpy")
    second = TermPostings(tmp_path)
    assert second.sync(_source(documents), newest=50, live_documents=50)
    assert second.watermark == 50


def test_many_dead_documents_or_a_rebuilt_index_start_over():
    documents = _corpus(100)
    postings = TermPostings()
    postings.sync(_source(documents), newest=100, live_documents=100)
    # Most documents were deleted and re-indexed under new ids: the postings start over.
    renumbered = [d._replace(doc_id=d.doc_id + 1000) for d in documents[:40]]
    assert postings.sync(_source(renumbered), newest=1040, live_documents=40)
    # Each document's distinct words, its category and, for some, "has code".
    assert postings.postings == sum(len(set(d.terms)) + 1 + d.has_code for d in renumbered)
    # The keyword index was emptied and rebuilt with smaller ids.
    assert postings.sync(_source(documents[:10]), newest=10, live_documents=10)
    assert postings.watermark == 10


def test_a_moving_average_length_keeps_scores_exact():
    documents = _corpus(200)
    postings = TermPostings()
    postings.sync(_source(documents), newest=200, live_documents=200)
    frequencies, corpus = _stats(documents)
    idfs = _idfs(frequencies, corpus, ["w0", "w2"])
    postings.top(idfs, corpus, 10)
    for average in (corpus.average_length * 1.001, corpus.average_length * 1.5):
        moved = Corpus(corpus.documents, average)
        expected = _brute_force(documents, idfs, average)[:10]
        found = postings.top(idfs, moved, 10)
        assert [doc_id for doc_id, _ in found] == [doc_id for doc_id, _ in expected]
        assert [s for _, s in found] == pytest.approx([s for _, s in expected], rel=1e-9)


def test_an_unchanged_main_segment_is_shared_between_saves_not_rewritten(tmp_path, monkeypatch):
    monkeypatch.setattr(postings_module, "_MERGE_MIN", 2000)  # the first 400 merge, the next 100 do not
    documents = _corpus(500)
    postings = TermPostings(tmp_path)
    postings.sync(_source(documents[:400]), newest=400, live_documents=400)
    postings.save()  # 400 documents: one main segment
    first = (tmp_path / "keyword-postings" / json.loads((tmp_path / "keyword-postings" / "current.json").read_text())["folder"])
    postings.sync(_source(documents), newest=500, live_documents=500)  # 100 more, new words too
    postings.save()
    second = (tmp_path / "keyword-postings" / json.loads((tmp_path / "keyword-postings" / "current.json").read_text())["folder"])
    assert first != second
    assert (first / "main-rows.npy").stat().st_ino == (second / "main-rows.npy").stat().st_ino
    reloaded = TermPostings(tmp_path)
    assert reloaded.sync(_source(documents), newest=500, live_documents=500) and reloaded.saved
    _assert_ranks_exactly(reloaded, documents, ["w0", "w11"], 20)


@pytest.mark.parametrize("paper_filter", [
    PaperFilter(date_from=date(2026, 2, 1)),
    PaperFilter(date_from=date(2026, 1, 10), date_until=date(2026, 1, 20)),
    PaperFilter(categories=("cs.LG",)),
    PaperFilter(categories=("cs",)),
    PaperFilter(categories=("math",), has_code=True),
])
def test_filters_apply_in_memory_as_in_sql(paper_filter):
    documents = _corpus(400)
    postings = TermPostings()
    postings.sync(_source(documents), newest=400, live_documents=400)
    frequencies, corpus = _stats(documents)
    idfs = _idfs(frequencies, corpus, ["w0", "w3"])

    def passes(d):
        archive_or_category = lambda c: any(c == w or ("." not in w and c.startswith(w + ".")) for w in paper_filter.categories)
        return ((not paper_filter.date_from or d.announced >= paper_filter.date_from)
                and (not paper_filter.date_until or d.announced <= paper_filter.date_until)
                and (not paper_filter.categories or any(archive_or_category(c) for c in d.categories))
                and (not paper_filter.has_code or d.has_code))

    expected = _brute_force([d for d in documents if passes(d)], idfs, corpus.average_length)[:30]
    found = postings.top(idfs, corpus, 30, paper_filter=paper_filter)
    assert found and [doc_id for doc_id, _ in found] == [doc_id for doc_id, _ in expected]


def test_words_in_most_documents_still_count_when_the_others_run_out():
    documents = _corpus(600)
    postings = TermPostings()
    postings.sync(_source(documents), newest=600, live_documents=600)
    frequencies, corpus = _stats(documents)
    idfs = _idfs(frequencies, corpus, ["w0", "w45"])
    assert idfs["w0"] == pytest.approx(1e-6) and idfs["w45"] > 1  # w0 is in most documents
    expected = _brute_force(documents, idfs, corpus.average_length)
    found = postings.top(idfs, corpus, 400)  # deeper than the papers holding w45
    assert [doc_id for doc_id, _ in found] == [doc_id for doc_id, _ in expected][:400]

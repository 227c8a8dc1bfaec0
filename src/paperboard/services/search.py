"""Search: the one service the site, the API and the CLI call.

``search`` parses the query language, pins an exact arXiv id or exact title first, ranks the rest
by fusing BM25 with nearest vectors (reciprocal ranks or min-max, tuned on SciFact's train
queries), applies filters and constraints to both legs, and returns a page of hits, each with the
reason it is there and a snippet with the matched words marked. ``similar_papers`` gives a paper's
nearest neighbours. Keeping the indexes current is ``services.indexing``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from paperboard.adapters.search import filters as paper_filters
from paperboard.adapters.search.filters import PaperFilter
from paperboard.adapters.search.keyword import KeywordIndex, KeywordQuery
from paperboard.adapters.store import papers as paper_store
from paperboard.domain.analysis import analyze
from paperboard.domain import listing
from paperboard.domain.fusion import BOTH, KEYWORD, LEG_METHODS, SEMANTIC, Candidate, FusionParams, fuse, fuse_scored
from paperboard.domain.paper import Paper
from paperboard.domain.query import Query, SearchFilters, parse_query
from paperboard.domain.snippet import Snippet, build_snippet
from paperboard.errors import UserError
from paperboard.services import feed
from paperboard.services.context import AppContext
from paperboard.services.feed import FeedItem
from paperboard.services.matches import MatchSet, browse_set, match_set

# Fusion chosen on training queries only, SciFact train and the paraphrase set's train split
# (bench/tune_fusion.py: the adaptive rule's best of 210 settings by the mean of each set's nDCG@10
# over its best single leg); test splits are only ever reported.
DEFAULT_FUSION = FusionParams("adaptive", semantic_weight=0.3, coverage_power=2.0, weak_words_boost=0.5)
CANDIDATES = 100  # per leg; R@100 of the fused list is measured with this depth
MAX_PER_PAGE = listing.MAX_PER_PAGE
MAX_PAGE = listing.MAX_PAGE
# Below this cosine a paper that shares no word with the query is noise, not a match (MiniLM
# puts unrelated abstracts at 0.0-0.2); it keeps "nothing matched" possible. It admits the
# semantic leg's own candidates (the first pages).
SEMANTIC_FLOOR = 0.25
# Beyond those candidates, the neighbours a search counts and pages through (and sorts by date)
# must be nearer. On SciFact train, 0.25 keeps 97 % of the relevant papers but admits a median of
# 484 of 5,183 papers a query (on the 19,883-paper sample, 9,014 for "reducing the computational
# cost of large language models"); 0.4 keeps 86 % with a median of 28 (bench/semantic_floor.py).
NEIGHBOUR_FLOOR = 0.4
# A filter passing at most this many papers is searched exactly among them; a broader one is
# applied afterwards to OVERSAMPLING times the candidates (listing 50k ids costs more than it saves).
FILTER_CAP = 5_000
OVERSAMPLING = 3
EXACT = "exact"  # the arXiv id typed alone, or the paper's exact title
FILTER = "filter"  # no words, only filters: every paper that passes
# Why a hit is there, in words for people: the site, the API and the CLI all show these.
REASON_LABELS = {
    EXACT: "Exact match",
    KEYWORD: "Matched your words",
    SEMANTIC: "Matched by meaning",
    BOTH: "Matched your words and by meaning",
    FILTER: "Matches your filters",
}
SNIPPET_CHARS = 240


@dataclass(frozen=True)
class SearchHit:
    """A finished card: the paper with its daily feature and counts, why it is here, and snippets."""

    item: FeedItem
    score: float
    reason: str  # a key of REASON_LABELS
    snippet: Snippet
    title: Snippet

    @property
    def paper(self) -> Paper:
        return self.item.paper

    @property
    def reason_label(self) -> str:
        return REASON_LABELS[self.reason]


@dataclass
class SearchResults:
    query: Query
    hits: list[SearchHit] = field(default_factory=list)
    total: int = 0  # every match, the pages past this one included
    estimated: bool = False  # ``total`` counted part of the matches from a sample: "about"
    page: int = 1
    per_page: int = 20
    message: str | None = None  # set when nothing matched: what to change
    link: str | None = None  # where the message points (an id this site lacks: its page or arXiv's)
    notes: list[str] = field(default_factory=list)  # how the results were made, when it matters

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def count_label(self) -> str:
        """The total in words, as the site, the API and the CLI say it: "1,752 results", "about 2,300 results"."""
        return f"{'about ' if self.estimated else ''}{self.total:,} result{'' if self.total == 1 else 's'}"


# -- searching ------------------------------------------------------------------------------------
def search(
    ctx: AppContext, text: str, *, page: int = 1, per_page: int = 20, filters: SearchFilters = SearchFilters(),
) -> SearchResults:
    """One page of results for ``text`` (the query language) narrowed by ``filters``: the cards the
    site, the API, the feeds, the CLI and the digest all show, from one read transaction. Pages
    reach every match (``services.matches``); ``total`` counts them all."""
    offset = listing.offset_of(page, per_page)
    if "\x00" in text:
        raise UserError("the search text contains a NUL character")
    query = filters.applied_to(parse_query(text))
    results = SearchResults(query, page=page, per_page=per_page, notes=list(query.notes))
    if query.is_empty:
        results.message = 'Type what you are looking for, e.g. "diffusion models for video", or a filter such as cat:cs.CL.'
        return results
    if not query.has_text and not (query.has_filters or query.authors):
        results.message = "Exclusions (-word) only narrow a search: add words to search for."
        return results
    if query.arxiv_id:
        return _arxiv_paper(ctx, query, results)
    kq = KeywordQuery.of(query)
    with ctx.database.read() as connection:
        if query.has_text:
            ranked, scores, reasons = _relevance(ctx, connection, query, kq, results.notes)
            matches = match_set(ctx, connection, query, kq, ranked, NEIGHBOUR_FLOOR)
        else:
            matches, scores, reasons = _browse(ctx, connection, query, kq)
        window = _order(query, matches, offset, per_page, results.notes)
        results.total, results.estimated = matches.total, matches.estimated
        found = {paper.id: paper for paper in paper_store.get_papers(connection, window)}
        # Deleted since it was indexed: left out.
        items = feed.cards_from(connection, [found[paper_id] for paper_id in window if paper_id in found])
    terms = set(kq.terms)
    surface = [word for part in (*query.words, *query.phrases) for word in part.split()]
    for item in items:
        paper_id = item.paper.id
        results.hits.append(
            SearchHit(
                item,
                scores[paper_id] if paper_id in scores else matches.score(paper_id),
                reasons.get(paper_id) or matches.reason(paper_id),
                build_snippet(item.paper.abstract, terms, SNIPPET_CHARS, surface),
                build_snippet(item.paper.title, terms, None, surface),
            )
        )
    if not results.total:
        results.message = _nothing_found(query)
    return results


def _relevance(ctx, connection, query: Query, kq: KeywordQuery, notes: list[str]):
    """Ranked ids with scores and reasons: pinned exact matches, then the fused legs."""
    keywords = ctx.keywords
    paper_filter = PaperFilter.of(query)
    pinned = _pinned(connection, keywords, query, kq, paper_filter)
    keyword_hits = keywords.search(connection, kq, paper_filter, CANDIDATES, ctx.keyword_postings)
    if not keyword_hits.exact:
        notes.append(
            "Your words are very common here and your phrase or filters rule most papers out: keyword "
            "matches were looked for among the best-scoring papers only. Add rarer words to find more."
        )
    semantic_hits, meaning = _semantic(ctx, connection, keywords, query, kq, paper_filter, notes)
    fused, similarity = fuse_legs(ctx, connection, kq.terms, keyword_hits.hits, semantic_hits, meaning, DEFAULT_FUSION)
    kept = [hit for hit in fused if hit.keyword_rank is not None or similarity.get(hit.key, 0.0) >= SEMANTIC_FLOOR]
    ranked = pinned + [hit.key for hit in kept if hit.key not in pinned]
    scores = {hit.key: hit.score for hit in kept}
    reasons = {hit.key: hit.reason for hit in kept} | {paper_id: EXACT for paper_id in pinned}
    return ranked, scores, reasons


def _arxiv_paper(ctx, query: Query, results: SearchResults) -> SearchResults:
    """An arXiv id typed alone asks for that paper: it (when stored and passing the filters), or
    where to find it; never the papers that hold the id's pieces as words ("hep", "th")."""
    paper_id = query.arxiv_id.base
    kq = KeywordQuery.of(query)  # no words: the id's; constraints: the authors'
    with ctx.database.read() as connection:
        paper = paper_store.get_paper(connection, paper_id)
        passes = paper is not None and bool(paper_filters.keep_matching(connection, PaperFilter.of(query), [paper_id]))
        passes = passes and (not kq.constrains or bool(ctx.keywords.satisfying(connection, kq, [paper_id])))
        items = feed.cards_from(connection, [paper]) if passes and results.page == 1 else []
    results.total = int(passes)
    results.hits = [
        SearchHit(item, 1.0, EXACT, build_snippet(item.paper.abstract, (), SNIPPET_CHARS),
                  build_snippet(item.paper.title, (), None))
        for item in items
    ]
    if paper is None:
        if ctx.settings.on_demand_timeout_seconds > 0:
            results.link = f"/papers/{paper_id}"
            results.message = f"This site does not have arXiv:{paper_id} yet. Its page here, {results.link}, fetches it from arXiv."
        else:
            results.link = f"https://arxiv.org/abs/{paper_id}"
            results.message = f"This site does not have arXiv:{paper_id} yet. It may be on arXiv: {results.link}"
    elif not passes:
        results.message = f"arXiv:{paper_id} is here but does not pass your filters: clear them to see it."
    return results


def _pinned(connection, keywords: KeywordIndex, query: Query, kq: KeywordQuery, paper_filter: PaperFilter) -> list[str]:
    """A paper's title, typed exactly or nearly (``domain.titles``), goes first (if it passes the
    filters); of several, the closest first."""
    candidates: list[str] = []
    # The title as typed, and as parsed (a title may hold "-" or ":" that the parser read as operators).
    for title in dict.fromkeys((query.text, query.free_text)):
        candidates += [p for p in keywords.title_matches(connection, title) if p not in candidates]
    if not candidates:
        return []
    allowed = paper_filters.keep_matching(connection, paper_filter, candidates)
    if kq.constrains:
        allowed &= keywords.satisfying(connection, kq, candidates)
    return [paper_id for paper_id in candidates if paper_id in allowed]


def _semantic(ctx, connection, keywords: KeywordIndex, query: Query, kq: KeywordQuery, paper_filter, notes):
    """Nearest papers to the query's meaning that pass every filter and constraint, and the
    (vector index, query vector) that scores any other paper's meaning (None: no semantic leg)."""
    try:
        embedder = ctx.embedder_if_ready()
    except UserError as error:  # the model is not installed: words still work
        notes.append(f"Search by meaning is off: {error}")
        return [], None
    if embedder is None:
        notes.append("Search by meaning is starting up (the embedding model is being prepared); these match your words.")
        return [], None
    vectors = ctx.vector_index(embedder.model_id)
    vectors.sync(connection, graph_in_background=True)  # a page never waits for an HNSW build
    if not len(vectors):
        notes.append("Search by meaning starts once papers are embedded (paperboard embed); these match your words.")
        return [], None
    vector = embedder.embed_query(query.free_text)
    return _nearest(connection, keywords, vectors, vector, kq, paper_filter), (vectors, vector)


def _nearest(connection, keywords: KeywordIndex, vectors, vector, kq: KeywordQuery, paper_filter):
    among = paper_filters.matching_ids(connection, paper_filter, FILTER_CAP) if paper_filter.active else None
    if kq.phrases or kq.authors:
        required = keywords.constrained_ids_if_cheap(connection, kq, FILTER_CAP)
        if required is not None:
            among = required if among is None else sorted(set(among) & set(required))
    if among is not None:
        hits = vectors.search(vector, CANDIDATES, among=among)
    elif paper_filter.active and vectors.filters_in_index:
        hits = vectors.search(vector, CANDIDATES * (OVERSAMPLING if kq.constrains else 1), paper_filter=paper_filter)
    else:
        # Too broad to list: ask the index for more and filter afterwards.
        depth = CANDIDATES * (OVERSAMPLING if paper_filter.active or kq.constrains else 1)
        hits = vectors.search(vector, depth)
        if paper_filter.active:
            passing = paper_filters.keep_matching(connection, paper_filter, [h[0] for h in hits])
            hits = [hit for hit in hits if hit[0] in passing]
    if kq.constrains and hits:
        passing = keywords.satisfying(connection, kq, [h[0] for h in hits])
        hits = [hit for hit in hits if hit[0] in passing]
    return hits[:CANDIDATES]


def _browse(ctx, connection, query: Query, kq: KeywordQuery):
    """No words, only filters (authors, exclusions): every paper that passes, newest first."""
    return browse_set(ctx, connection, query, kq, FILTER), {}, {}


def _order(query: Query, matches: MatchSet, offset: int, count: int, notes: list[str]) -> list[str]:
    """The paper ids of one page. Relevance: the ranked candidates, then the other matches (the
    keyword ones by BM25, then the neighbours by similarity); date (and trending, until it
    exists): the whole match set newest first. Browsing has no relevance: newest first."""
    if query.sort == "trending":
        notes.append("Trending order is not available for search yet; newest first instead.")
    relevance = query.sort == "relevance" and query.has_text
    return matches.window("relevance" if relevance else "date", offset, count)


def _nothing_found(query: Query) -> str:
    tips = []
    if query.categories:
        tips.append("remove the category filter")
    if query.date_from or query.date_until:
        tips.append("widen the dates")
    if query.has_code:
        tips.append("drop has:code")
    if query.authors:
        tips.append("check the author's name")
    if query.phrases:
        tips.append("drop the quotes")
    if query.excluded:
        tips.append("remove the -words")
    tips.append("use other words for the same idea")
    return "No papers match. Try to " + ", ".join(tips[:-1]) + (" or " if len(tips) > 1 else "") + tips[-1] + "."


# -- similar papers -------------------------------------------------------------------------------
def similar_papers(ctx: AppContext, paper_id: str, k: int = 10) -> list[SearchHit]:
    """The ``k`` papers nearest in meaning to ``paper_id`` (itself excluded); [] when it has no vector."""
    if not 1 <= k <= MAX_PER_PAGE:
        raise UserError(f"k must be between 1 and {MAX_PER_PAGE}")
    try:
        embedder = ctx.embedder_if_ready()
    except UserError:  # no model installed, so no vectors to compare
        return []
    if embedder is None:  # being prepared at start-up: no wait on a paper page
        return []
    model = embedder.model_id
    vectors = ctx.vector_index(model)
    with ctx.database.read() as connection:
        vectors.sync(connection, graph_in_background=True)
        vector = vectors.vector_of(paper_id)
        if vector is None:
            return []
        hits = dict(vectors.search(vector, k, exclude=paper_id))
        found = {p.id: p for p in paper_store.get_papers(connection, list(hits))}
        items = feed.cards_from(connection, [found[key] for key in hits if key in found])
    return [
        SearchHit(item, hits[item.paper.id], SEMANTIC, build_snippet(item.paper.abstract, (), SNIPPET_CHARS),
                  build_snippet(item.paper.title, (), None))
        for item in items
    ]


def fuse_legs(ctx: AppContext, connection, terms, keyword_hits, semantic_hits, meaning, fusion: FusionParams):
    """The legs fused by ``fusion``, and each candidate's cosine to the query where known.

    The adaptive rule scores every candidate by both legs: the keyword index gives BM25 and word
    coverage to the semantic leg's papers too, the vector index the cosine of the keyword leg's.
    Without a semantic leg (``meaning`` None) the keyword order stands."""
    similarity = dict(semantic_hits)
    if meaning is None or fusion.method in LEG_METHODS:
        if meaning is None:
            return fuse(keyword_hits, [], FusionParams("rrf")), similarity
        return fuse(keyword_hits, semantic_hits, fusion), similarity
    return fuse_scored(scored_candidates(ctx, connection, terms, keyword_hits, semantic_hits, meaning), fusion), similarity


def scored_candidates(ctx: AppContext, connection, terms, keyword_hits, semantic_hits, meaning) -> list[Candidate]:
    """Every paper of either leg with its BM25, word coverage and cosine (``fuse_scored``'s input)."""
    vectors, vector = meaning
    keys = list(dict.fromkeys([key for key, _ in keyword_hits] + [key for key, _ in semantic_hits]))
    lexical = ctx.keywords.candidate_scores(connection, terms, keys, ctx.keyword_postings)
    cosines = dict(semantic_hits)
    cosines.update(vectors.similarities(vector, [key for key in keys if key not in cosines]))
    # A paper not embedded yet neither gains nor loses by meaning against the weakest candidate.
    unknown = min(cosines.values(), default=0.0)
    candidates = []
    for key in keys:
        bm25, coverage = lexical.get(key, (0.0, 0.0))
        candidates.append(Candidate(key, bm25=bm25, cosine=cosines.get(key, unknown), coverage=coverage))
    return candidates


def ranked_ids(ctx: AppContext, text: str, mode: str, fusion: FusionParams = DEFAULT_FUSION, depth: int = CANDIDATES):
    """The ranking of plain ``text`` by one leg or both, for evaluation: no query language, no
    filters, no floor. The same legs and fusion as ``search``."""
    query = Query(text=text, words=(text,), free_text=text)
    kq = KeywordQuery(terms=tuple(dict.fromkeys(analyze(text))))
    with ctx.database.read() as connection:
        keyword_hits = []
        if mode != "dense":
            keywords = ctx.keywords
            keyword_hits = keywords.search(connection, kq, PaperFilter(), depth, ctx.keyword_postings).hits
        semantic_hits, meaning = [], None
        if mode != "bm25":
            vectors = ctx.vector_index(ctx.embedder.model_id)
            vectors.sync(connection)
            meaning = (vectors, ctx.embedder.embed_query(query.free_text))
            semantic_hits = vectors.search(meaning[1], depth)
        if mode == "hybrid":
            fused, _ = fuse_legs(ctx, connection, kq.terms, keyword_hits, semantic_hits, meaning, fusion)
    if mode == "bm25":
        return [key for key, _ in keyword_hits]
    if mode == "dense":
        return [key for key, _ in semantic_hits]
    return [hit.key for hit in fused]


__all__ = ["search", "similar_papers", "ranked_ids", "SearchResults", "SearchHit", "REASON_LABELS"]

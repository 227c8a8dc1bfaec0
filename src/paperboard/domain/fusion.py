"""Fusing the keyword and the semantic ranking into one, with the reason each hit is there.

Raw BM25 scores and cosine similarities live on unrelated scales; adding them is known to hurt
(SciFact: 0.681 nDCG@10 against 0.742/0.747 for RRF/min-max on the same runs). Every method here
normalises first: reciprocal rank fusion uses ranks only, min-max rescales each leg to [0, 1].

``fuse`` sees only the two legs' lists, so a paper missing from one leg gets nothing from it, and
min-max always gives each leg's best a full share, however weak its match. ``fuse_scored`` (the
search's own, method "adaptive") sees every candidate scored by *both* legs, and how much of the
query's word weight each holds (``coverage``): a keyword match is worth its BM25 times its coverage
to the power ``coverage_power``, so papers holding one common word of a long query sink; and when
no top keyword match holds most of the query's words, the semantic share grows by
``weak_words_boost``, so meaning can win where words fail. Its parameters are chosen on training
queries only (bench/tune_fusion.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

KEYWORD = "keyword"
SEMANTIC = "semantic"
BOTH = "both"
METHODS = ("adaptive", "rrf", "minmax")
LEG_METHODS = ("rrf", "minmax")  # those ``fuse`` runs on the two lists alone

# A paper "matched your words" when it holds at least this share of the query's word weight.
WORDS_REASON_COVERAGE = 0.5
# How many of the best keyword matches show whether the words matched strongly (``fuse_scored``).
STRENGTH_DEPTH = 10

# A hit is "semantic" when it is among this many nearest vectors; every paper has *some* nearest
# neighbour rank, so membership in the candidate list alone would call everything semantic.
SEMANTIC_REASON_DEPTH = 50


@dataclass(frozen=True)
class FusedHit:
    key: str
    score: float
    keyword_rank: int | None = None  # 1-based rank in the keyword leg, None when it did not match
    semantic_rank: int | None = None
    words_matched: bool | None = None  # fuse_scored: holds most of the query's words; None: any rank

    @property
    def reason(self) -> str:
        keyword = self.keyword_rank is not None if self.words_matched is None else self.words_matched
        semantic = self.semantic_rank is not None and self.semantic_rank <= SEMANTIC_REASON_DEPTH
        if keyword and semantic:
            return BOTH
        return KEYWORD if keyword else SEMANTIC


@dataclass(frozen=True)
class FusionParams:
    """How to fuse. ``semantic_weight`` is the share of the semantic leg, 0 (keyword only) to 1."""

    method: str = "rrf"
    semantic_weight: float = 0.5
    rrf_k: float = 60.0
    coverage_power: float = 0.0  # adaptive: a keyword match counts BM25 x coverage ** this
    weak_words_boost: float = 0.0  # adaptive: extra semantic share when the words match weakly

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"fusion method must be one of {METHODS}, not {self.method!r}")
        if not 0.0 <= self.semantic_weight <= 1.0:
            raise ValueError("semantic_weight must lie in [0, 1]")
        if self.rrf_k <= 0:
            raise ValueError("rrf_k must be positive")
        if self.coverage_power < 0 or self.weak_words_boost < 0:
            raise ValueError("coverage_power and weak_words_boost must not be negative")


@dataclass(frozen=True)
class Candidate:
    """A paper either leg proposed, scored by both: its BM25 for the query (0: none of the words),
    its cosine to the query, and the share of the query's word weight (IDF) it holds."""

    key: str
    bm25: float
    cosine: float
    coverage: float


def fuse_scored(candidates: Sequence[Candidate], params: FusionParams) -> list[FusedHit]:
    """One ranking of ``candidates`` by the adaptive rule (see the module's docstring); best first,
    ties by key. ``keyword_rank`` is the rank by BM25 among those holding a word, ``semantic_rank``
    the rank by cosine; the reason follows coverage and cosine rank (``FusedHit.reason``)."""
    if not candidates:
        return []
    bm25 = _rescaled([c.bm25 for c in candidates])
    cosine = _rescaled([c.cosine for c in candidates])
    by_bm25 = sorted(range(len(candidates)), key=lambda i: (-candidates[i].bm25, candidates[i].key))
    strength = max((candidates[i].coverage for i in by_bm25[:STRENGTH_DEPTH] if candidates[i].bm25 > 0), default=0.0)
    keyword_share = 1.0 - params.semantic_weight
    semantic_share = params.semantic_weight + params.weak_words_boost * (1.0 - strength)
    keyword_ranks = {candidates[i].key: rank for rank, i in enumerate((i for i in by_bm25 if candidates[i].bm25 > 0), 1)}
    by_cosine = sorted(range(len(candidates)), key=lambda i: (-candidates[i].cosine, candidates[i].key))
    semantic_ranks = {candidates[i].key: rank for rank, i in enumerate(by_cosine, 1)}
    hits = []
    for index, candidate in enumerate(candidates):
        score = (keyword_share * bm25[index] * candidate.coverage ** params.coverage_power
                 + semantic_share * cosine[index])
        semantic_rank = semantic_ranks[candidate.key]
        # Most of the words, or some of them and nothing else to show for it.
        words = candidate.bm25 > 0 and (
            candidate.coverage >= WORDS_REASON_COVERAGE or semantic_rank > SEMANTIC_REASON_DEPTH
        )
        hits.append(FusedHit(candidate.key, score, keyword_ranks.get(candidate.key), semantic_rank, words))
    hits.sort(key=lambda hit: (-hit.score, hit.key))
    return hits


def _rescaled(values: Sequence[float]) -> list[float]:
    """Min-max to [0, 1] over the candidates; all equal counts as all best."""
    low, high = min(values), max(values)
    if high <= low:
        return [1.0] * len(values)
    return [(value - low) / (high - low) for value in values]


def fuse(
    keyword: Sequence[tuple[str, float]],
    semantic: Sequence[tuple[str, float]],
    params: FusionParams = FusionParams(),
) -> list[FusedHit]:
    """One ranking from two; each input is (key, score) best first. Ties break by key."""
    keyword_ranks = _ranks(keyword)
    semantic_ranks = _ranks(semantic)
    if params.method == "rrf":
        contributions = [
            _rrf(keyword_ranks, params.rrf_k, 1.0 - params.semantic_weight),
            _rrf(semantic_ranks, params.rrf_k, params.semantic_weight),
        ]
    else:
        contributions = [
            _min_max(keyword, 1.0 - params.semantic_weight),
            _min_max(semantic, params.semantic_weight),
        ]
    totals: dict[str, float] = {}
    for contribution in contributions:
        for key, value in contribution.items():
            totals[key] = totals.get(key, 0.0) + value
    hits = [
        FusedHit(key, score, keyword_ranks.get(key), semantic_ranks.get(key)) for key, score in totals.items()
    ]
    hits.sort(key=lambda hit: (-hit.score, hit.key))
    return hits


def _ranks(leg: Sequence[tuple[str, float]]) -> dict[str, int]:
    ranks: dict[str, int] = {}
    for position, (key, _score) in enumerate(leg, start=1):
        ranks.setdefault(key, position)
    return ranks


def _rrf(ranks: dict[str, int], k: float, weight: float) -> dict[str, float]:
    return {key: weight / (k + rank) for key, rank in ranks.items()}


def _min_max(leg: Sequence[tuple[str, float]], weight: float) -> dict[str, float]:
    """Scores rescaled to [0, 1] within this list; a one-score list counts as all best.

    A key absent from a leg gets nothing from it, the same as that leg's worst candidate.
    """
    if not leg:
        return {}
    fused: dict[str, float] = {}
    for (key, _score), normalised in zip(leg, _rescaled([score for _key, score in leg])):
        fused[key] = max(fused.get(key, 0.0), weight * normalised)
    return fused

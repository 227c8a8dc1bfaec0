"""Retrieval evaluation on a BEIR-format data set (SciFact): the product's own search legs, scored.

The corpus goes into a database of its own (never the site's): by default a SQLite file under
``HOME/eval/beir-<corpus hash>/``, kept between runs together with its vectors (stored per model
in ``paper_embeddings``), so a rerun embeds nothing. ``database_url`` points the run at another
(empty or earlier-used) database instead, e.g. PostgreSQL to compare the two keyword legs.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from paperboard.adapters.store.papers import upsert_papers
from paperboard.domain.fusion import FusionParams
from paperboard.domain.metrics import evaluate
from paperboard.domain.paper import Paper
from paperboard.errors import UserError
from paperboard.services.context import AppContext
from paperboard.services.indexing import index_papers
from paperboard.services.search import DEFAULT_FUSION, ranked_ids

MODES = ("bm25", "dense", "hybrid")
# Published SciFact test anchors, nDCG@10 (R@100), from ../shared/eval/README.md.
ANCHORS = {
    "bm25": [("BM25, BEIR paper (Elasticsearch)", 0.665, 0.908), ("BM25, bm25s", 0.687, 0.913)],
    "dense": [("all-MiniLM-L6-v2", 0.645, 0.925), ("bge-small-en-v1.5", 0.713, 0.945),
              ("gte-small (self-reported)", 0.727, 0.950)],
    "hybrid": [("BM25 + bge-base, RRF k=60", 0.742, 0.977), ("BM25 + bge-base, min-max", 0.747, 0.970)],
}
_PREFIX = "beir:"
_BATCH = 1000


@dataclass
class BeirData:
    corpus: list[Paper]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    corpus_hash: str


@dataclass
class EvalReport:
    mode: str
    split: str
    queries: int
    documents: int
    metrics: dict[str, float]
    fusion: FusionParams | None
    database: str
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "mode": self.mode,
            "split": self.split,
            "queries": self.queries,
            "documents": self.documents,
            "metrics": self.metrics,
            "fusion": None if self.fusion is None else vars(self.fusion),
            "database": self.database,
            "seconds": self.seconds,
            "anchors": [{"system": n, "ndcg@10": a, "recall@100": r} for n, a, r in ANCHORS[self.mode]],
        }


def load_beir(directory: Path, split: str) -> BeirData:
    """Read corpus.jsonl[.gz], queries.jsonl and qrels/<split>.tsv; bad layout -> UserError."""
    directory = Path(directory)
    corpus_path = next((p for p in (directory / "corpus.jsonl.gz", directory / "corpus.jsonl") if p.exists()), None)
    queries_path, qrels_path = directory / "queries.jsonl", directory / "qrels" / f"{split}.tsv"
    if corpus_path is None or not queries_path.exists():
        raise UserError(f"{directory} is not a BEIR folder: it needs corpus.jsonl(.gz) and queries.jsonl")
    if not qrels_path.exists():
        splits = sorted(p.stem for p in (directory / "qrels").glob("*.tsv"))
        raise UserError(f"no qrels for split {split!r} in {directory}/qrels (found: {', '.join(splits) or 'none'})")
    digest = hashlib.sha256()
    corpus = []
    opener = gzip.open if corpus_path.suffix == ".gz" else open
    try:
        with opener(corpus_path, "rt", encoding="utf-8") as lines:
            for line in lines:
                digest.update(line.encode())
                record = json.loads(line)
                corpus.append(Paper(_PREFIX + str(record["_id"]), record.get("title") or "",
                                    record.get("text") or "", source="beir"))
        queries = {}
        with open(queries_path, encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                queries[str(record["_id"])] = record["text"]
        qrels: dict[str, dict[str, int]] = {}
        with open(qrels_path, encoding="utf-8", newline="") as rows:
            for row in csv.DictReader(rows, delimiter="\t"):
                qrels.setdefault(row["query-id"], {})[_PREFIX + row["corpus-id"]] = int(row["score"])
    except (OSError, ValueError, KeyError) as error:
        raise UserError(f"cannot read the BEIR files in {directory}: {error}") from error
    missing = [q for q in qrels if q not in queries]
    if missing:
        raise UserError(f"{len(missing)} judged queries of split {split!r} are not in queries.jsonl")
    return BeirData(corpus, queries, qrels, digest.hexdigest())


def evaluate_beir(
    ctx: AppContext,
    directory: Path,
    *,
    mode: str = "hybrid",
    split: str = "test",
    fusion: FusionParams = DEFAULT_FUSION,
    depth: int = 100,
    database_url: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> EvalReport:
    if mode not in MODES:
        raise UserError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    data = load_beir(directory, split)
    eval_ctx = eval_context(ctx, data.corpus_hash, database_url)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    prepare(eval_ctx, data, embed=mode != "bm25", progress=progress)
    seconds["index"] = time.perf_counter() - started
    started = time.perf_counter()
    run = {qid: ranked_ids(eval_ctx, data.queries[qid], mode, fusion, depth) for qid in data.qrels}
    seconds["queries"] = time.perf_counter() - started
    return EvalReport(
        mode, split, len(data.qrels), len(data.corpus), evaluate(run, data.qrels),
        fusion if mode == "hybrid" else None, eval_ctx.database.url.render_as_string(hide_password=True), seconds,
    )


def eval_context(ctx: AppContext, corpus_hash: str, database_url: str | None) -> AppContext:
    """A context on the evaluation's own database, sharing the caller's embedder."""
    home = ctx.settings.home / "eval" / f"beir-{corpus_hash[:16]}"
    settings = ctx.settings.model_copy(update={"home": home, "database_url": database_url})
    eval_ctx = AppContext(settings)
    eval_ctx.embedder = ctx.embedder  # loading the model twice would cost seconds and memory
    eval_ctx.migrate()
    return eval_ctx


def prepare(eval_ctx: AppContext, data: BeirData, *, embed: bool, progress: Callable[[str], None] | None = None) -> None:
    """Load the corpus (idempotent) and bring the keyword index and, if asked, the vectors up to date."""
    for start in range(0, len(data.corpus), _BATCH):
        with eval_ctx.database.write() as connection:
            upsert_papers(connection, data.corpus[start : start + _BATCH])
    if progress:
        progress(f"{len(data.corpus):,} documents stored; indexing" + (" and embedding" if embed else ""))
    index_papers(eval_ctx, embed=embed)

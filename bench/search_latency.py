"""Hybrid search latency (query embedding included), on the real sample and on a synthetic corpus.

    # the 19,883-paper sample, imported and indexed (with vectors) in PAPERBOARD_HOME:
    PAPERBOARD_HOME=/tmp/pb-bench/home python bench/search_latency.py sample
    # a synthetic corpus of N papers built in DIR (words drawn from the sample's word frequencies,
    # lengths from its length distribution; clustered random unit vectors for the vector leg):
    python bench/search_latency.py synthetic --papers 1000000 --dir /tmp/pb-1m

Queries are 3-6 consecutive words of random real titles, some with a filter or a phrase. Each one
goes through ``services.search.search`` (parse, exact-title pin, BM25, query embedding, vector
search, fusion, papers and snippets). Prints p50/p90/p99 and, for the synthetic corpus, the time to
build each index and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import func, insert, select

from paperboard.adapters.search.embedder import available_cpus
from paperboard.adapters.search.filters import PaperFilter
from paperboard.adapters.search.keyword import IndexedText, KeywordQuery, keyword_index
from paperboard.adapters.store.database import Database
from paperboard.adapters.store.migrate import upgrade
from paperboard.adapters.store.papers import get_papers, utcnow
from paperboard.adapters.store.schema import paper_categories, papers
from paperboard.services.context import AppContext, default_context
from paperboard.domain.query import parse_query
from paperboard.services.indexing import catch_up_postings
from paperboard.services.search import CANDIDATES, search
from paperboard.services.warmup import settle_heap
from paperboard.settings import Settings

LISTINGS = Path(__file__).resolve().parents[2] / "shared" / "eval" / "arxiv-listings-2026-03-to-05"
_FILTERS = ["", "", "", "", " cat:cs.CV", " year:2026", ' "language model"', " sort:date"]


class OnnxFileEmbedder:
    """The int8 MiniLM graph from a folder (model.onnx, tokenizer.json), run as OnnxEmbedder runs
    it, for machines where the model package is not installed (the borrowed 16-core machine)."""

    def __init__(self, directory: Path, model_id: str, threads: int) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self.model_id, self.dimension = model_id, 384
        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=256)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        self._session = onnxruntime.InferenceSession(str(directory / "model.onnx"), options,
                                                     providers=["CPUExecutionProvider"])

    def embed_query(self, text: str) -> np.ndarray:
        encoding = self._tokenizer.encode_batch([text])
        feed = {"input_ids": np.array([e.ids for e in encoding], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encoding], dtype=np.int64)}
        return self._session.run(None, feed)[0][0]


def setup_embedder(ctx: AppContext, args) -> None:
    if args.onnx_dir:
        ctx.embedder = OnnxFileEmbedder(Path(args.onnx_dir), args.model_id, args.cores or 2)


def pin(args) -> None:
    """Queries run on ``--cores`` cores (the target machine has 2), whatever the host has."""
    if args.cores:
        import os

        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[: args.cores]))


def real_records(listings: Path = LISTINGS) -> list[dict]:
    records = []
    for part in sorted(Path(listings).glob("papers-*.jsonl.gz")):
        with gzip.open(part, "rt", encoding="utf-8") as lines:
            records.extend(json.loads(line) for line in lines)
    return records


def queries(records: list[dict], n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    made = []
    while len(made) < n:
        words = rng.choice(records)["title"].split()
        if len(words) < 3:
            continue
        size = rng.randint(3, min(6, len(words)))
        start = rng.randint(0, len(words) - size)
        made.append(" ".join(words[start : start + size]).replace('"', "") + rng.choice(_FILTERS))
    return made


def measure(ctx: AppContext, texts: list[str], warmup: int = 20) -> dict[str, float]:
    for text in texts[:warmup]:
        search(ctx, text)
    timings = []
    for text in texts[warmup:]:
        started = time.perf_counter()
        search(ctx, text)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "queries": len(timings),
        "p50_ms": statistics.median(timings),
        "p90_ms": timings[int(0.90 * (len(timings) - 1))],
        "p99_ms": timings[int(0.99 * (len(timings) - 1))],
        "max_ms": timings[-1],
    }


def rss_mb() -> tuple[float, float]:
    current = 0.0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            current = int(line.split()[1]) / 1024
    return current, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_sample(args) -> None:
    ctx = default_context()
    ctx.migrate()
    setup_embedder(ctx, args)
    records = real_records(args.listings)
    with ctx.database.read() as connection:
        stored = connection.execute(papers.select().with_only_columns(papers.c.id).limit(1)).first()
    if stored is None:
        # An empty home (a borrowed machine): import the sample, index it, and give it clustered
        # vectors; exact search over 19,883 vectors costs the same whatever they hold.
        from paperboard.services.imports import import_files
        from paperboard.services.indexing import index_papers

        import_files(ctx, sorted(Path(args.listings).glob("papers-*.jsonl.gz")))
        index_papers(ctx, embed=False)
        add_clustered_vectors(ctx.database, ctx.vector_index(ctx.embedder.model_id), 384, args.seed)
        print("sample imported and indexed; vectors are synthetic (clustered)")
    texts = queries(records, args.queries + 20)
    catch_up_postings(ctx)
    with ctx.database.read() as connection:
        vectors = ctx.vector_index(ctx.embedder.model_id)
        vectors.sync(connection)
    print(f"{len(vectors):,} vectors ({'HNSW' if vectors.approximate else 'exact'}); model {ctx.embedder.model_id}")
    del records  # a server holds no listings: their 80,000 objects would slow its collector's walks
    settle_heap()  # as ``up`` and ``web`` do once warmed up
    pin(args)
    print(json.dumps(measure(ctx, texts), indent=1))
    if args.legs:
        print(json.dumps(measure_legs(ctx, texts[20:]), indent=1))
    print("RSS now / peak (MB): %.0f / %.0f" % rss_mb())


def bench_synthetic(args) -> None:
    directory = Path(args.dir)
    directory.mkdir(parents=True, exist_ok=True)
    records = real_records(args.listings)
    settings = Settings(home=directory, database_url=f"sqlite:///{directory / 'bench.db'}")
    ctx = AppContext(settings)
    setup_embedder(ctx, args)
    timings: dict[str, float] = {}
    database: Database = ctx.database
    upgrade(database)
    # Each stage resumes where an interrupted run stopped (a 1M build takes the better part of an
    # hour on 2 cores); a stage already complete reports no time.
    started = time.perf_counter()
    build_papers(database, records, args.papers, args.seed)
    timings["papers_s"] = time.perf_counter() - started
    started = time.perf_counter()
    build_keyword_index(database, args.build_workers)
    timings["keyword_index_s"] = time.perf_counter() - started
    print(f"papers {timings['papers_s']:.0f} s, keyword index {timings['keyword_index_s']:.0f} s", flush=True)
    started = time.perf_counter()
    postings = catch_up_postings(ctx)
    timings["keyword_postings_s"] = time.perf_counter() - started
    print(f"keyword postings {timings['keyword_postings_s']:.0f} s ({postings.postings:,} postings)", flush=True)
    vectors = ctx.vector_index(ctx.embedder.model_id)
    with database.read() as connection:
        vectors.sync(connection)  # loads a graph saved by an earlier run
    started = time.perf_counter()
    if len(vectors) != args.papers:
        add_clustered_vectors(database, vectors, ctx.embedder.dimension, args.seed, skip=len(vectors))
        vectors.save()
    timings["vector_index_s"] = time.perf_counter() - started
    print(f"vector index {timings['vector_index_s']:.0f} s ({'HNSW' if vectors.approximate else 'exact'})", flush=True)
    texts = queries(records, args.queries + 20)
    del records
    settle_heap()
    pin(args)
    result = measure(ctx, texts)
    if args.legs:
        result["legs"] = measure_legs(ctx, texts[20:])
    now, peak = rss_mb()
    print(json.dumps({"papers": args.papers, **timings, **result, "rss_mb": round(now), "peak_rss_mb": round(peak),
                      "database_mb": round((directory / "bench.db").stat().st_size / 2**20)}, indent=1))


def build_keyword_index(database: Database, workers: int) -> None:
    """The real catch-up (``KeywordIndex.index_texts`` per batch), the analysis spread over processes."""
    keywords = keyword_index(database)
    pool = ProcessPoolExecutor(workers) if workers > 1 else None
    after = ""
    try:
        while True:
            with database.read(timeout_ms=600_000) as connection:
                stale = keywords.stale_ids(connection, 5000, after)
                batch = get_papers(connection, stale)
            if not stale:
                break
            texts = list(pool.map(IndexedText.of, batch, chunksize=250)) if pool else [IndexedText.of(p) for p in batch]
            with database.write() as connection:
                keywords.index_texts(connection, texts)
            after = stale[-1]
    finally:
        if pool:
            pool.shutdown()


def measure_legs(ctx: AppContext, texts: list[str]) -> dict:
    """Each leg of the same queries alone (keyword BM25, query embedding, vector search), and the
    slowest whole searches with their keyword time: which leg and which queries make the tail."""
    keywords = keyword_index(ctx.database)
    vectors = ctx.vector_index(ctx.embedder.model_id)
    legs: dict[str, list[float]] = {"keyword_ms": [], "embed_ms": [], "vector_ms": [], "search_ms": []}
    not_exact = 0
    slowest = []
    for text_ in texts:
        query = parse_query(text_)
        with ctx.database.read() as connection:
            started = time.perf_counter()
            found = keywords.search(connection, KeywordQuery.of(query), PaperFilter.of(query), CANDIDATES,
                                    ctx.keyword_postings)
            legs["keyword_ms"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        vector = ctx.embedder.embed_query(query.free_text or text_)
        legs["embed_ms"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        vectors.search(vector, CANDIDATES)
        legs["vector_ms"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        search(ctx, text_)
        legs["search_ms"].append((time.perf_counter() - started) * 1000)
        slowest.append((legs["search_ms"][-1], legs["keyword_ms"][-1], text_))
        if not found.exact:
            not_exact += 1
    report = {}
    for name, values in legs.items():
        values = sorted(values)
        report[name] = {"p50": round(statistics.median(values), 1), "p99": round(values[int(0.99 * (len(values) - 1))], 1)}
    report["keyword_not_exact"] = not_exact
    report["slowest"] = [f"{total:.0f} ms (keyword {kw:.0f} ms): {text_}" for total, kw, text_ in sorted(slowest)[-6:]]
    return report


def build_papers(database: Database, records: list[dict], count: int, seed: int) -> None:
    """``count`` papers whose words follow the sample's word frequencies and lengths."""
    words: dict[str, int] = {}
    title_lengths, abstract_lengths = [], []
    for record in records:
        title, abstract = record["title"].split(), record["abstract"].split()
        title_lengths.append(len(title))
        abstract_lengths.append(len(abstract))
        for word in title + abstract:
            words[word] = words.get(word, 0) + 1
    vocabulary = np.array(list(words))
    weights = np.array(list(words.values()), dtype=np.float64)
    weights /= weights.sum()
    categories = ["cs.CV", "cs.CL", "cs.AI", "cs.LG", "cs.IT", "cs.RO", "stat.ML", "eess.IV"]
    start_day, now = date(2020, 1, 1), utcnow()
    with database.read(timeout_ms=600_000) as connection:
        stored = connection.execute(select(func.count()).select_from(papers)).scalar_one()
    for first in range(stored, count, 10_000):
        # One generator per batch, so a resumed build writes the papers a whole one would have.
        rng = np.random.default_rng([seed, first])
        size = min(10_000, count - first)
        lengths_t = rng.choice(title_lengths, size)
        lengths_a = rng.choice(abstract_lengths, size)
        drawn = vocabulary[rng.choice(len(vocabulary), int(lengths_t.sum() + lengths_a.sum()), p=weights)].tolist()
        rows, category_rows, offset = [], [], 0
        for i in range(size):
            title = " ".join(drawn[offset : offset + lengths_t[i]])
            offset += lengths_t[i]
            abstract = " ".join(drawn[offset : offset + lengths_a[i]])
            offset += lengths_a[i]
            paper_id = f"syn:{first + i:07d}"
            category = categories[(first + i) % len(categories)]
            rows.append({
                "id": paper_id, "title": title, "abstract": abstract, "authors": [f"Author {(first + i) % 5000}"],
                "categories": [category], "primary_category": category, "code_urls": [], "huggingface_urls": [],
                "announced": start_day + timedelta(days=(first + i) * 2300 // count), "source": "synthetic",
                "created_at": now, "modified_at": now,
            })
            category_rows.append({"paper_id": paper_id, "category": category})
        with database.write() as connection:
            connection.execute(insert(papers), rows)
            connection.execute(insert(paper_categories), category_rows)
        if first % 100_000 == 0:
            print(f"  {first + size:,} papers", file=sys.stderr, flush=True)


def add_clustered_vectors(database: Database, vectors, dimension: int, seed: int, skip: int = 0) -> None:
    """Unit vectors around 512 random centres, as topic clusters of real embeddings would be
    (the papers after the first ``skip``, which an earlier run gave vectors)."""
    centres = np.random.default_rng(seed).standard_normal((512, dimension)).astype(np.float32)
    with database.read(timeout_ms=600_000) as connection:
        ids = list(connection.execute(papers.select().with_only_columns(papers.c.id).order_by(papers.c.id)).scalars())
    chunk = 100_000
    for first in range(skip - skip % chunk, len(ids), chunk):
        rng = np.random.default_rng([seed, first])
        part = ids[first : first + chunk]
        matrix = centres[rng.integers(0, 512, len(part))] + 0.6 * rng.standard_normal((len(part), dimension)).astype(np.float32)
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
        vectors._add(part, matrix)
        print(f"  {first + len(part):,} vectors", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", choices=["sample", "synthetic"])
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument("--dir", default="/tmp/paperboard-bench-synthetic")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--listings", type=Path, default=LISTINGS, help="Folder of the sample's parts.")
    parser.add_argument("--cores", type=int, default=0, help="Pin the queries to this many cores (0: leave).")
    parser.add_argument("--onnx-dir", help="Embed queries with model.onnx + tokenizer.json from this folder.")
    parser.add_argument("--model-id", default="all-MiniLM-L6-v2/onnx-int8-pc@1")
    parser.add_argument("--legs", action="store_true", help="Also time each leg alone and list the slowest queries.")
    parser.add_argument("--build-workers", type=int, default=available_cpus(),
                        help="Processes analyzing text for the keyword index build (the writes stay in one).")
    args = parser.parse_args()
    (bench_sample if args.corpus == "sample" else bench_synthetic)(args)


if __name__ == "__main__":
    main()

"""A paraphrase query set of our own: does search find a paper described in other words?

Each query is a span of one sample paper's abstract (its contribution: what follows "we
propose/introduce/present…", else its first sentence) with every word of its title removed (by the
index's own analysis, so "models" goes when the title says "Model"), every coined name removed (a
term in at most two papers of the sample: a user who describes an idea does not know its name),
and every number and LaTeX span removed. Its relevant document is that paper.

What it measures, honestly: a description of the paper's contribution without its title's words,
but in the abstract's own remaining words. BM25 still finds the paper first for 76 % of train
queries, the dense leg for 11 % (bench/sets/README.md): the set does NOT isolate meaning. It is a
known-item test on description-like queries where the title cannot help, and a check that fusion
keeps what the better leg finds. It is not a set of human paraphrases.

    python3 bench/paraphrase.py build [--check]     # the recipe -> bench/sets/paraphrase-v1.jsonl
    PAPERBOARD_HOME=... python3 bench/paraphrase.py eval --split train [--mode all]
    PAPERBOARD_HOME=... python3 bench/paraphrase.py legs --split train   # cache both legs' hits

**Never tune on the test split.** Choose anything (fusion rules, weights, thresholds) on
``--split train`` only; run test once, to report.

Only the recipe is committed: per query its paper id, the character spans of the paper's
whitespace-normalised abstract it keeps, its split and the SHA-256 of its text. The text itself is
third-party (the abstract's authors) and stays in ../shared: ``load`` rebuilds every query from
the sample and fails on any hash that differs. ``build`` makes the set from the rule below;
``build --check`` rebuilds it in memory and says whether the rule still gives the committed set.

The rule, fixed by the set's name (v1), in order:
- Papers: those of the sample with a usable query, ranked by SHA-256 of "paraphrase-v1:" + id; the
  first 2,000. Split by paper, forever: test when SHA-256 of "split:" + id is 0 mod 3 (a third).
- Span: the first sentence with a contribution verb, from just after the verb; else the first
  sentence; else the second. Sentences split at ". " before a capital.
- Words kept, in order: a word stays unless its analysed term is in the title, it is a coined term
  (document frequency <= 2 in title+abstract over the sample), it has a digit, or it is LaTeX (in $…$, or a
  command's name after a backslash).
  Stopwords stay for the reading but are not counted; the query starts and ends on a counted word.
- Length: a user's query, not a sentence: the first L counted words, L drawn uniformly from 4..12
  by a generator seeded with the paper id (real queries mix short and long, and short ones are
  where fusion errs most). A span with fewer than 4 counted words left gives no query: the next
  span is tried; a paper with none is skipped.

Metrics are domain.metrics.evaluate's (nDCG@10, MRR@10, R@100 over the split's queries), on the
PRODUCT's legs (``services.search.ranked_ids``), in the home ``PAPERBOARD_HOME`` names, which must
hold the sample imported and embedded. ``legs`` caches each query's keyword and semantic hits
(ids with scores) in bench/results/paraphrase/ (git-ignored) for offline fusion tuning.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from paperboard.domain.analysis import STOPWORDS, analyze, term_of

NAME = "paraphrase-v1"
SET_FILE = ROOT / "bench" / "sets" / f"{NAME}.jsonl"
SAMPLE = ROOT.parent / "shared" / "eval" / "arxiv-listings-2026-03-to-05"
CACHE = ROOT / "bench" / "results" / "paraphrase"
SIZE = 2000
TEST_MODULUS = 3
MIN_WORDS, MAX_WORDS = 4, 12
COINED_DF = 2
SPLITS = ("train", "test")
WARNING = "NEVER TUNE ON THE TEST SPLIT: choose on train, report test once."

_WORD = re.compile(r"[^\W_]+", re.UNICODE)  # analysis' word: letters and digits
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[])")
_LATEX = re.compile(r"\$[^$]*\$")
_CONTRIBUTION = re.compile(
    r"\b(?:propose[sd]?|introduce[sd]?|present(?:s|ed)?|develop(?:s|ed)?|design(?:s|ed)?|"
    r"formulate[sd]?|devise[sd]?|describe[sd]?)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Record:
    id: str
    title: str
    abstract: str  # whitespace collapsed: the text spans point into


@dataclass(frozen=True)
class ParaphraseQuery:
    qid: str
    paper_id: str
    spans: tuple[tuple[int, int], ...]  # characters of the abstract kept, joined by one space
    split: str
    sha256: str
    relevant: tuple[str, ...]  # the paper, and any paper with the very same abstract


def read_sample(directory: Path = SAMPLE) -> list[Record]:
    parts = sorted(Path(directory).glob("papers-*.jsonl.gz"))
    if not parts:
        raise SystemExit(f"no papers-*.jsonl.gz in {directory}: the sample lives in ../shared/eval")
    records = []
    for part in parts:
        with gzip.open(part, "rt", encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                records.append(Record(record["id"], record["title"], " ".join(record["abstract"].split())))
    return records


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def split_of(paper_id: str) -> str:
    return "test" if int(_sha("split:" + paper_id), 16) % TEST_MODULUS == 0 else "train"


def query_text(abstract: str, spans) -> str:
    return " ".join(abstract[start:end] for start, end in spans)


def candidate_spans(abstract: str) -> list[tuple[int, int]]:
    """Where a query may come from, best first: the contribution, then the first two sentences."""
    bounds, start = [], 0
    for match in _SENTENCE_END.finditer(abstract):
        bounds.append((start, match.start()))
        start = match.end()
    bounds.append((start, len(abstract)))
    spans = []
    for start, end in bounds:
        verb = _CONTRIBUTION.search(abstract, start, end)
        if verb:
            spans.append((verb.end(), end))
            break
    return spans + bounds[:2]


def kept_words(abstract: str, span: tuple[int, int], dropped_terms: set[str], length: int):
    """The character spans of the query's words in ``span``, or None when too few words are left."""
    start, end = span
    latex = [m.span() for m in _LATEX.finditer(abstract, start, end)]
    words: list[tuple[int, int, bool]] = []  # start, end, counted (not a stopword)
    for match in _WORD.finditer(abstract, start, end):
        word = match.group()
        in_latex = any(a <= match.start() < b for a, b in latex) or abstract[max(match.start() - 1, 0)] == "\\"
        if in_latex or any(ch.isdigit() for ch in word):
            continue
        term = term_of(word)
        if term in dropped_terms:
            continue
        counted = term is not None and word.casefold() not in STOPWORDS
        words.append((match.start(), match.end(), counted))
    counted_at = [i for i, (_, _, counted) in enumerate(words) if counted]
    if len(counted_at) < MIN_WORDS:
        return None
    first, last = counted_at[0], counted_at[min(length, len(counted_at)) - 1]
    return tuple((a, b) for a, b, _ in words[first : last + 1])


def coined_terms(records: list[Record], coined_df: int = COINED_DF) -> set[str]:
    frequency: Counter[str] = Counter()
    for record in records:
        frequency.update(set(analyze(record.title + " " + record.abstract)))
    return {term for term, df in frequency.items() if df <= coined_df}


def make_query(record: Record, coined: set[str]):
    """(spans, text) of the paper's query, or None when it has none by the rule."""
    dropped = set(analyze(record.title)) | coined
    length = random.Random(f"{NAME}:{record.id}").randint(MIN_WORDS, MAX_WORDS)
    for span in candidate_spans(record.abstract):
        spans = kept_words(record.abstract, span, dropped, length)
        if spans:
            return spans, query_text(record.abstract, spans)
    return None


def build(records: list[Record], size: int = SIZE, coined_df: int = COINED_DF) -> list[ParaphraseQuery]:
    coined = coined_terms(records, coined_df)
    same_abstract: dict[str, list[str]] = {}
    for record in records:
        same_abstract.setdefault(record.abstract, []).append(record.id)
    queries = []
    for record in sorted(records, key=lambda r: _sha(f"{NAME}:{r.id}")):
        made = make_query(record, coined)
        if made is None:
            continue
        spans, text = made
        relevant = (record.id, *sorted(set(same_abstract[record.abstract]) - {record.id}))
        queries.append(ParaphraseQuery(f"p{len(queries):04d}", record.id, spans, split_of(record.id),
                                       _sha(text), relevant))
        if len(queries) == size:
            break
    return queries


def write_set(queries: list[ParaphraseQuery], path: Path = SET_FILE) -> None:
    counts = Counter(q.split for q in queries)
    header = {
        "set": NAME, "warning": WARNING, "made_by": "bench/paraphrase.py build",
        "sample": "../shared/eval/arxiv-listings-2026-03-to-05", "queries": len(queries),
        "splits": {split: counts[split] for split in SPLITS},
        "spans": "character offsets in the abstract with its whitespace collapsed; the text joins them with one space",
    }
    lines = [json.dumps(header)]
    for q in queries:
        lines.append(json.dumps({"qid": q.qid, "paper": q.paper_id, "split": q.split,
                                 "spans": [list(s) for s in q.spans], "sha256": q.sha256,
                                 "relevant": list(q.relevant)}))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def read_set(path: Path = SET_FILE) -> list[ParaphraseQuery]:
    rows = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    return [ParaphraseQuery(r["qid"], r["paper"], tuple(tuple(s) for s in r["spans"]), r["split"], r["sha256"],
                            tuple(r["relevant"])) for r in rows]


def load(split: str, sample: Path = SAMPLE, path: Path = SET_FILE):
    """(queries {qid: text}, qrels {qid: {paper id: 1}}) of one split, rebuilt from the sample; a
    query whose text does not hash as committed stops everything (the data or the set changed)."""
    if split not in SPLITS:
        raise SystemExit(f"split must be one of {SPLITS}, not {split!r}")
    abstracts = {r.id: r.abstract for r in read_sample(sample)}
    queries, qrels, wrong = {}, {}, []
    for q in read_set(path):
        if q.split != split:
            continue
        text = query_text(abstracts.get(q.paper_id, ""), q.spans)
        if _sha(text) != q.sha256:
            wrong.append(q.qid)
        queries[q.qid] = text
        qrels[q.qid] = {paper: 1 for paper in q.relevant}
    if wrong:
        raise SystemExit(f"{len(wrong)} queries of {path.name} do not match the sample in {sample} "
                         f"(first: {', '.join(wrong[:5])}): the sample is not the one the set was made from")
    return queries, qrels


def _build_command(args) -> None:
    queries = build(read_sample(args.sample))
    counts = Counter(q.split for q in queries)
    if args.check:
        same = SET_FILE.exists() and read_set() == queries
        print(f"the rule gives {len(queries)} queries ({counts['train']} train, {counts['test']} test): "
              + ("the committed set" if same else f"NOT the committed set {SET_FILE.relative_to(ROOT)}"))
        sys.exit(0 if same else 1)
    write_set(queries)
    print(f"wrote {len(queries)} queries ({counts['train']} train, {counts['test']} test) to {SET_FILE.relative_to(ROOT)}")


def _source_digest() -> str:
    """What the legs' hits depend on in code: a cache made by other code is not reused."""
    digest = hashlib.sha256()
    source = ROOT / "src" / "paperboard"
    for path in sorted([source / "services" / "search.py", source / "domain" / "analysis.py",
                        *(source / "adapters" / "search").rglob("*.py")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _index_state(ctx) -> str:
    from sqlalchemy import func, select

    from paperboard.adapters.search.keyword import statistics
    from paperboard.adapters.store.embeddings import count_embeddings
    from paperboard.adapters.store.schema import papers

    model = ctx.embedder.model_id
    with ctx.database.read(timeout_ms=60_000) as connection:
        stored = connection.execute(select(func.count()).select_from(papers)).scalar_one()
        state = (stored, count_embeddings(connection, model), *statistics.corpus(connection), model)
    return json.dumps(state)


def legs(ctx, split: str, depth: int = 100, *, fresh: bool = False, sample: Path = SAMPLE):
    """{qid: (keyword hits, semantic hits)}, each [(paper id, score)] best first, the product's
    own two legs as ``services.search.ranked_ids`` runs them, and the split's qrels. Cached in
    bench/results/paraphrase/ under a key of the set, the home, its index and the search code."""
    from paperboard.adapters.search.filters import PaperFilter
    from paperboard.adapters.search.keyword import KeywordQuery

    queries, qrels = load(split, sample)
    key = _sha(json.dumps([NAME, _sha(SET_FILE.read_text()), split, depth, str(ctx.settings.home),
                           _index_state(ctx), _source_digest()]))[:16]
    cached = CACHE / f"{NAME}-{split}-{depth}-{key}.json.gz"
    if cached.exists() and not fresh:
        with gzip.open(cached, "rt") as stored:
            found = json.load(stored)
        return {qid: ([tuple(h) for h in k], [tuple(h) for h in s]) for qid, (k, s) in found.items()}, qrels
    found = {}
    vectors = ctx.vector_index(ctx.embedder.model_id)
    with ctx.database.read(timeout_ms=600_000) as connection:
        vectors.sync(connection)
        for qid, text in _progress(queries.items(), f"legs of {split}", len(queries)):
            kq = KeywordQuery(terms=tuple(dict.fromkeys(analyze(text))))
            keyword_hits = ctx.keywords.search(connection, kq, PaperFilter(), depth, ctx.keyword_postings).hits
            semantic_hits = vectors.search(ctx.embedder.embed_query(text), depth)
            found[qid] = ([(k, float(v)) for k, v in keyword_hits], [(k, float(v)) for k, v in semantic_hits])
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(".part")
    with gzip.open(partial, "wt") as stored:
        json.dump(found, stored)
    partial.rename(cached)
    return found, qrels


def _progress(items, description: str, total: int):
    from rich.console import Console
    from rich.progress import track

    return track(items, description=description, total=total, transient=True, console=Console(stderr=True))


def first_share(run: dict[str, list[str]], qrels) -> float:
    """The share of queries whose first result is relevant."""
    return sum(bool(run[q][:1]) and qrels[q].get(run[q][0], 0) > 0 for q in qrels) / len(qrels)


def evaluate_split(ctx, split: str, modes, depth: int = 100, sample: Path = SAMPLE) -> dict[str, dict]:
    """{mode: metrics + first@1} on the split, each query ranked by ``ranked_ids``."""
    from paperboard.domain.metrics import evaluate
    from paperboard.services.search import ranked_ids

    queries, qrels = load(split, sample)
    report = {}
    for mode in modes:
        run = {qid: ranked_ids(ctx, text, mode, depth=depth)
               for qid, text in _progress(queries.items(), f"{mode} on {split}", len(queries))}
        report[mode] = {**evaluate(run, qrels), "first@1": first_share(run, qrels), "queries": len(qrels)}
    return report


def eval_command(args) -> None:
    from paperboard.services.context import default_context

    ctx = default_context()
    modes = ("bm25", "dense", "hybrid") if args.mode == "all" else (args.mode,)
    report = evaluate_split(ctx, args.split, modes, args.depth, args.sample)
    if args.json:
        print(json.dumps({"set": NAME, "split": args.split, "home": str(ctx.settings.home), "modes": report}))
        return
    print(f"{NAME} {args.split} ({next(iter(report.values()))['queries']} queries), home {ctx.settings.home}")
    for mode, m in report.items():
        print(f"  {mode:6}  nDCG@10 {m['ndcg@10']:.4f}  MRR@10 {m['mrr@10']:.4f}  R@100 {m['recall@100']:.4f}"
              f"  paper first {m['first@1']:.1%}")


def legs_command(args) -> None:
    from paperboard.services.context import default_context

    found, _ = legs(default_context(), args.split, args.depth, fresh=args.fresh, sample=args.sample)
    print(f"{len(found)} queries' legs cached in {CACHE.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser("build", help="make the set from the sample by the rule")
    build_parser.add_argument("--check", action="store_true", help="compare with the committed set, write nothing")
    for name, text in (("eval", "score the product's legs"), ("legs", "cache both legs' hits")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--split", choices=SPLITS, required=True)
        sub.add_argument("--depth", type=int, default=100)
        if name == "eval":
            sub.add_argument("--mode", choices=("bm25", "dense", "hybrid", "all"), default="all")
            sub.add_argument("--json", action="store_true", help="one JSON object instead of lines")
        else:
            sub.add_argument("--fresh", action="store_true", help="recompute even if cached")
    for sub in commands.choices.values():
        sub.add_argument("--sample", type=Path, default=SAMPLE)
    args = parser.parse_args()
    if args.command == "build":
        _build_command(args)
    else:
        (eval_command if args.command == "eval" else legs_command)(args)


if __name__ == "__main__":
    main()

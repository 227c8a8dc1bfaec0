"""``paperboard search``, ``paperboard reindex`` and ``paperboard eval beir``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from paperboard.cli.app import app
from paperboard.cli.common import console, context, print_json, stdout
from paperboard.cli.indexing import index_after_ingest
from paperboard.domain.fusion import METHODS, FusionParams
from paperboard.domain.query import SearchFilters
from paperboard.services import evaluation
from paperboard.services import search as search_service

eval_app = typer.Typer(help="Measure search quality on labelled data.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


@app.command()
def search(
    text: str = typer.Argument(..., help='The query, e.g. \'"diffusion transformer" cat:cs.CV year:2026\'.'),
    limit: int = typer.Option(20, "--limit", "-n", min=1, max=search_service.MAX_PER_PAGE, help="Results per page."),
    page: int = typer.Option(1, "--page", min=1, max=search_service.MAX_PAGE, help="Which page of results."),
    sort: str = typer.Option(None, "--sort", help="relevance, date or trending (overrides sort: in the query)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Search papers by words and meaning. Query language: "phrases", -word, author:, cat:, year:,
    from:/until:, date:A..B, has:code, sort:date."""
    ctx = context()
    results = search_service.search(ctx, text, page=page, per_page=limit, filters=SearchFilters.parse(sort=sort))
    if as_json:
        print_json(
            {
                "query": results.query.text,
                "total": results.total,
                "total_estimated": results.estimated,
                "page": results.page,
                "pages": results.pages,
                "message": results.message,
                "notes": results.notes,
                "hits": [
                    {
                        "id": hit.paper.id,
                        "title": hit.paper.title,
                        "announced": hit.paper.announced,
                        "score": round(hit.score, 6),
                        "reason": hit.reason,
                        "reason_label": hit.reason_label,
                        "upvotes": hit.item.upvotes,
                        "comments": hit.item.comment_count,
                        "featured_on": hit.item.feature.featured_on if hit.item.feature else None,
                        "snippet": hit.snippet.as_dict(),
                    }
                    for hit in results.hits
                ],
            }
        )
        return
    if results.message:
        stdout.print(escape(results.message))
        return
    if not results.hits:
        stdout.print(f"page {results.page:,} is past the last one: {results.count_label}, {results.pages:,} pages")
        return
    # The same card as the site's: the upvotes and the daily feature come with the hit.
    table = Table("id", "title", "announced", "▲", "featured", "why", show_lines=False)
    for hit in results.hits:
        feature = hit.item.feature
        table.add_row(
            hit.paper.id, _styled(hit.title), str(hit.paper.announced or ""), str(hit.item.upvotes),
            str(feature.featured_on) if feature else "", hit.reason_label,
        )
    stdout.print(table)
    first = (results.page - 1) * results.per_page + 1
    stdout.print(f"{first:,}–{first + len(results.hits) - 1:,} of {results.count_label}, page {results.page:,} of {results.pages:,}")
    for note in results.notes:
        console.print(escape(note), style="dim")


def _styled(snippet) -> Text:
    """Third-party text as a rich Text (never markup), matched words in bold."""
    styled = Text()
    for span in snippet.spans:
        styled.append(span.text, style="bold yellow" if span.marked else None)
    return styled


@app.command()
def reindex(
    embed: bool = typer.Option(True, "--embed/--no-embed", help="Also embed papers that have no vector yet."),
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON."),
) -> None:
    """Bring the search indexes up to date: keyword index, vectors. Resumable.

    Ingest commands do this as they finish; this catches up after a run with --no-embed or one that
    was interrupted."""
    ctx = context()
    counts = index_after_ingest(ctx, embed, quiet=as_json)
    if as_json:
        print_json(vars(counts))


@eval_app.command("beir")
def eval_beir(
    directory: Path = typer.Argument(..., exists=True, file_okay=False, help="A BEIR folder (corpus, queries, qrels)."),
    mode: str = typer.Option("hybrid", "--mode", help="bm25, dense or hybrid."),
    split: str = typer.Option("test", "--split", help="Which qrels: test (report) or train (tune)."),
    fusion: str = typer.Option(search_service.DEFAULT_FUSION.method, "--fusion", help=f"{' or '.join(METHODS)}."),
    semantic_weight: float = typer.Option(
        search_service.DEFAULT_FUSION.semantic_weight, "--semantic-weight", min=0.0, max=1.0,
        help="Share of the semantic leg in the fusion.",
    ),
    rrf_k: float = typer.Option(search_service.DEFAULT_FUSION.rrf_k, "--rrf-k", min=1.0, help="RRF's k."),
    coverage_power: float = typer.Option(
        search_service.DEFAULT_FUSION.coverage_power, "--coverage-power", min=0.0,
        help="adaptive: a keyword match counts its BM25 times its share of the query's words to this power.",
    ),
    weak_words_boost: float = typer.Option(
        search_service.DEFAULT_FUSION.weak_words_boost, "--weak-words-boost", min=0.0,
        help="adaptive: extra semantic share when no top keyword match holds the query's words.",
    ),
    database_url: str = typer.Option(
        None, "--database-url", help="Evaluate in this database (e.g. PostgreSQL) instead of a SQLite file under HOME/eval."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """nDCG@10, R@100 and MRR@10 of the search legs, beside the published anchors."""
    if fusion not in METHODS:
        raise typer.BadParameter(f"--fusion must be one of {', '.join(METHODS)}")
    ctx = context()
    report = evaluation.evaluate_beir(
        ctx,
        directory,
        mode=mode,
        split=split,
        fusion=FusionParams(fusion, semantic_weight, rrf_k, coverage_power, weak_words_boost),
        database_url=database_url,
        progress=lambda message: console.print(escape(message), style="dim"),
    )
    if as_json:
        print_json(report.as_dict())
        return
    table = Table("system", "nDCG@10", "R@100", "MRR@10", title=f"{directory.name} {split} ({report.queries} queries)")
    metrics = report.metrics
    label = f"paperboard {mode}" + (f" ({_fusion_label(report.fusion)})" if mode == "hybrid" else "")
    table.add_row(label, f"{metrics['ndcg@10']:.4f}", f"{metrics['recall@100']:.4f}", f"{metrics['mrr@10']:.4f}")
    for name, ndcg, recall in evaluation.ANCHORS[mode]:
        table.add_row(f"[dim]{escape(name)}[/]", f"[dim]{ndcg:.3f}[/]", f"[dim]{recall:.3f}[/]", "[dim]–[/]")
    stdout.print(table)
    stdout.print(f"[dim]index {report.seconds['index']:.1f} s, queries {report.seconds['queries']:.1f} s; {escape(report.database)}[/]")


def _fusion_label(fusion: FusionParams) -> str:
    if fusion.method == "rrf":
        return f"rrf, w={fusion.semantic_weight:g}, k={fusion.rrf_k:g}"
    if fusion.method == "minmax":
        return f"minmax, w={fusion.semantic_weight:g}"
    return f"adaptive, w={fusion.semantic_weight:g}, p={fusion.coverage_power:g}, boost={fusion.weak_words_boost:g}"

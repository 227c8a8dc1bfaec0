"""Harvest papers from arXiv: the search API by category and date, OAI-PMH by set, one paper by id.

Every page is one transaction that upserts its papers *and* saves the harvest's checkpoint, so a
killed run resumes from the last committed page: nothing is lost, and nothing is doubled (a
repeated paper merges into the stored one). A harvest that reaches its end deletes its
checkpoint in the same transaction as its last page, so running it again re-reads the window
(finding new versions) instead of doing nothing. Network waits happen between transactions,
never inside one.

The announced date: neither source says when arXiv announced a paper. The API's ``published``
and arXivRaw's v1 date are the first submission time, and ``arXiv``'s ``created`` is its day; the
UTC day of that submission stands in for the announcement, which follows on the next mailing
(usually within one working day). A listing import that knows the real date does not move it
later, because merge keeps the earliest date any source reported.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from paperboard.adapters.sources.arxiv_atom import ArxivApi, build_search_query
from paperboard.adapters.sources.oai import METADATA_NAMESPACES, OaiPage, OaiPmh
from paperboard.adapters.store import papers as paper_store
from paperboard.adapters.store.checkpoints import clear_checkpoint, load_checkpoint, save_checkpoint
from paperboard.domain.arxiv_id import InvalidArxivId, parse_arxiv_id
from paperboard.domain.paper import ImportCounts, Paper
from paperboard.errors import UserError
from paperboard.services.context import AppContext

log = logging.getLogger("paperboard.harvest")

# Small enough that a page commits every few seconds, large enough to keep calls few.
API_PAGE_SIZE = 200
# The API now and then answers a page with no entries although more exist; asking again helps.
EMPTY_PAGE_RETRIES = 2
_KEY_LIMIT = 255  # the checkpoint key column's width


@dataclass(frozen=True)
class HarvestProgress:
    """Sent after each committed page. ``done`` counts records from the start of the harvest,
    including pages a previous, interrupted run committed; ``resumed`` says there was one."""

    done: int
    total: int | None
    counts: ImportCounts
    resumed: bool


Progress = Callable[[HarvestProgress], None]


@dataclass(frozen=True)
class IndexedPaper:
    paper: Paper
    counts: ImportCounts


def harvest_arxiv_api(
    ctx: AppContext,
    categories: Sequence[str],
    date_from: date,
    date_to: date,
    max_results: int | None = None,
    *,
    page_size: int = API_PAGE_SIZE,
    on_page: Progress | None = None,
    restart: bool = False,
) -> ImportCounts:
    """Papers submitted in ``[date_from, date_to]`` to any of ``categories``, newest first, at
    most ``max_results`` of them (None: all the API will page through)."""
    if max_results is not None and max_results < 1:
        raise UserError(f"--max must be at least 1, not {max_results}")
    if page_size < 1:
        raise UserError(f"the page size must be at least 1, not {page_size}")
    categories = list(dict.fromkeys(categories))
    query = build_search_query(categories, date_from, date_to)
    key = checkpoint_key(
        "arxiv-api", cat="+".join(sorted(categories)), date_from=date_from, date_to=date_to, max=max_results
    )
    state = _starting_state(ctx, key, restart)
    start = state.get("start", 0)
    counts = ImportCounts()
    empty_answers = 0
    with ctx.arxiv_client() as client:
        api = ArxivApi(client, ctx.settings.arxiv_api_url)
        while max_results is None or start < max_results:
            wanted = page_size if max_results is None else min(page_size, max_results - start)
            feed = api.search(query, start=start, max_results=wanted)
            total = feed.total_results
            stalled = feed.entries == 0 and total is not None and start < total
            if stalled and empty_answers < EMPTY_PAGE_RETRIES:
                empty_answers += 1
                continue
            empty_answers = 0
            next_start = start + feed.entries
            if total is not None:
                finished = feed.entries == 0 or next_start >= total
            else:
                finished = feed.entries < wanted
            finished = finished or (max_results is not None and next_start >= max_results)
            if stalled:
                log.warning(
                    "arXiv API keeps answering an empty page at %d of %d results; stopping, "
                    "the next run continues from there",
                    start,
                    total,
                )
            next_state = None if finished and not stalled else {"start": next_start, "total": total}
            counts.add(_commit_page(ctx, feed.papers, feed.skipped, key, next_state))
            if on_page:
                bound = total if max_results is None or total is None else min(total, max_results)
                on_page(HarvestProgress(next_start, bound, counts, bool(state)))
            if finished:
                break
            start = next_start
    return counts


def harvest_oai(
    ctx: AppContext,
    set_spec: str | None,
    date_from: date | None,
    date_to: date | None,
    metadata_prefix: str = "arXivRaw",
    *,
    on_page: Progress | None = None,
    restart: bool = False,
) -> ImportCounts:
    """Every record of OAI-PMH set ``set_spec`` (None: all of arXiv) changed in the date window,
    following resumption tokens to the end."""
    if metadata_prefix not in METADATA_NAMESPACES:
        known = " or ".join(METADATA_NAMESPACES)
        raise UserError(f"unknown OAI-PMH metadata prefix {metadata_prefix!r} (use {known})")
    if date_from and date_to and date_from > date_to:
        raise UserError(f"the date window is empty: {date_from} is after {date_to}")
    key = checkpoint_key(
        "arxiv-oai", prefix=metadata_prefix, set=set_spec or "*", date_from=date_from, date_to=date_to
    )
    state = _starting_state(ctx, key, restart)
    done = state.get("done", 0)
    counts = ImportCounts()
    with ctx.arxiv_client() as client:
        oai = OaiPmh(client, ctx.settings.arxiv_oai_url)
        token = state.get("resumption_token")
        if token:
            page = oai.resume(token, metadata_prefix)
        else:
            page = oai.list_records(metadata_prefix, set_spec=set_spec, date_from=date_from, date_until=date_to)
        while True:
            done += page.records
            next_state = _oai_state(page, done)
            counts.add(_commit_page(ctx, page.papers, page.skipped, key, next_state))
            if on_page:
                on_page(HarvestProgress(done, page.complete_list_size, counts, bool(state)))
            if page.resumption_token is None:
                return counts
            page = oai.resume(page.resumption_token, metadata_prefix)


def index_one(ctx: AppContext, arxiv_id: str) -> IndexedPaper:
    """Fetch one paper (its latest version) through the API and store it."""
    try:
        wanted = parse_arxiv_id(arxiv_id)
    except InvalidArxivId as error:
        raise UserError(str(error)) from None
    with ctx.arxiv_client() as client:
        feed = ArxivApi(client, ctx.settings.arxiv_api_url).by_ids([wanted.base])
    found = [p for p in feed.papers if p.id == wanted.base]
    if not found:
        reasons = "; ".join(feed.skipped)
        raise UserError(f"arXiv has no paper {wanted.base}" + (f" ({reasons})" if reasons else ""))
    with ctx.database.write() as connection:
        counts = paper_store.upsert_papers(connection, found[:1])
        stored = paper_store.get_paper(connection, wanted.base)
    return IndexedPaper(stored, counts)


def checkpoint_key(source: str, **parameters) -> str:
    """``source:name=value:...``; a digest stands in for parameters too long for the key column."""
    rendered = ":".join(f"{name}={'' if value is None else value}" for name, value in parameters.items())
    key = f"{source}:{rendered}"
    if len(key) <= _KEY_LIMIT:
        return key
    return f"{source}:sha256={hashlib.sha256(rendered.encode()).hexdigest()}"


def _starting_state(ctx: AppContext, key: str, restart: bool) -> dict:
    if restart:
        _finish(ctx, key)
        return {}
    with ctx.database.read() as connection:
        return load_checkpoint(connection, key) or {}


def _commit_page(
    ctx: AppContext, papers: list[Paper], skipped: dict[str, int], key: str, next_state: dict | None
) -> ImportCounts:
    """The page's papers and the harvest's position, in one transaction; None ends the harvest."""
    with ctx.database.write() as connection:
        counts = paper_store.upsert_papers(connection, papers)
        if next_state is None:
            clear_checkpoint(connection, key)
        else:
            save_checkpoint(connection, key, next_state)
    for reason, n in skipped.items():
        counts.read += n
        counts.skip(reason, n)
    return counts


def _finish(ctx: AppContext, key: str) -> None:
    with ctx.database.write() as connection:
        clear_checkpoint(connection, key)


def _oai_state(page: OaiPage, done: int) -> dict | None:
    if page.resumption_token is None:
        return None
    return {"resumption_token": page.resumption_token, "done": done, "total": page.complete_list_size}

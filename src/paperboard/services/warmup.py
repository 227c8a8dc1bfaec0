"""Getting search ready when a server starts, so the first visitor's search doesn't pay for it.

The first start builds the embedding model's ONNX files from the model package (seconds on an idle
machine, tens of seconds on a busy one); every start loads the saved vector index and keyword
postings and brings them up to date. ``up`` and ``web`` run this on a thread beside the server:
meanwhile searches answer by words alone and say so (``AppContext.embedder_if_ready``).
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable

from paperboard.errors import UserError
from paperboard.services.context import AppContext

log = logging.getLogger("paperboard.warmup")

STARTING = (
    "preparing search: the embedding model (the first start builds it from the model package: "
    "seconds, up to a minute on a busy machine) and the search indexes; until then search matches words only"
)


def warm_up(ctx: AppContext) -> str:
    """Build or load the model, then load the indexes; a line saying what is ready."""
    started = time.monotonic()
    keywords = ctx.keywords
    postings = ctx.keyword_postings
    while True:  # bounded reads, as the catch-up does; nothing is saved here (the catch-up saves)
        before = postings.watermark
        with ctx.database.read() as connection:
            done = keywords.sync_postings(connection, postings, limit=100_000)
        if done or postings.watermark == before:
            break
    with ctx.database.read() as connection:
        keywords.know_identities(connection, postings)  # each doc id's paper, for the match sets
    try:
        embedder = ctx.embedder
    except UserError as error:
        settle_heap()
        return f"search ready by words only ({time.monotonic() - started:.1f} s); search by meaning is off: {error}"
    vectors = ctx.vector_index(embedder.model_id)
    with ctx.database.read() as connection:
        vectors.sync(connection, graph_in_background=True)  # searches go on meanwhile
    settle_heap()
    return f"search ready in {time.monotonic() - started:.1f} s: words and meaning ({len(vectors):,} papers embedded)"


def settle_heap() -> None:
    """What start-up made (modules, the model's session, the indexes' Python objects) lives as
    long as the process: it is moved out of the cyclic garbage collector's reach (``gc.freeze``),
    so a full collection walks only what came after. Otherwise one every few dozen searches walked
    every object of the process, 30-75 ms added to that search on 2 busy cores: the sample's p99
    (bench/search_latency.py, which settles its heap the same way before measuring)."""
    gc.collect()
    gc.freeze()


def start_warm_up(ctx: AppContext, say: Callable[[str], None]) -> threading.Thread:
    """Run ``warm_up`` on a daemon thread; ``say`` gets the line it ends with (or why it failed)."""
    say(STARTING)

    def run() -> None:
        try:
            say(warm_up(ctx))
        except Exception as error:  # noqa: BLE001 - the server runs on; the first search retries
            log.exception("search warm-up failed")
            say(f"preparing search failed ({error}); searches will try again")

    thread = threading.Thread(target=run, name="paperboard-warm-up", daemon=True)
    thread.start()
    return thread

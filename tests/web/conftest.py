"""A site on a real database seeded with real papers from the arXiv listings sample.

Every third paper announced 2026-04-01 … 2026-04-15 (about 1,100 would be too many; a few hundred
keep the suite fast) is imported through the real import service; then a handful are featured on
three days, leaving a gap day to prove that previous/next navigation skips empty days. Two made-up
papers are added: one with HTML and script in every text field (XSS), one with an old-style id.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from datetime import date
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from paperboard.adapters.store import features as feature_store
from paperboard.adapters.store import papers as paper_store
from paperboard.adapters.store.database import Database
from paperboard.adapters.store.migrate import upgrade
from paperboard.domain.paper import DailyFeature, Paper
from paperboard.services.context import AppContext
from paperboard.services.imports import import_files
from paperboard.services.indexing import index_papers
from paperboard.settings import Settings
from paperboard.web.app import create_app
from tests.conftest import LISTINGS, new_postgres_database
from tests.fakes_arxiv import ApiCorpus, FakeArxiv

SOURCE = LISTINGS / "papers-2026-04-a.jsonl.gz"
EVERY_NTH = 3
# Days with features; 2026-04-07 stays empty on purpose.
FEATURED_DAYS = (date(2026, 4, 6), date(2026, 4, 8), date(2026, 4, 13))
PER_DAY = 8
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
XSS_ID = "2604.99999"
OLD_ID = "hep-th/9901001"
# The feature-hashing embedder: the web tests exercise pages around search, not the model's
# semantics (tests/adapters and the search service's own tests cover those), and it takes no time.
_SITE_SETTINGS = {"embedding_model": "hashing"}


@pytest.fixture(scope="session")
def listing_records() -> list[dict]:
    with gzip.open(SOURCE, "rt", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    return records[::EVERY_NTH]


def _seed(database: Database, records: list[dict], folder: Path) -> dict:
    upgrade(database)
    subset = folder / "subset.jsonl"
    subset.write_text("".join(json.dumps(r) + "\n" for r in records))
    ctx = AppContext(Settings(**_SITE_SETTINGS, home=folder / "home", database_url=database.url.render_as_string(hide_password=False)))
    import_files(ctx, [subset])
    featured: dict[date, list[tuple[str, int]]] = {}
    rows = []
    for day_index, day in enumerate(FEATURED_DAYS):
        chosen = [r["id"] for r in records if r["listing_date"] == day.isoformat()][:PER_DAY]
        featured[day] = [(paper_id, 10 * (day_index + 1) + rank) for rank, paper_id in enumerate(chosen)]
        rows += [DailyFeature(pid, day, f"user{day_index}", votes, "test") for pid, votes in featured[day]]
    xss = Paper(
        id=XSS_ID,
        title=f"Attention {XSS} is all you need",
        abstract=f"We study transformers. {XSS} The model $O(n^2)$ attention & <b>bold</b> claims.",
        authors=(f"Mallory {XSS}", "Alice Example"),
        categories=("cs.CL",),
        announced=date(2026, 4, 13),
        comment=f"code at https://github.com/example/attention {XSS}",
        source="test",
    )
    old = Paper(id=OLD_ID, title="An old-style string theory paper", abstract="Strings in old-style ids.",
                authors=("Edward Example",), categories=("hep-th",), announced=date(1999, 1, 4), source="test")
    with database.write() as connection:
        paper_store.upsert_papers(connection, [xss, old])
        feature_store.upsert_features(connection, rows + [DailyFeature(XSS_ID, date(2026, 4, 13), f"eve{XSS}", 99, "test")])
    index_papers(ctx)  # keyword index and vectors: search and similar papers on real text
    return {"featured": featured, "records": records, "ctx": ctx}


@pytest.fixture(scope="session")
def _seeded_databases(tmp_path_factory, listing_records):
    """Seeds a database per engine on first use and keeps it for the session."""
    made: dict[str, dict] = {}

    def get(engine: str, request) -> dict:
        if engine not in made:
            folder = tmp_path_factory.mktemp(f"site-{engine}")
            if engine == "sqlite":
                url = f"sqlite:///{folder / 'paperboard.db'}"
            else:
                url = new_postgres_database(request.getfixturevalue("postgres_server"))
            database = Database(url)
            made[engine] = {**_seed(database, listing_records, folder), "url": url, "home": folder / "home"}
            database.dispose()
        return made[engine]

    return get


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def seeded(request, _seeded_databases) -> dict:
    """A seeded database (made once per engine per session) and what was put in it."""
    return _seeded_databases(request.param, request)


@pytest.fixture
def seeded_sqlite(request, _seeded_databases) -> dict:
    return _seeded_databases("sqlite", request)


@pytest.fixture(scope="session")
def fake_arxiv():
    """arXiv's API on 127.0.0.1, knowing no papers unless a test adds some: on-demand indexing
    of an unknown id never leaves the machine."""
    with FakeArxiv() as server:
        server.api = ApiCorpus({})
        yield server


def make_ctx(seeded: dict, arxiv: FakeArxiv, **overrides) -> AppContext:
    values = dict(
        _SITE_SETTINGS,
        home=seeded["home"],
        database_url=seeded["url"],
        base_url="http://testserver",
        secret_key="t" * 40,
        arxiv_api_url=arxiv.api_url,
        arxiv_delay_seconds=0,
        http_max_retries=0,
    )
    values.update(overrides)
    return AppContext(Settings(**values))


@pytest.fixture
def site(seeded, fake_arxiv) -> TestClient:
    """An in-process client of the site on the seeded database."""
    ctx = make_ctx(seeded, fake_arxiv)
    with TestClient(create_app(ctx), follow_redirects=False) as client:
        yield client
    ctx.database.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """uvicorn in a thread on 127.0.0.1 and a free port; stopped when the test ends."""

    def __init__(self, app) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("the test server did not start")

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_site(seeded, fake_arxiv):
    ctx = make_ctx(seeded, fake_arxiv)
    with LiveServer(create_app(ctx)) as server:
        yield server
    ctx.database.dispose()

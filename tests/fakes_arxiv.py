"""A real HTTP server on 127.0.0.1 that plays arXiv's API and OAI-PMH endpoints from test-built XML.

Tests build documents with the helpers below (``atom_entry``, ``oai_response``, ...), then tell the
server what to answer: a paging corpus (``ApiCorpus``), a resumption-token chain (``OaiChain``),
or one-off replies queued in front of them (a 503 with Retry-After, a body cut short, ...).
Every request is recorded, so tests assert what the client asked for and how often.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape, quoteattr

ATOM_TYPE = "application/atom+xml; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"


@dataclass
class Request:
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    received_at: float = field(default_factory=time.monotonic)


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = XML_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    # Announce the whole body in Content-Length, send only this many bytes, then hang up.
    cut_after: int | None = None
    # Hold the answer until the test sets this event (the kill -9 test parks a request here).
    gate: threading.Event | None = None
    delay_seconds: float = 0.0


class FakeArxiv:
    """``api_url`` and ``oai_url`` answer from ``queue`` first, then from the ``api``/``oai`` handlers."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.api: Callable[[Request], Reply] = lambda request: Reply(404, b"no API corpus set")
        self.oai: Callable[[Request], Reply] = lambda request: Reply(404, b"no OAI chain set")
        self._queued: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/query"

    @property
    def oai_url(self) -> str:
        return f"{self.base_url}/oai"

    def queue(self, *replies: Reply) -> None:
        with self._lock:
            self._queued.extend(replies)

    def requests_to(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def start(self) -> "FakeArxiv":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "FakeArxiv":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _answer(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self._queued:
                return self._queued.popleft()
        if request.path == "/api/query":
            return self.api(request)
        if request.path == "/oai":
            return self.oai(request)
        return Reply(404, b"not found", "text/plain")


def _handler_for(fake: FakeArxiv) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
            parts = urlsplit(self.path)
            params = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            reply = fake._answer(Request(parts.path, params, dict(self.headers)))
            if reply.gate is not None:
                reply.gate.wait()
            if reply.delay_seconds:
                threading.Event().wait(reply.delay_seconds)
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Connection", "close")
                self.end_headers()
                sent = reply.body if reply.cut_after is None else reply.body[: reply.cut_after]
                self.wfile.write(sent)
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client is gone (the kill -9 test); nothing to answer
            self.close_connection = True

        def log_message(self, *args) -> None:
            pass

    return Handler


# -- Atom (the search API) -----------------------------------------------------------------------
def atom_entry(
    arxiv_id: str,
    *,
    version: int = 1,
    title: str | None = None,
    summary: str = "An abstract.",
    authors: Sequence[str] = ("Ada Lovelace", "Alan Turing"),
    categories: Sequence[str] = ("cs.CL",),
    primary: str | None = None,
    published: str = "2024-01-02T18:59:59Z",
    updated: str | None = None,
    comment: str | None = None,
    journal_ref: str | None = None,
    doi: str | None = None,
    raw_id: str | None = None,
    abs_link: str | None = None,
    pdf_link: str | None = None,
) -> str:
    """One ``<entry>`` as arXiv writes it; ``raw_id`` replaces the id URL (to make it malformed),
    ``abs_link`` and ``pdf_link`` the hrefs of its two links (a hostile answer's)."""
    abs_url = f"http://arxiv.org/abs/{arxiv_id}v{version}"
    pdf_url = f"http://arxiv.org/pdf/{arxiv_id}v{version}"
    parts = [
        "<entry>",
        f"<id>{escape(raw_id if raw_id is not None else abs_url)}</id>",
        f"<updated>{updated or published}</updated>",
        f"<published>{published}</published>",
        f"<title>{escape(title or f'Paper {arxiv_id}')}</title>",
        f"<summary>{escape(summary)}</summary>",
        *(f"<author><name>{escape(a)}</name></author>" for a in authors),
    ]
    if doi:
        parts.append(f"<arxiv:doi>{escape(doi)}</arxiv:doi>")
    parts.append(f'<link href={quoteattr(abs_link if abs_link is not None else abs_url)} rel="alternate" type="text/html"/>')
    parts.append(f'<link title="pdf" href={quoteattr(pdf_link if pdf_link is not None else pdf_url)} rel="related" type="application/pdf"/>')
    if comment:
        parts.append(f"<arxiv:comment>{escape(comment)}</arxiv:comment>")
    if journal_ref:
        parts.append(f"<arxiv:journal_ref>{escape(journal_ref)}</arxiv:journal_ref>")
    parts.append(f'<arxiv:primary_category term="{primary or categories[0]}" scheme="http://arxiv.org/schemas/atom"/>')
    parts.extend(f'<category term="{c}" scheme="http://arxiv.org/schemas/atom"/>' for c in categories)
    parts.append("</entry>")
    return "\n".join(parts)


def atom_feed(entries: Sequence[str], *, total: int | None = None, start: int = 0) -> bytes:
    total = len(entries) if total is None else total
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom" '
        'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">\n'
        "<id>https://arxiv.org/api/fake</id><title>arXiv Query</title>"
        "<updated>2024-01-05T00:00:00Z</updated>\n"
        f"<opensearch:itemsPerPage>{len(entries)}</opensearch:itemsPerPage>\n"
        f"<opensearch:totalResults>{total}</opensearch:totalResults>\n"
        f"<opensearch:startIndex>{start}</opensearch:startIndex>\n" + "\n".join(entries) + "\n</feed>\n"
    ).encode()


def atom_error(message: str) -> bytes:
    entry = (
        "<entry><id>http://arxiv.org/api/errors#incorrect_id_format</id><title>Error</title>"
        f"<summary>{escape(message)}</summary><updated>2024-01-05T00:00:00Z</updated>"
        '<link href="http://arxiv.org/api/errors#incorrect_id_format" rel="alternate" type="text/html"/>'
        "<author><name>arXiv api core</name></author></entry>"
    )
    return atom_feed([entry], total=1)


class ApiCorpus:
    """Answers ``search_query`` with start/max_results paging and ``id_list`` by id."""

    def __init__(self, entries: dict[str, str]) -> None:
        self.entries = entries

    def __call__(self, request: Request) -> Reply:
        if request.params.get("id_list"):
            wanted = request.params["id_list"].split(",")
            found = [self.entries[i] for i in wanted if i in self.entries]
            return Reply(body=atom_feed(found), content_type=ATOM_TYPE)
        start = int(request.params.get("start", 0))
        size = int(request.params.get("max_results", 10))
        page = list(self.entries.values())[start : start + size]
        return Reply(body=atom_feed(page, total=len(self.entries), start=start), content_type=ATOM_TYPE)


# -- OAI-PMH ---------------------------------------------------------------------------------------
def raw_record(
    arxiv_id: str,
    *,
    versions: Sequence[str] = ("Tue, 2 Jan 2024 18:59:59 GMT",),
    title: str | None = None,
    authors: str = "Ada Lovelace, Alan Turing",
    categories: str = "cs.CL cs.AI",
    abstract: str = "An abstract.",
    comments: str | None = None,
    journal_ref: str | None = None,
    doi: str | None = None,
) -> str:
    """An arXivRaw record; ``versions`` are the dates of v1, v2, ..."""
    parts = [
        f"<record><header><identifier>oai:arXiv.org:{arxiv_id}</identifier>"
        "<datestamp>2024-01-03</datestamp><setSpec>cs</setSpec></header><metadata>",
        '<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/">',
        f"<id>{escape(arxiv_id)}</id><submitter>Ada Lovelace</submitter>",
        *(
            f'<version version="v{n}"><date>{d}</date><size>12kb</size><source_type>D</source_type></version>'
            for n, d in enumerate(versions, start=1)
        ),
        f"<title>{escape(title or f'Paper {arxiv_id}')}</title>",
        f"<authors>{escape(authors)}</authors>",
        f"<categories>{categories}</categories>",
    ]
    parts += _optional(comments=comments, **{"journal-ref": journal_ref, "doi": doi})
    parts += [f"<abstract>{escape(abstract)}</abstract>", "</arXivRaw></metadata></record>"]
    return "".join(parts)


def arxiv_record(
    arxiv_id: str,
    *,
    created: str = "2024-01-02",
    updated: str | None = None,
    title: str | None = None,
    authors: Sequence[tuple[str, str]] = (("Lovelace", "Ada"), ("Turing", "Alan")),
    categories: str = "cs.CL cs.AI",
    abstract: str = "An abstract.",
    doi: str | None = None,
) -> str:
    """An ``arXiv``-format record; ``authors`` are (keyname, forenames) pairs."""
    people = "".join(
        f"<author><keyname>{escape(k)}</keyname><forenames>{escape(f)}</forenames></author>" for k, f in authors
    )
    parts = [
        f"<record><header><identifier>oai:arXiv.org:{arxiv_id}</identifier>"
        "<datestamp>2024-01-03</datestamp><setSpec>cs</setSpec></header><metadata>",
        '<arXiv xmlns="http://arxiv.org/OAI/arXiv/">',
        f"<id>{escape(arxiv_id)}</id><created>{created}</created>",
        f"<updated>{updated}</updated>" if updated else "",
        f"<authors>{people}</authors><title>{escape(title or f'Paper {arxiv_id}')}</title>",
        f"<categories>{categories}</categories>",
        *_optional(doi=doi),
        f"<abstract>{escape(abstract)}</abstract></arXiv></metadata></record>",
    ]
    return "".join(parts)


def deleted_record(arxiv_id: str) -> str:
    return (
        f'<record><header status="deleted"><identifier>oai:arXiv.org:{arxiv_id}</identifier>'
        "<datestamp>2024-01-03</datestamp></header></record>"
    )


def oai_response(
    records: Sequence[str], *, token: str | None = None, complete_size: int | None = None, last_page: bool = False
) -> bytes:
    """ListRecords; ``token`` continues the list, ``last_page`` ends a chain with an empty token."""
    token_element = ""
    if token is not None or last_page:
        size = f" completeListSize={quoteattr(str(complete_size))}" if complete_size is not None else ""
        token_element = f"<resumptionToken{size}>{escape(token or '')}</resumptionToken>"
    return _oai_envelope(f"<ListRecords>{''.join(records)}{token_element}</ListRecords>")


def oai_error(code: str, message: str) -> bytes:
    return _oai_envelope(f"<error code={quoteattr(code)}>{escape(message)}</error>")


class OaiChain:
    """A ListRecords answer split into pages linked by tokens ``page-2``, ``page-3``, ...

    ``gates`` maps a page number to an event the server waits for before answering that page.
    """

    def __init__(self, pages: Sequence[Sequence[str]], *, delay_seconds: float = 0.0) -> None:
        self.pages = [list(p) for p in pages]
        self.delay_seconds = delay_seconds
        self.gates: dict[int, threading.Event] = {}

    @property
    def size(self) -> int:
        return sum(len(p) for p in self.pages)

    def __call__(self, request: Request) -> Reply:
        token = request.params.get("resumptionToken")
        if token is None:
            number = 1
        elif token.startswith("page-") and token[5:].isdigit() and 2 <= int(token[5:]) <= len(self.pages):
            number = int(token[5:])
        else:
            return Reply(body=oai_error("badResumptionToken", f"unknown token {token}"))
        is_last = number == len(self.pages)
        body = oai_response(
            self.pages[number - 1],
            token=None if is_last else f"page-{number + 1}",
            complete_size=self.size,
            last_page=is_last and len(self.pages) > 1,
        )
        return Reply(body=body, gate=self.gates.get(number), delay_seconds=self.delay_seconds)


def _oai_envelope(inner: str) -> bytes:
    now = datetime(2024, 1, 5, 12, 0, 0).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        f'<responseDate>{now}</responseDate><request verb="ListRecords">http://fake/oai</request>'
        f"{inner}</OAI-PMH>\n"
    ).encode()


def _optional(**fields: str | None) -> list[str]:
    return [f"<{name}>{escape(value)}</{name}>" for name, value in fields.items() if value]

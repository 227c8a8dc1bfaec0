"""Hostile input: links (item 1), crafted records (5), unbounded memory (6) and far dates (9).

Each check returns ``Outcome`` lines; a FINDING says what was seen, with the request that showed it.
"""

from __future__ import annotations

import http.client
import json
import re
import select
import socket
import threading
import time
import zlib
from html import unescape
from urllib.parse import quote, urlsplit

from attack_site import DAY, Site, paper_id, write_jsonl
from lxml import html as lxml_html
from outcome import Outcome, verdict

from tests.fakes_arxiv import ATOM_TYPE, ApiCorpus, Reply, atom_entry
from tests.hostile_links import HOSTILE_LINKS

LISTED = [f"2605.{90100 + n}" for n in range(len(HOSTILE_LINKS))]
EXPORTED = [f"2605.{90200 + n}" for n in range(len(HOSTILE_LINKS))]
# XML 1.0 cannot carry C0 controls other than tab and line ends: an Atom answer with one is
# malformed and refused whole, so those links come in through the files only.
IN_XML = [link for link in HOSTILE_LINKS if not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", link)]
INGESTED = [f"2605.{90400 + n}" for n in range(len(IN_XML))]
FETCHED = "2605.90007"  # fetched on demand by its page, as in the issue
MARKS = ("javascript", "vbscript", "data:text", "evil.example", "alert(", "msgbox")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_BAD_CHARS = re.compile(r"[\x00-\x20\x7f\\\u00a0\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_HOST = re.compile(r"[A-Za-z0-9.-]+(:\d{1,5})?")


# -- item 1: links ------------------------------------------------------------------------------
def harmless(url: str) -> bool:
    """Our own rule, independent of the site's: a same-site path, or absolute http(s) to a plain host."""
    if _BAD_CHARS.search(url):
        return False
    if not _SCHEME.match(url):  # relative: a path on this site, never //host or /\host
        return not url.startswith(("//", "/\\"))
    if url.startswith("mailto:"):
        return True
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(_HOST.fullmatch(parts.netloc))


def payload_marks(text: str) -> list[str]:
    lowered = unescape(unescape(text)).lower()
    return [mark for mark in MARKS if mark in lowered]


def html_problems(text: str) -> list[str]:
    document = lxml_html.document_fromstring(text)
    problems = [f"{el.tag} {name}={value!r}" for el in document.iter() if isinstance(el.tag, str)
                for name, value in el.attrib.items()
                if name in ("href", "src", "action", "formaction", "poster", "srcset") and not harmless(value)]
    return problems + [f"text holds {mark!r}" for mark in payload_marks(text)]


def feed_problems(text: str) -> list[str]:
    urls = re.findall(r'(?:href|src|url)="([^"]*)"', text) + re.findall(r"<(?:link|guid|id|comments)[^>]*>([^<]*)<", text)
    urls += re.findall(r'(?:href|src)="([^"]*)"', unescape(text))  # links inside escaped HTML descriptions
    problems = [f"link {u!r}" for u in urls if u.strip() and not harmless(unescape(u).strip())]
    return problems + [f"text holds {mark!r}" for mark in payload_marks(text)]


def json_problems(text: str) -> list[str]:
    strings: list[str] = []

    def walk(value) -> None:
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(json.loads(text))
    urls = [s for s in strings if _SCHEME.match(s) or s.startswith("//")]
    return [f"URL {u!r}" for u in urls if not harmless(u)] + [f"holds {m!r}" for m in payload_marks(text)]


def markdown_problems(text: str) -> list[str]:
    urls = re.findall(r"\]\(([^)\s]*)", text) + re.findall(r"<([^>\s]+:[^>\s]*)>", text)
    urls += re.findall(r"(?:https?|javascript|data|vbscript):[^\s)>\]]*", text, re.IGNORECASE)
    return [f"URL {u!r}" for u in urls if not harmless(u)] + [f"holds {m!r}" for m in payload_marks(text)]


def scan(client, path: str) -> list[str]:
    response = client.get(path)
    if response.status_code != 200:
        return [f"{path}: {response.status_code}"]
    kind = response.headers.get("content-type", "")
    if "json" in kind:
        problems = json_problems(response.text)
    elif "xml" in kind:
        problems = feed_problems(response.text)
    elif path.endswith(".md") or "markdown" in kind:
        problems = markdown_problems(response.text)
    else:
        problems = html_problems(response.text)
    return [f"{path}: {p}" for p in problems]


def _paper_surfaces(site: Site, ids: list[str]) -> list[str]:
    with site.client() as client:
        return [p for pid in ids for path in (f"/papers/{pid}", f"/papers/{pid}.md", f"/api/papers/{pid}") for p in scan(client, path)]


def _summary(problems: list[str], pages: int) -> str:
    if not problems:
        return f"no hostile link in {pages} answers"
    return f"{len(problems)} hostile: {problems[0]}" + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else "")


def hostile_links(site: Site) -> list[Outcome]:
    listed = [{"id": pid, "title": f"Quokka listed paper {n}", "abstract": "About quokkas and attention.", "authors": ["A. Author"],
               "categories": ["cs.CL"], "listing_date": DAY, "abs_url": bad} for n, (pid, bad) in enumerate(zip(LISTED, HOSTILE_LINKS))]
    exported = [{"id": pid, "title": f"Quokka exported paper {n}", "abstract": "About quokkas.", "categories": ["cs.CL"],
                 "announced": DAY, "abs_url": bad, "pdf_url": bad, "project_url": bad, "code_urls": [bad, "https://github.com/ok/repo"],
                 "huggingface_urls": [bad], "feature": {"featured_on": DAY, "upvotes": 3}}
                for n, (pid, bad) in enumerate(zip(EXPORTED, HOSTILE_LINKS))]
    header = {"format": "paperboard/1", "exported_at": "2026-05-29T12:00:00", "papers": len(exported)}
    outcomes = []
    for name, path, ids in (
        ("a listings file", write_jsonl(site.folder / "hostile-listings.jsonl", listed), LISTED),
        ("an export file", write_jsonl(site.folder / "hostile-export.jsonl", exported, header), EXPORTED),
    ):
        ran = site.cli("import", str(path))
        problems = _paper_surfaces(site, ids) if ran.code in (0, 1) else [f"import exited {ran.code}: {ran.error_lines[-1:]}"]
        outcomes.append(verdict(1, f"links from {name}", not problems, _summary(problems, 3 * len(ids))))

    entries = {pid: atom_entry(pid, title=f"Quokka fetched paper {n}", abs_link=bad, pdf_link=bad, published="2026-05-28T12:00:00Z")
               for n, (pid, bad) in enumerate(zip(INGESTED, IN_XML))}
    entries[FETCHED] = atom_entry(FETCHED, title="Quokka fetched on demand", abs_link="javascript:alert(document.domain)//2605.90007",
                                  pdf_link="data:text/html,<script>alert(1)</script>", published="2026-05-28T12:00:00Z")
    site.arxiv.api = ApiCorpus({pid: entry for pid, entry in entries.items() if pid != FETCHED})
    ran = site.cli("ingest", "arxiv", "-c", "cs.CL", "--from", "2026-05-27", "--until", "2026-05-28")
    problems = [f"ingest arxiv exited {ran.code}: {ran.error_lines[-1:]}"] if ran.code != 0 else []
    site.arxiv.api = ApiCorpus(entries)
    with site.client() as client:
        fetched = client.get(f"/papers/{FETCHED}")
    problems += [] if fetched.status_code == 200 else [f"/papers/{FETCHED} fetched on demand: {fetched.status_code}"]
    problems += _paper_surfaces(site, INGESTED + [FETCHED])
    outcomes.append(verdict(1, "links from an arXiv API answer (ingest, on demand)", not problems,
                            _summary(problems, 3 * len(INGESTED) + 3)))

    lists = [f"/papers?date={DAY}", "/", "/papers/trending", "/papers?q=quokka", f"/papers/feed.rss?date={DAY}",
             f"/papers/feed.atom?date={DAY}", "/papers/feed.rss?q=quokka", "/papers/feed.atom?q=quokka",
             "/papers/trending/feed.rss", "/papers/trending/feed.atom", f"/api/daily_papers?date={DAY}",
             "/api/papers/search?q=quokka"]
    with site.client() as client:
        problems = [p for path in lists for p in scan(client, path)]
    exported_file = site.folder / "export-out.jsonl"
    ran = site.cli("export", str(exported_file))
    if ran.code != 0:
        problems.append(f"export exited {ran.code}")
    else:
        text = exported_file.read_text()
        problems += [f"paperboard export: holds {m!r}" for m in payload_marks(text)]
    outcomes.append(verdict(1, "links in lists, feeds, search, API lists, export", not problems, _summary(problems, len(lists) + 1)))
    return outcomes


# -- item 5: crafted records ----------------------------------------------------------------------
REPEATED_ID, NEAR_CAP_ID, HUGE_ID, FIRST_ID = "2605.90600", "2605.90601", "2605.90602", "2605.90603"


def _record(pid: str, abstract: str) -> dict:
    return {"id": pid, "title": f"Crafted record {pid}", "abstract": abstract, "authors": ["C. Rafter"], "categories": ["cs.LG"],
            "listing_date": DAY}


def _one_line_refusal(ran, pid: str) -> tuple[bool, str]:
    """Skipped and named in one line (by id, or by file and line when too long to be read), exit 1."""
    named = [line.strip() for line in ran.error_lines if pid in line or re.search(r"\bline \d", line)]
    clean = "Traceback" not in ran.err and "MemoryError" not in ran.err
    return ran.code == 1 and len(named) == 1 and clean, named[0] if named else (ran.error_lines or ["nothing said"])[-1]


def crafted_records(site: Site) -> list[Outcome]:
    outcomes = []
    unit = "transformer zyzzyva "
    repeated = (unit * (240_000 // len(unit) + 1))[:240_000]
    ran = site.cli("import", str(write_jsonl(site.folder / "repeated.jsonl", [_record(REPEATED_ID, repeated)])))
    refused, said = _one_line_refusal(ran, REPEATED_ID)
    if ran.code != 0:
        outcomes.append(verdict(5, "240 KB repetitive abstract", refused, f"refused at import in one line: {said[:150]}"))
    near_cap = (unit * (99_000 // len(unit) + 1))[:99_000]
    ran = site.cli("import", str(write_jsonl(site.folder / "near-cap.jsonl", [_record(NEAR_CAP_ID, near_cap)])))
    searched_id = REPEATED_ID if not outcomes else NEAR_CAP_ID
    problems, timings = [], []
    if ran.code != 0:
        problems.append(f"a 99,000-character abstract was refused: {ran.error_lines[-1:]}")
    with site.client(timeout=120) as client:
        for query in ("transformer", "transformer zyzzyva", '"zyzzyva transformer"', "transformer -zyzzyva", "zyzzyva"):
            for path in (f"/papers?q={quote(query)}", f"/api/papers/search?q={quote(query)}"):
                started = time.monotonic()
                response = client.get(path)
                timings.append((time.monotonic() - started, path))
                if response.status_code != 200:
                    problems.append(f"{path}: {response.status_code}")
        found = client.get("/api/papers/search?q=zyzzyva").text
    if searched_id not in found:
        problems.append(f"{searched_id} not found by a search for its word")
    slowest, slowest_path = max(timings)
    if slowest > 5:
        problems.append(f"{slowest_path} took {slowest:.1f} s")
    ran = site.cli("search", "transformer zyzzyva", timeout=120)
    if ran.code != 0 or ran.seconds > 30:
        problems.append(f"paperboard search: exit {ran.code} after {ran.seconds:.1f} s")
    what = "240 KB" if searched_id == REPEATED_ID else "99,000-character (just under the cap)"
    outcomes.append(verdict(5, f"{what} repetitive abstract searchable", not problems,
                            problems[0] if problems else f"10 searches, slowest {slowest:.2f} s ({slowest_path}); CLI search {ran.seconds:.1f} s"))

    huge = site.folder / "huge.jsonl"  # a good record first, so the file's format is told and the huge one is skipped
    write_jsonl(huge, [_record(FIRST_ID, "A normal abstract."), _record(HUGE_ID, (unit * (50_000_000 // len(unit) + 1))[:50_000_000])])
    ran = site.cli("import", str(huge), timeout=300)
    refused, said = _one_line_refusal(ran, HUGE_ID)
    with site.client() as client:
        stored = client.get(f"/api/papers/{HUGE_ID}").status_code == 200
    ok = refused and not stored and ran.max_rss_mib < 1024
    outcomes.append(verdict(5, "50 MB abstract refused at import", ok,
                            f"exit {ran.code} in {ran.seconds:.1f} s, peak RSS {ran.max_rss_mib:.0f} MiB"
                            + (", stored anyway" if stored else "") + f": {said[:150]}"))
    huge.unlink()
    return outcomes


# -- item 6: unbounded memory ---------------------------------------------------------------------
def _post_huge_body(site: Site, path: str, total: int, chunked: bool) -> tuple[int | None, float, float]:
    """POST ``total`` bytes of JSON while sampling the server's RSS; (status, RSS before, peak)."""
    before = peak = site.rss_mib()
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, site.rss_mib())
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    chunk = b"a" * 2**20
    status = None
    with socket.create_connection(("127.0.0.1", site.port), timeout=120) as sock:
        framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}"
        opening = b'{"body": "'
        sock.sendall((f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{site.port}\r\nAuthorization: Bearer {site.token}\r\n"
                      f"Content-Type: application/json\r\n{framing}\r\n\r\n").encode()
                     + (b"%x\r\n%s\r\n" % (len(opening), opening) if chunked else opening))
        sent = 0
        try:
            while sent < total and not select.select([sock], [], [], 0)[0]:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                sent += len(chunk)
        except OSError:
            pass  # the server hung up: what it answered, if anything, is still readable
        try:
            first = sock.recv(4096)
            status = int(first.split(b" ", 2)[1]) if first.startswith(b"HTTP/") else None
        except OSError:
            status = None
    time.sleep(0.5)
    done.set()
    sampler.join()
    return status, before, peak


def _bomb() -> bytes:
    """About 2 MB of gzip that inflate to 2 GB of spaces."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    block = b" " * 2**20
    return b"".join(compressor.compress(block) for _ in range(2048)) + compressor.flush()


def unbounded_memory(site: Site) -> list[Outcome]:
    outcomes = []
    path = f"/api/papers/{paper_id(0)}/comments"
    for chunked in (False, True):
        status, before, peak = _post_huge_body(site, path, 200 * 2**20, chunked)
        how = "chunked" if chunked else "with Content-Length"
        outcomes.append(verdict(6, f"200 MB JSON body {how}", status == 413 and peak - before < 64,
                                f"answer {status}, server RSS {before:.0f} -> peak {peak:.0f} MiB"))
    bomb = _bomb()
    site.arxiv.api = lambda request: Reply(body=bomb, content_type=ATOM_TYPE, headers={"Content-Encoding": "gzip"})
    ran = site.cli("ingest", "arxiv", "-c", "cs.CL", "--from", "2026-05-20", "--until", "2026-05-21", timeout=300)
    clean = "Traceback" not in ran.err and "MemoryError" not in ran.err and len(ran.error_lines) == 1
    said = re.sub(r"https?://\S+", "URL", ran.error_lines[-1])[:160] if ran.error_lines else "nothing on stderr"
    outcomes.append(verdict(6, "gzip bomb as arXiv's answer to ingest", ran.code != 0 and clean and ran.max_rss_mib < 512,
                            f"exit {ran.code}, {len(ran.error_lines)} line(s), peak RSS {ran.max_rss_mib:.0f} MiB: {said}"))
    before = site.rss_mib()
    with site.client() as client:
        page = client.get("/papers/2605.99990")
        alive = client.get("/healthz").status_code
    grew = site.rss_mib() - before
    outcomes.append(verdict(6, "gzip bomb as arXiv's answer to an on-demand page",
                            page.status_code != 500 and alive == 200 and grew < 64,
                            f"answer {page.status_code}, then /healthz {alive}; server RSS +{grew:.0f} MiB"))
    site.arxiv.api = ApiCorpus({})
    return outcomes


# -- item 9: far dates ---------------------------------------------------------------------------
FAR_DATES = ["/papers?date=9999-12-31", "/papers?week=9999-W52", "/papers?month=9999-12", "/api/daily_papers?date=9999-12-31",
             "/papers/feed.rss?date=9999-12-31", "/papers?q=from:9999-12-31", "/api/papers/search?q=until:0001-01-01",
             "/papers?date=0001-01-01", "/papers?week=0001-W01"]


def far_dates(site: Site) -> list[Outcome]:
    problems, statuses = [], []
    connection = http.client.HTTPConnection("127.0.0.1", site.port, timeout=30)
    for path in FAR_DATES:
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as error:
            problems.append(f"{path}: {type(error).__name__}")
            connection.close()
            continue
        statuses.append(response.status)
        if not 400 <= response.status < 500:
            problems.append(f"{path}: {response.status}")
        if connection.sock is None:
            problems.append(f"{path}: the server closed the keep-alive connection")
    try:
        connection.request("GET", "/healthz")
        answer = connection.getresponse()
        answer.read()
        if answer.status != 200:
            problems.append(f"/healthz after them: {answer.status}")
    except (OSError, http.client.HTTPException) as error:
        problems.append(f"the next request on the connection: {type(error).__name__}")
    connection.close()
    return [verdict(9, "far dates answer 4xx, keep-alive survives", not problems,
                    problems[0] if problems else f"{len(FAR_DATES)} far dates on one connection: {sorted(set(statuses))}, then 200")]

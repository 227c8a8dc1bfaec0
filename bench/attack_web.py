"""Limits and the web's own defences: subscribe (item 2), forwarded-for (3), security headers (4)
and the smaller points (10). Each check is its own client address, so the per-IP limits of one
never hold back another.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from contextlib import closing
from urllib.parse import quote, urlsplit
from xml.etree import ElementTree

from attack_input import harmless
from attack_site import ADMIN_EMAIL, DAY, PASSWORD, Site, paper_id, write_jsonl
from outcome import Outcome, verdict


# -- item 2: subscribe ---------------------------------------------------------------------------
def subscribe_flood(site: Site) -> list[Outcome]:
    already = len(site.mail_names())
    with site.client("127.0.0.20") as client:
        token = site.csrf(client)
        started = time.monotonic()
        statuses = [client.post("/subscribe", data={"email": f"flood{n}@example.org", "csrf_token": token}).status_code
                    for n in range(1000)]
        seconds = time.monotonic() - started
    accepted = next((n for n, status in enumerate(statuses) if status != 200), len(statuses))
    refused = Counter(statuses[accepted:])
    time.sleep(3)  # confirmations leave in background tasks after each answer
    mailed = sum(1 for m in site.mails(already) if str(m["To"]).startswith("flood"))
    held = 0 < accepted <= 50 and set(refused) == {429} and mailed <= accepted
    outcomes = [verdict(2, "1,000 subscribe POSTs from one IP", held,
                        f"{accepted} answered 200, then {dict(refused)} in {seconds:.0f} s; the sink got {mailed} confirmations")]
    already = len(site.mail_names())
    statuses = []
    for n in range(10):  # one victim address, asked for from ten addresses
        with site.client(f"127.0.3.{n + 1}") as client:
            statuses.append(client.post("/subscribe", data={"email": "victim@example.org", "csrf_token": site.csrf(client)}).status_code)
    time.sleep(2)
    mailed = sum(1 for m in site.mails(already) if str(m["To"]) == "victim@example.org")
    outcomes.append(verdict(2, "one address asked for from ten IPs", mailed <= 4,
                            f"answers {dict(Counter(statuses))}; the sink got {mailed} confirmations for it"))
    return outcomes


# -- item 3: X-Forwarded-For ------------------------------------------------------------------------
def forwarded_for(site: Site) -> list[Outcome]:
    with site.client("127.0.0.30") as client:
        token = site.csrf(client)
        logins = [client.post("/login", data={"login": f"nobody{n}", "password": "not the password", "csrf_token": token},
                              headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code for n in range(40)]
    with site.client("127.0.0.31") as client:
        token = site.csrf(client)
        signups = []
        for n in range(50):
            signups.append(client.post("/signup", headers={"X-Forwarded-For": f"203.0.113.{n}"}, data={
                "email": f"rotating{n}@example.org", "username": f"rotating{n}", "password": PASSWORD, "csrf_token": token,
            }).status_code)
            client.cookies.delete("pb_session")
    first_login_429 = logins.index(429) + 1 if 429 in logins else None
    first_signup_429 = signups.index(429) + 1 if 429 in signups else None
    return [
        verdict(3, "40 failed logins, rotating X-Forwarded-For", first_login_429 is not None and first_login_429 <= 31,
                f"first 429 at attempt {first_login_429}; answers {dict(Counter(logins))}"),
        verdict(3, "50 sign-ups, rotating X-Forwarded-For", first_signup_429 is not None and first_signup_429 <= 11,
                f"first 429 at attempt {first_signup_429}; answers {dict(Counter(signups))}"),
    ]


# -- item 4: security headers ------------------------------------------------------------------------
def security_headers(site: Site) -> list[Outcome]:
    targets = {"page": "/papers", "JSON": "/api/daily_papers", "feed": "/papers/feed.rss", "static": "/static/site.css",
               "404": "/no/such/page", "paper .md": f"/papers/{paper_id(0)}.md"}
    problems, seen = [], 0
    with site.client() as anonymous, closing(site.login("127.0.0.40")) as member:
        answers = {name: anonymous.get(path) for name, path in targets.items()}
        answers["/account"] = member.get("/account")
    for name, response in answers.items():
        seen += 1
        headers = response.headers
        policy = headers.get("content-security-policy", "")
        missing = [h for h, ok in (
            ("nosniff", headers.get("x-content-type-options", "").lower() == "nosniff"),
            ("X-Frame-Options DENY", headers.get("x-frame-options", "").upper() == "DENY"),
            ("frame-ancestors 'none'", "frame-ancestors 'none'" in policy),
            ("CSP without inline script", bool(policy) and "'unsafe-inline'" not in policy.split("style-src")[0]),
            ("Referrer-Policy", bool(headers.get("referrer-policy"))),
        ) if not ok]
        if name == "/account" and response.status_code != 200:
            missing.append(f"status {response.status_code}")
        if missing:
            problems.append(f"{name} ({response.status_code}) lacks {', '.join(missing)}")
    return [verdict(4, "security headers: page, JSON, feed, static, 404, /account", not problems,
                    problems[0] if problems else f"{seen} answers carry CSP, frame-ancestors 'none', DENY, nosniff, Referrer-Policy")]


# -- item 10: smaller points -------------------------------------------------------------------------
MARKUP_ID = "2605.90700"
MARKUP_TITLE = 'Quokka <b>bold</b> & "quoted" <script>x</script>'


def feed_titles(site: Site) -> Outcome:
    record = {"id": MARKUP_ID, "title": MARKUP_TITLE, "abstract": "Wallaby markup.", "authors": ["M. Arkup"],
              "categories": ["cs.CL"], "listing_date": DAY}
    site.cli("import", str(write_jsonl(site.folder / "markup.jsonl", [record])))
    query = '<i>wallaby</i> & "x"'
    problems = []
    with site.client() as client:
        for fmt in ("rss", "atom"):
            response = client.get(f"/papers/feed.{fmt}?q={quote(query)}")
            root = ElementTree.fromstring(response.content)
            titles = [e.text or "" for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "title"]
            if not titles or query not in titles[0]:
                problems.append(f"{fmt} channel title {titles[:1]!r} is not the literal query")
            if MARKUP_TITLE not in titles[1:]:
                problems.append(f"{fmt} item titles {titles[1:3]!r} do not decode to the literal title")
    return verdict(10, "search feed titles decode once to the literal text", not problems,
                   problems[0] if problems else "RSS and Atom: channel and item titles are the plain text")


def planted_csrf(site: Site) -> Outcome:
    """An attacker's own genuine token, planted as the victim's cookie, must not pass for the victim."""
    with site.client("127.0.0.50") as attacker:
        planted = site.csrf(attacker)
    with closing(site.login("127.0.0.51")) as victim:
        session = victim.cookies.get("pb_session")
    with site.client("127.0.0.52", cookies={"pb_session": session, "pb_csrf": planted}) as forged:
        response = forged.post("/account/tokens", data={"name": "planted", "csrf_token": planted})
    made = response.status_code == 200 and re.search(r"\bpb_[A-Za-z0-9_-]{20,}", response.text)
    return verdict(10, "CSRF: a planted cookie with the attacker's token", not made,
                   f"POST /account/tokens answered {response.status_code}" + (" and made a token" if made else ""))


def https_cookies(site: Site) -> Outcome:
    """Served as https (BASE_URL): the CSRF cookie is Secure, and HSTS is sent."""
    site.stop_server()
    site.start_server({"PAPERBOARD_BASE_URL": "https://papers.example.org"})
    try:
        with site.client() as client:
            response = client.get("/subscribe")
    finally:
        site.stop_server()
        site.start_server()
    csrf = [c for c in response.headers.get_list("set-cookie") if c.startswith("pb_csrf=")]
    secure = bool(csrf) and all("secure" in c.lower().split("; ") for c in csrf)
    hsts = response.headers.get("strict-transport-security")
    return verdict(10, "under an https BASE_URL: Secure CSRF cookie, HSTS", secure and bool(hsts),
                   f"pb_csrf cookie {'Secure' if secure else 'not Secure: ' + str(csrf)[:80]}, HSTS {hsts!r}")


def logout_revokes(site: Site) -> Outcome:
    member = site.login("127.0.0.53")
    copied = member.cookies.get("pb_session")
    member.post("/logout", data={"csrf_token": site.csrf(member)})
    member.close()
    with site.client("127.0.0.54", cookies={"pb_session": copied}) as thief:
        response = thief.get("/account")
    return verdict(10, "logout ends a copied session cookie", response.status_code != 200,
                   f"GET /account with the copied cookie after logout: {response.status_code}")


def signup_reveals(site: Site) -> Outcome:
    def attempt(source: str, email: str, username: str) -> tuple[int, str | None, str]:
        with site.client(source) as client:
            response = client.post("/signup", data={"email": email, "username": username, "password": PASSWORD,
                                                     "csrf_token": site.csrf(client)})
            shown = client.get(response.headers["location"]) if response.is_redirect else response
            alert = re.search(r'role="alert"[^>]*>(.*?)<', shown.text, re.DOTALL)
            return response.status_code, response.headers.get("location"), alert.group(1).strip() if alert else ""

    fresh = attempt("127.0.0.55", "newcomer@example.org", "newcomer")
    taken = attempt("127.0.0.56", ADMIN_EMAIL, "someone_else")
    same = fresh[:2] == taken[:2] and not re.search(r"already|in use|exists|taken", taken[2], re.IGNORECASE)
    return verdict(10, "sign-up does not tell an address has an account", same,
                   f"new address: {fresh[0]} {fresh[1]}; an account's address: {taken[0]} {taken[1]}"
                   + (f" saying “{taken[2][:90]}”" if taken[2] else ""))


def comment_links(site: Site) -> Outcome:
    body = "See [a](//evil.example/a), <//evil.example/b>, [c](/\\evil.example/c) and [d](https:evil.example)."
    auth = {"Authorization": f"Bearer {site.token}"}
    with site.client() as client:
        posted = client.post(f"/api/papers/{paper_id(1)}/comments", json={"body": body}, headers=auth)
        page = client.get(f"/papers/{paper_id(1)}", headers=auth)
        listed = client.get(f"/api/papers/{paper_id(1)}/comments")
    if posted.status_code not in (200, 201):
        return verdict(10, "protocol-relative links in a comment", posted.status_code == 400,
                       f"the comment was refused: {posted.status_code}")
    hrefs = re.findall(r'href="([^"]*)"', page.text) + re.findall(r'href=\\"([^"\\]*)\\"', listed.text)
    bad = [h for h in hrefs if not harmless(h) or "evil.example" in urlsplit(h).netloc]
    return verdict(10, "protocol-relative links in a comment", not bad,
                   f"{len(bad)} of {len(hrefs)} hrefs point away: {bad[:2]}" if bad else "no href to evil.example on the page or in the API")


def api_without_token(site: Site) -> Outcome:
    with site.client() as client:
        answers = {
            "POST upvote": client.post(f"/api/papers/{paper_id(2)}/upvote").status_code,
            "POST comment": client.post(f"/api/papers/{paper_id(2)}/comments", json={"body": "hi"}).status_code,
            "GET /api/me": client.get("/api/me").status_code,
            "bad token": client.post(f"/api/papers/{paper_id(2)}/upvote", headers={"Authorization": "Bearer pb_nope"}).status_code,
        }
    return verdict(10, "API without a token answers 401", set(answers.values()) == {401}, str(answers))


def export_ids(site: Site) -> Outcome:
    hostile = ["../../../etc/passwd", "2605.99997/../../x", "..", "a\nb", "<script>", "2605.99996?x=1"]
    records = [{"id": pid, "title": f"Hostile id {n}", "abstract": "", "categories": ["cs.CL"]} for n, pid in enumerate(hostile)]
    header = {"format": "paperboard/1", "exported_at": "2026-05-29T12:00:00", "papers": len(records)}
    ran = site.cli("import", str(write_jsonl(site.folder / "hostile-ids.jsonl", records, header)))
    out = site.folder / "export-ids.jsonl"
    site.cli("export", str(out))
    stored = [pid for pid in hostile if f'"id": {json.dumps(pid)}' in out.read_text()]
    named = [line for line in ran.error_lines if "skipped" in line]
    return verdict(10, "export-format ids like ../../../etc/passwd refused", not stored and ran.code == 1,
                   f"import exit {ran.code}; stored: {stored}" if stored else
                   f"import exit {ran.code}, {len(named)} skipped, none stored: " + (named[0][-110:] if named else ""))


def busy_port(site: Site) -> Outcome:
    ran = site.cli("web", "--host", "127.0.0.1", "--port", str(site.port), timeout=60)
    said = [line for line in (ran.out + "\n" + ran.err).splitlines() if line.strip()]
    claims_serving = any("serving" in line for line in said)
    one_line = len(said) == 1 and str(site.port) in said[0]
    return verdict(10, "paperboard web on a busy port says so in one line", ran.code != 0 and one_line and not claims_serving,
                   f"exit {ran.code}: " + " | ".join(said)[:200])


def corrected_reimport(site: Site) -> Outcome:
    record = {"id": "2605.90800", "title": "A title with a typo in it", "abstract": "Numbat.", "authors": ["T. Ypo"],
              "categories": ["cs.CL"], "listing_date": DAY}
    site.cli("import", str(write_jsonl(site.folder / "typo.jsonl", [record])))
    ran = site.cli("import", "--json", str(write_jsonl(site.folder / "corrected.jsonl", [{**record, "title": "A corrected title"}])))
    with site.client() as client:
        shown = client.get("/api/papers/2605.90800").json().get("title")
    try:
        counts = json.loads(ran.out)["files"][0]
        said = ", ".join(f"{k} {counts[k]}" for k in ("inserted", "updated", "unchanged"))
    except (ValueError, KeyError, IndexError):
        said = f"exit {ran.code}"
    return verdict(10, "a corrected versionless re-import is applied", shown == "A corrected title",
                   f"title now {shown!r}; the re-import said {said}")


def smaller_points(site: Site) -> list[Outcome]:
    return [feed_titles(site), planted_csrf(site), https_cookies(site), logout_revokes(site), signup_reveals(site), comment_links(site),
            api_without_token(site), export_ids(site), busy_port(site), corrected_reimport(site)]

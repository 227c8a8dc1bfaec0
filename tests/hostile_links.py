"""Links an attacker puts in a paper's URL fields, shared by the domain, import and web tests.

Each must be refused by ``domain.links.safe_link`` and so reach no ``href`` anywhere.
"""

HOSTILE_LINKS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "javascript://%0aalert(1)",
    " javascript:alert(1)",
    "\x01\x02javascript:alert(1)",
    "\tjavascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "//evil.example",
    "//evil.example/path",
    "http://\nevil.example/",
    "http://example.org/\njavascript:alert(1)",
    "https://arxiv.org@evil.example/",
    "https://user:secret@evil.example/",
    "https://evil.example\\@arxiv.org/",
    "https:///evil.example",
    "http:evil.example",
    "javascript:alert(document.domain)//2605.90007",
    "https://evil.example/\u202egnp.exe",
    "https://evil.example/\" onmouseover=\"alert(1)",
]

"""How large one paper record may be when it comes in (import, harvest, on-demand fetch).

A record past any of these is refused whole, named where it came from, and the rest of its file or
page goes on. The caps sit far above real records, so only a crafted or broken one meets them: the
19,883 papers of the 2026 arXiv listings sample reach a 216-character title, a 2,304-character
abstract, 207 authors, a 155-character author name and a 398-character comment; SciFact's texts
stop at 10,000 characters; the longest arXiv author lists (HEP collaborations) hold about 5,000
names. Without them one 50 MB abstract took 125 s and 1.7 GB to import and stalled every search
that met it.
"""

from __future__ import annotations

from paperboard.domain.paper import Paper

TITLE_CHARS = 2_000
ABSTRACT_CHARS = 100_000
AUTHORS = 20_000
AUTHOR_NAME_CHARS = 1_000
COMMENT_CHARS = 10_000
JOURNAL_REF_CHARS = 2_000
CATEGORIES = 100
URL_CHARS = 2_000
URLS = 100  # code and Hugging Face links each


def oversized(paper: Paper) -> str | None:
    """What makes ``paper`` too large, said for a person, or None when it fits."""
    texts = (
        ("title", paper.title, TITLE_CHARS),
        ("abstract", paper.abstract, ABSTRACT_CHARS),
        ("comment", paper.comment, COMMENT_CHARS),
        ("journal reference", paper.journal_ref, JOURNAL_REF_CHARS),
        ("abs URL", paper.abs_url, URL_CHARS),
        ("PDF URL", paper.pdf_url, URL_CHARS),
        ("project URL", paper.project_url, URL_CHARS),
    )
    for name, text, most in texts:
        if text is not None and len(text) > most:
            return f"the {name} has {len(text):,} characters (at most {most:,})"
    counts = (
        ("authors", paper.authors, AUTHORS),
        ("categories", paper.categories, CATEGORIES),
        ("code links", paper.code_urls, URLS),
        ("Hugging Face links", paper.huggingface_urls, URLS),
    )
    for name, items, most in counts:
        if len(items) > most:
            return f"{len(items):,} {name} (at most {most:,})"
    longest = max(paper.authors, key=len, default="")
    if len(longest) > AUTHOR_NAME_CHARS:
        return f"an author name has {len(longest):,} characters (at most {AUTHOR_NAME_CHARS:,})"
    for name, items in (("code link", paper.code_urls), ("Hugging Face link", paper.huggingface_urls)):
        if any(len(url) > URL_CHARS for url in items):
            return f"a {name} is longer than {URL_CHARS:,} characters"
    return None

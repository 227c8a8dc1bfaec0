"""The query's text read into pieces, before any meaning is given to them: control characters
and typographic quotes cleaned, math spans kept whole (``Formulas``), an open quote dropped with a
note, then each piece yielded as (negated, field, value, quoted) by ``lex``. ``domain.query``
builds the :class:`~paperboard.domain.query.Query` from those pieces.
"""

from __future__ import annotations

import re
import unicodedata

from paperboard.domain.latex import math_spans, plain

FIELD_ALIASES = {"author": "author", "au": "author", "cat": "cat", "category": "cat", "year": "year",
                 "from": "from", "since": "from", "until": "until", "date": "date",
                 "has": "has", "sort": "sort"}


class Formulas:
    """The math of a query's text, each span marked by private-use characters the lexer reads as
    part of a word, so a formula holding spaces or quotes stays whole."""

    _MARK = re.compile("\ue000(\\d+)\ue001")

    def __init__(self, text: str) -> None:
        self.latex: list[str] = []
        pieces, end = [], 0
        for span in math_spans(text):
            pieces += [text[end : span.start], f"\ue000{len(self.latex)}\ue001"]
            self.latex.append(span.latex)
            end = span.end
        self.marked = "".join(pieces) + text[end:]
        self.alone: list[str] = []  # formulas typed beside no word, as text

    def as_text(self, value: str) -> str:
        """``value`` with its formulas read as text (``domain.latex.plain``)."""
        return " ".join(self._MARK.sub(lambda found: f" {plain(self.latex[int(found[1])])} ", value).split())

    def without(self, value: str) -> str:
        """``value`` less its formulas (which then count for the meaning only)."""
        return " ".join(self._MARK.sub(" ", value).split())

    def restored(self, value: str) -> str:
        """``value`` as typed."""
        return self._MARK.sub(lambda found: f"${self.latex[int(found[1])]}$", value)


def clean(text: str) -> str:
    """Control and format characters (NUL, zero-width, bidi marks) become spaces; runs collapse.
    So do private-use characters, which mark formulas while parsing."""
    kept = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp") else ch for ch in text)
    # Typographic quotes count as quotes: people paste them from papers and mail.
    kept = kept.translate({0x201C: '"', 0x201D: '"', 0x201E: '"', 0x00AB: '"', 0x00BB: '"'})
    return " ".join(kept.split())


def lex(text: str, notes: list[str]):
    """Yield (negated, field name or None, value, quoted) for each piece of ``text``; say in
    ``notes`` when a quote is left open."""
    text = _without_open_quote(text, notes)
    i, n = 0, len(text)
    while i < n:
        if text[i] == " ":
            i += 1
            continue
        negated = text[i] == "-" and i + 1 < n and text[i + 1] not in " -"
        if negated:
            i += 1
        if text[i] == '"':
            value, i = _read_quoted(text, i)
            yield negated, None, value, True
            continue
        start = i
        while i < n and text[i] not in ' "':
            i += 1
        word = text[start:i]
        name, sep, value = word.partition(":")
        known = FIELD_ALIASES.get(name.lower()) if sep else None
        if known and not value and i < n and text[i] == '"':
            value, i = _read_quoted(text, i)
            yield negated, known, value, True
        elif known:
            yield negated, known, value, False
        else:
            yield negated, None, word, False


def _without_open_quote(text: str, notes: list[str]) -> str:
    """``text`` less a quote left open, which makes no phrase: the words after it are read as if it
    were not there. After ``author:`` (or another field) it stays, its value running to the end."""
    if text.count('"') % 2 == 0:
        return text
    at = text.rindex('"')  # quotes pair from the left, so the last one is the open one
    rest = _shown(text[at + 1 :])
    before = text[:at].rsplit(" ", 1)[-1].lstrip("-")
    field_name = FIELD_ALIASES.get(before[:-1].lower()) if before.endswith(":") else None
    if field_name:
        notes.append(f"The quote after {before} is not closed, so everything after it was read as the "
                     f"{'name' if field_name == 'author' else 'value'}: \u201c{rest}\u201d.")
        return text
    if rest:
        notes.append(f"The quote before \u201c{rest}\u201d is not closed, so its words were searched as separate "
                     "words, not as a phrase. Close the quote to search the phrase.")
    joined = at == 0 or text[at - 1] in " -"
    return text[:at] + ("" if joined else " ") + text[at + 1 :]


def _read_quoted(text: str, i: int) -> tuple[str, int]:
    """The text between the quote at ``i`` and the next one; an unclosed quote runs to the end."""
    end = text.find('"', i + 1)
    if end < 0:
        return text[i + 1 :].strip(), len(text)
    return text[i + 1 : end].strip(), end + 1


def _shown(text: str) -> str:
    """The start of ``text`` for a note, formulas marked as typed."""
    text = Formulas._MARK.sub("…", text.strip())
    return text if len(text) <= 60 else text[:57] + "…"

"""Snippets: the part of a text that best shows why it matched, with the matched words marked.

A snippet is a tuple of spans, not markup: the web layer escapes each span and wraps the marked ones
in ``<mark>``; the CLI styles them. Third-party text never becomes HTML here.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from paperboard.domain.analysis import compound_parts, term_of, tokens

ELLIPSIS = "…"
_WORD_CHAR = re.compile(r"[^\W_]")
_WHOLE_WORD = re.compile(r"[^\W_]+")
# Context kept before the first matched word of a window, so a snippet does not open on it.
_LEAD = 60
# A cut snippet looks for its window in this much of the text at most, so a hit costs the same
# bounded work however long a stored text is (imports refuse abstracts longer than this).
SCAN_CHARS = 100_000


@dataclass(frozen=True)
class Span:
    text: str
    marked: bool = False


@dataclass(frozen=True)
class Snippet:
    spans: tuple[Span, ...]

    @property
    def text(self) -> str:
        return "".join(span.text for span in self.spans)

    @property
    def matched(self) -> tuple[str, ...]:
        """The marked words, each once, in order of appearance."""
        return tuple(dict.fromkeys(span.text for span in self.spans if span.marked))

    def as_dict(self) -> list[dict]:
        return [{"text": span.text, "marked": span.marked} for span in self.spans]


def build_snippet(
    text: str, terms: Collection[str], width: int | None = 240, surface: Collection[str] = ()
) -> Snippet:
    """Cut ``text`` to about ``width`` characters around the most distinct ``terms`` (analyzed
    index terms) and mark every word that analyzes to one of them. ``width=None`` keeps it whole.

    ``surface`` are the query's words as typed: with the terms, they seed a quick scan for candidate
    words (a stem is usually a prefix of its inflections, "graph" of "graphs"; a typed word covers
    the rest, "study" of "study"), and each candidate is confirmed by analysis. A page of 20 hits
    then costs a regex pass per abstract instead of analyzing every word. A cut snippet marks
    words in the first ``SCAN_CHARS`` characters only; its cost is linear in those.
    """
    text = text or ""
    scanned = text if width is None or len(text) <= SCAN_CHARS else text[:SCAN_CHARS]
    hits = _matches(scanned, set(terms), surface)
    if len(scanned) < len(text):
        hits = [hit for hit in hits if hit[1] < len(scanned)]  # a word cut at the edge may not be whole
    start, end = 0, len(text)
    if width is not None and len(text) > width:
        start, end = _best_window(text, hits, width)
    spans: list[Span] = []
    cursor = start
    for word_start, word_end, _term in hits:
        if word_start < start or word_end > end:
            continue
        if word_start > cursor:
            spans.append(Span(text[cursor:word_start]))
        spans.append(Span(text[word_start:word_end], marked=True))
        cursor = word_end
    if cursor < end:
        spans.append(Span(text[cursor:end]))
    if start > 0:
        spans.insert(0, Span(ELLIPSIS))
    if end < len(text):
        spans.append(Span(ELLIPSIS))
    return Snippet(tuple(_merge_plain(spans)))


def _matches(text: str, terms: set[str], surface: Collection[str]) -> list[tuple[int, int, str]]:
    if not terms or not text:
        return []
    prefixes = sorted({p.lower() for p in (*terms, *surface) if p}, key=len, reverse=True)
    pattern = re.compile(r"(?<![^\W_])(?:" + "|".join(map(re.escape, prefixes)) + r")[^\W_]*", re.IGNORECASE)
    found: dict[int, tuple[int, int, str]] = {}
    for match in pattern.finditer(text):
        _mark(found, match.group(), match.start(), terms)
    # A part of a compound name that the index holds too ("Net" of "ResNet") starts in upper case
    # after a letter; the word around it is read for its parts.
    capitals = {re.escape(case) for p in prefixes for case in (p.capitalize(), p.upper())}
    for match in re.finditer(r"(?<=[A-Za-z])(?:" + "|".join(sorted(capitals, key=len, reverse=True)) + ")", text):
        start = match.start()
        while start > 0 and _WORD_CHAR.match(text, start - 1):
            start -= 1
        _mark(found, _WHOLE_WORD.match(text, start).group(), start, terms)
    if not found and not text.isascii():
        # Accented spellings ("Schrödinger") escape the prefix scan; analyze every word then.
        for token in tokens(text):
            _mark(found, text[token.start : token.end], token.start, terms)
    hits: list[tuple[int, int, str]] = []
    for hit in sorted(found.values()):
        if not hits or hit[0] >= hits[-1][1]:  # a compound and its part: the first, longest one
            hits.append(hit)
    return hits


def _mark(found: dict[int, tuple[int, int, str]], word: str, start: int, terms: set[str]) -> None:
    """Record ``word`` (at ``start``) when it analyzes to one of ``terms``, else those of its
    compound parts that do (``analysis.compound_parts``), by where each starts."""
    term = term_of(word)
    if term in terms:
        found[start] = (start, start + len(word), term)
        return
    for part_start, part_end in compound_parts(word):
        term = term_of(word[part_start:part_end])
        if term in terms:
            found.setdefault(start + part_start, (start + part_start, start + part_end, term))


def _best_window(text: str, hits: list[tuple[int, int, str]], width: int) -> tuple[int, int]:
    """The window (snapped to word edges) holding the most distinct matched terms, earliest first.

    One pass: windows open at each hit in text order, so their starts and ends only move forward,
    and a count per term of the hits inside is kept as both edges advance (each hit enters and
    leaves once). Counting every window afresh was quadratic in hits: 41 s for one 240 KB abstract.
    """
    best_start, best_count = 0, -1
    inside: dict[str, int] = {}
    entering = leaving = 0  # hits[leaving:entering] are the ones in the current window
    start = 0
    for anchor, _end, _term in hits or [(0, 0, "")]:
        # Never before the previous start: the window's edges only move forward.
        start = max(start, 0 if anchor <= _LEAD else _word_start(text, anchor - _LEAD, anchor))
        while entering < len(hits) and hits[entering][1] <= start + width:
            term = hits[entering][2]
            inside[term] = inside.get(term, 0) + 1
            entering += 1
        while leaving < len(hits) and hits[leaving][0] < start:
            if leaving < entering:
                term = hits[leaving][2]
                inside[term] -= 1
                if not inside[term]:
                    del inside[term]
            leaving += 1
        entering = max(entering, leaving)
        if len(inside) > best_count:
            best_start, best_count = start, len(inside)
    limit = min(len(text), best_start + width)
    if limit < len(text) and _WORD_CHAR.match(text, limit) and limit > best_start:
        # The window ends inside a word: end before it (or after it, if it is the only one).
        cut = text.rfind(" ", best_start, limit)
        limit = cut if cut > best_start else limit
    return best_start, limit


def _word_start(text: str, position: int, anchor: int) -> int:
    """The first word start at or after ``position`` (and at most ``anchor``)."""
    found = _WORD_CHAR.search(text, position, anchor + 1)
    if found is None:
        return anchor
    if found.start() > position or position == 0 or not _WORD_CHAR.match(text, position - 1):
        return found.start()
    # ``position`` fell inside a word: skip to the next one.
    following = re.compile(r"[^\w]+").search(text, position, anchor + 1)
    return following.end() if following else anchor


def _merge_plain(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for span in spans:
        if merged and not span.marked and not merged[-1].marked:
            merged[-1] = Span(merged[-1].text + span.text)
        else:
            merged.append(span)
    return [span for span in merged if span.text]

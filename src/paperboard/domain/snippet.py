"""Snippets: the part of a text that best shows why it matched, with the matched words marked.

A snippet is a tuple of spans, not markup: the web layer escapes each span and wraps the marked ones
in ``<mark>``; the CLI styles them. Third-party text never becomes HTML here.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from paperboard.domain.analysis import tokens

ELLIPSIS = "…"
# Context kept before the first matched word of a window, so a snippet does not open on it.
_LEAD = 60


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

    def marked_text(self, start: str = "[", end: str = "]") -> str:
        """Plain text with the marked words wrapped, for terminals and logs (not for HTML)."""
        return "".join(f"{start}{s.text}{end}" if s.marked else s.text for s in self.spans)

    def as_dict(self) -> list[dict]:
        return [{"text": span.text, "marked": span.marked} for span in self.spans]


def build_snippet(text: str, terms: Collection[str], width: int | None = 240) -> Snippet:
    """Cut ``text`` to about ``width`` characters around the most distinct ``terms`` (analyzed
    index terms) and mark every word that analyzes to one of them. ``width=None`` keeps it whole.
    """
    text = text or ""
    words = list(tokens(text))
    hits = [i for i, token in enumerate(words) if token.term is not None and token.term in terms]
    start, end = 0, len(text)
    if width is not None and len(text) > width:
        start, end = _best_window(text, words, hits, width)
    spans: list[Span] = []
    cursor = start
    for index in hits:
        token = words[index]
        if token.start < start or token.end > end:
            continue
        if token.start > cursor:
            spans.append(Span(text[cursor : token.start]))
        spans.append(Span(text[token.start : token.end], marked=True))
        cursor = token.end
    if cursor < end:
        spans.append(Span(text[cursor:end]))
    if start > 0:
        spans.insert(0, Span(ELLIPSIS))
    if end < len(text):
        spans.append(Span(ELLIPSIS))
    return Snippet(tuple(_merge_plain(spans)))


def _best_window(text: str, words: list, hits: list[int], width: int) -> tuple[int, int]:
    """The window (snapped to word edges) holding the most distinct matched terms, earliest first."""
    best_start, best_count = 0, -1
    for index in hits or [0]:
        if not words:
            break
        anchor = words[index].start
        start = 0 if anchor <= _LEAD else _word_start_after(words, anchor - _LEAD)
        count = len({words[i].term for i in hits if start <= words[i].start and words[i].end <= start + width})
        if count > best_count:
            best_start, best_count = start, count
    end = best_start + width
    # Snap the end back to the last whole word inside the window.
    inside = [w.end for w in words if best_start <= w.start and w.end <= end]
    end = inside[-1] if inside else min(len(text), end)
    return best_start, end


def _word_start_after(words: list, position: int) -> int:
    for word in words:
        if word.start >= position:
            return word.start
    return position


def _merge_plain(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for span in spans:
        if merged and not span.marked and not merged[-1].marked:
            merged[-1] = Span(merged[-1].text + span.text)
        else:
            merged.append(span)
    return [span for span in merged if span.text]

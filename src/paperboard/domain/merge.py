"""How an incoming record combines with the stored one. Pure, so every rule is unit-tested.

- A newer arXiv version replaces the stored record (fields the newer one lacks are kept).
- An older version changes nothing.
- The same (or an unknown) version from the *source the stored record came from* replaces it the
  same way: that source corrected its own record (a fixed title in a re-exported listing, a
  versionless file imported again after an edit), and the correction is applied, not reported
  ``unchanged``. Fields it lacks are kept, so a correction never erases; re-importing the same
  record is still a no-op.
- The same (or an unknown) version from *another* source only fills fields the stored record
  lacks: a listing file with no DOI does not erase the DOI that OAI-PMH gave us, and two sources
  that word a record differently do not overwrite each other on every alternate import (which
  would make re-importing never a no-op). Without a version there is no telling which of two
  sources is right, so the first one keeps its values.
- The announced date is the earliest one any source reported.
"""

from __future__ import annotations

from dataclasses import fields, replace

from paperboard.domain.paper import Paper

_IDENTITY = {"id", "source"}


def merge(stored: Paper, incoming: Paper) -> Paper:
    """The record to keep; equal to ``stored`` when ``incoming`` adds nothing."""
    stored_version = stored.version or 0
    incoming_version = incoming.version or 0
    if incoming_version > stored_version:
        merged = _overlay(stored, incoming)
        merged = replace(merged, source=incoming.source)
    elif incoming_version < stored_version:
        merged = stored
    elif incoming.source == stored.source:
        merged = _overlay(stored, incoming)
    else:
        merged = _fill_gaps(stored, incoming)
    announced = min(
        (d for d in (stored.announced, incoming.announced) if d is not None), default=None
    )
    if announced != merged.announced:
        merged = replace(merged, announced=announced)
    return merged


def _overlay(base: Paper, newer: Paper) -> Paper:
    values = {}
    for f in fields(Paper):
        if f.name in _IDENTITY:
            continue
        new_value = getattr(newer, f.name)
        values[f.name] = new_value if _present(new_value) else getattr(base, f.name)
    return replace(base, **values)


def _fill_gaps(base: Paper, other: Paper) -> Paper:
    values = {}
    for f in fields(Paper):
        if f.name in _IDENTITY:
            continue
        if not _present(getattr(base, f.name)) and _present(getattr(other, f.name)):
            values[f.name] = getattr(other, f.name)
    return replace(base, **values) if values else base


def _present(value: object) -> bool:
    return value is not None and value != "" and value != ()

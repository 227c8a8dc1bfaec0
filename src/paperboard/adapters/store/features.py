"""Daily-feed features: which paper was featured on which day, by whom."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, insert, select, update

from paperboard.adapters.store.papers import utcnow
from paperboard.adapters.store.schema import daily_features
from paperboard.domain.paper import DailyFeature

_ID_CHUNK = 500  # stays below SQLite's bound-parameter limit


def upsert_features(connection: Connection, features: Iterable[DailyFeature]) -> tuple[int, int]:
    """Record features; a paper is featured once, on its first date. Returns (inserted, updated)."""
    inserted = updated = 0
    for feature in features:
        row = connection.execute(
            select(daily_features).where(daily_features.c.paper_id == feature.paper_id)
        ).first()
        if row is None:
            connection.execute(
                insert(daily_features).values(
                    paper_id=feature.paper_id,
                    featured_on=feature.featured_on,
                    submitter=feature.submitter,
                    imported_upvotes=feature.upvotes,
                    source=feature.source,
                    created_at=utcnow(),
                )
            )
            inserted += 1
            continue
        changes = {}
        if feature.featured_on < row.featured_on:
            changes["featured_on"] = feature.featured_on
        if feature.submitter and not row.submitter:
            changes["submitter"] = feature.submitter
        if feature.upvotes > row.imported_upvotes:
            changes["imported_upvotes"] = feature.upvotes
        if changes:
            connection.execute(
                update(daily_features).where(daily_features.c.paper_id == feature.paper_id).values(**changes)
            )
            updated += 1
    return inserted, updated


def features_for(connection: Connection, paper_ids: Sequence[str]) -> dict[str, DailyFeature]:
    """The feature of each of ``paper_ids`` that has one (an export reads them page by page)."""
    found: dict[str, DailyFeature] = {}
    for start in range(0, len(paper_ids), _ID_CHUNK):
        chunk = list(paper_ids[start : start + _ID_CHUNK])
        for r in connection.execute(select(daily_features).where(daily_features.c.paper_id.in_(chunk))):
            found[r.paper_id] = DailyFeature(r.paper_id, r.featured_on, r.submitter, r.imported_upvotes, r.source)
    return found

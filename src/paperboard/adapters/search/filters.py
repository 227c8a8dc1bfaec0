"""The metadata side of a search (dates, categories, has-code) as SQL over ``papers``, both engines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Connection, and_, exists, func, or_, select, true

from paperboard.adapters.store.schema import paper_categories, papers
from paperboard.domain.query import Query


@dataclass(frozen=True)
class PaperFilter:
    """What a result must be, apart from its words. Dates are arXiv announcement dates, inclusive."""

    date_from: date | None = None
    date_until: date | None = None
    categories: tuple[str, ...] = ()
    has_code: bool = False

    @classmethod
    def of(cls, query: Query) -> "PaperFilter":
        return cls(query.date_from, query.date_until, query.categories, query.has_code)

    @property
    def active(self) -> bool:
        return bool(self.date_from or self.date_until or self.categories or self.has_code)

    def condition(self) -> ColumnElement[bool]:
        """A condition on ``papers`` rows; true when no filter is set."""
        parts: list[ColumnElement[bool]] = []
        if self.date_from:
            parts.append(papers.c.announced >= self.date_from)
        if self.date_until:
            parts.append(papers.c.announced <= self.date_until)
        if self.categories:
            wanted = []
            for category in self.categories:
                wanted.append(paper_categories.c.category == category)
                if "." not in category:  # an archive: cat:cs means cs.* as well
                    wanted.append(paper_categories.c.category.like(f"{category}.%"))
            parts.append(exists().where(paper_categories.c.paper_id == papers.c.id, or_(*wanted)))
        if self.has_code:
            parts.append(func.json_array_length(papers.c.code_urls) > 0)
        return and_(*parts) if parts else true()


def matching_ids(connection: Connection, paper_filter: PaperFilter, cap: int) -> list[str] | None:
    """Every paper that passes, or None when more than ``cap`` do (then filter afterwards instead).
    Counted in SQL first: a broad filter (the usual case) then costs a scan, not ``cap`` rows
    brought into Python."""
    limited = select(papers.c.id).where(paper_filter.condition()).limit(cap + 1).subquery()
    if connection.execute(select(func.count()).select_from(limited)).scalar_one() > cap:
        return None
    return list(connection.execute(select(papers.c.id).where(paper_filter.condition())).scalars())


def keep_matching(connection: Connection, paper_filter: PaperFilter, ids: list[str]) -> set[str]:
    """The subset of ``ids`` that passes."""
    kept: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = select(papers.c.id).where(papers.c.id.in_(chunk), paper_filter.condition())
        kept.update(connection.execute(query).scalars())
    return kept


def newest_matching(connection: Connection, paper_filter: PaperFilter, among: list[str] | None,
                    limit: int | None) -> list[str]:
    """Ids of the newest papers that pass (and are ``among`` these, when given), newest first."""
    query = select(papers.c.id).where(paper_filter.condition())
    if among is not None:
        if not among:
            return []
        found: list[tuple] = []
        for start in range(0, len(among), 500):
            chunk = query.where(papers.c.id.in_(among[start : start + 500])).add_columns(papers.c.announced)
            found.extend(connection.execute(chunk).all())
        found.sort(key=lambda row: (row.announced or date.min, row.id), reverse=True)
        return [row.id for row in found[:limit]]
    query = query.order_by(papers.c.announced.desc().nulls_last(), papers.c.id.desc()).limit(limit)
    return list(connection.execute(query).scalars())


def announced_dates(connection: Connection, ids: list[str]) -> dict[str, date | None]:
    dates: dict[str, date | None] = {}
    for start in range(0, len(ids), 500):
        rows = connection.execute(select(papers.c.id, papers.c.announced).where(papers.c.id.in_(ids[start : start + 500])))
        dates.update((row.id, row.announced) for row in rows)
    return dates

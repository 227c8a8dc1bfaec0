"""The change counters of the tables that shared pages show (migration 0011 keeps them).

Triggers bump a table's counter in the transaction that writes it, so reading them is one small
query however large the archive grows, and a change is visible exactly when its data commits.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from paperboard.adapters.store.schema import data_versions


def current(connection: Connection) -> tuple[tuple[str, int], ...]:
    """Every counter as (table, version), in a stable order: equal tuples mean nothing changed."""
    rows = connection.execute(select(data_versions.c.name, data_versions.c.version).order_by(data_versions.c.name))
    return tuple((name, version) for name, version in rows)

"""Harvest checkpoints: a resumable job saves its position in the same transaction as its batch."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select, update

from paperboard.adapters.store.papers import utcnow
from paperboard.adapters.store.schema import harvest_checkpoints


def load_checkpoint(connection: Connection, key: str) -> dict | None:
    row = connection.execute(select(harvest_checkpoints.c.state).where(harvest_checkpoints.c.key == key)).first()
    return dict(row.state) if row else None


def save_checkpoint(connection: Connection, key: str, state: dict) -> None:
    result = connection.execute(
        update(harvest_checkpoints).where(harvest_checkpoints.c.key == key).values(state=state, updated_at=utcnow())
    )
    if result.rowcount == 0:
        connection.execute(insert(harvest_checkpoints).values(key=key, state=state, updated_at=utcnow()))


def clear_checkpoint(connection: Connection, key: str) -> None:
    connection.execute(delete(harvest_checkpoints).where(harvest_checkpoints.c.key == key))

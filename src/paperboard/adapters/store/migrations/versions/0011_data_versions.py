"""A change counter per watched table, kept by triggers: the page cache's O(1) freshness check.

Web processes ask "did anything shown on shared pages change?" every couple of seconds. They used
to answer it with ``count(*)`` and ``max(...)`` over papers, votes and comments: a scan that grows
with the archive and, on a loaded machine, ran past the read budget. Now every insert, update or
delete of a watched table bumps its row in ``data_versions`` inside the same transaction, so the
question is one read of a few rows, and the answer changes exactly when the data commits.

``users`` counts only joins and departures (a departed member's submissions are credited to "a
former member"); logins and password changes touch no shared page. Of ``harvest_checkpoints`` only
the trending job's row counts: it is rewritten with every recomputed list.

SQLite triggers are per row (cheap: one in-page update, and SQLite has one writer anyway);
PostgreSQL's run at commit, once per table and transaction (see ``_postgresql_triggers``). Batch migrations that rebuild a watched table on SQLite
drop its triggers: ``tests/adapters/test_data_versions.py`` writes to every watched table at head.

Revision ID: 0011_data_versions
Revises: 0010_last_doc_id
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_data_versions"
down_revision = "0010_last_doc_id"
branch_labels = None
depends_on = None

TRENDING_KEY = "trending:computed"
# table -> the events that change what shared pages show
WATCHED = {
    "papers": ("INSERT", "UPDATE", "DELETE"),
    "daily_features": ("INSERT", "UPDATE", "DELETE"),
    "paper_embeddings": ("INSERT", "UPDATE", "DELETE"),
    "upvotes": ("INSERT", "UPDATE", "DELETE"),
    "comments": ("INSERT", "UPDATE", "DELETE"),
    "author_claims": ("INSERT", "UPDATE", "DELETE"),
    "users": ("INSERT", "DELETE"),
}
TRENDING = "trending"  # the trending job's checkpoint row


def upgrade() -> None:
    table = op.create_table(
        "data_versions",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("name", name="pk_data_versions"),
    )
    op.bulk_insert(table, [{"name": name, "version": 0} for name in (*WATCHED, TRENDING)])
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def _sqlite_triggers() -> None:
    for name, events in WATCHED.items():
        for event in events:
            op.execute(
                f"CREATE TRIGGER data_version_{name}_{event.lower()} AFTER {event} ON {name} "
                f"BEGIN UPDATE data_versions SET version = version + 1 WHERE name = '{name}'; END"
            )
    for event in ("INSERT", "UPDATE"):
        op.execute(
            f"CREATE TRIGGER data_version_{TRENDING}_{event.lower()} AFTER {event} ON harvest_checkpoints "
            f"WHEN NEW.key = '{TRENDING_KEY}' "
            f"BEGIN UPDATE data_versions SET version = version + 1 WHERE name = '{TRENDING}'; END"
        )


def _postgresql_triggers() -> None:
    # Deferred to commit and once per table per transaction: the counter row is locked only while
    # the transaction commits, so an import batch never makes a vote wait for its whole length,
    # and two transactions can't hold one counter each while waiting for the other's.
    op.execute(
        """
        CREATE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            flag text := 'paperboard.bumped_' || TG_ARGV[0];
        BEGIN
            IF current_setting(flag, true) = '1' THEN
                RETURN NULL;
            END IF;
            PERFORM set_config(flag, '1', true);
            UPDATE data_versions SET version = version + 1 WHERE name = TG_ARGV[0];
            RETURN NULL;
        END
        $$
        """
    )
    for name, events in WATCHED.items():
        op.execute(
            f"CREATE CONSTRAINT TRIGGER data_version_{name} AFTER {' OR '.join(events)} ON {name} "
            f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_data_version('{name}')"
        )
    op.execute(
        f"CREATE CONSTRAINT TRIGGER data_version_{TRENDING} AFTER INSERT OR UPDATE ON harvest_checkpoints "
        f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.key = '{TRENDING_KEY}') "
        f"EXECUTE FUNCTION bump_data_version('{TRENDING}')"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in WATCHED:
            op.execute(f"DROP TRIGGER data_version_{name} ON {name}")
        op.execute(f"DROP TRIGGER data_version_{TRENDING} ON harvest_checkpoints")
        op.execute("DROP FUNCTION bump_data_version()")
    else:
        for name, events in WATCHED.items():
            for event in events:
                op.execute(f"DROP TRIGGER data_version_{name}_{event.lower()}")
        for event in ("INSERT", "UPDATE"):
            op.execute(f"DROP TRIGGER data_version_{TRENDING}_{event.lower()}")
    op.drop_table("data_versions")

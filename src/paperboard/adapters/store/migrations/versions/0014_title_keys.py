"""Title keys for the near-exact title pin: each indexed paper's ``search_documents.title_key``
again, by ``domain.titles.title_key``.

The key was the title's folded words; it is now those words with LaTeX markup read as text and
without stopwords, so that the titles ``domain.titles`` finds near-exact share it (one short word
more or less, ``$k$-Means`` for "k-Means"). Only the key changes, no document or statistic: rows
are read in pages of 1,000 by doc id and only changed keys written. Downgrade writes the old keys.

Revision ID: 0014_title_keys
Revises: 0013_clean_links
"""

import sqlalchemy as sa
from alembic import op

from paperboard.domain.analysis import normalise_title
from paperboard.domain.titles import title_key

revision = "0014_title_keys"
down_revision = "0013_clean_links"
branch_labels = None
depends_on = None

_PAGE = 1000
papers = sa.table("papers", sa.column("id", sa.String), sa.column("title", sa.Text))
search_documents = sa.table(
    "search_documents", sa.column("doc_id", sa.Integer), sa.column("paper_id", sa.String), sa.column("title_key", sa.Text)
)


def upgrade() -> None:
    _rekey(title_key)


def downgrade() -> None:
    _rekey(normalise_title)


def _rekey(key_of) -> None:
    connection = op.get_bind()
    after = 0
    while True:
        rows = connection.execute(
            sa.select(search_documents.c.doc_id, search_documents.c.title_key, papers.c.title)
            .join(papers, papers.c.id == search_documents.c.paper_id)
            .where(search_documents.c.doc_id > after)
            .order_by(search_documents.c.doc_id)
            .limit(_PAGE)
        ).all()
        if not rows:
            return
        changed = [{"id": doc_id, "key": key_of(title)} for doc_id, key, title in rows if key_of(title) != key]
        if changed:
            connection.execute(
                sa.update(search_documents).where(search_documents.c.doc_id == sa.bindparam("id"))
                .values(title_key=sa.bindparam("key")),
                changed,
            )
        after = rows[-1].doc_id


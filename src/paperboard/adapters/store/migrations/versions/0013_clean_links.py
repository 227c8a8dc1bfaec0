"""Clean links: drop the stored paper links that ``domain.links.safe_link`` refuses.

Imports before this revision stored URL fields as given, so a listings or export file (or a forged
arXiv answer) could leave ``javascript:`` or ``data:`` URLs in ``abs_url``, ``pdf_url``,
``project_url``, ``code_urls`` and ``huggingface_urls`` (the only URL columns that reach a page;
``repositories.url`` holds only URLs ``domain.star_history`` matched as GitHub repositories).
Pages now check links on the way out too; this removes them at rest, by the same rule new records
pass on the way in: a refused link is dropped from a list or nulled, and an arXiv paper's abs and
PDF links fall back to arXiv's own pages. ``modified_at`` moves on changed rows, so the keyword
index picks up a paper that no longer has code.

Rows are read in pages of 1,000 by id and only changed ones written, so a large archive is never
held in memory. Downgrade changes nothing: the dropped links are not worth restoring.

Revision ID: 0013_clean_links
Revises: 0012_embedding_claims
"""

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

from paperboard.domain.links import safe_link, safe_links

revision = "0013_clean_links"
down_revision = "0012_embedding_claims"
branch_labels = None
depends_on = None

_PAGE = 1000
papers = sa.table(
    "papers",
    sa.column("id", sa.String),
    sa.column("abs_url", sa.Text),
    sa.column("pdf_url", sa.Text),
    sa.column("project_url", sa.Text),
    sa.column("code_urls", sa.JSON),
    sa.column("huggingface_urls", sa.JSON),
    sa.column("modified_at", sa.DateTime),
)


def upgrade() -> None:
    connection = op.get_bind()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    columns = [papers.c.id, papers.c.abs_url, papers.c.pdf_url, papers.c.project_url, papers.c.code_urls, papers.c.huggingface_urls]
    after = ""
    while True:
        rows = connection.execute(sa.select(*columns).where(papers.c.id > after).order_by(papers.c.id).limit(_PAGE)).all()
        if not rows:
            return
        for row in rows:
            cleaned = _cleaned(row)
            if cleaned:
                connection.execute(sa.update(papers).where(papers.c.id == row.id).values(**cleaned, modified_at=now))
        after = rows[-1].id


def _cleaned(row) -> dict:
    """The columns of ``row`` that change, with their new values."""
    arxiv = ":" not in row.id  # other corpora's ids are namespace:id (domain.paper.Paper.is_arxiv)
    wanted = {
        "abs_url": safe_link(row.abs_url) or (f"https://arxiv.org/abs/{row.id}" if arxiv and row.abs_url else None),
        "pdf_url": safe_link(row.pdf_url) or (f"https://arxiv.org/pdf/{row.id}" if arxiv and row.pdf_url else None),
        "project_url": safe_link(row.project_url),
        "code_urls": list(safe_links(row.code_urls)),
        "huggingface_urls": list(safe_links(row.huggingface_urls)),
    }
    current = {name: getattr(row, name) for name in wanted}
    current["code_urls"] = list(current["code_urls"] or ())
    current["huggingface_urls"] = list(current["huggingface_urls"] or ())
    return {name: value for name, value in wanted.items() if value != current[name]}


def downgrade() -> None:
    pass

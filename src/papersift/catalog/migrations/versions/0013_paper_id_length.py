"""Paper-id columns hold MAX_PAPER_ID_CHARS (200) characters instead of 64 on PostgreSQL.

Before, a BEIR `_id` or a DOI-derived id of 65-200 characters made PostgreSQL refuse the whole
ingest batch it was in, while SQLite (which does not enforce VARCHAR lengths) stored it. Only
PostgreSQL changes: SQLite needs nothing, and recreating its tables would rewrite a large catalog
for no effect. Every column of the catalog's tables that holds a paper id is found by name
(`papers.id`, `papers.merged_into`, any `paper_id`) so the list cannot drift from the tables.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

WIDTH = 200  # papersift.paper.MAX_PAPER_ID_CHARS at the time of this migration (migrations never import it)
OLD_WIDTH = 64


def _paper_id_columns(inspector: sa.Inspector, width: int) -> list[tuple[str, str]]:
    """(table, column) of every paper-id column that is VARCHAR(width)."""
    found = []
    for table in inspector.get_table_names():
        for column in inspector.get_columns(table):
            name, kind = column["name"], column["type"]
            holds_paper_id = name == "paper_id" or (table == "papers" and name in ("id", "merged_into"))
            if holds_paper_id and isinstance(kind, sa.String) and kind.length == width:
                found.append((table, name))
    return found


def _alter(width_from: int, width_to: int) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table, column in _paper_id_columns(sa.inspect(bind), width_from):
        op.alter_column(table, column, type_=sa.String(width_to), existing_type=sa.String(width_from))


def upgrade() -> None:
    _alter(OLD_WIDTH, WIDTH)


def downgrade() -> None:
    _alter(WIDTH, OLD_WIDTH)  # fails if a stored id is longer than 64 characters, as it should

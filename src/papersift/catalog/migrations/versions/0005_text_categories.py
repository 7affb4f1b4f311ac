"""Categories and DOIs as unbounded text.

Real arXiv listings put MSC/ACM classes among the categories ("68T45 (Primary) 68T10, 68T07
(Secondary)", 41 characters, in arxiv-daily-cs). SQLite ignores VARCHAR lengths, so the 32-character
`category` columns never mattered there; PostgreSQL enforces them and rejected the whole batch
(found by benchmarks/ingest_postgres.py). SQLite is left as it is: its column types do not limit
lengths, and rewriting the table would change nothing.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

WIDENED = [("papers", "primary_category", 32), ("papers", "doi", 256), ("paper_categories", "category", 32)]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, column, length in WIDENED:
        op.alter_column(table, column, type_=sa.Text(), existing_type=sa.String(length))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, column, length in WIDENED:
        op.alter_column(table, column, type_=sa.String(length), existing_type=sa.Text())

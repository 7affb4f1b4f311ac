"""Private library entries: uploaded references that match no catalog paper (never shared).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "library_entries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id", ondelete="CASCADE"), nullable=False),
        sa.Column("key", sa.String(400), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("abstract", sa.Text, nullable=False),
        sa.Column("authors", sa.JSON, nullable=False),
        sa.Column("added_at", sa.DateTime, nullable=False),
        sa.Column("encoder", sa.String(100)),
        sa.Column("vector", sa.LargeBinary),
        sa.UniqueConstraint("collection_id", "key", name="uq_library_entries_collection_key"),
    )
    op.create_index("ix_library_entries_collection_id", "library_entries", ["collection_id"])


def downgrade() -> None:
    op.drop_table("library_entries")

"""Catalog: papers, their authors and categories, ingest checkpoints.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "papers",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False, unique=True),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("merged_into", sa.String(64)),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("abstract", sa.Text, nullable=False),
        sa.Column("authors", sa.JSON, nullable=False),
        sa.Column("categories", sa.JSON, nullable=False),
        sa.Column("primary_category", sa.String(32)),
        sa.Column("submitted", sa.Date),
        sa.Column("updated", sa.Date),
        sa.Column("announced", sa.Date),
        sa.Column("latest_version", sa.Integer),
        sa.Column("versions", sa.JSON, nullable=False),
        sa.Column("doi", sa.String(256)),
        sa.Column("journal_ref", sa.Text),
        sa.Column("comments", sa.Text),
        sa.Column("license", sa.Text),
        sa.Column("links", sa.JSON, nullable=False),
        sa.Column("sources", sa.JSON, nullable=False),
        sa.Column("popularity", sa.JSON, nullable=False),
        sa.Column("external_upvotes", sa.Integer, nullable=False),
        sa.Column("raw_title", sa.Text),
        sa.Column("raw_abstract", sa.Text),
    )
    for col in ("primary_category", "submitted", "announced", "doi"):
        op.create_index(f"ix_papers_{col}", "papers", [col])
    op.create_table(
        "paper_authors",
        sa.Column("paper_id", sa.String(64), sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("name_key", sa.Text, nullable=False),
    )
    op.create_index("ix_paper_authors_name_key", "paper_authors", ["name_key"])
    op.create_table(
        "paper_categories",
        sa.Column("paper_id", sa.String(64), sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("category", sa.String(32), primary_key=True),
    )
    op.create_index("ix_paper_categories_category", "paper_categories", ["category"])
    op.create_table(
        "ingest_checkpoints",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    for name in ("ingest_checkpoints", "paper_categories", "paper_authors", "papers"):
        op.drop_table(name)

"""Ingest runs: one row per `papersift ingest`, and which papers each run delivered, so a run can be undone.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingest_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("format", sa.Text, nullable=False),
        sa.Column("locations", sa.JSON, nullable=False),
        sa.Column("started", sa.DateTime, nullable=False),
        sa.Column("finished", sa.DateTime),
        sa.Column("records", sa.Integer, nullable=False, server_default="0"),
        sa.Column("inserted", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated", sa.Integer, nullable=False, server_default="0"),
        sa.Column("unchanged", sa.Integer, nullable=False, server_default="0"),
        sa.Column("rejected", sa.Integer, nullable=False, server_default="0"),
        sa.Column("removed", sa.DateTime),
    )
    op.create_table(
        "ingest_run_papers",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("ingest_runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("paper_id", sa.String(64), primary_key=True),
        sa.Column("action", sa.String(16), nullable=False),
    )
    op.create_index("ix_ingest_run_papers_paper_id", "ingest_run_papers", ["paper_id"])


def downgrade() -> None:
    op.drop_index("ix_ingest_run_papers_paper_id", "ingest_run_papers")
    op.drop_table("ingest_run_papers")
    op.drop_table("ingest_runs")

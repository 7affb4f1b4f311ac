"""Deliver: digest subscriptions, saved searches, follows, recommendation feedback, digest log.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _owner() -> sa.ForeignKey:
    return sa.ForeignKey("users.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "digest_subscriptions",
        sa.Column("user_id", sa.Integer, _owner(), primary_key=True),
        sa.Column("frequency", sa.String(10), nullable=False),
        sa.Column("sections", sa.JSON, nullable=False),
        sa.Column("collections", sa.JSON, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "saved_searches",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, _owner(), nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("mode", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("user_id", "query", "mode", name="uq_saved_searches_user_query"),
    )
    op.create_index("ix_saved_searches_user_id", "saved_searches", ["user_id"])
    op.create_table(
        "follows",
        sa.Column("user_id", sa.Integer, _owner(), primary_key=True),
        sa.Column("kind", sa.String(10), primary_key=True),
        sa.Column("key", sa.String(320), primary_key=True),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "recommendation_feedback",
        sa.Column("user_id", sa.Integer, _owner(), primary_key=True),
        sa.Column("paper_id", sa.String(64), sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "digests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, _owner(), nullable=False),
        sa.Column("period", sa.String(20), nullable=False),
        sa.Column("since", sa.Date, nullable=False),
        sa.Column("until", sa.Date, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("claimed_until", sa.DateTime),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("sent_at", sa.DateTime),
        sa.UniqueConstraint("user_id", "period", name="uq_digests_user_period"),
    )
    op.create_table(
        "digest_items",
        sa.Column("digest_id", sa.Integer, sa.ForeignKey("digests.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("paper_id", sa.String(64), primary_key=True),
        sa.Column("section", sa.String(20), nullable=False),
    )
    op.create_index("ix_digest_items_paper_id", "digest_items", ["paper_id"])


def downgrade() -> None:
    for name in (
        "digest_items",
        "digests",
        "recommendation_feedback",
        "follows",
        "saved_searches",
        "digest_subscriptions",
    ):
        op.drop_table(name)

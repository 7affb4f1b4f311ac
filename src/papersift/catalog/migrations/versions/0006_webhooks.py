"""Digest webhooks (Slack, Discord, signed JSON) and their delivery ledger.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_webhooks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("secret", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_digest_webhooks_user_id", "digest_webhooks", ["user_id"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("webhook_id", sa.Integer, sa.ForeignKey("digest_webhooks.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("digest_id", sa.Integer, sa.ForeignKey("digests.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("claimed_until", sa.DateTime),
        sa.Column("last_error", sa.Text),
        sa.Column("sent_at", sa.DateTime),
    )


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_index("ix_digest_webhooks_user_id", "digest_webhooks")
    op.drop_table("digest_webhooks")

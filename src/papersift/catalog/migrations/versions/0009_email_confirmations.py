"""Double opt-in: which address each user confirmed, and when a confirmation mail went out.

Existing users get no row, i.e. their addresses count as unconfirmed: the next `digest send`
mails them a confirmation link instead of a digest (docs/security.md, "Double opt-in").

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "email_confirmations",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("confirmed_email", sa.String(320)),
        sa.Column("confirmed_at", sa.DateTime),
        sa.Column("sent_email", sa.String(320)),
        sa.Column("sent_at", sa.DateTime),
        sa.Column("sent_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("resend_requested_at", sa.DateTime),
    )


def downgrade() -> None:
    op.drop_table("email_confirmations")

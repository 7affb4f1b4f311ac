"""Reading marks: seen, reading-queue position and a private note per (user, paper).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reading_marks",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("paper_id", sa.String(64), primary_key=True),
        sa.Column("seen_at", sa.DateTime),
        sa.Column("queue_pos", sa.Float),
        sa.Column("note", sa.Text),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("reading_marks")

"""Delivery claims name their holder process, so a crashed sender's claims are taken over at once.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("digests", "webhook_deliveries"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("claimed_by", sa.String(255)))


def downgrade() -> None:
    for table in ("digests", "webhook_deliveries"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("claimed_by")

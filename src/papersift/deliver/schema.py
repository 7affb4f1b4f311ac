"""SQL tables of personal delivery: digest subscriptions, saved searches, follows, and the
digest log that makes `papersift digest send` idempotent.

They live on the catalog's `metadata` (migration 0003) so owned rows cascade with their user.
`digests` is the delivery ledger: a digest is written there, whole (the exact MIME message),
*before* it is handed to SMTP and marked sent after, so a crash or a re-run resends that same
message (same Message-ID) instead of composing a second one or skipping the period.
`digest_items` remembers every paper a user was sent, so no paper is mailed twice.
"""

from __future__ import annotations

import sqlalchemy as sa

from papersift.catalog.schema import metadata
from papersift.paper import MAX_PAPER_ID_CHARS


def _owner() -> sa.ForeignKey:
    return sa.ForeignKey("users.id", ondelete="CASCADE")


subscriptions = sa.Table(
    "digest_subscriptions",
    metadata,
    sa.Column("user_id", sa.Integer, _owner(), primary_key=True),
    sa.Column("frequency", sa.String(10), nullable=False),  # daily | weekly
    sa.Column("sections", sa.JSON, nullable=False),  # subset of digest.SECTIONS, in any order
    sa.Column("collections", sa.JSON, nullable=False),  # collection ids seeding recommendations; [] = all
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

saved_searches = sa.Table(
    "saved_searches",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, _owner(), nullable=False, index=True),
    sa.Column("query", sa.Text, nullable=False),
    sa.Column("mode", sa.String(10), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("user_id", "query", "mode", name="uq_saved_searches_user_query"),
)

follows = sa.Table(
    "follows",
    metadata,
    sa.Column("user_id", sa.Integer, _owner(), primary_key=True),
    sa.Column("kind", sa.String(10), primary_key=True),  # author | category
    sa.Column("key", sa.String(320), primary_key=True),  # author_key(name) or the category
    sa.Column("label", sa.Text, nullable=False),  # as the user typed it, for display
    sa.Column("created_at", sa.DateTime, nullable=False),
)

digests = sa.Table(
    "digests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, _owner(), nullable=False),
    sa.Column("period", sa.String(20), nullable=False),  # 2025-06-02 (daily) or 2025-W23 (weekly)
    sa.Column("since", sa.Date, nullable=False),  # feed days covered, inclusive
    sa.Column("until", sa.Date, nullable=False),
    sa.Column("status", sa.String(10), nullable=False),  # pending | sent | failed | rejected
    sa.Column("recipient", sa.String(320), nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("message_id", sa.String(255), nullable=False),
    sa.Column("message", sa.Text, nullable=False),  # the complete RFC 5322 message
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("claimed_until", sa.DateTime),  # a run is sending it (lease, so a crash frees it)
    sa.Column("claimed_by", sa.String(255)),  # that run's process (deliver/claimant.py; migration 0012)
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("sent_at", sa.DateTime),
    sa.UniqueConstraint("user_id", "period", name="uq_digests_user_period"),
)

digest_items = sa.Table(
    "digest_items",
    metadata,
    sa.Column("digest_id", sa.Integer, sa.ForeignKey("digests.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("paper_id", sa.String(MAX_PAPER_ID_CHARS), primary_key=True),
    sa.Column("section", sa.String(20), nullable=False),
)
sa.Index("ix_digest_items_paper_id", digest_items.c.paper_id)

# Webhook channels for digests (migration 0006): see deliver/webhooks.py.
webhooks = sa.Table(
    "digest_webhooks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, _owner(), nullable=False, index=True),
    sa.Column("kind", sa.String(10), nullable=False),  # slack | discord | json
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("secret", sa.String(64), nullable=False),  # HMAC key: must stay readable to sign with
    sa.Column("created_at", sa.DateTime, nullable=False),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("webhook_id", sa.Integer, sa.ForeignKey("digest_webhooks.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("digest_id", sa.Integer, sa.ForeignKey("digests.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("status", sa.String(10), nullable=False),  # pending | sent | failed | rejected
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("claimed_until", sa.DateTime),
    sa.Column("claimed_by", sa.String(255)),
    sa.Column("last_error", sa.Text),
    sa.Column("sent_at", sa.DateTime),
)

# Double opt-in (migration 0009): see deliver/confirm.py. An address is confirmed when
# `confirmed_email` equals the user's current email, so changing the address needs a new click.
email_confirmations = sa.Table(
    "email_confirmations",
    metadata,
    sa.Column("user_id", sa.Integer, _owner(), primary_key=True),
    sa.Column("confirmed_email", sa.String(320)),  # the address the owner clicked a link for
    sa.Column("confirmed_at", sa.DateTime),
    sa.Column("sent_email", sa.String(320)),  # the address the last confirmation mail went to
    sa.Column("sent_at", sa.DateTime),
    sa.Column("sent_count", sa.Integer, nullable=False, server_default="0"),  # links mailed to sent_email
    sa.Column("resend_requested_at", sa.DateTime),  # "resend" on the account page
)

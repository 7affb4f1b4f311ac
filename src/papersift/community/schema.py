"""SQL tables of the community layer: accounts, sessions, API tokens, votes, collections.

They live on the catalog's `metadata` (and database) so that one Alembic history migrates
everything and a vote can reference the paper it is for. Secrets are never stored: sessions
and API tokens are kept as SHA-256 digests of high-entropy random strings, passwords as argon2
hashes.
"""

from __future__ import annotations

import sqlalchemy as sa

from papersift.catalog.schema import metadata
from papersift.paper import MAX_PAPER_ID_CHARS


def _fk(target: str) -> sa.ForeignKey:
    """Owned rows go with their owner (a deleted user takes sessions, votes, collections along)."""
    return sa.ForeignKey(target, ondelete="CASCADE")


users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
)

sessions = sa.Table(
    "user_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, _fk("users.id"), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, _fk("users.id"), nullable=False, index=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("last_used_at", sa.DateTime),
)

login_failures = sa.Table(
    "login_failures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(400), nullable=False, index=True),
    sa.Column("at", sa.DateTime, nullable=False),
)

votes = sa.Table(
    "votes",
    metadata,
    sa.Column("user_id", sa.Integer, _fk("users.id"), primary_key=True),
    sa.Column("paper_id", sa.String(MAX_PAPER_ID_CHARS), _fk("papers.id"), primary_key=True, index=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

collections = sa.Table(
    "collections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, _fk("users.id"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("public", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("user_id", "name", name="uq_collections_user_name"),
)

collection_items = sa.Table(
    "collection_items",
    metadata,
    sa.Column("collection_id", sa.Integer, _fk("collections.id"), primary_key=True),
    sa.Column("paper_id", sa.String(MAX_PAPER_ID_CHARS), _fk("papers.id"), primary_key=True, index=True),
    sa.Column("added_at", sa.DateTime, nullable=False),
)

library_entries = sa.Table(
    # Entries of an uploaded library that match no catalog paper: private to their collection
    # (uploads never write the shared catalog), used only for their owner's recommendations.
    "library_entries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("collection_id", sa.Integer, _fk("collections.id"), nullable=False, index=True),
    sa.Column("key", sa.String(400), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("abstract", sa.Text, nullable=False, default=""),
    sa.Column("authors", sa.JSON, nullable=False),
    sa.Column("added_at", sa.DateTime, nullable=False),
    sa.Column("encoder", sa.String(100)),
    sa.Column("vector", sa.LargeBinary),
    sa.UniqueConstraint("collection_id", "key", name="uq_library_entries_collection_key"),
)

# A user's own marks on a paper (migration 0007): seen, place in the reading queue, private note.
reading_marks = sa.Table(
    "reading_marks",
    metadata,
    sa.Column("user_id", sa.Integer, _fk("users.id"), primary_key=True),
    sa.Column("paper_id", sa.String(MAX_PAPER_ID_CHARS), primary_key=True),
    sa.Column("seen_at", sa.DateTime),  # null: not marked seen
    sa.Column("queue_pos", sa.Float),  # null: not queued; ordered ascending
    sa.Column("note", sa.Text),  # Markdown source, private to the user
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

# Discussion (migration 0008): comments with one level of replies, reports, and comment bans.
comments = sa.Table(
    "comments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("paper_id", sa.String(MAX_PAPER_ID_CHARS), _fk("papers.id"), nullable=False, index=True),
    sa.Column("user_id", sa.Integer, _fk("users.id"), nullable=False, index=True),
    sa.Column("parent_id", sa.Integer, _fk("comments.id"), index=True),  # null: a top-level comment
    sa.Column("body", sa.Text, nullable=False),  # Markdown-lite source
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("edited_at", sa.DateTime),
    sa.Column("deleted", sa.Boolean, nullable=False, default=False),  # by its author
    sa.Column("hidden", sa.Boolean, nullable=False, default=False),  # by the operator
)

comment_reports = sa.Table(
    "comment_reports",
    metadata,
    sa.Column("comment_id", sa.Integer, _fk("comments.id"), primary_key=True),
    sa.Column("user_id", sa.Integer, _fk("users.id"), primary_key=True),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

comment_bans = sa.Table(
    "comment_bans",
    metadata,
    sa.Column("user_id", sa.Integer, _fk("users.id"), primary_key=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

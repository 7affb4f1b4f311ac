"""SQL tables of the catalog (SQLAlchemy Core). Alembic migrations create and evolve them.

`papers` holds one row per canonical paper with list/dict fields as JSON; `paper_authors` and
`paper_categories` exist so author and category pages are index look-ups, not scans. `seq` is
the change log: every insert or real update takes the next number, so an indexer asks for
"rows with seq > my checkpoint" and catches up incrementally.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from papersift.paper import MAX_PAPER_ID_CHARS

metadata = sa.MetaData()

papers = sa.Table(
    "papers",
    metadata,
    sa.Column("id", sa.String(MAX_PAPER_ID_CHARS), primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False, unique=True),
    sa.Column("deleted", sa.Boolean, nullable=False, default=False),
    sa.Column("merged_into", sa.String(MAX_PAPER_ID_CHARS)),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("abstract", sa.Text, nullable=False, default=""),
    sa.Column("authors", sa.JSON, nullable=False),
    sa.Column("categories", sa.JSON, nullable=False),
    sa.Column("primary_category", sa.Text, index=True),  # Text: real listings hold longer class strings (0005)
    sa.Column("submitted", sa.Date, index=True),
    sa.Column("updated", sa.Date),
    sa.Column("announced", sa.Date, index=True),
    sa.Column("latest_version", sa.Integer),
    sa.Column("versions", sa.JSON, nullable=False),
    sa.Column("doi", sa.Text, index=True),
    sa.Column("journal_ref", sa.Text),
    sa.Column("comments", sa.Text),
    sa.Column("license", sa.Text),
    sa.Column("links", sa.JSON, nullable=False),
    sa.Column("sources", sa.JSON, nullable=False),
    sa.Column("popularity", sa.JSON, nullable=False),
    sa.Column("external_upvotes", sa.Integer, nullable=False, default=0),
    sa.Column("raw_title", sa.Text),
    sa.Column("raw_abstract", sa.Text),
)

paper_authors = sa.Table(
    "paper_authors",
    metadata,
    sa.Column(
        "paper_id", sa.String(MAX_PAPER_ID_CHARS), sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("name_key", sa.Text, nullable=False, index=True),
)

paper_categories = sa.Table(
    "paper_categories",
    metadata,
    sa.Column(
        "paper_id", sa.String(MAX_PAPER_ID_CHARS), sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("category", sa.Text, primary_key=True, index=True),
)

checkpoints = sa.Table(
    "ingest_checkpoints",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

ingest_runs = sa.Table(
    "ingest_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("format", sa.Text, nullable=False),
    sa.Column("locations", sa.JSON, nullable=False),
    sa.Column("started", sa.DateTime, nullable=False),
    sa.Column("finished", sa.DateTime),  # None: still running, or killed (its whole batches are kept)
    sa.Column("records", sa.Integer, nullable=False, default=0),
    sa.Column("inserted", sa.Integer, nullable=False, default=0),
    sa.Column("updated", sa.Integer, nullable=False, default=0),
    sa.Column("unchanged", sa.Integer, nullable=False, default=0),
    sa.Column("rejected", sa.Integer, nullable=False, default=0),
    sa.Column("removed", sa.DateTime),  # set by `papersift remove --run`
)

# every paper a run delivered, with what the run did to it: "added" (new to the catalog), "updated" (merged
# into a stored paper, changing it) or "unchanged"; the evidence `remove --run` needs to keep shared papers
ingest_run_papers = sa.Table(
    "ingest_run_papers",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("ingest_runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("paper_id", sa.String(MAX_PAPER_ID_CHARS), primary_key=True, index=True),
    sa.Column("action", sa.String(16), nullable=False),
)


def inserted_id(result: sa.CursorResult[Any]) -> int:
    """The integer primary key an INSERT created (every dialect we support reports it)."""
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the database did not report the new row's primary key")
    return int(key[0])

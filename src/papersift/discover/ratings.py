"""A user's onboarding ratings: "relevant" or "not relevant" for single papers they were asked about.

Ratings are private to the user (nothing public, unlike upvotes, which feed the trending feed)
and feed the same per-user model as collections and "not interested": a relevant paper is a
library positive, a not-relevant one a hard negative (discover/recommend.py). Re-rating a paper
replaces the earlier answer. The table (migration 0010) cascades with the user and the paper.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from papersift.catalog.schema import metadata
from papersift.community.accounts import User, utcnow
from papersift.paper import MAX_PAPER_ID_CHARS

MAX_RATINGS = 1000  # what the model reads back; far more than onboarding rounds ever produce

ratings = sa.Table(
    "paper_ratings",
    metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "paper_id", sa.String(MAX_PAPER_ID_CHARS), sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("relevant", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)


@dataclass(frozen=True)
class Rating:
    paper_id: str
    relevant: bool
    created_at: datetime


class Ratings:
    """Stores and lists one user's ratings (every query is scoped to the user)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def rate(self, user: User, paper_id: str, relevant: bool) -> None:
        """Record (or replace) the user's answer for this paper; the paper must be in the catalog."""
        with self.engine.begin() as conn:
            conn.execute(ratings.delete().where(ratings.c.user_id == user.id, ratings.c.paper_id == paper_id))
            conn.execute(
                ratings.insert().values(user_id=user.id, paper_id=paper_id, relevant=relevant, created_at=utcnow())
            )

    def unrate(self, user: User, paper_id: str) -> bool:
        with self.engine.begin() as conn:
            done = conn.execute(ratings.delete().where(ratings.c.user_id == user.id, ratings.c.paper_id == paper_id))
        return done.rowcount > 0

    def of_user(self, user: User, limit: int = MAX_RATINGS) -> list[Rating]:
        """The user's ratings, newest first."""
        q = (
            sa.select(ratings.c.paper_id, ratings.c.relevant, ratings.c.created_at)
            .where(ratings.c.user_id == user.id)
            .order_by(ratings.c.created_at.desc(), ratings.c.paper_id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [Rating(pid, bool(relevant), at) for pid, relevant, at in conn.execute(q)]

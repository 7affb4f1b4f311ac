"""The papers a user marked "not interested": negative feedback for their recommendations.

It lives with the recommender that reads it (not with digest delivery, which only filters by
it), so `discover` never imports `deliver` and the package chain stays one-way. The table is on
the catalog's `metadata` (created by migration 0003) so a user's marks cascade with the user.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from papersift.catalog.schema import metadata
from papersift.community.accounts import User, utcnow
from papersift.paper import MAX_PAPER_ID_CHARS

feedback = sa.Table(
    "recommendation_feedback",
    metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "paper_id", sa.String(MAX_PAPER_ID_CHARS), sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("created_at", sa.DateTime, nullable=False),
)


class Feedback:
    """Records and lists a user's "not interested" papers."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def not_interested(self, user: User, paper_id: str) -> bool:
        """Record that the user does not want this paper (or ones like it); False if already so."""
        try:
            with self.engine.begin() as conn:
                conn.execute(feedback.insert().values(user_id=user.id, paper_id=paper_id, created_at=utcnow()))
        except IntegrityError:
            return False
        return True

    def undo_not_interested(self, user: User, paper_id: str) -> bool:
        with self.engine.begin() as conn:
            done = conn.execute(feedback.delete().where(feedback.c.user_id == user.id, feedback.c.paper_id == paper_id))
        return done.rowcount > 0

    def not_interested_ids(self, user: User, among: Iterable[str] | None = None) -> list[str]:
        """The user's "not interested" papers, newest first (optionally only these ids)."""
        q = sa.select(feedback.c.paper_id).where(feedback.c.user_id == user.id)
        if among is not None:
            q = q.where(feedback.c.paper_id.in_(list(among)))
        with self.engine.connect() as conn:
            return list(conn.execute(q.order_by(feedback.c.created_at.desc(), feedback.c.paper_id)).scalars())

"""Local upvotes: at most one per user and paper (the primary key enforces it), undoable."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from papersift.community.accounts import User, utcnow
from papersift.community.schema import votes


class Votes:
    """Cast, undo and count upvotes."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def vote(self, user: User, paper_id: str) -> bool:
        """Upvote; False when the user had already voted (idempotent, never double-counts)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(votes.insert().values(user_id=user.id, paper_id=paper_id, created_at=utcnow()))
        except IntegrityError:
            return False
        return True

    def unvote(self, user: User, paper_id: str) -> bool:
        """Undo an upvote; False when there was none."""
        with self.engine.begin() as conn:
            res = conn.execute(votes.delete().where(votes.c.user_id == user.id, votes.c.paper_id == paper_id))
        return res.rowcount > 0

    def counts(self, paper_ids: Iterable[str]) -> dict[str, int]:
        """Local vote counts (papers without votes are absent)."""
        ids = list(paper_ids)
        if not ids:
            return {}
        q = sa.select(votes.c.paper_id, sa.func.count()).where(votes.c.paper_id.in_(ids)).group_by(votes.c.paper_id)
        with self.engine.connect() as conn:
            return {pid: n for pid, n in conn.execute(q)}

    def voted(self, user: User | None, paper_ids: Iterable[str]) -> set[str]:
        """Which of these papers the user has upvoted."""
        ids = list(paper_ids)
        if user is None or not ids:
            return set()
        q = sa.select(votes.c.paper_id).where(votes.c.user_id == user.id, votes.c.paper_id.in_(ids))
        with self.engine.connect() as conn:
            return set(conn.execute(q).scalars())

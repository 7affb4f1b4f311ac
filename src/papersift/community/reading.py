"""A user's reading workflow: papers marked seen, an ordered reading queue, private notes.

One row per (user, paper) in `reading_marks` holds all three, so "what do I know about this
paper" is one lookup. Queue order is a position column, renumbered on every change (a queue
holds at most MAX_QUEUE papers, so that is cheap and keeps the order exact).
Notes are Markdown, private to their author, and rendered by `render_note`: markdown-it in
CommonMark mode with raw HTML disabled (it is shown as text), images off (no tracking pixels),
and markdown-it's link check (no javascript:/vbscript:/file:/data: URLs).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from markdown_it import MarkdownIt
from sqlalchemy.engine import Connection, Engine

from papersift.community.accounts import User, UserError, utcnow
from papersift.community.schema import reading_marks as marks

MAX_NOTE_CHARS = 20_000
MAX_QUEUE = 1_000
_MD = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable("image")


def render_note(text: str) -> str:
    """Safe HTML for a note: Markdown with raw HTML escaped, no images, only safe link schemes."""
    html: str = _MD.render(text)
    return html.replace("<a href=", '<a rel="nofollow noopener noreferrer" href=')


@dataclass(frozen=True)
class Mark:
    paper_id: str
    seen_at: datetime | None
    queue_pos: float | None
    note: str | None


class Reading:
    """Seen marks, the reading queue and notes, always scoped to one user."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def _key(self, user: User, paper_id: str) -> sa.ColumnElement[bool]:
        return (marks.c.user_id == user.id) & (marks.c.paper_id == paper_id)

    def _set(self, conn: Connection, user: User, paper_id: str, **values: object) -> None:
        values["updated_at"] = utcnow()
        done = conn.execute(marks.update().where(self._key(user, paper_id)).values(values))
        if done.rowcount == 0:
            conn.execute(marks.insert().values(user_id=user.id, paper_id=paper_id, **values))

    def mark(self, user: User, paper_id: str) -> Mark:
        with self.engine.connect() as conn:
            r = conn.execute(sa.select(marks).where(self._key(user, paper_id))).first()
        return Mark(paper_id, r.seen_at, r.queue_pos, r.note) if r else Mark(paper_id, None, None, None)

    # --- seen ---------------------------------------------------------------------------------

    def set_seen(self, user: User, paper_id: str, seen: bool) -> None:
        with self.engine.begin() as conn:
            self._set(conn, user, paper_id, seen_at=utcnow() if seen else None)

    def seen_among(self, user: User | None, paper_ids: Iterable[str]) -> set[str]:
        """Which of these papers the user marked seen (for hiding them in lists)."""
        ids = list(dict.fromkeys(paper_ids))
        if user is None or not ids:
            return set()
        found: set[str] = set()
        with self.engine.connect() as conn:
            for i in range(0, len(ids), 500):
                q = sa.select(marks.c.paper_id).where(
                    marks.c.user_id == user.id, marks.c.paper_id.in_(ids[i : i + 500]), marks.c.seen_at.is_not(None)
                )
                found.update(conn.execute(q).scalars())
        return found

    def seen_ids(self, user: User) -> set[str]:
        """Every paper the user marked seen (what "hide seen" leaves out of feeds)."""
        q = sa.select(marks.c.paper_id).where(marks.c.user_id == user.id, marks.c.seen_at.is_not(None))
        with self.engine.connect() as conn:
            return set(conn.execute(q).scalars())

    def seen_count(self, user: User) -> int:
        q = sa.select(sa.func.count()).where(marks.c.user_id == user.id, marks.c.seen_at.is_not(None))
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())

    # --- the queue ----------------------------------------------------------------------------

    def queue(self, user: User) -> list[str]:
        q = (
            sa.select(marks.c.paper_id)
            .where(marks.c.user_id == user.id, marks.c.queue_pos.is_not(None))
            .order_by(marks.c.queue_pos, marks.c.paper_id)
        )
        with self.engine.connect() as conn:
            return list(conn.execute(q).scalars())

    def enqueue(self, user: User, paper_id: str, position: int | None = None) -> list[str]:
        """Put a paper at `position` (0-based; None: the end), moving it if already queued."""
        with self.engine.begin() as conn:
            order = [pid for pid in self._order(conn, user) if pid != paper_id]
            if len(order) >= MAX_QUEUE:
                raise UserError("queue_full", f"the reading queue holds at most {MAX_QUEUE} papers")
            at = len(order) if position is None else max(0, min(position, len(order)))
            order.insert(at, paper_id)
            for i, pid in enumerate(order):
                self._set(conn, user, pid, queue_pos=float(i))
        return order

    def dequeue(self, user: User, paper_id: str) -> list[str]:
        with self.engine.begin() as conn:
            self._set(conn, user, paper_id, queue_pos=None)
        return self.queue(user)

    def _order(self, conn: Connection, user: User) -> list[str]:
        q = (
            sa.select(marks.c.paper_id)
            .where(marks.c.user_id == user.id, marks.c.queue_pos.is_not(None))
            .order_by(marks.c.queue_pos, marks.c.paper_id)
        )
        return list(conn.execute(q).scalars())

    # --- notes --------------------------------------------------------------------------------

    def set_note(self, user: User, paper_id: str, text: str) -> None:
        if len(text) > MAX_NOTE_CHARS:
            raise UserError("note_too_long", f"a note holds at most {MAX_NOTE_CHARS:,} characters")
        with self.engine.begin() as conn:
            self._set(conn, user, paper_id, note=text if text.strip() else None)

    def notes(self, user: User) -> dict[str, str]:
        """Every note of the user, by paper id (for exports)."""
        q = sa.select(marks.c.paper_id, marks.c.note).where(marks.c.user_id == user.id, marks.c.note.is_not(None))
        with self.engine.connect() as conn:
            return {pid: note for pid, note in conn.execute(q)}

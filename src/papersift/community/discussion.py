"""Discussion on paper pages: comments with one level of replies, reports and moderation.

Threads are one level deep (a reply to a reply attaches to the top-level comment), which keeps
pages readable and the query one pass. Bodies are Markdown-lite, rendered by the notes renderer
(`community.reading.render_note`: raw HTML shown as text, no images, safe link schemes only).
Only the author edits or deletes a comment; a deleted comment that has replies stays as a
"deleted" placeholder so the replies keep their context. The operator hides comments (gone from
pages, the API and feeds) and bans users from commenting (CLI only: `papersift comments ...`).
Posting is rate-limited with the sign-in throttle's database counter (`Accounts.throttle`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from papersift.catalog.schema import inserted_id
from papersift.community.accounts import Accounts, User, UserError, utcnow
from papersift.community.reading import render_note
from papersift.community.schema import comment_bans, comment_reports, comments, users
from papersift.paper import Paper

MAX_COMMENT_CHARS = 5_000
MAX_REPORT_CHARS = 500
MAX_COMMENTS_PER_WINDOW = 10  # per user per THROTTLE_WINDOW (15 minutes)
MAX_THREADS_SHOWN = 500  # a page shows at most this many top-level comments (newest dropped last)


@dataclass(frozen=True)
class Comment:
    id: int
    paper_id: str
    author_id: int
    author: str  # the display name: the part of the email before '@' (addresses are never shown)
    parent_id: int | None
    body: str  # "" once deleted
    created_at: datetime
    edited_at: datetime | None
    deleted: bool

    @property
    def html(self) -> str:
        return render_note(self.body) if not self.deleted else ""


@dataclass
class Thread:
    comment: Comment
    replies: list[Comment] = field(default_factory=list)


@dataclass(frozen=True)
class Report:
    comment: Comment
    reports: int
    reasons: list[str]
    hidden: bool


def external_comments(paper: Paper) -> int:
    """The largest imported comment count (Hugging Face daily papers' numComments): discussion
    elsewhere, shown apart from this instance's comments and never added to them."""
    return max((p.comments or 0 for p in paper.popularity), default=0)


def display_name(email: str) -> str:
    """What others see of an author: the local part of the address, never the whole address."""
    return email.split("@", 1)[0][:64]


def _body(text: str) -> str:
    body = text.strip()
    if not body:
        raise UserError("empty_comment", "a comment needs some text")
    if len(body) > MAX_COMMENT_CHARS:
        raise UserError("comment_too_long", f"a comment holds at most {MAX_COMMENT_CHARS:,} characters")
    return body


_COLUMNS = (comments, users.c.email)


def _comment(row: sa.Row[tuple[object, ...]]) -> Comment:
    m = row._mapping
    return Comment(
        id=m["id"],
        paper_id=m["paper_id"],
        author_id=m["user_id"],
        author=display_name(m["email"]),
        parent_id=m["parent_id"],
        body="" if m["deleted"] else m["body"],
        created_at=m["created_at"],
        edited_at=m["edited_at"],
        deleted=m["deleted"],
    )


class Discussion:
    """Comments, replies, reports, hiding and bans over the community tables."""

    def __init__(self, engine: Engine, accounts: Accounts):
        self.engine, self.accounts = engine, accounts

    def _select(self) -> sa.Select[tuple[object, ...]]:
        return sa.select(*_COLUMNS).join(users, users.c.id == comments.c.user_id)

    def get(self, comment_id: int, include_hidden: bool = False) -> Comment | None:
        q = self._select().where(comments.c.id == comment_id)
        if not include_hidden:
            q = q.where(comments.c.hidden.is_(False))
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return _comment(row) if row else None

    # --- writing ------------------------------------------------------------------------------

    def post(self, user: User, paper_id: str, text: str, parent_id: int | None = None) -> Comment:
        """A new comment (or a reply to `parent_id`, on the same paper). Raises UserError for a
        banned user, a bad body or parent, RateLimited past MAX_COMMENTS_PER_WINDOW."""
        if self.is_banned(user.id):
            raise UserError("banned", "you can no longer comment here")
        body = _body(text)
        if parent_id is not None:
            parent = self.get(parent_id)
            if parent is None or parent.deleted or parent.paper_id != paper_id:
                raise UserError("parent_not_found", "the comment you reply to is not on this paper (any more)")
            parent_id = parent.parent_id or parent.id  # one level: a reply to a reply joins its thread
        self.accounts.throttle(f"comment:{user.id}", MAX_COMMENTS_PER_WINDOW)
        values = dict(paper_id=paper_id, user_id=user.id, parent_id=parent_id, body=body, created_at=utcnow())
        with self.engine.begin() as conn:
            new_id = inserted_id(conn.execute(comments.insert().values(deleted=False, hidden=False, **values)))
        found = self.get(new_id)
        assert found is not None
        return found

    def _own(self, user: User, comment_id: int) -> Comment:
        found = self.get(comment_id)
        if found is None or found.deleted:
            raise UserError("comment_not_found", "no such comment")
        if found.author_id != user.id:
            raise UserError("not_yours", "only its author can change a comment")
        return found

    def edit(self, user: User, comment_id: int, text: str) -> Comment:
        if self.is_banned(user.id):
            raise UserError("banned", "you can no longer comment here")
        self._own(user, comment_id)
        with self.engine.begin() as conn:
            conn.execute(
                comments.update().where(comments.c.id == comment_id).values(body=_body(text), edited_at=utcnow())
            )
        found = self.get(comment_id)
        assert found is not None
        return found

    def delete(self, user: User, comment_id: int) -> None:
        """The author's delete: the text is erased for good; the row stays as a placeholder while
        it has replies."""
        self._own(user, comment_id)
        with self.engine.begin() as conn:
            conn.execute(comments.update().where(comments.c.id == comment_id).values(deleted=True, body=""))

    def report(self, user: User, comment_id: int, reason: str) -> None:
        """Flag a comment for the operator (once per user and comment; a repeat updates the reason)."""
        if self.get(comment_id) is None:
            raise UserError("comment_not_found", "no such comment")
        why = reason.strip()[:MAX_REPORT_CHARS]
        key = (comment_reports.c.comment_id == comment_id) & (comment_reports.c.user_id == user.id)
        with self.engine.begin() as conn:
            if conn.execute(comment_reports.update().where(key).values(reason=why)).rowcount == 0:
                conn.execute(
                    comment_reports.insert().values(
                        comment_id=comment_id, user_id=user.id, reason=why, created_at=utcnow()
                    )
                )

    # --- reading ------------------------------------------------------------------------------

    def threads(self, paper_id: str) -> list[Thread]:
        """A paper's visible discussion, oldest first; deleted comments without visible replies
        and everything the operator hid are left out."""
        q = (
            self._select()
            .where(comments.c.paper_id == paper_id, comments.c.hidden.is_(False))
            .order_by(comments.c.created_at, comments.c.id)
        )
        with self.engine.connect() as conn:
            rows = [_comment(r) for r in conn.execute(q)]
        tops = {c.id: Thread(c) for c in rows if c.parent_id is None}
        for c in rows:
            if c.parent_id is not None and c.parent_id in tops and not c.deleted:
                tops[c.parent_id].replies.append(c)
        shown = [t for t in tops.values() if not t.comment.deleted or t.replies]
        return shown[:MAX_THREADS_SHOWN]

    def counts(self, paper_ids: Iterable[str]) -> dict[str, int]:
        """Visible, undeleted comments per paper (this instance's discussion only); replies in a
        hidden thread are not visible, so they do not count."""
        ids = list(dict.fromkeys(paper_ids))
        parent = comments.alias("parent")
        found: dict[str, int] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(ids), 500):
                q = (
                    sa.select(comments.c.paper_id, sa.func.count())
                    .select_from(comments.outerjoin(parent, parent.c.id == comments.c.parent_id))
                    .where(
                        comments.c.paper_id.in_(ids[i : i + 500]),
                        comments.c.hidden.is_(False),
                        comments.c.deleted.is_(False),
                        sa.or_(parent.c.id.is_(None), parent.c.hidden.is_(False)),
                    )
                    .group_by(comments.c.paper_id)
                )
                found.update({pid: int(n) for pid, n in conn.execute(q)})
        return found

    def replies_to(self, user: User, since: datetime | None, until: datetime) -> list[Comment]:
        """Visible replies by others to `user`'s comments, posted in (since, until]: what the
        digest tells the user about."""
        parent = comments.alias("parent")
        q = (
            self._select()
            .join(parent, parent.c.id == comments.c.parent_id)
            .where(
                parent.c.user_id == user.id,
                parent.c.hidden.is_(False),
                comments.c.user_id != user.id,
                comments.c.hidden.is_(False),
                comments.c.deleted.is_(False),
                comments.c.created_at <= until,
            )
            .order_by(comments.c.created_at, comments.c.id)
        )
        if since is not None:
            q = q.where(comments.c.created_at > since)
        with self.engine.connect() as conn:
            return [_comment(r) for r in conn.execute(q)]

    # --- moderation (the operator, through the CLI) ----------------------------------------

    def set_hidden(self, comment_id: int, hidden: bool = True) -> bool:
        with self.engine.begin() as conn:
            done = conn.execute(comments.update().where(comments.c.id == comment_id).values(hidden=hidden))
        return done.rowcount > 0

    def is_banned(self, user_id: int) -> bool:
        with self.engine.connect() as conn:
            return (
                conn.execute(sa.select(comment_bans.c.user_id).where(comment_bans.c.user_id == user_id)).first()
                is not None
            )

    def set_banned(self, user_id: int, banned: bool = True) -> None:
        with self.engine.begin() as conn:
            conn.execute(comment_bans.delete().where(comment_bans.c.user_id == user_id))
            if banned:
                conn.execute(comment_bans.insert().values(user_id=user_id, created_at=utcnow()))

    def reported(self, include_hidden: bool = False) -> list[Report]:
        """Reported comments, most reported first, with the reasons given."""
        q = sa.select(comment_reports.c.comment_id, comment_reports.c.reason, comments.c.hidden).join(
            comments, comments.c.id == comment_reports.c.comment_id
        )
        if not include_hidden:
            q = q.where(comments.c.hidden.is_(False))
        reasons: dict[int, list[str]] = {}
        hidden: dict[int, bool] = {}
        with self.engine.connect() as conn:
            for cid, reason, is_hidden in conn.execute(q):
                reasons.setdefault(cid, []).append(reason)
                hidden[cid] = is_hidden
        out = []
        for cid, why in reasons.items():
            found = self.get(cid, include_hidden=True)
            if found is not None:
                out.append(Report(found, len(why), [r for r in why if r], hidden[cid]))
        return sorted(out, key=lambda r: (-r.reports, r.comment.id))

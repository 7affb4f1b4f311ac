"""What each user asked to receive: digest subscription, saved searches and follows.

("Not interested" marks belong to recommendations: `papersift.discover.feedback`.)

Inputs are validated here, not in the surfaces, so the CLI and the web pages reject the same
things with the same messages (a `UserError`, as the community layer does).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from papersift.catalog.store import author_key
from papersift.community.accounts import User, UserError, utcnow
from papersift.community.schema import collections, users
from papersift.deliver.schema import follows, saved_searches, subscriptions
from papersift.query.syntax import parse
from papersift.query.types import QueryError
from papersift.search.types import MODES, Mode

Frequency = Literal["daily", "weekly"]
FREQUENCIES: tuple[Frequency, ...] = ("daily", "weekly")
# digest sections, most specific first: a paper is shown once, in the first section that has it
SECTIONS = ("searches", "follows", "recommended", "trending")
SECTION_LABELS = {
    "searches": "Saved-search matches",
    "follows": "Followed authors and categories",
    "recommended": "New recommendations",
    "trending": "Trending today",
}
FollowKind = Literal["author", "category"]
MAX_SAVED_SEARCHES = 20
MAX_FOLLOWS = 100


@dataclass(frozen=True)
class Subscription:
    user_id: int
    frequency: Frequency
    sections: tuple[str, ...]
    collections: tuple[int, ...]  # empty: every collection of the user (plus upvotes)
    active: bool
    updated_at: datetime


@dataclass(frozen=True)
class SavedSearch:
    id: int
    query: str
    mode: Mode
    created_at: datetime


@dataclass(frozen=True)
class Follow:
    kind: FollowKind
    key: str
    label: str


def _subscription(row: sa.Row[Any]) -> Subscription:
    return Subscription(
        row.user_id, row.frequency, tuple(row.sections), tuple(row.collections), bool(row.active), row.updated_at
    )


def _user(row: sa.Row[Any]) -> User:
    return User(row.id, row.email, row.created_at, bool(row.disabled))


class DeliveryStore:
    """Subscriptions, saved searches, follows and feedback of every user."""

    def __init__(self, engine: Engine):
        self.engine = engine

    # --- subscriptions ----------------------------------------------------------------

    def subscription(self, user: User) -> Subscription | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(subscriptions).where(subscriptions.c.user_id == user.id)).first()
        return _subscription(row) if row else None

    def subscribe(
        self,
        user: User,
        frequency: str = "daily",
        sections: Sequence[str] | None = None,
        collection_ids: Sequence[int] = (),
    ) -> Subscription:
        """Create or replace the user's digest subscription (and re-activate it)."""
        if frequency not in FREQUENCIES:
            raise UserError("invalid_frequency", f"frequency must be one of {', '.join(FREQUENCIES)}")
        chosen = list(SECTIONS if sections is None else dict.fromkeys(sections))
        unknown = [s for s in chosen if s not in SECTIONS]
        if unknown or not chosen:
            raise UserError("invalid_sections", f"choose sections among {', '.join(SECTIONS)}")
        owned = self._owned_collections(user, collection_ids)
        values = {
            "frequency": frequency,
            "sections": [s for s in SECTIONS if s in chosen],
            "collections": owned,
            "active": True,
            "updated_at": utcnow(),
        }
        with self.engine.begin() as conn:
            done = conn.execute(subscriptions.update().where(subscriptions.c.user_id == user.id).values(values))
            if done.rowcount == 0:
                conn.execute(subscriptions.insert().values(user_id=user.id, created_at=values["updated_at"], **values))
        found = self.subscription(user)
        assert found is not None
        return found

    def _owned_collections(self, user: User, ids: Sequence[int]) -> list[int]:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return []
        q = sa.select(collections.c.id).where(collections.c.user_id == user.id, collections.c.id.in_(wanted))
        with self.engine.connect() as conn:
            mine = set(conn.execute(q).scalars())
        if missing := [i for i in wanted if i not in mine]:
            raise UserError("unknown_collection", f"no collection {missing[0]} of yours")
        return wanted

    def set_active(self, user_id: int, active: bool) -> bool:
        """Pause or resume a subscription; False when the user has none."""
        with self.engine.begin() as conn:
            done = conn.execute(
                subscriptions.update()
                .where(subscriptions.c.user_id == user_id)
                .values(active=active, updated_at=utcnow())
            )
        return done.rowcount > 0

    def active_subscribers(self) -> list[tuple[User, Subscription]]:
        """Enabled users with an active subscription, by user id."""
        q = (
            sa.select(users, subscriptions)
            .join(subscriptions, subscriptions.c.user_id == users.c.id)
            .where(subscriptions.c.active.is_(True), users.c.disabled.is_(False))
            .order_by(users.c.id)
        )
        with self.engine.connect() as conn:
            return [(_user(r), _subscription(r)) for r in conn.execute(q)]

    # --- saved searches ---------------------------------------------------------------

    def save_search(self, user: User, query: str, mode: str = "hybrid") -> SavedSearch:
        """Save a search (checked with the real query parser); saving it twice is a no-op."""
        text = " ".join(query.split())
        if mode not in MODES:
            raise UserError("invalid_mode", f"mode must be one of {', '.join(MODES)}")
        try:
            if parse(text, allow_empty=True).is_empty:
                raise QueryError("empty query")
        except QueryError as exc:
            raise UserError("invalid_query", f"cannot save this search: {exc}") from None
        if len(self.saved_searches(user)) >= MAX_SAVED_SEARCHES:
            raise UserError("too_many", f"you can save at most {MAX_SAVED_SEARCHES} searches")
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    saved_searches.insert().values(user_id=user.id, query=text, mode=mode, created_at=utcnow())
                )
        except IntegrityError:
            pass  # already saved
        return next(s for s in self.saved_searches(user) if s.query == text and s.mode == mode)

    def saved_searches(self, user: User) -> list[SavedSearch]:
        q = sa.select(saved_searches).where(saved_searches.c.user_id == user.id).order_by(saved_searches.c.id)
        with self.engine.connect() as conn:
            return [SavedSearch(r.id, r.query, r.mode, r.created_at) for r in conn.execute(q)]

    def delete_search(self, user: User, search_id: int) -> bool:
        with self.engine.begin() as conn:
            done = conn.execute(
                saved_searches.delete().where(saved_searches.c.id == search_id, saved_searches.c.user_id == user.id)
            )
        return done.rowcount > 0

    # --- follows ----------------------------------------------------------------------

    def follow(self, user: User, kind: str, name: str) -> Follow:
        """Follow an author (any spelling that differs only in case/spaces matches) or a category."""
        label = " ".join(name.split())
        if kind not in ("author", "category"):
            raise UserError("invalid_follow", "follow an author or a category")
        if not label or len(label) > 300:
            raise UserError("invalid_follow", f"give the {kind}'s name (at most 300 characters)")
        if len(self.follows(user)) >= MAX_FOLLOWS:
            raise UserError("too_many", f"you can follow at most {MAX_FOLLOWS} authors and categories")
        key = author_key(label) if kind == "author" else label
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    follows.insert().values(user_id=user.id, kind=kind, key=key, label=label, created_at=utcnow())
                )
        except IntegrityError:
            pass  # already followed
        return Follow(kind, key, label)  # type: ignore[arg-type]

    def follows(self, user: User) -> list[Follow]:
        q = sa.select(follows).where(follows.c.user_id == user.id).order_by(follows.c.kind, follows.c.label)
        with self.engine.connect() as conn:
            return [Follow(r.kind, r.key, r.label) for r in conn.execute(q)]

    def unfollow(self, user: User, kind: str, key: str) -> bool:
        with self.engine.begin() as conn:
            done = conn.execute(
                follows.delete().where(follows.c.user_id == user.id, follows.c.kind == kind, follows.c.key == key)
            )
        return done.rowcount > 0

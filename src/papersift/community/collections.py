"""Named collections of papers: private by default, optionally public; owners edit them.

Every read takes the viewer, and a private collection looks exactly like a missing one to
anybody but its owner, so its existence does not leak.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from papersift.catalog.schema import inserted_id
from papersift.community.accounts import User, UserError, utcnow
from papersift.community.schema import collection_items, collections, users

MAX_NAME = 200


@dataclass(frozen=True)
class Collection:
    id: int
    owner_id: int
    owner_email: str
    name: str
    description: str
    public: bool
    created_at: datetime
    updated_at: datetime
    size: int


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise UserError("invalid_name", "a collection needs a name")
    if len(cleaned) > MAX_NAME:
        raise UserError("invalid_name", f"collection names have at most {MAX_NAME} characters")
    return cleaned


class Collections:
    """Create, read (respecting privacy), edit and fill collections."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def _select(self) -> sa.Select[Any]:
        size = sa.select(sa.func.count()).where(collection_items.c.collection_id == collections.c.id).scalar_subquery()
        return sa.select(collections, users.c.email.label("owner_email"), size.label("size")).join(
            users, users.c.id == collections.c.user_id
        )

    @staticmethod
    def _row(r: sa.Row[Any]) -> Collection:
        return Collection(
            r.id,
            r.user_id,
            r.owner_email,
            r.name,
            r.description,
            bool(r.public),
            r.created_at,
            r.updated_at,
            r.size,
        )

    def create(self, user: User, name: str, description: str = "", public: bool = False) -> Collection:
        """A new collection; raises UserError for an empty/too long or already used name."""
        now = utcnow()
        try:
            with self.engine.begin() as conn:
                cid = inserted_id(
                    conn.execute(
                        collections.insert().values(
                            user_id=user.id,
                            name=_clean_name(name),
                            description=description.strip()[:2000],
                            public=public,
                            created_at=now,
                            updated_at=now,
                        )
                    )
                )
        except IntegrityError:
            raise UserError("name_taken", "you already have a collection with this name") from None
        created = self.get(cid, user)
        assert created is not None
        return created

    def get(self, collection_id: int, viewer: User | None) -> Collection | None:
        """The collection if it exists and the viewer may see it (public, or owned); else None."""
        visible: sa.ColumnElement[bool] = collections.c.public.is_(True)
        if viewer is not None:
            visible = visible | (collections.c.user_id == viewer.id)
        with self.engine.connect() as conn:
            row = conn.execute(self._select().where(collections.c.id == collection_id, visible)).first()
        return self._row(row) if row else None

    def owned(self, user: User) -> list[Collection]:
        q = self._select().where(collections.c.user_id == user.id).order_by(collections.c.name)
        with self.engine.connect() as conn:
            return [self._row(r) for r in conn.execute(q)]

    def containing(self, user: User, paper_id: str) -> set[int]:
        """Ids of the user's collections that hold this paper."""
        q = (
            sa.select(collection_items.c.collection_id)
            .join(collections, collections.c.id == collection_items.c.collection_id)
            .where(collections.c.user_id == user.id, collection_items.c.paper_id == paper_id)
        )
        with self.engine.connect() as conn:
            return set(conn.execute(q).scalars())

    def update(
        self,
        user: User,
        collection_id: int,
        *,
        name: str | None = None,
        description: str | None = None,
        public: bool | None = None,
    ) -> Collection | None:
        """Rename / re-describe / change visibility; None if the user does not own it."""
        values: dict[str, object] = {"updated_at": utcnow()}
        if name is not None:
            values["name"] = _clean_name(name)
        if description is not None:
            values["description"] = description.strip()[:2000]
        if public is not None:
            values["public"] = public
        try:
            with self.engine.begin() as conn:
                res = conn.execute(collections.update().values(values).where(self._mine(user, collection_id)))
        except IntegrityError:
            raise UserError("name_taken", "you already have a collection with this name") from None
        return self.get(collection_id, user) if res.rowcount else None

    def delete(self, user: User, collection_id: int) -> bool:
        with self.engine.begin() as conn:
            conn.execute(
                collection_items.delete().where(
                    collection_items.c.collection_id.in_(
                        sa.select(collections.c.id).where(self._mine(user, collection_id))
                    )
                )
            )
            res = conn.execute(collections.delete().where(self._mine(user, collection_id)))
        return res.rowcount > 0

    def add(self, user: User, collection_id: int, paper_id: str) -> bool | None:
        """Add a paper: True if added, False if already there, None if not the user's collection."""
        if not self._owns(user, collection_id):
            return None
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    collection_items.insert().values(collection_id=collection_id, paper_id=paper_id, added_at=utcnow())
                )
                self._touch(conn, collection_id)
        except IntegrityError:
            return False
        return True

    def remove(self, user: User, collection_id: int, paper_id: str) -> bool | None:
        """Remove a paper: True if removed, False if absent, None if not the user's collection."""
        if not self._owns(user, collection_id):
            return None
        with self.engine.begin() as conn:
            res = conn.execute(
                collection_items.delete().where(
                    collection_items.c.collection_id == collection_id, collection_items.c.paper_id == paper_id
                )
            )
            self._touch(conn, collection_id)
        return res.rowcount > 0

    def paper_ids(self, collection_id: int) -> list[str]:
        """Paper ids in the order they were added (callers check visibility with `get` first)."""
        q = (
            sa.select(collection_items.c.paper_id)
            .where(collection_items.c.collection_id == collection_id)
            .order_by(collection_items.c.added_at, collection_items.c.paper_id)
        )
        with self.engine.connect() as conn:
            return list(conn.execute(q).scalars())

    def _owns(self, user: User, collection_id: int) -> bool:
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(collections.c.id).where(self._mine(user, collection_id))).first()
        return found is not None

    @staticmethod
    def _mine(user: User, collection_id: int) -> sa.ColumnElement[bool]:
        return (collections.c.id == collection_id) & (collections.c.user_id == user.id)

    @staticmethod
    def _touch(conn: sa.Connection, collection_id: int) -> None:
        touched = collections.update().where(collections.c.id == collection_id)
        conn.execute(touched.values(updated_at=utcnow()))

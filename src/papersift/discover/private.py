"""Private library entries: references a user uploaded that match no paper of the shared catalog.

An uploaded library is untrusted input, so it never writes catalog records (finding 1 of the
security review: a 3-entry .bib could retitle public papers and publish spam). Entries that
match a catalog paper join the collection as that paper; the rest are kept here, attached to
the owner's collection and visible to nobody else. The recommender uses them like library
papers: their title and abstract are embedded on first use (the vector is cached here, keyed by
the encoder that made it) and feed the lexical model too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from papersift.community import User
from papersift.community.accounts import utcnow
from papersift.community.schema import collections, library_entries
from papersift.paper import Paper

PREFIX = "private:"  # library item ids of private entries: "private:<entry id>", never a catalog id


@dataclass(frozen=True)
class PrivateEntry:
    id: int
    collection_name: str
    title: str
    abstract: str
    authors: list[str]
    added_at: datetime
    vector: np.ndarray | None

    @property
    def item_id(self) -> str:
        return f"{PREFIX}{self.id}"

    def as_paper(self) -> Paper:
        """A stand-in Paper (for showing it as a recommendation's reason); never stored."""
        return Paper(id=self.item_id, title=self.title, abstract=self.abstract, authors=list(self.authors))


def entry_key(paper: Paper) -> str:
    """What makes two uploaded entries the same reference within one collection."""
    return paper.id[:400]


class PrivateEntries:
    """Reads and writes library_entries; ownership is checked through the collection's owner."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def add(self, collection_id: int, paper: Paper) -> bool:
        """Keep an unmatched entry in a collection: True if added, False if it was already there."""
        key = entry_key(paper)
        with self.engine.begin() as conn:
            found = conn.execute(
                sa.select(library_entries.c.id).where(
                    library_entries.c.collection_id == collection_id, library_entries.c.key == key
                )
            ).first()
            if found is not None:
                return False
            conn.execute(
                library_entries.insert().values(
                    collection_id=collection_id,
                    key=key,
                    title=paper.title,
                    abstract=paper.abstract,
                    authors=list(paper.authors),
                    added_at=utcnow(),
                )
            )
        return True

    def count(self, collection_id: int) -> int:
        q = sa.select(sa.func.count()).where(library_entries.c.collection_id == collection_id)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar() or 0)

    def of_user(self, user: User, collection_ids: Sequence[int] | None, encoder: str, limit: int) -> list[PrivateEntry]:
        """The user's private entries (in the given collections), newest first; a cached vector
        is returned only when `encoder` made it."""
        q = (
            sa.select(library_entries, collections.c.name.label("collection_name"))
            .join(collections, collections.c.id == library_entries.c.collection_id)
            .where(collections.c.user_id == user.id)
            .order_by(library_entries.c.added_at.desc(), library_entries.c.id.desc())
            .limit(limit)
        )
        if collection_ids is not None:
            q = q.where(collections.c.id.in_(list(collection_ids)))
        with self.engine.connect() as conn:
            rows = list(conn.execute(q))
        return [
            PrivateEntry(
                r.id,
                r.collection_name,
                r.title,
                r.abstract,
                list(r.authors),
                r.added_at,
                np.frombuffer(r.vector, dtype=np.float32) if r.vector is not None and r.encoder == encoder else None,
            )
            for r in rows
        ]

    def store_vectors(self, ids: Sequence[int], encoder: str, vectors: np.ndarray) -> None:
        """Cache embeddings (one row per id) so an entry is embedded once per encoder."""
        rows = [
            {"eid": i, "encoder": encoder, "vector": v.astype(np.float32).tobytes()}
            for i, v in zip(ids, vectors, strict=True)
        ]
        with self.engine.begin() as conn:
            stmt = (
                library_entries.update()
                .where(library_entries.c.id == sa.bindparam("eid"))
                .values(encoder=sa.bindparam("encoder"), vector=sa.bindparam("vector"))
            )
            conn.execute(stmt, rows)

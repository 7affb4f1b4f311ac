"""The digest ledger: which digest each user got for which period, and in what state.

Life of a digest: `record()` stores the complete message as `pending` in the same transaction
as the papers it lists, *before* SMTP sees it; each hand-over to SMTP first increments
`attempts` (committed), then `mark_sent()` or `mark_failed()`. So after any crash the row
tells what to do: `pending`/`failed` rows are re-sent as stored (identical Message-ID, so a
receiver can recognise the one duplicate that a crash in the instant between the server's
"250 OK" and our commit could cause); `sent` and `rejected` rows are never sent again; a
period with a row is never composed again. Two runs at once agree on one row per period
(the unique (user, period) key) and only the run holding a row's claim sends it. A claim is a
lease held by a named process (`claimant`): the lease protects a row from a live run elsewhere,
and a run that finds the holder dead on this host takes the claim over at once (D38).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from papersift.catalog.schema import inserted_id
from papersift.community.accounts import utcnow
from papersift.deliver import claimant
from papersift.deliver.schema import digest_items, digests

Status = Literal["pending", "sent", "failed", "rejected"]
UNFINISHED: tuple[Status, ...] = ("pending", "failed")
CLAIM_LEASE = timedelta(minutes=15)  # far longer than a send with all its retries


def claim_row(engine: Engine, table: sa.Table, key: sa.ColumnElement[bool], lease: timedelta = CLAIM_LEASE) -> bool:
    """Take the unfinished row `key` of a ledger table (`digests`, `webhook_deliveries`) for this
    process. Free when unclaimed, when its lease ran out, or when its holder is a dead process of
    this host; the take-over names the dead holder in its WHERE, so of two runs that both saw it
    dead only the first update matches (compare-and-set) and the row is never sent twice at once."""
    c = table.c
    now, me = utcnow(), claimant.current()
    free = sa.or_(c.claimed_until.is_(None), c.claimed_until < now)
    with engine.begin() as conn:
        holder = conn.execute(sa.select(c.claimed_by).where(key)).scalar()
        if holder and holder != me and claimant.is_dead(holder):
            free = sa.or_(free, c.claimed_by == holder)
        done = conn.execute(
            table.update().where(key & c.status.in_(UNFINISHED) & free).values(claimed_until=now + lease, claimed_by=me)
        )
    return done.rowcount == 1


@dataclass(frozen=True)
class DigestRecord:
    id: int
    user_id: int
    period: str
    since: date
    until: date
    status: Status
    recipient: str
    subject: str
    message_id: str
    message: str
    attempts: int
    claimed_until: datetime | None
    claimed_by: str | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


def _record(row: sa.Row[Any]) -> DigestRecord:
    return DigestRecord(**{c: getattr(row, c) for c in DigestRecord.__dataclass_fields__})


class DigestLedger:
    """Reads and state transitions of the `digests` table."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def get(self, digest_id: int) -> DigestRecord:
        with self.engine.connect() as conn:
            return _record(conn.execute(sa.select(digests).where(digests.c.id == digest_id)).one())

    def find(self, user_id: int, period: str) -> DigestRecord | None:
        q = sa.select(digests).where(digests.c.user_id == user_id, digests.c.period == period)
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return _record(row) if row else None

    def last_window(self, user_id: int) -> tuple[date, date] | None:
        """(since, until) of the user's latest recorded digest: where the next window starts."""
        q = (
            sa.select(digests.c.since, digests.c.until)
            .where(digests.c.user_id == user_id)
            .order_by(digests.c.until.desc(), digests.c.id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return (row.since, row.until) if row else None

    def unfinished(self, user_id: int) -> list[DigestRecord]:
        """Recorded but not (yet) accepted by SMTP, oldest first."""
        q = (
            sa.select(digests)
            .where(digests.c.user_id == user_id, digests.c.status.in_(UNFINISHED))
            .order_by(digests.c.id)
        )
        with self.engine.connect() as conn:
            return [_record(r) for r in conn.execute(q)]

    def history(self, user_id: int, limit: int = 20) -> list[DigestRecord]:
        q = sa.select(digests).where(digests.c.user_id == user_id).order_by(digests.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [_record(r) for r in conn.execute(q)]

    def delivered(self, user_id: int, paper_ids: Iterable[str]) -> set[str]:
        """Which of these papers some digest of the user already lists."""
        ids = list(dict.fromkeys(paper_ids))
        found: set[str] = set()
        with self.engine.connect() as conn:
            for i in range(0, len(ids), 500):
                q = (
                    sa.select(digest_items.c.paper_id)
                    .join(digests, digests.c.id == digest_items.c.digest_id)
                    .where(digests.c.user_id == user_id, digest_items.c.paper_id.in_(ids[i : i + 500]))
                )
                found.update(conn.execute(q).scalars())
        return found

    def record(
        self,
        *,
        user_id: int,
        period: str,
        since: date,
        until: date,
        recipient: str,
        subject: str,
        message_id: str,
        message: str,
        items: list[tuple[str, str]],
    ) -> tuple[DigestRecord, bool]:
        """Store a composed digest as pending; returns (record, created). If another run recorded
        this period first, its record is returned with created=False and ours is dropped."""
        row = {
            "user_id": user_id,
            "period": period,
            "since": since,
            "until": until,
            "status": "pending",
            "recipient": recipient,
            "subject": subject,
            "message_id": message_id,
            "message": message,
            "attempts": 0,
            "created_at": utcnow(),
        }
        try:
            with self.engine.begin() as conn:
                did = inserted_id(conn.execute(digests.insert().values(row)))
                if items:
                    conn.execute(
                        digest_items.insert(), [{"digest_id": did, "paper_id": p, "section": s} for p, s in items]
                    )
        except IntegrityError:
            existing = self.find(user_id, period)
            assert existing is not None
            return existing, False
        return self.get(did), True

    def claim(self, digest_id: int, lease: timedelta = CLAIM_LEASE) -> bool:
        """Take an unfinished digest for sending; False when it is finished or a live run holds it.
        A run that crashed holding it leaves a claim the next run on this host takes over at once."""
        return claim_row(self.engine, digests, digests.c.id == digest_id, lease)

    def start_attempt(self, digest_id: int) -> None:
        self._update(digest_id, attempts=digests.c.attempts + 1)

    def mark_sent(self, digest_id: int, at: datetime | None = None) -> None:
        self._update(digest_id, status="sent", sent_at=at or utcnow(), last_error=None, claimed_until=None)

    def mark_failed(self, digest_id: int, error: str, permanent: bool) -> None:
        """`failed` is retried by the next run; `rejected` (a permanent 5xx answer) is not."""
        status = "rejected" if permanent else "failed"
        self._update(digest_id, status=status, last_error=error[:2000], claimed_until=None)

    def _update(self, digest_id: int, **values: object) -> None:
        with self.engine.begin() as conn:
            conn.execute(digests.update().where(digests.c.id == digest_id).values(values))

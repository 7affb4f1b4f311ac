"""The digest ledger's guarantees: one row per (user, period), one sender per row."""

from __future__ import annotations

from datetime import date, timedelta

from papersift.deliver.ledger import DigestLedger
from papersift.deliver.service import Delivery
from tests.deliver.conftest import make_user


def record(ledger: DigestLedger, user_id: int, period: str = "2025-06-04"):  # noqa: ANN201
    return ledger.record(
        user_id=user_id,
        period=period,
        since=date(2025, 6, 3),
        until=date(2025, 6, 4),
        recipient="ada@example.org",
        subject="s",
        message_id="<m@x>",
        message="m",
        items=[("2506.00001", "trending")],
    )


def test_one_row_per_period_and_one_claim_at_a_time(delivery: Delivery) -> None:
    user = make_user(delivery)
    ledger = delivery.ledger
    first, created = record(ledger, user.id)
    again, created_again = record(ledger, user.id)
    assert created and not created_again and again.id == first.id
    assert ledger.delivered(user.id, ["2506.00001", "2506.00002"]) == {"2506.00001"}
    assert ledger.claim(first.id) and not ledger.claim(first.id)  # a concurrent run backs off
    ledger.mark_failed(first.id, "421 later", permanent=False)
    assert ledger.claim(first.id, lease=timedelta(seconds=-1))  # failed rows can be claimed again...
    assert ledger.claim(first.id)  # ...and an expired lease (a crashed run) frees the row
    ledger.mark_sent(first.id)
    assert not ledger.claim(first.id) and ledger.unfinished(user.id) == []
    assert ledger.last_window(user.id) == (date(2025, 6, 3), date(2025, 6, 4))

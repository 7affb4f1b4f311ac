"""Delivery claims name their holder: a crashed sender's claims are taken over at once by the next
run on the same host, a live holder's never are (D38). Holders are real processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papersift.deliver import claimant
from papersift.deliver.ledger import DigestLedger
from papersift.deliver.schema import digests
from papersift.deliver.service import Delivery
from tests.deliver.conftest import make_user
from tests.deliver.test_ledger import record

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="needs Linux /proc")

HOLDER = "from papersift.deliver import claimant; print(claimant.current(), flush=True); import time; time.sleep(60)"


def holder_process() -> tuple[subprocess.Popen[str], str]:
    """A real other process, alive until killed, and the identity it would claim rows with."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def pending_digest(ledger: DigestLedger, user_id: int) -> int:
    rec, _ = record(ledger, user_id)
    return rec.id


def test_identity_names_this_process() -> None:
    host, boot, pid, start = claimant.current().split("|")
    assert host == socket.gethostname() and boot and pid == str(os.getpid()) and start.isdigit()
    assert not claimant.is_dead(claimant.current())


def test_a_dead_holders_claim_is_taken_over_a_live_ones_is_not(delivery: Delivery) -> None:
    ledger = delivery.ledger
    digest_id = pending_digest(ledger, make_user(delivery).id)
    proc, identity = holder_process()
    try:
        assert ledger.claim(digest_id)  # take the row, then hand the live lease to the other process
        ledger._update(digest_id, claimed_by=identity)
        assert not ledger.claim(digest_id)  # alive: its lease stands
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert claimant.is_dead(identity)
    assert ledger.claim(digest_id)  # dead: taken over at once, lease still 15 minutes away
    assert ledger.get(digest_id).claimed_by == claimant.current()
    assert not ledger.claim(digest_id)  # ...and now held by a live process (this one) again


def test_holders_that_cannot_be_checked_keep_their_lease(delivery: Delivery) -> None:
    ledger = delivery.ledger
    digest_id = pending_digest(ledger, make_user(delivery).id)
    assert ledger.claim(digest_id)
    host, boot, pid, start = claimant.current().split("|")
    for other in (f"elsewhere.example|{boot}|999999|1", "legacy-row", f"{host}||{pid}|{start}"):
        ledger._update(digest_id, claimed_by=other)
        assert not claimant.is_dead(other) and not ledger.claim(digest_id), other
    rebooted = f"{host}|an-earlier-boot|{pid}|{start}"
    assert claimant.is_dead(rebooted)
    ledger._update(digest_id, claimed_by=rebooted)
    assert ledger.claim(digest_id)


def test_pid_reused_by_a_later_process_is_dead() -> None:
    host, boot, pid, start = claimant.current().split("|")
    assert claimant.is_dead(f"{host}|{boot}|{pid}|{int(start) + 1}")


@given(st.text(max_size=80))
def test_is_dead_never_raises_and_never_judges_a_foreign_string(text: str) -> None:
    dead = claimant.is_dead(text)
    assert not dead or text.split("|")[0] == socket.gethostname()


def test_claims_column_exists_after_migrations(delivery: Delivery) -> None:
    assert "claimed_by" in digests.c
    ledger = delivery.ledger
    digest_id = pending_digest(ledger, make_user(delivery).id)
    assert ledger.get(digest_id).claimed_by is None

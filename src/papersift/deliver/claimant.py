"""Who holds a delivery claim: a process identity that a later run on the same machine can check.

A claim on a ledger row (a digest, or a webhook delivery) is a lease, so two runs never send the
same row at once. A lease alone makes the rows of a run that crashed wait until it expires (15
minutes; the digest crash drill measured exactly that delay). So each claim also names its holder:
`host|boot|pid|start`, the start being the process's start time in clock ticks since boot (from
/proc). A later run that finds a row claimed by a holder of its own host and boot whose pid is gone
or now belongs to a later process (another start time), or by an earlier boot of its own host,
knows that holder can never finish the send and takes the claim over at once. A holder on another
host (two machines sharing a PostgreSQL catalog) cannot be checked from here: its lease is
honoured until it expires. Where /proc is missing (not Linux) no holder is ever judged dead.
"""

from __future__ import annotations

import logging
import os
import socket
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

PROC = Path("/proc")


def _boot_id() -> str:
    try:
        return (PROC / "sys/kernel/random/boot_id").read_text("ascii").strip()
    except OSError:
        return ""


def _start_ticks(pid: int) -> str | None:
    """Field 22 of /proc/PID/stat (after the command name, which may itself hold spaces and ')')."""
    try:
        stat = (PROC / str(pid) / "stat").read_text("ascii", errors="replace")
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


@cache
def _me(pid: int) -> str:
    return "|".join((socket.gethostname(), _boot_id(), str(pid), _start_ticks(pid) or ""))


def current() -> str:
    """This process's identity, as stored in `claimed_by` (cached per pid, so a fork gets its own)."""
    return _me(os.getpid())


def is_dead(holder: str) -> bool:
    """True only when `holder` is certainly gone: a process of this host that no longer runs."""
    parts = holder.split("|")
    if len(parts) != 4 or not parts[1] or not parts[3]:
        return False  # no boot or start time recorded: cannot tell
    host, boot, pid, start = parts
    here_host, here_boot = socket.gethostname(), _boot_id()
    if host != here_host or not here_boot:
        return False
    if boot != here_boot:
        log.info("claim holder %s ran before this host's last boot", holder)
        return True
    if not pid.isdigit():
        return False
    dead = _start_ticks(int(pid)) != start
    if dead:
        log.info("claim holder %s no longer runs", holder)
    return dead

#!/usr/bin/env python3
"""Crash drill for `digest send`: SIGKILL it at seeded random moments while it talks to a real SMTP
server (aiosmtpd on 127.0.0.1), restart, and check every subscriber got their digest exactly once.

    PYTHONPATH=src:. .venv/bin/python drills/digest_crash.py [--subscribers 40] [--kills 30] [--seed 13]
        [--out drills/results/digest_crash.md]

Home: the delivery tests' 12-paper corpus (tests/deliver/fixtures.py), indexed, with `--subscribers`
accounts subscribed to a daily digest (saved search "language models" + trending). The SMTP
server takes 40 ms per message so kills land mid-run. A clean run on a copy of the home gives the
expected digest of every subscriber. Each chain starts from a fresh copy: start, kill after a
random delay, restart ... until a run ends by itself. Checked per subscriber: at least one message,
one distinct Message-ID, and its listed papers equal to the clean run's. A digest missing after the
chain's final run is "delayed" (still pending in the ledger behind a dead run's claim: what the
15-minute lease alone caused before D38) and counted as a mismatch too; the ledger must end with
every digest `sent`. A message delivered twice with the same Message-ID (a crash between the
server's reply and the ledger commit) is a "resend", counted and reported (the ledger's documented
at-least-once edge), not a mismatch.
"""

from __future__ import annotations

import asyncio
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.deliver.fixtures, tests.harness

from typer.testing import CliRunner  # noqa: E402

from papersift.cli import app  # noqa: E402
from papersift.encoder.embed import load_encoder  # noqa: E402
from papersift.index.indexer import run_indexer  # noqa: E402
from tests.community.factories import make_context  # noqa: E402
from tests.deliver.fixtures import SmtpServer, corpus, run_server  # noqa: E402
from tests.harness import PAPERSIFT, free_port, load, parser, write_result  # noqa: E402

NOW = "2025-06-04T07:00:00"


class SlowSmtp(SmtpServer):
    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]  # noqa: ANN001, N802
        await asyncio.sleep(0.04)
        return await super().handle_DATA(server, session, envelope)


def send_args(home: Path, port: int) -> list[str]:
    return [*PAPERSIFT, "--home", str(home), "digest", "send", "--smtp-host", "127.0.0.1", "--smtp-port", str(port)] + [
        "--smtp-security",
        "none",
        "--mail-from",
        "digest@example.org",
        "--now",
        NOW,
    ]


def kill_mid_send(proc: subprocess.Popen[bytes], server: SmtpServer, rng: random.Random, span: float) -> bool:
    """Kill at a random moment: half the time after a random delay, half the time as soon as the
    server has begun a random number (1-8) of this run's messages (so kills land while mail is flowing)."""
    deadline = time.monotonic() + rng.uniform(0.5, span * 1.1)
    after_messages = server.data_calls + rng.randint(1, 8) if rng.random() < 0.5 else None
    while proc.poll() is None:
        due = server.data_calls >= after_messages if after_messages is not None else time.monotonic() >= deadline
        if due:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.005)
    if proc.returncode != 0:
        raise SystemExit(f"digest send failed: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
    return False


def listed(msg: EmailMessage) -> list[str]:
    return sorted(re.findall(r"/papers/(\S+)", msg.get_body(("plain",)).get_content()))  # type: ignore[union-attr]


def ledger_status(home: Path) -> dict[str, int]:
    with sqlite3.connect(home / "catalog.db") as db:
        return dict(db.execute("SELECT status, count(*) FROM digests GROUP BY status").fetchall())


def build(home: Path, subscribers: int) -> None:
    ctx = make_context(home, corpus())
    run_indexer(ctx.catalog, ctx.indexes, load_encoder("minilm-int8", threads=1))
    for i in range(subscribers):
        ctx.community.accounts.create_user(f"reader{i}@example.org", f"password number {i}")
    ctx.close()
    runner = CliRunner()
    for i in range(subscribers):
        r = runner.invoke(
            app, ["--home", str(home), "digest", "subscribe", f"reader{i}@example.org", "--query", '"language models"']
        )
        assert r.exit_code == 0, r.output


def main() -> int:
    ap = parser(__doc__)
    ap.add_argument("--subscribers", type=int, default=40)
    ap.add_argument("--kills", type=int, default=30)
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="papersift-digest-crash-"))
    base = work / "base"
    build(base, args.subscribers)
    smtp = SlowSmtp(free_port())
    kills = chains = mismatches = resends = delayed = 0
    notes: list[str] = []
    load_before = load()
    for server in run_server(smtp):
        clean = work / "clean"
        shutil.copytree(base, clean)
        t0 = time.perf_counter()
        subprocess.run(send_args(clean, server.port), check=True, capture_output=True)
        span = time.perf_counter() - t0
        expected = {m["To"]: listed(m) for m in server.received}
        assert len(expected) == args.subscribers, f"clean run sent {len(expected)} digests"
        while kills < args.kills:
            server.received.clear()
            home = work / f"chain-{chains}"
            shutil.copytree(base, home)
            while True:
                proc = subprocess.Popen(send_args(home, server.port), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                if kill_mid_send(proc, server, rng, span):
                    kills += 1
                    continue
                break
            chains += 1
            got: dict[str, list[EmailMessage]] = defaultdict(list)
            for m in server.received:
                got[m["To"]].append(m)
            problems = []
            for to, want in expected.items():
                msgs = got.get(to, [])
                ids = {m["Message-ID"] for m in msgs}
                if not msgs:
                    problems.append(f"{to}: no digest (delayed)")
                    delayed += 1
                elif len(ids) > 1:
                    problems.append(f"{to}: {len(ids)} different digests")
                elif listed(msgs[0]) != want:
                    problems.append(f"{to}: different papers")
                resends += max(0, len(msgs) - 1) if len(ids) == 1 else 0
            status = ledger_status(home)
            if status != {"sent": args.subscribers}:
                problems.append(f"ledger {status}")
            if problems:
                mismatches += 1
                notes += problems[:3]
            print(f"chain {chains}: kills {kills}, problems {problems[:3]}", file=sys.stderr)
            shutil.rmtree(home)
    shutil.rmtree(work)
    load_after = load()
    table = (
        "| command | SIGKILLs | chains | subscribers per chain | mismatches | delayed digests "
        "| resends (same Message-ID) | clean run s |\n"
        "|---|---|---|---|---|---|---|---|\n"
        f"| `digest send` | {kills} | {chains} | {args.subscribers} | {mismatches} | {delayed} | {resends} "
        f"| {span:.1f} |"
    )
    note = (
        f"Seed {args.seed}; each kill either after a delay uniform in [0.5 s, 1.1 x the clean run] or once "
        "the server has begun 1-8 more messages (coin flip); SMTP: aiosmtpd on 127.0.0.1, "
        f"40 ms per message. Load average before: {load_before}; after: {load_after}."
        + (f" Problems: {'; '.join(notes[:5])}" if notes else "")
    )
    command = (
        f"PYTHONPATH=src:. .venv/bin/python drills/digest_crash.py --subscribers {args.subscribers} "
        f"--kills {args.kills} --seed {args.seed}"
    )
    write_result(args.out, "Crash drill: digest send", command, f"{table}\n\n{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

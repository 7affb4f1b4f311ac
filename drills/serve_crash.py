#!/usr/bin/env python3
"""Crash drill for `serve`: SIGKILL it at seeded random moments while clients vote, save papers to
collections and sign in; restart it each time; check that no acknowledged write was lost.

    PYTHONPATH=src .venv/bin/python drills/serve_crash.py [--papers 300] [--users 24] [--clients 6]
        [--kills 30] [--seed 13] [--out drills/results/serve_crash.md]

Home: the first `--papers` arxiv-daily-cs records, ingested and lexically indexed, and `--users`
accounts (password, API token, one collection). Each round starts `serve` (one worker, 127.0.0.1),
lets `--clients` threads write back to back — an upvote through the JSON API, an add to the user's
collection, a sign-in through the real form — and SIGKILLs the server (a coin flip per round:
after a delay uniform in [0.5 s, 6 s], or once 1-12 more writes have been acknowledged). A write
is *acknowledged* when its response arrived with success (200, or the sign-in's 303 with a
session cookie); a request cut by the kill is not. After every kill: SQLite
`PRAGMA integrity_check`. After every restart: /healthz answers and a lexical search finds
papers (the index opens). At the end, against the catalog and a last server: every acknowledged
vote and collection add is in the catalog, every acknowledged sign-in's session cookie still opens
/account. Lost = acknowledged but absent.
"""

from __future__ import annotations

import random
import re
import shutil
import signal
import sqlite3
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.harness

from tests.harness import (  # noqa: E402
    create_accounts,
    first_records,
    load,
    papersift_or_exit,
    parser,
    start_serve,
    write_result,
)

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


@dataclass
class Account:
    user_id: int
    email: str
    password: str
    token: str
    collection: int


@dataclass
class Acked:
    """Acknowledged writes, appended by the client threads (list.append is atomic)."""

    votes: list[tuple[int, str]] = field(default_factory=list)
    saves: list[tuple[int, str]] = field(default_factory=list)
    sessions: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    cut: int = 0  # requests that got no answer (the kill landed during them)

    def count(self) -> int:
        return len(self.votes) + len(self.saves) + len(self.sessions)


def build(home: Path, corpus: Path, users: int) -> tuple[list[Account], list[str]]:
    for args in (["ingest", "beir", str(corpus)], ["index", "--lexical-only"]):
        papersift_or_exit(home, *args)
    from papersift.config import load_settings
    from papersift.context import AppContext

    ctx = AppContext(load_settings(home))
    accounts = [Account(**a) for a in create_accounts(ctx, users, "writer", "Drill")]
    ids = [p.id for p in ctx.catalog.iter_all()]
    ctx.close()
    return accounts, ids


def client(
    base: str, mine: list[Account], ids: list[str], rng: random.Random, acked: Acked, stop: threading.Event
) -> None:
    """Write until the server goes away (or `stop`): vote, save, sign in, round-robin over accounts."""
    with httpx.Client(base_url=base, timeout=30, follow_redirects=False) as http:
        n = rng.randrange(3)  # each round starts with another kind of write, so all three get cut and acknowledged
        while not stop.is_set():
            account, kind = mine[n % len(mine)], n % 3
            n += 1
            pid = rng.choice(ids)
            auth = {"Authorization": f"Bearer {account.token}"}
            try:
                if kind == 0:
                    if http.post(f"/api/papers/{pid}/vote", headers=auth).status_code == 200:
                        acked.votes.append((account.user_id, pid))
                elif kind == 1:
                    url = f"/api/collections/{account.collection}/papers"
                    if http.post(url, json={"paper_id": pid}, headers=auth).status_code == 200:
                        acked.saves.append((account.collection, pid))
                else:
                    browser = httpx.Client(base_url=base, timeout=30, follow_redirects=False)
                    with browser:
                        page = browser.get("/account/signin")
                        match = CSRF.search(page.text)
                        if not match:
                            continue
                        form = {"email": account.email, "password": account.password, "csrf_token": match.group(1)}
                        done = browser.post("/account/signin", data=form)
                        if done.status_code == 303:
                            acked.sessions.append((account.email, dict(browser.cookies)))
            except httpx.TransportError:
                acked.cut += 1
                return  # the server is gone: this round is over for this thread


def wait_for_kill(acked: Acked, rng: random.Random) -> None:
    """Half the rounds: a delay uniform in [0.5 s, 6 s]; the other half: until 1-12 more writes are
    acknowledged (at most 120 s), so kills also land while writes flow on a slow, loaded machine."""
    if rng.random() < 0.5:
        time.sleep(rng.uniform(0.5, 6.0))
        return
    target, deadline = acked.count() + rng.randint(1, 12), time.monotonic() + 120
    while acked.count() < target and time.monotonic() < deadline:
        time.sleep(0.01)


def integrity(home: Path) -> str:
    with sqlite3.connect(f"file:{home / 'catalog.db'}?mode=ro", uri=True) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


def lost_writes(home: Path, acked: Acked) -> tuple[int, int]:
    with sqlite3.connect(f"file:{home / 'catalog.db'}?mode=ro", uri=True) as db:
        votes = set(db.execute("SELECT user_id, paper_id FROM votes").fetchall())
        saves = set(db.execute("SELECT collection_id, paper_id FROM collection_items").fetchall())
    return len(set(acked.votes) - votes), len(set(acked.saves) - saves)


def main() -> int:
    ap = parser(__doc__)
    ap.add_argument("--papers", type=int, default=300)
    ap.add_argument("--users", type=int, default=24)
    ap.add_argument("--clients", type=int, default=6)
    ap.add_argument("--kills", type=int, default=30)
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="papersift-serve-crash-"))
    home, corpus = work / "home", work / "corpus.jsonl"
    corpus.write_text("".join(first_records(args.shared, args.papers)), "utf-8")
    accounts, ids = build(home, corpus, args.users)
    acked = Acked()
    before = load()
    bad_integrity: list[str] = []
    index_failures = kills = 0
    startup: list[float] = []
    try:
        while kills < args.kills:
            t0 = time.perf_counter()
            server = start_serve(home, timeout=600)
            startup.append(time.perf_counter() - t0)
            found = httpx.get(f"{server.base}/api/search", params={"q": "learning", "mode": "lexical"}, timeout=60)
            if found.status_code != 200 or not found.json().get("results"):
                index_failures += 1
            stop = threading.Event()
            threads = [
                threading.Thread(
                    target=client,
                    args=(server.base, accounts[i :: args.clients], ids, random.Random(rng.random()), acked, stop),
                )
                for i in range(args.clients)
            ]
            for t in threads:
                t.start()
            wait_for_kill(acked, rng)
            server.proc.send_signal(signal.SIGKILL)
            server.proc.wait()
            kills += 1
            stop.set()
            for t in threads:
                t.join(timeout=60)
            if (state := integrity(home)) != "ok":
                bad_integrity.append(state)
            print(
                f"kill {kills}: acknowledged votes {len(acked.votes)}, saves {len(acked.saves)}, "
                f"sign-ins {len(acked.sessions)}, cut {acked.cut}",
                file=sys.stderr,
            )
        lost_votes, lost_saves = lost_writes(home, acked)
        server = start_serve(home, timeout=600)
        try:
            lost_sessions = 0
            for email, cookies in acked.sessions:
                page = httpx.get(f"{server.base}/account", cookies=cookies, timeout=30)
                lost_sessions += not (page.status_code == 200 and email in page.text)
        finally:
            server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = [
        "| command | SIGKILLs | acknowledged writes (votes / collection adds / sign-ins) | requests cut by a kill "
        "| lost acknowledged writes | integrity_check not ok | restarts whose index did not open "
        "| start-up s (median / max) |",
        "|---|---|---|---|---|---|---|---|",
        f"| `serve` | {kills} | {len(acked.votes):,} / {len(acked.saves):,} / {len(acked.sessions):,} | {acked.cut} "
        f"| {lost_votes} / {lost_saves} / {lost_sessions} | {len(bad_integrity)} | {index_failures} "
        f"| {sorted(startup)[len(startup) // 2]:.1f} / {max(startup):.1f} |",
    ]
    note = (
        f"{args.papers:,} arxiv-daily-cs papers (lexical index), {args.users} accounts, {args.clients} client threads; "
        f"seed {args.seed}; kill (coin flip) after a delay uniform in [0.5 s, 6 s] from /healthz answering, or "
        f"once 1-12 more writes were acknowledged; `serve --workers 1` on "
        f"127.0.0.1 (SQLite catalog in WAL mode). Load average before: {before}; after: {load()}."
        + (f" integrity_check: {bad_integrity[:3]}" if bad_integrity else "")
    )
    command = (
        f"PYTHONPATH=src .venv/bin/python drills/serve_crash.py --papers {args.papers} --users {args.users} "
        f"--clients {args.clients} --kills {args.kills} --seed {args.seed}"
    )
    write_result(args.out, "Crash drill: serve", command, "\n".join(table) + "\n\n" + note)
    return 0


if __name__ == "__main__":
    sys.exit(main())

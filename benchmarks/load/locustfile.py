"""Locust users for benchmarks/load.py: a mixed, realistic session against `papersift serve`.

Each simulated user reads the daily feed, searches in each mode, opens paper pages and similar
papers, signs in through the real form (argon2 and all), votes and adds papers to a collection
through the JSON API with its own API token. Credentials and paper ids come from the JSON file
named by $PAPERSIFT_LOAD_FIXTURE (written by load.py). Loopback only.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re

from locust import FastHttpUser, between, task

FIXTURE = json.loads(open(os.environ["PAPERSIFT_LOAD_FIXTURE"], encoding="utf-8").read())
ACCOUNTS = itertools.cycle(FIXTURE["users"])
WORDS = FIXTURE["words"]
IDS = FIXTURE["ids"]
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


class Reader(FastHttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.account = next(ACCOUNTS)
        self.auth = {"Authorization": f"Bearer {self.account['token']}"}

    @task(3)
    def daily(self) -> None:
        self.client.get("/api/daily", name="GET /api/daily")

    @task(2)
    def search_lexical(self) -> None:
        self.client.get(f"/api/search?q={random.choice(WORDS)}&mode=lexical", name="GET /api/search lexical")

    @task(2)
    def search_dense(self) -> None:
        self.client.get(f"/api/search?q={random.choice(WORDS)}&mode=dense", name="GET /api/search dense")

    @task(2)
    def search_hybrid(self) -> None:
        q = f"{random.choice(WORDS)} {random.choice(WORDS)}"
        self.client.get(f"/api/search?q={q}&mode=hybrid", name="GET /api/search hybrid")

    @task(2)
    def paper_page(self) -> None:
        self.client.get(f"/papers/{random.choice(IDS)}", name="GET /papers/{id}")

    @task(1)
    def similar(self) -> None:
        self.client.get(f"/api/papers/{random.choice(IDS)}/similar", name="GET /api/papers/{id}/similar")

    @task(1)
    def vote(self) -> None:
        pid = random.choice(IDS)
        self.client.post(f"/api/papers/{pid}/vote", headers=self.auth, name="POST /api/papers/{id}/vote")
        self.client.delete(f"/api/papers/{pid}/vote", headers=self.auth, name="DELETE /api/papers/{id}/vote")

    @task(1)
    def collect(self) -> None:
        self.client.post(
            f"/api/collections/{self.account['collection']}/papers",
            json={"paper_id": random.choice(IDS)},
            headers=self.auth,
            name="POST /api/collections/{id}/papers",
        )

    @task(1)
    def sign_in(self) -> None:
        page = self.client.get("/account/signin", name="GET /account/signin")
        match = CSRF.search(page.text or "")
        if not match:
            return
        self.client.post(
            "/account/signin",
            data={"email": self.account["email"], "password": self.account["password"], "csrf_token": match.group(1)},
            allow_redirects=False,
            name="POST /account/signin",
        )

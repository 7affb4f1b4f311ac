"""Onboarding through the web: sign-up lands there, seeds, a round of ratings, the JSON API, CSRF, privacy.

Runs over the indexed real-text catalog of tests/deliver (questions need vectors).
"""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from papersift.discover.onboarding_service import MAX_SEED_LINES
from tests.deliver.conftest import ctx, encoder, indexed_template  # noqa: F401 (the indexed catalog)
from tests.web.conftest import PASSWORD, csrf

ROBOTS = {"2506.00001", "2506.00002", "2506.00003", "2506.00004", "2506.00005"}
XSS = "<script>alert(1)</script>"


def _sign_up(client: TestClient, email: str = "ada@example.org") -> str:
    token = csrf(client, "/account/signup")
    r = client.post(
        "/account/signup", data={"email": email, "password": PASSWORD, "password2": PASSWORD, "csrf_token": token}
    )
    # sign-up never signs in (it answers a new and a taken address alike); the sign-in it leads to
    # sends a new user to onboarding
    assert r.status_code == 303 and r.headers["location"].startswith("/account/signin?")
    assert "next=%2Faccount%2Fonboarding" in r.headers["location"]
    r = client.post(
        "/account/signin",
        data={"email": email, "password": PASSWORD, "csrf_token": token, "next": "/account/onboarding"},
    )
    assert r.status_code == 303 and r.headers["location"] == "/account/onboarding"  # new users start here
    return token


def _bearer(client: TestClient, email: str) -> dict[str, str]:
    accounts = client.app.state.web.community.accounts  # type: ignore[attr-defined]
    user = accounts.create_user(email, PASSWORD)
    _, secret = accounts.create_token(user, "t")
    return {"Authorization": f"Bearer {secret}"}


def _questions(html: str) -> list[str]:
    return re.findall(r'<input type="hidden" name="paper" value="([^"]+)">', html)


def test_sign_up_seed_and_rate_a_round(client: TestClient) -> None:
    token = _sign_up(client)
    first = client.get("/account/onboarding")
    assert first.status_code == 200 and 'name="category" value="cs.RO"' in first.text
    assert _questions(first.text) == []  # nothing known yet: step 1 only
    seeded = client.post(
        "/account/onboarding/seed",
        data={"csrf_token": token, "category": ["cs.RO"], "papers": f"2506.00001\n{XSS}"},
    )
    assert seeded.status_code == 200
    assert "Found 1 paper and rated it relevant" in seeded.text
    assert f"Nothing found for: {XSS}" not in seeded.text and "Nothing found for: &lt;script&gt;" in seeded.text
    asked = _questions(seeded.text)
    assert asked and "2506.00001" not in asked and len(set(asked)) == len(asked) <= 10
    answers = {f"answer{i}": ("yes" if pid in ROBOTS else "no") for i, pid in enumerate(asked)}
    answers["answer0"] = "skip"
    saved = client.post(
        "/account/onboarding/answers", data={"csrf_token": token, "paper": asked, "category": ["cs.RO"], **answers}
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/account/onboarding?category=cs.RO&saved={len(asked) - 1}"
    page = client.get(saved.headers["location"]).text
    assert f"Saved {len(asked) - 1} rating" in page
    assert not set(_questions(page)) & (set(asked[1:]) | {"2506.00001"})  # rated papers are not asked again
    recs = client.get("/recommendations").text
    assert "which you rated relevant" in recs


def test_answers_need_csrf_and_store_nothing_without_it(client: TestClient) -> None:
    _sign_up(client)
    r = client.post("/account/onboarding/answers", data={"paper": ["2506.00001"], "answer0": "yes"})
    assert r.status_code == 403
    r = client.post("/account/onboarding/seed", data={"papers": "2506.00001"})
    assert r.status_code == 403
    assert "— relevant" not in client.get("/account/onboarding").text


def test_ratings_can_be_removed_from_the_page(client: TestClient) -> None:
    token = _sign_up(client)
    client.post("/account/onboarding/seed", data={"csrf_token": token, "papers": "2506.00004"})
    assert "— relevant" in client.get("/account/onboarding").text
    r = client.post("/account/onboarding/ratings/delete", data={"csrf_token": token, "paper_id": "2506.00004"})
    assert r.status_code == 303
    assert "— relevant" not in client.get("/account/onboarding").text


def test_api_round_trip_is_private_and_bounded(client: TestClient) -> None:
    ada, bob = _bearer(client, "ada@example.org"), _bearer(client, "bob@example.org")
    assert client.get("/api/onboarding/questions").status_code == 401
    seeds = client.post(
        "/api/onboarding/seeds", json={"papers": ["2506.00002", "Claude Shannon", "nope nope"]}, headers=ada
    )
    assert seeds.status_code == 200
    body = seeds.json()
    assert "2506.00002" in body["found"] and "2506.00011" in body["found"] and body["unresolved"] == ["nope nope"]
    asked = client.get("/api/onboarding/questions", params={"category": "cs.RO", "limit": 3}, headers=ada).json()
    ids = [q["id"] for q in asked["questions"]]
    assert 0 < len(ids) <= 3 and not set(ids) & set(body["found"])
    assert all(q["url"] == f"/papers/{q['id']}" for q in asked["questions"])
    posted = client.post(
        "/api/onboarding/ratings",
        json={"ratings": [{"paper_id": ids[0], "relevant": False}, {"paper_id": "9999.99999", "relevant": True}]},
        headers=ada,
    ).json()
    assert posted["stored"] == 1 and {"paper_id": ids[0], "relevant": False} in [
        {k: r[k] for k in ("paper_id", "relevant")} for r in posted["ratings"]
    ]
    assert client.get("/api/onboarding/ratings", headers=bob).json()["ratings"] == []  # private to ada
    gone = client.delete(f"/api/onboarding/ratings/{ids[0]}", headers=ada).json()
    assert ids[0] not in [r["paper_id"] for r in gone["ratings"]]
    too_many = {"papers": ["2506.00001"] * (MAX_SEED_LINES + 1)}
    assert client.post("/api/onboarding/seeds", json=too_many, headers=ada).status_code == 422
    too_long = {"papers": ["x" * 301]}
    assert client.post("/api/onboarding/seeds", json=too_long, headers=ada).status_code == 422
    flood = {"ratings": [{"paper_id": "2506.00001", "relevant": True}] * 51}
    assert client.post("/api/onboarding/ratings", json=flood, headers=ada).status_code == 422
    assert client.get("/api/onboarding/questions", params={"limit": 21}, headers=ada).status_code == 422


def test_api_session_writes_need_the_csrf_header(client: TestClient) -> None:
    token = _sign_up(client)
    r = client.post("/api/onboarding/ratings", json={"ratings": [{"paper_id": "2506.00001", "relevant": True}]})
    assert r.status_code == 403
    ok = client.post(
        "/api/onboarding/ratings",
        json={"ratings": [{"paper_id": "2506.00001", "relevant": True}]},
        headers={"X-CSRF-Token": token},
    )
    assert ok.status_code == 200 and ok.json()["stored"] == 1

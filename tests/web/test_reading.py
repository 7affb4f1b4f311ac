"""Seen marks, the reading queue and private notes: the service, safe Markdown, the JSON API."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from papersift.community.reading import render_note
from tests.web.conftest import sign_up

ATTACKS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[x](vbscript:msgbox(1)) [y](data:text/html;base64,PHNjcmlwdD4=)",
    "![pixel](https://tracker.example/p.gif)",
    '<a href="javascript:alert(1)">raw</a>',
    "<iframe src=//evil></iframe>",
]
ALLOWED_TAGS = {"p", "em", "strong", "code", "pre", "a", "ul", "ol", "li", "blockquote", "h1", "h2", "h3", "h4"}
ALLOWED_TAGS |= {"h5", "h6", "hr", "br"}


def _tags(html: str) -> set[str]:
    return {t.lower() for t in re.findall(r"</?([a-zA-Z0-9]+)", html)}


def test_markdown_renders_and_attacks_stay_text() -> None:
    html = render_note("# Idea\n\nUse **this** with `code` and [the paper](https://arxiv.org/abs/2405.00001).")
    assert "<h1>Idea</h1>" in html and "<strong>this</strong>" in html and "<code>code</code>" in html
    assert '<a rel="nofollow noopener noreferrer" href="https://arxiv.org/abs/2405.00001">' in html
    for attack in ATTACKS:
        out = render_note(attack)
        assert _tags(out) <= ALLOWED_TAGS, (attack, out)
        assert not re.search(r'href="(?:javascript|vbscript|data):', out, re.I), (attack, out)
        assert "<img" not in out and "<script" not in out and "<iframe" not in out


@given(st.text(max_size=300))
def test_no_text_produces_unsafe_html(text: str) -> None:
    out = render_note(text)
    assert _tags(out) <= ALLOWED_TAGS
    for attrs in re.findall(r"<[a-zA-Z0-9]+(\s[^>]*)?>", out):  # only these attributes, never on*= handlers
        assert re.fullmatch(r'(\s+(rel|href|class|start)="[^"]*")*', attrs), out
    assert not re.search(r'href="\s*(?:javascript|vbscript|data):', out, re.I)


def _bearer(client: TestClient, email: str) -> dict[str, str]:
    accounts = client.app.state.web.community.accounts  # type: ignore[attr-defined]
    user = accounts.create_user(email, "correct horse battery")
    _, secret = accounts.create_token(user, "t")
    return {"Authorization": f"Bearer {secret}"}


def test_queue_seen_and_notes_through_the_api(client: TestClient) -> None:
    ada, bob = _bearer(client, "ada@example.org"), _bearer(client, "bob@example.org")
    assert client.get("/api/reading").status_code == 401
    for pid in ("2405.00001", "2405.00002", "2405.00003"):
        assert client.post("/api/reading/queue", json={"paper_id": pid}, headers=ada).status_code == 200
    moved = client.post("/api/reading/queue", json={"paper_id": "2405.00003v1", "position": 0}, headers=ada).json()
    assert [q["id"] for q in moved["queue"]] == ["2405.00003", "2405.00001", "2405.00002"]
    assert client.post("/api/reading/queue", json={"paper_id": "nope"}, headers=ada).status_code == 404
    # a paper id is at most 200 characters (it was bounded by the 32-bit row-id limit instead)
    assert client.post("/api/reading/queue", json={"paper_id": "9" * 201}, headers=ada).status_code == 422
    assert client.put("/api/reading/seen/" + "9" * 201, headers=ada).status_code == 422
    left = client.delete("/api/reading/queue/2405.00001", headers=ada).json()
    assert [q["id"] for q in left["queue"]] == ["2405.00003", "2405.00002"]
    assert client.put("/api/reading/seen/2405.00002", headers=ada).json() == {"paper_id": "2405.00002", "seen": True}
    listing = client.get("/api/reading", headers=ada).json()
    assert listing["seen"] == 1 and [q["seen"] for q in listing["queue"]] == [False, True]
    assert client.delete("/api/reading/seen/2405.00002", headers=ada).json()["seen"] is False
    note = client.put(
        "/api/reading/notes/2405.00002", json={"text": "**Key** idea <script>alert(1)</script>"}, headers=ada
    ).json()
    assert (
        "<strong>Key</strong>" in note["html"] and "<script>" not in note["html"] and "&lt;script&gt;" in note["html"]
    )
    assert client.get("/api/reading/notes/2405.00002", headers=ada).json()["text"].startswith("**Key**")
    # another user sees none of it
    assert client.get("/api/reading/notes/2405.00002", headers=bob).json()["text"] == ""
    assert client.get("/api/reading", headers=bob).json() == {"queue": [], "seen": 0}
    too_long = client.put("/api/reading/notes/2405.00002", json={"text": "x" * 20_001}, headers=ada)
    assert too_long.status_code == 422
    cleared = client.put("/api/reading/notes/2405.00002", json={"text": "  "}, headers=ada).json()
    assert (
        cleared["text"] == ""
        and client.app.state.web.community.reading.notes(  # type: ignore[attr-defined]
            client.app.state.web.community.accounts.get_user("ada@example.org")  # type: ignore[attr-defined]
        )
        == {}
    )


def test_session_writes_need_the_csrf_header(client: TestClient) -> None:
    token = sign_up(client)
    assert client.put("/api/reading/seen/2405.00001").status_code == 403  # cookie alone: refused
    ok = client.put("/api/reading/seen/2405.00001", headers={"X-CSRF-Token": token})
    assert ok.status_code == 200 and ok.json()["seen"] is True


def test_hide_seen_in_the_daily_feed_page_and_api(client: TestClient) -> None:
    ada = _bearer(client, "ada@example.org")
    day = {"date": "2024-05-27"}
    before = client.get("/api/daily", params=day, headers=ada).json()
    assert {r["paper"]["id"] for r in before["results"]} == {"2405.00001", "2405.00002"}
    client.put("/api/reading/seen/2405.00002", headers=ada)
    after = client.get("/api/daily", params={**day, "hide_seen": "1"}, headers=ada).json()
    assert [r["paper"]["id"] for r in after["results"]] == ["2405.00001"]
    assert (after["total"], after["hidden_seen"]) == (1, 1)
    assert client.get("/api/daily", params=day, headers=ada).json()["total"] == 2  # only on request
    assert client.get("/api/daily", params={**day, "hide_seen": "1"}).json()["total"] == 2  # anonymous: nothing seen
    # the page, signed in through the form: a toggle, and the count of what is hidden
    sign_up(client, "bob@example.org")
    bob = client.app.state.web.community.accounts.get_user("bob@example.org")  # type: ignore[attr-defined]
    client.app.state.web.community.reading.set_seen(bob, "2405.00001", True)  # type: ignore[attr-defined]
    page = client.get("/?date=2024-05-27")
    assert "Hide papers I have seen" in page.text and "Attention is still all you need" in page.text
    hidden = client.get("/?date=2024-05-27&hide_seen=1").text
    assert "Attention is still all you need" not in hidden and "1 you marked seen is hidden" in hidden
    assert "Show papers I have seen" in hidden and "&amp;hide_seen=1" in hidden  # period links keep the choice


NOTE = "# Why read\n\nThe **router** trick; see {Sec. 3} and 100% recall.\n- check table 2\n- compare to [MoE](https://arxiv.org/abs/1701.06538)"


def test_exports_carry_the_downloaders_own_notes_and_read_back(client: TestClient) -> None:
    """Notes round-trip through each export format's own reader (bibtexparser, rispy, json); a
    public collection downloaded by someone else carries their notes, never the owner's."""
    import json

    import bibtexparser
    import rispy

    ada, bob = _bearer(client, "ada@example.org"), _bearer(client, "bob@example.org")
    community = client.app.state.web.community  # type: ignore[attr-defined]
    owner = community.accounts.get_user("ada@example.org")
    shelf = community.collections.create(owner, "Shelf", public=True)
    for pid in ("2405.00001", "2405.00002"):
        community.collections.add(owner, shelf.id, pid)
    assert client.put("/api/reading/notes/2405.00002", json={"text": NOTE}, headers=ada).status_code == 200
    url = f"/api/collections/{shelf.id}/export"

    bib = bibtexparser.parse_string(client.get(url, params={"format": "bibtex"}, headers=ada).text)
    annotes = {e["eprint"]: e.fields_dict.get("annote") for e in bib.entries}
    assert annotes["2405.00002"].value == NOTE and annotes["2405.00001"] is None
    ris = rispy.loads(client.get(url, params={"format": "ris"}, headers=ada).text)
    assert [("\n".join(r["notes"]) if "notes" in r else None) for r in ris] == [None, NOTE]
    csl = json.loads(client.get(url, params={"format": "csl-json"}, headers=ada).text)
    assert [item.get("note") for item in csl] == [None, NOTE]
    lines = client.get(url, params={"format": "jsonl"}, headers=ada).text.splitlines()
    assert [json.loads(line).get("note") for line in lines] == [None, NOTE]

    for fmt in ("bibtex", "ris", "csl-json", "jsonl"):  # someone else's download: none of Ada's notes
        assert "router" not in client.get(url, params={"format": fmt}, headers=bob).text
        assert "router" not in client.get(url, params={"format": fmt}).text
    client.put("/api/reading/notes/2405.00001", json={"text": "Bob's own"}, headers=bob)
    assert "Bob's own" in client.get(url, params={"format": "csl-json"}, headers=bob).text


def test_a_note_cannot_forge_ris_or_bibtex_records(client: TestClient) -> None:
    import bibtexparser
    import rispy

    ada = _bearer(client, "ada@example.org")
    community = client.app.state.web.community  # type: ignore[attr-defined]
    owner = community.accounts.get_user("ada@example.org")
    shelf = community.collections.create(owner, "Shelf")
    community.collections.add(owner, shelf.id, "2405.00001")
    forged = "ok\nER  - \n\nTY  - GEN\nTI  - Forged\nAU  - Mallory, Eve\n}\n@misc{forged, title={Forged}}"
    client.put("/api/reading/notes/2405.00001", json={"text": forged}, headers=ada)
    url = f"/api/collections/{shelf.id}/export"
    ris = rispy.loads(client.get(url, params={"format": "ris"}, headers=ada).text)
    assert len(ris) == 1 and ris[0]["authors"] == ["Lovelace, Ada"] and ris[0]["title"] != "Forged"
    bib = bibtexparser.parse_string(client.get(url, params={"format": "bibtex"}, headers=ada).text)
    assert [e.key for e in bib.entries] == ["lovelace2024attention"] and not bib.failed_blocks


def test_reading_pages_forms_need_csrf_and_stay_private(client: TestClient) -> None:
    assert client.get("/reading").status_code == 303  # anonymous: to the sign-in form
    token = sign_up(client, "ada@example.org")
    assert client.post("/papers/2405.00001/note", data={"text": "forged"}).status_code == 403
    assert client.post("/papers/2405.00001/queue", data={"action": "add"}).status_code == 403
    saved = client.post("/papers/2405.00001/note", data={"text": "mine *only*", "csrf_token": token})
    assert saved.status_code == 303 and saved.headers["location"] == "/papers/2405.00001#note-h"
    client.post("/papers/2405.00001/queue", data={"action": "add", "csrf_token": token})
    client.post("/papers/2405.00002/queue", data={"action": "add", "csrf_token": token})
    client.post("/papers/2405.00002/queue", data={"action": "top", "csrf_token": token, "next": "https://evil"})
    page = client.get("/reading")
    assert page.headers["cache-control"] == "no-store" and "<em>only</em>" in page.text
    assert page.text.index("Sparse mixtures") < page.text.index("Attention is still")
    client.cookies.clear()
    sign_up(client, "bob@example.org")
    assert "mine" not in client.get("/papers/2405.00001").text and "mine" not in client.get("/reading").text

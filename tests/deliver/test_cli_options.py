"""The `digest` and `recommend` command options the README lists, and a non-default `base_url`
in every link of a digest (mail headers, plain text, HTML, `digest preview --html`).

Catalog: tests/deliver/fixtures.py; the digest is composed at 2025-06-04 07:00 UTC (3-4 June).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from papersift.deliver.service import Delivery
from tests.deliver.conftest import make_user
from tests.deliver.fixtures import SmtpServer
from tests.deliver.test_digest_send import NOW, cli, listed, send

BASE = "https://sift.example.org/lab"
URL = re.compile(r"https?://[^\s\"'<>]+")


def _with_base_url(home: Path) -> None:
    (home / "papersift.toml").write_text(f'base_url = "{BASE}"\n')


def test_digest_options_and_base_url_in_every_link(delivery: Delivery, home: Path, smtp: SmtpServer) -> None:
    _with_base_url(home)
    ada = make_user(delivery)
    make_user(delivery, "bob@example.org")
    args = ("digest", "subscribe", ada.email, "--query", "language models", "--mode", "lexical")
    r = cli(home, *args, "--follow-category", "cs.GT", "--section", "follows", "--section", "searches", "--json")
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert (summary["frequency"], summary["sections"], summary["saved_searches"]) == (
        "daily",
        ["searches", "follows"],  # in the digest's fixed order, whatever the order given
        ["language models"],
    )
    assert len(summary["follows"]) == 1 and "cs.GT" in summary["follows"][0]
    assert delivery.store.saved_searches(ada)[0].mode == "lexical"
    assert cli(home, "digest", "subscribe", "bob@example.org").exit_code == 0

    only_ada = send(home, smtp.port, "--user", ada.email)
    assert only_ada.exit_code == 0, only_ada.output
    assert [d["email"] for d in json.loads(only_ada.stdout)["digests"]] == [ada.email]
    [msg] = smtp.received
    assert list(listed(msg)) == ["New for your saved search “language models”", "Followed authors and categories"]
    assert listed(msg)["Followed authors and categories"] == ["2506.00023"]
    text, html = msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()
    links = URL.findall(text) + URL.findall(html) + URL.findall(msg["List-Unsubscribe"])
    assert len(links) >= 8 and all(link.startswith(BASE + "/") for link in links), links
    assert f'href="{BASE}/papers/2506.00023"' in html

    preview = cli(home, "digest", "preview", ada.email, "--now", NOW, "--html")
    assert preview.exit_code == 0 and preview.stdout.lstrip().startswith("<")
    hrefs = re.findall(r'href="([^"]+)"', preview.stdout)
    assert hrefs and all(h.startswith(BASE + "/") for h in hrefs), hrefs

    assert cli(home, "digest", "unsubscribe", ada.email).exit_code == 0
    assert delivery.store.subscription(ada).active is False  # type: ignore[union-attr]
    again = cli(home, "digest", "unsubscribe", ada.email)
    assert again.exit_code == 0  # idempotent
    after = send(home, smtp.port, "--user", ada.email, now="2025-06-05T07:00:00")
    assert after.exit_code == 2 and "ada@example.org has no active digest subscription" in after.output
    assert len(smtp.received) == 1

    ok = cli(
        home,
        "digest",
        "check-smtp",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(smtp.port),
        "--smtp-security",
        "none",
    )
    assert ok.exit_code == 0 and f"SMTP OK: 127.0.0.1:{smtp.port} (none)" in ok.output
    assert smtp.data_calls == 1  # check-smtp sent nothing


BIB = """@article{a,
  title = {Tactile sensing for robust robotic grasp planning},
  eprint = {2506.00004},
  year = {2025}
}
@misc{b,
  title = {A paper only this library knows},
  author = {Doe, Jane},
  year = 2024
}
"""


def test_recommend_options(delivery: Delivery, home: Path, tmp_path: Path) -> None:
    user = make_user(delivery)
    robots = delivery.community.collections.create(user, "Robots")
    for pid in ("2506.00001", "2506.00002", "2506.00003"):
        delivery.community.collections.add(user, robots.id, pid)
    delivery.community.collections.create(user, "Empty")
    r = cli(home, "recommend", "show", user.email, "--collection", "Robots", "--limit", "2", "--json")
    assert r.exit_code == 0, r.output
    recs = json.loads(r.stdout)
    # the two robotics papers not yet in the collection (fixtures.py), each with a reason naming it
    assert sorted(x["id"] for x in recs) == ["2506.00004", "2506.00005"]
    assert all("in your collection Robots" in x["reason"] for x in recs)
    text = cli(home, "recommend", "show", user.email, "--collection", "Robots", "--limit", "1")
    assert text.exit_code == 0 and len(re.findall(r"^ *\d+\. \[", text.stdout, re.M)) == 1
    unknown = cli(home, "recommend", "show", user.email, "--collection", "Nope")
    assert unknown.exit_code == 2 and "no collection named 'Nope'" in unknown.output

    bib = tmp_path / "library.bib"
    bib.write_text(BIB)
    imported = cli(home, "recommend", "import", user.email, str(bib), "--collection", "Zotero", "--json")
    assert imported.exit_code == 0, imported.output
    assert "2 paper(s) added to 'Zotero'" in json.loads(imported.stdout)["summary"]
    [zotero] = [c for c in delivery.community.collections.owned(user) if c.name == "Zotero"]
    assert delivery.community.collections.paper_ids(zotero.id)[0] == "2506.00004"

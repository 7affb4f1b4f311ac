"""Replies to a user's comments reach them in their digest, through a real SMTP server on
loopback: once each (a reply is reported by the first digest recorded after it), and a reply
alone is reason enough to send a digest."""

from __future__ import annotations

import json
from pathlib import Path

from papersift.deliver.service import Delivery
from tests.deliver.conftest import make_user
from tests.deliver.fixtures import SmtpServer
from tests.deliver.test_digest_send import cli, send


def _text(smtp: SmtpServer, i: int) -> str:
    body = smtp.received[i].get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def test_replies_are_in_the_next_digest_once(delivery: Delivery, home: Path, smtp: SmtpServer) -> None:
    ada = make_user(delivery)
    bob = make_user(delivery, "bob@example.org")
    assert cli(home, "digest", "subscribe", ada.email, "--section", "trending").exit_code == 0
    d = delivery.community.discussion
    question = d.post(ada, "2506.00001", "Does this scale?")
    d.post(ada, "2506.00001", "(my own follow-up is no news)", parent_id=question.id)
    d.post(bob, "2506.00001", "It does, see **table 3**.", parent_id=question.id)

    first = send(home, smtp.port)
    assert json.loads(first.stdout)["digests"][0]["status"] == "sent", first.output
    assert smtp.received[0]["Subject"].endswith(", 1 reply to your comments")
    text = _text(smtp, 0)
    assert "== Replies to your comments ==" in text and "bob replied on" in text and "table 3" in text
    assert "own follow-up" not in text
    assert f"/papers/2506.00001#comment-{question.id + 2}" in text
    html = smtp.received[0].get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Replies to your comments</h2>" in html

    # the next day: no new papers for the trending section and no new reply -> nothing to send
    quiet = send(home, smtp.port, now="2025-06-05T07:00:00")
    assert json.loads(quiet.stdout)["digests"][0]["status"] == "nothing new"

    d.post(bob, "2506.00001", "Also <b>figure 2</b>.", parent_id=question.id)
    nxt = send(home, smtp.port, now="2025-06-06T07:00:00")
    assert json.loads(nxt.stdout)["digests"][0]["status"] == "sent", nxt.output
    assert smtp.received[1]["Subject"].endswith(": 0 new papers, 1 reply to your comments")
    second = _text(smtp, 1)
    assert "figure 2" in second and "table 3" not in second  # each reply once
    html2 = smtp.received[1].get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "&lt;b&gt;figure 2&lt;/b&gt;" in html2  # comment text is escaped in the HTML mail
    again = send(home, smtp.port, now="2025-06-06T09:00:00")
    assert json.loads(again.stdout)["digests"][0]["status"] == "already sent" and len(smtp.received) == 2

"""Finding 10 (the parts done): an address that parses into two recipients is refused, and the
SMTP envelope names exactly one addressee (checked on the real aiosmtpd test server)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from papersift.community import UserError
from papersift.community.accounts import normalize_email
from papersift.deliver.mail import Mailer, send_with_retry
from tests.deliver.fixtures import SmtpServer
from tests.deliver.test_mail import config, message
from tests.web.conftest import PASSWORD, csrf


@pytest.mark.parametrize(
    "address",
    ["x,victim@corp.example", '"x,victim"@corp.example', "Ada <ada@example.org>", "a b@example.org", "ada@localhost"],
)
def test_addresses_that_are_not_one_mailbox_are_refused(client: TestClient, address: str) -> None:
    with pytest.raises(UserError):
        normalize_email(address)
    token = csrf(client, "/account/signup")
    r = client.post(
        "/account/signup", data={"email": address, "password": PASSWORD, "password2": PASSWORD, "csrf_token": token}
    )
    assert r.status_code == 400 and "valid email address" in r.text


def test_the_envelope_names_exactly_the_one_addressee(smtp: SmtpServer) -> None:
    with Mailer(config(smtp.port)) as mailer:
        assert send_with_retry(mailer, message("ada@example.org"), sleep=lambda s: None) == 1
    assert smtp.envelopes == [("papersift@example.org", ["ada@example.org"])]


def test_a_to_header_with_two_addresses_is_not_sent_to_both(smtp: SmtpServer) -> None:
    """Before the fix the envelope came from the To header: "x, victim@corp.example" mailed both."""
    with Mailer(config(smtp.port)) as mailer:
        send_with_retry(mailer, message("x@example.org, victim@corp.example"), sleep=lambda s: None)
    assert smtp.envelopes == [("papersift@example.org", ["x@example.org"])]  # one RCPT, never the victim

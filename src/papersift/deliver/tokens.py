"""Signed tokens in mail links (itsdangerous, keyed with the instance secret): one-click
unsubscribe, and address confirmation (double opt-in).

A token names the user id *and* the address the digest went to, so it stops working if the
account's address changes or its id is ever reused. It does not expire: RFC 8058 asks that the
link in an old message still works, and all it can do is switch digests off.

A confirmation token also names the user id and the address, so it confirms exactly the address
it was mailed to (after an address change the old link confirms nothing); it expires after
CONFIRM_MAX_AGE, because unlike unsubscribing it *allows* mail to be sent. Each kind has its own
salt, so an unsubscribe token can never be replayed as a confirmation.
"""

from __future__ import annotations

from datetime import timedelta

from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

SALT = "papersift.digest.unsubscribe"
CONFIRM_SALT = "papersift.email.confirm"
CONFIRM_MAX_AGE = timedelta(days=7)


def unsubscribe_token(secret: bytes, user_id: int, email: str) -> str:
    return URLSafeSerializer(secret, salt=SALT).dumps({"u": user_id, "e": email})


def read_unsubscribe_token(secret: bytes, token: str) -> tuple[int, str] | None:
    """(user id, email) of a genuine token; None for a forged, truncated or malformed one."""
    try:
        data = URLSafeSerializer(secret, salt=SALT).loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("e"), str):
        return None
    return data["u"], data["e"]


def confirm_token(secret: bytes, user_id: int, email: str) -> str:
    return URLSafeTimedSerializer(secret, salt=CONFIRM_SALT).dumps({"u": user_id, "e": email})


def read_confirm_token(secret: bytes, token: str) -> tuple[int, str] | None:
    """(user id, email) of a genuine, unexpired confirmation token; None otherwise
    (`SignatureExpired` is a `BadSignature`)."""
    try:
        data = URLSafeTimedSerializer(secret, salt=CONFIRM_SALT).loads(
            token, max_age=int(CONFIRM_MAX_AGE.total_seconds())
        )
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("e"), str):
        return None
    return data["u"], data["e"]

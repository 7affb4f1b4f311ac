"""Signed one-click unsubscribe tokens (itsdangerous, keyed with the instance secret).

A token names the user id *and* the address the digest went to, so it stops working if the
account's address changes or its id is ever reused. It does not expire: RFC 8058 asks that the
link in an old message still works, and all it can do is switch digests off.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "papersift.digest.unsubscribe"


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

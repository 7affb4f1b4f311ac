"""Accounts on a real SQLite home: hashing, sessions, tokens, throttling, disabling."""

from __future__ import annotations

import os
import stat
from datetime import timedelta

import pytest
import sqlalchemy as sa

from papersift.community import Community, RateLimited, UserError
from papersift.community.accounts import MAX_FAILURES_PER_ACCOUNT, Accounts, utcnow
from papersift.community.schema import api_tokens, sessions, users
from papersift.context import AppContext


def test_create_user_hashes_with_argon2_and_normalises_email(community: Community) -> None:
    user = community.accounts.create_user("  Ada@Example.ORG ", "correct horse")
    assert user.email == "ada@example.org"
    with community.accounts.engine.connect() as conn:
        stored = conn.execute(sa.select(users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored


@pytest.mark.parametrize(
    ("email", "password", "code"),
    [
        ("not-an-email", "long enough", "invalid_email"),
        ("a@b.org", "short", "weak_password"),
        ("a@b.org", "x" * 2000, "weak_password"),
    ],
)
def test_create_user_rejects_bad_input(community: Community, email: str, password: str, code: str) -> None:
    with pytest.raises(UserError) as info:
        community.accounts.create_user(email, password)
    assert info.value.code == code


def test_duplicate_email_is_refused_case_insensitively(community: Community) -> None:
    community.accounts.create_user("ada@example.org", "password one")
    with pytest.raises(UserError, match="already exists"):
        community.accounts.create_user("ADA@example.org", "password two")


def test_authenticate_and_sessions(community: Community) -> None:
    acc = community.accounts
    created = acc.create_user("ada@example.org", "password one")
    assert acc.authenticate("ada@example.org", "wrong password", "1.2.3.4") is None
    user = acc.authenticate("ADA@example.org", "password one", "1.2.3.4")
    assert user == created
    token = acc.start_session(user)
    assert acc.session_user(token) == user
    with acc.engine.connect() as conn:  # only the digest is stored
        assert conn.execute(sa.select(sessions.c.token_hash)).scalar_one() != token
    acc.end_session(token)
    assert acc.session_user(token) is None


def test_expired_session_is_rejected(ctx: AppContext) -> None:
    now = utcnow()
    acc = Accounts(ctx.catalog.engine, clock=lambda: now)
    user = acc.create_user("ada@example.org", "password one")
    token = acc.start_session(user)
    later = Accounts(ctx.catalog.engine, clock=lambda: now + timedelta(days=31))
    assert later.session_user(token) is None


def test_login_throttling_per_account(community: Community) -> None:
    acc = community.accounts
    acc.create_user("ada@example.org", "password one")
    for _ in range(MAX_FAILURES_PER_ACCOUNT):
        assert acc.authenticate("ada@example.org", "nope nope", "10.0.0.1") is None
    with pytest.raises(RateLimited) as info:  # even the right password waits now, from that address
        acc.authenticate("ada@example.org", "password one", "10.0.0.1")
    assert 0 < info.value.retry_after <= 15 * 60 + 1
    assert acc.authenticate("ada@example.org", "password one", "10.0.0.2") is not None  # the owner elsewhere


def test_throttle_window_expires(ctx: AppContext) -> None:
    now = utcnow()
    acc = Accounts(ctx.catalog.engine, clock=lambda: now)
    user = acc.create_user("ada@example.org", "password one")
    for _ in range(MAX_FAILURES_PER_ACCOUNT):
        acc.authenticate("ada@example.org", "nope nope", "c")
    later = Accounts(ctx.catalog.engine, clock=lambda: now + timedelta(minutes=16))
    assert later.authenticate("ada@example.org", "password one", "c") == user


def test_change_password_keeps_current_session_only(community: Community) -> None:
    acc = community.accounts
    user = acc.create_user("ada@example.org", "password one")
    keep, other = acc.start_session(user), acc.start_session(user)
    with pytest.raises(UserError, match="not correct"):
        acc.change_password(user, "wrong one", "password two", keep_session=keep)
    acc.change_password(user, "password one", "password two", keep_session=keep)
    assert acc.session_user(keep) == user and acc.session_user(other) is None
    assert acc.authenticate("ada@example.org", "password two", "c") == user


def test_api_tokens_are_hashed_listed_and_revocable(ctx: AppContext) -> None:
    now = utcnow()
    acc = Accounts(ctx.catalog.engine, clock=lambda: now)
    user = acc.create_user("ada@example.org", "password one")
    info, secret = acc.create_token(user, "  my   script ")
    assert acc.list_tokens(user)[0].last_used_at is None
    assert info.name == "my script" and secret.startswith("ps_") and secret.startswith(info.prefix)
    with acc.engine.connect() as conn:
        assert secret not in conn.execute(sa.select(api_tokens.c.token_hash)).scalar_one()
    assert acc.token_user(secret) == user
    assert acc.list_tokens(user)[0].last_used_at == now
    assert acc.delete_token(user, info.id)
    assert acc.token_user(secret) is None


def test_disabled_user_cannot_sign_in_or_use_tokens(community: Community) -> None:
    acc = community.accounts
    user = acc.create_user("ada@example.org", "password one")
    session = acc.start_session(user)
    _, secret = acc.create_token(user, "t")
    assert acc.set_disabled("ada@example.org")
    assert acc.session_user(session) is None
    assert acc.token_user(secret) is None
    assert acc.authenticate("ada@example.org", "password one", "c") is None
    assert not acc.set_disabled("nobody@example.org")
    assert acc.set_disabled("ada@example.org", disabled=False)
    assert acc.authenticate("ada@example.org", "password one", "c") == user


def test_secret_key_file_is_private_and_stable(ctx: AppContext) -> None:
    first = Community(ctx.catalog, ctx.settings.home).secret
    path = ctx.settings.home / "secret_key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert Community(ctx.catalog, ctx.settings.home).secret == first and len(first) >= 64

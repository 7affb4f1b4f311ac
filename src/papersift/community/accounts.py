"""User accounts, browser sessions, personal API tokens and login throttling.

Passwords are argon2id-hashed (argon2-cffi's RFC 9106 low-memory profile) and re-hashed on
login when the parameters change. Session ids and API tokens are 256-bit random strings shown
to the client once and stored only as SHA-256 digests, so a leaked database grants no access.
Failed logins are recorded in the database (not process memory) so the limit holds across
server workers and restarts.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from papersift.catalog.schema import inserted_id
from papersift.community.schema import api_tokens, login_failures, sessions, users

SESSION_LIFETIME = timedelta(days=30)
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5  # per account and client address
MAX_FAILURES_PER_CLIENT = 100  # over all accounts: a NAT or a proxy may stand for many people
MIN_PASSWORD, MAX_PASSWORD = 8, 1024
MIN_SCORE = 2  # zxcvbn's 0-4 scale: 2 = "somewhat guessable", resists online guessing under throttling
MAX_SCORED = 100  # zxcvbn's work grows fast with length; a longer password is long enough anyway
MAX_SIGNUPS_PER_CLIENT = 10  # per THROTTLE_WINDOW
MAX_CONCURRENT_HASHES = 4  # argon2 takes 64 MiB each: 40 parallel sign-ins peaked at 2.36 GB
_HASH_SLOTS = threading.BoundedSemaphore(MAX_CONCURRENT_HASHES)  # per process, shared by all Accounts
TOKEN_PREFIX = "ps_"


def utcnow() -> datetime:
    """Naive UTC timestamp (what the DateTime columns store on every backend)."""
    return datetime.now(UTC).replace(tzinfo=None)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class UserError(ValueError):
    """A request the user must change (bad email, weak password, taken email...)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


class RateLimited(Exception):
    """Too many attempts (sign-in, sign-up, password change); `retry_after` is in seconds."""

    def __init__(self, retry_after: int):
        minutes = max(1, retry_after // 60)
        super().__init__(f"too many attempts from here; try again in {minutes} minute(s)")
        self.retry_after = retry_after


@dataclass(frozen=True)
class User:
    id: int
    email: str
    created_at: datetime
    disabled: bool


@dataclass(frozen=True)
class ApiToken:
    """A token as listed on the account page: never the secret itself, only its prefix."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


def normalize_email(email: str) -> str:
    """A lower-cased address that is one mailbox by RFC 5321/5322 rules (email-validator, no DNS):
    no commas, quotes, spaces or display names, so a To header built from it names exactly one
    recipient ("x,victim@corp.example" was accepted before and became two)."""
    e = email.strip().lower()
    if len(e) > 254:
        raise UserError("invalid_email", "enter a valid email address, like name@example.org")
    try:
        return validate_email(e, check_deliverability=False, allow_quoted_local=False).normalized.lower()
    except EmailNotValidError as exc:
        raise UserError("invalid_email", f"enter a valid email address, like name@example.org ({exc})") from None


def check_password(password: str) -> None:
    """Length bounds, then zxcvbn's guessability estimate (its lists of common passwords, words,
    names and keyboard patterns): "aaaaaaaa" or "password1" are refused even at 8 characters."""
    if len(password) < MIN_PASSWORD:
        raise UserError("weak_password", f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise UserError("weak_password", f"the password must have at most {MAX_PASSWORD} characters")
    from zxcvbn import zxcvbn  # its word lists take a moment to load: only when a password is set

    if zxcvbn(password[:MAX_SCORED])["score"] < MIN_SCORE:
        raise UserError(
            "weak_password",
            "this password is too easy to guess (a common password, word or pattern); try a few unrelated words",
        )


def _user(row: sa.Row[Any]) -> User:
    return User(row.id, row.email, row.created_at, bool(row.disabled))


class Accounts:
    """Everything about who a request is: users, sessions, tokens."""

    def __init__(self, engine: Engine, hasher: PasswordHasher | None = None, clock: Callable[[], datetime] = utcnow):
        self.engine = engine
        self.hasher = hasher or PasswordHasher()
        self.clock = clock
        self._dummy_hash = self._hash(secrets.token_hex(8))

    def _hash(self, password: str) -> str:
        with _HASH_SLOTS:
            return self.hasher.hash(password)

    def _verify(self, stored: str, password: str) -> None:
        """Raises VerificationError/InvalidHashError when `password` does not match."""
        with _HASH_SLOTS:
            self.hasher.verify(stored, password)

    # --- users --------------------------------------------------------------------------

    def create_user(self, email: str, password: str) -> User:
        """Create an account; raises UserError when the email is invalid/taken or the password weak."""
        address = normalize_email(email)
        check_password(password)
        now = self.clock()
        try:
            with self.engine.begin() as conn:
                uid = inserted_id(
                    conn.execute(
                        users.insert().values(
                            email=address,
                            password_hash=self._hash(password),
                            created_at=now,
                            disabled=False,
                        )
                    )
                )
        except IntegrityError:
            raise UserError("email_taken", "an account with this email already exists") from None
        return User(uid, address, now, False)

    def sign_up(self, email: str, password: str, client: str) -> User | None:
        """`create_user` for the public sign-up form: at most MAX_SIGNUPS_PER_CLIENT attempts per
        client address per THROTTLE_WINDOW (each costs an argon2 hash; raises RateLimited).

        An address that already has an account is *not* an error here (None, nothing changed):
        the form must answer a new and a taken address alike, or it tells anyone which addresses
        have accounts. The password is hashed either way, so the timing matches too."""
        self._record_attempt(((f"signup:{client}", MAX_SIGNUPS_PER_CLIENT),))
        try:
            return self.create_user(email, password)
        except UserError as exc:
            if exc.code == "email_taken":
                return None
            raise

    def get_user(self, email: str) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.email == email.strip().lower())).first()
        return _user(row) if row else None

    def list_users(self) -> list[User]:
        with self.engine.connect() as conn:
            return [_user(r) for r in conn.execute(sa.select(users).order_by(users.c.id))]

    def set_disabled(self, email: str, disabled: bool = True) -> bool:
        """Disable (or re-enable) an account; disabling also ends its sessions. False if unknown."""
        with self.engine.begin() as conn:
            uid = conn.execute(sa.select(users.c.id).where(users.c.email == email.strip().lower())).scalar()
            if uid is None:
                return False
            conn.execute(users.update().where(users.c.id == uid).values(disabled=disabled))
            if disabled:
                conn.execute(sessions.delete().where(sessions.c.user_id == uid))
        return True

    def authenticate(self, email: str, password: str, client: str) -> User | None:
        """The user for valid credentials, None otherwise; raises RateLimited when throttled.

        The attempt is recorded (committed) before the password is checked, so concurrent
        guesses cannot all slip under the limit: the k-th attempt counts at least k. The limits
        are per client address *and* account (MAX_FAILURES_PER_ACCOUNT), so failures from other
        addresses never block the owner's correct password, and per client address over all
        accounts (MAX_FAILURES_PER_CLIENT, generous: many people may share one NAT address).
        """
        address = email.strip().lower()
        keys = ((f"pair:{client}|{address}", MAX_FAILURES_PER_ACCOUNT), (f"client:{client}", MAX_FAILURES_PER_CLIENT))
        attempt = self._record_attempt(keys)
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.email == address)).first()
        stored = row.password_hash if row is not None else self._dummy_hash  # same work either way
        try:
            self._verify(stored, password)
            ok = row is not None and not row.disabled
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok:
            return None  # the recorded attempt stays: it was a failure
        assert row is not None  # ok implies a found, enabled user
        with self.engine.begin() as conn:
            conn.execute(login_failures.delete().where(login_failures.c.id.in_(attempt)))
            conn.execute(login_failures.delete().where(login_failures.c.key == keys[0][0]))
            if self.hasher.check_needs_rehash(row.password_hash):
                conn.execute(users.update().where(users.c.id == row.id).values(password_hash=self._hash(password)))
        return _user(row)

    def throttle(self, key: str, limit: int) -> None:
        """Count one action under `key` (e.g. "comment:<user id>"); raises RateLimited when it is
        over `limit` within THROTTLE_WINDOW. The same database-backed counter as sign-in, so the
        limit holds across workers and restarts."""
        self._record_attempt(((key, limit),))

    def _record_attempt(self, keys: tuple[tuple[str, int], ...]) -> list[int]:
        """Record one attempt under each key (committed), then count: over a key's limit, the
        attempt is withdrawn and RateLimited raised. Returns the recorded rows' ids."""
        now = self.clock()
        since = now - THROTTLE_WINDOW
        with self.engine.begin() as conn:
            conn.execute(login_failures.delete().where(login_failures.c.at < since))
            ids = [inserted_id(conn.execute(login_failures.insert().values(key=k, at=now))) for k, _ in keys]
        q = (
            sa.select(login_failures.c.key, sa.func.count(), sa.func.min(login_failures.c.at))
            .where(login_failures.c.key.in_([k for k, _ in keys]), login_failures.c.at >= since)
            .group_by(login_failures.c.key)
        )
        limits = dict(keys)
        with self.engine.connect() as conn:
            counted = list(conn.execute(q))
        for key, n, first in counted:
            if n > limits[key]:
                with self.engine.begin() as conn:
                    conn.execute(login_failures.delete().where(login_failures.c.id.in_(ids)))
                wait = (first + THROTTLE_WINDOW - self.clock()).total_seconds()
                raise RateLimited(int(wait) + 1)
        return ids

    def change_password(self, user: User, old: str, new: str, keep_session: str | None = None) -> None:
        """Change a password after re-checking the old one (throttled like sign-in: a stolen
        session must not become a password oracle); ends every other session and revokes every
        API token, since whoever made them may be who the owner is locking out."""
        key = f"change:{user.id}"
        attempt = self._record_attempt(((key, MAX_FAILURES_PER_ACCOUNT),))
        with self.engine.connect() as conn:
            stored = conn.execute(sa.select(users.c.password_hash).where(users.c.id == user.id)).scalar_one()
        try:
            self._verify(stored, old)
        except (VerificationError, InvalidHashError):
            raise UserError("wrong_password", "the current password is not correct") from None
        with self.engine.begin() as conn:
            conn.execute(
                login_failures.delete().where(login_failures.c.id.in_(attempt) | (login_failures.c.key == key))
            )
        check_password(new)
        with self.engine.begin() as conn:
            conn.execute(api_tokens.delete().where(api_tokens.c.user_id == user.id))
            new_hash = self._hash(new)
            conn.execute(users.update().where(users.c.id == user.id).values(password_hash=new_hash))
            others = sessions.c.user_id == user.id
            if keep_session:
                others = others & (sessions.c.token_hash != digest(keep_session))
            conn.execute(sessions.delete().where(others))

    # --- sessions -----------------------------------------------------------------------

    def start_session(self, user: User) -> str:
        """A new session id for the browser cookie (a fresh one at every sign-in)."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(
                sessions.insert().values(
                    token_hash=digest(token),
                    user_id=user.id,
                    created_at=now,
                    expires_at=now + SESSION_LIFETIME,
                )
            )
            conn.execute(sessions.delete().where(sessions.c.expires_at < now))
        return token

    def session_user(self, token: str) -> User | None:
        q = (
            sa.select(users)
            .join(sessions, sessions.c.user_id == users.c.id)
            .where(
                sessions.c.token_hash == digest(token),
                sessions.c.expires_at > self.clock(),
                users.c.disabled.is_(False),
            )
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return _user(row) if row else None

    def end_session(self, token: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sessions.delete().where(sessions.c.token_hash == digest(token)))

    # --- API tokens ---------------------------------------------------------------------

    def create_token(self, user: User, name: str) -> tuple[ApiToken, str]:
        """A new personal API token; the secret is returned once and stored only hashed."""
        label = " ".join(name.split())[:100] or "token"
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self.clock()
        with self.engine.begin() as conn:
            tid = inserted_id(
                conn.execute(
                    api_tokens.insert().values(
                        user_id=user.id,
                        name=label,
                        token_hash=digest(secret),
                        prefix=secret[:10],
                        created_at=now,
                    )
                )
            )
        return ApiToken(tid, label, secret[:10], now, None), secret

    def list_tokens(self, user: User) -> list[ApiToken]:
        q = sa.select(api_tokens).where(api_tokens.c.user_id == user.id).order_by(api_tokens.c.id)
        with self.engine.connect() as conn:
            return [ApiToken(r.id, r.name, r.prefix, r.created_at, r.last_used_at) for r in conn.execute(q)]

    def delete_token(self, user: User, token_id: int) -> bool:
        with self.engine.begin() as conn:
            res = conn.execute(api_tokens.delete().where(api_tokens.c.id == token_id, api_tokens.c.user_id == user.id))
        return res.rowcount > 0

    def token_user(self, secret: str) -> User | None:
        """The (enabled) owner of an API token, recording its use; None for unknown tokens."""
        q = (
            sa.select(users, api_tokens.c.id.label("token_id"))
            .join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(api_tokens.c.token_hash == digest(secret), users.c.disabled.is_(False))
        )
        with self.engine.begin() as conn:
            row = conn.execute(q).first()
            if row is None:
                return None
            conn.execute(api_tokens.update().where(api_tokens.c.id == row.token_id).values(last_used_at=self.clock()))
        return _user(row)

"""Password hashing, secret generation and signed tokens.

Tokens are HMAC-signed JWTs so every process can verify them without a database round trip;
all processes of one platform share the signing secret (see `Settings.resolved_secret_key`).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
from functools import lru_cache
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from govshare.core.config import get_settings
from govshare.core.errors import Unauthorized

TOKEN_ALGORITHM = "HS256"
TOKEN_ISSUER = "govshare"


@lru_cache(maxsize=4)
def _password_hasher(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=4)


def _hasher() -> PasswordHasher:
    settings = get_settings()
    return _password_hasher(settings.password_hash_time_cost, settings.password_hash_memory_kib)


def hash_secret(secret: str) -> str:
    """argon2id hash for passwords and client secrets, at the configured cost."""
    return _hasher().hash(secret)


@lru_cache(maxsize=4)
def _unknown_account_hash(time_cost: int, memory_kib: int) -> str:
    return _password_hasher(time_cost, memory_kib).hash(new_secret())


def verify_secret(stored_hash: str | None, secret: str) -> bool:
    """A hash carries its own parameters: one made at an earlier cost still verifies. `None` (no such user
    or client) verifies against a hash of the configured cost and fails, so timing does not tell."""
    if stored_hash is None:
        settings = get_settings()
        stored_hash = _unknown_account_hash(settings.password_hash_time_cost, settings.password_hash_memory_kib)
    try:
        return _hasher().verify(stored_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether a hash was made at another cost than the configured one (rehash it at the next sign-in)."""
    try:
        return _hasher().check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


class _RandomPool:
    """`os.urandom` read 4 KiB at a time and handed out in slices: every exchange call takes a fresh salt,
    and under load one system call per call cost more than the rest of the salt's work. Each slice is
    handed out once (a lock), and a forked worker starts with an empty pool, never its parent's bytes."""

    SIZE = 4096

    def __init__(self):
        self._lock = threading.Lock()
        self._empty()
        os.register_at_fork(after_in_child=self._empty)

    def _empty(self) -> None:
        self._bytes, self._at = b"", 0

    def take(self, n: int) -> bytes:
        with self._lock:
            at = self._at
            if at + n > len(self._bytes):
                self._bytes, at = os.urandom(max(self.SIZE, n)), 0
            self._at = at + n
            return self._bytes[at:at + n]


_random_pool = _RandomPool()


def random_bytes(n: int) -> bytes:
    """`n` bytes from the operating system's CSPRNG, as `os.urandom` (for salts on the hot path)."""
    return _random_pool.take(n)


def new_id(prefix: str = "", nbytes: int = 9) -> str:
    """Random identifier of letters and digits only, safe in URLs and table names."""
    return prefix + secrets.token_urlsafe(nbytes).replace("-", "x").replace("_", "z")


def keyed_hash(value: str, purpose: str) -> str:
    """Deterministic keyed hash (HMAC-SHA256) for subjects that must never appear in clear."""
    # hmac.digest: the one-shot form, a third of hmac.new's cost (every exchange call hashes its subject)
    return hmac.digest(_purpose_key(purpose, get_settings().resolved_secret_key()), value.encode(), "sha256").hex()


@lru_cache(maxsize=64)
def _purpose_key(purpose: str, secret: str) -> bytes:
    return hashlib.sha256((purpose + ":" + secret).encode()).digest()


def subject_hash(value: str) -> str:
    """Who a call or event is about, never in clear: a keyed hash of the identifier (ID number, credit
    code…), the same for the exchange's audit, the ledger, the auditor's trace and the citizen's record."""
    return keyed_hash(value.strip().upper(), "exchange-subject")


def issue_token(subject: str, claims: dict[str, Any], ttl_seconds: int | None = None) -> tuple[str, int]:
    settings = get_settings()
    ttl = ttl_seconds or settings.token_ttl_seconds
    now = int(time.time())
    payload = {"iss": TOKEN_ISSUER, "sub": subject, "iat": now, "exp": now + ttl, **claims}
    token = jwt.encode(payload, settings.resolved_secret_key(), algorithm=TOKEN_ALGORITHM)
    return token, ttl


def decode_token(token: str) -> dict[str, Any]:
    try:
        return jwt.decode(
            token, get_settings().resolved_secret_key(), algorithms=[TOKEN_ALGORITHM],
            issuer=TOKEN_ISSUER, options={"require": ["exp", "iat", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("token expired", code="token_expired",
                           headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None
    except jwt.PyJWTError:
        raise Unauthorized("invalid token", code="invalid_token",
                           headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None

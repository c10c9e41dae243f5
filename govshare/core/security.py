"""Password hashing, secret generation and signed tokens.

Tokens are HMAC-signed JWTs so every process can verify them without a database round trip;
all processes of one platform share the signing secret (see `Settings.resolved_secret_key`).
"""

from __future__ import annotations

import hashlib
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


CLIENT_SECRET_SCHEME = "sha256$"


def hash_client_secret(secret: str) -> str:
    """An API client's secret as stored: its SHA-256. A client secret is 256 random bits the platform
    makes (`new_secret`), never one a person chose: no guessing is shortened by a fast hash, and the
    slow one passwords need made every token request cost ~0.2 s of CPU and 64 MiB."""
    return CLIENT_SECRET_SCHEME + hashlib.sha256(secret.encode()).hexdigest()


def verify_client_secret(stored_hash: str | None, secret: str) -> bool:
    """SHA-256 hashes, and the argon2 ones clients were given before (`client_secret_outdated`)."""
    if stored_hash is None:
        return False
    if client_secret_outdated(stored_hash):
        return verify_secret(stored_hash, secret)
    return secrets.compare_digest(stored_hash, hash_client_secret(secret))


def client_secret_outdated(stored_hash: str) -> bool:
    """An argon2 hash of a client secret: replaced by its SHA-256 at the client's next token request."""
    return not stored_hash.startswith(CLIENT_SECRET_SCHEME)


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


class Hmac:
    """HMAC-SHA256 (RFC 2104) under one key, for values hashed on hot paths (subjects, pseudonyms).

    The padded key is hashed once, here; each value costs two copies of those states and two short
    hashes (~0.5 µs). Not `hmac.digest`: it sets the key up again every time and, worse, releases the
    GIL around OpenSSL's HMAC however short the value, so that every call hands the interpreter to
    whichever thread wants it (the audit writer, mid-batch) and waits to get it back: measured at
    ~40 µs of this thread's CPU per call, and up to the 5 ms switch interval of wall time, next to a
    busy thread. Short `hashlib` updates keep the GIL."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes):
        block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def digest(self, data: bytes) -> bytes:
        return self._mac(data).digest()

    def hexdigest(self, data: bytes) -> str:
        return self._mac(data).hexdigest()

    def _mac(self, data: bytes):
        inner = self._inner.copy()
        inner.update(data)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer


def keyed_hash(value: str, purpose: str) -> str:
    """Deterministic keyed hash (HMAC-SHA256) for subjects that must never appear in clear."""
    return _purpose_mac(purpose, get_settings().resolved_secret_key()).hexdigest(value.encode())


@lru_cache(maxsize=64)
def _purpose_mac(purpose: str, secret: str) -> Hmac:
    return Hmac(hashlib.sha256((purpose + ":" + secret).encode()).digest())


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

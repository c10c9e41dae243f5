"""The one authentication dependency: bearer tokens for API clients, session cookies for the console."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import timedelta

from fastapi import Depends, Request
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from govshare.core.config import get_settings
from govshare.core.database import as_utc, get_session, utcnow
from govshare.core.errors import Forbidden, Unauthorized
from govshare.core.security import decode_token, new_secret
from govshare.orgs.models import ConsoleSession, User
from govshare.orgs.service import Principal, principal_from_claims, user_principal

SESSION_COOKIE = "gs_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def start_console_session(session: Session, user: User) -> tuple[str, str]:
    """Returns (cookie value, CSRF token). Only the cookie's hash is stored."""
    cookie, csrf = new_secret(), new_secret(24)
    expires = utcnow() + timedelta(seconds=get_settings().session_ttl_seconds)
    session.add(ConsoleSession(id_hash=_digest(cookie), user_id=user.id, csrf_token=csrf, expires_at=expires))
    session.flush()
    return cookie, csrf


def end_console_session(session: Session, cookie: str | None) -> None:
    if cookie:
        session.execute(delete(ConsoleSession).where(ConsoleSession.id_hash == _digest(cookie)))


def console_session(session: Session, cookie: str | None) -> tuple[User, ConsoleSession] | None:
    if not cookie:
        return None
    row = session.get(ConsoleSession, _digest(cookie))
    if row is None:
        return None
    if as_utc(row.expires_at) < utcnow():
        return None
    user = session.scalar(select(User).where(User.id == row.user_id))
    if user is None or not user.is_active:
        return None
    return user, row


def csrf_ok(row: ConsoleSession, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(row.csrf_token, presented or "")


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    if header:
        raise Unauthorized("use 'Authorization: Bearer <token>'", code="invalid_token")
    return None


def resolve_principal(request: Request, session: Session) -> Principal | None:
    token = _bearer(request)
    if token:
        return principal_from_claims(decode_token(token))
    found = console_session(session, request.cookies.get(SESSION_COOKIE))
    if found is None:
        return None
    user, row = found
    if request.method not in SAFE_METHODS and not csrf_ok(row, request.headers.get(CSRF_HEADER)):
        raise Forbidden("missing or wrong CSRF token", code="csrf_failed")
    return user_principal(user)


def require_principal(request: Request, session: Session) -> Principal:
    """The caller, or 401. For endpoints that cannot use the dependency (streamed request bodies)."""
    principal = resolve_principal(request, session)
    if principal is None:
        raise Unauthorized("authentication required", code="unauthenticated",
                           headers={"WWW-Authenticate": "Bearer"})
    return principal


def current_principal(request: Request, session: Session = Depends(get_session)) -> Principal:
    return require_principal(request, session)


def optional_principal(request: Request, session: Session = Depends(get_session)) -> Principal | None:
    return resolve_principal(request, session)


# Tokens this process has verified, until they expire: a client sends the same token for minutes,
# and checking its signature costs more than the rest of a lookup's authorization.
_verified: dict[str, tuple[Principal, float]] = {}
_VERIFIED_MAX = 10_000


def require_client(request: Request) -> Principal:
    """An API client's bearer token, verified without a database round trip (the exchange hot path)."""
    token = _bearer(request)
    if token is None:
        raise Unauthorized("an API client's bearer token is required", code="unauthenticated",
                           headers={"WWW-Authenticate": "Bearer"})
    known = _verified.get(token)
    if known is not None and known[1] > time.time():
        return known[0]
    claims = decode_token(token)
    principal = principal_from_claims(claims)
    if len(_verified) >= _VERIFIED_MAX:
        _verified.clear()
    _verified[token] = (principal, float(claims["exp"]))
    return principal

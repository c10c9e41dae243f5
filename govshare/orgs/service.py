"""Departments, users, roles and API clients."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govshare.core import epochs
from govshare.core.checkdigits import id_number_valid, uscc_valid
from govshare.core.config import get_settings
from govshare.core.database import utcnow
from govshare.core.errors import Conflict, Forbidden, InvalidInput, NotFound, RateLimited, Unauthorized, problem
from govshare.core.ratelimit import limiter, retry_minutes
from govshare.core.regions import validate_region_code
from govshare.core.security import (
    client_secret_outdated,
    hash_client_secret,
    hash_secret,
    issue_token,
    needs_rehash,
    new_id,
    new_secret,
    subject_hash,
    verify_client_secret,
    verify_secret,
)
from govshare.ledger import sequencer as ledger
from govshare.orgs.models import ApiClient, Organization, User, UserRole
from govshare.orgs.roles import Role, Scope, conflicting_duties
from govshare.orgs.schemas import ClientCreate, OrgCreate, UserCreate

log = logging.getLogger("govshare.signin")


@dataclass(frozen=True)
class Principal:
    """Who is calling: a console user or an API client, always on behalf of one department."""

    kind: str  # "user" | "client"
    id: str
    name: str
    org_id: str
    org_code: str
    roles: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_platform_admin(self) -> bool:
        return Role.platform_admin in self.roles

    def may(self, scope: str, role_alternatives: tuple[str, ...]) -> bool:
        """Clients act by scope, users by role."""
        if self.kind == "client":
            return scope in self.scopes
        return self.has_role(*role_alternatives)


# ---- organizations -------------------------------------------------------------------

def create_org(session: Session, data: OrgCreate) -> tuple[Organization, list[str]]:
    warnings: list[str] = []
    code = data.code.strip().upper()
    validate_region_code(data.region_code)
    if session.scalar(select(Organization.id).where(Organization.code == code)):
        raise Conflict(f"an organization with code {code} already exists", code="org_exists")
    check_failed = not uscc_valid(code)
    if check_failed:
        warnings.append(f"统一社会信用代码 {code} fails the GB 32100 check digit; accepted as an early code")
    parent_id = None
    if data.parent_code:
        parent_id = get_org_by_code(session, data.parent_code).id
    if data.short_name and session.scalar(select(Organization.id).where(Organization.short_name == data.short_name)):
        raise Conflict(f"short name {data.short_name} is taken", code="org_exists")
    org = Organization(
        id=new_id("o"), code=code, name=data.name.strip(), short_name=data.short_name,
        region_code=data.region_code, level=data.level.value, parent_id=parent_id,
        code_check_failed=check_failed,
    )
    session.add(org)
    session.flush()
    return org, warnings


def get_org_by_code(session: Session, code: str) -> Organization:
    org = session.scalar(select(Organization).where(
        (Organization.code == code.strip().upper()) | (Organization.short_name == code.strip())))
    if org is None:
        raise NotFound(f"organization {code} not found", code="org_not_found")
    return org


def get_org(session: Session, org_id: str) -> Organization:
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFound(f"organization {org_id} not found", code="org_not_found")
    return org


def list_orgs(session: Session, limit: int = 200, offset: int = 0) -> tuple[list[Organization], int]:
    total = session.scalar(select(func.count()).select_from(Organization)) or 0
    rows = session.scalars(select(Organization).order_by(Organization.code).limit(limit).offset(offset)).all()
    return list(rows), total


# ---- users ---------------------------------------------------------------------------

def check_separation_of_duties(roles: set[str]) -> None:
    duties = conflicting_duties(roles)
    if len(duties) > 1:
        raise InvalidInput(
            "separation of duties (三员分立): one user cannot hold "
            + " and ".join(sorted(duties)) + " roles",
            code="separation_of_duties",
            details=[{"field": "roles", "reason": "conflicting duties", "value": sorted(roles)}],
        )


def create_user(session: Session, data: UserCreate) -> User:
    org = get_org_by_code(session, data.org_code)
    roles = {r.value for r in data.roles}
    check_separation_of_duties(roles)
    if (Role.citizen in roles) != bool(data.id_number) or (Role.citizen in roles and len(roles) > 1):
        raise InvalidInput("a citizen account has the citizen role only, and an ID number; no other account has one",
                           details=[problem("id_number", "required with the citizen role, and only with it")])
    if data.id_number and not id_number_valid(data.id_number.strip().upper()):
        raise InvalidInput("invalid ID number", details=[problem("id_number", "not a valid ID number (check digit, "
                                                                              "birth date)")])
    if session.scalar(select(User.id).where(User.username == data.username)):
        raise Conflict(f"username {data.username} is taken", code="user_exists")
    user = User(id=new_id("u"), username=data.username, display_name=data.display_name, org_id=org.id,
                password_hash=hash_secret(data.password),
                subject_hash=subject_hash(data.id_number) if data.id_number else None)
    user.role_rows = [UserRole(role=r) for r in sorted(roles)]
    session.add(user)
    session.flush()
    return user


def grant_role(session: Session, user_id: str, role: Role, principal: Principal | None = None) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user not found", code="user_not_found")
    roles = user.roles | {role.value}
    check_separation_of_duties(roles)
    if role.value not in user.roles:
        user.role_rows.append(UserRole(role=role.value))
        _log_role(session, "role.granted", user, role, principal)
    session.flush()
    return user


def _log_role(session: Session, kind: str, user: User, role: Role, principal: Principal | None) -> None:
    """Role changes are governance events: in the ledger, with who made them."""
    ledger.record(session, kind, user=user.id, org=user.org_id, role=role.value,
                  actor=principal.id if principal else "platform")


def revoke_role(session: Session, user_id: str, role: Role, principal: Principal | None = None) -> User:
    """Take a role away. An operator cannot remove their own platform_admin role (no lock-out), and a
    citizen account keeps its citizen role (it is what the account is)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user not found", code="user_not_found")
    if role.value not in user.roles:
        raise Conflict(f"the user does not hold the {role.value} role", code="role_not_held")
    if role == Role.citizen:
        raise InvalidInput("a citizen account keeps its citizen role",
                           details=[problem("role", "the citizen role cannot be removed")])
    if principal is not None and principal.id == user.id and role == Role.platform_admin:
        raise Forbidden("you cannot remove your own platform administrator role", code="own_admin_role")
    remaining = user.roles - {role.value}
    check_separation_of_duties(remaining)
    user.role_rows = [r for r in user.role_rows if r.role != role.value]
    _log_role(session, "role.revoked", user, role, principal)
    session.flush()
    return user


USER_SORTS = {"org": (User.org_id, User.username), "username": (User.username,), "newest": (User.created_at.desc(),)}


def list_users(session: Session, org_id: str | None = None, q: str | None = None, limit: int = 20,
               offset: int = 0, sort: str = "org") -> tuple[list[User], int]:
    """Users sorted by `sort` (org: by department then username; username; newest); `q` matches the
    username or display name."""
    stmt = select(User)
    if org_id:
        stmt = stmt.where(User.org_id == org_id)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(User.username.ilike(like) | User.display_name.ilike(like))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(*USER_SORTS.get(sort, USER_SORTS["org"]), User.id)
                           .limit(limit).offset(offset)).all()
    return list(rows), total


def authenticate_user(session: Session, username: str, password: str, address: str | None = None) -> User:
    """The user whose password this is. Refused (RateLimited) without looking at the password once the
    account or the client's address (`address`; None for the local CLI) has failed too often."""
    accounts = _signin_keys("user", username, address)
    _refuse_if_locked(accounts)
    user = session.scalar(select(User).where(User.username == username))
    stored = user.password_hash if user else None
    if not verify_secret(stored, password) or user is None or not user.is_active:
        _signin_failed(accounts, f"user {username}" if user else "an unknown username", address)
        raise Unauthorized("wrong username or password", code="invalid_credentials")
    _signin_succeeded(accounts)
    if needs_rehash(stored):
        # The operator changed the hashing cost: this password moves to it now that we know it.
        user.password_hash = hash_secret(password)
        session.flush()
    return user


# ---- failed sign-ins ------------------------------------------------------------------------------
# Counted per account and per client address in fixed windows (`core.ratelimit`, shared through Redis):
# past the limit an attempt is refused before its password is hashed, so guessing passwords also stops
# costing the server ~0.2 s of CPU and 64 MiB a try (client secrets are SHA-256: cheap either way).
# Whoever knows a username can lock it for one window: the price of the rule, which the standard asks for.

def _signin_keys(kind: str, name: str, address: str | None) -> list[tuple[str, int]]:
    """(counter key, limit) for an account of `kind` (user | client) and the address it comes from."""
    settings = get_settings()
    account = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:32]  # any string, fixed length
    keys = [(f"signin:{kind}:{account}", settings.signin_max_failures)]
    if address:
        keys.append((f"signin:addr:{address}", settings.signin_max_failures_per_address))
    return keys


def _lock_seconds() -> int:
    return get_settings().signin_lock_minutes * 60


def _refuse_if_locked(keys: list[tuple[str, int]]) -> None:
    window = _lock_seconds()
    for key, limit in keys:
        failures, retry = limiter().count(key, window_seconds=window)
        if failures >= limit:
            raise RateLimited(f"too many failed sign-ins: try again in {retry_minutes(retry)} minutes",
                              code="signin_locked",
                              headers={"Retry-After": str(retry)}, details={"retry_after": retry})


def _signin_failed(keys: list[tuple[str, int]], account: str, address: str | None) -> None:
    """Count a failure; the one that reaches a limit is logged (later attempts are refused uncounted).
    `account` names the account only when it exists: an unknown "username" may be a mistyped password."""
    window = _lock_seconds()
    for i, (key, limit) in enumerate(keys):
        if limiter().hit(key, limit - 1, window_seconds=window):
            log.warning("sign-in locked for %d minutes after %d failures: %s, from %s", window // 60, limit,
                        ascii(account) if i == 0 else "every account", address or "the command line")


def _signin_succeeded(keys: list[tuple[str, int]]) -> None:
    """The account's failures are forgotten (the address's are not: it may be trying many accounts)."""
    limiter().clear(keys[0][0], window_seconds=_lock_seconds())


def active_user_by_username(session: Session, username: str, field: str = "username") -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"user {username} not found", code="user_not_found",
                       details=[{"field": field, "reason": "no such username", "value": username}])
    if not user.is_active:
        raise Forbidden(f"user {username} is deactivated", code="user_inactive",
                        details=[{"field": field, "reason": "deactivated user", "value": username}])
    return user


def user_principal(user: User) -> Principal:
    return Principal(kind="user", id=user.id, name=user.display_name, org_id=user.org_id,
                     org_code=user.org.code, roles=frozenset(user.roles))


# ---- API clients ---------------------------------------------------------------------

def create_client(session: Session, data: ClientCreate, org: Organization) -> tuple[ApiClient, str]:
    """Returns the client and its secret; the secret is not stored and cannot be shown again."""
    secret = new_secret()
    client = ApiClient(id=new_id("c"), client_id=new_id("gs_", 12), name=data.name, org_id=org.id,
                       secret_hash=hash_client_secret(secret), scopes=sorted({s.value for s in data.scopes}))
    session.add(client)
    session.flush()
    return client, secret


def rotate_client_secret(session: Session, client: ApiClient) -> str:
    secret = new_secret()
    client.secret_hash = hash_client_secret(secret)
    session.flush()
    return secret


def revoke_client(session: Session, client: ApiClient) -> None:
    """Also ends the client's data access at once: exchange calls check revocation per request."""
    client.revoked_at = utcnow()
    epochs.bump(session, epochs.ACCESS)
    session.flush()


def list_clients(session: Session, org_id: str) -> list[ApiClient]:
    return list(session.scalars(select(ApiClient).where(ApiClient.org_id == org_id).order_by(ApiClient.created_at)))


def get_client(session: Session, client_pk: str, principal: Principal) -> ApiClient:
    client = session.get(ApiClient, client_pk)
    if client is None or (client.org_id != principal.org_id and not principal.is_platform_admin):
        raise NotFound("client not found", code="client_not_found")
    return client


def issue_client_token(session: Session, client_id: str, client_secret: str,
                       address: str | None = None) -> tuple[str, int, list[str]]:
    accounts = _signin_keys("client", client_id, address)
    _refuse_if_locked(accounts)
    client = session.scalar(select(ApiClient).where(ApiClient.client_id == client_id))
    stored = client.secret_hash if client else None
    if not verify_client_secret(stored, client_secret) or client is None:
        _signin_failed(accounts, f"API client {client_id}" if client else "an unknown client_id", address)
        raise Unauthorized("invalid client credentials", code="invalid_client")
    _signin_succeeded(accounts)
    if client_secret_outdated(stored):  # given before client secrets were SHA-256: move it now it is known
        client.secret_hash = hash_client_secret(client_secret)
        session.flush()
    if client.revoked_at is not None:
        raise Unauthorized("client revoked", code="invalid_client")
    token, ttl = issue_token(
        f"client:{client.id}",
        {"org": client.org_id, "org_code": client.org.code, "cid": client.client_id,
         "name": client.name, "scope": " ".join(client.scopes), "typ": "client"},
    )
    return token, ttl, client.scopes


def principal_from_claims(claims: dict) -> Principal:
    if claims.get("typ") != "client":
        raise Unauthorized("invalid token", code="invalid_token")
    return Principal(kind="client", id=claims["sub"].split(":", 1)[1], name=claims.get("name", ""),
                     org_id=claims["org"], org_code=claims.get("org_code", ""),
                     scopes=frozenset(claims.get("scope", "").split()))


def require_org_admin_of(principal: Principal, org_id: str) -> None:
    if principal.is_platform_admin:
        return
    if principal.org_id != org_id or not principal.has_role(Role.org_admin):
        raise Forbidden("only the department's administrator may do this", code="not_org_admin")


def require_scope_or_role(principal: Principal, scope: Scope, *roles: Role) -> None:
    if not principal.may(scope.value, tuple(r.value for r in roles)):
        what = f"scope {scope.value}" if principal.kind == "client" else "role " + " or ".join(r.value for r in roles)
        raise Forbidden(f"this needs {what}", code="insufficient_permission")


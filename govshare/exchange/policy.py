"""The grant check on every exchange call, compiled once per grant and cached per process.

A decision for (client, entry) is cached with the value of the access epoch it was read under;
every call re-reads that one row, so a revocation (of a grant or of a client) or a new grant is
seen by every server process on its next call. Expiry is checked against the clock on each call.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection

from govshare.catalog.vocab import ItemSpec
from govshare.core import epochs
from govshare.core.config import get_settings
from govshare.core.database import as_utc
from govshare.core.errors import Conflict, Forbidden, GovShareError, InvalidInput, NotFound, Unauthorized
from govshare.core.regions import scope_prefix
from govshare.mounting import store
from govshare.orgs.service import Principal
from govshare.sharing import masking

DENIAL_REASONS = ("no_grant", "pending", "expired", "revoked", "method_not_granted", "item_not_granted")


class AccessDenied(Forbidden):
    """403 whose code is the machine-readable reason."""

    def __init__(self, reason: str, message: str):
        assert reason in DENIAL_REASONS
        super().__init__(message, code=reason, details={"reason": reason})


@dataclass(frozen=True)
class EntryShape:
    id: str
    provider_org_id: str
    data_table: str | None
    mounted: bool
    specs: tuple[ItemSpec, ...]
    key_column: str
    key_items: tuple[ItemSpec, ...]
    by_name: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self):
        self.by_name.update({s.name: s for s in self.specs})

    def spec(self, name: str) -> ItemSpec | None:
        return self.by_name.get(name)


@dataclass(frozen=True)
class GrantPolicy:
    """Everything one call under one grant needs, built once."""

    grant_id: str
    entry: EntryShape
    consumer_org_id: str
    purpose: str
    methods: frozenset[str]
    items: tuple[str, ...]
    specs: tuple[ItemSpec, ...]  # of the granted items, in the same order
    masker: masking.Masker
    region_item: str | None
    region_prefix: str | None  # rows whose region item starts with this ('' or None: no filter)
    rate_limit: int
    expires_at: datetime
    row_key: bytes  # keys the consumer's row tokens (`_key` of exports and feeds)

    @property
    def item_set(self) -> frozenset[str]:
        return frozenset(self.items)

    def region_sql(self) -> tuple[str, dict]:
        if not self.region_prefix:
            return "", {}
        return f' AND "{self.region_item}" LIKE :region_prefix', {"region_prefix": self.region_prefix + "%"}

    def in_region(self, value) -> bool:
        return not self.region_prefix or (isinstance(value, str) and value.startswith(self.region_prefix))


@dataclass
class _Decision:
    epoch: int
    grants: list[GrantPolicy] = field(default_factory=list)
    fallback: str = "no_grant"  # the reason when no grant of this client is live
    fallback_message: str = "no grant for this client and entry"
    error: GovShareError | None = None
    entry: EntryShape | None = None


_cache: dict[tuple[str, str], _Decision] = {}
CACHE_MAX = 20_000


def row_key_for(consumer_org_id: str) -> bytes:
    secret = get_settings().resolved_secret_key()
    return hashlib.sha256(f"govshare-row-key:{consumer_org_id}:{secret}".encode()).digest()


def row_tokens(key: bytes, values: list[str]) -> list[str]:
    """The consumer's stable token for each row key: joins export and feed, reveals nothing."""
    blake = hashlib.blake2b
    return [blake(v.encode(), key=key, digest_size=16).hexdigest() for v in values]


def _entry_shape(conn: Connection, entry_id: str) -> EntryShape | None:
    row = conn.execute(text("SELECT id, provider_org_id, data_table, mounted, status FROM catalog_entries "
                            "WHERE id = :id"), {"id": entry_id}).first()
    if row is None or row.status != "published":
        return None
    items = conn.execute(text(
        "SELECT name, label, data_type, length, precision, required, is_key, pi_kind FROM catalog_items "
        "WHERE entry_id = :id ORDER BY position"), {"id": entry_id}).all()
    specs = tuple(ItemSpec(name=i.name, label=i.label, data_type=i.data_type, length=i.length,
                           precision=i.precision, required=bool(i.required), is_key=bool(i.is_key),
                           pi_kind=i.pi_kind) for i in items)
    return EntryShape(id=row.id, provider_org_id=row.provider_org_id, data_table=row.data_table,
                      mounted=bool(row.mounted), specs=specs, key_column=store.key_column(list(specs)),
                      key_items=tuple(s for s in specs if s.is_key))


def _decide(conn: Connection, principal: Principal, entry_id: str, epoch: int, now: datetime) -> _Decision:
    decision = _Decision(epoch=epoch)
    client = conn.execute(text("SELECT revoked_at FROM api_clients WHERE id = :id"), {"id": principal.id}).first()
    if client is None or client.revoked_at is not None:
        decision.error = Unauthorized("client revoked", code="invalid_client",
                                      headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return decision
    entry = _entry_shape(conn, entry_id)
    if entry is None:
        decision.error = NotFound("entry not found or not published", code="entry_not_found")
        return decision
    decision.entry = entry
    rows = conn.execute(text(
        "SELECT id, items, methods, masking, client_ids, purpose, region_item, region_code, rate_limit_per_minute, "
        "expires_at, revoked_at FROM grants WHERE entry_id = :e AND consumer_org_id = :o ORDER BY created_at DESC"),
        {"e": entry_id, "o": principal.org_id}).all()
    mine = [r for r in rows if principal.id in _json(r.client_ids)]
    live = [r for r in mine if r.revoked_at is None]
    key = masking.pseudonym_key(get_settings().resolved_secret_key(), principal.org_id)
    by_name = {s.name: s for s in entry.specs}
    for r in live:
        items = tuple(n for n in _json(r.items) if n in by_name)
        policies = _json(r.masking)
        decision.grants.append(GrantPolicy(
            grant_id=r.id, entry=entry, consumer_org_id=principal.org_id, purpose=r.purpose,
            methods=frozenset(_json(r.methods)), items=items, specs=tuple(by_name[n] for n in items),
            masker=masking.Masker([by_name[n] for n in items], policies, key),
            region_item=r.region_item, region_prefix=scope_prefix(r.region_code) if r.region_code else None,
            rate_limit=r.rate_limit_per_minute or get_settings().rate_limit_per_minute,
            expires_at=as_utc(_datetime(r.expires_at)), row_key=row_key_for(principal.org_id)))
    if mine and not live:
        decision.fallback, decision.fallback_message = "revoked", "the grant was revoked"
    elif not mine:
        pending = conn.execute(text(
            "SELECT 1 FROM access_requests WHERE entry_id = :e AND consumer_org_id = :o "
            "AND status IN ('pending', 'escalated') LIMIT 1"), {"e": entry_id, "o": principal.org_id}).first()
        if pending is not None:
            decision.fallback, decision.fallback_message = "pending", "the access request is not decided yet"
    return decision


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _datetime(value) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def entry_of(principal: Principal, entry_id: str) -> EntryShape | None:
    """The entry as the last decision saw it (for audit records of denied calls)."""
    decision = _cache.get((principal.id, entry_id))
    return decision.entry if decision else None


def authorize(conn: Connection, principal: Principal, entry_id: str, method: str, items: list[str],
              now: datetime) -> GrantPolicy:
    """The grant that allows `method` on `items` of the entry for this client, or AccessDenied."""
    if principal.kind != "client":
        raise AccessDenied("no_grant", "exchange calls are made by API clients with a grant")
    epoch = epochs.read(conn, epochs.ACCESS)
    cache_key = (principal.id, entry_id)
    decision = _cache.get(cache_key)
    if decision is None or decision.epoch != epoch:
        decision = _decide(conn, principal, entry_id, epoch, now)
        if len(_cache) >= CACHE_MAX:
            _cache.clear()
        _cache[cache_key] = decision
    if decision.error is not None:
        raise decision.error
    unknown = [i for i in items if decision.entry.spec(i) is None]
    if unknown:
        raise InvalidInput("unknown items", details=[{"field": i, "reason": "not an item of this entry"}
                                                     for i in unknown])
    live = [g for g in decision.grants if g.expires_at > now]
    if not live:
        if decision.grants:
            raise AccessDenied("expired", "the grant has expired")
        raise AccessDenied(decision.fallback, decision.fallback_message)
    with_method = [g for g in live if method in g.methods]
    if not with_method:
        raise AccessDenied("method_not_granted", f"the grant does not allow {method}")
    wanted = set(items)
    for grant in with_method:
        if wanted <= grant.item_set:
            entry = grant.entry
            if not entry.mounted or not entry.data_table:
                raise Conflict("the entry has no data mounted yet", code="not_mounted")
            return grant
    missing = sorted(wanted - with_method[0].item_set)
    raise AccessDenied("item_not_granted", f"items not granted: {', '.join(missing)}")

"""Catalog entries: validation of the national catalog metadata, lifecycle, versions, search."""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from govshare.catalog import search
from govshare.catalog.models import CatalogClass, CatalogEntry, CatalogItem, EntryVersion
from govshare.catalog.schemas import EntryCreate, EntryRead, EntrySummary, EntryUpdate, ItemIn, ItemRead, MountState
from govshare.catalog.vocab import (
    CATEGORY_DIGIT, UPDATE_CYCLE_SECONDS, Category, EntryFormat, EntryStatus, ItemSpec, OpenType, ShareType, UpdateCycle,
)
from govshare.core.database import as_utc, utcnow
from govshare.core import epochs
from govshare.core.errors import Conflict, Forbidden, InvalidInput, NotFound, problem
from govshare.core.security import new_id
from govshare.ledger import sequencer as ledger
from govshare.ledger.canonical import canonical
from govshare.orgs import service as orgs
from govshare.orgs.models import Organization
from govshare.orgs.roles import Role, Scope
from govshare.orgs.service import Principal

# Fields compared for versions, in display order.
METADATA_FIELDS = (
    "name", "summary", "category", "class_path", "format", "share_type", "share_condition", "share_methods",
    "open_type", "open_condition", "update_cycle", "related_codes",
)
ITEM_FIELDS = ("label", "data_type", "length", "precision", "required", "is_key", "sensitivity", "pi_kind",
               "description", "open_treatment")
# Item changes that the mounted data table cannot absorb without a reload.
STRUCTURAL_ITEM_FIELDS = ("data_type", "is_key")


# ---- validation -------------------------------------------------------------------------

def validate_entry_rules(values: dict, items: list[ItemIn]) -> None:
    """Rules of the catalog guide that span fields; raises one InvalidInput listing all problems."""
    problems: list[dict] = []
    share_type = values["share_type"]
    if share_type == "conditional" and not (values.get("share_condition") or "").strip():
        problems.append(problem("share_condition", "a conditional entry must state its share condition"))
    if share_type == "none" and not (values.get("share_condition") or "").strip():
        problems.append(problem("share_condition", "an entry that is not shared must cite its legal basis"))
    if values.get("open_type") == "conditional" and not (values.get("open_condition") or "").strip():
        problems.append(problem("open_condition", "a conditionally open entry must state its open condition"))
    problems += open_data_problems(values.get("open_type"), items)
    if not any(i.is_key for i in items):
        problems.append(problem("items", "at least one item must be a key item (used for lookups)"))
    names: set[str] = set()
    labels: set[str] = set()
    for pos, item in enumerate(items):
        if item.name in names:
            problems.append(problem(f"items[{pos}].name", "duplicate item name", item.name))
        if item.label.strip() in labels:
            problems.append(problem(f"items[{pos}].label", "duplicate item label", item.label))
        names.add(item.name)
        labels.add(item.label.strip())
        if item.data_type in ("N", "Y") and item.precision is not None and item.length is not None \
                and item.precision > item.length:
            problems.append(problem(f"items[{pos}].precision", "precision cannot exceed length"))
    if problems:
        raise InvalidInput("the catalog entry breaks " + str(len(problems)) + " rule(s) of the catalog guide",
                           code="invalid_entry", details=problems)


def open_data_problems(open_type: str | None, items) -> list[dict]:
    """The open-data rule: no personal information reaches the public. An entry open to the public
    (`open`) may hold personal items only when each is dropped or generalised for open data; a
    generalised item must be of a kind that can be generalised (govshare.opendata.generalise)."""
    from govshare.opendata.generalise import can_generalise

    problems: list[dict] = []
    for pos, item in enumerate(items):
        treatment = getattr(item.open_treatment, "value", item.open_treatment)
        pi_kind = getattr(item.pi_kind, "value", item.pi_kind)
        data_type = getattr(item.data_type, "value", item.data_type)
        if treatment == "generalise" and not can_generalise(pi_kind, data_type):
            problems.append(problem(f"items[{pos}].open_treatment",
                                    "this item cannot be generalised for open data; drop it", item.name))
    if open_type == "open":
        personal = [i.name for i in items
                    if getattr(i.pi_kind, "value", i.pi_kind) != "none" and not i.open_treatment]
        if personal:
            problems.append(problem(
                "open_type", "an open entry cannot publish personal information items (" + ", ".join(personal)
                + "); drop or generalise them for open data first", personal))
    return problems


def _check_related_codes(session: Session, codes: list[str], own_code: str | None = None) -> None:
    codes = [c for c in dict.fromkeys(codes) if c != own_code]
    if not codes:
        return
    found = set(session.scalars(select(CatalogEntry.code).where(CatalogEntry.code.in_(codes))))
    missing = [c for c in codes if c not in found]
    if missing:
        raise InvalidInput("related entry codes not found", code="invalid_entry",
                           details=[problem("related_codes", "no such catalog entry", c) for c in missing])


# ---- classification and codes -----------------------------------------------------------

_NUMBER_WIDTH = {1: 2, 2: 2, 3: 3}


def _resolve_class(session: Session, category: str, path: list[str]) -> CatalogClass:
    """Find or create the class nodes of a path; numbers are assigned in order of first use."""
    parent: CatalogClass | None = None
    code = CATEGORY_DIGIT[category]
    for depth, name in enumerate(path, start=1):
        node = session.scalar(select(CatalogClass).where(
            CatalogClass.category == category, CatalogClass.name == name,
            CatalogClass.parent_id.is_(None) if parent is None else CatalogClass.parent_id == parent.id))
        if node is None:
            siblings = session.scalar(select(func.count()).select_from(CatalogClass).where(
                CatalogClass.category == category,
                CatalogClass.parent_id.is_(None) if parent is None else CatalogClass.parent_id == parent.id)) or 0
            number = siblings + 1
            if number >= 10 ** _NUMBER_WIDTH[depth]:
                raise InvalidInput("too many classes at this level", code="invalid_entry",
                                   details=[problem("class_path", "class level is full", name)])
            node = CatalogClass(category=category, parent_id=parent.id if parent else None, depth=depth, name=name,
                                number=number, code=code + f"{number:0{_NUMBER_WIDTH[depth]}d}", next_seq=1)
            session.add(node)
            session.flush()
        code = node.code
        parent = node
    assert parent is not None
    return parent


def _next_entry_code(session: Session, node: CatalogClass) -> str:
    """分类码/顺序码: the class code and a 6-digit sequence within the class."""
    locked = session.scalar(select(CatalogClass).where(CatalogClass.id == node.id).with_for_update())
    assert locked is not None
    seq = locked.next_seq
    locked.next_seq = seq + 1
    return f"{locked.code}/{seq:06d}"


# ---- permissions -------------------------------------------------------------------------

def require_catalog_writer(principal: Principal, provider_org_id: str) -> None:
    if principal.is_platform_admin:
        return
    if principal.org_id != provider_org_id:
        raise Forbidden("only the providing department may change its catalog entries", code="not_provider")
    orgs.require_scope_or_role(principal, Scope.catalog_write, Role.org_admin)


def can_see(principal: Principal | None, entry: CatalogEntry) -> bool:
    if entry.status != EntryStatus.draft:
        return True
    return principal is not None and (principal.is_platform_admin or principal.org_id == entry.provider_org_id)


# ---- snapshots, diffs, search documents --------------------------------------------------

def snapshot(entry: CatalogEntry) -> dict:
    snap = {f: getattr(entry, f) for f in METADATA_FIELDS}
    snap.update(code=entry.code, status=entry.status, provider_code=entry.provider.code,
                publish_date=entry.publish_date.isoformat() if entry.publish_date else None)
    snap["items"] = [{"name": i.name, **{f: getattr(i, f) for f in ITEM_FIELDS}} for i in entry.items]
    return snap


def diff_snapshots(old: dict, new: dict) -> list[dict]:
    changes = [{"field": f, "old": old.get(f), "new": new.get(f)}
               for f in (*METADATA_FIELDS, "status") if old.get(f) != new.get(f)]
    old_items = {i["name"]: i for i in old.get("items", [])}
    new_items = {i["name"]: i for i in new.get("items", [])}
    for name in old_items.keys() - new_items.keys():
        changes.append({"field": f"items.{name}", "old": old_items[name], "new": None})
    for name in new_items.keys() - old_items.keys():
        changes.append({"field": f"items.{name}", "old": None, "new": new_items[name]})
    for name in old_items.keys() & new_items.keys():
        for f in ITEM_FIELDS:
            if old_items[name].get(f) != new_items[name].get(f):
                changes.append({"field": f"items.{name}.{f}", "old": old_items[name].get(f),
                                "new": new_items[name].get(f)})
    return changes


def log_entry_event(session: Session, kind: str, entry: CatalogEntry, principal: Principal | None, **fields) -> None:
    """A catalog governance event in the ledger, with the hash of the entry's metadata as it now stands."""
    ledger.record(session, kind, provider_org_id=entry.provider_org_id, entry_id=entry.id, code=entry.code,
                  version=entry.version, status=entry.status,
                  metadata=hashlib.sha256(canonical(json.loads(json.dumps(snapshot(entry), default=str)))).hexdigest(),
                  actor=principal.id if principal else None, **fields)


def entry_changed(session: Session, entry: CatalogEntry) -> None:
    """Call after any change of an entry's text, status, items or mount state: refreshes its search
    document and tells every server process's exchange cache (the access epoch) to re-read it."""
    reindex(session, entry)
    epochs.bump(session, epochs.ACCESS)
    bump_generation(session)


def reindex(session: Session, entry: CatalogEntry) -> None:
    """Refresh the entry's search document; call after any change of its text, status or mount state."""
    fields = {
        "name": entry.name,
        "labels": " ".join(i.label for i in entry.items) + " " + " ".join(entry.class_path),
        "summary": entry.summary,
        "provider": entry.provider.name,
    }
    facets = search.EntryFacets(
        status=entry.status, provider_org_id=entry.provider_org_id, category=entry.category,
        share_type=entry.share_type, open_type=entry.open_type, mounted=bool(entry.mounted),
        classification_code=classification_code(entry), update_cycle=entry.update_cycle, format=entry.format)
    search.index_document(session, entry.id, fields, facets)


def _record_version(session: Session, entry: CatalogEntry, previous: dict | None, principal: Principal | None,
                    note: str | None) -> None:
    snap = snapshot(entry)
    session.add(EntryVersion(entry_id=entry.id, version=entry.version, status=entry.status, snapshot=snap,
                             diff=diff_snapshots(previous, snap) if previous else [], note=note,
                             changed_by=principal.name if principal else None))


# ---- commands ------------------------------------------------------------------------------

def _items_from(data: list[ItemIn]) -> list[CatalogItem]:
    return [CatalogItem(position=pos, name=i.name, label=i.label.strip(), data_type=i.data_type.value,
                        length=i.length, precision=i.precision, required=i.required or i.is_key, is_key=i.is_key,
                        sensitivity=i.sensitivity.value, pi_kind=i.pi_kind.value, description=i.description,
                        open_treatment=i.open_treatment.value if i.open_treatment else None)
            for pos, i in enumerate(data)]


def create_entry(session: Session, data: EntryCreate, principal: Principal) -> CatalogEntry:
    provider = orgs.get_org_by_code(session, data.provider_code) if data.provider_code else \
        orgs.get_org(session, principal.org_id)
    require_catalog_writer(principal, provider.id)
    values = data.model_dump(exclude={"items", "provider_code"}, mode="json")
    validate_entry_rules(values, data.items)
    _check_related_codes(session, data.related_codes)
    node = _resolve_class(session, data.category.value, data.class_path)
    entry = CatalogEntry(
        id=new_id("e"), code=_next_entry_code(session, node), class_id=node.id, provider_org_id=provider.id,
        status=EntryStatus.draft.value, version=1, **values,
    )
    entry.items = _items_from(data.items)
    session.add(entry)
    session.flush()
    session.refresh(entry, ["provider"])
    entry_changed(session, entry)
    log_entry_event(session, "entry.created", entry, principal)
    return entry


def update_entry(session: Session, entry_id: str, data: EntryUpdate, principal: Principal) -> CatalogEntry:
    entry = get_entry(session, entry_id, principal)
    require_catalog_writer(principal, entry.provider_org_id)
    if entry.status == EntryStatus.withdrawn:
        raise Conflict("a withdrawn entry cannot be changed; publish it again first", code="entry_withdrawn")
    previous = snapshot(entry)
    changes = data.model_dump(exclude_unset=True, exclude={"items", "note"}, mode="json")
    merged = {f: changes.get(f, getattr(entry, f)) for f in METADATA_FIELDS}
    items = data.items if data.items is not None else [ItemIn.model_validate(ItemRead.model_validate(i).model_dump())
                                                       for i in entry.items]
    validate_entry_rules(merged, items)
    _check_related_codes(session, merged["related_codes"], entry.code)
    if data.items is not None and entry.mounted:
        _check_items_compatible_with_data(entry, data.items)
    if "class_path" in changes and changes["class_path"] != entry.class_path:
        entry.class_id = _resolve_class(session, entry.category, changes["class_path"]).id
    for f, v in changes.items():
        setattr(entry, f, v)
    if data.items is not None:
        _replace_items(entry, data.items)
    session.flush()
    after = snapshot(entry)
    if after == previous:
        return entry
    entry.updated_at = utcnow()
    if entry.status == EntryStatus.published:
        entry.version += 1
        _record_version(session, entry, previous, principal, data.note)
    session.flush()
    entry_changed(session, entry)
    log_entry_event(session, "entry.changed", entry, principal, note=data.note)
    return entry


def _replace_items(entry: CatalogEntry, items: list[ItemIn]) -> None:
    existing = {i.name: i for i in entry.items}
    fresh = _items_from(items)
    kept: list[CatalogItem] = []
    for item in fresh:
        current = existing.get(item.name)
        if current is None:
            kept.append(item)
            continue
        for f in (*ITEM_FIELDS, "position"):
            setattr(current, f, getattr(item, f))
        kept.append(current)
    entry.items = kept


def _check_items_compatible_with_data(entry: CatalogEntry, items: list[ItemIn]) -> None:
    """Mounted data keeps its table: items may be added (optional) or relabelled, not retyped or removed."""
    new = {i.name: i for i in items}
    problems = []
    for old in entry.items:
        item = new.get(old.name)
        if item is None:
            problems.append(problem(f"items.{old.name}", "cannot remove an item while data is mounted"))
            continue
        for f in STRUCTURAL_ITEM_FIELDS:
            value = getattr(item, f)
            value = value.value if hasattr(value, "value") else value
            if value != getattr(old, f):
                problems.append(problem(f"items.{old.name}.{f}", "cannot change while data is mounted", value))
    old_names = {i.name for i in entry.items}
    for item in items:
        if item.name not in old_names and (item.required or item.is_key):
            problems.append(problem(f"items.{item.name}", "a new item must be optional while data is mounted"))
    if problems:
        raise Conflict("the change does not fit the mounted data; unmount or reload with the new structure",
                       code="items_incompatible_with_data", details=problems)


def publish_entry(session: Session, entry_id: str, principal: Principal, note: str | None = None) -> CatalogEntry:
    entry = get_entry(session, entry_id, principal)
    require_catalog_writer(principal, entry.provider_org_id)
    if entry.status == EntryStatus.published:
        raise Conflict("the entry is already published", code="already_published")
    personal = open_data_problems(entry.open_type, entry.items)
    if personal:  # entries stored before the rule (or by hand) are checked again when they go public
        raise InvalidInput("the entry cannot be published as open data", code="invalid_entry", details=personal)
    previous = snapshot(entry) if entry.status == EntryStatus.withdrawn else None
    if previous is not None:
        entry.version += 1
    entry.status = EntryStatus.published.value
    entry.publish_date = entry.publish_date or date.today()
    entry.updated_at = utcnow()
    session.flush()
    _record_version(session, entry, previous, principal, note)
    entry_changed(session, entry)
    log_entry_event(session, "entry.published", entry, principal, note=note)
    return entry


def withdraw_entry(session: Session, entry_id: str, principal: Principal, reason: str) -> CatalogEntry:
    entry = get_entry(session, entry_id, principal)
    require_catalog_writer(principal, entry.provider_org_id)
    if entry.status != EntryStatus.published:
        raise Conflict("only a published entry can be withdrawn", code="not_published")
    if not reason.strip():
        raise InvalidInput("a withdrawal needs a reason", code="invalid_input",
                           details=[problem("reason", "required")])
    previous = snapshot(entry)
    entry.status = EntryStatus.withdrawn.value
    entry.version += 1
    entry.updated_at = utcnow()
    session.flush()
    _record_version(session, entry, previous, principal, reason)
    entry_changed(session, entry)
    log_entry_event(session, "entry.withdrawn", entry, principal, reason=reason)
    return entry


# ---- queries ------------------------------------------------------------------------------

def get_entry(session: Session, entry_id: str, principal: Principal | None, *, for_update: bool = False) -> CatalogEntry:
    stmt = select(CatalogEntry).where((CatalogEntry.id == entry_id) | (CatalogEntry.code == entry_id))
    if for_update:
        stmt = stmt.with_for_update(of=CatalogEntry)
    entry = session.scalar(stmt)
    if entry is None or not can_see(principal, entry):
        raise NotFound(f"catalog entry {entry_id} not found", code="entry_not_found")
    return entry


def item_specs(entry: CatalogEntry) -> list[ItemSpec]:
    return [ItemSpec(name=i.name, label=i.label, data_type=i.data_type, length=i.length, precision=i.precision,
                     required=i.required, is_key=i.is_key, pi_kind=i.pi_kind) for i in entry.items]


def classification_code(entry: CatalogEntry) -> str:
    return entry.code.split("/", 1)[0]


def is_stale(entry: CatalogEntry) -> bool:
    """Data older than twice its update cycle is stale (a realtime entry: older than an hour)."""
    if not entry.mounted or entry.last_load_at is None:
        return False
    limit = max(UPDATE_CYCLE_SECONDS.get(entry.update_cycle, 86400) * 2, 3600)
    return utcnow() - as_utc(entry.last_load_at) > timedelta(seconds=limit)


def entry_read(entry: CatalogEntry) -> EntryRead:
    return EntryRead(
        id=entry.id, code=entry.code, name=entry.name, summary=entry.summary, category=entry.category,
        class_path=entry.class_path, classification_code=classification_code(entry),
        provider_code=entry.provider.code, provider_name=entry.provider.name, format=entry.format,
        share_type=entry.share_type, share_condition=entry.share_condition, share_methods=entry.share_methods,
        open_type=entry.open_type, open_condition=entry.open_condition, update_cycle=entry.update_cycle,
        publish_date=entry.publish_date, related_codes=entry.related_codes, status=entry.status,
        version=entry.version, created_at=entry.created_at, updated_at=entry.updated_at,
        mount=MountState(mounted=entry.mounted, row_count=entry.row_count, last_load_at=entry.last_load_at,
                         last_change_at=entry.last_change_at, stale=is_stale(entry)),
        items=[ItemRead.model_validate(i) for i in entry.items],
    )


@dataclass(frozen=True)
class SearchFilters:
    q: str | None = None
    provider: str | None = None
    category: str | None = None
    class_code: str | None = None
    share_type: str | None = None
    open_type: str | None = None
    mounted: bool | None = None
    status: str | None = None
    update_cycle: str | None = None
    format: str | None = None
    sort: str = "relevance"  # relevance (by code without a query) | updated | name


SORTS = ("relevance", "updated", "name")
_ORDER_BY = {"relevance": "e.code", "updated": "e.updated_at DESC, e.code", "name": "e.name, e.code"}


def _summary(row, score: float | None) -> EntrySummary:
    return EntrySummary(**{**row._mapping, "mounted": bool(row.mounted), "score": score})


_SUMMARY_SQL = ("SELECT e.id, e.code, e.name, e.summary, e.category, o.code AS provider_code, "
                "o.name AS provider_name, e.share_type, e.open_type, e.update_cycle, e.status, e.mounted, e.row_count "
                "FROM catalog_entries e JOIN organizations o ON o.id = e.provider_org_id")


def _scope(session: Session, filters: SearchFilters, principal: Principal | None) -> tuple[str, str | None] | None:
    """(status, provider org id) a search is limited to; None when it can find nothing (an unknown
    provider, or another department's drafts)."""
    status = filters.status or EntryStatus.published.value
    provider_id = None
    if filters.provider:
        org = session.scalar(select(Organization).where(
            (Organization.code == filters.provider) | (Organization.short_name == filters.provider)))
        if org is None:
            return None
        provider_id = org.id
    if status == EntryStatus.draft and not (principal and principal.is_platform_admin):
        own = principal.org_id if principal else ""
        if provider_id not in (None, own):
            return None
        provider_id = own
    return status, provider_id


def _facet_filter(filters: SearchFilters, status: str, provider_id: str | None) -> search.FacetFilter:
    return search.FacetFilter({
        "status": status, "prov": provider_id, "cat": filters.category, "share": filters.share_type,
        "open": filters.open_type, "class": filters.class_code,
        "mounted": None if filters.mounted is None else int(filters.mounted),
        "cycle": filters.update_cycle, "fmt": filters.format})


def search_entries(session: Session, filters: SearchFilters, principal: Principal | None, limit: int = 20,
                   offset: int = 0) -> tuple[list[EntrySummary], int]:
    """Relevance-ranked search (when q is given) with filters; plain listing by code otherwise.
    `filters.sort` "updated" or "name" orders either by that instead."""
    scope = _scope(session, filters, principal)
    if scope is None:
        return [], 0
    status, provider_id = scope
    order = _ORDER_BY.get(filters.sort, _ORDER_BY["relevance"])
    if filters.q and filters.q.strip() and filters.sort in ("updated", "name"):
        facet = _facet_filter(filters, status, provider_id)
        found = search.match_subquery(session, filters.q, facet)
        if found is None:
            return [], 0
        subquery, params = found
        total = session.execute(text(f"SELECT count(*) FROM ({subquery}) AS m"), params).scalar_one()
        rows = session.execute(text(f"{_SUMMARY_SQL} WHERE e.id IN ({subquery}) ORDER BY {order} "
                                    "LIMIT :limit OFFSET :offset"), {**params, "limit": limit, "offset": offset})
        return [_summary(r, None) for r in rows], total
    if filters.q and filters.q.strip():
        facet = _facet_filter(filters, status, provider_id)
        hits, total = search.search(session, filters.q, facet, limit, offset)
        if not hits:
            return [], total
        rows = {r.id: r for r in session.execute(
            text(f"{_SUMMARY_SQL} WHERE e.id IN :ids").bindparams(bindparam("ids", expanding=True)),
            {"ids": [h.entry_id for h in hits]})}
        return [_summary(rows[h.entry_id], h.score) for h in hits if h.entry_id in rows], total
    where = ["e.status = :status"]
    params: dict = {"status": status}
    if provider_id:
        where.append("e.provider_org_id = :provider")
        params["provider"] = provider_id
    for name in ("category", "share_type", "open_type", "update_cycle", "format"):
        value = getattr(filters, name)
        if value:
            where.append(f"e.{name} = :{name}")
            params[name] = value
    if filters.class_code:
        where.append("e.code LIKE :class_prefix")
        params["class_prefix"] = filters.class_code + "%"
    if filters.mounted is not None:
        where.append("e.mounted = :mounted")
        params["mounted"] = filters.mounted
    clause = " AND ".join(where)
    total = session.execute(text(f"SELECT count(*) FROM catalog_entries e WHERE {clause}"), params).scalar_one()
    rows = session.execute(text(f"{_SUMMARY_SQL} WHERE {clause} ORDER BY {order} LIMIT :limit OFFSET :offset"),
                           {**params, "limit": limit, "offset": offset})
    return [_summary(r, None) for r in rows], total


def list_versions(session: Session, entry_id: str, principal: Principal | None) -> list[EntryVersion]:
    entry = get_entry(session, entry_id, principal)
    return list(session.scalars(select(EntryVersion).where(EntryVersion.entry_id == entry.id)
                                .order_by(EntryVersion.version)))


# Facets of the catalog page: search-index facet name -> vocabulary of its values.
FACET_VOCABULARIES = {"cat": "category", "share": "share_type", "open": "open_type", "cycle": "update_cycle",
                      "fmt": "format"}
MAX_FACET_PROVIDERS = 300
# Facet counts of a query stay valid until the catalog changes: every change (entry_changed) moves
# the catalog generation, which each request reads (one row), so every process drops stale counts.
# Counting costs one index intersection per facet value (tens of milliseconds for a broad query on
# a large catalog); the catalog changes rarely compared with how often it is browsed.
GENERATION_EPOCH = "catalog"
FACET_ORDER = ("cat", "share", "prov", "class", "open", "cycle", "fmt", "mounted")
FACET_TIME_BUDGET = 0.12  # seconds of counting per page, within the page's 200 ms
FACET_CACHE_SIZE = 2048
_facet_cache: OrderedDict = OrderedDict()
_facet_lock = threading.Lock()


def bump_generation(session: Session) -> None:
    """Move the catalog generation (in the caller's transaction). A missing row starts at a random
    value, so a recreated database never meets counts cached for an earlier one."""
    result = session.execute(update(epochs.Epoch).where(epochs.Epoch.name == GENERATION_EPOCH)
                             .values(value=epochs.Epoch.value + 1).execution_options(synchronize_session=False))
    if result.rowcount == 0:
        try:
            with session.begin_nested():
                session.add(epochs.Epoch(name=GENERATION_EPOCH, value=secrets.randbits(48) + 1))
        except IntegrityError:  # created concurrently: move that one
            session.execute(update(epochs.Epoch).where(epochs.Epoch.name == GENERATION_EPOCH)
                            .values(value=epochs.Epoch.value + 1).execution_options(synchronize_session=False))


@dataclass(frozen=True)
class FacetValue:
    value: str  # what the page's filter parameter takes (a code, an org code, a class code)
    label: str | None  # display name where the value is not a vocabulary code (departments, classes)
    count: int


def facet_counts(session: Session, filters: SearchFilters, principal: Principal | None) -> dict[str, list[FacetValue]]:
    """Counts per value of the catalog page's facets (category, share type, open type, update cycle,
    format, department, top-level class, mount state) for the entries the filters find, taken from
    the search index; values without entries are left out, departments and classes by count."""
    empty = {name: [] for name in (*FACET_VOCABULARIES, "prov", "class", "mounted")}
    scope = _scope(session, filters, principal)
    if scope is None:
        return empty
    status, provider_id = scope
    facet = _facet_filter(filters, status, provider_id)
    # Drafts are limited to the viewer's department: that limit is not a facet choice to drop.
    fixed = ("prov",) if status == EntryStatus.draft else ()
    generation = epochs.read(session.connection(), GENERATION_EPOCH)
    key = (generation, (filters.q or "").strip(), tuple(sorted(facet.values.items(), key=lambda kv: kv[0])), fixed)
    with _facet_lock:
        cached = _facet_cache.get(key) if generation else None
        if cached is not None:
            _facet_cache.move_to_end(key)
    if cached is None:
        cached = _count_facets(session, filters.q, facet, fixed)
        complete = all(name in cached[0] for name in cached[1])
        if generation and complete:  # a partial answer (time budget spent) is not kept
            with _facet_lock:
                _facet_cache[key] = cached
                while len(_facet_cache) > FACET_CACHE_SIZE:
                    _facet_cache.popitem(last=False)
    counts, candidates, classes = cached
    counts = {name: counts.get(name, {}) for name in candidates}
    out: dict[str, list[FacetValue]] = {
        name: [FacetValue(v, None, counts[name][v]) for v in candidates[name] if v in counts[name]]
        for name in (*FACET_VOCABULARIES, "mounted")}
    orgs_by_id = {o.id: o for o in session.scalars(select(Organization).where(
        Organization.id.in_(list(counts["prov"]))))} if counts["prov"] else {}
    out["prov"] = sorted((FacetValue(orgs_by_id[i].code, orgs_by_id[i].name, n) for i, n in counts["prov"].items()
                          if i in orgs_by_id), key=lambda f: (-f.count, f.label or ""))
    names = dict(classes)
    out["class"] = sorted((FacetValue(code, names[code], n) for code, n in counts["class"].items()),
                          key=lambda f: (-f.count, f.value))
    return out


def _count_facets(session: Session, query: str | None, facet: search.FacetFilter, fixed: tuple[str, ...]):
    """(counts, candidate values, top-level classes) of `facet_counts`, as cached."""
    # Departments that provide entries at all (an index-only read), capped: a node with more lists
    # the rest in the provider select.
    org_ids = list(session.scalars(select(CatalogEntry.provider_org_id).distinct().limit(MAX_FACET_PROVIDERS)))
    classes = [tuple(c) for c in session.execute(select(CatalogClass.code, CatalogClass.name)
                                                 .where(CatalogClass.depth == 1))]
    vocab = {"cat": Category, "share": ShareType, "open": OpenType, "cycle": UpdateCycle, "fmt": EntryFormat}
    values = {name: [v.value for v in enum] for name, enum in vocab.items()}
    values.update(prov=org_ids, **{"class": [c[0] for c in classes]}, mounted=["1", "0"])
    # Most useful first: when the time budget runs out, the last ones are left out.
    candidates = {name: values[name] for name in FACET_ORDER}
    deadline = time.perf_counter() + FACET_TIME_BUDGET
    return search.facet_counts(session, query, facet, candidates, fixed, deadline), candidates, classes

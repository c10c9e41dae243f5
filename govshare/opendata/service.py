"""Open data (数据开放): what the public may see of the catalog, and the rows of open entries.

The public sees published entries whose open type is `open` or `conditional`. Conditional entries
show their condition and how to apply; only `open` entries with mounted data have rows (preview,
downloads, the CKAN datastore). Rows never carry personal information: items are published through
`open_columns`, which leaves out dropped items and every personal item that is not generalised (the
catalog refuses such entries already; this is the second line of defence), and generalises the rest.

Search runs on the catalog's search index (FTS5 / tsvector, `govshare.catalog.search`): text terms
and the filters (public open types, department, tags = classification names, formats) are one index
expression, so a filtered search and its total are index lookups, never a scan of entries in Python.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import bindparam, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from govshare.catalog import search
from govshare.catalog.models import CatalogClass, CatalogEntry
from govshare.core import epochs
from govshare.core.config import get_settings
from govshare.core.database import get_engine
from govshare.core.errors import InvalidInput, NotFound
from govshare.exchange.service import py_value, dumps
from govshare.opendata.generalise import generaliser
from govshare.orgs.models import Organization

PUBLIC_OPEN_TYPES = ("open", "conditional")
DOWNLOAD_FORMATS = {
    "csv": ("CSV", "text/csv"),
    "json": ("JSON", "application/json"),
    "xlsx": ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
# The licence open data is published under (dct:license, CKAN license_id).
LICENSE_ID = "cc-by-4.0"
LICENSE_TITLE = "Creative Commons Attribution 4.0"
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"
PREVIEW_ROWS = 20
XLSX_MAX_ROWS = 1_048_575
SORTS = ("score desc", "metadata_modified desc", "metadata_modified asc", "title_string asc", "title_string desc")


# ---- entries the public may see ---------------------------------------------------------------------

def slug(entry: CatalogEntry) -> str:
    """The dataset's URL name: its catalog code with '/' as '-' (unique, lower case, URL-safe)."""
    return entry.code.replace("/", "-").lower()


def org_slug(org: Organization) -> str:
    return org.code.lower()


def is_public(entry: CatalogEntry) -> bool:
    return entry.status == "published" and entry.open_type in PUBLIC_OPEN_TYPES


def has_data(entry: CatalogEntry) -> bool:
    """Rows (preview, downloads, datastore) are published for `open` entries with mounted data only."""
    return is_public(entry) and entry.open_type == "open" and bool(entry.mounted) and bool(entry.data_table)


def get_public_entry(session: Session, ref: str) -> CatalogEntry:
    """A public entry by slug, id or code; anything else (closed, draft, withdrawn, unknown) is not found."""
    ref = (ref or "").strip()
    candidates = {ref}
    if "-" in ref and "/" not in ref:
        candidates.add(ref.replace("-", "/"))
    entry = session.scalar(select(CatalogEntry).where(
        CatalogEntry.id.in_(candidates) | CatalogEntry.code.in_(candidates)))
    if entry is None or not is_public(entry):
        raise NotFound(f"open dataset {ref} not found", code="dataset_not_found")
    return entry


def get_public_org(session: Session, ref: str) -> Organization:
    ref = (ref or "").strip()
    org = session.scalar(select(Organization).where(
        (Organization.code == ref.upper()) | (Organization.id == ref) | (Organization.short_name == ref)))
    if org is None:
        raise NotFound(f"organization {ref} not found", code="organization_not_found")
    return org


def tags(entry: CatalogEntry) -> list[str]:
    """Keywords of an entry: the names of its classification path (类-项-目)."""
    return list(dict.fromkeys(entry.class_path))


# ---- columns: what of an entry's items is published --------------------------------------------------

@dataclass(frozen=True)
class OpenColumn:
    name: str
    label: str
    data_type: str  # of the published values (generalised items publish text)
    source_type: str
    pi_kind: str
    generalised: bool
    description: str | None
    convert: Callable = field(compare=False, repr=False)


def open_columns(entry: CatalogEntry) -> list[OpenColumn]:
    """The items an open entry publishes, in order. Dropped items and personal items without a
    generalisation are left out whatever the entry says (defence in depth)."""
    columns = []
    for item in entry.items:
        if item.open_treatment == "drop":
            continue
        if item.open_treatment == "generalise":
            try:
                convert = generaliser(item.pi_kind, item.data_type)
            except ValueError:
                continue
            columns.append(OpenColumn(item.name, item.label, "C", item.data_type, item.pi_kind, True,
                                      item.description, convert))
        elif item.pi_kind == "none":
            spec = _spec(item)
            columns.append(OpenColumn(item.name, item.label, item.data_type, item.data_type, item.pi_kind, False,
                                      item.description, py_value(spec)))
    return columns


def _spec(item):
    from govshare.catalog.vocab import ItemSpec
    return ItemSpec(name=item.name, label=item.label, data_type=item.data_type, length=item.length,
                    precision=item.precision, required=item.required, is_key=item.is_key, pi_kind=item.pi_kind)


def require_data(entry: CatalogEntry) -> None:
    if not has_data(entry):
        raise NotFound("this dataset has no downloadable data" if entry.open_type == "open" else
                       "a conditionally open dataset is provided on application only", code="no_open_data")


# ---- reading rows ---------------------------------------------------------------------------------

CKAN_TYPES = {"C": "text", "M": "text", "D": "date", "T": "timestamp", "L": "bool", "I": "int",
              "N": "numeric", "Y": "numeric", "B": "numeric", "F": "numeric"}


def _bind(conn: Connection, column: OpenColumn, value):
    """A filter value from a request as the stored value it is compared with."""
    try:
        match column.source_type:
            case "I":
                return int(value)
            case "N" | "Y" | "B" | "F":
                return float(value)
            case "L":
                if isinstance(value, bool):
                    return value
                return str(value).strip().lower() in ("true", "1", "t", "yes", "是")
            case "D":
                parsed = date.fromisoformat(str(value).strip())
                return parsed.isoformat() if conn.dialect.name == "sqlite" else parsed
            case "T":
                parsed = datetime.fromisoformat(str(value).strip())
                return parsed.isoformat(sep=" ") if conn.dialect.name == "sqlite" else parsed
    except (TypeError, ValueError):
        raise InvalidInput(f"{column.name}: not a valid value", code="invalid_filter",
                           details=[{"field": column.name, "reason": "not a valid value", "value": str(value)[:100]}]
                           ) from None
    return str(value)


@dataclass
class RowQuery:
    filters: dict = field(default_factory=dict)
    q: str | dict | None = None
    fields: list[str] | None = None
    sort: str | None = None
    limit: int = 100
    offset: int = 0


@dataclass
class RowPage:
    columns: list[OpenColumn]
    records: list[dict]
    total: int


def _where(conn: Connection, columns: dict[str, OpenColumn], query: RowQuery) -> tuple[str, dict]:
    clauses, params = [], {}
    for i, (name, value) in enumerate((query.filters or {}).items()):
        if name == "_id":
            values = value if isinstance(value, list) else [value]
            try:
                params.update({f"f{i}_{j}": int(v) for j, v in enumerate(values)})
            except (TypeError, ValueError):
                raise InvalidInput("_id: not a row id", code="invalid_filter",
                                   details=[{"field": "_id", "reason": "not a row id"}]) from None
            clauses.append("_seq IN (" + ", ".join(f":f{i}_{j}" for j in range(len(values))) + ")")
            continue
        column = columns.get(name)
        if column is None or column.generalised:
            raise InvalidInput(f"cannot filter on field {name}", code="invalid_filter",
                               details=[{"field": name, "reason": "unknown or generalised field"}])
        values = value if isinstance(value, list) else [value]
        names = []
        for j, v in enumerate(values):
            params[f"f{i}_{j}"] = _bind(conn, column, v)
            names.append(f":f{i}_{j}")
        clauses.append(f'"{name}" IN ({", ".join(names)})')
    texts = [c for c in columns.values() if c.source_type in ("C", "M") and not c.generalised]
    if isinstance(query.q, dict):
        for i, (name, value) in enumerate(query.q.items()):
            column = columns.get(name)
            if column is None or column.generalised or column.source_type not in ("C", "M"):
                raise InvalidInput(f"cannot search field {name}", code="invalid_filter",
                                   details=[{"field": name, "reason": "not a searchable text field"}])
            clauses.append(f'"{name}" LIKE :q{i}')
            params[f"q{i}"] = f"%{value}%"
    elif query.q and str(query.q).strip():
        if not texts:
            clauses.append("1 = 0")
        else:
            clauses.append("(" + " OR ".join(f'"{c.name}" LIKE :q' for c in texts) + ")")
            params["q"] = f"%{str(query.q).strip()}%"
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _order(columns: dict[str, OpenColumn], sort: str | None) -> str:
    if not sort or not sort.strip():
        return " ORDER BY _seq"
    parts = []
    for part in sort.split(","):
        words = part.strip().split()
        if not words:
            continue
        name, direction = words[0].strip('"'), (words[1].lower() if len(words) > 1 else "asc")
        if (name != "_id" and name not in columns) or direction not in ("asc", "desc") or len(words) > 2:
            raise InvalidInput(f"cannot sort by {part.strip()}", code="invalid_sort",
                               details=[{"field": "sort", "reason": "unknown field or direction",
                                         "value": part.strip()}])
        parts.append(f'"{"_seq" if name == "_id" else name}" {direction.upper()}')
    return " ORDER BY " + ", ".join(parts + ["_seq"])


def _record(seq, values, columns: list[OpenColumn]) -> dict:
    record = {"_id": int(seq)}
    for column, value in zip(columns, values):
        record[column.name] = None if value is None else column.convert(value)
    return record


def read_rows(session: Session, entry: CatalogEntry, query: RowQuery) -> RowPage:
    """One page of an open entry's rows (CKAN datastore_search semantics)."""
    require_data(entry)
    all_columns = open_columns(entry)
    by_name = {c.name: c for c in all_columns}
    columns = all_columns
    if query.fields:
        unknown = [f for f in query.fields if f != "_id" and f not in by_name]
        if unknown:
            raise InvalidInput("unknown fields: " + ", ".join(unknown), code="invalid_fields",
                               details=[{"field": f, "reason": "not a published field"} for f in unknown])
        columns = [by_name[f] for f in query.fields if f != "_id"]
    conn = session.connection()
    where, params = _where(conn, by_name, query)
    table = entry.data_table
    # Unfiltered, the entry's own row count (kept by every load) saves counting a large table.
    total = entry.row_count if not where else \
        conn.execute(text(f'SELECT count(*) FROM "{table}"{where}'), params).scalar_one()
    select_list = ", ".join(["_seq", *[f'"{c.name}"' for c in columns]])
    rows = conn.execute(text(f'SELECT {select_list} FROM "{table}"{where}{_order(by_name, query.sort)} '
                             "LIMIT :limit OFFSET :offset"), {**params, "limit": query.limit, "offset": query.offset})
    return RowPage(columns=columns, records=[_record(r[0], r[1:], columns) for r in rows], total=total)


def preview(session: Session, entry: CatalogEntry) -> RowPage | None:
    if not has_data(entry):
        return None
    return read_rows(session, entry, RowQuery(limit=PREVIEW_ROWS))


# ---- downloads ------------------------------------------------------------------------------------

@dataclass
class Download:
    filename: str
    media_type: str
    chunks: Iterator[bytes]


def _text_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _stream_rows(entry_id: str, table: str, columns: list[OpenColumn]) -> Iterator[list]:
    """The rows (published values) in `_seq` order, read in bounded chunks on a connection of their own."""
    chunk = get_settings().export_chunk_rows
    names = ", ".join(f'"{c.name}"' for c in columns) or "NULL"
    conn = get_engine().connect()
    try:
        result = conn.execution_options(stream_results=True, yield_per=chunk).execute(
            text(f'SELECT {names} FROM "{table}" ORDER BY _seq'))
        for row in result:
            yield [None if v is None else c.convert(v) for c, v in zip(columns, row)]
    finally:
        conn.close()


def download(session: Session, ref: str, fmt: str) -> Download:
    if fmt not in DOWNLOAD_FORMATS:
        raise NotFound(f"no {fmt} download", code="dataset_not_found")
    entry = get_public_entry(session, ref)
    require_data(entry)
    columns = open_columns(entry)
    if fmt == "xlsx" and entry.row_count > XLSX_MAX_ROWS:
        raise InvalidInput("too many rows for one XLSX sheet; download CSV or JSON", code="too_many_rows")
    rows = _stream_rows(entry.id, entry.data_table, columns)
    writer = {"csv": _csv, "json": _json, "xlsx": _xlsx}[fmt]
    return Download(filename=f"{entry.name}.{fmt}", media_type=DOWNLOAD_FORMATS[fmt][1]
                    + ("; charset=utf-8" if fmt != "xlsx" else ""), chunks=writer(columns, rows))


def _csv(columns: list[OpenColumn], rows: Iterator[list]) -> Iterator[bytes]:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    # A byte-order mark: spreadsheet programs then read the Chinese text as UTF-8.
    writer.writerow([c.name for c in columns])
    yield ("\ufeff" + buf.getvalue()).encode()
    buf.seek(0)
    buf.truncate()
    for n, row in enumerate(rows, start=1):
        writer.writerow([_text_value(v) for v in row])
        if n % 5000 == 0:
            yield buf.getvalue().encode()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode()


def _json(columns: list[OpenColumn], rows: Iterator[list]) -> Iterator[bytes]:
    """A JSON array of records, written as it streams."""
    names = [c.name for c in columns]
    yield b"["
    parts: list[bytes] = []
    first = True
    for row in rows:
        parts.append((b"\n" if first else b",\n") + dumps(dict(zip(names, row))))
        first = False
        if len(parts) >= 2000:
            yield b"".join(parts)
            parts = []
    parts.append(b"\n]\n")
    yield b"".join(parts)


def _xlsx(columns: list[OpenColumn], rows: Iterator[list]) -> Iterator[bytes]:
    """openpyxl's write-only mode keeps memory bounded but writes the zip at the end: spool to a file."""
    from openpyxl import Workbook
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("data")
    sheet.append([c.name for c in columns])
    sheet.append([c.label for c in columns])
    for row in rows:
        sheet.append(row)
    data_dir = get_settings().data_dir
    fd, path = tempfile.mkstemp(suffix=".xlsx", dir=data_dir if data_dir.exists() else None)
    os.close(fd)
    try:
        workbook.save(path)
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                yield chunk
    finally:
        os.unlink(path)


# ---- search -------------------------------------------------------------------------------------

@dataclass
class DatasetQuery:
    q: str | None = None
    orgs: list[str] = field(default_factory=list)  # organization codes / slugs
    tags: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)  # CSV / JSON / XLSX
    open_types: list[str] = field(default_factory=list)
    sort: str | None = None
    rows: int = 10
    start: int = 0
    facets: list[str] = field(default_factory=list)
    facet_limit: int = 50


@dataclass
class DatasetResults:
    entries: list[CatalogEntry]
    count: int
    facets: dict[str, list[tuple[str, str, int]]]  # facet -> (name, display name, count)
    sort: str


FACETS = ("organization", "tags", "res_format", "license_id", "open_type")


class _Unmatched(Exception):
    """A filter that nothing can match (an unknown organization or tag)."""


def _org_ids(session: Session, refs: list[str]) -> list[str]:
    ids = []
    for ref in refs:
        org = session.scalar(select(Organization.id).where(
            (Organization.code == ref.upper()) | (Organization.id == ref) | (Organization.short_name == ref)))
        if org is None:
            raise _Unmatched
        ids.append(org)
    return ids


def _tag_codes(session: Session, names: list[str]) -> list[list[str]]:
    """Per tag, the classification codes whose node has that name (an entry's code starts with one)."""
    groups = []
    for name in names:
        codes = list(session.scalars(select(CatalogClass.code).where(CatalogClass.name == name)))
        if not codes:
            raise _Unmatched
        groups.append(codes)
    return groups


def _is_all(q: str | None) -> bool:
    return not q or not q.strip() or q.strip() in ("*:*", "*")


def search_datasets(session: Session, query: DatasetQuery) -> DatasetResults:
    sort = (query.sort or "").strip().lower() or ("metadata_modified desc" if _is_all(query.q) else "score desc")
    sort = " ".join(sort.split())
    if sort not in SORTS:
        raise InvalidInput(f"sort must be one of: {', '.join(SORTS)}", code="invalid_sort",
                           details=[{"field": "sort", "reason": "unsupported sort", "value": query.sort}])
    bad = [f for f in query.facets if f not in FACETS]
    if bad:
        raise InvalidInput("unknown facet fields: " + ", ".join(bad), code="invalid_facet",
                           details=[{"field": "facet.field", "reason": "unsupported facet", "value": f} for f in bad])
    open_types = [t for t in (query.open_types or PUBLIC_OPEN_TYPES) if t in PUBLIC_OPEN_TYPES]
    formats = [f.upper() for f in query.formats]
    if any(f not in {v[0] for v in DOWNLOAD_FORMATS.values()} for f in formats):
        return DatasetResults([], 0, {f: [] for f in query.facets}, sort)
    if formats:  # only open entries with mounted data have distributions
        if "open" not in open_types:
            return DatasetResults([], 0, {f: [] for f in query.facets}, sort)
        open_types = ["open"]
    try:
        org_ids = _org_ids(session, query.orgs)
        tag_groups = _tag_codes(session, query.tags)
    except _Unmatched:
        return DatasetResults([], 0, {f: [] for f in query.facets}, sort)
    if not open_types:
        return DatasetResults([], 0, {f: [] for f in query.facets}, sort)
    matcher = _Matcher(session, None if _is_all(query.q) else query.q, open_types, org_ids, tag_groups,
                       bool(formats))
    if matcher.nothing:
        return DatasetResults([], 0, {f: [] for f in query.facets}, sort)
    count = matcher.count()
    ids = matcher.page(sort, query.rows, query.start, count) if count and query.rows else []
    entries = {e.id: e for e in session.scalars(select(CatalogEntry).where(CatalogEntry.id.in_(ids)))} if ids else {}
    if not count or not query.facets:
        facets = {f: [] for f in query.facets}
    else:
        key = (epochs.read(session.connection(), epochs.ACCESS), query.q if matcher.text else None,
               tuple(open_types), tuple(org_ids), tuple(tuple(g) for g in tag_groups), bool(formats),
               tuple(query.facets), query.facet_limit, count)
        facets = _FACET_CACHE.get(key)
        if facets is None:
            facets = matcher.facets(query.facets, query.facet_limit, count)
            _FACET_CACHE.put(key, facets)
    return DatasetResults([entries[i] for i in ids if i in entries], count, facets, sort)


class _LRU:
    """A small thread-safe LRU of facet counts. Keys carry the access epoch, which every change of an
    entry's text, status, items or mount state bumps (catalog.service.entry_changed) in the same
    transaction: a cached count is never stale, in any process."""

    def __init__(self, size: int):
        self.size = size
        self.data: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.data.get(key)
            if value is not None:
                self.data.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)


# Facet counts cost a grouped pass over every match (tens of ms at 100,000 entries); the portal's
# first page and common filters ask for the same counts again and again between catalog changes.
_FACET_CACHE = _LRU(512)


_ORDER = {
    "metadata_modified desc": "e.updated_at DESC, e.id DESC", "metadata_modified asc": "e.updated_at ASC, e.id ASC",
    "title_string asc": "e.name ASC, e.id ASC", "title_string desc": "e.name DESC, e.id DESC",
}


class _Matcher:
    """The set of public entries a query matches, as SQL: with text, an index expression (FTS5 MATCH /
    tsquery) holding the filters too; without, a WHERE over catalog_entries (ix_catalog_entries_public)."""

    def __init__(self, session: Session, q: str | None, open_types: list[str], org_ids: list[str],
                 tag_groups: list[list[str]], with_data: bool):
        self.session = session
        self.sqlite = session.get_bind().dialect.name == "sqlite"
        self.params: dict = {}
        self.nothing = False
        self.text = q is not None
        if self.text:
            terms = search.query_terms(q)
            if not terms:
                self.nothing = True
                return
            groups: list[list[str]] = [[search.facet_token("open", t) for t in open_types]]
            groups += [[search.facet_token("prov", o)] for o in org_ids]
            groups += [[search.facet_token("class", c) for c in codes] for codes in tag_groups]
            if with_data:
                groups.append([search.facet_token("mounted", 1)])
            if self.sqlite:
                conj = " AND ".join(f'"{t}"' + ("*" if p else "") for t, p in terms)
                filters = " AND ".join("(" + " OR ".join(f'"{t}"' for t in g) + ")" for g in groups)
                excluded = "".join(f' NOT "{search.facet_token("status", s)}"'
                                   for s in search.STATUSES if s != "published")
                self.params["match"] = f"({conj} AND {filters}){excluded}"
                # CROSS JOIN keeps SQLite's join order: the index match first, then its entries (left to
                # itself, the planner may run the match once per row of another table).
                self.source = ("FROM catalog_search CROSS JOIN catalog_search_docs d ON d.doc_id = catalog_search.rowid "
                               "CROSS JOIN catalog_entries e ON e.id = d.entry_id WHERE catalog_search MATCH :match")
                self.score = f"-bm25(catalog_search, {search.SQLITE_WEIGHTS})"
            else:
                conj = " & ".join(search._pg_quote(t) + (":*" if p else "") for t, p in terms)
                groups.append([search.facet_token("status", "published")])
                filters = " & ".join("(" + " | ".join(search._pg_quote(t) for t in g) + ")" for g in groups)
                self.params["match"] = f"{conj} & {filters}"
                self.params["rank"] = conj
                self.source = ("FROM catalog_search s JOIN catalog_entries e ON e.id = s.entry_id "
                               "WHERE s.doc @@ CAST(:match AS tsquery)")
                self.score = "ts_rank(s.doc, CAST(:rank AS tsquery))"
        else:
            where = ["e.open_type IN :open_types", "e.status = 'published'"]
            self.params["open_types"] = open_types
            if org_ids:
                where.append("e.provider_org_id IN :org_ids")
                self.params["org_ids"] = org_ids
            for i, codes in enumerate(tag_groups):
                where.append("(" + " OR ".join(f"e.code LIKE :tag{i}_{j}" for j in range(len(codes))) + ")")
                self.params.update({f"tag{i}_{j}": code + "%" for j, code in enumerate(codes)})
            if with_data:
                where.append("e.mounted = :mounted")
                self.params["mounted"] = True
            self.source = "FROM catalog_entries e WHERE " + " AND ".join(where)
            self.score = "0.0"

    def _sql(self, sql: str):
        stmt = text(sql)
        for name in ("open_types", "org_ids"):
            if name in self.params:
                stmt = stmt.bindparams(bindparam(name, expanding=True))
        return stmt

    def count(self) -> int:
        if self.text and self.sqlite:  # every filter is in the match expression: the index alone counts
            return self.session.execute(text("SELECT count(*) FROM catalog_search WHERE catalog_search MATCH :match"),
                                        {"match": self.params["match"]}).scalar_one()
        return self.session.execute(self._sql(f"SELECT count(*) {self.source}"), self.params).scalar_one()

    def page(self, sort: str, limit: int, offset: int, total: int) -> list[str]:
        if sort == "score desc":
            # Ranking a broad match (a generic word matching thousands) costs more than the latency
            # budget: as the catalog search does, such a match is listed newest first instead.
            if self.text and self.sqlite and total > search.RANKED_TIER_MAX:
                # Newest indexed first, straight from the index (no join and sort of every match).
                rows = self.session.execute(text(
                    "SELECT d.entry_id FROM catalog_search CROSS JOIN catalog_search_docs d "
                    "ON d.doc_id = catalog_search.rowid WHERE catalog_search MATCH :match "
                    "ORDER BY catalog_search.rowid DESC LIMIT :limit OFFSET :offset"),
                    {"match": self.params["match"], "limit": limit, "offset": offset})
                return [r[0] for r in rows]
            if not self.text or total > search.RANKED_TIER_MAX:
                order = _ORDER["metadata_modified desc"]
            else:
                order = f"{self.score} DESC, e.updated_at DESC, e.id DESC"
        else:
            order = _ORDER[sort]
        rows = self.session.execute(self._sql(f"SELECT e.id {self.source} ORDER BY {order} LIMIT :limit OFFSET :offset"),
                                    {**self.params, "limit": limit, "offset": offset})
        return [r[0] for r in rows]

    def facets(self, names: list[str], limit: int, total: int) -> dict[str, list[tuple[str, str, int]]]:
        """Facet counts of the whole match set from one grouped query (department, class, open type,
        data): a few hundred groups at most, expanded here; never one row per entry."""
        if not names:
            return {}
        groups = self.session.execute(self._sql(
            f"SELECT e.provider_org_id, e.class_id, e.open_type, e.mounted, count(*) {self.source} "
            "GROUP BY e.provider_org_id, e.class_id, e.open_type, e.mounted"), self.params).all()
        by_org: dict[str, int] = {}
        by_class: dict[int, int] = {}
        by_open: dict[str, int] = {}
        with_data = 0
        for org_id, class_id, open_type, mounted, n in groups:
            by_org[org_id] = by_org.get(org_id, 0) + n
            by_class[class_id] = by_class.get(class_id, 0) + n
            by_open[open_type] = by_open.get(open_type, 0) + n
            if open_type == "open" and mounted:
                with_data += n
        out: dict[str, list[tuple[str, str, int]]] = {}
        for name in names:
            if name == "organization":
                top = sorted(by_org.items(), key=lambda kv: -kv[1])[:limit]
                orgs = {o.id: o for o in self.session.scalars(
                    select(Organization).where(Organization.id.in_([k for k, _n in top])))} if top else {}
                out[name] = sorted(((orgs[k].code.lower(), orgs[k].name, n) for k, n in top if k in orgs),
                                   key=lambda r: (-r[2], r[0]))
            elif name == "tags":
                counts: dict[str, int] = {}
                paths = _class_paths(self.session, list(by_class))
                for class_id, n in by_class.items():
                    for tag in dict.fromkeys(paths.get(class_id, [])):
                        counts[tag] = counts.get(tag, 0) + n
                out[name] = [(t, t, n) for t, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]
            elif name == "open_type":
                out[name] = [(t, t, n) for t, n in sorted(by_open.items(), key=lambda kv: -kv[1])]
            elif name == "res_format":
                out[name] = [(label, label, with_data) for label, _m in DOWNLOAD_FORMATS.values()] if with_data else []
            elif name == "license_id":
                out[name] = [(LICENSE_ID, LICENSE_TITLE, total)]
        return out


def _class_paths(session: Session, class_ids: list[int]) -> dict[int, list[str]]:
    """class id -> the names from the top of the classification down to it."""
    if not class_ids:
        return {}
    nodes: dict[int, CatalogClass] = {}
    wanted = set(class_ids)
    while wanted:
        found = list(session.scalars(select(CatalogClass).where(CatalogClass.id.in_(wanted))))
        nodes.update({n.id: n for n in found})
        wanted = {n.parent_id for n in found if n.parent_id is not None and n.parent_id not in nodes}
    paths = {}
    for class_id in class_ids:
        names, node = [], nodes.get(class_id)
        while node is not None:
            names.append(node.name)
            node = nodes.get(node.parent_id) if node.parent_id is not None else None
        paths[class_id] = list(reversed(names))
    return paths


# ---- organizations ----------------------------------------------------------------------------

def public_organizations(session: Session) -> list[tuple[Organization, int]]:
    """Departments with public datasets, and how many each has."""
    counts = dict(session.execute(text(
        "SELECT provider_org_id, count(*) FROM catalog_entries WHERE status = 'published' "
        "AND open_type IN ('open', 'conditional') GROUP BY provider_org_id")).all())
    if not counts:
        return []
    found = session.scalars(select(Organization).where(Organization.id.in_(list(counts))).order_by(Organization.code))
    return [(org, int(counts[org.id])) for org in found]


def organization_count(session: Session, org: Organization) -> int:
    return session.execute(text(
        "SELECT count(*) FROM catalog_entries WHERE provider_org_id = :o AND status = 'published' "
        "AND open_type IN ('open', 'conditional')"), {"o": org.id}).scalar_one()

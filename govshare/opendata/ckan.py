"""CKAN-compatible Action API (`/api/3/action/<name>`, also `/api/action/<name>` as CKAN serves it),
so that CKAN clients and harvesters (ckanapi, ckanext-harvest, DCAT harvesters) work unchanged.

Supported actions: package_list, package_search, package_show, organization_list, organization_show,
resource_show, datastore_search, status_show. Parameters come as query parameters (GET, JSON-encoded
where CKAN expects lists or objects) or as a JSON body (POST). Answers use CKAN's envelope
`{"help", "success", "result"}`; errors `{"help", "success": false, "error": {"__type", "message"}}`
with 404 (Not Found Error), 409 (Validation Error, as CKAN), 403 (Authorization Error) and 400 for an
unknown action (Bad Request).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from urllib.parse import urlencode

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from govshare.catalog.models import CatalogEntry
from govshare.core.database import as_utc
from govshare.core.errors import GovShareError
from govshare.opendata import service
from govshare.orgs.models import Organization

MAX_ROWS = 1000
DATASTORE_DEFAULT_LIMIT = 100
DATASTORE_MAX_LIMIT = 32000
PACKAGE_LIST_MAX = 100_000


class ActionError(Exception):
    def __init__(self, status: int, kind: str, message: str, fields: dict | None = None):
        super().__init__(message)
        self.status, self.kind, self.message, self.fields = status, kind, message, fields or {}

    def body(self, help_url: str) -> dict:
        error = {"__type": self.kind, "message": self.message}
        error.update(self.fields)
        return {"help": help_url, "success": False, "error": error}


def not_found(message: str) -> ActionError:
    return ActionError(404, "Not Found Error", "Not found: " + message)


def invalid(field: str, message: str) -> ActionError:
    return ActionError(409, "Validation Error", message, {field: [message]})


def from_service_error(exc: GovShareError) -> ActionError:
    if exc.status_code == 404:
        return not_found(exc.message)
    if exc.status_code in (401, 403):
        return ActionError(403, "Authorization Error", exc.message)
    field = "__all__"
    if isinstance(exc.details, list) and exc.details and isinstance(exc.details[0], dict):
        field = str(exc.details[0].get("field") or field)
    return invalid(field, exc.message)


# ---- parameters ---------------------------------------------------------------------------------

def _json_param(params: dict, name: str, default=None):
    """A parameter CKAN takes as a list or object: as is from a JSON body, decoded from a query string."""
    value = params.get(name, default)
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in ("[", "{", '"'):
            try:
                return json.loads(stripped)
            except ValueError:
                raise invalid(name, f"{name}: not valid JSON") from None
    return value


def _int_param(params: dict, name: str, default: int, low: int = 0, high: int | None = None) -> int:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise invalid(name, f"{name}: Invalid integer") from None
    if number < low:
        raise invalid(name, f"{name}: Must be a natural number")
    return min(number, high) if high is not None else number


def _bool_param(params: dict, name: str, default: bool = False) -> bool:
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes", "on")


def _id_param(params: dict, name: str = "id") -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value.strip():
        raise invalid(name, "Missing value")
    return value.strip()


_FQ_TERM = re.compile(r'([+-]?)([A-Za-z_.]+):("(?:[^"\\]|\\.)*"|\S+)')
_FQ_FIELDS = {"organization", "owner_org", "tags", "res_format", "open_type", "dataset_type", "type", "license_id"}


def parse_fq(fq: str | None, query: service.DatasetQuery, session: Session) -> None:
    """Solr filter queries as CKAN clients send them: `organization:x tags:"y" res_format:CSV`."""
    if not fq or not fq.strip():
        return
    rest = _FQ_TERM.sub(" ", fq)
    if rest.replace("AND", " ").strip():
        raise invalid("fq", f"fq: unsupported filter syntax: {fq}")
    for sign, name, value in _FQ_TERM.findall(fq):
        if sign == "-":
            raise invalid("fq", "fq: negative filters are not supported")
        if value.startswith('"'):
            value = json.loads(value)
        if name not in _FQ_FIELDS:
            raise invalid("fq", f"fq: unsupported field {name} (use organization, tags, res_format, open_type)")
        if name in ("organization", "owner_org"):
            query.orgs.append(value)
        elif name == "tags":
            query.tags.append(value)
        elif name == "res_format":
            query.formats.append(value)
        elif name == "open_type":
            query.open_types.append(value)
        elif name in ("dataset_type", "type"):
            if value != "dataset":
                query.open_types.append("none")  # only datasets exist: nothing matches
        elif name == "license_id" and value != service.LICENSE_ID:
            query.open_types.append("none")


# ---- dictionaries --------------------------------------------------------------------------------

def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return as_utc(value).astimezone(timezone.utc).replace(tzinfo=None).isoformat()


def organization_dict(org: Organization, base: str, count: int | None = None) -> dict:
    out = {
        "id": org.id, "name": service.org_slug(org), "title": org.name, "display_name": org.name,
        "description": "", "type": "organization", "is_organization": True, "state": "active",
        "approval_status": "approved", "image_url": "", "image_display_url": "",
        "created": _iso(org.created_at), "url": f"{base}/opendata/organizations/{service.org_slug(org)}",
        "extras": [{"key": "credit_code", "value": org.code}, {"key": "region_code", "value": org.region_code},
                   {"key": "level", "value": org.level}],
    }
    if count is not None:
        out["package_count"] = count
    return out


def resource_dicts(entry: CatalogEntry, base: str) -> list[dict]:
    if not service.has_data(entry):
        return []
    out = []
    for position, (fmt, (label, media)) in enumerate(service.DOWNLOAD_FORMATS.items()):
        out.append({
            "id": f"{entry.id}-{fmt}", "package_id": entry.id, "position": position,
            "name": f"{entry.name} ({label})", "description": entry.summary, "format": label, "mimetype": media,
            "url": f"{base}/opendata/datasets/{service.slug(entry)}/download.{fmt}", "url_type": None,
            "datastore_active": True, "state": "active", "created": _iso(entry.created_at),
            "last_modified": _iso(entry.last_load_at), "metadata_modified": _iso(entry.updated_at),
            "size": None, "hash": "", "resource_type": None,
        })
    return out


def package_dict(entry: CatalogEntry, base: str) -> dict:
    resources = resource_dicts(entry, base)
    tags = service.tags(entry)
    extras = [
        {"key": "identifier", "value": entry.code}, {"key": "open_type", "value": entry.open_type},
        {"key": "update_cycle", "value": entry.update_cycle}, {"key": "category", "value": entry.category},
        {"key": "provider_code", "value": entry.provider.code},
        {"key": "publish_date", "value": entry.publish_date.isoformat() if entry.publish_date else ""},
        {"key": "dcat_ttl", "value": f"{base}/opendata/datasets/{service.slug(entry)}.ttl"},
    ]
    if entry.open_type == "conditional":
        extras += [{"key": "open_condition", "value": entry.open_condition or ""},
                   {"key": "how_to_apply", "value": f"{base}/login?next=/catalog/{entry.id}"}]
    org = entry.provider
    return {
        "id": entry.id, "name": service.slug(entry), "title": entry.name, "notes": entry.summary,
        "type": "dataset", "state": "active", "private": False, "isopen": entry.open_type == "open",
        "url": f"{base}/opendata/datasets/{service.slug(entry)}", "version": str(entry.version),
        "author": org.name, "author_email": None, "maintainer": org.name, "maintainer_email": None,
        "license_id": service.LICENSE_ID, "license_title": service.LICENSE_TITLE, "license_url": service.LICENSE_URL,
        "metadata_created": _iso(entry.created_at), "metadata_modified": _iso(entry.updated_at),
        "owner_org": org.id, "organization": organization_dict(org, base),
        "tags": [{"name": t, "display_name": t, "state": "active", "vocabulary_id": None} for t in tags],
        "num_tags": len(tags), "groups": [], "relationships_as_object": [], "relationships_as_subject": [],
        "resources": resources, "num_resources": len(resources), "extras": extras,
    }


# ---- actions -------------------------------------------------------------------------------------

def package_list(session: Session, params: dict, base: str):
    """Names of all public datasets (open and conditionally open), by name; limit, offset."""
    limit = _int_param(params, "limit", PACKAGE_LIST_MAX, 0, PACKAGE_LIST_MAX)
    offset = _int_param(params, "offset", 0)
    codes = session.scalars(select(CatalogEntry.code).where(
        CatalogEntry.status == "published", CatalogEntry.open_type.in_(service.PUBLIC_OPEN_TYPES))
        .order_by(CatalogEntry.code).limit(limit).offset(offset))
    return [c.replace("/", "-").lower() for c in codes]


def package_search(session: Session, params: dict, base: str):
    """Search public datasets: q, fq (organization:, tags:, res_format:, open_type:), rows (≤1000), start, sort, facet.field, facet.limit."""
    facet_fields = _json_param(params, "facet.field", [])
    if isinstance(facet_fields, str):
        facet_fields = [facet_fields]
    if not isinstance(facet_fields, list) or not all(isinstance(f, str) for f in facet_fields):
        raise invalid("facet.field", "facet.field: must be a JSON list of field names")
    q = params.get("q")
    if q is not None and not isinstance(q, str):
        raise invalid("q", "q: must be text")
    query = service.DatasetQuery(
        q=q, sort=params.get("sort") or None, rows=_int_param(params, "rows", 10, 0, MAX_ROWS),
        start=_int_param(params, "start", 0), facets=facet_fields,
        facet_limit=1000 if str(params.get("facet.limit")) == "-1" else _int_param(params, "facet.limit", 50, 0, 1000))
    fq = params.get("fq")
    if fq is not None and not isinstance(fq, str):
        raise invalid("fq", "fq: must be text")
    parse_fq(fq, query, session)
    try:
        found = service.search_datasets(session, query)
    except GovShareError as exc:
        raise from_service_error(exc) from None
    search_facets = {
        name: {"title": name, "items": [{"name": n, "display_name": d, "count": c} for n, d, c in items]}
        for name, items in found.facets.items()}
    return {
        "count": found.count, "sort": found.sort,
        "results": [package_dict(e, base) for e in found.entries],
        "facets": {name: {n: c for n, _d, c in items} for name, items in found.facets.items()},
        "search_facets": search_facets,
    }


def package_show(session: Session, params: dict, base: str):
    """One public dataset by name or id."""
    return package_dict(service.get_public_entry(session, _id_param(params)), base)


def organization_list(session: Session, params: dict, base: str):
    """Departments with public datasets: names, or dicts with all_fields; sort, limit, offset."""
    all_fields = _bool_param(params, "all_fields")
    limit = _int_param(params, "limit", 1000, 0, 1000)
    offset = _int_param(params, "offset", 0)
    orgs = service.public_organizations(session)
    sort = str(params.get("sort") or "name asc").strip().lower()
    if sort.startswith("title"):
        orgs.sort(key=lambda o: o[0].name, reverse=sort.endswith("desc"))
    elif sort.startswith("package_count"):
        orgs.sort(key=lambda o: o[1], reverse=not sort.endswith("asc"))
    elif sort.startswith("name"):
        orgs.sort(key=lambda o: o[0].code, reverse=sort.endswith("desc"))
    else:
        raise invalid("sort", "sort: use name, title or package_count with asc or desc")
    orgs = orgs[offset:offset + limit]
    if all_fields:
        return [organization_dict(o, base, n) for o, n in orgs]
    return [service.org_slug(o) for o, _n in orgs]


def organization_show(session: Session, params: dict, base: str):
    """One department by name (credit code, lower case) or id; include_datasets."""
    org = service.get_public_org(session, _id_param(params))
    count = service.organization_count(session, org)
    out = organization_dict(org, base, count)
    if _bool_param(params, "include_datasets"):
        found = service.search_datasets(session, service.DatasetQuery(orgs=[org.code], rows=1000))
        out["packages"] = [package_dict(e, base) for e in found.entries]
    return out


def _resource_entry(session: Session, resource_id: str) -> CatalogEntry:
    """A resource id is `<entry id>-<format>` (or the dataset's own id or name)."""
    entry_ref, _, fmt = resource_id.rpartition("-")
    if fmt in service.DOWNLOAD_FORMATS and entry_ref:
        entry = session.scalar(select(CatalogEntry).where(CatalogEntry.id == entry_ref))
        if entry is not None and service.is_public(entry):
            return entry
    return service.get_public_entry(session, resource_id)


def resource_show(session: Session, params: dict, base: str):
    resource_id = _id_param(params)
    entry = _resource_entry(session, resource_id)
    for resource in resource_dicts(entry, base):
        if resource["id"] == resource_id:
            return resource
    raise not_found("resource")


def datastore_search(session: Session, params: dict, base: str):
    """Rows of an open dataset's resource: resource_id, filters, q, fields, sort, limit (≤32000), offset."""
    resource_id = params.get("resource_id") or params.get("id")
    if not isinstance(resource_id, str) or not resource_id.strip():
        raise invalid("resource_id", "Missing value")
    resource_id = resource_id.strip()
    entry = _resource_entry(session, resource_id)
    if not service.has_data(entry):
        raise not_found("Resource \"%s\" was not found." % resource_id)
    filters = _json_param(params, "filters", {}) or {}
    if not isinstance(filters, dict):
        raise invalid("filters", "filters: must be a JSON object")
    q = _json_param(params, "q")
    if q is not None and not isinstance(q, (str, dict)):
        raise invalid("q", "q: must be text or a JSON object")
    fields = _json_param(params, "fields")
    if isinstance(fields, str):
        fields = [f.strip() for f in fields.split(",") if f.strip()]
    if fields is not None and (not isinstance(fields, list) or not all(isinstance(f, str) for f in fields)):
        raise invalid("fields", "fields: must be a list of field names")
    sort = params.get("sort")
    if sort is not None and not isinstance(sort, str):
        raise invalid("sort", "sort: must be text")
    limit = _int_param(params, "limit", DATASTORE_DEFAULT_LIMIT, 0, DATASTORE_MAX_LIMIT)
    offset = _int_param(params, "offset", 0)
    try:
        page = service.read_rows(session, entry, service.RowQuery(
            filters=filters, q=q, fields=fields or None, sort=sort, limit=limit, offset=offset))
    except GovShareError as exc:
        raise from_service_error(exc) from None
    shown_fields = [{"id": "_id", "type": "int"}] + [
        {"id": c.name, "type": service.CKAN_TYPES.get(c.data_type, "text"),
         "info": {"label": c.label, "notes": c.description or ""}} for c in page.columns]

    def link(at: int) -> str:
        query = {k: (json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v)
                 for k, v in params.items() if k not in ("offset",) and v is not None}
        query["offset"] = at
        return "/api/3/action/datastore_search?" + urlencode(query)
    result = {
        "resource_id": resource_id, "fields": shown_fields, "records": page.records, "total": page.total,
        "limit": limit, "offset": offset, "include_total": True, "records_format": "objects",
        "_links": {"start": link(0), "next": link(offset + limit)},
    }
    if filters:
        result["filters"] = filters
    if q:
        result["q"] = q
    if sort:
        result["sort"] = sort
    return result


def status_show(session: Session, params: dict, base: str):
    from govshare import __version__
    count = session.execute(text("SELECT count(*) FROM catalog_entries WHERE status = 'published' "
                                 "AND open_type IN ('open', 'conditional')")).scalar_one()
    return {"site_title": "GovShare open data", "site_url": base, "site_description": "政务数据开放",
            "ckan_version": "2.10.0", "govshare_version": __version__, "locale_default": "zh_Hans_CN",
            "extensions": ["datastore", "dcat"], "package_count": count}


def site_read(session: Session, params: dict, base: str):
    return True


def help_show(session: Session, params: dict, base: str):
    name = params.get("name")
    function = ACTIONS.get(name) if isinstance(name, str) else None
    if function is None:
        raise not_found("Action function not found")
    return (function.__doc__ or name).strip()


ACTIONS = {
    "package_list": package_list, "package_search": package_search, "package_show": package_show,
    "organization_list": organization_list, "organization_show": organization_show,
    "resource_show": resource_show, "datastore_search": datastore_search, "status_show": status_show,
    "site_read": site_read, "help_show": help_show,
}


def run(session: Session, action: str, params: dict, base: str) -> tuple[int, dict]:
    """(status, envelope) of one action call."""
    help_url = f"{base}/api/3/action/help_show?name={action}"
    function = ACTIONS.get(action)
    if function is None:
        error = ActionError(400, "Bad Request", f"Bad request - Action name not known: {action}")
        return 400, error.body(help_url)
    try:
        result = function(session, params, base)
    except ActionError as exc:
        return exc.status, exc.body(help_url)
    except GovShareError as exc:
        error = from_service_error(exc)
        return error.status, error.body(help_url)
    return 200, {"help": help_url, "success": True, "result": result}

"""Console pages that change the catalog: the entry form (create, edit) with its items editor,
publishing and withdrawing behind a confirmation step, one version's diff, and the entry's database
source (挂接数据库: settings, pull now, unmount).

Thin like every console page: the forms are parsed here, the services decide (who may write, which
rules an entry breaks) and their field-level problems are shown next to the fields they name.
`pages.py` includes this router before its `/catalog/{entry_id}` route, so `/catalog/new` is matched
first.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Form, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from govshare.catalog import service as catalog
from govshare.catalog.schemas import EntryCreate, EntryUpdate
from govshare.catalog.vocab import EntryStatus
from govshare.core import i18n
from govshare.core.database import session_scope
from govshare.core.errors import Conflict, GovShareError, InvalidInput, NotFound
from govshare.core.i18n import N_
from govshare.mounting import service as mounting
from govshare.mounting import sources
from govshare.mounting.models import DataLoad
from govshare.mounting.schemas import SourceConfig
from govshare.web.console import (
    ConsoleRoute, LoginRequired, Message, Viewer, check_csrf, db, error_details, error_text, flash, form_viewer,
    load_viewer, redirect, render, request_lang, require_viewer, translator, vocab_options, yes_no,
)

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

MAX_ITEMS = 500
ITEM_FIELDS = ("name", "label", "data_type", "length", "precision", "required", "is_key", "sensitivity", "pi_kind",
               "open_treatment", "description")
ENTRY_TEXT_FIELDS = ("name", "summary", "category", "format", "share_type", "share_condition", "open_type",
                     "open_condition", "update_cycle")

# ---- version diffs for display ------------------------------------------------------------------

# Labels of the fields a version diff may name.
FIELD_LABELS = {
    "name": N_("Name"), "summary": N_("Summary"), "category": N_("Category"), "class_path": N_("Classification"),
    "format": N_("Resource format"), "share_type": N_("Share type"), "share_condition": N_("Share condition"),
    "share_methods": N_("Share methods"), "open_type": N_("Open type"), "open_condition": N_("Open condition"),
    "update_cycle": N_("Update cycle"), "related_codes": N_("Related entries"), "status": N_("Status"),
    "label": N_("Label"), "data_type": N_("Data type"), "length": N_("Length"), "precision": N_("Precision"),
    "required": N_("Required"), "is_key": N_("Key"), "sensitivity": N_("Sensitivity"),
    "pi_kind": N_("Personal information"), "description": N_("Description"),
}
# Fields whose values are vocabulary codes, and the vocabulary that labels them.
FIELD_VOCABULARY = {
    "category": "category", "format": "format", "share_type": "share_type", "share_methods": "share_method",
    "open_type": "open_type", "update_cycle": "update_cycle", "status": "entry_status", "data_type": "data_type",
    "sensitivity": "sensitivity", "pi_kind": "pi_kind",
}


def describe_change(lang: str, change: dict) -> dict:
    """One diff line of a version for display: translated field name, old and new value as text."""
    _ = i18n.translator(lang)
    path = str(change.get("field", "")).split(".")
    field = path[-1]
    if path[0] == "items" and len(path) >= 2:
        item = _("Item %(name)s", name=path[1])
        name = item if len(path) == 2 else item + " · " + _(FIELD_LABELS.get(field, field))
    else:
        name = _(FIELD_LABELS[field]) if field in FIELD_LABELS else field
    vocabulary = FIELD_VOCABULARY.get(field) if not (path[0] == "items" and len(path) == 2) else None
    return {"field": name, "old": _display_value(lang, change.get("old"), vocabulary),
            "new": _display_value(lang, change.get("new"), vocabulary)}


def _display_value(lang: str, value, vocabulary: str | None) -> str:
    if value is None or value == [] or value == "":
        return "—"
    if isinstance(value, dict):  # a whole item added or removed
        data_type = i18n.label(lang, "data_type", value.get("data_type"))
        return f"{value.get('label', '')} ({value.get('name', '')}, {data_type})"
    if isinstance(value, bool):
        return yes_no(lang, value)
    if isinstance(value, list):
        return ", ".join(_display_value(lang, v, vocabulary) for v in value)
    return i18n.label(lang, vocabulary, value) if vocabulary else str(value)


def grouped_changes(lang: str, diff: list[dict]) -> dict:
    """A version's diff split into changed metadata fields, items added, removed and changed."""
    groups: dict[str, list] = {"fields": [], "added": [], "removed": [], "changed": []}
    for change in diff or []:
        path = str(change.get("field", "")).split(".")
        line = describe_change(lang, change)
        if path[0] != "items":
            groups["fields"].append(line)
        elif len(path) == 2 and change.get("old") is None:
            groups["added"].append(line)
        elif len(path) == 2 and change.get("new") is None:
            groups["removed"].append(line)
        else:
            groups["changed"].append(line)
    return groups


# ---- the entry form -----------------------------------------------------------------------------

async def form_data(request: Request) -> FormData:
    """The posted form (already parsed, and cached by Starlette, for the csrf_token field)."""
    return await request.form()


def blank_item() -> dict:
    return {"name": "", "label": "", "data_type": "C", "length": "", "precision": "", "required": False,
            "is_key": False, "sensitivity": "general", "pi_kind": "none", "open_treatment": "", "description": ""}


def blank_values() -> dict:
    return {"name": "", "summary": "", "category": "department", "class_path": "", "format": "database",
            "share_type": "conditional", "share_condition": "", "share_methods": ["api"], "open_type": "closed",
            "open_condition": "", "update_cycle": "daily", "related_codes": "", "note": "",
            "items": [dict(blank_item(), is_key=True, required=True)]}


def values_from_entry(entry) -> dict:
    return {
        "name": entry.name, "summary": entry.summary, "category": entry.category,
        "class_path": " / ".join(entry.class_path), "format": entry.format, "share_type": entry.share_type,
        "share_condition": entry.share_condition or "", "share_methods": list(entry.share_methods),
        "open_type": entry.open_type, "open_condition": entry.open_condition or "",
        "update_cycle": entry.update_cycle, "related_codes": ", ".join(entry.related_codes), "note": "",
        "items": [{"name": i.name, "label": i.label, "data_type": i.data_type,
                   "length": "" if i.length is None else str(i.length),
                   "precision": "" if i.precision is None else str(i.precision), "required": bool(i.required),
                   "is_key": bool(i.is_key), "sensitivity": i.sensitivity, "pi_kind": i.pi_kind,
                   "open_treatment": getattr(i, "open_treatment", None) or "",
                   "description": i.description or ""} for i in entry.items],
    }


def _text(form: FormData, name: str, limit: int = 20_000) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def values_from_form(form: FormData) -> dict:
    """The form as posted; item rows left completely empty are dropped."""
    values = {f: _text(form, f).strip() if f not in ("share_condition", "open_condition") else _text(form, f)
              for f in ENTRY_TEXT_FIELDS}
    values["class_path"] = _text(form, "class_path").strip()
    values["related_codes"] = _text(form, "related_codes").strip()
    values["note"] = _text(form, "note").strip()
    values["share_methods"] = [m for m in form.getlist("share_methods") if isinstance(m, str)]
    try:
        count = min(max(int(_text(form, "item_count") or 0), 0), MAX_ITEMS)
    except ValueError:
        count = 0
    items = []
    for i in range(count):
        prefix = f"items-{i}-"
        row = {f: _text(form, prefix + f, 1000).strip() for f in ITEM_FIELDS if f not in ("required", "is_key")}
        row["required"] = form.get(prefix + "required") is not None
        row["is_key"] = form.get(prefix + "is_key") is not None
        if not any(row[f] for f in ("name", "label", "length", "precision", "description")):
            continue
        items.append(row)
    values["items"] = items
    return values


def _split_codes(raw: str) -> list[str]:
    return [c for c in re.split(r"[\s,，、;；]+", raw) if c]


def payload(values: dict, *, create: bool) -> dict:
    """The service's input built from the form's text (pydantic converts and checks the types)."""
    body = {f: values[f] for f in ("name", "summary", "format", "share_type", "open_type", "update_cycle")}
    if create:
        body["category"] = values["category"]
    body["share_condition"] = values["share_condition"].strip() or None
    body["open_condition"] = values["open_condition"].strip() or None
    body["class_path"] = [p.strip() for p in values["class_path"].split("/") if p.strip()]
    body["share_methods"] = values["share_methods"]
    body["related_codes"] = _split_codes(values["related_codes"])
    body["items"] = [{"name": r["name"], "label": r["label"], "data_type": r["data_type"],
                      "length": r["length"] or None, "precision": r["precision"] or None,
                      "required": r["required"], "is_key": r["is_key"], "sensitivity": r["sensitivity"],
                      "pi_kind": r["pi_kind"], "open_treatment": r["open_treatment"] or None,
                      "description": r["description"] or None} for r in values["items"]]
    if not create and values.get("note"):
        body["note"] = values["note"]
    return body


# Reasons the catalog service gives, marked for translation (the service speaks English).
SERVICE_REASONS = (
    N_("a conditional entry must state its share condition"),
    N_("an entry that is not shared must cite its legal basis"),
    N_("a conditionally open entry must state its open condition"),
    N_("an open entry cannot contain personal information items; drop or generalise them first"),
    N_("at least one item must be a key item (used for lookups)"),
    N_("duplicate item name"),
    N_("duplicate item label"),
    N_("precision cannot exceed length"),
    N_("no such catalog entry"),
    N_("class level is full"),
    N_("cannot remove an item while data is mounted"),
    N_("cannot change while data is mounted"),
    N_("a new item must be optional while data is mounted"),
)


def _validation_message(_, error: dict) -> str:
    """A pydantic error as a sentence for the clerk."""
    kind, ctx, loc = error.get("type", ""), error.get("ctx") or {}, error.get("loc") or ()
    field = loc[0] if loc else ""
    if kind == "too_short" or (kind != "missing" and error.get("input") == []):
        if field == "share_methods":
            return _("Choose at least one share method.")
        if field == "class_path":
            return _("Enter at least one class name.")
        if field == "items":
            return _("Add at least one item.")
    if kind == "missing" or error.get("input") in ("", []):
        return _("This field is required.")
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        return _("This field is required.") if n <= 1 else _("At least %(n)s characters.", n=n)
    if kind == "string_too_long":
        return _("At most %(n)s characters.", n=ctx.get("max_length", ""))
    if kind == "too_short":
        return _("This field is required.")
    if kind == "too_long":
        if field == "class_path":
            return _("At most three levels: item / subitem / detail.")
        return _("Too many values (at most %(n)s).", n=ctx.get("max_length", ""))
    if kind == "string_pattern_mismatch":
        return _("Use lower-case letters, digits and _, starting with a letter.")
    if kind in ("enum", "literal_error"):
        return _("Choose one of the options.")
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return _("Enter a whole number.")
    if kind == "greater_than_equal":
        return _("Must be at least %(n)s.", n=ctx.get("ge", ""))
    if kind == "less_than_equal":
        return _("Must be at most %(n)s.", n=ctx.get("le", ""))
    if field == "class_path":
        return _("Class names are 1–50 characters each, without /.")
    if field in ("name", "summary"):
        return _("This field is required.")
    return _("This value is not valid.")


def _error_key(loc: tuple) -> str:
    """A pydantic location as the form's field name: ("items", 2, "label") -> "items-2-label"."""
    if not loc:
        return "form"
    if loc[0] == "items" and len(loc) >= 2 and isinstance(loc[1], int):
        return f"items-{loc[1]}-{loc[2] if len(loc) >= 3 else 'name'}"
    return str(loc[0])


def _add(errors: dict, key: str, text: str) -> None:
    errors[key] = errors[key] + "；" + text if key in errors and text not in errors[key] else errors.get(key, text)


def validation_errors(_, exc: ValidationError) -> dict:
    errors: dict[str, str] = {}
    for error in exc.errors():
        _add(errors, _error_key(tuple(error.get("loc") or ())), _validation_message(_, error))
    return errors


def service_errors(lang: str, exc: GovShareError, items: list[dict]) -> dict:
    """The service's field problems ("share_condition", "items[2].label", "items.mobile.data_type") as
    form field errors, translated when the reason is one of the service's fixed reasons."""
    _ = i18n.translator(lang)
    positions = {row["name"]: pos for pos, row in enumerate(items)}
    errors: dict[str, str] = {}
    for detail in error_details(exc):
        field, reason = str(detail.get("field", "")), str(detail.get("reason", ""))
        text = i18n.gettext(lang, reason) if reason else _("This value is not valid.")
        value = detail.get("value")
        if value is not None and field in ("related_codes", "open_type", "class_path"):
            text += "：" + (", ".join(map(str, value)) if isinstance(value, list) else str(value))
        indexed = re.fullmatch(r"items\[(\d+)\]\.(\w+)", field)
        named = re.fullmatch(r"items\.(\w+)(?:\.(\w+))?", field)
        if indexed:
            key = f"items-{indexed.group(1)}-{indexed.group(2)}"
        elif named and named.group(1) in positions:
            key = f"items-{positions[named.group(1)]}-{named.group(2) or 'name'}"
        elif named:  # an item that the form no longer has (removed while data is mounted)
            key = "items"
            text = _("Item %(name)s", name=named.group(1)) + "：" + text
        else:
            key = field or "form"
        _add(errors, key, text)
    if not errors:
        errors["form"] = error_text(lang, exc.status_code, exc.code)
    return errors


def _form_page(request: Request, *, entry=None, values: dict, errors: dict | None = None, status: int = 200):
    lang = request_lang(request)
    _ = i18n.translator(lang)
    errors = errors or {}
    if not values["items"]:  # every row was empty: offer one to fill in
        values["items"].append(dict(blank_item(), is_key=True, required=True))
    item_errors = [{f: errors.get(f"items-{i}-{f}") for f in ITEM_FIELDS} for i in range(len(values["items"]))]
    shown = {f"items-{i}-{f}" for i in range(len(values["items"])) for f in ITEM_FIELDS}
    form_fields = {"name", "summary", "category", "class_path", "format", "share_type", "share_condition",
                   "share_methods", "open_type", "open_condition", "update_cycle", "related_codes", "note", "items"}
    # Problems of fields the form does not show (rare) are listed at the top.
    other = [text for key, text in errors.items() if key not in shown and key not in form_fields]
    return render(request, "catalog/form.html", {
        "active_nav": "catalog",
        "entry": entry,
        "values": values,
        "errors": errors,
        "item_errors": item_errors,
        "other_errors": other,
        "options": {name: vocab_options(lang, name) if name in i18n.VOCABULARIES else [] for name in
                    ("category", "format", "share_type", "share_method", "open_type", "update_cycle", "data_type",
                     "sensitivity", "pi_kind", "open_treatment")},
        "action": f"/catalog/{entry.id}/edit" if entry else "/catalog/new",
    }, status=status, messages=[Message(_("Some of the input is not valid. Check the fields marked below."),
                                        "error")] if errors else None,
        page_url=f"/catalog/{entry.id}/edit" if entry else "/catalog/new")


def _form_action(form: FormData, values: dict) -> str | None:
    """Editing the items list without saving: "add" appends a row, "remove" drops one; None: save."""
    if form.get("add_item") is not None:
        if len(values["items"]) < MAX_ITEMS:
            values["items"].append(blank_item())
        return "add"
    remove = form.get("remove_item")
    if isinstance(remove, str) and remove.isdigit():
        # Dropped empty rows shift positions: remove by the posted row's identifier when it has one.
        name = _text(form, f"items-{remove}-name").strip()
        label = _text(form, f"items-{remove}-label").strip()
        for pos, row in enumerate(values["items"]):
            if row["name"] == name and row["label"] == label:
                del values["items"][pos]
                break
        return "remove"
    return None


@router.get("/catalog/new")
def new_entry_form(request: Request, viewer: Viewer = Depends(require_viewer), session: Session = db):
    # The same check as create_entry: a catalog writer of the viewer's own department.
    catalog.require_catalog_writer(viewer.principal, viewer.principal.org_id)
    return _form_page(request, values=blank_values())


@router.post("/catalog/new")
def create_entry(request: Request, viewer: Viewer = Depends(form_viewer), form: FormData = Depends(form_data),
                 session: Session = db):
    catalog.require_catalog_writer(viewer.principal, viewer.principal.org_id)
    values = values_from_form(form)
    if _form_action(form, values):
        return _form_page(request, values=values)
    lang = request_lang(request)
    try:
        data = EntryCreate.model_validate(payload(values, create=True))
    except ValidationError as exc:
        return _form_page(request, values=values, errors=validation_errors(i18n.translator(lang), exc), status=422)
    try:
        entry = catalog.create_entry(session, data, viewer.principal)
    except (InvalidInput, Conflict) as exc:
        session.rollback()
        return _form_page(request, values=values, errors=service_errors(lang, exc, values["items"]),
                          status=exc.status_code)
    response = redirect(f"/catalog/{entry.id}")
    flash(response, N_("Catalog entry %(name)s created as a draft. Publish it when it is complete."), "success",
          name=entry.name)
    return response


def _writable_entry(session: Session, viewer: Viewer, entry_id: str):
    entry = catalog.get_entry(session, entry_id, viewer.principal)
    catalog.require_catalog_writer(viewer.principal, entry.provider_org_id)
    return entry


@router.get("/catalog/{entry_id}/edit")
def edit_entry_form(request: Request, entry_id: str, viewer: Viewer = Depends(require_viewer), session: Session = db):
    entry = _writable_entry(session, viewer, entry_id)
    if entry.status == EntryStatus.withdrawn:
        raise Conflict("a withdrawn entry cannot be changed; publish it again first", code="entry_withdrawn")
    return _form_page(request, entry=entry, values=values_from_entry(entry))


@router.post("/catalog/{entry_id}/edit")
def update_entry(request: Request, entry_id: str, viewer: Viewer = Depends(form_viewer),
                 form: FormData = Depends(form_data), session: Session = db):
    entry = _writable_entry(session, viewer, entry_id)
    values = values_from_form(form)
    values["category"] = entry.category  # fixed: the category is part of the entry's code
    if _form_action(form, values):
        return _form_page(request, entry=entry, values=values)
    lang = request_lang(request)
    try:
        data = EntryUpdate.model_validate(payload(values, create=False))
    except ValidationError as exc:
        return _form_page(request, entry=entry, values=values, errors=validation_errors(i18n.translator(lang), exc),
                          status=422)
    try:
        catalog.update_entry(session, entry.id, data, viewer.principal)
    except (InvalidInput, Conflict) as exc:
        if exc.code == "entry_withdrawn":
            raise
        session.rollback()
        entry = catalog.get_entry(session, entry_id, viewer.principal)
        return _form_page(request, entry=entry, values=values, errors=service_errors(lang, exc, values["items"]),
                          status=exc.status_code)
    response = redirect(f"/catalog/{entry.id}")
    flash(response, N_("Changes to %(name)s saved."), "success", name=entry.name)
    return response


# ---- publish and withdraw, each behind a confirmation page --------------------------------------

def _confirm_page(request: Request, entry, action: str, *, errors: dict | None = None, reason: str = "",
                  note: str = "", status: int = 200):
    return render(request, "catalog/confirm.html", {
        "active_nav": "catalog", "entry": catalog.entry_read(entry), "action": action, "errors": errors or {},
        "reason": reason, "note": note,
    }, status=status, page_url=f"/catalog/{entry.id}/{action}")


@router.get("/catalog/{entry_id}/publish")
def publish_confirm(request: Request, entry_id: str, viewer: Viewer = Depends(require_viewer), session: Session = db):
    entry = _writable_entry(session, viewer, entry_id)
    if entry.status == EntryStatus.published:
        raise Conflict("the entry is already published", code="already_published")
    return _confirm_page(request, entry, "publish")


@router.post("/catalog/{entry_id}/publish")
def publish(request: Request, entry_id: str, note: str = Form("", max_length=500),
            viewer: Viewer = Depends(form_viewer), session: Session = db):
    entry = catalog.publish_entry(session, entry_id, viewer.principal, note.strip() or None)
    response = redirect(f"/catalog/{entry.id}")
    flash(response, N_("%(name)s is published: other departments can find it and request access."), "success",
          name=entry.name)
    return response


@router.get("/catalog/{entry_id}/withdraw")
def withdraw_confirm(request: Request, entry_id: str, viewer: Viewer = Depends(require_viewer),
                     session: Session = db):
    entry = _writable_entry(session, viewer, entry_id)
    if entry.status != EntryStatus.published:
        raise Conflict("only a published entry can be withdrawn", code="not_published")
    return _confirm_page(request, entry, "withdraw")


@router.post("/catalog/{entry_id}/withdraw")
def withdraw(request: Request, entry_id: str, reason: str = Form("", max_length=500),
             viewer: Viewer = Depends(form_viewer), session: Session = db):
    if not reason.strip():
        entry = _writable_entry(session, viewer, entry_id)
        _ = translator(request)
        return _confirm_page(request, entry, "withdraw", status=422,
                             errors={"reason": _("Give the reason for the withdrawal.")})
    entry = catalog.withdraw_entry(session, entry_id, viewer.principal, reason.strip())
    response = redirect(f"/catalog/{entry.id}")
    flash(response, N_("%(name)s is withdrawn."), "success", name=entry.name)
    return response


# ---- one version and its diff -------------------------------------------------------------------

@router.get("/catalog/{entry_id}/versions/{number}")
def version_page(request: Request, entry_id: str, number: int, viewer: Viewer = Depends(require_viewer),
                 session: Session = db):
    entry = catalog.get_entry(session, entry_id, viewer.principal)
    versions = catalog.list_versions(session, entry.id, viewer.principal)
    found = next((v for v in versions if v.version == number), None)
    if found is None:
        raise NotFound(f"entry {entry_id} has no version {number}", code="version_not_found")
    numbers = [v.version for v in versions]
    pos = numbers.index(number)
    lang = request_lang(request)
    return render(request, "catalog/version.html", {
        "active_nav": "catalog",
        "entry": catalog.entry_read(entry),
        "ver": found,  # not "version": the layout shows the platform's version
        "previous": numbers[pos - 1] if pos > 0 else None,
        "next": numbers[pos + 1] if pos + 1 < len(numbers) else None,
        "groups": grouped_changes(lang, found.diff or []),
    })


# ---- the database source (挂接数据库) -----------------------------------------------------------
# Probing and pulling connect to the department's database and may take a while: these pages keep no
# platform transaction open meanwhile (like uploads), so they resolve the viewer in a short session.

def _source_viewer(request: Request, csrf_token: str | None = None, *, check: bool = True) -> Viewer:
    viewer = load_viewer(request)
    if viewer is None:
        raise LoginRequired(request.url.path if request.method == "GET" else None)
    if check:
        check_csrf(viewer, csrf_token)
    return viewer


def _source_values(source) -> dict:
    if source is None:
        return {"url": "", "table_name": "", "query": "", "change_column": "", "column_map": "", "schedule": ""}
    read = sources.source_read(source)
    return {"url": read.url, "table_name": read.table_name or "", "query": read.query or "",
            "change_column": read.change_column or "",
            "column_map": "\n".join(f"{k}={v}" for k, v in read.column_map.items()),
            "schedule": "" if read.schedule_seconds is None else str(read.schedule_seconds)}


def _source_page(request: Request, viewer: Viewer, entry_id: str, *, values: dict | None = None,
                 errors: dict | None = None, report=None, messages: list[Message] | None = None, status: int = 200):
    with session_scope(read_only=True) as session:
        entry = catalog.get_entry(session, entry_id, viewer.principal)
        mounting.require_data_writer(viewer.principal, entry)
        try:
            source = sources.get_source(session, entry.id, viewer.principal)
        except NotFound:
            source = None
        read = sources.source_read(source) if source is not None else None
        return render(request, "catalog/source.html", {
            "active_nav": "catalog", "entry": catalog.entry_read(entry), "source": read,
            "values": values if values is not None else _source_values(source), "errors": errors or {},
            "report": report,
        }, status=status, messages=messages, page_url=f"/catalog/{entry.id}/source")


@router.get("/catalog/{entry_id}/source")
def source_page(request: Request, entry_id: str):
    return _source_page(request, _source_viewer(request, check=False), entry_id)


def _column_map(raw: str) -> dict[str, str] | None:
    """`source column=item name` per line; None when a line is not of that form."""
    out: dict[str, str] = {}
    for line in raw.splitlines():
        if not line.strip():
            continue
        column, sep, item = line.partition("=")
        if not sep or not column.strip() or not item.strip():
            return None
        out[column.strip()] = item.strip()
    return out


@router.post("/catalog/{entry_id}/source")
def save_source(request: Request, entry_id: str, csrf_token: str = Form(""), url: str = Form("", max_length=2000),
                table_name: str = Form("", max_length=255), query: str = Form("", max_length=20000),
                change_column: str = Form("", max_length=128), column_map: str = Form("", max_length=20000),
                schedule: str = Form("", max_length=20)):
    viewer = _source_viewer(request, csrf_token)
    _ = translator(request)
    # The URL is shown back only masked: a typed password never appears in the page.
    values = {"url": sources.mask_url(url) if url.strip() else "", "table_name": table_name, "query": query,
              "change_column": change_column, "column_map": column_map, "schedule": schedule}
    errors: dict[str, str] = {}
    body: dict = {"url": url.strip(), "table_name": table_name.strip() or None, "query": query.strip() or None,
                  "change_column": change_column.strip() or None}
    mapping = _column_map(column_map)
    if mapping is None:
        errors["column_map"] = _("One mapping per line: source column=item identifier.")
    else:
        body["column_map"] = mapping
    if schedule.strip():
        if not schedule.strip().isdigit():
            errors["schedule"] = _("Enter a whole number of seconds, 0 for no schedule, or leave it empty.")
        else:
            body["schedule_seconds"] = int(schedule.strip())
    if not url.strip():
        errors["url"] = _("This field is required.")
    if not errors:
        try:
            config = SourceConfig.model_validate(body)
            sources.configure(entry_id, config, viewer.principal)
        except ValidationError as exc:
            errors = validation_errors(_, exc)
        except InvalidInput as exc:
            for detail in error_details(exc) or [{"field": "url", "reason": exc.message}]:
                _add(errors, str(detail.get("field") or "url"), sources.scrub(str(detail.get("reason", "")), url))
    if errors:
        return _source_page(request, viewer, entry_id, values=values, errors=errors, status=422,
                            messages=[Message(_("The database source was not saved. Check the fields marked below."),
                                              "error")])
    response = redirect(f"/catalog/{entry_id}/source")
    flash(response, N_("Database source saved. The data is pulled on its schedule, or now with Pull now."), "success")
    return response


@router.post("/catalog/{entry_id}/source/pull")
def pull_source(request: Request, entry_id: str, csrf_token: str = Form(""), full: str = Form("")):
    viewer = _source_viewer(request, csrf_token)
    _ = translator(request)
    try:
        record = sources.pull(entry_id, viewer.principal, True if full else None)
    except GovShareError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        load_id = exc.details.get("load_id") if isinstance(exc.details, dict) else None
        report = None
        if load_id:
            with session_scope(read_only=True) as session:
                report = session.get(DataLoad, load_id)
                if report is not None:
                    session.expunge(report)
        messages = [Message(error_text(request_lang(request), exc.status_code, exc.code), "error")]
        if report is None:
            messages.append(Message(sources.scrub(exc.message, None), "error"))
        return _source_page(request, viewer, entry_id, report=report, messages=messages, status=exc.status_code)
    return _source_page(request, viewer, entry_id, report=record,
                        messages=[Message(_("Pulled from the database: the data is now mounted."), "success")])


@router.get("/catalog/{entry_id}/source/delete")
def delete_source_confirm(request: Request, entry_id: str):
    viewer = _source_viewer(request, check=False)
    with session_scope(read_only=True) as session:
        entry = catalog.get_entry(session, entry_id, viewer.principal)
        mounting.require_data_writer(viewer.principal, entry)
        source = sources.get_source(session, entry.id, viewer.principal)
        return render(request, "catalog/confirm.html", {
            "active_nav": "catalog", "entry": catalog.entry_read(entry), "action": "source/delete", "errors": {},
            "reason": "", "note": "", "source_url": sources.mask_url(source.url)})


@router.post("/catalog/{entry_id}/source/delete")
def delete_source(request: Request, entry_id: str, csrf_token: str = Form("")):
    viewer = _source_viewer(request, csrf_token)
    with session_scope() as session:
        sources.delete_source(session, entry_id, viewer.principal)
    response = redirect(f"/catalog/{entry_id}/source")
    flash(response, N_("The database source is removed; the data loaded so far stays mounted."), "success")
    return response

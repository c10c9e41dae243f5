"""Console pages of the platform operator: departments, users and roles, arbitration queue, overdue list, settings.

Only `platform_admin` users see them (403 page for everyone else, the same code as the API's
`not_platform_admin`). Every change goes through the services the API uses: `orgs.service` for
departments, users and roles (separation of duties is checked there), `sharing.service` for
arbitration (`approve` / `reject` decide an escalated or refused request as the operator).
"""

from __future__ import annotations

import re
from fastapi import APIRouter, Depends, Form, Query, Request
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govshare.core import i18n
from govshare.core.config import get_settings
from govshare.core.database import utcnow
from govshare.core.errors import Conflict, Forbidden, GovShareError, InvalidInput, NotFound
from govshare.core.i18n import N_
from govshare.orgs import service as orgs
from govshare.orgs.models import Organization, User
from govshare.orgs.roles import Level, Role
from govshare.orgs.schemas import OrgCreate, UserCreate
from govshare.sharing import demands, service as sharing
from govshare.sharing.models import AccessRequest
from govshare.sharing.schemas import ApproveBody, RejectBody
from govshare.web.console import (
    NAV, ConsoleRoute, NavItem, Pager, Viewer, db, error_details, flash, form_viewer, redirect, render, request_lang,
    require_viewer,
)

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PER_PAGE = 20
MAX_PAGE = 10_000

NAV.append(NavItem("admin", "/admin/orgs", N_("Operations"), lambda v: Role.platform_admin in v.roles, order=90))

# Roles the operator may give from the console; citizen accounts are made with their ID number elsewhere.
ASSIGNABLE_ROLES = [r.value for r in Role if r != Role.citizen]
ORG_SORTS = {"code": Organization.code, "name": Organization.name, "created": Organization.created_at.desc()}
# Settings whose value is a secret: never shown, only whether it is set.
SECRET_SETTINGS = {"secret_key", "ledger_key"}
URL_SETTINGS = {"database_url", "redis_url", "nats_url"}


def require_operator(viewer: Viewer) -> Viewer:
    if Role.platform_admin not in viewer.roles:
        raise Forbidden("only the platform operator may do this", code="not_platform_admin")
    return viewer


def operator(viewer: Viewer = Depends(require_viewer)) -> Viewer:
    return require_operator(viewer)


def operator_form(viewer: Viewer = Depends(form_viewer)) -> Viewer:
    return require_operator(viewer)


def _field_errors(lang: str, exc: Exception, messages: dict[str, str], default_field: str) -> dict[str, str]:
    """Per-field messages (translated) from a pydantic ValidationError or a service InvalidInput/Conflict."""
    fields: list[str] = []
    if isinstance(exc, ValidationError):
        fields = [str(e["loc"][0]) for e in exc.errors() if e.get("loc")]
    elif isinstance(exc, GovShareError):
        fields = [d.get("field") for d in error_details(exc) if d.get("field")] or [default_field]
    return {f.split(".")[0]: i18n.gettext(lang, messages.get(f.split(".")[0], N_("This value is not valid.")))
            for f in fields}


@router.get("/admin")
def admin_home(viewer: Viewer = Depends(operator)):
    return redirect("/admin/orgs")


# ---- departments --------------------------------------------------------------------------------

ORG_MESSAGES = {
    "code": N_("Enter the 18-character unified social credit code."),
    "name": N_("Enter the department's name (2 to 100 characters)."),
    "short_name": N_("Lower-case letters, digits and _, starting with a letter (2 to 32 characters)."),
    "region_code": N_("Enter a 6-digit administrative division code that exists, e.g. 330900."),
    "level": N_("Choose a level."),
    "parent_code": N_("No department has this code."),
}


def _orgs_page(request: Request, session: Session, sort: str, page: int, values: dict | None = None,
               errors: dict | None = None, status: int = 200):
    order = ORG_SORTS.get(sort, Organization.code)
    total = session.scalar(select(func.count()).select_from(Organization)) or 0
    rows = list(session.scalars(select(Organization).order_by(order, Organization.id)
                                .limit(PER_PAGE).offset((page - 1) * PER_PAGE)))
    users = dict(session.execute(select(User.org_id, func.count()).where(User.org_id.in_([o.id for o in rows]))
                                 .group_by(User.org_id)).all()) if rows else {}
    lang = request_lang(request)
    return render(request, "admin/orgs.html", {
        "active_nav": "admin", "tab": "orgs", "orgs": rows, "user_counts": users, "sort": sort,
        "pager": Pager.build(request, page, PER_PAGE, total),
        "values": values or {"code": "", "name": "", "short_name": "", "region_code": "", "level": "city",
                             "parent_code": ""},
        "errors": errors or {},
        "level_options": [(lv.value, i18n.label(lang, "org_level", lv.value)) for lv in Level],
    }, status=status)


@router.get("/admin/orgs")
def orgs_page(request: Request, sort: str = Query("code", pattern="^(code|name|created)$"),
              page: int = Query(1, ge=1, le=MAX_PAGE), viewer: Viewer = Depends(operator), session: Session = db):
    return _orgs_page(request, session, sort, page)


@router.post("/admin/orgs")
def create_org(request: Request, code: str = Form("", max_length=64), name: str = Form("", max_length=200),
               short_name: str = Form("", max_length=64), region_code: str = Form("", max_length=16),
               level: str = Form("", max_length=16), parent_code: str = Form("", max_length=64),
               viewer: Viewer = Depends(operator_form), session: Session = db):
    values = {"code": code.strip().upper(), "name": name.strip(), "short_name": short_name.strip(),
              "region_code": region_code.strip(), "level": level, "parent_code": parent_code.strip()}
    lang = request_lang(request)
    try:
        data = OrgCreate(code=values["code"], name=values["name"], short_name=values["short_name"] or None,
                         region_code=values["region_code"], level=level, parent_code=values["parent_code"] or None)
        org, warnings = orgs.create_org(session, data)
    except ValidationError as exc:
        return _orgs_page(request, session, "code", 1, values, _field_errors(lang, exc, ORG_MESSAGES, "code"), 422)
    except NotFound as exc:
        session.rollback()
        return _orgs_page(request, session, "code", 1, values, _field_errors(lang, exc, ORG_MESSAGES, "parent_code"),
                          422)
    except Conflict as exc:
        session.rollback()
        field = "short_name" if "short name" in exc.message else "code"
        message = N_("This short name is taken.") if field == "short_name" else \
            N_("A department with this code already exists.")
        return _orgs_page(request, session, "code", 1, values, {field: i18n.gettext(lang, message)}, 409)
    except InvalidInput as exc:
        session.rollback()
        return _orgs_page(request, session, "code", 1, values, _field_errors(lang, exc, ORG_MESSAGES, "code"), 422)
    response = redirect("/admin/orgs?sort=created")
    if warnings:
        flash(response, N_("Department %(name)s registered. Its credit code fails the GB 32100 check digit; it was "
                           "accepted as an early code."), "warning", name=org.name)
    else:
        flash(response, N_("Department %(name)s registered."), "success", name=org.name)
    return response


# ---- users and roles ----------------------------------------------------------------------------

USER_MESSAGES = {
    "username": N_("3 to 64 letters, digits or . _ @ -"),
    "display_name": N_("Enter the person's name."),
    "org_code": N_("Choose a department."),
    "password": N_("At least 10 characters."),
    "roles": N_("These roles cannot be held together (separation of duties: administration, security and audit "
                "are held by different people)."),
    "role": N_("These roles cannot be held together (separation of duties: administration, security and audit "
               "are held by different people)."),
}


def _org_options(session: Session) -> list[tuple[str, str]]:
    departments, _total = orgs.list_orgs(session, limit=2000)
    return [(o.code, o.name) for o in departments]


def _role_options(lang: str) -> list[tuple[str, str]]:
    return [(r, i18n.label(lang, "role", r)) for r in ASSIGNABLE_ROLES]


def _users_page(request: Request, session: Session, org: str, q: str, page: int, values: dict | None = None,
                errors: dict | None = None, status: int = 200, sort: str = "org"):
    lang = request_lang(request)
    org_id = None
    if org:
        try:
            org_id = orgs.get_org_by_code(session, org).id
        except NotFound:
            org_id = "-"  # an unknown department matches nobody
    rows, total = orgs.list_users(session, org_id, q.strip() or None, PER_PAGE, (page - 1) * PER_PAGE, sort)
    return render(request, "admin/users.html", {
        "active_nav": "admin", "tab": "users", "users": rows, "org": org, "q": q, "sort": sort,
        "pager": Pager.build(request, page, PER_PAGE, total),
        "org_options": _org_options(session), "role_options": _role_options(lang),
        "values": values or {"username": "", "display_name": "", "org_code": org, "roles": []},
        "errors": errors or {},
    }, status=status)


@router.get("/admin/users")
def users_page(request: Request, org: str = Query("", max_length=64), q: str = Query("", max_length=100),
               sort: str = Query("org", pattern="^(org|username|newest)$"), page: int = Query(1, ge=1, le=MAX_PAGE),
               viewer: Viewer = Depends(operator), session: Session = db):
    return _users_page(request, session, org, q, page, sort=sort)


@router.post("/admin/users")
def create_user(request: Request, username: str = Form("", max_length=200), display_name: str = Form("", max_length=200),
                org_code: str = Form("", max_length=64), password: str = Form("", max_length=1000),
                roles: list[str] = Form([]), viewer: Viewer = Depends(operator_form), session: Session = db):
    values = {"username": username.strip(), "display_name": display_name.strip(), "org_code": org_code.strip(),
              "roles": roles}
    lang = request_lang(request)
    errors: dict[str, str] = {}
    if any(r not in ASSIGNABLE_ROLES for r in roles):
        errors["roles"] = i18n.gettext(lang, N_("Choose roles from the list."))
    if not errors:
        try:
            data = UserCreate(username=values["username"], display_name=values["display_name"],
                              org_code=values["org_code"], password=password, roles=roles)
            user = orgs.create_user(session, data)
        except ValidationError as exc:
            errors = _field_errors(lang, exc, USER_MESSAGES, "username")
        except NotFound:
            session.rollback()
            errors = {"org_code": i18n.gettext(lang, USER_MESSAGES["org_code"])}
        except Conflict:
            session.rollback()
            errors = {"username": i18n.gettext(lang, N_("This username is taken."))}
        except InvalidInput as exc:
            session.rollback()
            errors = _field_errors(lang, exc, USER_MESSAGES, "roles")
    if errors:
        return _users_page(request, session, "", "", 1, values, errors, 409 if "taken" in str(errors) else 422)
    response = redirect(f"/admin/users/{user.id}")
    flash(response, N_("User %(name)s created."), "success", name=user.username)
    return response


def _user(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user not found", code="user_not_found")
    return user


def _user_page(request: Request, session: Session, user: User, errors: dict | None = None, role: str = "",
               status: int = 200):
    lang = request_lang(request)
    return render(request, "admin/user.html", {
        "active_nav": "admin", "tab": "users", "user": user, "roles": sorted(user.roles),
        "grantable": [(r, t) for r, t in _role_options(lang) if r not in user.roles],
        "errors": errors or {}, "role": role,
    }, status=status)


@router.get("/admin/users/{user_id}")
def user_page(request: Request, user_id: str, viewer: Viewer = Depends(operator), session: Session = db):
    return _user_page(request, session, _user(session, user_id))


@router.post("/admin/users/{user_id}/roles")
def grant_role(request: Request, user_id: str, role: str = Form("", max_length=32),
               viewer: Viewer = Depends(operator_form), session: Session = db):
    user = _user(session, user_id)
    lang = request_lang(request)
    if role not in ASSIGNABLE_ROLES:
        return _user_page(request, session, user, {"role": i18n.gettext(lang, N_("Choose a role from the list."))},
                          role, 422)
    if Role.citizen in user.roles:
        return _user_page(request, session, user, {"role": i18n.gettext(
            lang, N_("A citizen account holds the citizen role only."))}, role, 422)
    try:
        orgs.grant_role(session, user.id, Role(role), viewer.principal)
    except InvalidInput as exc:
        session.rollback()
        message = USER_MESSAGES["role"] if exc.code == "separation_of_duties" else N_("This value is not valid.")
        return _user_page(request, session, _user(session, user_id), {"role": i18n.gettext(lang, message)}, role, 422)
    response = redirect(f"/admin/users/{user.id}")
    flash(response, N_("Role %(role)s granted to %(name)s."), "success", role=i18n.label(lang, "role", role),
          name=user.username)
    return response


def _held_role(user: User, role: str) -> Role:
    if role not in {r.value for r in Role} or role not in user.roles:
        raise NotFound("the user does not hold this role", code="role_not_held")
    return Role(role)


@router.get("/admin/users/{user_id}/roles/{role}/remove")
def confirm_remove_role(request: Request, user_id: str, role: str, viewer: Viewer = Depends(operator),
                        session: Session = db):
    user = _user(session, user_id)
    _held_role(user, role)
    return render(request, "admin/confirm_remove_role.html", {"active_nav": "admin", "tab": "users", "user": user,
                                                               "role": role})


@router.post("/admin/users/{user_id}/roles/{role}/remove")
def remove_role(request: Request, user_id: str, role: str, viewer: Viewer = Depends(operator_form),
                session: Session = db):
    user = _user(session, user_id)
    lang = request_lang(request)
    orgs.revoke_role(session, user.id, _held_role(user, role), viewer.principal)
    response = redirect(f"/admin/users/{user.id}")
    flash(response, N_("Role %(role)s removed from %(name)s."), "success", role=i18n.label(lang, "role", role),
          name=user.username)
    return response


# ---- arbitration --------------------------------------------------------------------------------

@router.get("/admin/arbitration")
def arbitration_page(request: Request, page: int = Query(1, ge=1, le=MAX_PAGE), viewer: Viewer = Depends(operator),
                     session: Session = db):
    rows, total = sharing.list_requests(session, viewer.principal, "arbitration", None, PER_PAGE,
                                        (page - 1) * PER_PAGE)
    providers = _org_names(session, {r.provider_org_id for r in rows})
    return render(request, "admin/arbitration.html", {
        "active_nav": "admin", "tab": "arbitration", "requests": rows, "providers": providers,
        "pager": Pager.build(request, page, PER_PAGE, total), "now": utcnow()})


def _org_names(session: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Organization.id, Organization.name).where(Organization.id.in_(ids))).all())


def _arbitration_case(request: Request, session: Session, viewer: Viewer, request_id: str,
                      errors: dict | None = None, values: dict | None = None, status: int = 200):
    req = sharing.get_request(session, request_id, viewer.principal)
    return render(request, "admin/arbitrate.html", {
        "active_nav": "admin", "tab": "arbitration", "req": req,
        "provider": _org_names(session, {req.provider_org_id}).get(req.provider_org_id, req.provider_org_id),
        "open": req.status in ("escalated", "refused") and not req.arbitrated,
        "errors": errors or {}, "values": values or {"note": "", "reason": "", "duration_days": ""},
        "now": utcnow(),
    }, status=status)


@router.get("/admin/arbitration/{request_id}")
def arbitration_case(request: Request, request_id: str, viewer: Viewer = Depends(operator), session: Session = db):
    return _arbitration_case(request, session, viewer, request_id)


@router.post("/admin/arbitration/{request_id}/approve")
def arbitrate_approve(request: Request, request_id: str, note: str = Form("", max_length=1000),
                      duration_days: str = Form("", max_length=8), viewer: Viewer = Depends(operator_form),
                      session: Session = db):
    lang = request_lang(request)
    values = {"note": note, "reason": "", "duration_days": duration_days}
    try:
        days = int(duration_days) if duration_days.strip() else None
        body = ApproveBody(note=note.strip() or None, duration_days=days)
    except (ValueError, ValidationError):
        return _arbitration_case(request, session, viewer, request_id, {"duration_days": i18n.gettext(
            lang, N_("Enter a whole number of days, at most the requested duration."))}, values, 422)
    try:
        sharing.approve(session, request_id, body, viewer.principal)
    except InvalidInput as exc:
        session.rollback()
        field = "duration_days" if any(d.get("field") == "duration_days" for d in error_details(exc)) else "note"
        return _arbitration_case(request, session, viewer, request_id, {field: i18n.gettext(
            lang, N_("Enter a whole number of days, at most the requested duration.") if field == "duration_days"
            else N_("The request cannot be approved as it is; reject it with a reason instead."))}, values, 422)
    response = redirect("/admin/arbitration")
    flash(response, N_("Request approved by arbitration; the grant is in force."), "success")
    return response


@router.post("/admin/arbitration/{request_id}/reject")
def arbitrate_reject(request: Request, request_id: str, reason: str = Form("", max_length=1000),
                     viewer: Viewer = Depends(operator_form), session: Session = db):
    lang = request_lang(request)
    try:
        body = RejectBody(reason=reason.strip())
    except ValidationError:
        return _arbitration_case(request, session, viewer, request_id, {"reason": i18n.gettext(
            lang, N_("Give the reason for the rejection (at least 2 characters)."))},
            {"note": "", "reason": reason, "duration_days": ""}, 422)
    sharing.reject(session, request_id, body, viewer.principal)
    response = redirect("/admin/arbitration")
    flash(response, N_("Request rejected by arbitration."), "success")
    return response


# ---- overdue ------------------------------------------------------------------------------------

@router.get("/admin/overdue")
def overdue_page(request: Request, tab: str = Query("requests", pattern="^(requests|demands|promises)$"),
                 page: int = Query(1, ge=1, le=MAX_PAGE), viewer: Viewer = Depends(operator), session: Session = db):
    now = utcnow()
    requests, demand_rows, total = [], [], 0
    if tab == "requests":
        stmt = select(AccessRequest).where(AccessRequest.status.in_(sharing.OPEN_STATUSES), AccessRequest.due_at < now)
        total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        requests = list(session.scalars(stmt.order_by(AccessRequest.due_at, AccessRequest.id)
                                        .limit(PER_PAGE).offset((page - 1) * PER_PAGE)))
    else:
        view = "overdue" if tab == "demands" else "promise_overdue"
        demand_rows, total = demands.list_demands(session, viewer.principal, view, PER_PAGE, (page - 1) * PER_PAGE,
                                                  now)
    names = _org_names(session, {r.provider_org_id for r in requests} | {r.consumer_org_id for r in requests}
                       | {d.consumer_org_id for d in demand_rows} | {d.routed_org_id for d in demand_rows if d.routed_org_id})
    pending_overdue = session.scalar(select(func.count()).select_from(AccessRequest).where(
        AccessRequest.status == "pending", AccessRequest.due_at < now)) or 0
    return render(request, "admin/overdue.html", {
        "active_nav": "admin", "tab": "overdue", "view": tab, "requests": requests, "demands": demand_rows,
        "names": names, "pager": Pager.build(request, page, PER_PAGE, total), "now": now,
        "today": demands.today(now), "pending_overdue": pending_overdue})


@router.post("/admin/overdue/escalate")
def escalate(request: Request, viewer: Viewer = Depends(operator_form), session: Session = db):
    """Hand every pending request past its deadline to arbitration now (the scheduler does it too)."""
    n = sharing.escalate_overdue(session)
    response = redirect("/admin/arbitration" if n else "/admin/overdue")
    flash(response, N_("%(count)s overdue requests moved to the arbitration queue."), "success", count=n)
    return response


# ---- settings -----------------------------------------------------------------------------------

_URL_PASSWORD = re.compile(r"(://[^/@:]*:)[^/@]*@")


def masked_settings(lang: str) -> list[tuple[str, str, str]]:
    """(name, shown value, description) of every effective setting; secrets are never shown."""
    settings = get_settings()
    out = []
    for name, info in type(settings).model_fields.items():
        value = getattr(settings, name)
        if name in SECRET_SETTINGS or any(w in name for w in ("password", "secret", "private")):
            shown = "******" if value else i18n.gettext(lang, N_("(not set: a generated key file in the data directory)"))
        elif name in URL_SETTINGS and value:
            shown = _URL_PASSWORD.sub(r"\1******@", str(value))
        else:
            shown = "" if value is None else str(value)
        out.append((name, shown, info.description or ""))
    out.append(("database_url (effective)", _URL_PASSWORD.sub(r"\1******@", settings.resolved_database_url),
                i18n.gettext(lang, N_("The database this server uses."))))
    return out


@router.get("/admin/settings")
def settings_page(request: Request, viewer: Viewer = Depends(operator)):
    return render(request, "admin/settings.html", {"active_nav": "admin", "tab": "settings",
                                                    "settings": masked_settings(request_lang(request))})

"""The console's shared machinery, used by every console page (this issue's catalog pages and the
later dashboards, approvals, ledger, ...):

- `ConsoleRoute`: the route class of console routers. Errors become HTML pages instead of the API's
  JSON: a `GovShareError` renders `error.html` with its status code, a missing login redirects to
  `/login?next=...`, a bad query parameter renders a 422 page. The request's database work is
  rolled back when a page fails.
- `db`: the request's database session (committed *before* the response is sent, so a redirect
  never races its own commit).
- `optional_viewer` / `require_viewer` / `form_viewer`: who is signed in (a console session
  cookie), and for state-changing forms the check of the hidden `csrf_token` field against the
  session's CSRF token.
- `render(request, template, context, status=...)`: one HTML response with the shared layout
  context (language, user, navigation, CSRF token, flash messages) and security headers.
- `flash(response, msgid, ...)`: a message shown on the next page (after a redirect).
- `NAV`: the navigation; later pages append `NavItem`s.
- `Pager`: paging links that keep the other query parameters.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from babel.numbers import format_decimal
from fastapi import Depends, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from govshare import __version__
from govshare.core import i18n
from govshare.core.config import get_settings
from govshare.core.database import session_scope
from govshare.core.errors import UNSTORABLE, Forbidden, GovShareError
from govshare.core.i18n import N_
from govshare.core.security import keyed_hash
from govshare.orgs.auth import SAFE_METHODS, SESSION_COOKIE, console_session, csrf_ok
from govshare.orgs.models import ConsoleSession
from govshare.orgs.service import Principal, user_principal

log = logging.getLogger("govshare.web")

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"

FLASH_COOKIE = "gs_flash"
LOGIN_CSRF_COOKIE = "gs_login_csrf"
LANG_COOKIE_MAX_AGE = 365 * 86400
# Times are stored in UTC and shown in China Standard Time.
DISPLAY_TZ = timezone(timedelta(hours=8), "CST")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


# ---- who is signed in ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Viewer:
    """The signed-in console user, resolved once per request."""

    user_id: str
    username: str
    display_name: str
    org_name: str
    org_code: str
    roles: frozenset[str]
    principal: Principal
    session_row: ConsoleSession = field(repr=False)

    @property
    def csrf_token(self) -> str:
        return self.session_row.csrf_token


class LoginRequired(Exception):
    """Raised by `require_viewer`; ConsoleRoute turns it into a redirect to the login page."""

    def __init__(self, next_url: str | None):
        super().__init__("login required")
        self.next_url = next_url


def csrf_failed() -> Forbidden:
    return Forbidden("missing or wrong CSRF token", code="csrf_failed")


def console_db(request: Request) -> Iterator[Session]:
    """The request's session; read-only for GET. Kept on request.state so a failing page rolls back."""
    with session_scope(read_only=request.method in SAFE_METHODS) as session:
        request.state.db = session
        yield session


# scope="function": the session commits when the page function returns, before the response is sent.
db = Depends(console_db, scope="function")


def viewer_from(session: Session, request: Request) -> Viewer | None:
    found = console_session(session, request.cookies.get(SESSION_COOKIE))
    viewer = None
    if found is not None:
        user, row = found
        viewer = Viewer(user_id=user.id, username=user.username, display_name=user.display_name,
                        org_name=user.org.name, org_code=user.org.code, roles=frozenset(user.roles),
                        principal=user_principal(user), session_row=row)
    request.state.viewer = viewer
    return viewer


def load_viewer(request: Request) -> Viewer | None:
    """`viewer_from` in its own short session, for async pages that do not hold one (uploads)."""
    with session_scope(read_only=True) as session:
        return viewer_from(session, request)


def optional_viewer(request: Request, session: Session = db) -> Viewer | None:
    return viewer_from(session, request)


def require_viewer(request: Request, viewer: Viewer | None = Depends(optional_viewer)) -> Viewer:
    if viewer is None:
        raise LoginRequired(current_url(request) if request.method in SAFE_METHODS else None)
    return viewer


def check_csrf(viewer: Viewer, presented: str | None) -> None:
    if not csrf_ok(viewer.session_row, presented if isinstance(presented, str) else None):
        raise csrf_failed()


def form_viewer(viewer: Viewer = Depends(require_viewer), csrf_token: str | None = Form(None)) -> Viewer:
    """For URL-encoded form posts: the signed-in user, after checking the form's csrf_token."""
    check_csrf(viewer, csrf_token)
    return viewer


# ---- URLs ---------------------------------------------------------------------------------------

def current_url(request: Request) -> str:
    query = request.url.query
    return request.url.path + ("?" + query if query else "")


def safe_next(value: str | None) -> str | None:
    """`value` if it is a path on this site ("/catalog?q=x"), else None: no open redirects."""
    if not value or not isinstance(value, str) or len(value) > 2000:
        return None
    if any(ch in value for ch in "\\\r\n\t\x00") or not value.startswith("/") or value.startswith("//"):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value


def login_url(next_url: str | None) -> str:
    next_url = safe_next(next_url)
    return "/login" + ("?" + urlencode({"next": next_url}) if next_url and next_url != "/" else "")


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# ---- flash messages -----------------------------------------------------------------------------
# A signed cookie carrying msgids and their arguments, translated when shown.

def _sign(payload: str) -> str:
    return keyed_hash(payload, "console-flash")[:32]


def flash(response: Response, msgid: str, kind: str = "info", **args: Any) -> None:
    payload = base64.urlsafe_b64encode(json.dumps(
        [{"kind": kind, "msgid": msgid, "args": {k: str(v) for k, v in args.items()}}],
        ensure_ascii=True).encode()).decode()
    response.set_cookie(FLASH_COOKIE, payload + "." + _sign(payload), max_age=300, httponly=True,
                        secure=get_settings().secure_cookies, samesite="lax", path="/")


def read_flashes(request: Request) -> list[dict]:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw or "." not in raw:
        return []
    payload, _, signature = raw.rpartition(".")
    if not hmac.compare_digest(_sign(payload), signature):
        return []
    try:
        entries = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except ValueError:
        return []
    return [e for e in entries if isinstance(e, dict) and isinstance(e.get("msgid"), str)]


@dataclass(frozen=True)
class Message:
    """A message shown at the top of a page: kind is info | success | warning | error."""

    text: str
    kind: str = "info"


def _flash_message(lang: str, entry: dict) -> Message:
    msgid, args = entry["msgid"], entry.get("args") or {}
    try:
        text = i18n.gettext(lang, msgid, **args)
    except (KeyError, TypeError, ValueError):
        text = msgid
    return Message(text, entry.get("kind", "info"))


# ---- navigation ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class NavItem:
    """A navigation link; page modules append theirs to NAV, shown by `order` (home 0 … operator 90)."""

    key: str
    href: str
    msgid: str
    visible: Callable[[Viewer], bool] = lambda viewer: True
    order: int = 50


NAV: list[NavItem] = [
    NavItem("catalog", "/catalog", N_("Catalog"), lambda viewer: "citizen" not in viewer.roles, order=10),
]


def vocab_options(lang: str, vocabulary: str) -> list[tuple[str, str]]:
    """(code, translated label) pairs of a vocabulary, for a select."""
    return [(code, i18n.gettext(lang, msgid)) for code, msgid in i18n.VOCABULARIES[vocabulary].items()]


# ---- paging -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Pager:
    page: int
    per_page: int
    total: int
    pages: int
    prev_url: str | None
    next_url: str | None
    last_url: str
    first_item: int
    last_item: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @classmethod
    def build(cls, request: Request, page: int, per_page: int, total: int) -> Pager:
        pages = max(1, math.ceil(total / per_page))
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "page" and v != ""]

        def url(n: int) -> str:
            query = urlencode(params + ([("page", str(n))] if n > 1 else []))
            return request.url.path + ("?" + query if query else "")
        first = min(total, (page - 1) * per_page + 1)
        return cls(page=page, per_page=per_page, total=total, pages=pages,
                   prev_url=url(min(page - 1, pages)) if page > 1 else None,
                   next_url=url(page + 1) if page < pages else None, last_url=url(pages),
                   first_item=first, last_item=min(total, page * per_page))


# ---- templates ----------------------------------------------------------------------------------

@pass_context
def _gettext(ctx, msgid: str) -> str:
    return i18n.get_translations(ctx["lang"]).gettext(msgid)


@pass_context
def _reason(ctx, problem: dict) -> str:
    """A problem's reason in the page's language: a `reason_template` with `params` when the service
    gave one, else the reason itself when it is one of the fixed reasons (marked N_ in readers,
    validation and check digits); reasons that embed values without a template stay as they are."""
    translations = i18n.get_translations(ctx["lang"])
    template = problem.get("reason_template")
    if template:
        try:
            return translations.gettext(template) % problem.get("params", {})
        except (KeyError, TypeError, ValueError):
            pass
    reason = problem.get("reason")
    return translations.gettext(reason) if reason else ""


@pass_context
def _ngettext(ctx, singular: str, plural: str, n: int) -> str:
    return i18n.get_translations(ctx["lang"]).ngettext(singular, plural, n)


@pass_context
def _label(ctx, vocabulary: str, value) -> str:
    return i18n.label(ctx["lang"], vocabulary, value)


@pass_context
def _number(ctx, value) -> str:
    if value is None:
        return "—"
    return format_decimal(value, locale=i18n.BABEL_LOCALE[ctx["lang"]])


def _datetime(value, with_seconds: bool = False) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(DISPLAY_TZ)
        return value.strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


@pass_context
def _duration(ctx, ms) -> str:
    if ms is None:
        return "—"
    if ms < 1000:
        return i18n.gettext(ctx["lang"], "%(ms)s ms", ms=int(ms))
    return i18n.gettext(ctx["lang"], "%(seconds)s s", seconds=f"{ms / 1000:.1f}")


@pass_context
def _yes_no(ctx, value) -> str:
    return yes_no(ctx["lang"], value)


def yes_no(lang: str, value) -> str:
    return i18n.gettext(lang, "Yes") if value else i18n.gettext(lang, "No")


def _static_url(path: str) -> str:
    return f"/static/{path}?v={__version__}"


def _make_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(label=_label, static_url=_static_url, version=__version__)
    env.filters.update(number=_number, datetime=_datetime, duration=_duration, yes_no=_yes_no, reason=_reason)
    return env


templates = _make_env()


def request_lang(request: Request) -> str:
    lang = getattr(request.state, "lang", None)
    if lang is None:
        lang = i18n.negotiate(request.cookies.get(i18n.LANG_COOKIE), request.headers.get("accept-language"))
        request.state.lang = lang
    return lang


def translator(request: Request) -> Callable[..., str]:
    """`_` for page code: `_ = translator(request); _("Catalog")`."""
    return i18n.translator(request_lang(request))


def render(request: Request, template: str, context: dict | None = None, *, status: int = 200,
           messages: list[Message] | None = None, page_url: str | None = None,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    """Render a page with the layout context. `page_url` is where the language switch returns to
    (default: the current URL for GET, the catalog otherwise, since a POST cannot be repeated)."""
    lang = request_lang(request)
    viewer: Viewer | None = getattr(request.state, "viewer", None)
    if page_url is None:
        page_url = current_url(request) if request.method in SAFE_METHODS else ("/catalog" if viewer else "/login")
    shown = [_flash_message(lang, f) for f in read_flashes(request)] + list(messages or [])
    ctx = {
        "request": request,
        "lang": lang,
        "html_lang": i18n.HTML_LANG[lang],
        "viewer": viewer,
        "csrf_token": viewer.csrf_token if viewer else "",
        "nav": sorted((item for item in NAV if viewer is not None and item.visible(viewer)), key=lambda i: i.order),
        "active_nav": "",
        "languages": [{"code": code, "name": i18n.LANGUAGE_NAMES[code],
                       "href": "/lang/" + code + "?" + urlencode({"next": page_url}), "current": code == lang}
                      for code in i18n.SUPPORTED],
        "messages": shown,
        "page_url": page_url,
    }
    ctx.update(context or {})
    body = templates.get_template(template).render(ctx)
    response = HTMLResponse(body, status_code=status, headers=headers)
    response.headers["Content-Language"] = i18n.HTML_LANG[lang]
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Vary"] = "Cookie, Accept-Language"
    if viewer is not None:
        response.headers["Cache-Control"] = "no-store"
    if request.cookies.get(FLASH_COOKIE):
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


# ---- errors as pages ----------------------------------------------------------------------------

# Friendly text per error code; anything else falls back to the text per status code.
ERROR_MESSAGES = {
    "csrf_failed": N_("This form has expired or did not come from this site. Reload the page and try again."),
    "entry_not_found": N_("This catalog entry does not exist, or you may not see it."),
    "not_provider": N_("Only the providing department may do this."),
    "insufficient_permission": N_("Your role does not allow this."),
    "not_org_admin": N_("Only the department's administrator may do this."),
    "not_platform_admin": N_("Only the platform operator may do this."),
    "invalid_credentials": N_("Wrong username or password."),
    "load_rejected": N_("The file has invalid values; nothing was loaded. Fix the rows below and upload again."),
    "payload_too_large": N_("The file is larger than the upload limit."),
    "unsupported_media_type": N_("This file format is not supported. Use CSV, TSV, XLSX, JSON, JSONL or Parquet."),
}
STATUS_MESSAGES = {
    400: N_("The request could not be processed."),
    401: N_("Please sign in."),
    403: N_("You do not have permission to do this."),
    404: N_("The page you asked for does not exist."),
    405: N_("This action is not available here."),
    409: N_("This conflicts with the current state; reload the page and try again."),
    413: N_("The file is larger than the upload limit."),
    415: N_("This file format is not supported."),
    422: N_("Some of the input is not valid."),
    429: N_("Too many requests; wait a moment and try again."),
    500: N_("Something went wrong on the server."),
}
STATUS_TITLES = {
    400: N_("Bad request"), 401: N_("Sign-in required"), 403: N_("Not allowed"), 404: N_("Not found"),
    405: N_("Not available"), 409: N_("Conflict"), 413: N_("File too large"), 415: N_("Unsupported format"),
    422: N_("Invalid input"), 429: N_("Too many requests"), 500: N_("Server error"),
}


def error_text(lang: str, status: int, code: str | None) -> str:
    msgid = ERROR_MESSAGES.get(code or "") or STATUS_MESSAGES.get(status) or STATUS_MESSAGES[400]
    return i18n.gettext(lang, msgid)


def error_details(exc: GovShareError) -> list[dict]:
    """Per-field or per-row problems of a service error, as a list of dicts (field/row/column/reason)."""
    details = exc.details
    if isinstance(details, dict):
        details = details.get("errors")
    return [d for d in details if isinstance(d, dict)] if isinstance(details, list) else []


def render_error(request: Request, status: int, code: str | None = None, detail: str | None = None,
                 details: list[dict] | None = None) -> HTMLResponse:
    lang = request_lang(request)
    friendly = error_text(lang, status, code)
    return render(request, "error.html", {
        "status": status,
        "title": i18n.gettext(lang, STATUS_TITLES.get(status, STATUS_TITLES[400])),
        "message": friendly,
        # The service's own (English) wording, when it says more than the friendly text.
        "detail": detail if detail and detail != friendly else None,
        "details": details or [],
    }, status=status)


class ConsoleRoute(APIRoute):
    """Route class of console routers: errors render as pages, a missing login redirects."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def console_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired as exc:
                _rollback(request)
                return redirect(login_url(exc.next_url))
            except GovShareError as exc:
                _rollback(request)
                return render_error(request, exc.status_code, exc.code, exc.message, error_details(exc))
            except RequestValidationError as exc:
                _rollback(request)
                details = [{"field": ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "body")),
                            "reason": err.get("msg", "invalid")} for err in exc.errors()]
                return render_error(request, 422, "invalid_input", None, details)
            except StarletteHTTPException as exc:
                _rollback(request)
                return render_error(request, exc.status_code, None, str(exc.detail))
            except DataError:  # a value the database refuses by its type (a NUL character): the input's fault
                _rollback(request)
                return render_error(request, 422, "invalid_input", UNSTORABLE)
            except Exception:
                log.exception("console page failed: %s %s", request.method, request.url.path)
                _rollback(request)
                try:
                    return render_error(request, 500)
                except Exception:  # the error page itself failed: leave it to the app's handler
                    log.exception("error page failed")
                    raise

        return console_handler


def _rollback(request: Request) -> None:
    session = getattr(request.state, "db", None)
    if session is not None:
        session.rollback()

"""One error hierarchy, mapped to HTTP in one place.

Every error answers `{"error": {"code", "message", "details"}}`. Services raise these; endpoints
never build error responses themselves.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("govshare")


class ErrorResponse(JSONResponse):
    """The error shape as JSON. Errors may echo the input, and JSON input may hold a lone surrogate
    ("\\ud800", in a key or value) that UTF-8 cannot encode: it goes back out as the same escape."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode(
            "utf-8", "backslashreplace")


class GovShareError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details
        self.headers = headers

    def to_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


def problem(field: str, reason: str, value: Any = None) -> dict:
    """One field-level detail of an InvalidInput: `{"field", "reason"[, "value"]}`."""
    detail = {"field": field, "reason": reason}
    if value is not None:
        detail["value"] = value
    return detail


class InvalidInput(GovShareError):
    """Input that breaks a rule: 422 with per-field (or per-row) details."""

    status_code = 422
    code = "invalid_input"


class NotFound(GovShareError):
    status_code = 404
    code = "not_found"


class Conflict(GovShareError):
    status_code = 409
    code = "conflict"


class Unauthorized(GovShareError):
    status_code = 401
    code = "unauthorized"


class Forbidden(GovShareError):
    status_code = 403
    code = "forbidden"


class PayloadTooLarge(GovShareError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMedia(GovShareError):
    status_code = 415
    code = "unsupported_media_type"


class RateLimited(GovShareError):
    status_code = 429
    code = "rate_limited"


class Unavailable(GovShareError):
    """A service the platform depends on (e.g. Redis for shared limits) cannot be reached: the request
    is refused, not let through, and may be retried."""

    status_code = 503
    code = "service_unavailable"


UNSTORABLE = ("a value cannot be stored (a NUL character, a lone surrogate, or a value out of range for its "
              "type)")


class RejectNul:
    """ASGI guard: a URL whose path or query holds a NUL character is refused (422) before any route
    sees it (PostgreSQL cannot even compare such text, SQLite would store it)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and ("\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")):
            body = {"error": {"code": "invalid_input", "message": "NUL characters are not allowed in a URL",
                              "details": [{"field": "url", "reason": "NUL character"}]}}
            await ErrorResponse(body, status_code=422)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Map errors to the JSON error shape once, for every route; refuse NUL in URLs before routing."""
    app.add_middleware(RejectNul)

    @app.exception_handler(GovShareError)
    async def _govshare(_request: Request, exc: GovShareError):
        return ErrorResponse(exc.to_dict(), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError):
        details = [
            {"field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"),
             "reason": err.get("msg", "invalid")}
            for err in exc.errors()
        ]
        body = {"error": {"code": "invalid_input", "message": "request validation failed", "details": details}}
        return ErrorResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden"}.get(
            exc.status_code, "http_error")
        body = {"error": {"code": code, "message": str(exc.detail), "details": None}}
        return ErrorResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(DataError)
    async def _unstorable(_request: Request, exc: DataError):
        # A value the database refuses by its type (PostgreSQL: a NUL character in text): the input's fault.
        log.warning("input the database cannot store: %s", exc.orig.__class__.__name__)
        return ErrorResponse({"error": {"code": "invalid_input", "message": UNSTORABLE, "details": None}},
                             status_code=422)

    @app.exception_handler(UnicodeEncodeError)
    async def _unencodable(request: Request, exc: UnicodeEncodeError):
        # JSON may escape a lone surrogate ("\ud800") into any string; the database driver cannot encode
        # it as UTF-8 (SQLite and PostgreSQL alike): the input's fault, like a NUL above.
        if exc.reason != "surrogates not allowed":
            return await _unexpected(request, exc)
        log.warning("input the database cannot store: a lone surrogate")
        return ErrorResponse({"error": {"code": "invalid_input", "message": UNSTORABLE, "details": None}},
                             status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception):
        log.exception("unhandled error")
        body = {"error": {"code": "internal_error", "message": "internal error", "details": None}}
        return ErrorResponse(body, status_code=500)

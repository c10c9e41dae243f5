from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from govshare.core.database import get_session
from govshare.core.errors import Forbidden, InvalidInput
from govshare.core.pagination import Page, PageParams, page_params
from govshare.core.ratelimit import client_address
from govshare.orgs import service
from govshare.core.config import get_settings
from govshare.orgs.auth import SESSION_COOKIE, current_principal, end_console_session, start_console_session
from govshare.orgs.roles import Role
from govshare.orgs.schemas import (
    ClientCreate, ClientCreated, ClientRead, OrgCreate, OrgRead, TokenResponse, UserCreate, UserRead,
)
from govshare.orgs.service import Principal

oauth_router = APIRouter(tags=["auth"])
router = APIRouter(prefix="/api/v1", tags=["organizations"])


@oauth_router.post("/oauth/token", response_model=TokenResponse)
def token(
    request: Request,
    grant_type: str = Form(...),
    client_id: str = Form(...),
    client_secret: str = Form(...),
    session: Session = Depends(get_session),
):
    """OAuth2 client-credentials grant (RFC 6749 §4.4)."""
    if grant_type != "client_credentials":
        raise InvalidInput("only grant_type=client_credentials is supported", code="unsupported_grant_type",
                           details=[{"field": "grant_type", "reason": "unsupported", "value": grant_type}])
    access_token, ttl, scopes = service.issue_client_token(session, client_id, client_secret,
                                                             client_address(request))
    return TokenResponse(access_token=access_token, expires_in=ttl, scope=" ".join(scopes))


class LoginRequest(BaseModel):
    username: str
    password: str


def set_session_cookie(response: Response, cookie: str) -> None:
    settings = get_settings()
    response.set_cookie(SESSION_COOKIE, cookie, max_age=settings.session_ttl_seconds, httponly=True,
                        secure=settings.secure_cookies, samesite="lax", path="/")


@router.post("/auth/login", tags=["auth"])
def login(data: LoginRequest, request: Request, response: Response, session: Session = Depends(get_session)):
    """Console sign-in: sets an HttpOnly session cookie and returns the CSRF token that unsafe
    requests made with that cookie must send in the X-CSRF-Token header."""
    user = service.authenticate_user(session, data.username, data.password, client_address(request))
    cookie, csrf = start_console_session(session, user)
    set_session_cookie(response, cookie)
    return {"csrf_token": csrf, "user": _user_read(user).model_dump()}


@router.post("/auth/logout", status_code=204, tags=["auth"])
def logout(request: Request, response: Response, session: Session = Depends(get_session),
           _: Principal = Depends(current_principal)):
    end_console_session(session, request.cookies.get(SESSION_COOKIE))
    response.delete_cookie(SESSION_COOKIE, path="/")


def _org_read(org, warnings=()) -> OrgRead:
    return OrgRead.model_validate(org).model_copy(update={"warnings": list(warnings)})


@router.get("/orgs", response_model=Page[OrgRead])
def list_orgs(page: PageParams = Depends(page_params), session: Session = Depends(get_session),
              _: Principal = Depends(current_principal)):
    orgs, total = service.list_orgs(session, page.limit, page.offset)
    return Page(items=[_org_read(o) for o in orgs], total=total, limit=page.limit, offset=page.offset)


@router.post("/orgs", response_model=OrgRead, status_code=201)
def create_org(data: OrgCreate, session: Session = Depends(get_session),
               principal: Principal = Depends(current_principal)):
    if not principal.is_platform_admin:
        raise Forbidden("only the platform operator may register departments", code="not_platform_admin")
    org, warnings = service.create_org(session, data)
    return _org_read(org, warnings)


@router.get("/orgs/{code}", response_model=OrgRead)
def get_org(code: str, session: Session = Depends(get_session), _: Principal = Depends(current_principal)):
    return _org_read(service.get_org_by_code(session, code))


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(data: UserCreate, session: Session = Depends(get_session),
                principal: Principal = Depends(current_principal)):
    org = service.get_org_by_code(session, data.org_code)
    service.require_org_admin_of(principal, org.id)
    if Role.platform_admin in data.roles and not principal.is_platform_admin:
        raise Forbidden("only a platform administrator may create another", code="not_platform_admin")
    user = service.create_user(session, data)
    return _user_read(user)


def _user_read(user) -> UserRead:
    return UserRead(id=user.id, username=user.username, display_name=user.display_name, org_id=user.org_id,
                    roles=sorted(user.roles), is_active=user.is_active)


@router.get("/me")
def me(principal: Principal = Depends(current_principal)):
    return {"kind": principal.kind, "id": principal.id, "name": principal.name, "org_id": principal.org_id,
            "org_code": principal.org_code, "roles": sorted(principal.roles), "scopes": sorted(principal.scopes)}


@router.get("/clients", response_model=list[ClientRead])
def list_clients(session: Session = Depends(get_session), principal: Principal = Depends(current_principal)):
    return service.list_clients(session, principal.org_id)


@router.post("/clients", response_model=ClientCreated, status_code=201)
def create_client(data: ClientCreate, session: Session = Depends(get_session),
                  principal: Principal = Depends(current_principal)):
    org = service.get_org_by_code(session, data.org_code) if data.org_code else service.get_org(session, principal.org_id)
    service.require_org_admin_of(principal, org.id)
    client, secret = service.create_client(session, data, org)
    return ClientCreated(**ClientRead.model_validate(client).model_dump(), client_secret=secret)


@router.post("/clients/{client_pk}/rotate-secret", response_model=ClientCreated)
def rotate_secret(client_pk: str, session: Session = Depends(get_session),
                  principal: Principal = Depends(current_principal)):
    client = service.get_client(session, client_pk, principal)
    service.require_org_admin_of(principal, client.org_id)
    secret = service.rotate_client_secret(session, client)
    return ClientCreated(**ClientRead.model_validate(client).model_dump(), client_secret=secret)


@router.delete("/clients/{client_pk}", status_code=204)
def revoke_client(client_pk: str, session: Session = Depends(get_session),
                  principal: Principal = Depends(current_principal)):
    client = service.get_client(session, client_pk, principal)
    service.require_org_admin_of(principal, client.org_id)
    service.revoke_client(session, client)

"""Departments, users, separation of duties, API clients and the OAuth2 token endpoint."""

from __future__ import annotations

import time

import jwt
import pytest

from govshare.core.database import session_scope
from govshare.core.errors import InvalidInput
from govshare.orgs import service
from govshare.orgs.schemas import OrgCreate, UserCreate
from tests.conftest import make_uscc


def test_org_with_valid_code_has_no_warning(platform):
    with session_scope() as session:
        org, warnings = service.create_org(session, OrgCreate(
            code=make_uscc(), name="舟山市民政局", region_code="330900", level="city"))
        assert warnings == [] and org.code_check_failed is False


def test_org_with_failing_check_digit_is_accepted_with_warning(platform):
    code = make_uscc(valid=False)
    with session_scope() as session:
        org, warnings = service.create_org(session, OrgCreate(
            code=code, name="早期代码单位", region_code="330900", level="city"))
        assert org.code_check_failed is True
        assert warnings and "GB 32100" in warnings[0]


@pytest.mark.parametrize("region", ["999999", "330999", "110100"])
def test_org_with_unknown_region_is_rejected(platform, region):
    with session_scope() as session, pytest.raises(InvalidInput) as err:
        service.create_org(session, OrgCreate(code=make_uscc(), name="某单位", region_code=region, level="city"))
    assert err.value.details[0]["field"] == "region_code"


def test_api_registers_org_only_for_platform_admin(platform, client):
    operator = platform.org()
    admin = platform.user(operator, ["platform_admin"])
    body = {"code": make_uscc(), "name": "舟山市卫生健康委员会", "region_code": "330900", "level": "city"}
    # An API client is never a platform admin.
    resp = client.post("/api/v1/orgs", json=body, headers=platform.headers(operator, ["catalog:write"]))
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "not_platform_admin"
    # A platform admin signed in to the console may (session cookie + CSRF header).
    login = client.post("/api/v1/auth/login", json={"username": admin["username"], "password": admin["password"]})
    assert login.status_code == 200, login.text
    csrf = login.json()["csrf_token"]
    resp = client.post("/api/v1/orgs", json=body)
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "csrf_failed"
    resp = client.post("/api/v1/orgs", json=body, headers={"X-CSRF-Token": csrf})
    assert resp.status_code == 201, resp.text
    assert resp.json()["code"] == body["code"]
    resp = client.post("/api/v1/orgs", json=body, headers={"X-CSRF-Token": csrf})
    assert resp.status_code == 409


@pytest.mark.parametrize("roles", [
    ["platform_admin", "auditor"], ["org_admin", "security_officer"], ["security_officer", "auditor"],
    ["platform_admin", "security_officer", "auditor"],
])
def test_separation_of_duties_refuses_two_duties(platform, roles):
    org = platform.org()
    with session_scope() as session, pytest.raises(InvalidInput) as err:
        service.create_user(session, UserCreate(username="sod_" + "_".join(roles)[:40], display_name="x",
                                                org_code=org["code"], password="long enough pw", roles=roles))
    assert err.value.code == "separation_of_duties"


def test_separation_of_duties_on_role_grant(platform):
    org = platform.org()
    user = platform.user(org, ["auditor", "consumer"])
    from govshare.orgs.roles import Role
    with session_scope() as session:
        with pytest.raises(InvalidInput):
            service.grant_role(session, user["id"], Role.org_admin)
        assert service.grant_role(session, user["id"], Role.approver).roles == {"auditor", "consumer", "approver"}


def test_business_roles_combine_with_one_duty(platform):
    org = platform.org()
    user = platform.user(org, ["org_admin", "approver", "consumer"])
    assert user["id"]


def test_passwords_are_stored_as_argon2(platform):
    org = platform.org()
    user = platform.user(org, ["consumer"], password="s3cret password")
    from govshare.orgs.models import User
    with session_scope() as session:
        stored = session.get(User, user["id"]).password_hash
    assert stored.startswith("$argon2id$") and "s3cret" not in stored


def test_the_default_hashing_cost_is_rfc_9106s(monkeypatch):
    from govshare.core.config import Settings
    from govshare.core.security import hash_secret
    monkeypatch.delenv("GOVSHARE_PASSWORD_HASH_MEMORY_KIB")
    monkeypatch.delenv("GOVSHARE_PASSWORD_HASH_TIME_COST")
    monkeypatch.setattr("govshare.core.security.get_settings", Settings)
    stored = hash_secret("s3cret password")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$"), stored


def test_a_password_hashed_at_another_cost_verifies_and_moves_to_the_configured_one(platform, client, monkeypatch):
    from govshare.core.config import get_settings
    from govshare.core.security import needs_rehash
    from govshare.orgs.models import User
    org = platform.org()
    monkeypatch.setattr(get_settings(), "password_hash_memory_kib", 2048)  # an older, different cost
    user = platform.user(org, ["consumer"], password="s3cret password")
    monkeypatch.undo()
    with session_scope() as session:
        before = session.get(User, user["id"]).password_hash
    assert "$m=2048," in before and needs_rehash(before)
    wrong = client.post("/api/v1/auth/login", json={"username": user["username"], "password": "not it"})
    assert wrong.status_code == 401
    with session_scope() as session:
        assert session.get(User, user["id"]).password_hash == before  # a wrong password changes nothing
    ok = client.post("/api/v1/auth/login", json={"username": user["username"], "password": "s3cret password"})
    assert ok.status_code == 200, ok.text
    with session_scope() as session:
        after = session.get(User, user["id"]).password_hash
    assert after != before and not needs_rehash(after) and f"$m={get_settings().password_hash_memory_kib}," in after
    again = client.post("/api/v1/auth/login", json={"username": user["username"], "password": "s3cret password"})
    assert again.status_code == 200


def test_client_credentials_token(platform, client):
    org = platform.org()
    api_client = platform.api_client(org, ["data:read"])
    resp = client.post("/oauth/token", data={"grant_type": "client_credentials", **{
        k: api_client[k] for k in ("client_id", "client_secret")}})
    assert resp.status_code == 200
    body = resp.json()
    assert body["token_type"] == "bearer" and 0 < body["expires_in"] <= 3600
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["org"] == org["id"] and claims["cid"] == api_client["client_id"]
    assert claims["exp"] - claims["iat"] == body["expires_in"]
    me = client.get("/api/v1/me", headers={"Authorization": "Bearer " + body["access_token"]})
    assert me.status_code == 200 and me.json()["org_code"] == org["code"] and me.json()["kind"] == "client"


@pytest.mark.parametrize("form,code", [
    ({"grant_type": "password"}, "unsupported_grant_type"),
    ({"client_secret": "wrong"}, "invalid_client"),
    ({"client_id": "gs_unknown"}, "invalid_client"),
])
def test_token_endpoint_rejects_bad_credentials(platform, client, form, code):
    org = platform.org()
    api_client = platform.api_client(org, ["data:read"])
    data = {"grant_type": "client_credentials", "client_id": api_client["client_id"],
            "client_secret": api_client["client_secret"], **form}
    resp = client.post("/oauth/token", data=data)
    assert resp.status_code in (401, 422)
    assert resp.json()["error"]["code"] == code


def test_client_secrets_are_stored_as_sha256_and_older_argon2_ones_move_to_it(platform, client):
    """A client secret is 256 random bits: stored as its SHA-256, not argon2 (no guessing to slow down,
    and ~0.2 s of CPU per token request saved). Secrets hashed with argon2 before still work, once, and
    are stored as SHA-256 from then on; a wrong secret changes nothing."""
    import hashlib

    from govshare.core.security import hash_secret
    from govshare.orgs.models import ApiClient
    org = platform.org()
    api_client = platform.api_client(org, ["data:read"])
    secret = api_client["client_secret"]
    form = {"grant_type": "client_credentials", "client_id": api_client["client_id"]}
    with session_scope() as session:
        row = session.get(ApiClient, api_client["id"])
        assert row.secret_hash == "sha256$" + hashlib.sha256(secret.encode()).hexdigest()
        row.secret_hash = hash_secret(secret)  # as an earlier version stored it
    assert client.post("/oauth/token", data={**form, "client_secret": secret + "x"}).status_code == 401
    with session_scope() as session:
        assert session.get(ApiClient, api_client["id"]).secret_hash.startswith("$argon2id$")
    assert client.post("/oauth/token", data={**form, "client_secret": secret}).status_code == 200
    with session_scope() as session:
        assert session.get(ApiClient, api_client["id"]).secret_hash.startswith("sha256$")
    for presented, status in ((secret, 200), (secret[:-1], 401), ("", 422), ("sha256$" + secret, 401)):
        assert client.post("/oauth/token", data={**form, "client_secret": presented}).status_code == status


def test_client_secret_is_hashed_and_rotation_invalidates_old_secret(platform, client):
    org = platform.org()
    admin = platform.user(org, ["org_admin"])
    login = client.post("/api/v1/auth/login", json={"username": admin["username"], "password": admin["password"]})
    csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
    created = client.post("/api/v1/clients", json={"name": "公积金审批系统", "scopes": ["data:read"]}, headers=csrf)
    assert created.status_code == 201, created.text
    first = created.json()
    from govshare.orgs.models import ApiClient
    with session_scope() as session:
        assert first["client_secret"] not in session.get(ApiClient, first["id"]).secret_hash
    listed = client.get("/api/v1/clients").json()
    assert all("client_secret" not in c for c in listed)
    rotated = client.post(f"/api/v1/clients/{first['id']}/rotate-secret", headers=csrf).json()
    old = client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": first["client_id"],
                                            "client_secret": first["client_secret"]})
    assert old.status_code == 401
    new = client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": first["client_id"],
                                            "client_secret": rotated["client_secret"]})
    assert new.status_code == 200
    assert client.delete(f"/api/v1/clients/{first['id']}", headers=csrf).status_code == 204
    revoked = client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": first["client_id"],
                                                "client_secret": rotated["client_secret"]})
    assert revoked.status_code == 401


def test_consumer_cannot_create_clients(platform, client):
    org = platform.org()
    user = platform.user(org, ["consumer"])
    login = client.post("/api/v1/auth/login", json={"username": user["username"], "password": user["password"]})
    resp = client.post("/api/v1/clients", json={"name": "x"}, headers={"X-CSRF-Token": login.json()["csrf_token"]})
    assert resp.status_code == 403


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Basic abc", "Bearer "])
def test_invalid_tokens_are_401(client, header):
    resp = client.get("/api/v1/me", headers={"Authorization": header})
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] in ("invalid_token", "unauthenticated")


def test_expired_and_forged_tokens_are_401(platform, client):
    from govshare.core.security import issue_token
    org = platform.org()
    claims = {"org": org["id"], "org_code": org["code"], "cid": "x", "typ": "client", "scope": "data:read"}
    expired, _ = issue_token("client:x", claims, ttl_seconds=1)
    time.sleep(1.1)
    resp = client.get("/api/v1/me", headers={"Authorization": "Bearer " + expired})
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "token_expired"
    forged = jwt.encode({"sub": "client:x", "iat": int(time.time()), "exp": int(time.time()) + 60,
                         "iss": "govshare", **claims}, "another-secret-that-is-long-enough-for-hs256", algorithm="HS256")
    resp = client.get("/api/v1/me", headers={"Authorization": "Bearer " + forged})
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "invalid_token"


def test_no_credentials_is_401(client):
    resp = client.get("/api/v1/catalog/entries")
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "unauthenticated"


def test_login_rejects_wrong_password_and_logout_ends_session(platform, client):
    org = platform.org()
    user = platform.user(org, ["consumer"])
    bad = client.post("/api/v1/auth/login", json={"username": user["username"], "password": "wrong password"})
    assert bad.status_code == 401
    ok = client.post("/api/v1/auth/login", json={"username": user["username"], "password": user["password"]})
    assert ok.status_code == 200
    cookie = ok.cookies.get("gs_session") or client.cookies.get("gs_session")
    assert cookie
    assert client.get("/api/v1/me").status_code == 200
    out = client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": ok.json()["csrf_token"]})
    assert out.status_code == 204
    client.cookies.set("gs_session", cookie)  # replaying the old cookie must not work
    assert client.get("/api/v1/me").status_code == 401


def test_a_lone_surrogate_username_is_refused_not_a_server_error(client):
    """JSON may escape a lone surrogate; no database can store or compare it as UTF-8."""
    resp = client.post("/api/v1/auth/login", content=b'{"username": "\\ud800admin", "password": "p"}',
                       headers={"content-type": "application/json"})
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"]["code"] == "invalid_input" and "lone surrogate" in resp.json()["error"]["message"]

"""Console sign-in and sign-out, redirects for signed-out visitors, CSRF on forms, no open redirects."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from govshare.core.config import get_settings
from govshare.orgs.auth import SESSION_COOKIE
from govshare.web.console import safe_next
from tests.web.conftest import csrf_from, sign_in, text_of


@pytest.fixture()
def user(platform):
    org = platform.org()
    return platform.user(org, ["consumer"])


def test_signed_out_visitors_are_sent_to_login(client):
    client.cookies.clear()
    resp = client.get("/", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/login"
    resp = client.get("/catalog?q=婚姻", follow_redirects=False)
    assert resp.status_code == 303
    location = urlsplit(resp.headers["location"])
    assert location.path == "/login" and unquote(parse_qs(location.query)["next"][0]) == "/catalog?q=婚姻"
    resp = client.get("/catalog/e123", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login?next=")
    page = client.get("/catalog")  # followed: the login page
    assert page.status_code == 200 and "登录" in text_of(page.text)


def test_login_success_sets_the_api_session_cookie_and_redirects(client, user):
    client.cookies.clear()
    resp = sign_in(client, user)
    assert resp.headers["location"] == "/"  # the home page sends each role to its start page
    set_cookie = resp.headers["set-cookie"]
    assert f"{SESSION_COOKIE}=" in set_cookie and "HttpOnly" in set_cookie and "samesite=lax" in set_cookie.lower()
    assert f"Max-Age={get_settings().session_ttl_seconds}" in set_cookie
    page = client.get("/catalog")
    assert page.status_code == 200 and "测试用户" in page.text
    assert page.headers["cache-control"] == "no-store"
    # The console cookie is the same session the API accepts.
    me = client.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["id"] == user["id"]
    # Signed in, / goes to the dashboard and /login to the catalog.
    assert client.get("/", follow_redirects=False).headers["location"] == "/dashboard"
    assert client.get("/login", follow_redirects=False).headers["location"] == "/catalog"


def test_login_returns_to_the_page_asked_for(client, user):
    client.cookies.clear()
    resp = sign_in(client, user, next_url="/catalog?share_type=conditional")
    assert resp.headers["location"] == "/catalog?share_type=conditional"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example",
                                    "javascript:alert(1)", "http:/evil.example", "/%0d%0aSet-Cookie:x=1"])
def test_no_open_redirect_after_login(client, user, target):
    client.cookies.clear()
    form = client.get("/login", params={"next": target})
    resp = client.post("/login", data={"username": user["username"], "password": user["password"],
                                       "csrf_token": csrf_from(form.text), "next": target}, follow_redirects=False)
    assert resp.status_code == 303
    location = resp.headers["location"]
    assert location == target if target.startswith("/%0d") else location == "/"
    assert "\n" not in location and "\r" not in location


def test_safe_next():
    assert safe_next("/catalog?q=婚姻") == "/catalog?q=婚姻"
    for bad in ("//x.example", "/\\x.example", "https://x.example", "catalog", "", None, "/a\nb", "\\\\x"):
        assert safe_next(bad) is None, bad


def test_login_failure_rerenders_with_the_error_next_to_the_field(client, user):
    client.cookies.clear()
    form = client.get("/login")
    resp = client.post("/login", data={"username": user["username"], "password": "wrong password",
                                       "csrf_token": csrf_from(form.text)}, follow_redirects=False)
    assert resp.status_code == 401
    assert SESSION_COOKIE not in resp.headers.get("set-cookie", "")
    page = resp.text
    assert "用户名或密码错误" in page
    # The error sits with the password field and is tied to it for screen readers.
    assert 'id="password-error"' in page and 'aria-describedby="password-error"' in page
    assert f'value="{user["username"]}"' in page  # the username is kept
    assert "wrong password" not in page  # the password is not echoed
    empty = client.post("/login", data={"username": "", "password": "", "csrf_token": csrf_from(page)})
    assert empty.status_code == 422 and "请输入用户名" in empty.text and "请输入密码" in empty.text
    assert client.get("/catalog", follow_redirects=False).status_code == 303


def test_login_form_needs_its_token(client, user):
    client.cookies.clear()
    resp = client.post("/login", data={"username": user["username"], "password": user["password"]},
                       follow_redirects=False)
    assert resp.status_code == 403 and "text/html" in resp.headers["content-type"]
    assert SESSION_COOKIE not in resp.headers.get("set-cookie", "")
    client.get("/login")
    resp = client.post("/login", data={"username": user["username"], "password": user["password"],
                                       "csrf_token": "forged"}, follow_redirects=False)
    assert resp.status_code == 403


def test_logout_needs_csrf_then_ends_the_session(client, user):
    client.cookies.clear()
    sign_in(client, user)
    page = client.get("/catalog")
    token = csrf_from(page.text)
    refused = client.post("/logout", data={}, follow_redirects=False)
    assert refused.status_code == 403 and "表单已过期" in refused.text
    assert client.get("/catalog", follow_redirects=False).status_code == 200  # still signed in
    resp = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/login"
    after = client.get("/login")
    assert "您已退出登录" in text_of(after.text)  # the flash message, shown once
    assert "您已退出登录" not in text_of(client.get("/login").text)
    assert client.get("/catalog", follow_redirects=False).status_code == 303


def test_old_session_cookie_is_dead_after_logout(client, user):
    client.cookies.clear()
    sign_in(client, user)
    cookie = client.cookies.get(SESSION_COOKIE)
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/catalog").text)})
    client.cookies.set(SESSION_COOKIE, cookie)
    assert client.get("/catalog", follow_redirects=False).status_code == 303


def test_security_headers(client, user):
    client.cookies.clear()
    page = client.get("/login")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in page.text and " style=" not in page.text  # nothing inline: CSP forbids it


def test_static_files_are_served_locally(client):
    page = client.get("/login").text
    for asset in ("console.css", "console.js"):
        assert f"/static/{asset}?v=" in page
        resp = client.get(f"/static/{asset}")
        assert resp.status_code == 200 and len(resp.content) > 500
    assert "http://" not in page and "https://" not in page  # no CDN: the platform may be offline


def test_forged_flash_cookie_is_ignored(client):
    import base64
    import json
    client.cookies.clear()
    payload = base64.urlsafe_b64encode(json.dumps(
        [{"kind": "error", "msgid": "Your account was locked", "args": {}}]).encode()).decode()
    client.cookies.set("gs_flash", payload + ".0123456789abcdef0123456789abcdef")
    assert "Your account was locked" not in client.get("/login").text


def test_favicon_is_served(client):
    resp = client.get("/favicon.ico")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("image/svg+xml")
    assert client.get("/static/favicon.svg").status_code == 200

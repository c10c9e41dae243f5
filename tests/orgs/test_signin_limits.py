"""Failed sign-ins are limited per account and per address (GB/T 22239-2019 8.1.4.1 b), for console
users (API and console form) and API clients (OAuth2 token endpoint) alike."""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi.testclient import TestClient

from govshare.core.config import get_settings


def _address() -> tuple[str, int]:
    """A client address of the test's own, so that no other test's failures count against it."""
    n = uuid.uuid4().int
    return f"10.{n % 250}.{n // 250 % 250}.{n // 62500 % 250 + 1}", 40000


@pytest.fixture()
def http(app):
    with TestClient(app, client=_address()) as client:
        yield client


def _login(http, username: str, password: str):
    return http.post("/api/v1/auth/login", json={"username": username, "password": password})


def test_an_account_is_locked_after_its_failures_even_for_the_right_password(platform, http, app):
    org = platform.org()
    user, other = platform.user(org, ["consumer"]), platform.user(org, ["consumer"])
    limit = get_settings().signin_max_failures
    assert [_login(http, user["username"], "wrong password").status_code for _ in range(limit)] == [401] * limit
    locked = _login(http, user["username"], user["password"])
    assert locked.status_code == 429
    error = locked.json()["error"]
    assert error["code"] == "signin_locked" and 0 < error["details"]["retry_after"] <= 15 * 60
    assert locked.headers["Retry-After"] == str(error["details"]["retry_after"])
    assert "wrong password" not in locked.text and user["password"] not in locked.text
    # Locked from every address; other accounts are not.
    with TestClient(app, client=_address()) as elsewhere:
        assert _login(elsewhere, user["username"], user["password"]).status_code == 429
    assert _login(http, other["username"], other["password"]).status_code == 200


def test_the_right_password_forgets_the_accounts_failures(platform, http):
    user = platform.user(platform.org(), ["consumer"])
    limit = get_settings().signin_max_failures
    for _ in range(2):
        assert {_login(http, user["username"], "wrong").status_code for _ in range(limit - 1)} == {401}
        assert _login(http, user["username"], user["password"]).status_code == 200


def test_unknown_usernames_are_counted_too(http):
    name = "nobody_" + uuid.uuid4().hex[:8]
    codes = [_login(http, name, "guess").json()["error"]["code"] for _ in range(get_settings().signin_max_failures + 1)]
    assert codes == ["invalid_credentials"] * get_settings().signin_max_failures + ["signin_locked"]


def test_a_lock_is_logged_once_naming_only_real_accounts(platform, http, caplog):
    user = platform.user(platform.org(), ["consumer"])
    unknown = "s3cret-typed-into-username"
    limit = get_settings().signin_max_failures
    with caplog.at_level("WARNING", logger="govshare.signin"):
        for name in (user["username"], unknown):
            for _ in range(limit + 2):
                _login(http, name, "wrong password")
    locks = [r.getMessage() for r in caplog.records if r.name == "govshare.signin"]
    assert len(locks) == 2, locks
    assert user["username"] in locks[0] and "15 minutes after 5 failures" in locks[0]
    assert "an unknown username" in locks[1] and unknown not in locks[1]
    assert not any("wrong password" in line for line in locks)


def test_one_address_trying_many_accounts_is_locked(platform, app, monkeypatch):
    monkeypatch.setattr(get_settings(), "signin_max_failures_per_address", 3)
    user = platform.user(platform.org(), ["consumer"])
    with TestClient(app, client=_address()) as http, TestClient(app, client=_address()) as elsewhere:
        for i in range(3):
            assert _login(http, f"someone_{uuid.uuid4().hex[:8]}", "guess").status_code == 401
        locked = _login(http, user["username"], user["password"])
        assert locked.status_code == 429 and locked.json()["error"]["code"] == "signin_locked"
        token = http.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": "gs_x",
                                                "client_secret": "y"})
        assert token.status_code == 429  # the same address, whatever it signs in as
        assert _login(elsewhere, user["username"], user["password"]).status_code == 200  # the account is fine


def test_an_api_client_is_locked_after_wrong_secrets(platform, http):
    api_client = platform.api_client(platform.org(), ["data:read"])
    form = {"grant_type": "client_credentials", "client_id": api_client["client_id"], "client_secret": "wrong"}
    limit = get_settings().signin_max_failures
    assert [http.post("/oauth/token", data=form).status_code for _ in range(limit)] == [401] * limit
    locked = http.post("/oauth/token", data={**form, "client_secret": api_client["client_secret"]})
    assert locked.status_code == 429 and locked.json()["error"]["code"] == "signin_locked"
    assert int(locked.headers["Retry-After"]) > 0


@pytest.mark.parametrize("lang,message", [("zh", "登录失败次数过多，请 15 分钟后再试。"),
                                          ("en", "Too many failed sign-ins. Try again in 15 minutes.")])
def test_the_console_form_says_when_to_try_again(platform, app, lang, message):
    user = platform.user(platform.org(), ["consumer"])
    with TestClient(app, client=_address(), cookies={"gs_lang": lang}) as http:
        for attempt in range(get_settings().signin_max_failures + 1):
            form = http.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
            password = user["password"] if attempt == get_settings().signin_max_failures else "wrong"
            resp = http.post("/login", data={"username": user["username"], "password": password, "csrf_token": token},
                             follow_redirects=False)
        assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 0
        shown = " ".join(resp.text.split())
        # 15 minutes unless the window's end is nearer (a fixed window: it started at a multiple of 15 min)
        assert re.search(message.replace("15", r"\d+").replace(".", r"\.").replace(" ", r"\s*"), shown), shown[-3000:]
        assert http.get("/catalog", follow_redirects=False).status_code in (302, 303)  # not signed in


def test_a_locked_accounts_further_attempts_do_not_count_against_its_address(platform, http, monkeypatch):
    """A client retrying a wrong secret, or a user a wrong password, cannot lock out the office it shares
    an address with."""
    limit = get_settings().signin_max_failures
    monkeypatch.setattr(get_settings(), "signin_max_failures_per_address", limit + 2)
    org = platform.org()
    user, colleague = platform.user(org, ["consumer"]), platform.user(org, ["consumer"])
    assert {_login(http, user["username"], "wrong").status_code for _ in range(limit)} == {401}
    assert {_login(http, user["username"], "wrong").status_code for _ in range(20)} == {429}
    assert _login(http, colleague["username"], colleague["password"]).status_code == 200


@pytest.mark.parametrize("lang,message", [("zh", "登录暂时不可用，请稍后再试。"),
                                          ("en", "Sign-in is unavailable just now. Try again shortly.")])
def test_sign_in_is_refused_while_the_shared_counters_are_unreachable(platform, app, monkeypatch, lang, message):
    """Without its counters the platform cannot tell a guesser from the user: it refuses every sign-in,
    clearly (503, Retry-After), rather than letting unlimited guesses through or answering 500."""
    from govshare.core.config import reset_settings
    from tests.conftest import free_port

    org = platform.org()
    user, api_client = platform.user(org, ["consumer"]), platform.api_client(org, ["data:read"])
    token_form = {"grant_type": "client_credentials", "client_id": api_client["client_id"],
                  "client_secret": api_client["client_secret"]}
    with TestClient(app, client=_address(), cookies={"gs_lang": lang}) as http:
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/login").text).group(1)
        monkeypatch.setenv("GOVSHARE_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
        reset_settings()
        try:
            refused = [_login(http, user["username"], user["password"]), http.post("/oauth/token", data=token_form),
                       http.post("/login", data={"username": user["username"], "password": user["password"],
                                                 "csrf_token": csrf}, follow_redirects=False)]
        finally:
            monkeypatch.delenv("GOVSHARE_REDIS_URL")
            reset_settings()
        assert [r.status_code for r in refused] == [503, 503, 503]
        assert {r.headers["Retry-After"] for r in refused} == {"5"}
        assert [r.json()["error"]["code"] for r in refused[:2]] == ["service_unavailable"] * 2
        assert message in " ".join(refused[2].text.split())
        assert http.get("/catalog", follow_redirects=False).status_code in (302, 303)  # not signed in
        assert _login(http, user["username"], user["password"]).status_code == 200  # back once they are

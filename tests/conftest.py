"""Test fixtures: a real database (SQLite by default, PostgreSQL with GOVSHARE_DATABASE_URL), a real
application, and factories that go through the service layer."""

from __future__ import annotations

import os
import random
import shutil
import socket
import string
import tempfile
from pathlib import Path

import pytest

# Settings are read from the environment once; fix the data dir and secret before importing govshare.
_DATA_DIR = Path(tempfile.mkdtemp(prefix="govshare-test-"))
os.environ["GOVSHARE_DATA_DIR"] = str(_DATA_DIR)
os.environ.setdefault("GOVSHARE_SECRET_KEY", "test-secret-key-" + "x" * 32)
# argon2id at its cheapest allowed cost (~1 ms, not ~0.2 s): the suite signs in and issues tokens a few
# thousand times. tests/orgs holds the production default to RFC 9106's parameters.
os.environ.setdefault("GOVSHARE_PASSWORD_HASH_MEMORY_KIB", "1024")
os.environ.setdefault("GOVSHARE_PASSWORD_HASH_TIME_COST", "1")
# Every test client signs in from the same address: the suite's wrong passwords would add up to a lock.
# tests/orgs/test_signin_limits.py lowers it again to test it.
os.environ.setdefault("GOVSHARE_SIGNIN_MAX_FAILURES_PER_ADDRESS", "100000")

from fastapi.testclient import TestClient  # noqa: E402

from govshare.core.checkdigits import id_number_check_char, uscc_check_char  # noqa: E402
from govshare.core.config import reset_settings  # noqa: E402
from govshare.core.database import dispose_engines, get_engine, session_scope  # noqa: E402

REQUIRE_SERVICES = os.environ.get("GOVSHARE_REQUIRE_SERVICES") == "1"


def require_service(name: str, host: str, port: int) -> None:
    """Skip when a service is absent, except in CI (GOVSHARE_REQUIRE_SERVICES=1), where it fails."""
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as exc:
        message = f"{name} is not reachable at {host}:{port} ({exc})"
        if REQUIRE_SERVICES:
            pytest.fail(message + " and GOVSHARE_REQUIRE_SERVICES=1")
        pytest.skip(message)


def _reset_schema() -> None:
    """Drop everything the platform created (including per-entry data tables), then migrate."""
    from govshare.core.migrate import upgrade_to_head
    from govshare.models import drop_everything

    with get_engine().begin() as conn:
        drop_everything(conn)
    upgrade_to_head()


@pytest.fixture(scope="session", autouse=True)
def database():
    reset_settings()
    dispose_engines()
    if get_engine().dialect.name == "postgresql":
        require_service("PostgreSQL", "127.0.0.1", 5432)
    _reset_schema()
    yield get_engine()
    dispose_engines()
    shutil.rmtree(_DATA_DIR, ignore_errors=True)  # the session's SQLite database, keys and spool


@pytest.fixture()
def clean_db(database):
    """An empty platform for tests that count rows or depend on what else exists."""
    _reset_schema()
    yield database


@pytest.fixture(scope="session")
def app():
    from govshare.app import create_app
    return create_app()


@pytest.fixture()
def client(app):
    with TestClient(app) as test_client:
        yield test_client


# ---- factories ------------------------------------------------------------------------------

_rng = random.Random()


def make_uscc(valid: bool = True) -> str:
    body = "11" + "330900" + "".join(_rng.choices(string.digits + "ABCDEFGHJKLMNPQRTUWXY", k=9))
    check = uscc_check_char(body)
    if not valid:
        alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        check = alphabet[(alphabet.index(check) + 1) % len(alphabet)]
    return body + check


def make_id_number(region: str = "330902", birth: str = "19800101", seq: int | None = None) -> str:
    seq = _rng.randint(0, 999) if seq is None else seq
    first17 = f"{region}{birth}{seq:03d}"
    return first17 + id_number_check_char(first17)


def _unique(prefix: str) -> str:
    return prefix + "".join(_rng.choices(string.ascii_lowercase + string.digits, k=8))


class Platform:
    """Service-layer helpers to set up departments, users and clients, and to call the API."""

    def __init__(self, http: TestClient):
        self.http = http

    def org(self, name: str | None = None, level: str = "city", region: str = "330900", **extra) -> dict:
        from govshare.orgs import service
        from govshare.orgs.schemas import OrgCreate
        with session_scope() as session:
            org, _ = service.create_org(session, OrgCreate(
                code=extra.pop("code", make_uscc()), name=name or _unique("测试部门"), region_code=region,
                level=level, short_name=extra.pop("short_name", _unique("org")), **extra))
            return {"id": org.id, "code": org.code, "name": org.name, "short_name": org.short_name}

    def user(self, org: dict, roles: list[str], password: str = "correct horse battery") -> dict:
        from govshare.orgs import service
        from govshare.orgs.schemas import UserCreate
        with session_scope() as session:
            user = service.create_user(session, UserCreate(
                username=_unique("u"), display_name="测试用户", org_code=org["code"], password=password,
                roles=roles))
            return {"id": user.id, "username": user.username, "password": password}

    def api_client(self, org: dict, scopes: list[str]) -> dict:
        from govshare.orgs import service
        from govshare.orgs.schemas import ClientCreate
        with session_scope() as session:
            client, secret = service.create_client(
                session, ClientCreate(name="test", scopes=scopes), service.get_org(session, org["id"]))
            return {"client_id": client.client_id, "client_secret": secret, "id": client.id}

    def token(self, api_client: dict) -> str:
        resp = self.http.post("/oauth/token", data={
            "grant_type": "client_credentials", "client_id": api_client["client_id"],
            "client_secret": api_client["client_secret"]})
        assert resp.status_code == 200, resp.text
        return resp.json()["access_token"]

    def headers(self, org: dict, scopes: list[str]) -> dict:
        return {"Authorization": "Bearer " + self.token(self.api_client(org, scopes))}

    def provider(self) -> tuple[dict, dict]:
        """A department with a client that may write its catalog and load its data."""
        org = self.org()
        return org, self.headers(org, ["catalog:write", "data:write", "data:read"])

    def entry(self, headers: dict, publish: bool = True, **overrides) -> dict:
        body = entry_body(**overrides)
        resp = self.http.post("/api/v1/catalog/entries", json=body, headers=headers)
        assert resp.status_code == 201, resp.text
        entry = resp.json()
        if publish:
            resp = self.http.post(f"/api/v1/catalog/entries/{entry['id']}/publish", headers=headers)
            assert resp.status_code == 200, resp.text
            entry = resp.json()
        return entry


def person_items() -> list[dict]:
    return [
        {"name": "id_number", "label": "公民身份号码", "data_type": "C", "length": 18, "is_key": True,
         "sensitivity": "important", "pi_kind": "id_number"},
        {"name": "name", "label": "姓名", "data_type": "C", "length": 50, "required": True, "pi_kind": "name"},
        {"name": "birth_date", "label": "出生日期", "data_type": "D"},
        {"name": "mobile", "label": "联系电话", "data_type": "C", "length": 11, "pi_kind": "mobile"},
        {"name": "children", "label": "子女数", "data_type": "I"},
        {"name": "income", "label": "年收入", "data_type": "Y", "precision": 2},
        {"name": "married", "label": "是否已婚", "data_type": "L"},
    ]


def entry_body(**overrides) -> dict:
    body = {
        "name": "婚姻登记信息", "summary": "本市婚姻登记机关办理的结婚、离婚登记信息", "category": "department",
        "class_path": ["民政", "婚姻", "婚姻登记"], "format": "database", "share_type": "conditional",
        "share_condition": "仅限办理住房公积金提取业务使用", "share_methods": ["api", "batch"],
        "open_type": "closed", "update_cycle": "daily", "items": person_items(),
    }
    body.update(overrides)
    return body


@pytest.fixture()
def platform(client) -> Platform:
    return Platform(client)


# ---- a real server ----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(database):
    """The platform served by a real uvicorn process on loopback, on the tests' database and data dir:
    for clients that speak real HTTP (ckanapi, the browser). Yields its base URL."""
    import subprocess
    import sys
    import time

    import httpx

    from govshare.core.config import get_settings

    settings = get_settings()
    port = free_port()
    env = {**os.environ, "GOVSHARE_DATA_DIR": str(settings.data_dir), "GOVSHARE_SECRET_KEY": settings.resolved_secret_key(),
           "GOVSHARE_DATABASE_URL": settings.resolved_database_url, "GOVSHARE_SCHEDULER": "0"}
    # The server's log (tracebacks of a 500 included) goes to a file in the data dir, read when it fails.
    log_path = Path(settings.data_dir) / f"live-server-{port}.log"
    log = log_path.open("wb")
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "govshare.app:create_app", "--factory",
                               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"], env=env,
                              stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if server.poll() is not None:
                raise RuntimeError("uvicorn exited: " + log_path.read_text(errors="replace")[-2000:])
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError("uvicorn did not answer /healthz in 30 s")
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()

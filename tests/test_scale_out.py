"""Several `govshare serve` processes share one database: a token issued by one is accepted by the
other, a console session started on one is valid on the other, data loaded through one is seen by the
other. Real processes on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from govshare.core.config import get_settings
from tests.mounting.conftest import person_rows, to_csv


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def two_servers():
    settings = get_settings()
    env = {**os.environ, "GOVSHARE_DATA_DIR": str(settings.data_dir),
           "GOVSHARE_DATABASE_URL": settings.resolved_database_url, "GOVSHARE_LOG_LEVEL": "WARNING"}
    ports = [_free_port(), _free_port()]
    procs = [subprocess.Popen([sys.executable, "-m", "govshare.cli", "serve", "--port", str(p), "--no-scheduler"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for p in ports]
    try:
        for port, proc in zip(ports, procs):
            deadline = time.time() + 60
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.time() > deadline:
                    pytest.fail("server did not start: " + proc.stderr.read().decode()[-2000:])
                time.sleep(0.2)
        yield [f"http://127.0.0.1:{p}" for p in ports]
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(15)


def test_processes_share_tokens_sessions_and_data(platform, two_servers):
    a, b = two_servers
    org, _ = platform.provider()
    api_client = platform.api_client(org, ["catalog:write", "data:write", "data:read"])
    user = platform.user(org, ["org_admin"])
    token = httpx.post(f"{a}/oauth/token", data={"grant_type": "client_credentials", **{
        k: api_client[k] for k in ("client_id", "client_secret")}}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    from tests.conftest import entry_body
    entry = httpx.post(f"{b}/api/v1/catalog/entries", json=entry_body(), headers=headers)
    assert entry.status_code == 201, entry.text
    entry_id = entry.json()["id"]
    assert httpx.post(f"{a}/api/v1/catalog/entries/{entry_id}/publish", headers=headers).status_code == 200
    loaded = httpx.put(f"{a}/api/v1/catalog/entries/{entry_id}/data", content=to_csv(person_rows(8)),
                       params={"filename": "p.csv"}, headers=headers)
    assert loaded.status_code == 200, loaded.text
    seen = httpx.get(f"{b}/api/v1/catalog/entries/{entry_id}", headers=headers).json()
    assert seen["mount"]["row_count"] == 8
    # A console session started on one process works on the other, and logging out ends it everywhere.
    with httpx.Client() as browser:
        login = browser.post(f"{a}/api/v1/auth/login", json={"username": user["username"], "password": user["password"]})
        assert login.status_code == 200
        assert browser.get(f"{b}/api/v1/me").json()["roles"] == ["org_admin"]
        assert browser.post(f"{b}/api/v1/auth/logout",
                            headers={"X-CSRF-Token": login.json()["csrf_token"]}).status_code == 204
        assert browser.get(f"{a}/api/v1/me").status_code == 401

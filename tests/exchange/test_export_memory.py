"""A 1,000,000-row export streams from a real server process with bounded memory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import date, timedelta

import httpx
import pyarrow as pa

from govshare.core.config import get_settings
from govshare.mounting import loader
from govshare.mounting import service as mounting
from tests.conftest import make_id_number

ROWS = 1_000_000
ITEMS = [
    {"name": "id_number", "label": "公民身份号码", "data_type": "C", "length": 18, "is_key": True, "pi_kind": "id_number"},
    {"name": "name", "label": "姓名", "data_type": "C", "length": 50, "pi_kind": "name"},
    {"name": "mobile", "label": "联系电话", "data_type": "C", "length": 11, "pi_kind": "mobile"},
    {"name": "region_code", "label": "行政区划代码", "data_type": "C", "length": 6},
]


def _rows() -> pa.Table:
    start = date(1950, 1, 1)
    ids = [make_id_number(birth=(start + timedelta(days=i // 1000)).strftime("%Y%m%d"), seq=i % 1000)
           for i in range(ROWS)]
    return pa.table({"id_number": ids, "name": [f"王{i}" for i in range(ROWS)],
                     "mobile": [f"139{i:08d}" for i in range(ROWS)], "region_code": ["330902"] * ROWS})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(field)


def test_a_million_row_export_streams_in_bounded_memory(platform):
    org, headers = platform.provider()
    entry = platform.entry(headers, name="人口基础信息（导出测试）", share_type="unconditional", share_methods=["batch"],
                           items=ITEMS)
    table = _rows()
    batches = table.to_batches(max_chunksize=50_000)
    record = mounting.run_recorded_load(entry["id"], "replace", "generated", loader.iterate_once(
        (1 + i * 50_000, b) for i, b in enumerate(batches)), {"format": "arrow"}, None, filename="test")
    assert record.status == "succeeded" and record.inserted == ROWS
    del table, batches
    consumer = platform.org(name="舟山市统计局")
    api_client = platform.api_client(consumer, ["data:read"])
    user = platform.user(consumer, ["consumer"])
    http = platform.http
    login = http.post("/api/v1/auth/login", json={"username": user["username"], "password": user["password"]})
    resp = http.post("/api/v1/access-requests", headers={"X-CSRF-Token": login.json()["csrf_token"]}, json={
        "entry_id": entry["id"], "items": [i["name"] for i in ITEMS], "methods": ["export", "feed"], "purpose": "人口统计",
        "client_ids": [api_client["client_id"]]})
    assert resp.status_code == 201 and resp.json()["status"] == "approved", resp.text
    http.post("/api/v1/auth/logout", headers={"X-CSRF-Token": login.json()["csrf_token"]})
    token = platform.token(api_client)

    settings = get_settings()
    port = _free_port()
    env = {**os.environ, "GOVSHARE_DATA_DIR": str(settings.data_dir), "GOVSHARE_SECRET_KEY": settings.resolved_secret_key(),
           "GOVSHARE_DATABASE_URL": settings.resolved_database_url, "GOVSHARE_SCHEDULER": "0"}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "govshare.app:create_app", "--factory",
                               "--port", str(port), "--log-level", "warning"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        auth = {"Authorization": "Bearer " + token}
        small = httpx.get(f"{base}/api/v1/data/{entry['id']}/changes", params={"limit": 10}, headers=auth)
        assert small.status_code == 200, small.text
        before = _kib(server.pid, "VmRSS")
        lines, size, sample = 0, 0, b""
        with httpx.stream("GET", f"{base}/api/v1/data/{entry['id']}/export", params={"format": "csv"},
                          headers=auth, timeout=600) as stream:
            assert stream.status_code == 200
            assert stream.headers["GovShare-Row-Count"] == str(ROWS)
            for chunk in stream.iter_bytes():
                lines += chunk.count(b"\n")
                size += len(chunk)
                if len(sample) < 4096:
                    sample += chunk[:4096]
        peak = _kib(server.pid, "VmHWM")
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    assert lines == ROWS + 1
    assert size > 60 * 1024 * 1024
    first = sample.split(b"\n")[1].decode()
    assert "****" in first and "*" in first.split(",")[1]  # masked ID number
    growth_mib = (peak - before) / 1024
    print(f"export memory growth {growth_mib:.0f} MiB")
    assert growth_mib < 200, f"server memory grew by {growth_mib:.0f} MiB for a {size / 2**20:.0f} MiB export"
    assert b"Traceback" not in err

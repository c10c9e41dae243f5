"""Mounting to a department database (挂接数据库): configure, pull fully and incrementally, reject bad
data, never leak the password, and schedule pulls so that each runs once across processes.

Real MariaDB and PostgreSQL: GOVSHARE_TEST_MARIADB_URL / GOVSHARE_TEST_POSTGRES_URL (defaults: this
machine's). Skipped when a server is down, except in CI (GOVSHARE_REQUIRE_SERVICES=1).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import (Boolean, Column, Date, DateTime, Integer, LargeBinary, MetaData, Numeric, String, Table,
                        Text, create_engine, delete, func, select, update)
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

from govshare.core.database import session_scope, utcnow
from govshare.core.jobs import JobLease
from govshare.mounting import scheduler, sources
from govshare.mounting.models import DatabaseSource, DataLoad
from tests.conftest import make_id_number, require_service
from tests.mounting.conftest import data_rows

MARIADB_URL = os.environ.get("GOVSHARE_TEST_MARIADB_URL") or "mysql+pymysql://root@127.0.0.1:3306/test"
POSTGRES_URL = os.environ.get("GOVSHARE_TEST_POSTGRES_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
URLS = {"mariadb": MARIADB_URL, "postgresql": POSTGRES_URL}
UNREACHABLE = {"mariadb": "mysql+pymysql://root:Sekr1t@127.0.0.1:1/test",
               "postgresql": "postgresql+psycopg://postgres:Sekr1t@127.0.0.1:1/test"}
BASE = datetime(2024, 5, 1, 8, 0, 0)
ROOT = Path(__file__).resolve().parents[2]


class SourceDB:
    """A department table in a real MariaDB / PostgreSQL, dropped after the test."""

    def __init__(self, kind: str, url: str):
        self.kind, self.url = kind, url
        self.engine = create_engine(url, poolclass=NullPool)
        self.name = "src_" + uuid.uuid4().hex[:12]
        self.table = Table(
            self.name, MetaData(),
            Column("id_number", String(18), primary_key=True),
            Column("姓名", String(50), nullable=False),  # matched by the item's Chinese label
            Column("birth_date", Date),
            Column("phone", String(11)),  # matched by column_map
            Column("children", Integer),
            Column("income", Numeric(12, 2)),
            Column("married", Boolean),
            Column("note", Text),  # no item: ignored
            Column("photo", LargeBinary),
            Column("updated_at", DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"), nullable=False),
            mysql_charset="utf8mb4")
        self.table.create(self.engine)

    def insert(self, rows: list[dict]) -> None:
        with self.engine.begin() as conn:
            conn.execute(self.table.insert(), rows)

    def update(self, id_number: str, **values) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(self.table).where(self.table.c.id_number == id_number).values(**values))

    def delete(self, id_number: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(self.table).where(self.table.c.id_number == id_number))

    def drop(self) -> None:
        self.table.drop(self.engine, checkfirst=True)
        self.engine.dispose()


def _require(kind: str) -> None:
    url = make_url(URLS[kind])
    require_service("MariaDB" if kind == "mariadb" else "PostgreSQL", url.host or "127.0.0.1",
                    url.port or (3306 if kind == "mariadb" else 5432))


@pytest.fixture(params=["mariadb", "postgresql"])
def source_db(request):
    _require(request.param)
    db = SourceDB(request.param, URLS[request.param])
    yield db
    db.drop()


def person(i: int, updated: datetime | None = None) -> dict:
    birth = date(1960 + i % 40, 1 + i % 12, 1 + i % 28)
    return {"id_number": make_id_number(birth=birth.strftime("%Y%m%d"), seq=i), "姓名": f"张{'三四五六七'[i % 5]}{i}",
            "birth_date": birth, "phone": f"138{i:08d}", "children": i % 4, "income": Decimal(f"{1000 + i}.50"),
            "married": bool(i % 2), "note": "备注：户籍迁入", "photo": None,
            "updated_at": updated or BASE + timedelta(seconds=i)}


def config(db: SourceDB, **overrides) -> dict:
    body = {"url": db.url, "table_name": db.name, "change_column": "updated_at", "column_map": {"phone": "mobile"},
            "schedule_seconds": 0}
    body.update(overrides)
    return body


def put_source(client, entry, headers, body):
    return client.put(f"/api/v1/catalog/entries/{entry['id']}/source", json=body, headers=headers)


def pull(client, entry, headers, full: bool | None = None):
    params = {} if full is None else {"full": str(full).lower()}
    return client.post(f"/api/v1/catalog/entries/{entry['id']}/source/pull", params=params, headers=headers)


def get_source(client, entry, headers) -> dict:
    resp = client.get(f"/api/v1/catalog/entries/{entry['id']}/source", headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


@pytest.fixture()
def provider_entry(platform):
    _org, headers = platform.provider()
    return platform.entry(headers), headers


def load_count(entry_id: str) -> int:
    with session_scope(read_only=True) as session:
        return session.scalar(select(func.count()).select_from(DataLoad).where(DataLoad.entry_id == entry_id))


@pytest.fixture()
def free_lease():
    """Scheduler tests must not leave the lease to a holder that is gone (it would block later passes)."""
    def clear():
        with session_scope() as session:
            session.execute(delete(JobLease).where(JobLease.name == sources.LEASE_NAME))
    clear()
    yield
    clear()


# ---------------------------------------------------------------- configure and pull


def test_full_incremental_and_reconciling_full_pull(client, provider_entry, source_db):
    entry, headers = provider_entry
    rows = [person(i) for i in range(5)]
    source_db.insert(rows)
    resp = put_source(client, entry, headers, config(source_db))
    assert resp.status_code == 200, resp.text
    conf = resp.json()
    assert conf["table_name"] == source_db.name and conf["change_column"] == "updated_at"
    assert conf["mapping"] == {"id_number": "id_number", "姓名": "name", "birth_date": "birth_date",
                               "phone": "mobile", "children": "children", "income": "income", "married": "married"}
    assert conf["schedule_seconds"] is None and conf["last_status"] is None

    resp = pull(client, entry, headers, full=True)
    assert resp.status_code == 200, resp.text
    report = resp.json()
    assert report["source"] == "database" and report["status"] == "succeeded" and report["mode"] == "replace"
    assert (report["rows_read"], report["inserted"], report["updated"], report["deleted"]) == (5, 5, 0, 0)
    assert source_db.name in report["filename"] and report["format"] in ("mysql", "postgresql")
    stored = data_rows(entry["id"])
    assert len(stored) == 5
    first = stored[rows[0]["id_number"]]
    assert first["name"] == "张三0" and first["mobile"] == "13800000000" and first["children"] == 0
    assert Decimal(str(first["income"])) == Decimal("1000.50") and first["married"] in (False, 0)
    assert str(first["birth_date"])[:10] == rows[0]["birth_date"].isoformat()
    state = get_source(client, entry, headers)
    assert state["last_status"] == "succeeded" and state["last_pulled_at"]
    assert state["last_change_value"].startswith("2024-05-01T08:00:04")

    # the department changes its table: one update, one insert, one delete
    source_db.update(rows[0]["id_number"], **{"姓名": "张三改名", "updated_at": BASE + timedelta(days=1)})
    new = person(5, updated=BASE + timedelta(days=1, seconds=1))
    source_db.insert([new])
    source_db.delete(rows[1]["id_number"])

    resp = pull(client, entry, headers)  # decided: incremental
    assert resp.status_code == 200, resp.text
    report = resp.json()
    assert report["mode"] == "upsert"
    # >= the last value: the boundary row (rows[4]) is read again and counted unchanged
    assert (report["rows_read"], report["inserted"], report["updated"], report["deleted"],
            report["unchanged"]) == (3, 1, 1, 0, 1)
    stored = data_rows(entry["id"])
    assert len(stored) == 6  # the deletion is not visible to an incremental pull
    assert stored[rows[0]["id_number"]]["name"] == "张三改名" and new["id_number"] in stored
    assert rows[1]["id_number"] in stored
    assert get_source(client, entry, headers)["last_change_value"].startswith("2024-05-02T08:00:01")

    resp = pull(client, entry, headers, full=True)
    assert resp.status_code == 200, resp.text
    report = resp.json()
    assert report["mode"] == "replace"
    assert (report["rows_read"], report["inserted"], report["updated"], report["deleted"],
            report["unchanged"]) == (5, 0, 0, 1, 5)
    stored = data_rows(entry["id"])
    assert len(stored) == 5 and rows[1]["id_number"] not in stored

    listed = client.get(f"/api/v1/catalog/entries/{entry['id']}/loads", headers=headers).json()
    assert [r["mode"] for r in listed["items"]] == ["replace", "upsert", "replace"]
    assert {r["source"] for r in listed["items"]} == {"database"}


def test_bad_source_data_rejects_the_pull(client, provider_entry, source_db):
    entry, headers = provider_entry
    rows = [person(i) for i in range(3)]
    source_db.insert(rows)
    assert put_source(client, entry, headers, config(source_db)).status_code == 200
    assert pull(client, entry, headers).status_code == 200
    before = data_rows(entry["id"])

    source_db.update(rows[0]["id_number"], **{"姓名": "李四", "updated_at": BASE + timedelta(days=1)})
    bad = person(7, updated=BASE + timedelta(days=2))
    bad["id_number"] = bad["id_number"][:-1] + ("0" if bad["id_number"][-1] != "0" else "1")
    source_db.insert([bad])
    resp = pull(client, entry, headers)
    assert resp.status_code == 422, resp.text
    error = resp.json()["error"]
    assert error["code"] == "load_rejected" and error["details"]["load_id"]
    first = error["details"]["errors"][0]
    # rows are the 1-based record index of the pull, ordered by the change column: the boundary row of the
    # previous pull (re-read, >=), the update, then the bad row
    assert first["row"] == 3 and first["column"] == "id_number" and first["value"] == bad["id_number"]
    assert data_rows(entry["id"]) == before  # all or nothing: the valid update was not applied either
    state = get_source(client, entry, headers)
    assert state["last_status"] == "failed" and "invalid" in state["last_message"]
    assert state["last_change_value"].startswith("2024-05-01T08:00:02")  # unchanged: the next pull retries
    loads = client.get(f"/api/v1/catalog/entries/{entry['id']}/loads", headers=headers).json()["items"]
    assert loads[0]["status"] == "failed" and loads[0]["source"] == "database"

    source_db.delete(bad["id_number"])  # fixed at the source: the next pull succeeds
    report = pull(client, entry, headers).json()
    assert report["status"] == "succeeded" and report["updated"] == 1
    assert get_source(client, entry, headers)["last_status"] == "succeeded"



def test_pull_streams_in_batches_and_numbers_records(client, provider_entry, source_db, monkeypatch):
    from govshare.core.config import get_settings
    monkeypatch.setattr(get_settings(), "load_batch_rows", 2)
    entry, headers = provider_entry
    source_db.insert([person(0)])
    assert put_source(client, entry, headers, config(source_db)).status_code == 200
    assert pull(client, entry, headers).json()["inserted"] == 1
    later = [person(i, updated=BASE + timedelta(hours=1, seconds=i)) for i in range(1, 7)]
    later[5]["phone"] = "2380000000x"  # the 7th record of the next pull: boundary row + 6 new ones
    source_db.insert(later)
    resp = pull(client, entry, headers)
    assert resp.status_code == 422, resp.text
    details = resp.json()["error"]["details"]
    assert [(e["row"], e["column"]) for e in details["errors"]] == [(7, "mobile")]
    source_db.update(later[5]["id_number"], phone="13900000006")
    report = pull(client, entry, headers).json()
    assert (report["rows_read"], report["inserted"], report["unchanged"]) == (7, 6, 1)
    assert len(data_rows(entry["id"])) == 7


def test_duplicate_keys_in_the_source_are_reported(client, provider_entry, source_db, monkeypatch):
    from govshare.core.config import get_settings
    monkeypatch.setattr(get_settings(), "load_batch_rows", 2)  # the duplicate arrives while the stream is open
    entry, headers = provider_entry
    source_db.insert([person(i) for i in range(20)])
    query = (f"SELECT * FROM {source_db.name} WHERE updated_at = (SELECT MIN(updated_at) FROM {source_db.name}) "
             f"UNION ALL SELECT * FROM {source_db.name}")
    assert put_source(client, entry, headers, config(source_db, table_name=None, query=query)).status_code == 200
    resp = pull(client, entry, headers, full=True)
    assert resp.status_code == 422, resp.text
    details = resp.json()["error"]["details"]
    assert details["error_count"] == 1 and "duplicate key" in details["errors"][0]["reason"]
    assert data_rows(entry["id"]) == {}

def test_binary_values_are_rejected_per_row(client, provider_entry, source_db):
    entry, headers = provider_entry
    rows = [person(i) for i in range(3)]
    rows[1]["photo"] = b"\x89PNG\r\n"
    source_db.insert(rows)
    body = config(source_db, column_map={"photo": "mobile"})
    assert put_source(client, entry, headers, body).status_code == 200
    resp = pull(client, entry, headers, full=True)
    assert resp.status_code == 422, resp.text
    details = resp.json()["error"]["details"]
    assert details["error_count"] == 1
    assert details["errors"][0]["column"] == "mobile" and "binary" in details["errors"][0]["reason"]
    assert data_rows(entry["id"]) == {}


def test_query_source(client, provider_entry, source_db):
    entry, headers = provider_entry
    rows = [person(i) for i in range(4)]
    rows[3]["note"] = "08:30 已注销"
    source_db.insert(rows)
    query = (f"SELECT id_number, 姓名, birth_date, phone AS 联系电话, income, updated_at FROM {source_db.name} "
             "WHERE note <> '08:30 已注销' AND phone LIKE '138%'")
    resp = put_source(client, entry, headers, config(source_db, table_name=None, query=query, column_map={}))
    assert resp.status_code == 200, resp.text
    assert resp.json()["mapping"]["联系电话"] == "mobile"
    report = pull(client, entry, headers).json()
    assert report["status"] == "succeeded" and report["inserted"] == 3
    stored = data_rows(entry["id"])
    assert set(stored) == {r["id_number"] for r in rows[:3]}
    assert stored[rows[2]["id_number"]]["mobile"] == "13800000002" and stored[rows[2]["id_number"]]["married"] is None


def test_source_columns_must_cover_the_items(client, provider_entry, source_db):
    entry, headers = provider_entry
    query = f"SELECT id_number, phone FROM {source_db.name}"
    resp = put_source(client, entry, headers, config(source_db, table_name=None, query=query, change_column=None))
    assert resp.status_code == 422
    details = resp.json()["error"]["details"]
    assert any("name (姓名)" in d["reason"] for d in details)
    resp = put_source(client, entry, headers, config(source_db, change_column="modified"))
    assert resp.status_code == 422 and resp.json()["error"]["details"][0]["field"] == "change_column"
    resp = put_source(client, entry, headers, config(source_db, column_map={"nope": "mobile", "phone": "nope"}))
    assert resp.status_code == 422
    assert {d["reason"] for d in resp.json()["error"]["details"]} == {"the source has no such column",
                                                                      "the entry has no such item"}
    resp = put_source(client, entry, headers, config(source_db, table_name="src_does_not_exist"))
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "source_invalid"


@pytest.mark.parametrize("kind", ["mariadb", "postgresql"])
def test_unreachable_source_is_422_and_never_shows_the_password(client, provider_entry, kind, caplog):
    entry, headers = provider_entry
    caplog.set_level(logging.DEBUG)
    started = time.monotonic()
    resp = put_source(client, entry, headers, {"url": UNREACHABLE[kind], "table_name": "src_persons"})
    assert time.monotonic() - started < 15
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"]["code"] == "source_unreachable"
    assert "***" in resp.json()["error"]["message"]
    assert "Sekr1t" not in resp.text and "Sekr1t" not in caplog.text


def test_pull_from_a_source_gone_down_records_the_failure(client, provider_entry, source_db, caplog):
    entry, headers = provider_entry
    source_db.insert([person(1)])
    assert put_source(client, entry, headers, config(source_db)).status_code == 200
    with session_scope() as session:  # the department's server moves away (and its URL has a password)
        session.get(DatabaseSource, entry["id"]).url = UNREACHABLE[source_db.kind]
    caplog.set_level(logging.DEBUG)
    resp = pull(client, entry, headers)
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"]["code"] == "source_unreachable"
    assert "Sekr1t" not in resp.text
    state = client.get(f"/api/v1/catalog/entries/{entry['id']}/source", headers=headers)
    assert state.json()["last_status"] == "failed" and "source_unreachable" in state.json()["last_message"]
    assert state.json()["url"].endswith(":***@127.0.0.1:1/test") and "Sekr1t" not in state.text
    loads = client.get(f"/api/v1/catalog/entries/{entry['id']}/loads", headers=headers)
    assert loads.json()["items"][0]["status"] == "failed" and "Sekr1t" not in loads.text
    assert "Sekr1t" not in caplog.text
    # a PUT with the masked URL keeps the stored password (a console round trip does not lose it)
    resp = put_source(client, entry, headers, config(source_db, url=state.json()["url"]))
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "source_unreachable"
    assert "Sekr1t" not in resp.text



def test_password_is_stored_but_never_shown(client, provider_entry):
    _require("postgresql")
    entry, headers = provider_entry
    url = make_url(POSTGRES_URL)
    if url.password:
        pytest.skip("the test PostgreSQL URL already carries a password")
    with_password = url.set(password="Sekr1t").render_as_string(hide_password=False)
    db = SourceDB("postgresql", POSTGRES_URL)
    try:
        db.insert([person(1)])
        resp = put_source(client, entry, headers, config(db, url=with_password))
        if resp.status_code == 422:
            pytest.skip("the server checks passwords (trust authentication expected on the test server)")
        assert resp.status_code == 200, resp.text
        assert ":***@" in resp.json()["url"] and "Sekr1t" not in resp.text
        report = pull(client, entry, headers)
        assert report.status_code == 200 and "Sekr1t" not in report.text and ":***@" in report.json()["filename"]
        shown = client.get(f"/api/v1/catalog/entries/{entry['id']}/source", headers=headers)
        assert "Sekr1t" not in shown.text
        with session_scope(read_only=True) as session:  # stored as given, for the next pulls
            assert "Sekr1t" in session.get(DatabaseSource, entry["id"]).url
    finally:
        db.drop()


def test_change_values_keep_their_type():
    values = [datetime(2024, 5, 1, 8, 30, 0, 123456), datetime(2024, 5, 1, 8, 30, tzinfo=timezone.utc),
              date(2024, 5, 1), 42, Decimal("12.50"), 1.5, "v-0007", True]
    for value in values:
        decoded = sources.decode_change_value(sources.encode_change_value(value))
        assert decoded == value and type(decoded) is type(value)
    assert sources.encode_change_value(None) is None
    assert sources.decode_change_value("2024-05-01") == "2024-05-01"  # untagged: text

@pytest.mark.parametrize("query", [
    "DELETE FROM persons",
    "UPDATE persons SET name = 'x'",
    "SELECT 1; DROP TABLE persons",
    "SELECT * FROM persons -- trailing comment",
    "SELECT * FROM persons /*! DELETE FROM persons */",
    "WITH gone AS (DELETE FROM persons RETURNING *) SELECT * FROM gone",
    "SELECT * INTO OUTFILE '/tmp/x' FROM persons",
    "SELECT * FROM persons FOR UPDATE",
    "SELECT * FROM persons FOR SHARE",
    "SELECT 'a\\' FROM x) AS q; DROP TABLE persons; --'",
    "SELECT pg_read_file('/etc/passwd')",
    "SELECT 1) AS a UNION SELECT (2",
    "TRUNCATE persons",
    "CALL wipe()",
])
def test_only_a_read_only_select_is_accepted(client, provider_entry, query):
    entry, headers = provider_entry
    resp = put_source(client, entry, headers, {"url": MARIADB_URL, "query": query})
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"]["details"][0]["field"] == "query"


@pytest.mark.parametrize("body,field", [
    ({"url": MARIADB_URL}, "table_name"),
    ({"url": MARIADB_URL, "table_name": "t", "query": "SELECT 1"}, "table_name"),
    ({"url": MARIADB_URL, "table_name": "persons; DROP TABLE x"}, "table_name"),
    ({"url": MARIADB_URL, "table_name": "a.b.c"}, "table_name"),
    ({"url": "sqlite:////etc/passwd", "table_name": "t"}, "url"),
    ({"url": "mysql+pymysql://root@127.0.0.1/test?local_infile=1", "table_name": "t"}, "url"),
    ({"url": "postgresql+psycopg://u@/test?host=/var/run/postgresql", "table_name": "t"}, "url"),
    ({"url": "not a url", "table_name": "t"}, "url"),
])
def test_invalid_configuration(client, provider_entry, body, field):
    entry, headers = provider_entry
    resp = put_source(client, entry, headers, body)
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"]["details"][0]["field"] == field


def test_only_the_provider_may_configure_see_or_pull(client, platform, provider_entry):
    entry, headers = provider_entry
    _other, other_headers = platform.provider()
    body = {"url": UNREACHABLE["postgresql"], "table_name": "src_persons"}
    resp = put_source(client, entry, other_headers, body)
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "not_provider"
    assert "Sekr1t" not in resp.text
    assert client.get(f"/api/v1/catalog/entries/{entry['id']}/source", headers=other_headers).status_code == 403
    assert pull(client, entry, other_headers).status_code == 403
    assert client.delete(f"/api/v1/catalog/entries/{entry['id']}/source", headers=other_headers).status_code == 403
    # and the provider itself: no source yet
    assert client.get(f"/api/v1/catalog/entries/{entry['id']}/source", headers=headers).status_code == 404
    assert pull(client, entry, headers).status_code == 404


def test_delete_source_keeps_the_data(client, provider_entry, source_db):
    entry, headers = provider_entry
    source_db.insert([person(i) for i in range(2)])
    assert put_source(client, entry, headers, config(source_db)).status_code == 200
    assert pull(client, entry, headers).status_code == 200
    resp = client.delete(f"/api/v1/catalog/entries/{entry['id']}/source", headers=headers)
    assert resp.status_code == 204
    assert client.get(f"/api/v1/catalog/entries/{entry['id']}/source", headers=headers).status_code == 404
    assert len(data_rows(entry["id"])) == 2


def test_schedule_defaults_from_the_update_cycle(client, provider_entry, source_db):
    entry, headers = provider_entry
    body = config(source_db)
    del body["schedule_seconds"]
    conf = put_source(client, entry, headers, body).json()
    assert conf["schedule_seconds"] == 86400 and conf["next_pull_at"]  # daily entry; first pull due now
    conf = put_source(client, entry, headers, {**body, "schedule_seconds": None}).json()
    assert conf["schedule_seconds"] is None and conf["next_pull_at"] is None


# ---------------------------------------------------------------- CLI


def test_cli_mount_pull_prints_the_report(client, provider_entry, source_db):
    from govshare.cli import app
    entry, headers = provider_entry
    source_db.insert([person(i) for i in range(4)])
    assert put_source(client, entry, headers, config(source_db)).status_code == 200
    runner = CliRunner()
    result = runner.invoke(app, ["mount", "pull", entry["code"], "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["status"] == "succeeded" and report["inserted"] == 4 and report["actor"] == "database"
    result = runner.invoke(app, ["mount", "pull", entry["id"], "--full"])
    assert result.exit_code == 0, result.output
    assert "succeeded (replace): 4 rows read" in result.stdout
    result = runner.invoke(app, ["mount", "pull", "no-such-entry", "--json"])
    assert result.exit_code == 2 and json.loads(result.stdout)["error"]["code"] == "entry_not_found"


# ---------------------------------------------------------------- the scheduler
# These tests start from an empty platform (clean_db): a pass pulls every due source, and sources
# left by other tests would be due too.


def _make_due(entry_id: str) -> None:
    with session_scope() as session:
        session.get(DatabaseSource, entry_id).next_pull_at = utcnow() - timedelta(seconds=1)


def test_due_pulls_lease_and_claim(clean_db, client, provider_entry, source_db, free_lease):
    entry, headers = provider_entry
    source_db.insert([person(i) for i in range(3)])
    assert put_source(client, entry, headers, config(source_db, schedule_seconds=3600)).status_code == 200
    with session_scope(read_only=True) as session:
        assert entry["id"] in {s.entry_id for s in sources.due_sources(session)}

    first = sources.run_due_pulls(holder="test-a")
    assert first["lease"] is True
    assert [(p["entry_id"], p["status"]) for p in first["pulls"]] == [(entry["id"], "succeeded")]
    _make_due(entry["id"])
    assert sources.run_due_pulls(holder="test-b") == {"lease": False, "holder": "test-b", "pulls": []}
    assert load_count(entry["id"]) == 1
    again = sources.run_due_pulls(holder="test-a", release=True)  # the holder renews its lease
    assert [p["entry_id"] for p in again["pulls"]] == [entry["id"]] and load_count(entry["id"]) == 2
    state = get_source(client, entry, headers)
    next_pull = datetime.fromisoformat(state["next_pull_at"].replace("Z", "+00:00"))
    next_pull = next_pull if next_pull.tzinfo else next_pull.replace(tzinfo=utcnow().tzinfo)
    assert timedelta(minutes=55) < next_pull - utcnow() <= timedelta(hours=1)
    # released: another holder may run now, and finds nothing due
    assert sources.run_due_pulls(holder="test-b", release=True)["pulls"] == []


def test_two_processes_pull_a_due_source_once(clean_db, client, provider_entry, source_db, free_lease):
    entry, headers = provider_entry
    source_db.insert([person(i) for i in range(3)])
    body = config(source_db)
    del body["schedule_seconds"]  # daily, from the entry's update cycle; first pull due at once
    assert put_source(client, entry, headers, body).status_code == 200
    code = ("import json; from govshare.mounting.sources import run_due_pulls; "
            "print(json.dumps(run_due_pulls()))")
    env = dict(os.environ)
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        outputs.append(json.loads(out.strip().splitlines()[-1]))
    pulls = [p for out in outputs for p in out["pulls"]]
    assert [(p["entry_id"], p["status"]) for p in pulls] == [(entry["id"], "succeeded")], outputs
    assert load_count(entry["id"]) == 1
    assert len(data_rows(entry["id"])) == 3


def test_scheduler_thread_runs_due_pulls(clean_db, client, provider_entry, source_db, free_lease, monkeypatch):
    monkeypatch.delenv("GOVSHARE_SCHEDULER", raising=False)
    assert scheduler.enabled() is False and scheduler.start_if_enabled() is None  # off unless asked
    entry, headers = provider_entry
    source_db.insert([person(i) for i in range(2)])
    assert put_source(client, entry, headers, config(source_db, schedule_seconds=3600)).status_code == 200
    thread = scheduler.MountScheduler(interval=0.2, holder="test-thread").start()
    try:
        deadline = time.monotonic() + 60
        while load_count(entry["id"]) == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        thread.stop()
    assert not thread.running
    assert load_count(entry["id"]) == 1 and len(data_rows(entry["id"])) == 2
    with session_scope(read_only=True) as session:
        assert session.get(JobLease, sources.LEASE_NAME) is None  # released on stop


def test_cli_run_due(clean_db, client, provider_entry, source_db, free_lease):
    from govshare.cli import app
    entry, headers = provider_entry
    source_db.insert([person(i) for i in range(2)])
    assert put_source(client, entry, headers, config(source_db, schedule_seconds=600)).status_code == 200
    result = CliRunner().invoke(app, ["mount", "run-due", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["lease"] is True and [p["entry_id"] for p in out["pulls"]] == [entry["id"]]
    result = CliRunner().invoke(app, ["mount", "run-due"])
    assert result.exit_code == 0 and "no pulls due" in result.stdout

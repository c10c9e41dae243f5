"""Mounting by upload: formats, encodings, conversion, the load report, modes and the change log."""

from __future__ import annotations

import io
import json

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.mounting.conftest import HEADER, changes, data_rows, person_rows, to_csv, upload


def test_csv_upload_loads_all_rows_and_reports(client, provider_entry):
    entry, headers = provider_entry
    rows = person_rows(50)
    resp = upload(client, entry, headers, to_csv(rows))
    assert resp.status_code == 200, resp.text
    report = resp.json()
    assert report["status"] == "succeeded" and report["format"] == "csv" and report["encoding"] == "utf-8"
    assert (report["rows_read"], report["inserted"], report["updated"], report["deleted"]) == (50, 50, 0, 0)
    assert report["content_sha256"] and report["duration_ms"] >= 0
    stored = data_rows(entry["id"])
    assert len(stored) == 50
    first = stored[rows[0][0]]
    assert first["name"] == rows[0][1] and first["children"] == 0 and float(first["income"]) == 1000.5
    assert str(first["birth_date"])[:10] == f"{rows[0][2][:4]}-{rows[0][2][4:6]}-{rows[0][2][6:]}"
    assert first["married"] in (False, 0)
    detail = client.get(f"/api/v1/catalog/entries/{entry['id']}", headers=headers).json()["mount"]
    assert detail["mounted"] is True and detail["row_count"] == 50 and detail["last_load_at"]
    assert [c[1] for c in changes(entry["id"])] == ["insert"] * 50
    assert [c[0] for c in changes(entry["id"])] == list(range(1, 51))


@pytest.mark.parametrize("encoding,expected", [
    ("utf-8-sig", "utf-8-sig"), ("gbk", "gbk"), ("gb18030", "gb18030"),
])
def test_chinese_encodings_are_detected(client, provider_entry, encoding, expected):
    entry, headers = provider_entry
    rows = person_rows(20)
    rows[3][1] = "欧阳娜娜"
    if encoding == "gb18030":
        rows[4][1] = "王䶮"  # outside GBK
    resp = upload(client, entry, headers, to_csv(rows, encoding=encoding))
    assert resp.status_code == 200, resp.text
    assert resp.json()["encoding"] == expected
    stored = data_rows(entry["id"])
    assert stored[rows[3][0]]["name"] == "欧阳娜娜"
    if encoding == "gb18030":
        assert stored[rows[4][0]]["name"] == "王䶮"


def test_chinese_labels_as_headers_and_tsv(client, provider_entry):
    entry, headers = provider_entry
    labels = ["公民身份号码", "姓名", "出生日期", "联系电话", "子女数", "年收入", "是否已婚"]
    resp = upload(client, entry, headers, to_csv(person_rows(5), header=labels, sep="\t"), filename="人口.tsv")
    assert resp.status_code == 200, resp.text
    assert resp.json()["format"] == "tsv" and resp.json()["inserted"] == 5


def _xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", ["xlsx", "json", "jsonl", "parquet"])
def test_other_formats(client, provider_entry, fmt):
    entry, headers = provider_entry
    rows = person_rows(12)
    records = [dict(zip(HEADER, r)) for r in rows]
    if fmt == "xlsx":
        body = _xlsx(rows)
    elif fmt == "json":
        body = json.dumps(records, ensure_ascii=False).encode()
    elif fmt == "jsonl":
        body = "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode()
    else:
        buf = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(records), buf)
        body = buf.getvalue()
    resp = upload(client, entry, headers, body, filename=f"data.{fmt}")
    assert resp.status_code == 200, resp.text
    assert resp.json()["format"] == fmt and resp.json()["inserted"] == 12
    assert len(data_rows(entry["id"])) == 12


def test_multipart_upload(client, provider_entry):
    entry, headers = provider_entry
    resp = client.put(f"/api/v1/catalog/entries/{entry['id']}/data", headers=headers,
                      files={"file": ("persons.csv", to_csv(person_rows(7)), "text/csv")})
    assert resp.status_code == 200, resp.text
    assert resp.json()["filename"] == "persons.csv" and resp.json()["inserted"] == 7


def test_replace_upsert_append_and_change_log(client, provider_entry):
    entry, headers = provider_entry
    rows = person_rows(10)
    assert upload(client, entry, headers, to_csv(rows)).status_code == 200
    # replace: rows 0-1 dropped, row 2 changed, rows 3-9 unchanged, two new rows
    new_rows = [list(r) for r in rows[2:]] + person_rows(2, start=100)
    new_rows[0][1] = "李四改"
    report = upload(client, entry, headers, to_csv(new_rows)).json()
    assert (report["inserted"], report["updated"], report["deleted"], report["unchanged"]) == (2, 1, 2, 7)
    assert report["first_seq"] == 11 and report["last_seq"] == 15
    stored = data_rows(entry["id"])
    assert len(stored) == 10 and rows[0][0] not in stored and stored[rows[2][0]]["name"] == "李四改"
    log = changes(entry["id"])
    assert [c[0] for c in log] == list(range(1, 16))
    assert sorted(c[1] for c in log[10:]) == ["delete", "delete", "insert", "insert", "update"]
    assert {c[2] for c in log[10:] if c[1] == "delete"} == {rows[0][0], rows[1][0]}
    # upsert: nothing deleted
    up = [list(rows[5])]
    up[0][3] = "13900000000"
    report = upload(client, entry, headers, to_csv(up + person_rows(1, start=200)), mode="upsert").json()
    assert (report["inserted"], report["updated"], report["deleted"]) == (1, 1, 0)
    assert len(data_rows(entry["id"])) == 11
    # append: an existing key is refused, nothing written
    resp = upload(client, entry, headers, to_csv(person_rows(1, start=300) + [rows[6]]), mode="append")
    assert resp.status_code == 422
    err = resp.json()["error"]["details"]["errors"][0]
    assert err["row"] == 3 and err["column"] == "id_number" and "already" in err["reason"]
    assert len(data_rows(entry["id"])) == 11
    report = upload(client, entry, headers, to_csv(person_rows(2, start=400)), mode="append").json()
    assert report["inserted"] == 2 and len(data_rows(entry["id"])) == 13
    # replacing with the same file twice: the second load changes nothing and logs nothing
    final = to_csv(person_rows(5, start=600))
    first = upload(client, entry, headers, final).json()
    assert (first["inserted"], first["deleted"]) == (5, 13)
    before = len(changes(entry["id"]))
    report = upload(client, entry, headers, final).json()
    assert (report["inserted"], report["updated"], report["deleted"], report["unchanged"]) == (0, 0, 0, 5)
    assert len(changes(entry["id"])) == before and report["first_seq"] is None


def test_load_reports_are_listed(client, provider_entry, platform):
    entry, headers = provider_entry
    upload(client, entry, headers, to_csv(person_rows(3)))
    bad = person_rows(1)
    bad[0][0] = bad[0][0][:-1] + ("0" if bad[0][0][-1] != "0" else "1")
    upload(client, entry, headers, to_csv(bad))
    listed = client.get(f"/api/v1/catalog/entries/{entry['id']}/loads", headers=headers).json()
    assert listed["total"] == 2
    assert [r["status"] for r in listed["items"]] == ["failed", "succeeded"]
    assert listed["items"][0]["errors"][0]["column"] == "id_number"
    # Another department sees that loads happened, not the rejected values (personal data).
    other = platform.headers(platform.org(), ["data:read"])
    seen = client.get(f"/api/v1/catalog/entries/{entry['id']}/loads", headers=other).json()
    assert seen["total"] == 2 and seen["items"][0]["error_count"] == 1
    assert seen["items"][0]["errors"] == [] and bad[0][0] not in str(seen)
    again = client.get(f"/api/v1/catalog/entries/{entry['id']}/loads", headers=headers).json()
    assert again["items"][0]["errors"][0]["value"] == bad[0][0]

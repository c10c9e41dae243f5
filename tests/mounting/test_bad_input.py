"""Every bad input is a clear 4xx naming row, column and reason, and leaves the data as it was."""

from __future__ import annotations

import pytest

from govshare.core.config import get_settings
from tests.mounting.conftest import HEADER, changes, data_rows, person_rows, to_csv, upload


@pytest.fixture()
def loaded(client, provider_entry):
    entry, headers = provider_entry
    rows = person_rows(10)
    assert upload(client, entry, headers, to_csv(rows)).status_code == 200
    return entry, headers, rows


def _unchanged(entry, before_rows, before_changes):
    assert data_rows(entry["id"]) == before_rows
    assert changes(entry["id"]) == before_changes


def _errors(resp):
    return resp.json()["error"]["details"]["errors"]


def _bad_check_digit(value: str) -> str:
    return value[:-1] + ("0" if value[-1] != "0" else "1")


@pytest.mark.parametrize("mutate,row,column,reason_part", [
    (lambda r: r[4].__setitem__(0, _bad_check_digit(r[4][0])), 6, "id_number", "check"),
    (lambda r: r[2].__setitem__(4, "两个"), 4, "children", "whole number"),
    (lambda r: r[7].__setitem__(2, "2023-02-30"), 9, "birth_date", "date"),
    (lambda r: r[1].__setitem__(5, "12a"), 3, "income", "amount"),
    (lambda r: r[0].__setitem__(1, ""), 2, "name", "required"),
    (lambda r: r[3].__setitem__(3, "1380013800"), 5, "mobile", "mobile"),
    (lambda r: r[5].__setitem__(6, "maybe"), 7, "married", "yes/no"),
])
def test_invalid_value_rejects_whole_load(client, loaded, mutate, row, column, reason_part):
    entry, headers, rows = loaded
    before_rows, before_changes = data_rows(entry["id"]), changes(entry["id"])
    new = [list(r) for r in person_rows(10, start=50)]
    mutate(new)
    resp = upload(client, entry, headers, to_csv(new))
    assert resp.status_code == 422, resp.text
    body = resp.json()["error"]
    assert body["code"] == "load_rejected" and body["details"]["error_count"] == 1
    err = _errors(resp)[0]
    assert (err["row"], err["column"]) == (row, column), err
    assert reason_part in err["reason"].lower(), err
    _unchanged(entry, before_rows, before_changes)


def test_errors_are_capped_but_counted(client, loaded, monkeypatch):
    entry, headers, _ = loaded
    monkeypatch.setattr(get_settings(), "load_error_cap", 5)
    new = person_rows(30, start=50)
    for r in new:
        r[4] = "many"
    resp = upload(client, entry, headers, to_csv(new))
    assert resp.status_code == 422
    assert resp.json()["error"]["details"]["error_count"] == 30 and len(_errors(resp)) == 5


def test_error_in_a_late_batch_writes_nothing(client, loaded, monkeypatch):
    entry, headers, _ = loaded
    monkeypatch.setattr(get_settings(), "load_batch_rows", 4)
    before_rows, before_changes = data_rows(entry["id"]), changes(entry["id"])
    new = person_rows(20, start=50)
    new[18][4] = "x"
    resp = upload(client, entry, headers, to_csv(new))
    assert resp.status_code == 422 and _errors(resp)[0]["row"] == 20
    _unchanged(entry, before_rows, before_changes)


def test_error_in_late_batch_of_first_load(client, platform, monkeypatch):
    _, headers = platform.provider()
    entry = platform.entry(headers)
    monkeypatch.setattr(get_settings(), "load_batch_rows", 4)
    new = person_rows(20)
    new[17][4] = "x"
    assert upload(client, entry, headers, to_csv(new)).status_code == 422
    assert data_rows(entry["id"]) == {} and changes(entry["id"]) == []
    detail = client.get(f"/api/v1/catalog/entries/{entry['id']}", headers=headers).json()["mount"]
    assert detail["mounted"] is False and detail["row_count"] == 0


@pytest.mark.parametrize("first_load", [True, False])
def test_duplicate_keys_name_both_rows(client, platform, first_load):
    _, headers = platform.provider()
    entry = platform.entry(headers)
    if not first_load:
        upload(client, entry, headers, to_csv(person_rows(3, start=500)))
    before_rows, before_changes = data_rows(entry["id"]), changes(entry["id"])
    rows = person_rows(6)
    rows[5][0] = rows[1][0]
    resp = upload(client, entry, headers, to_csv(rows))
    assert resp.status_code == 422
    err = _errors(resp)[0]
    assert err["row"] == 7 and err["column"] == "id_number" and "row 3" in err["reason"]
    _unchanged(entry, before_rows, before_changes)


def test_missing_required_column(client, loaded):
    entry, headers, _ = loaded
    before_rows = data_rows(entry["id"])
    rows = [r[:1] + r[2:] for r in person_rows(3, start=60)]
    resp = upload(client, entry, headers, to_csv(rows, header=[h for h in HEADER if h != "name"]))
    assert resp.status_code == 422
    assert "name" in resp.text and "姓名" in resp.text
    assert data_rows(entry["id"]) == before_rows


def test_unknown_column(client, loaded):
    entry, headers, _ = loaded
    rows = [r + ["x"] for r in person_rows(2, start=60)]
    resp = upload(client, entry, headers, to_csv(rows, header=HEADER + ["shoe_size"]))
    assert resp.status_code == 422 and "shoe_size" in resp.text


@pytest.mark.parametrize("body,filename", [
    (b"", "empty.csv"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "photo.png"),
    (b"PK\x03\x04broken zip", "broken.xlsx"),
    (b"PAR1garbage", "broken.parquet"),
    (b'[{"id_number": "1"', "broken.json"),
    (b'{"id_number": "x"}\n{not json}\n', "broken.jsonl"),
    ('id_number,name\n"unterminated,张三\n'.encode(), "quote.csv"),
    ("id_number,name,birth_date\n1,2\n".encode(), "short.csv"),
])
def test_broken_files_are_4xx(client, loaded, body, filename):
    entry, headers, _ = loaded
    before_rows = data_rows(entry["id"])
    resp = upload(client, entry, headers, body, filename=filename)
    assert resp.status_code in (415, 422), resp.text
    assert resp.json()["error"]["message"]
    assert data_rows(entry["id"]) == before_rows


def test_wrong_encoding_is_reported(client, loaded):
    """A UTF-8 file with a stray Latin-1 byte is decoded as GB18030 or rejected, never silently mangled."""
    entry, headers, _ = loaded
    rows = person_rows(3, start=70)
    body = to_csv(rows).replace("张".encode(), b"\xff", 1)
    resp = upload(client, entry, headers, body)
    assert resp.status_code in (200, 422)
    if resp.status_code == 422:
        assert resp.json()["error"]["message"]


def test_oversize_upload_is_413(client, loaded, monkeypatch):
    entry, headers, _ = loaded
    before_rows = data_rows(entry["id"])
    monkeypatch.setattr(get_settings(), "max_upload_bytes", 200)
    resp = upload(client, entry, headers, to_csv(person_rows(20, start=80)))
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "payload_too_large"
    assert data_rows(entry["id"]) == before_rows
    uploads = get_settings().data_dir / "uploads"
    assert not list(uploads.glob("upload-*"))  # the spool file is gone


def test_unknown_entry_and_bad_tokens(client, loaded, platform):
    entry, headers, _ = loaded
    body = to_csv(person_rows(2, start=90))
    assert client.put("/api/v1/catalog/entries/enope/data", content=body, headers=headers).status_code == 404
    assert client.put(f"/api/v1/catalog/entries/{entry['id']}/data", content=body).status_code == 401
    assert client.put(f"/api/v1/catalog/entries/{entry['id']}/data", content=body,
                      headers={"Authorization": "Bearer nope"}).status_code == 401
    other_org, other_headers = platform.provider()
    resp = client.put(f"/api/v1/catalog/entries/{entry['id']}/data", content=body, headers=other_headers)
    assert resp.status_code == 403
    reader = platform.headers(platform.org(), ["data:read"])
    assert client.put(f"/api/v1/catalog/entries/{entry['id']}/data", content=body, headers=reader).status_code == 403
    assert client.put(f"/api/v1/catalog/entries/{entry['id']}/data", params={"mode": "merge"}, content=body,
                      headers=headers).status_code == 422
    assert len(data_rows(entry["id"])) == 10


def test_hostile_strings_are_stored_verbatim_or_rejected(client, loaded):
    entry, headers, _ = loaded
    rows = person_rows(4, start=95)
    rows[0][1] = "Robert'); DROP TABLE catalog_entries;--"
    rows[1][1] = "<script>alert(1)</script>"
    rows[2][1] = "名" * 50
    resp = upload(client, entry, headers, to_csv(rows))
    assert resp.status_code == 200, resp.text
    stored = data_rows(entry["id"])
    assert stored[rows[0][0]]["name"] == rows[0][1] and stored[rows[1][0]]["name"] == rows[1][1]
    rows[3][1] = "名" * 51  # longer than the item's length 50
    resp = upload(client, entry, headers, to_csv(rows))
    assert resp.status_code == 422 and _errors(resp)[0]["column"] == "name"
    rows[3][1] = "nul\x00byte"
    resp = upload(client, entry, headers, to_csv(rows))
    assert resp.status_code == 422


def test_oversize_multipart_upload_is_413(client, loaded, monkeypatch):
    entry, headers, _ = loaded
    before_rows = data_rows(entry["id"])
    monkeypatch.setattr(get_settings(), "max_upload_bytes", 200)
    resp = client.put(f"/api/v1/catalog/entries/{entry['id']}/data", headers=headers,
                      files={"file": ("big.csv", to_csv(person_rows(20, start=80)), "text/csv")})
    assert resp.status_code == 413, resp.text
    assert resp.json()["error"]["code"] == "payload_too_large"
    assert data_rows(entry["id"]) == before_rows

"""Uploading data through the console: who sees the form, the load report, rejected loads, CSRF."""

from __future__ import annotations

import re

from tests.conftest import make_id_number
from tests.mounting.conftest import changes, data_rows, person_rows, to_csv
from tests.web.conftest import csrf_from, sign_in, text_of


def _post(client, entry_id: str, body: bytes, token: str | None, mode: str = "replace", filename: str = "人口.csv"):
    data = {"mode": mode}
    if token is not None:
        data["csrf_token"] = token
    return client.post(f"/catalog/{entry_id}/upload", data=data, files={"file": (filename, body, "text/csv")},
                       follow_redirects=False)


def test_org_admin_uploads_a_csv_and_sees_the_load_report(client, provider_setup):
    entry, admin = provider_setup["entry"], provider_setup["admin"]
    client.cookies.clear()
    sign_in(client, admin)
    page = client.get(f"/catalog/{entry['id']}")
    assert 'enctype="multipart/form-data"' in page.text and "上传并载入" in text_of(page.text)
    assert "尚未载入过数据" in text_of(page.text)
    resp = _post(client, entry["id"], to_csv(person_rows(5)), csrf_from(page.text))
    assert resp.status_code == 200, text_of(resp.text)
    text = text_of(resp.text)
    assert "已载入 人口.csv，数据已挂接" in text
    assert re.search(r"读取行数 5 新增 5 更新 0 删除 0 未变 0 耗时 \d+(\.\d)? (毫秒|秒) 文件格式 csv 字符编码 utf-8", text), text
    assert "已挂接" in text and "成功" in text
    assert len(data_rows(entry["id"])) == 5
    # The report is kept: the entry page lists the load among the recent ones.
    again = text_of(client.get(f"/catalog/{entry['id']}").text)
    assert "最近载入记录 (1)" in again and "文件上传" in again and "全量替换" in again
    # An upsert of the same rows plus one changed row reports what changed.
    rows = person_rows(5)
    rows[0][1] = "改名"
    resp = _post(client, entry["id"], to_csv(rows), csrf_from(resp.text), mode="upsert")
    assert resp.status_code == 200
    assert re.search(r"读取行数 5 新增 0 更新 1 删除 0 未变 4", text_of(resp.text))


def test_gbk_file_and_english_report(client, provider_setup):
    entry, admin = provider_setup["entry"], provider_setup["admin"]
    client.cookies.clear()
    sign_in(client, admin)
    client.cookies.set("gs_lang", "en")
    page = client.get(f"/catalog/{entry['id']}")
    resp = _post(client, entry["id"], to_csv(person_rows(3), encoding="gbk"), csrf_from(page.text))
    assert resp.status_code == 200
    text = text_of(resp.text)
    assert "Rows read 3 Inserted 3" in text and "Succeeded" in text and "Replace all data" in text
    assert re.search(r"Encoding (gbk|gb18030)", text)
    assert "新增" not in text  # nothing of the page is left in Chinese but user data


def test_rejected_upload_shows_row_column_and_reason(client, provider_setup):
    entry, admin = provider_setup["entry"], provider_setup["admin"]
    client.cookies.clear()
    sign_in(client, admin)
    token = csrf_from(client.get(f"/catalog/{entry['id']}").text)
    assert _post(client, entry["id"], to_csv(person_rows(4)), token).status_code == 200
    before_rows, before_changes = data_rows(entry["id"]), changes(entry["id"])
    rows = person_rows(6, start=20)
    good = make_id_number()
    rows[2][0] = good[:-1] + ("0" if good[-1] != "0" else "1")  # wrong check digit: sheet row 4
    rows[4][4] = "两个"  # not an integer: sheet row 6
    resp = _post(client, entry["id"], to_csv(rows), token)
    assert resp.status_code == 422
    page = resp.text
    text = text_of(page)
    assert "本次未载入任何数据" in text and "发现 2 处问题" in text
    table = page[page.index('class="table problems"'):]
    cells = [text_of(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", table[:table.index("</table>")], flags=re.S)]
    problems = [cells[i:i + 4] for i in range(0, len(cells), 4)]
    # Fixed reasons are translated for the clerk (the page is in Chinese by default).
    assert problems[0][0] == "4" and problems[0][1].startswith("id_number")
    assert problems[0][3] == "公民身份号码校验码不符"
    assert problems[1][0] == "6" and problems[1][1].startswith("children") and problems[1][2] == "两个"
    assert problems[1][3] == "不是整数"
    assert data_rows(entry["id"]) == before_rows and changes(entry["id"]) == before_changes
    # The failed attempt is listed, and its problems are available from the list.
    page = client.get(f"/catalog/{entry['id']}").text
    assert "最近载入记录 (2)" in text_of(page) and "失败" in text_of(page) and "查看本次载入的问题" in text_of(page)


def test_bad_file_and_missing_file(client, provider_setup):
    entry, admin = provider_setup["entry"], provider_setup["admin"]
    client.cookies.clear()
    sign_in(client, admin)
    token = csrf_from(client.get(f"/catalog/{entry['id']}").text)
    missing = client.post(f"/catalog/{entry['id']}/upload", data={"csrf_token": token, "mode": "replace"},
                          files={"file": ("", b"", "application/octet-stream")})
    assert missing.status_code == 422 and "请选择要上传的文件" in text_of(missing.text)
    assert 'id="file-error"' in missing.text
    bad_mode = _post(client, entry["id"], to_csv(person_rows(2)), token, mode="merge")
    assert bad_mode.status_code == 422 and "请选择一种载入方式" in text_of(bad_mode.text)
    headers_wrong = _post(client, entry["id"], b"foo,bar\n1,2\n", token)
    assert headers_wrong.status_code in (415, 422)
    assert "未载入" in text_of(headers_wrong.text) or "不支持" in text_of(headers_wrong.text)
    assert "载入报告" in text_of(headers_wrong.text)
    assert data_rows(entry["id"]) == {}


def test_upload_without_csrf_is_refused_and_changes_nothing(client, provider_setup):
    entry, admin = provider_setup["entry"], provider_setup["admin"]
    client.cookies.clear()
    sign_in(client, admin)
    body = to_csv(person_rows(3))
    for token in (None, "", "wrong-token"):
        resp = _post(client, entry["id"], body, token)
        assert resp.status_code == 403, token
        assert "text/html" in resp.headers["content-type"] and "表单已过期" in text_of(resp.text)
    assert data_rows(entry["id"]) == {} and changes(entry["id"]) == []
    assert "尚未载入过数据" in text_of(client.get(f"/catalog/{entry['id']}").text)


def test_only_the_providers_loaders_see_the_form_or_may_post(client, platform, provider_setup):
    entry, org = provider_setup["entry"], provider_setup["org"]
    body = to_csv(person_rows(2))
    # A consumer of the providing department: no form, and a post is refused.
    client.cookies.clear()
    sign_in(client, platform.user(org, ["consumer"]))
    page = client.get(f"/catalog/{entry['id']}")
    assert 'enctype="multipart/form-data"' not in page.text
    assert _post(client, entry["id"], body, csrf_from(page.text)).status_code == 403
    # The administrator of another department: the same.
    client.cookies.clear()
    sign_in(client, platform.user(platform.org(), ["org_admin"]))
    page = client.get(f"/catalog/{entry['id']}")
    assert 'enctype="multipart/form-data"' not in page.text
    resp = _post(client, entry["id"], body, csrf_from(page.text))
    assert resp.status_code == 403 and "只有提供部门可以执行此操作" in text_of(resp.text)
    # A platform administrator may load any department's data.
    client.cookies.clear()
    sign_in(client, platform.user(platform.org(), ["platform_admin"]))
    page = client.get(f"/catalog/{entry['id']}")
    assert 'enctype="multipart/form-data"' in page.text
    assert data_rows(entry["id"]) == {}


def test_signed_out_upload_goes_to_login(client, provider_setup):
    client.cookies.clear()
    entry = provider_setup["entry"]
    resp = _post(client, entry["id"], to_csv(person_rows(1)), "x")
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login?next=")
    assert client.get(f"/catalog/{entry['id']}/upload", follow_redirects=False).status_code == 303


def test_xlsx_upload_through_the_console(client, provider_setup):
    import io

    import openpyxl

    from tests.mounting.conftest import HEADER
    entry, admin = provider_setup["entry"], provider_setup["admin"]
    client.cookies.clear()
    sign_in(client, admin)
    page = client.get(f"/catalog/{entry['id']}")
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    for row in person_rows(4):
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    resp = _post(client, entry["id"], buf.getvalue(), csrf_from(page.text), filename="人口.xlsx")
    assert resp.status_code == 200, text_of(resp.text)
    assert "文件格式 xlsx" in text_of(resp.text) and len(data_rows(entry["id"])) == 4


def test_rejection_reasons_follow_the_language(client, provider_setup):
    entry, admin = provider_setup["entry"], provider_setup["admin"]
    client.cookies.clear()
    sign_in(client, admin)
    client.cookies.set("gs_lang", "en")
    token = csrf_from(client.get(f"/catalog/{entry['id']}").text)
    rows = person_rows(2, start=40)
    rows[1][4] = "两个"
    text = text_of(_post(client, entry["id"], to_csv(rows), token).text)
    assert "not an integer (a whole number)" in text and "不是整数" not in text


def test_reasons_with_values_are_translated_too(client, provider_setup):
    from tests.mounting.conftest import HEADER
    entry, admin = provider_setup["entry"], provider_setup["admin"]
    client.cookies.clear()
    sign_in(client, admin)
    token = csrf_from(client.get(f"/catalog/{entry['id']}").text)
    rows = person_rows(3, start=60)
    rows[2][0] = rows[0][0]
    text = text_of(_post(client, entry["id"], to_csv(rows), token).text)
    assert "主键重复：与第 2 行相同" in text
    missing_name = [r[:1] + r[2:] for r in person_rows(2, start=70)]
    text = text_of(_post(client, entry["id"], to_csv(missing_name, header=[h for h in HEADER if h != "name"]),
                         token).text)
    assert "缺少必填列：name（姓名）" in text

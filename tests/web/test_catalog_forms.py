"""Console catalog writing: the entry form (create with errors, items editor, edit), publish and
withdraw behind confirmations, version diffs, who may do what, and who uses an entry."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from govshare.catalog.models import CatalogEntry
from govshare.core.database import session_scope
from tests.web.conftest import WEB_CLASS, csrf_from, sign_in, text_of


def _entry_count() -> int:
    with session_scope(read_only=True) as session:
        return session.scalar(select(func.count()).select_from(CatalogEntry))


def _form(**overrides) -> dict:
    """A valid entry form as a browser posts it (one key item, one other item)."""
    data = {
        "name": "社会救助对象信息", "summary": "本市最低生活保障、特困供养对象名单", "category": "department",
        "class_path": " / ".join(WEB_CLASS), "format": "database", "share_type": "conditional",
        "share_condition": "仅限社会救助核对使用", "share_methods": ["api", "batch"], "open_type": "closed",
        "open_condition": "", "update_cycle": "monthly", "related_codes": "", "item_count": "2",
        "items-0-name": "id_number", "items-0-label": "公民身份号码", "items-0-data_type": "C", "items-0-length": "18",
        "items-0-precision": "", "items-0-required": "1", "items-0-is_key": "1", "items-0-sensitivity": "important",
        "items-0-pi_kind": "id_number", "items-0-description": "",
        "items-1-name": "aid_type", "items-1-label": "救助类别", "items-1-data_type": "C", "items-1-length": "20",
        "items-1-precision": "", "items-1-sensitivity": "general", "items-1-pi_kind": "none",
        "items-1-description": "低保、特困等",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _error_of(page: str, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="{re.escape(field)}-error">([^<]*)</p>', page)
    assert match, f"no error shown for {field}"
    return match.group(1)


@pytest.fixture()
def writer(clean_db, client, platform):
    org, headers = platform.provider()
    admin = platform.user(org, ["org_admin"])
    sign_in(client, admin)
    return {"org": org, "headers": headers, "admin": admin}


def test_create_an_entry_through_the_form(client, writer):
    page = client.get("/catalog/new")
    assert page.status_code == 200
    assert "新建目录条目" in text_of(page.text) and 'name="items-0-name"' in page.text
    resp = client.post("/catalog/new", data={**_form(), "csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert resp.status_code == 303, text_of(resp.text)
    entry_url = resp.headers["location"]
    shown = client.get(entry_url)
    text = text_of(shown.text)
    assert "社会救助对象信息" in text and "已创建为草稿" in text
    assert "救助类别" in text and "公民身份号码" in text and "重要数据" in text
    assert "仅限社会救助核对使用" in text and "每月" in text
    # The provider sees edit and publish, not "request access".
    assert f'href="{entry_url}/edit"' in shown.text and f'href="{entry_url}/publish"' in shown.text
    assert "/access/requests/new" not in shown.text


def test_create_with_errors_shows_them_next_to_the_fields_and_creates_nothing(client, writer):
    token = csrf_from(client.get("/catalog/new").text)
    before = _entry_count()
    resp = client.post("/catalog/new", data={**_form(name="", share_methods=None, **{
        "items-1-name": "Aid Type", "items-0-length": "十八"}), "csrf_token": token})
    assert resp.status_code == 422
    page = resp.text
    assert _error_of(page, "name") == "此项必填。"
    assert _error_of(page, "share_methods") == "请至少选择一种共享方式。"
    assert "小写字母" in _error_of(page, "items-1-name")
    assert _error_of(page, "items-0-length") == "请输入整数。"
    # What was typed is kept.
    assert 'value="Aid Type"' in page and "仅限社会救助核对使用" in page
    assert _entry_count() == before
    # Rules of the catalog guide, checked by the service, land next to their fields too.
    resp = client.post("/catalog/new", data={**_form(share_condition="", **{
        "items-0-is_key": None, "items-1-label": "公民身份号码"}), "csrf_token": token})
    assert resp.status_code == 422
    page = resp.text
    assert _error_of(page, "share_condition") == "有条件共享的资源必须说明共享条件"
    assert _error_of(page, "items-1-label") == "信息项中文名称重复"
    assert "至少一个信息项须为主键" in _error_of(page, "items")
    assert _entry_count() == before


def test_items_editor_adds_and_removes_rows_without_saving(client, writer):
    token = csrf_from(client.get("/catalog/new").text)
    before = _entry_count()
    added = client.post("/catalog/new", data={**_form(), "add_item": "1", "csrf_token": token})
    assert added.status_code == 200
    assert 'name="items-2-name"' in added.text and 'name="item_count" value="3"' in added.text
    removed = client.post("/catalog/new", data={**_form(), "remove_item": "1", "csrf_token": token})
    assert removed.status_code == 200
    assert 'value="aid_type"' not in removed.text and 'value="id_number"' in removed.text
    assert _entry_count() == before
    # An empty added row is ignored when saving.
    saved = client.post("/catalog/new", data={**_form(item_count="3"), "csrf_token": token}, follow_redirects=False)
    assert saved.status_code == 303
    assert _entry_count() == before + 1


def test_edit_publish_and_version_diff(client, writer, platform):
    entry = platform.entry(writer["headers"], class_path=WEB_CLASS)
    form_page = client.get(f"/catalog/{entry['id']}/edit")
    assert form_page.status_code == 200 and 'value="婚姻登记信息"' in form_page.text
    token = csrf_from(form_page.text)
    # Re-post the form as shown, with a new name, a new item and a note.
    fields = dict(re.findall(r'<input type="text" id="f-[^"]*" name="([^"]+)" value="([^"]*)"', form_page.text))
    fields.update(re.findall(r'<input id="f-[^"]*" name="([^"]+)" type="text" value="([^"]*)"', form_page.text))
    for name, options in re.findall(r'<select id="f-[^"]*" name="([^"]+)"[^>]*>(.*?)</select>', form_page.text, re.S):
        fields[name] = re.search(r'<option value="([^"]*)" selected>', options).group(1)
    checked = re.findall(r'<input type="checkbox" id="f-[^"]*" name="([^"]+)" value="1" checked', form_page.text)
    data = {**fields, **{c: "1" for c in checked}, "csrf_token": token, "share_methods": ["api", "batch"],
            "summary": entry["summary"], "share_condition": entry["share_condition"], "open_condition": "",
            "name": "婚姻关系登记信息", "note": "按民政部口径更名", "item_count": str(len(entry["items"]) + 1)}
    n = len(entry["items"])
    data.update({f"items-{n}-name": "register_office", f"items-{n}-label": "登记机关", f"items-{n}-data_type": "C",
                 f"items-{n}-sensitivity": "general", f"items-{n}-pi_kind": "none"})
    resp = client.post(f"/catalog/{entry['id']}/edit", data=data, follow_redirects=False)
    assert resp.status_code == 303, text_of(resp.text)
    page = client.get(resp.headers["location"])
    text = text_of(page.text)
    assert "婚姻关系登记信息" in text and "已保存" in text and "登记机关" in text
    assert f'href="/catalog/{entry["id"]}/versions/2"' in page.text
    diff = client.get(f"/catalog/{entry['id']}/versions/2")
    assert diff.status_code == 200 and "EntryVersion" not in diff.text
    dtext = text_of(diff.text)
    assert re.search(r"名称 婚姻登记信息 婚姻关系登记信息", dtext)
    assert "新增的信息项" in dtext and "登记机关 (register_office, 字符型)" in dtext
    assert "按民政部口径更名" in dtext
    assert client.get(f"/catalog/{entry['id']}/versions/9").status_code == 404
    first = text_of(client.get(f"/catalog/{entry['id']}/versions/1").text)
    assert "这是第一个版本" in first


def test_publish_and_withdraw_ask_for_confirmation(client, writer, platform):
    draft = platform.entry(writer["headers"], publish=False, class_path=WEB_CLASS)
    confirm = client.get(f"/catalog/{draft['id']}/publish")
    assert confirm.status_code == 200 and "确认发布" in text_of(confirm.text)
    token = csrf_from(confirm.text)
    # Without the form's CSRF token nothing happens.
    assert client.post(f"/catalog/{draft['id']}/publish", data={}).status_code == 403
    resp = client.post(f"/catalog/{draft['id']}/publish", data={"csrf_token": token}, follow_redirects=False)
    assert resp.status_code == 303
    assert "已发布" in text_of(client.get(f"/catalog/{draft['id']}").text)
    withdraw = client.get(f"/catalog/{draft['id']}/withdraw")
    assert withdraw.status_code == 200 and "撤回原因" in text_of(withdraw.text)
    no_reason = client.post(f"/catalog/{draft['id']}/withdraw", data={"csrf_token": token, "reason": "  "})
    assert no_reason.status_code == 422 and _error_of(no_reason.text, "reason") == "请填写撤回原因。"
    assert client.get(f"/api/v1/catalog/entries/{draft['id']}", headers=writer["headers"]).json()["status"] == \
        "published"
    resp = client.post(f"/catalog/{draft['id']}/withdraw", data={"csrf_token": token, "reason": "数据来源调整"},
                       follow_redirects=False)
    assert resp.status_code == 303
    assert client.get(f"/api/v1/catalog/entries/{draft['id']}", headers=writer["headers"]).json()["status"] == \
        "withdrawn"
    versions = text_of(client.get(f"/catalog/{draft['id']}").text)
    assert "数据来源调整" in versions
    # A withdrawn entry cannot be withdrawn again, nor edited.
    assert client.get(f"/catalog/{draft['id']}/withdraw").status_code == 409
    assert client.get(f"/catalog/{draft['id']}/edit").status_code == 409


def test_another_department_cannot_edit_publish_or_withdraw(client, clean_db, platform):
    org, headers = platform.provider()
    entry = platform.entry(headers, class_path=WEB_CLASS)
    draft = platform.entry(headers, publish=False, class_path=WEB_CLASS)
    other = platform.org()
    sign_in(client, platform.user(other, ["org_admin"]))
    page = client.get(f"/catalog/{entry['id']}")
    token = csrf_from(page.text)
    # No edit buttons, but a request link for the other department.
    assert f"/catalog/{entry['id']}/edit" not in page.text
    assert f'href="/access/requests/new?entry_id={entry["id"]}"' in page.text
    assert "申请共享" in text_of(page.text)
    assert "谁在使用" not in text_of(page.text)
    for url in (f"/catalog/{entry['id']}/edit", f"/catalog/{entry['id']}/withdraw", f"/catalog/{entry['id']}/source"):
        denied = client.get(url)
        assert denied.status_code == 403 and "只有提供部门" in text_of(denied.text), url
    assert client.post(f"/catalog/{entry['id']}/withdraw", data={"csrf_token": token, "reason": "x"}).status_code == 403
    assert client.post(f"/catalog/{entry['id']}/edit", data={**_form(), "csrf_token": token}).status_code == 403
    assert client.get(f"/catalog/{draft['id']}/publish").status_code == 404  # another department's draft
    assert client.get(f"/api/v1/catalog/entries/{entry['id']}", headers=headers).json()["status"] == "published"
    # A consumer of the provider's own department may read but not write.
    client.cookies.clear()
    sign_in(client, platform.user(org, ["consumer"]))
    assert client.get("/catalog/new").status_code == 403
    assert client.get(f"/catalog/{entry['id']}/edit").status_code == 403
    # Not signed in: the login page.
    client.cookies.clear()
    resp = client.get(f"/catalog/{entry['id']}/edit", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login")


def test_who_uses_it_shows_consumer_departments_to_the_provider(client, clean_db, platform):
    org, headers = platform.provider()
    entry = platform.entry(headers, class_path=WEB_CLASS, share_type="unconditional", share_condition=None)
    consumer = platform.org()
    consumer_headers = platform.headers(consumer, ["data:read"])
    for _ in range(2):
        resp = client.post("/api/v1/access-requests", headers=consumer_headers, json={
            "entry_id": entry["id"], "items": ["id_number", "name"], "methods": ["lookup"], "purpose": "社会救助核对"})
        assert resp.status_code == 201 and resp.json()["status"] == "approved", resp.text
    sign_in(client, platform.user(org, ["org_admin"]))
    text = text_of(client.get(f"/catalog/{entry['id']}").text)
    assert "谁在使用 (1)" in text and consumer["name"] in text
    assert re.search(re.escape(consumer["name"]) + r" 2", text)


def test_forms_refuse_a_wrong_csrf_token_and_speak_english(client, writer):
    before = _entry_count()
    resp = client.post("/catalog/new", data={**_form(), "csrf_token": "forged"})
    assert resp.status_code == 403 and _entry_count() == before
    client.cookies.set("gs_lang", "en")
    page = client.get("/catalog/new")
    text = text_of(page.text)
    assert "New catalog entry" in text and "Create draft" in text and "Add item" in text
    resp = client.post("/catalog/new", data={**_form(name=""), "csrf_token": csrf_from(page.text)})
    assert resp.status_code == 422 and _error_of(resp.text, "name") == "This field is required."


def test_items_that_do_not_fit_mounted_data_are_refused_next_to_the_item(client, writer, platform):
    from tests.mounting.conftest import person_rows, to_csv
    entry = platform.entry(writer["headers"], class_path=WEB_CLASS)
    resp = client.put(f"/api/v1/catalog/entries/{entry['id']}/data", content=to_csv(person_rows(2)),
                      headers={**writer["headers"], "Content-Type": "text/csv"}, params={"filename": "p.csv"})
    assert resp.status_code == 200, resp.text
    page = client.get(f"/catalog/{entry['id']}/edit").text
    data = {"csrf_token": csrf_from(page), "name": entry["name"], "summary": entry["summary"],
            "class_path": " / ".join(WEB_CLASS), "format": "database", "share_type": "conditional",
            "share_condition": entry["share_condition"], "share_methods": ["api"], "open_type": "closed",
            "update_cycle": "daily", "item_count": "2"}
    # Only the key item stays, retyped to an integer: both refused while data is mounted.
    data.update({"items-0-name": "id_number", "items-0-label": "公民身份号码", "items-0-data_type": "I",
                 "items-0-is_key": "1", "items-0-sensitivity": "important", "items-0-pi_kind": "id_number",
                 "items-1-name": "name", "items-1-label": "姓名", "items-1-data_type": "C",
                 "items-1-sensitivity": "general", "items-1-pi_kind": "name"})
    resp = client.post(f"/catalog/{entry['id']}/edit", data=data)
    assert resp.status_code == 409
    assert _error_of(resp.text, "items-0-data_type") == "已挂接数据时不能修改"
    assert "已挂接数据时不能删除信息项" in _error_of(resp.text, "items")
    assert client.get(f"/api/v1/catalog/entries/{entry['id']}", headers=writer["headers"]).json()["items"][0][
        "data_type"] == "C"

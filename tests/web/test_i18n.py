"""Translations: negotiation, catalogs complete and current, vocabularies, every page in both languages."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from govshare.catalog import vocab
from govshare.core import i18n
from govshare.orgs.roles import Level, Role
from tests.mounting.conftest import person_rows, to_csv
from tests.web.conftest import WEB_CLASS, csrf_from, sign_in, text_of

ROOT = Path(__file__).resolve().parents[2]


def _extract_script():
    spec = importlib.util.spec_from_file_location("extract_messages", ROOT / "scripts" / "extract_messages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_message_has_a_chinese_translation():
    assert i18n.missing_translations("zh") == []


def test_catalogs_are_up_to_date_with_the_code():
    """Every msgid used in Python and templates is in both .po files (run scripts/extract_messages.py)."""
    script = _extract_script()
    used = {m.id for m in list(script.extract())[1:]}
    for lang in i18n.SUPPORTED:
        in_po = {m.id for m in list(i18n._read_catalog(lang))[1:]}
        assert used - in_po == set(), f"{lang}: run scripts/extract_messages.py"
        assert in_po - used == set(), f"{lang}: unused msgids; run scripts/extract_messages.py"


def test_gettext_and_fallback():
    assert i18n.gettext("zh", "Catalog") == "目录"
    assert i18n.gettext("en", "Catalog") == "Catalog"  # empty msgstr falls back to the msgid
    assert i18n.gettext("zh", "%(rows)s rows", rows="1,024") == "1,024 行"
    assert i18n.gettext("en", "%(rows)s rows", rows=3) == "3 rows"
    assert i18n.gettext("zh", "no such message") == "no such message"
    assert i18n.gettext("fr", "Catalog") == "目录"  # unsupported: the default language
    assert i18n.get_translations("zh") is i18n.get_translations("zh-CN")  # parsed once, cached


@pytest.mark.parametrize("cookie,header,expected", [
    ("en", "zh-CN,zh;q=0.9", "en"),
    ("zh", "en-US,en;q=0.9", "zh"),
    (None, "en-US,en;q=0.9", "en"),
    (None, "fr-FR,fr;q=0.9,en;q=0.8,zh;q=0.7", "en"),
    (None, "zh;q=0.3,en;q=0.9", "en"),
    (None, "en;q=0,zh;q=0.5", "zh"),
    (None, "zh-Hans-CN", "zh"),
    ("xx", "de", "zh"),
    (None, None, "zh"),
    (None, "garbage;;q=abc,,", "zh"),
])
def test_negotiate(cookie, header, expected):
    assert i18n.negotiate(cookie, header) == expected


def test_vocabularies_cover_every_code():
    expected = {
        "share_type": vocab.ShareType, "share_method": vocab.ShareMethod, "open_type": vocab.OpenType,
        "update_cycle": vocab.UpdateCycle, "data_type": vocab.DataType, "entry_status": vocab.EntryStatus,
        "category": vocab.Category, "format": vocab.EntryFormat, "sensitivity": vocab.Sensitivity,
        "pi_kind": vocab.PIKind, "role": Role, "org_level": Level,
    }
    for name, enum in expected.items():
        assert set(i18n.VOCABULARIES[name]) == {e.value for e in enum}, name
    from govshare.mounting.loader import MODES
    assert set(i18n.VOCABULARIES["load_mode"]) == set(MODES)
    # The catalog guide's own Chinese terms.
    assert i18n.label("zh", "share_type", "conditional") == "有条件共享"
    assert i18n.label("zh", "data_type", "D") == "日期型"
    assert i18n.label("zh", "format", "spreadsheet") == "电子表格"
    assert i18n.label("zh", "category", "base") == "基础信息资源"
    assert i18n.label("en", "sensitivity", vocab.Sensitivity.core) == "Core data"
    assert i18n.label("zh", "share_type", "unknown-code") == "unknown-code"


@pytest.fixture()
def pages(platform):
    """Every console page (URL or form post) with a signed-in provider administrator."""
    org, headers = platform.provider()
    entry = platform.entry(headers, name="户籍人口信息", summary="本市户籍人口基本信息", class_path=WEB_CLASS)
    admin = platform.user(org, ["org_admin"])
    return {"entry": entry, "admin": admin}


ZH_WORDS = ("目录", "退出登录")
EN_WORDS = ("Catalog", "Sign out")


def _visit_all(client, pages) -> dict[str, object]:
    entry = pages["entry"]
    out = {
        "catalog": client.get("/catalog"),
        "search": client.get("/catalog", params={"q": "户籍"}),
        "empty search": client.get("/catalog", params={"q": "火星移民"}),
        "entry": client.get(f"/catalog/{entry['id']}"),
        "not found": client.get("/catalog/missing-entry"),
        "bad filter": client.get("/catalog", params={"open_type": "x"}),
    }
    token = csrf_from(out["entry"].text)
    out["upload"] = client.post(f"/catalog/{entry['id']}/upload", data={"csrf_token": token, "mode": "replace"},
                                files={"file": ("p.csv", to_csv(person_rows(3)), "text/csv")})
    bad = person_rows(2)
    bad[0][4] = "many"
    out["rejected upload"] = client.post(f"/catalog/{entry['id']}/upload",
                                         data={"csrf_token": token, "mode": "append"},
                                         files={"file": ("p.csv", to_csv(bad), "text/csv")})
    out["csrf refused"] = client.post(f"/catalog/{entry['id']}/upload", data={"mode": "replace"},
                                      files={"file": ("p.csv", b"x", "text/csv")})
    return out


EXPECTED_STATUS = {"not found": 404, "bad filter": 422, "rejected upload": 422, "csrf refused": 403}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_renders_in_both_languages(client, pages, lang):
    client.cookies.clear()
    client.cookies.set("gs_lang", lang)
    login = client.get("/login")
    assert login.status_code == 200
    assert ("登录" in text_of(login.text)) == (lang == "zh")
    assert ("Sign in" in text_of(login.text)) == (lang == "en")
    assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in login.text
    sign_in(client, pages["admin"])
    for name, resp in _visit_all(client, pages).items():
        assert resp.status_code == EXPECTED_STATUS.get(name, 200), (name, resp.text[:500])
        assert resp.headers["content-type"].startswith("text/html"), name
        text = text_of(resp.text)
        words, others = (ZH_WORDS, EN_WORDS) if lang == "zh" else (EN_WORDS, ZH_WORDS)
        for word in words:
            assert word in text, (name, word)
        for word in others:
            assert word not in text, (name, word)
        # Each page links to the other language and back to itself.
        other = "en" if lang == "zh" else "zh"
        assert f'href="/lang/{other}?next=' in resp.text, name


def test_language_switch_sets_cookie_and_returns_to_the_same_page(client, pages):
    client.cookies.clear()
    sign_in(client, pages["admin"])
    entry = pages["entry"]
    page = client.get("/catalog", params={"q": "户籍"})
    assert "目录" in text_of(page.text) and "提供部门" in text_of(page.text)
    link = re.search(r'href="(/lang/en\?next=[^"]+)"', page.text).group(1).replace("&amp;", "&")
    resp = client.get(link, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/catalog?q=%E6%88%B7%E7%B1%8D"
    assert "gs_lang=en" in resp.headers["set-cookie"]
    english = client.get(resp.headers["location"])
    text = text_of(english.text)
    assert "Catalog" in text and "Provider" in text and "户籍人口信息" in text and "提供部门" not in text
    assert english.headers["content-language"] == "en"
    # Entry page in English: labels translated, the entry's own (Chinese) data as it is.
    text = text_of(client.get(f"/catalog/{entry['id']}").text)
    assert "Conditional sharing" in text and "Departmental information resource" in text and "户籍人口信息" in text
    # And back.
    client.get("/lang/zh?next=/catalog")
    assert "目录" in text_of(client.get("/catalog").text)


def test_language_from_accept_language_and_no_open_redirect(client):
    client.cookies.clear()
    assert "Sign in" in text_of(client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).text)
    assert "登录" in text_of(client.get("/login", headers={"Accept-Language": "zh-CN"}).text)
    assert "登录" in text_of(client.get("/login").text)  # default: Chinese
    for target in ("https://evil.example", "//evil.example", "/\\evil.example"):
        resp = client.get("/lang/en", params={"next": target}, follow_redirects=False)
        assert resp.headers["location"] == "/"
    resp = client.get("/lang/fr", params={"next": "/login"}, follow_redirects=False)
    assert resp.headers["location"] == "/login" and "gs_lang" not in resp.headers.get("set-cookie", "")

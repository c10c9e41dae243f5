"""Console database source settings (挂接数据库): never echo a password, pull and unmount behind a
confirmation, provider only."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from govshare.core.database import session_scope
from govshare.mounting import sources
from govshare.mounting.schemas import SourceConfig
from tests.web.conftest import csrf_from, sign_in, text_of

SECRET = "S3cret-Pw_9"
# Nothing listens on port 1 of the loopback: connecting fails at once.
UNREACHABLE = f"postgresql+psycopg://gs_reader:{SECRET}@127.0.0.1:1/population"


def _configured(entry_id: str) -> None:
    """A stored source as if probed (no department database in these tests)."""
    config = SourceConfig(url=UNREACHABLE, table_name="people")
    probe = sources.Probe(url=make_url(UNREACHABLE), columns=["id_number", "name"],
                          mapping={"id_number": "id_number", "name": "name"}, change_column=None)
    with session_scope() as session:
        sources.configure_source(session, entry_id, config, None, probe)


def test_source_settings_never_echo_the_password(client, provider_setup):
    entry, admin = provider_setup["entry"], provider_setup["admin"]
    client.cookies.clear()
    sign_in(client, admin)
    empty = client.get(f"/catalog/{entry['id']}/source")
    assert empty.status_code == 200 and "尚未挂接数据库" in text_of(empty.text)
    # An unreachable database: the form comes back with the error, the URL masked.
    resp = client.post(f"/catalog/{entry['id']}/source", data={
        "csrf_token": csrf_from(empty.text), "url": UNREACHABLE, "table_name": "people", "schedule": ""})
    assert resp.status_code == 422
    assert SECRET not in resp.text
    assert "gs_reader:***@127.0.0.1:1/population" in resp.text
    assert 'id="url-error"' in resp.text and "数据库挂接未保存" in text_of(resp.text)
    # Bad schedule and mapping are caught before connecting.
    resp = client.post(f"/catalog/{entry['id']}/source", data={
        "csrf_token": csrf_from(empty.text), "url": UNREACHABLE, "table_name": "people", "schedule": "soon",
        "column_map": "no equals sign"})
    assert resp.status_code == 422 and SECRET not in resp.text
    assert 'id="schedule-error"' in resp.text and 'id="column_map-error"' in resp.text
    # A stored source is shown masked, in the summary and in the form.
    _configured(entry["id"])
    page = client.get(f"/catalog/{entry['id']}/source")
    assert page.status_code == 200 and SECRET not in page.text
    assert page.text.count("gs_reader:***@127.0.0.1:1/population") >= 2
    # Pulling from it fails (unreachable): the error is shown, still without the password.
    pulled = client.post(f"/catalog/{entry['id']}/source/pull", data={"csrf_token": csrf_from(page.text)})
    assert pulled.status_code == 422 and SECRET not in pulled.text
    assert "gs_reader:***@127.0.0.1" in pulled.text


def test_remove_the_source_after_confirmation(client, provider_setup):
    entry, admin = provider_setup["entry"], provider_setup["admin"]
    _configured(entry["id"])
    client.cookies.clear()
    sign_in(client, admin)
    confirm = client.get(f"/catalog/{entry['id']}/source/delete")
    assert confirm.status_code == 200 and "确认解除" in text_of(confirm.text) and SECRET not in confirm.text
    token = csrf_from(confirm.text)
    assert client.post(f"/catalog/{entry['id']}/source/delete", data={"csrf_token": "wrong"}).status_code == 403
    resp = client.post(f"/catalog/{entry['id']}/source/delete", data={"csrf_token": token}, follow_redirects=False)
    assert resp.status_code == 303
    after = client.get(resp.headers["location"])
    assert "已解除数据库挂接" in text_of(after.text) and "尚未挂接数据库" in text_of(after.text)


def test_only_the_provider_sees_the_source(client, platform, provider_setup):
    entry = provider_setup["entry"]
    _configured(entry["id"])
    other = platform.org()
    client.cookies.clear()
    sign_in(client, platform.user(other, ["org_admin"]))
    token = csrf_from(client.get("/catalog").text)
    assert client.get(f"/catalog/{entry['id']}/source").status_code == 403
    for url in ("source", "source/pull", "source/delete"):
        resp = client.post(f"/catalog/{entry['id']}/{url}", data={"csrf_token": token, "url": UNREACHABLE,
                                                                   "table_name": "t"})
        assert resp.status_code == 403 and SECRET not in resp.text, url
    # A consumer of the provider's own department may not either (loading data is for data writers).
    client.cookies.clear()
    sign_in(client, platform.user(provider_setup["org"], ["consumer"]))
    assert client.get(f"/catalog/{entry['id']}/source").status_code == 403
    client.cookies.clear()
    resp = client.get(f"/catalog/{entry['id']}/source", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login")

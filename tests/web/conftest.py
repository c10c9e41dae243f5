"""Console test helpers: sign in through the login form, read CSRF tokens and text out of pages."""

from __future__ import annotations

import html
import re

import pytest

# Console tests file their entries under their own classes, so that the sequence numbers other
# tests expect under the default class path (民政/婚姻/婚姻登记) do not depend on test order.
WEB_CLASS = ["控制台测试", "人口", "户籍"]

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]*)"')


def csrf_from(page: str) -> str:
    match = CSRF_FIELD.search(page)
    assert match, "no csrf_token field on the page"
    return match.group(1)


def text_of(page: str) -> str:
    """The visible text of a page, tags removed and entities decoded, whitespace collapsed."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def sign_in(client, user: dict, next_url: str | None = None):
    """Log in through the form like a browser; returns the redirect response."""
    form = client.get("/login" + (f"?next={next_url}" if next_url else ""))
    assert form.status_code == 200, form.text
    data = {"username": user["username"], "password": user["password"], "csrf_token": csrf_from(form.text)}
    if next_url:
        data["next"] = next_url
    resp = client.post("/login", data=data, follow_redirects=False)
    assert resp.status_code == 303, resp.text
    return resp


@pytest.fixture()
def provider_setup(platform):
    """A provider department with an API client, a published entry and an org_admin console user."""
    org, headers = platform.provider()
    entry = platform.entry(headers, class_path=WEB_CLASS)
    admin = platform.user(org, ["org_admin"])
    return {"org": org, "headers": headers, "entry": entry, "admin": admin}

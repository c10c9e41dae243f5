"""Browser tests: Playwright for Python driving Debian's Chromium (`make test` installs it) against the
platform served by a real uvicorn (`live_server`).

Every page a test opens is watched: a console error, an uncaught page error, a failed request or an
HTTP error status fails the test unless the test said it expects that status (`watch.expect(403)`).
Screenshots of each page are written to test-artifacts/screenshots/ (GOVSHARE_TEST_ARTIFACTS to move it).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES

CHROMIUM = os.environ.get("GOVSHARE_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps trying to reach Google's hosts, which a
# closed network refuses; --no-sandbox because CI runs as root.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
ARTIFACTS = Path(os.environ.get("GOVSHARE_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))
SCREENSHOTS = ARTIFACTS / "screenshots"


@pytest.fixture(scope="module")
def browser():
    # Per module: Playwright's sync API keeps an event loop running in this thread while it is open, and
    # later tests call asyncio.run() (the NATS relay).
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        message = f"Chromium not found at {CHROMIUM} (`make test` installs Debian's chromium)"
        if REQUIRE_SERVICES:
            pytest.fail(message + " and GOVSHARE_REQUIRE_SERVICES=1")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Watch:
    """What went wrong in the browser while a test ran; `check()` fails the test on any of it."""

    def __init__(self, base: str):
        self.base = base
        self.problems: list[str] = []
        self.expected: set[int] = set()

    def expect(self, *statuses: int) -> None:
        """The next responses with these statuses are what the test wants (a denial, a 422 form)."""
        self.expected.update(statuses)

    def attach(self, page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def _console(self, message) -> None:
        if message.type != "error":
            return
        # Chromium reports an HTTP error status of a page as a console error too; those are judged by status.
        if re.search(r"Failed to load resource: the server responded with a status of (\d+)", message.text):
            return
        self.problems.append(f"console error: {message.text} at {message.location}")

    def _failed(self, request) -> None:
        failure = request.failure or ""
        if "net::ERR_ABORTED" in failure:
            # The browser cancelled it: the page navigated on (a click, a download) while it loaded. A
            # request the server fails shows as its status; one that cannot connect, as another error.
            return
        self.problems.append(f"request failed: {request.method} {request.url} ({failure})")

    def _response(self, response) -> None:
        if response.status >= 400 and response.status not in self.expected:
            self.problems.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    def check(self) -> None:
        problems, self.problems = self.problems, []
        assert not problems, "\n".join(problems)


@pytest.fixture()
def watch(live_server):
    return Watch(live_server)


@pytest.fixture()
def new_page(browser, live_server, watch, request):
    """`new_page(lang="zh")`: a page in a fresh browser context (its own cookies), watched."""
    contexts = []

    def make(lang: str = "zh", width: int = 1280, height: int = 900):
        context = browser.new_context(base_url=live_server, locale="zh-CN" if lang == "zh" else "en-US",
                                      viewport={"width": width, "height": height}, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        watch.attach(page)
        return page

    yield make
    for context in contexts:
        context.close()
    watch.check()


def shot(page, name: str) -> Path:
    """A full-page screenshot as a test artifact."""
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page, user: dict) -> None:
    page.goto("/login")
    page.fill("input[name=username]", user["username"])
    page.fill("input[name=password]", user["password"])
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    assert "/login" not in page.url, page.content()[:2000]


def log_out(page) -> None:
    page.locator("form[action='/logout'] button").click()
    page.wait_for_url(re.compile(r".*/login.*"))


def _english_msgids() -> list[tuple[str, re.Pattern]]:
    """English UI strings whose Chinese differs (or is missing), as whole-word patterns."""
    from babel.messages.pofile import read_po

    from govshare.core.i18n import LOCALE_DIR
    with (LOCALE_DIR / "zh" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    found = []
    for message in list(catalog)[1:]:
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        text = msgid.split("%(")[0].strip()
        if len(text) >= 4 and re.search(r"[A-Za-z]{3}", text) and message.string != msgid:
            # Not when part of a longer English phrase ("CKAN Action API" is a name, not the msgid "Action").
            found.append((text, re.compile(r"(?<![A-Za-z])(?<![A-Za-z] )" + re.escape(text)
                                           + r"(?![A-Za-z])(?! [A-Za-z])")))
    return found


_MSGIDS: list[tuple[str, re.Pattern]] = []


def untranslated(page) -> list[str]:
    """English UI strings visible on a page shown in Chinese (a missing translation shows its msgid)."""
    if not _MSGIDS:
        _MSGIDS.extend(_english_msgids())
    text = " ".join(page.inner_text("body").split())
    return [msgid for msgid, pattern in _MSGIDS if pattern.search(text)]

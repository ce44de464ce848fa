"""Browser tests: Debian's Chromium driven by Playwright against the dashboard served from a thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Request, expect
from werkzeug.serving import make_server

from dashboard.app import create_app
from dashboard.store import AppStore
from tests.helpers import ensure_account

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--disable-default-apps",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Use the system Chromium (never `playwright install`), headless and network-quiet."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}


WINDOW = {"viewport": {"width": 1440, "height": 900}, "locale": "nb-NO"}  # a laptop, in Norwegian


@pytest.fixture(scope="session")
def anonymous_context_args() -> dict:
    """A laptop-sized window with Norwegian locale, signed in as nobody."""
    return dict(WINDOW)


def log_in(page: Page, base_url: str, username: str, password: str) -> None:
    """Log in through the login form as a person would, and wait until the dashboard has taken over."""
    page.goto(f"{base_url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    page.wait_for_load_state("networkidle")  # nothing of this page load left in flight for the test to see


@pytest.fixture(scope="session")
def radmann_state(browser: Browser, anonymous_context_args: dict, dash_url: str, demo_dir: Path) -> dict:
    """The rådmann's login to the demo dashboard, made once per session and reused by every `page`."""
    password = ensure_account(AppStore.for_data_dir(demo_dir), "test-radmann", "radmann")
    context = browser.new_context(**anonymous_context_args)
    try:
        log_in(context.new_page(), dash_url, "test-radmann", password)
        return context.storage_state()
    finally:
        context.close()


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict, radmann_state: dict) -> dict:
    """Every `page` is signed in as the rådmann (who may see everything) unless a test asks otherwise."""
    return {**browser_context_args, **WINDOW, "storage_state": radmann_state}


@pytest.fixture
def anonymous_page(browser: Browser, anonymous_context_args: dict) -> Iterator[Page]:
    """A page in a fresh browser context where nobody is signed in."""
    context = browser.new_context(**anonymous_context_args)
    yield context.new_page()
    context.close()


@pytest.fixture
def page_as(browser: Browser, anonymous_context_args: dict, dash_url: str, demo_dir: Path):
    """`page_as("leder", ["E21"])`: a page in its own context, logged in to the demo as a test account of a role."""
    contexts = []

    def open_as(role: str, scopes: list[str] | None = None, username: str | None = None) -> Page:
        name = username or "test-" + "-".join([role, *(scopes or [])])
        password = ensure_account(AppStore.for_data_dir(demo_dir), name, role, scopes)
        context = browser.new_context(**anonymous_context_args)
        contexts.append(context)
        page = context.new_page()
        log_in(page, dash_url, name, password)
        return page

    yield open_as
    for context in contexts:
        context.close()


@contextmanager
def serve(data_dir: Path) -> Iterator[str]:
    """Serve the dashboard for a data folder on a free port in a thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, create_app(data_dir).server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def dash_url(demo_dir: Path) -> Iterator[str]:
    """The dashboard over the demo installation, for the whole session."""
    with serve(demo_dir) as url:
        yield url


@pytest.fixture
def empty_url(data_dir: Path, page: Page) -> Iterator[str]:
    """The dashboard over an initialised data folder where nothing is published yet (`page` signed in to it)."""
    with serve(data_dir) as url:
        log_in(page, url, "test-radmann", ensure_account(AppStore.for_data_dir(data_dir), "test-radmann", "radmann"))
        yield url


@pytest.fixture
def problems(page: Page) -> list[str]:
    """Console errors, uncaught page errors, failed requests, HTTP errors and requests that leave the machine."""
    seen: list[str] = []
    # A request still in flight when the page leaves (a test's `goto`, the browser's own favicon fetch) is
    # cancelled by Chromium with ERR_ABORTED; that is the browser leaving, not a fault. So each request
    # remembers how many page loads had begun when it was sent, and only an abort within the same page counts.
    page_loads = [0]
    sent_during: dict[Request, int] = {}

    def on_request(req: Request) -> None:
        if req.is_navigation_request() and req.frame == page.main_frame:
            page_loads[0] += 1
        sent_during[req] = page_loads[0]
        if not req.url.startswith(("http://127.0.0.1:", "data:", "blob:")):
            seen.append(f"external request: {req.url}")

    def on_failed(req: Request) -> None:
        left = req.failure == "net::ERR_ABORTED" and sent_during.get(req, page_loads[0]) < page_loads[0]
        if not left:
            seen.append(f"requestfailed: {req.url} {req.failure}")

    page.on("request", on_request)
    page.on("console", lambda msg: seen.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda err: seen.append(f"pageerror: {err}"))
    page.on("requestfailed", on_failed)
    page.on("response", lambda res: seen.append(f"http {res.status}: {res.url}") if res.status >= 400 else None)
    return seen


# A page is built on the server and drawn by plotly in the browser: on a busy 2-core machine (CI, several
# sessions at once) that takes longer than Playwright's default 5 s now and then.
expect.set_options(timeout=20_000)

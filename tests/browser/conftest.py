"""Browser tests: Debian's Chromium driven by Playwright against the dashboard served from a thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from dashboard.app import create_app

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


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    """A laptop-sized window with Norwegian locale."""
    return {**browser_context_args, "viewport": {"width": 1440, "height": 900}, "locale": "nb-NO"}


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
def empty_url(data_dir: Path) -> Iterator[str]:
    """The dashboard over an initialised data folder where nothing is published yet."""
    with serve(data_dir) as url:
        yield url


@pytest.fixture
def problems(page: Page) -> list[str]:
    """Console errors, uncaught page errors, failed requests, HTTP errors and requests that leave the machine."""
    seen: list[str] = []
    page.on(
        "request",
        lambda req: (
            None
            if req.url.startswith(("http://127.0.0.1:", "data:", "blob:"))
            else seen.append(f"external request: {req.url}")
        ),
    )
    page.on("console", lambda msg: seen.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda err: seen.append(f"pageerror: {err}"))
    page.on("requestfailed", lambda req: seen.append(f"requestfailed: {req.url} {req.failure}"))
    page.on("response", lambda res: seen.append(f"http {res.status}: {res.url}") if res.status >= 400 else None)
    return seen


# A page is built on the server and drawn by plotly in the browser: on a busy 2-core machine (CI, several
# sessions at once) that takes longer than Playwright's default 5 s now and then.
expect.set_options(timeout=20_000)

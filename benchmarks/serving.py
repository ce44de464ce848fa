"""The dashboard under load, over HTTP against a real `bms serve`: page callbacks for one and eight users, the
same callbacks' SQL on their own, failed requests while the warehouse is rebuilt, first page load in Chromium,
and the workers' memory afterwards."""

from __future__ import annotations

import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from benchmarks.measure import ROOT, bms, children, median_time, percentile, rss_mb

FAILED_TEXT = "Siden kunne ikke oppdateres"
NOT_FOUND_TEXT = "Fant ikke siden"
COMPARISON_WORDS = ("sammenlign", "kostra")
CSRF_COOKIE, CSRF_HEADER = "_csrf_token", "X-CSRFToken"  # as dashboard/security.py names them


@dataclass
class Server:
    """A running `bms serve` and where it answers."""

    process: subprocess.Popen
    url: str
    log: Path


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(folder: Path, log: Path, timeout: float = 300) -> Server:
    """Start `bms serve` (gunicorn, 2 workers) on a data folder and wait until the overview answers."""
    port = free_port()
    out = log.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "serve", "--data-dir", str(folder)]
        + ["--port", str(port), "--workers", "2"],
        cwd=ROOT,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"bms serve stoppet (kode {process.returncode}); se {log}")
        try:
            if requests.get(url + "/", timeout=5).status_code in (200, 302):
                return Server(process, url, log)
        except requests.RequestException:
            pass
        time.sleep(0.5)
    stop(Server(process, url, log))
    raise RuntimeError(f"bms serve svarte ikke innen {timeout:.0f} s; se {log}")


def stop(server: Server) -> None:
    """Stop the server we started (its own process group), politely first."""
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()


def credentials() -> tuple[str, str]:
    """The account the benchmark signs in with where the dashboard has logins (a demo account of `bms demo`)."""
    return os.environ.get("BMS_BENCH_USER", "radmann"), os.environ.get("BMS_DEMO_PASSWORD", "")


def session(url: str) -> requests.Session:
    """An HTTP session on the dashboard, signed in when it has a `/login` page."""
    s = requests.Session()
    page = s.get(url + "/login", timeout=30, allow_redirects=False)
    if page.status_code == 200 and 'name="password"' in page.text:  # Dash answers any path with its index
        user, password = credentials()
        hidden = dict(re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page.text))
        r = s.post(url + "/login", data={**hidden, "username": user, "password": password}, timeout=30)
        if r.status_code >= 400 or "/login" in r.url:
            raise RuntimeError(f"kunne ikke logge inn som {user} (sett BMS_BENCH_USER og BMS_DEMO_PASSWORD)")
        _send_csrf(s, url)
    return s


def signed_in(url: str, users: int) -> list[requests.Session]:
    """A session for each of `users` clients, signed in one after the other before they start: the
    dashboard counts an attempt as failed until its password is checked, so several clients signing in to
    one account at the same instant are slowed and refused as guesses would be (and a client thread that
    failed to sign in would end without a word, leaving fewer clients than the figure says)."""
    return [session(url) for _ in range(users)]


def _send_csrf(s: requests.Session, url: str) -> None:
    """Send the session's CSRF token as a header on every POST, as the Dash renderer does (it copies the
    `_csrf_token` cookie into `X-CSRFToken`); without it every callback is refused with 403."""
    if CSRF_COOKIE not in s.cookies:
        s.get(url + "/", timeout=30)
    token = s.cookies.get(CSRF_COOKIE)
    if token:
        s.headers[CSRF_HEADER] = token


def _pairs(text: str) -> list[dict[str, str]]:
    parts = text.strip(".").split("...") if text.startswith("..") else [text]
    return [dict(zip(("id", "property"), p.rsplit(".", 1), strict=True)) for p in parts]


def callback_body(dependency: dict, values: dict[str, object]) -> dict:
    """The JSON a browser posts to `/_dash-update-component` for a callback, with its inputs' values by
    `id.property`; the first input is the one that changed."""
    inputs = [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in dependency["inputs"]]
    outputs = _pairs(dependency["output"])
    return {
        "output": dependency["output"],
        "outputs": outputs if dependency["output"].startswith("..") else outputs[0],
        "inputs": inputs,
        "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"],
        "state": [{**s, "value": values.get(f"{s['id']}.{s['property']}")} for s in dependency.get("state", [])],
    }


def _links(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["props"]["href"]] if isinstance(node.get("props"), dict) and "href" in node["props"] else []
        return found + [h for v in node.values() for h in _links(v)]
    if isinstance(node, list):
        return [h for v in node for h in _links(v)]
    return []


def targets(s: requests.Session, url: str, unit: str) -> dict[str, dict]:
    """The page callbacks a visit makes: the overview, a unit's overview and, when it exists, the comparison."""
    deps = s.get(url + "/_dash-dependencies", timeout=60).json()
    pages = next(d for d in deps if "_pages_content.children" in d["output"])
    found = {"oversikt": callback_body(pages, {"_pages_location.pathname": "/", "_pages_location.search": ""})}
    # a unit's own page where the dashboard has one (/enhet/E21), else the overview opened on the unit
    own = callback_body(pages, {"_pages_location.pathname": f"/enhet/{unit}", "_pages_location.search": ""})
    answer = s.post(url + "/_dash-update-component", json=own, timeout=120)
    if answer.status_code == 200 and NOT_FOUND_TEXT not in answer.text:
        found["enhet"] = own
    else:
        found["enhet"] = callback_body(
            pages, {"_pages_location.pathname": "/", "_pages_location.search": f"?enhet={unit}"}
        )
    links = _links(s.get(url + "/_dash-layout", timeout=60).json())
    comparison = next((h for h in links if any(w in h.lower() for w in COMPARISON_WORDS)), None)
    if comparison:
        found["sammenligning"] = callback_body(
            pages, {"_pages_location.pathname": comparison, "_pages_location.search": ""}
        )
    return found


def call(s: requests.Session, url: str, body: dict) -> tuple[float, bool]:
    """One callback over HTTP: milliseconds and whether it answered with the page (not an error)."""
    start = time.perf_counter()
    try:
        r = s.post(url + "/_dash-update-component", json=body, timeout=120)
        ok = r.status_code == 200 and '"response"' in r.text and FAILED_TEXT not in r.text
    except requests.RequestException:
        ok = False
    return (time.perf_counter() - start) * 1000, ok


def load_users(url: str, bodies: list[dict], users: int, per_user: int) -> list[tuple[float, bool]]:
    """`users` clients at once, each making `per_user` callbacks in turn over the targets."""
    results: list[tuple[float, bool]] = []
    lock = threading.Lock()
    sessions = signed_in(url, users)

    def user(k: int) -> None:
        s = sessions[k]
        for i in range(per_user):
            r = call(s, url, bodies[(i + k) % len(bodies)])
            with lock:
                results.append(r)

    threads = [threading.Thread(target=user, args=(k,)) for k in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def callbacks(url: str, unit: str, requests_1: int, per_user_8: int) -> dict[str, float]:
    """p50/p95 of the page callbacks for one user, then for eight at once (after one warm-up round)."""
    s = session(url)
    found = targets(s, url, unit)
    bodies = list(found.values())
    for body in bodies * 2:
        call(s, url, body)
    one = [call(s, url, bodies[i % len(bodies)]) for i in range(requests_1)]
    per_target = {label: statistics.median(call(s, url, body)[0] for _ in range(3)) for label, body in found.items()}
    eight = load_users(url, bodies, 8, per_user_8)
    times_1, times_8 = [ms for ms, _ in one], [ms for ms, _ in eight]
    return {
        "pages": ",".join(found),
        "callback_p50_ms": percentile(times_1, 50),
        "callback_p95_ms": percentile(times_1, 95),
        "callback_p50_ms_8users": percentile(times_8, 50),
        "callback_p95_ms_8users": percentile(times_8, 95),
        "callback_errors": sum(not ok for _, ok in one + eight),
        **{f"callback_{label}_ms": ms for label, ms in per_target.items()},
    }


def sql_time(folder: Path, unit: str, repeat: int) -> float:
    """The median time of the queries the overview callbacks run (kommune and one unit), in-process."""
    from dashboard import data
    from etl.settings import load_settings
    from etl.store.warehouse import WarehouseReader

    settings = load_settings(folder)
    reader = WarehouseReader(settings.current)

    def page_queries() -> None:
        for scope, code in (("kommune", data.kommune_code(reader, settings)), ("enhet", unit)):
            data.is_published(reader)
            data.meta(reader)
            data.is_demo(reader)
            data.units(reader)
            data.scorecard(reader, scope, code)
            data.trends(reader, scope, code)

    page_queries()
    seconds, _ = median_time(page_queries, repeat)
    return seconds * 1000 / 2  # per page


def refresh(url: str, folder: Path, small: Path, unit: str, rebuilds: int = 5, users: int = 8) -> dict[str, float]:
    """Failed requests while the warehouse is rebuilt `rebuilds` times under `users` clients."""
    bodies = list(targets(session(url), url, unit).values())
    done = threading.Event()
    results: list[tuple[float, bool]] = []
    lock = threading.Lock()

    sessions = signed_in(url, users)

    def user(k: int) -> None:
        s, i = sessions[k], k
        while not done.is_set():
            r = call(s, url, bodies[i % len(bodies)])
            i += 1
            with lock:
                results.append(r)

    threads = [threading.Thread(target=user, args=(k,)) for k in range(users)]
    for t in threads:
        t.start()
    loads = []
    try:
        for i in range(rebuilds):
            variant = folder.parent / f"refresh-{i}-{small.name}"
            variant.write_text(small.read_text(encoding="utf-8").replace("4,4", f"4,{i % 9 + 1}1"), encoding="utf-8")
            seconds, _, code = bms(["load", "--data-dir", str(folder), str(variant)])
            if code != 0:
                raise RuntimeError(f"lasting {i + 1} under last feilet (kode {code})")
            loads.append(seconds)
    finally:
        done.set()
        for t in threads:
            t.join()
    return {
        "refresh_requests": len(results),
        "refresh_errors": sum(not ok for _, ok in results),
        "refresh_p95_ms": percentile([ms for ms, _ in results], 95),
        "refresh_load_s": statistics.median(loads),
    }


def first_load(url: str) -> dict[str, float]:
    """What a browser downloads to show the overview the first time (bytes on the wire, requests), in Chromium:
    signed in, in a fresh browser context, so nothing comes from the cache the login filled."""
    from playwright.sync_api import sync_playwright

    sizes: list[int] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        login = browser.new_context()
        page = login.new_page()
        page.goto(url + "/login")
        if page.locator("input[name=password]").count():
            user, password = credentials()
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", password)
            page.press("input[name=password]", "Enter")
            page.wait_for_load_state("networkidle")
        state = login.storage_state()  # the session cookie only: the new context's cache is empty
        login.close()
        page = browser.new_context(storage_state=state).new_page()
        page.on("requestfinished", lambda r: sizes.append(_wire_bytes(r)))
        page.goto(url + "/", wait_until="networkidle")
        page.wait_for_selector("#overview-body", timeout=60_000)
        page.wait_for_load_state("networkidle")
        browser.close()
    return {"first_load_kb": sum(sizes) / 1024, "first_load_requests": len(sizes)}


def _wire_bytes(request) -> int:
    s = request.sizes()
    return int(s["responseBodySize"]) + int(s["responseHeadersSize"])


def worker_rss(server: Server) -> float:
    """The largest resident memory (MB) among the server's processes (the gunicorn workers)."""
    return max((rss_mb(pid) for pid in children(server.process.pid)), default=0.0)

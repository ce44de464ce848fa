"""A running dashboard never blocks a load, and a load never breaks a running dashboard: rebuild the
warehouse five times from a separate `bms load` process while threads query the real app over HTTP."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from dashboard.app import create_app
from tests.helpers import login_session, query, write_xlsx


@pytest.fixture
def served(demo_copy: Path):
    server = make_server("127.0.0.1", 0, create_app(demo_copy).server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", demo_copy
    server.shutdown()


def page_request(base: str, session: requests.Session) -> tuple[str, dict]:
    """The Dash Pages routing callback, found from the app's own dependency list (as the browser does)."""
    deps = session.get(f"{base}/_dash-dependencies", timeout=10).json()
    cb = next(d for d in deps if "_pages_content" in d["output"])

    def arg(spec: dict, search: str) -> dict:
        value = {"pathname": "/", "search": search, "href": f"{base}/{search}", "hash": ""}.get(spec["property"])
        return {**spec, "value": value}

    def payload(search: str) -> dict:
        return {
            "output": cb["output"],
            "outputs": _outputs(cb["output"]),
            "inputs": [arg(i, search) for i in cb["inputs"]],
            "state": [arg(s, search) for s in cb["state"]],
            "changedPropIds": [f"{cb['inputs'][0]['id']}.{cb['inputs'][0]['property']}"],
        }

    return f"{base}/_dash-update-component", {"kommune": payload(""), "enhet": payload("?enhet=E41")}


def _outputs(output: str) -> list[dict] | dict:
    parts = [p for p in output.strip(".").split("...") if p]
    outs = [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]} for p in parts]
    return outs if output.startswith("..") else outs[0]


def test_rebuilds_while_threads_query_the_app(served):
    base, data_dir = served
    signed_in = login_session(base, data_dir)
    url, payloads = page_request(base, signed_in)
    errors: list[str] = []
    counts = {"requests": 0}
    done = threading.Event()

    def client(which: str) -> None:
        with requests.Session() as s:
            s.cookies.update(signed_in.cookies)
            s.headers.update(signed_in.headers)
            while not done.is_set():
                try:
                    r = s.post(url, json=payloads[which], timeout=30)
                    layout = s.get(f"{base}/_dash-layout", timeout=30)
                    counts["requests"] += 2
                    for resp in (r, layout):
                        if resp.status_code != 200 or "Noe gikk galt" in resp.text or "Traceback" in resp.text:
                            errors.append(f"{resp.status_code}: {resp.text[:200]}")
                    if which == "kommune" and "bms-value" not in r.text:
                        errors.append("the scorecard came back without values")
                except requests.RequestException as e:
                    errors.append(repr(e))

    threads = [threading.Thread(target=client, args=(w,)) for w in ("kommune", "enhet", "kommune", "enhet")]
    for t in threads:
        t.start()
    first = int(query(data_dir, "SELECT value FROM meta WHERE key = 'version'")[0][0])
    try:
        for i in range(5):
            write_xlsx(
                data_dir / "inbox" / f"tall_{i}.xlsx",
                {"Ark1": [["indikator_id", "enhet_id", "periode", "verdi"], ["grunnskolepoeng", "", "2026", 40 + i]]},
            )
            load = subprocess.run(
                [sys.executable, "-m", "dashboard.cli", "load", "--data-dir", str(data_dir)],
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert load.returncode == 0, load.stdout + load.stderr
            time.sleep(0.3)
    finally:
        done.set()
        for t in threads:
            t.join(timeout=60)
    assert errors == []
    assert counts["requests"] > 40
    assert int(query(data_dir, "SELECT value FROM meta WHERE key = 'version'")[0][0]) == first + 5
    # and the app now shows the newest version
    time.sleep(1.1)
    layout = signed_in.get(f"{base}/_dash-layout", timeout=30).text
    assert f"versjon {first + 5}" in layout

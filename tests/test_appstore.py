"""The application store: history kept and nothing deleted, it survives warehouse rebuilds and a killed server,
`bms backup` while writes go on, and what people write stays literal text on pages and in exports."""

from __future__ import annotations

import csv
import io
import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from openpyxl import load_workbook

from dashboard import dialogue_store
from dashboard.app import create_app
from dashboard.store import AppStore, store_path
from tests.dash_calls import call
from tests.helpers import app_client, login_session, query, write_xlsx

NASTY = '<script>alert("x")</script> =HYPERLINK("http://evil.example","klikk") **fet** <b>ikke fet</b>'
FORMULA = "=1+1 @SUM(A1) <img src=x onerror=alert(1)>"


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as con:
        return con.execute("PRAGMA integrity_check").fetchone()[0]


def test_every_change_keeps_its_history_and_nothing_is_deleted(data_dir: Path) -> None:
    store = AppStore.for_data_dir(data_dir)
    vid = dialogue_store.save_vurdering(store, "sykefravaer", "E21", "2025-01-01", "Første tekst", "kari")
    dialogue_store.save_vurdering(store, "sykefravaer", "E21", "2025-01-01", "Andre tekst", "ola")
    dialogue_store.save_vurdering(store, "sykefravaer", "E21", "2025-01-01", "", "ola")  # emptied: withdrawn
    assert dialogue_store.vurdering(store, "sykefravaer", "E21", "2025-01-01") is None
    assert store.one("SELECT withdrawn, text FROM vurderinger WHERE id = ?", (vid,)) == {
        "withdrawn": 1,
        "text": "Andre tekst",
    }
    changes = [(h["field"], h["old"], h["new"], h["changed_by"]) for h in store.history("vurderinger", vid)]
    assert ("text", "Første tekst", "Andre tekst", "ola") in changes
    assert ("withdrawn", "0", "1", "ola") in changes
    tid = dialogue_store.add_tiltak(
        store, "E21", "Ny rutine", ["sykefravaer"], "Kari", "31.01.2020", "planlagt", "kari"
    )
    assert dialogue_store.list_tiltak(store, {"E21"})[0]["overdue"]  # deadline passed, still planned
    dialogue_store.set_tiltak_status(store, tid, "fullført", "kari")
    assert not dialogue_store.list_tiltak(store, {"E21"})[0]["overdue"]
    dialogue_store.withdraw_tiltak(store, tid, "kari")
    assert dialogue_store.list_tiltak(store, {"E21"}) == []
    assert store.one("SELECT withdrawn FROM tiltak WHERE id = ?", (tid,))["withdrawn"] == 1
    assert ("status", "planlagt", "fullført") in [
        (h["field"], h["old"], h["new"]) for h in store.history("tiltak", tid)
    ]


def test_the_store_survives_warehouse_rebuilds(demo_copy: Path) -> None:
    store = AppStore.for_data_dir(demo_copy)
    dialogue_store.save_vurdering(store, "sykefravaer", "E21", "2025-01-01", "Overlever en ny lasting", "kari")
    before = int(query(demo_copy, "SELECT value FROM meta WHERE key = 'version'")[0][0])
    write_xlsx(
        demo_copy / "inbox" / "nye_tall.xlsx",
        {"Ark1": [["indikator_id", "enhet_id", "periode", "verdi"], ["grunnskolepoeng", "", "2026", 41]]},
    )
    load = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "load", "--data-dir", str(demo_copy)], capture_output=True, text=True
    )
    assert load.returncode == 0, load.stdout + load.stderr
    assert int(query(demo_copy, "SELECT value FROM meta WHERE key = 'version'")[0][0]) == before + 1
    row = dialogue_store.vurdering(AppStore.for_data_dir(demo_copy), "sykefravaer", "E21", "2025-01-01")
    assert row["text"] == "Overlever en ny lasting"
    assert integrity(store_path(demo_copy)) == "ok"


SERVER = """
import sys, threading
from werkzeug.serving import make_server
from dashboard.app import create_app
srv = make_server("127.0.0.1", 0, create_app(sys.argv[1]).server, threaded=True)
print(srv.server_port, flush=True)
srv.serve_forever()
"""


def test_a_server_killed_mid_write_leaves_every_acknowledged_write(demo_copy: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(demo_copy)], stdout=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{proc.stdout.readline().strip()}"
    session = login_session(base, demo_copy)
    deps = session.get(f"{base}/_dash-dependencies", timeout=30).json()
    key = "sykefravaer|E21|2025-01-01"
    acknowledged: list[str] = []
    stop = threading.Event()

    def write() -> None:
        i = 0
        while not stop.is_set():
            text = f"Vurdering nummer {i}"
            values = {"vurdering-input.value": text, "vurdering-save.id": {"type": "vurdering-save", "key": key}}
            try:
                r = call(session, "vurdering-text", values, {"key": key}, base=base, deps=deps, timeout=30)
            except Exception:  # the server is gone
                return
            if r.status_code == 200 and "Lagret" in r.text:
                acknowledged.append(text)
            i += 1

    writers = [threading.Thread(target=write) for _ in range(3)]
    for t in writers:
        t.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 15 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)  # mid-write: the writers are still posting
    proc.wait(timeout=10)
    stop.set()
    for t in writers:
        t.join(timeout=30)
    assert len(acknowledged) >= 15
    path = store_path(demo_copy)
    assert integrity(path) == "ok"
    store = AppStore(path)
    written = {h["new"] for h in store.rows("SELECT new FROM history WHERE entity = 'vurderinger' AND field = 'text'")}
    assert set(acknowledged) <= written
    assert dialogue_store.vurdering(store, "sykefravaer", "E21", "2025-01-01")["text"].startswith("Vurdering nummer")


WRITER = """
import sys
from dashboard.store import AppStore
from dashboard import dialogue_store
store = AppStore.for_data_dir(sys.argv[1])
for i in range(100000):
    dialogue_store.add_tiltak(store, "E21", f"Tiltak {i}", [], "Kari", None, "planlagt", "skriver")
"""


def test_backup_while_writes_go_on_gives_a_store_that_opens(data_dir: Path, tmp_path: Path) -> None:
    AppStore.for_data_dir(data_dir)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(data_dir)])
    try:
        time.sleep(1.0)
        copies = []
        for i in range(3):
            target = tmp_path / f"kopi-{i}.sqlite"
            out = subprocess.run(
                [sys.executable, "-m", "dashboard.cli", "backup", str(target), "--data-dir", str(data_dir)],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert out.returncode == 0, out.stderr
            copies.append(target)
            time.sleep(0.3)
        assert writer.poll() is None  # the writes went on all the while
    finally:
        writer.kill()
        writer.wait()
    counts = []
    for copy in copies:
        assert integrity(copy) == "ok"
        backup = AppStore(copy)
        n = backup.one("SELECT count(*) AS n FROM tiltak")["n"]
        assert n == backup.one("SELECT count(*) AS n FROM history WHERE entity = 'tiltak' AND field = 'action'")["n"]
        counts.append(n)
    assert 0 < counts[0] < counts[-1]  # each copy is whole as of its moment, and writes continued between


def test_script_and_formula_text_stays_literal_on_the_page_and_in_exports(demo_copy: Path) -> None:
    app = create_app(demo_copy)
    client = app_client(app)
    iid = query(demo_copy, "SELECT indicator_id FROM scorecard_latest WHERE scope = 'enhet' AND scope_code = 'E21'")
    period = query(
        demo_copy,
        "SELECT strftime(period, '%Y-%m-%d') FROM scorecard_latest WHERE scope_code = 'E21' AND indicator_id = ?",
        [iid[0][0]],
    )[0][0]
    key = f"{iid[0][0]}|E21|{period}"
    saved = call(
        client,
        "vurdering-text",
        {"vurdering-input.value": NASTY, "vurdering-save.id": {"type": "vurdering-save", "key": key}},
        {"key": key},
    )
    assert saved.status_code == 200
    added = call(
        client,
        "tiltak-list",
        {
            "tiltak-filter-unit.value": "alle",
            "tiltak-filter-status.value": "alle",
            "tiltak-unit.value": "E21",
            "tiltak-action.value": FORMULA,
            "tiltak-new-status.value": "pågår",
            "tiltak-owner.value": NASTY,
        },
        changed="tiltak-save.n_clicks",
    )
    assert added.status_code == 200
    # on the page: the texts are children strings (Dash renders them as text), never markup components
    page = json.dumps(call(client, "overview-body", {"bms-unit.value": "E21"}).get_json(), ensure_ascii=False)
    assert json.dumps(NASTY, ensure_ascii=False) in page
    assert json.dumps(FORMULA, ensure_ascii=False) in json.dumps(added.get_json(), ensure_ascii=False)
    assert '"Markdown"' not in page and "dangerously" not in page
    # in the exports: text cells in .xlsx, an apostrophe before a formula start in CSV
    for what, text in (("vurderinger", NASTY), ("tiltak", FORMULA)):
        wb = load_workbook(io.BytesIO(client.get(f"/eksport/dialog/{what}.xlsx").data))
        cells = [c for row in wb.active.iter_rows() for c in row if c.value == text]
        assert cells and all(c.data_type == "s" for c in cells), what
        text_csv = client.get(f"/eksport/dialog/{what}.csv").data.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text_csv), delimiter=";"))
        assert any(("'" + text if text.startswith("=") else text) in row for row in rows), what

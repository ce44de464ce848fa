"""`bms serve` for real: gunicorn serves the dashboard and a file dropped in the inbox is loaded while it runs."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.helpers import query, units_file, write_xlsx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, timeout: float = 60.0, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(step)
    raise AssertionError("timed out")


def test_serve_answers_and_loads_files_dropped_while_running(data_dir: Path):
    units_file(data_dir / "inbox")
    port = free_port()
    exe = Path(sys.executable).with_name("bms")
    proc = subprocess.Popen(
        [str(exe), "serve", "--data-dir", str(data_dir), "--port", str(port), "--workers", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "BMS_WATCH_SECONDS": "0.5"},
    )
    try:

        def up():
            try:
                return requests.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200
            except (requests.ConnectionError, requests.Timeout):  # a worker still booting is not down
                return False

        wait_for(up)
        # the units dropped before start are loaded by the watcher too
        wait_for(lambda: not list((data_dir / "inbox").iterdir()))
        assert query(data_dir, "SELECT count(*) FROM units") == [(3,)]
        write_xlsx(
            data_dir / "inbox" / "nye_tall.xlsx",
            {"Ark1": [["indikator_id", "enhet_id", "periode", "verdi"], ["grunnskolepoeng", "E31", "2025", "42,5"]]},
        )
        wait_for(lambda: list((data_dir / "archive").glob("*nye_tall.xlsx")), timeout=30)
        assert query(data_dir, "SELECT value FROM manual_values") == [(42.5,)]
        (data_dir / "inbox" / "feil.csv").write_text("hei;hallo\n1;2\n", encoding="utf-8")
        wait_for(lambda: list((data_dir / "rejected").glob("*feil.csv.feil.txt")), timeout=30)
        assert requests.get(f"http://127.0.0.1:{port}/maler/enheter.xlsx", timeout=10).content[:2] == b"PK"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert "Traceback" not in out
    assert proc.returncode == 0


def test_serve_on_a_busy_port_says_so_in_norwegian(data_dir: Path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = subprocess.run(
            [str(Path(sys.executable).with_name("bms")), "serve", "--data-dir", str(data_dir), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert out.returncode == 2
    assert f"Porten {port} på 127.0.0.1 er allerede i bruk" in out.stderr and "Traceback" not in out.stderr

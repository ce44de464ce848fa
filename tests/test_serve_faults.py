"""`bms serve` under faults, as a real subprocess on loopback: idle and stalled connections, oversized bodies,
malformed asset paths, a restart right after a burst, a load that fails, and an inbox that cannot be loaded.
The dashboard keeps answering through all of them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.helpers import login_session, query, units_file, write_csv
from tests.test_serve import free_port, wait_for

BMS = str(Path(sys.executable).with_name("bms"))


class Served:
    """A running `bms serve`: its port, and what it has written so far (stdout and stderr, line by line)."""

    def __init__(self, proc: subprocess.Popen, port: int):
        self.proc, self.port, self.lines = proc, port, []
        self.url = f"http://127.0.0.1:{port}"
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def answers(self) -> bool:
        try:
            return requests.get(f"{self.url}/", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # in case a test stopped it
            self.proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        try:
            code = self.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # bms serve and its gunicorn: never left running
            raise
        assert time.monotonic() - started < 20, "bms serve took too long to stop"
        self._reader.join(timeout=10)
        return code


@contextmanager
def serving(data_dir: Path, port: int | None = None, **env: str) -> Iterator[Served]:
    """`bms serve` on a free loopback port with one worker, until the block ends."""
    port = port or free_port()
    proc = subprocess.Popen(
        [BMS, "serve", "--data-dir", str(data_dir), "--port", str(port), "--workers", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "BMS_WATCH_SECONDS": "0.3", **env},
        start_new_session=True,
    )
    served = Served(proc, port)
    try:
        wait_for(lambda: served.answers() or proc.poll() is not None, timeout=90)
        assert proc.poll() is None, served.output
        yield served
    finally:
        served.stop()


def _open(port: int, send: bytes = b"") -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    if send:
        s.sendall(send)
    return s


def test_idle_and_stalled_connections_never_block_a_real_request(demo_copy):
    # Two threads in one worker: ten idle connections and four that start a request and stall would hold
    # every thread of a blocking server (the sync workers waited up to two minutes).
    with serving(demo_copy, BMS_THREADS="2", BMS_HEADER_TIMEOUT_SECONDS="2") as served:
        idle = [_open(served.port) for _ in range(10)]
        stalled = [_open(served.port, b"GET / HTTP/1.1\r\nHost: heim\r\nAccept: te") for _ in range(4)]
        try:
            started = time.monotonic()
            r = login_session(served.url, demo_copy).get(f"{served.url}/maler/enheter.xlsx", timeout=20)
            assert r.status_code == 200 and r.content[:2] == b"PK"
            assert time.monotonic() - started < 15
            # the stalled clients were dropped at the deadline, not served nor kept
            for s in stalled:
                s.settimeout(15)
                assert s.recv(100) == b""
        finally:
            for s in idle + stalled:
                s.close()
        assert served.answers()
    assert "Traceback" not in served.output


def test_an_oversized_body_is_refused_and_uploads_have_their_own_limit(demo_copy):
    with serving(demo_copy, BMS_MAX_REQUEST_MB="1", BMS_MAX_UPLOAD_MB="8") as served:
        big = b"x" * 5_000_000
        r = requests.post(f"{served.url}/_dash-update-component", data=big, timeout=30)
        assert r.status_code == 413
        assert "Forespørselen er for stor" in r.text and "1 MB" in r.text
        # without Content-Length (chunked), the limit holds as the body is read (the login form is open to all)
        r = requests.post(
            f"{served.url}/login",
            data=(big[i : i + 65536] for i in range(0, len(big), 65536)),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=30,
        )
        assert r.status_code in (400, 413)
        # an upload route takes up to max_upload_mb, and no more
        assert requests.post(f"{served.url}/last-opp", data=big, timeout=30).status_code != 413
        r = requests.post(f"{served.url}/last-opp", data=big * 2, timeout=30)
        assert r.status_code == 413 and "8 MB" in r.text
        assert served.answers()
    assert "Traceback" not in served.output


def test_a_malformed_asset_path_is_a_404_with_one_log_line(demo_copy):
    paths = ["/_dash-component-suites/dash/finnes-ikke.js", "/_dash-component-suites/ukjent/a.js"]
    with serving(demo_copy) as served:
        session = login_session(served.url, demo_copy)  # anyone else gets 401 before the path is looked at
        for path in paths:
            assert session.get(served.url + path, timeout=10).status_code == 404
        assert served.answers()
    assert "Traceback" not in served.output
    for path in paths:
        logged = [line for line in served.lines if path in line and '"GET ' not in line]  # not the access log
        assert len(logged) == 1, served.output[-3000:]


def test_serve_starts_again_right_after_a_burst_of_traffic(demo_copy):
    port = free_port()
    with serving(demo_copy, port=port):
        for _ in range(40):  # HTTP/1.0: the server closes each connection first, leaving it in TIME_WAIT
            with _open(port, b"GET /maler/enheter.xlsx HTTP/1.0\r\n\r\n") as s:
                while s.recv(65536):
                    pass
    with serving(demo_copy, port=port) as again:
        assert again.answers()
    assert "er allerede i bruk" not in again.output


def test_a_file_removed_while_it_is_loaded_is_reported_and_serve_keeps_serving(dd):
    from tests.test_warehouse import _big_values_file

    with serving(dd) as served:
        big = _big_values_file(dd)
        wait_for(lambda: any("leser mange_tall.csv" in line for line in served.lines), timeout=60, step=0.01)
        served.proc.send_signal(signal.SIGSTOP)  # the watcher (the bms process), not the web server
        big.unlink()
        assert served.answers(), "the dashboard answers while the load is stopped"
        served.proc.send_signal(signal.SIGCONT)
        # removed before its content was published (nothing from it loaded) or after (its content loaded)
        wait_for(lambda: any("fila ble fjernet fra innboksen" in line for line in served.lines), timeout=60)
        time.sleep(1)
        assert served.proc.poll() is None, served.output
        assert served.answers()
        # the next file is loaded as usual
        write_csv(dd / "inbox" / "tall.csv", [["indikator_id", "periode", "verdi"], ["grunnskolepoeng", "2025", "41"]])
        wait_for(lambda: list((dd / "archive").glob("*_tall.csv")), timeout=60)
        assert query(dd, "SELECT value FROM manual_values WHERE _file = 'tall.csv'") == [(41.0,)]
    assert "Traceback" not in served.output and "Uventet feil" not in served.output


def test_serve_serves_the_published_version_when_the_inbox_cannot_be_loaded(demo_copy):
    inbox = demo_copy / "inbox"
    inbox.rmdir()
    inbox.write_text("ikke en mappe")  # the inbox cannot be listed, let alone loaded
    with serving(demo_copy) as served:
        page = login_session(served.url, demo_copy).get(f"{served.url}/_dash-layout", timeout=30)
        assert page.status_code == 200 and "Heim" in page.text
        time.sleep(1)
        assert served.proc.poll() is None
    assert any(line.startswith("Feil:") and "inbox" in line for line in served.lines), served.output
    assert "Traceback" not in served.output and "Uventet feil" not in served.output


def test_a_slow_writer_is_loaded_only_once_its_file_is_complete(dd):
    rows = [["indikator_id", "enhet_id", "periode", "verdi"]] + [
        ["sykefravaer", "E21", f"{2000 + i}-01", f"{i},5"] for i in range(24)
    ]
    with serving(dd) as served:
        units_file(dd / "inbox", "enheter2.xlsx")  # another file, stable at once
        path = dd / "inbox" / "tregt.csv"
        with path.open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(";".join(row) + "\n")
                f.flush()
                time.sleep(0.2)
        wait_for(lambda: list((dd / "archive").glob("*_tregt.csv")), timeout=60)
        assert served.proc.poll() is None
    archived = next((dd / "archive").glob("*_tregt.csv"))
    assert len(archived.read_text(encoding="utf-8").splitlines()) == 25
    assert query(dd, "SELECT count(*) FROM manual_values WHERE _file = 'tregt.csv'") == [(24,)]

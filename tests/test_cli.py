"""The `bms` console script as a user runs it: exit codes, Norwegian messages, never a traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from dashboard.cli import main
from etl.settings import load_settings
from tests.helpers import units_file, write_xlsx


def bms(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the installed console script in a subprocess, as a user would."""
    exe = Path(sys.executable).with_name("bms")
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=120
    )


def test_init_creates_the_folders_and_never_overwrites(tmp_path):
    root = tmp_path / "heim"
    first = bms("init", "--data-dir", str(root))
    assert first.returncode == 0 and "er klar" in first.stdout
    for name in ("inbox", "archive", "rejected", "warehouse", "balansehandbok.csv", "settings.toml"):
        assert (root / name).exists()
    (root / "balansehandbok.csv").write_text("min egen katalog", encoding="utf-8")
    again = bms("init", "--data-dir", str(root))
    assert again.returncode == 0 and "finnes allerede" in again.stdout
    assert (root / "balansehandbok.csv").read_text(encoding="utf-8") == "min egen katalog"


def test_load_prints_a_summary_and_exits_1_when_a_file_is_rejected(data_dir):
    units_file(data_dir / "inbox")
    write_xlsx(
        data_dir / "inbox" / "feil.xlsx",
        {"Ark1": [["indikator_id", "periode", "verdi"], ["grunnskolepoeng", "2025", "mye"]]},
    )
    out = bms("load", "--data-dir", str(data_dir))
    assert out.returncode == 1
    assert "lastet   enheter.xlsx (enheter, 3 rader)" in out.stdout
    assert "AVVIST   feil.xlsx" in out.stdout and "«mye» er ikke et tall" in out.stdout
    assert "Full feilrapport:" in out.stdout and "Traceback" not in out.stderr + out.stdout
    again = bms("load", "--data-dir", str(data_dir))
    assert again.returncode == 0 and "Ingen nye filer å laste." in again.stdout


def test_data_dir_from_the_environment(data_dir):
    out = bms("status", env={"BMS_DATA_DIR": str(data_dir)})
    assert out.returncode == 0 and f"Datamappe: {data_dir}" in out.stdout


def test_status_tells_what_is_loaded_and_what_was_rejected(data_dir):
    units_file(data_dir / "inbox")
    (data_dir / "inbox" / "tom.csv").write_bytes(b"")
    bms("load", "--data-dir", str(data_dir))
    out = bms("status", "--data-dir", str(data_dir)).stdout
    assert "Publisert versjon 1" in out
    assert re.search(r"^  units +3 rader$", out, re.M)
    assert re.search(r"^  sick_leave +0 rader$", out, re.M)  # every kind's relation is listed, from the specs
    assert "lastet  enheter.xlsx (enheter, 3 rader)" in out
    assert "AVVIST  tom.csv: tom.csv: fila er tom" in out
    assert "Avviste filer med feilrapport" in out and ": 1" in out


def test_errors_are_one_norwegian_line_without_traceback(data_dir):
    out = bms("load", "--data-dir", str(data_dir), str(data_dir / "finnes_ikke.xlsx"))
    assert out.returncode == 2
    assert out.stderr.strip().splitlines()[-1] == f"Feil: Fant ikke fila {data_dir / 'finnes_ikke.xlsx'}."
    assert "Traceback" not in out.stderr


def test_a_broken_settings_file_is_a_clear_error(data_dir, capsys):
    (data_dir / "settings.toml").write_text("port = [", encoding="utf-8")
    assert main(["status", "--data-dir", str(data_dir)]) == 2
    assert "Innstillingsfila" in capsys.readouterr().err


def test_settings_precedence_option_env_file_default(data_dir, monkeypatch):
    (data_dir / "settings.toml").write_text('port = 8100\nhost = "0.0.0.0"\n', encoding="utf-8")
    monkeypatch.setenv("BMS_PORT", "8200")
    assert load_settings(data_dir).host == "0.0.0.0"  # file over default
    assert load_settings(data_dir).port == 8200  # environment over file
    assert load_settings(data_dir, port=8300).port == 8300  # option over environment
    assert load_settings(data_dir).keep_versions == 5  # default


def test_help_lists_only_commands_that_work():
    out = bms("--help").stdout
    for command in ("init", "load", "demo", "serve", "status", "fetch", "report"):
        assert command in out


def test_the_console_script_ends_with_what_runs_at_exit_run_and_the_output_flushed(tmp_path):
    """`bms` leaves the interpreter's teardown to the operating system (dashboard.cli.exit_now), yet what is
    registered to run at exit runs, the output written so far arrives, the exit code is the command's, and
    a thread still running is waited for."""
    script = tmp_path / "exit.py"
    script.write_text(
        "import atexit, sys, threading, time\n"
        "from dashboard.cli import exit_now\n"
        "atexit.register(lambda: print('ryddet', flush=True))\n"
        "print('ferdig', end='')\n"
        "sys.stderr.write('melding')\n"
        "if sys.argv[1] == 'tråd':\n"
        "    threading.Thread(target=lambda: (time.sleep(0.3), print(' tråden ble ferdig'))).start()\n"
        "exit_now(4)\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # output waits in its buffer
    for mode in ("alene", "tråd"):
        done = subprocess.run([sys.executable, str(script), mode], capture_output=True, text=True, timeout=60, env=env)
        assert done.returncode == 4
        assert done.stdout.startswith("ferdig") and done.stdout.endswith("ryddet\n")
        assert done.stderr == "melding"
        assert ("tråden ble ferdig" in done.stdout) == (mode == "tråd")
    # output that cannot be written (a full disk) is an error, not a success
    full = subprocess.run(
        [sys.executable, "-c", "from dashboard.cli import exit_now\nprint('x' * 100)\nexit_now(0)"],
        stdout=open("/dev/full", "w"),  # noqa: SIM115
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        env=env,
    )
    assert full.returncode == 120 and "ble ikke skrevet ferdig" in full.stderr

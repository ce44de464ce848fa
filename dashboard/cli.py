"""The `bms` command: the data commands (etl.cli) and the dashboard's own. Errors print as one Norwegian line.

Examples:
    bms init                      # create ./data with inbox/, archive/, rejected/, catalogue, settings
    bms load                      # load everything in data/inbox/
    bms load ~/Nedlastinger/sykefravær.xlsx
    bms load --erstatt-hele brukerundersøkelse.xlsx   # la fila erstatte hele året/tjenesten, også enheter den mangler
    bms demo && bms serve         # the demo installation on http://127.0.0.1:8050
    bms status --data-dir /srv/bms
    bms fetch kostra              # KOSTRA for Heim, its KOSTRA group, the peers, EKA50 and EAKUO, then load
    bms fetch klass               # only Klass: kommuner, fylker, KOSTRA groups, changed kommune numbers
    bms report tjenesterapport --year 2025 --area oppvekst --format pdf --output oppvekst.pdf
"""

# The `bms` console script: the ETL's commands (etl.cli) and the dashboard's own (serve, report, users, backup),
# and `bms demo` with its log-in accounts. The ETL never imports the dashboard (data flows one way); this module
# composes the two. Its docstring is the epilog of `bms --help`.

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import NoReturn

from dashboard import admin
from etl import cli
from etl.cli import Command, init_data_dir, print_summary, say
from etl.errors import BmsError
from etl.load import load
from etl.norsk import format_number
from etl.settings import Settings


# Its description in `bms demo --help` is etl.cli.cmd_demo's; after the build it makes the demo's log-in accounts.
def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    """Build a warehouse from the bundled demo data (labelled as demo data everywhere it shows)."""
    code = cli.cmd_demo(settings, args)
    if code == 0:
        _demo_accounts(settings)
    return code


def _demo_accounts(settings: Settings) -> None:
    """Log-in accounts for every demo role and unit (dashboard.admin)."""
    from etl.store.warehouse import WarehouseReader

    units = WarehouseReader(settings.current).df("SELECT unit_id, service_area FROM units ORDER BY unit_id")
    admin.demo_accounts(settings, list(zip(units["unit_id"], units["service_area"], strict=True)))


def cmd_users(settings: Settings, args: argparse.Namespace) -> int:
    """Manage the dashboard's accounts and roles (add, list, disable, enable, set-password, set-role)."""
    return admin.cmd_users(settings, args)


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    """A consistent copy of the application store (accounts, vurderinger, tiltak, audit), also while serving."""
    return admin.cmd_backup(settings, args)


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    """Serve the dashboard with gunicorn and load files that land in the inbox while it runs.

    The dashboard serves the published warehouse read-only: a data folder that cannot be written, an inbox
    that cannot be loaded or a failing load is reported here and never stops the server."""
    _check_port_free(settings.host, settings.port)
    cli.guarded(lambda: init_data_dir(settings))
    # The rebuild an upgrade or a settings change calls for; inbox files wait until the watcher sees them stable.
    cli.guarded(lambda: print_summary(load(settings, [], progress=say)))
    env = {
        **os.environ,
        "BMS_DATA_DIR": str(settings.data_dir),
        "BMS_HEADER_TIMEOUT_SECONDS": str(settings.header_timeout_seconds),
        "BMS_MAX_REQUEST_MB": str(settings.max_request_mb),
        "BMS_MAX_UPLOAD_MB": str(settings.max_upload_mb),
    }
    from dashboard.serving import gunicorn_command  # gunicorn is imported only to serve

    server = subprocess.Popen(gunicorn_command(settings), env=env)
    say(f"Dashbordet kjører på http://{settings.host}:{settings.port}  (Ctrl+C for å stoppe)")
    say(f"Følger med på {settings.inbox} for nye filer.")
    signal.signal(signal.SIGTERM, cli.interrupt)
    try:
        cli.watch_inbox(settings, lambda: server.poll() is None and not cli.stopping)
    except KeyboardInterrupt:
        pass
    finally:
        _stop(server)
    if server.returncode not in (0, -15, None):
        say("Feil: Webserveren stoppet uventet (se meldingene over). Start dashbordet på nytt med «bms serve».")
        return 1
    return 0


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _check_port_free(host: str, port: int) -> None:
    with socket.socket() as s:
        # As gunicorn binds: connections of a server that just stopped (TIME_WAIT) do not hold the port.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            raise BmsError(
                f"Porten {port} på {host} er allerede i bruk (kjører dashbordet alt?). "
                "Velg en annen med --port, for eksempel: bms serve --port 8051"
            ) from None


def _serve_arguments(s: argparse.ArgumentParser) -> None:
    s.add_argument("--host", help="adressen å lytte på (standard 127.0.0.1)")
    s.add_argument("--port", type=int, help="porten (standard 8050)")
    s.add_argument("--workers", type=int, help="antall serverprosesser (standard 2)")


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    """Write a report as .docx, .pdf or .xlsx from the published warehouse.

    Example: bms report tjenesterapport --year 2025 --area oppvekst --format docx --output oppvekst.docx"""
    # Imported here: the reports pull in their charts and writers, which no other command needs.
    from dashboard.reports import ReportRequest, build_report, open_reader
    from dashboard.reports.dialogue import open_store

    fmt = args.format or (Path(args.output).suffix.lstrip(".").lower() or "docx")
    request = ReportRequest(args.kind, args.year, fmt, args.tertial, args.area, args.unit)
    content = build_report(open_reader(settings.current), request, store=open_store(settings.data_dir))
    output = Path(args.output or request.file_name())
    try:
        output.write_bytes(content)
    except OSError as e:
        raise BmsError(f"Kunne ikke skrive {output}: {e.strerror}. Velg en annen mappe med --output.") from None
    print(f"Skrev {output} ({format_number(len(content) / 1024)} kB).")
    return 0


REPORT_KINDS = ("tjenesterapport", "arbeidsgiverrapport", "tertialrapport", "vedtaksrapport", "ledersamtale")


def _report_arguments(s: argparse.ArgumentParser) -> None:
    s.add_argument("kind", choices=REPORT_KINDS, metavar="RAPPORT", help=", ".join(REPORT_KINDS))
    s.add_argument("--year", type=int, required=True, help="året rapporten gjelder, for eksempel 2025")
    s.add_argument("--tertial", type=int, choices=(1, 2, 3), help="tertialet (tertialrapporten: til og med)")
    s.add_argument("--area", help="tjenesteområdet, for eksempel oppvekst")
    s.add_argument("--unit", help="enheten, for eksempel E21 (ledersamtalen krever den)")
    s.add_argument("--format", choices=("docx", "pdf", "xlsx"), help="filformat (standard: fra --output, ellers docx)")
    s.add_argument("--output", help="fila som skrives (standard: et navn som sier hva rapporten er)")


def _backup_arguments(s: argparse.ArgumentParser) -> None:
    s.add_argument("target", nargs="?", help="fila kopien skrives til (standard: data/backup/bms-<tid>.sqlite)")


# Every command of `bms`, in the order `bms --help` lists them: the ETL's from etl.cli, the dashboard's here.
COMMANDS: dict[str, Command] = {
    "init": cli.COMMANDS["init"],
    "load": cli.COMMANDS["load"],
    "demo": Command(cmd_demo, cli.COMMANDS["demo"].help, cli.COMMANDS["demo"].arguments),
    "serve": Command(cmd_serve, "start dashbordet og last nye filer i innboksen fortløpende", _serve_arguments),
    "rebuild": cli.COMMANDS["rebuild"],
    "status": cli.COMMANDS["status"],
    "fetch": cli.COMMANDS["fetch"],
    "report": Command(
        cmd_report,
        "lag tjenesterapport, arbeidsgiverrapport, tertialrapport, vedtaksrapport eller ledersamtale",
        _report_arguments,
    ),
    "users": Command(cmd_users, "administrer brukerkontoer og roller for dashbordet", admin.add_user_arguments),
    "backup": Command(
        cmd_backup, "ta en sikker kopi av applikasjonslageret (kontoer, vurderinger, tiltak, logg)", _backup_arguments
    ),
}


def parser() -> argparse.ArgumentParser:
    """The argument parser for `bms` and its subcommands."""
    return cli.parser(COMMANDS, epilog=__doc__)


def main(argv: list[str] | None = None) -> int:
    """Run `bms ARGV`; returns the exit code."""
    return cli.run(parser().parse_args(argv), COMMANDS)


def console() -> NoReturn:
    """Entry point of the `bms` console script: `main`, then the process ends (`exit_now`)."""
    exit_now(main())


def exit_now(code: int) -> NoReturn:
    """End the process with `code`. What is registered to run at exit runs (logging's flush, temporary
    folders, kaleido's browser) and the output is flushed, but the interpreter's teardown, freeing every
    module's objects one by one, is left to the operating system: with pandas loaded it took 0,1 s, a tenth
    of a small file's load. Output that could not be written makes a success exit 120, as Python's own exit
    does. While a thread of the command still runs, the interpreter ends as usual (it waits for that
    thread)."""
    if threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()
    lost = False
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except BrokenPipeError:  # read by `head`, which stopped early: not an error (as in etl.cli.run)
            pass
        except (OSError, ValueError) as e:  # a full disk: what was written did not all arrive
            lost = True
            with contextlib.suppress(OSError):
                os.write(
                    2, f"Feil: utdataene ble ikke skrevet ferdig ({getattr(e, 'strerror', None) or e}).\n".encode()
                )
    os._exit(120 if lost and code == 0 else code)


if __name__ == "__main__":
    console()

"""The `bms` command: thin subcommands over the ETL modules. Errors print as one Norwegian line.

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

from __future__ import annotations

import argparse
import csv
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import traceback
from pathlib import Path

from etl.errors import BmsError, environment_message
from etl.load import LoadSummary, inbox_files, load
from etl.norsk import format_number
from etl.settings import BUNDLED_DATA, CATALOGUE_FILE, SETTINGS_FILE, Settings, load_settings
from etl.spec import stored_specs
from etl.ssb.fetch import FetchReport, fetch_klass, fetch_kostra, fetch_query, klass_years, make_client
from etl.store.status import loaded_by_origin, peer_notes, status_text

DEMO_DIR = BUNDLED_DATA / "demo"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cmd_init(settings: Settings, args: argparse.Namespace) -> int:
    """Create a data folder with its sub-folders, the default catalogue and settings; never overwrite."""
    created = init_data_dir(settings)
    for p in created:
        print(f"opprettet {p}")
    print(f"Datamappa {settings.data_dir} er klar." if created else f"Datamappa {settings.data_dir} finnes allerede.")
    return 0


def init_data_dir(settings: Settings) -> list[Path]:
    """Make the folders and copy the default catalogue and settings where missing; return what was made."""
    created = []
    for folder in (settings.data_dir, settings.inbox, settings.archive, settings.rejected, settings.warehouse_dir):
        if not folder.exists():
            folder.mkdir(parents=True)
            created.append(folder)
    for name in (CATALOGUE_FILE, SETTINGS_FILE):
        target = settings.data_dir / name
        if not target.exists() and (BUNDLED_DATA / name).exists():
            shutil.copy2(BUNDLED_DATA / name, target)
            created.append(target)
    return created


def print_summary(summary: LoadSummary, settings: Settings | None = None) -> None:
    """One line per file, then the rejected files' reasons; with `settings`, after a new version, what is odd
    about the configured peers (an older kommune number mapped to today's, or one not in use)."""
    labels = {"loaded": "lastet", "rejected": "AVVIST", "unchanged": "uendret", "deferred": "VENTER"}
    if summary.damage:
        print(f"MERK: {summary.damage}")
    for r in summary.results:
        rows = f", {format_number(r.rows)} rader" if r.status == "loaded" else ""
        kind = f" ({r.kind}{rows})" if r.kind else ""
        print(f"  {labels[r.status]:8} {r.name}{kind}")
        for note in r.notes:
            print(f"           merk: {note}")
        if r.status == "rejected":
            print(f"           {r.message}")
            print(f"           Full feilrapport: {r.stored_as}.feil.txt")
        if r.status == "deferred":
            print(f"           {r.message}")
    for note in summary.notes:
        print(f"  merk: {note}")
    if summary.version is not None:
        print(f"Publiserte datavarehus versjon {summary.version}.")
        for note in peer_notes(settings) if settings is not None else []:
            print(f"  merk: {note}")
    elif not summary.results:
        print("Ingen nye filer å laste.")
    elif any(r.status == "rejected" for r in summary.results):
        print("Ingenting nytt er lastet; det publiserte datavarehuset er uendret.")


def cmd_load(settings: Settings, args: argparse.Namespace) -> int:
    """Load the inbox (or the given files) and publish a new warehouse; exit 1 if a file was rejected."""
    init_data_dir(settings)
    whole = [Path(p) for p in args.replace_whole]
    paths = list(dict.fromkeys([Path(p) for p in args.paths] + whole))
    summary = load(settings, paths or None, progress=_say, replace_whole=whole)
    print_summary(summary, settings)
    return 1 if summary.rejected else 0


def demo_files() -> list[Path]:
    """The bundled demo files whose kind a reader supports (and the bridges standing in for the rest)."""
    manifest = DEMO_DIR / "manifest.csv"
    if not manifest.exists():
        raise BmsError(f"Fant ikke demodataene ({manifest}). Kjør python data/demo/generate.py.")
    kinds = set(stored_specs())
    with manifest.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [
        DEMO_DIR / r["file"]
        for r in rows
        if (r["kind"] in kinds and not r["bridge_for"]) or (r["bridge_for"] and r["bridge_for"] not in kinds)
    ]


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    """Build a warehouse from the bundled demo data (labelled as demo data everywhere it shows)."""
    init_data_dir(settings)
    _refuse_demo_over_real_data(settings)
    summary = load(settings, demo_files(), origin="demo", progress=_say)
    print_summary(summary, settings)
    if not summary.rejected:
        _demo_accounts(settings)
    return 1 if summary.rejected else 0


def _demo_accounts(settings: Settings) -> None:
    """Log-in accounts for every demo role and unit (dashboard.admin)."""
    from dashboard.admin import demo_accounts
    from etl.store.warehouse import WarehouseReader

    units = WarehouseReader(settings.current).df("SELECT unit_id, service_area FROM units ORDER BY unit_id")
    demo_accounts(settings, list(zip(units["unit_id"], units["service_area"], strict=True)))


def cmd_users(settings: Settings, args: argparse.Namespace) -> int:
    """Manage the dashboard's accounts and roles (add, list, disable, enable, set-password, set-role)."""
    from dashboard.admin import cmd_users as run

    return run(settings, args)


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    """A consistent copy of the application store (accounts, vurderinger, tiltak, audit), also while serving."""
    from dashboard.admin import cmd_backup as run

    return run(settings, args)


def _refuse_demo_over_real_data(settings: Settings) -> None:
    own = {k: v for k, v in loaded_by_origin(settings).items() if k not in ("demo", "katalog")}
    if own:
        raise BmsError(
            f"Datamappa {settings.data_dir} har allerede egne data; demodata blandes ikke inn i dem. "
            "Bruk en egen mappe for demoen, for eksempel: bms demo --data-dir /tmp/heim-demo"
        )


def cmd_rebuild(settings: Settings, args: argparse.Namespace) -> int:
    """Rebuild the warehouse from archive/ (the source of truth) in load order, and publish it."""
    from etl.rebuild import rebuild

    number, summaries = rebuild(settings, progress=_say)
    refused = [r for s in summaries for r in s.results if r.status == "rejected"]
    for r in refused:
        print(f"  AVVIST   {r.name}: {r.message}")
    print(f"Bygget datavarehuset på nytt fra {settings.archive} og publiserte versjon {number}.")
    return 1 if refused else 0


def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    """What is loaded, from which files, how fresh, what was rejected, and what waits in the inbox."""
    print(status_text(settings))
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    """Serve the dashboard with gunicorn and load files that land in the inbox while it runs.

    The dashboard serves the published warehouse read-only: a data folder that cannot be written, an inbox
    that cannot be loaded or a failing load is reported here and never stops the server."""
    _check_port_free(settings.host, settings.port)
    _guarded(lambda: init_data_dir(settings))
    # The rebuild an upgrade or a settings change calls for; inbox files wait until the watcher sees them stable.
    _guarded(lambda: print_summary(load(settings, [], progress=_say), settings))
    env = {
        **os.environ,
        "BMS_DATA_DIR": str(settings.data_dir),
        "BMS_HEADER_TIMEOUT_SECONDS": str(settings.header_timeout_seconds),
        "BMS_MAX_REQUEST_MB": str(settings.max_request_mb),
        "BMS_MAX_UPLOAD_MB": str(settings.max_upload_mb),
    }
    from dashboard.serving import gunicorn_command  # gunicorn is imported only to serve

    server = subprocess.Popen(gunicorn_command(settings), env=env)
    _say(f"Dashbordet kjører på http://{settings.host}:{settings.port}  (Ctrl+C for å stoppe)")
    _say(f"Følger med på {settings.inbox} for nye filer.")
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        watch_inbox(settings, lambda: server.poll() is None and not _stopping)
    except KeyboardInterrupt:
        pass
    finally:
        _stop(server)
    if server.returncode not in (0, -15, None):
        _say("Feil: Webserveren stoppet uventet (se meldingene over). Start dashbordet på nytt med «bms serve».")
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


_stopping: list[bool] = []  # set by SIGTERM: a failure after it (DuckDB's "Query interrupted") is the stop


def _interrupt(*_: object) -> None:
    _stopping.append(True)
    raise KeyboardInterrupt


def describe(exc: BaseException) -> str:
    """One Norwegian line for any failure: the message of a BmsError, what to do about a fault of the machine,
    or, for anything else, where to look (never the exception's English name alone)."""
    if isinstance(exc, BmsError):
        return str(exc)
    said = environment_message(exc)
    if said is not None:
        return said
    if os.environ.get("BMS_DEBUG"):
        traceback.print_exception(exc)
    return (
        f"Noe uventet gikk galt ({exc}). Det publiserte datavarehuset er ikke endret. Kjør med BMS_DEBUG=1 for "
        "detaljer, og meld feilen til den som drifter Heim BMS."
    )


def _guarded(step) -> bool:
    """Run one step of the server's housekeeping; report a failure as one Norwegian line and carry on."""
    try:
        step()
        return True
    except KeyboardInterrupt:
        raise
    except Exception as e:
        if _stopping:
            raise KeyboardInterrupt from e
        _say(f"Feil: {describe(e)}")
        return False


def _signatures(settings: Settings) -> dict[Path, tuple[int, int]]:
    """Size and modification time of each file in the inbox (a file gone meanwhile is left out)."""
    found = {}
    for p in inbox_files(settings):
        try:
            st = p.lstat()
        except OSError:
            continue
        found[p] = (st.st_size, st.st_mtime_ns)
    return found


def watch_inbox(settings: Settings, keep_going) -> None:
    """Poll the inbox; load the files that have not changed since the last look (a file still being written is
    never read), report any failure and keep going: the dashboard goes on serving the published version."""
    seen: dict[Path, tuple[int, int]] = {}
    failed: dict[Path, tuple[int, int]] = {}  # files whose load failed: tried again when changed, or a minute later
    retry_at = 0.0
    while keep_going():
        try:
            files = _signatures(settings)
        except OSError as e:
            files = {}
            _say(f"Feil: {describe(e)}")
        if time.monotonic() >= retry_at:
            failed = {}
        ready = [p for p, sig in files.items() if seen.get(p) == sig and failed.get(p) != sig]
        seen = files
        if ready and not _load_and_say(settings, ready):
            # one file that fails never holds back the others: each is tried alone
            alone = [[p] for p in ready] if len(ready) > 1 else []
            for batch in [b for b in alone if not _load_and_say(settings, b)] if alone else [ready]:
                failed.update({p: files[p] for p in batch})
            retry_at = time.monotonic() + 60
        time.sleep(settings.watch_seconds)


def _load_and_say(settings: Settings, paths: list[Path]) -> bool:
    """Load `paths` and print what happened; False (reported) when the load failed."""
    if not paths:
        return True
    return _guarded(lambda: print_summary(load(settings, paths, progress=_say), settings))


def cmd_fetch(settings: Settings, args: argparse.Namespace) -> int:
    """Fetch KOSTRA (or only Klass) from SSB into data/kostra/, then load what was fetched.

    Example: bms fetch kostra --base-url http://speil.example:8080"""
    init_data_dir(settings)
    client = make_client(settings, progress=_say)
    try:
        if args.source == "klass":
            report = fetch_klass(settings, client, klass_years(settings), _say, args.refresh)
        elif args.query:
            report = fetch_query(settings, client, Path(args.query), _say)
        else:
            report = fetch_kostra(
                settings, client, _say, args.refresh, lambda: print_summary(load(settings, [], progress=_say))
            )
    except KeyboardInterrupt:
        _say(f"Avbrutt. Det som er hentet, ligger i {settings.kostra_dir} og hentes ikke på nytt neste gang.")
        return 130
    _print_fetch(report, settings)
    summary = load(settings, [], progress=_say)
    print_summary(summary, settings)
    return 1 if summary.rejected or report.problems else 0


def _print_fetch(report: FetchReport, settings: Settings) -> None:
    print(report.summary(settings.kostra_dir))
    for note in dict.fromkeys(report.notes + report.problems):
        print(f"  merk: {note}")


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    """Write a report as .docx, .pdf or .xlsx from the published warehouse.

    Example: bms report tjenesterapport --year 2025 --area oppvekst --format docx --output oppvekst.docx"""
    # Imported here: the ETL never imports the dashboard at module level (data flows one way).
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


COMMANDS = {
    "init": (cmd_init, "opprett en datamappe med innboks, arkiv, katalog og innstillinger"),
    "load": (cmd_load, "last filene i innboksen (eller de oppgitte filene) og publiser datavarehuset"),
    "demo": (cmd_demo, "bygg datavarehuset fra de medfølgende demodataene"),
    "serve": (cmd_serve, "start dashbordet og last nye filer i innboksen fortløpende"),
    "rebuild": (cmd_rebuild, "bygg datavarehuset på nytt fra arkivet (archive/), i den rekkefølgen filene ble lastet"),
    "status": (cmd_status, "vis hva som er lastet, hvor ferskt det er, og hva som er avvist"),
    "fetch": (cmd_fetch, "hent KOSTRA eller Klass fra SSB til data/kostra/ og last det inn"),
    "report": (
        cmd_report,
        "lag tjenesterapport, arbeidsgiverrapport, tertialrapport, vedtaksrapport eller ledersamtale",
    ),
    "users": (cmd_users, "administrer brukerkontoer og roller for dashbordet"),
    "backup": (cmd_backup, "ta en sikker kopi av applikasjonslageret (kontoer, vurderinger, tiltak, logg)"),
}


def parser() -> argparse.ArgumentParser:
    """The argument parser for `bms` and its subcommands."""
    p = argparse.ArgumentParser(
        prog="bms",
        description="Heim BMS – balansert målstyring for Heim kommune",
        epilog=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="KOMMANDO")
    for name, (func, help_text) in COMMANDS.items():
        s = sub.add_parser(name, help=help_text, description=func.__doc__)
        s.add_argument("--data-dir", help="datamappa (standard: BMS_DATA_DIR eller ./data)")
        if name == "load":
            s.add_argument("paths", nargs="*", help="filer som skal lastes (standard: alt i innboksen)")
            s.add_argument(
                "--erstatt-hele",
                dest="replace_whole",
                nargs="+",
                default=[],
                metavar="FIL",
                help="la disse undersøkelsesfilene erstatte hele året (og tjenesten), også tallene for enheter "
                "som ikke er med i fila",
            )
        if name == "serve":
            s.add_argument("--host", help="adressen å lytte på (standard 127.0.0.1)")
            s.add_argument("--port", type=int, help="porten (standard 8050)")
            s.add_argument("--workers", type=int, help="antall serverprosesser (standard 2)")
        if name == "users":
            from dashboard.admin import add_user_arguments

            add_user_arguments(s)
        if name == "backup":
            s.add_argument("target", nargs="?", help="fila kopien skrives til (standard: data/backup/bms-<tid>.sqlite)")
        if name == "fetch":
            s.add_argument("source", choices=("kostra", "klass"), help="kostra (med Klass) eller bare klass")
            s.add_argument(
                "--base-url",
                dest="ssb_base_url",
                metavar="URL",
                help="SSB eller et speil/testserver (standard https://data.ssb.no)",
            )
            s.add_argument("--api", dest="ssb_api", choices=("v2", "v0"), help="PxWebApi-versjon (standard v2)")
            s.add_argument("--refresh", action="store_true", help="hent på nytt selv om svaret finnes i data/kostra/")
            s.add_argument("--query", metavar="FIL", help="kjør en lagret v0-spørring fra statistikkbanken (JSON)")
        if name == "report":
            _report_arguments(s)
    return p


REPORT_KINDS = ("tjenesterapport", "arbeidsgiverrapport", "tertialrapport", "vedtaksrapport", "ledersamtale")


def _report_arguments(s: argparse.ArgumentParser) -> None:
    s.add_argument("kind", choices=REPORT_KINDS, metavar="RAPPORT", help=", ".join(REPORT_KINDS))
    s.add_argument("--year", type=int, required=True, help="året rapporten gjelder, for eksempel 2025")
    s.add_argument("--tertial", type=int, choices=(1, 2, 3), help="tertialet (tertialrapporten: til og med)")
    s.add_argument("--area", help="tjenesteområdet, for eksempel oppvekst")
    s.add_argument("--unit", help="enheten, for eksempel E21 (ledersamtalen krever den)")
    s.add_argument("--format", choices=("docx", "pdf", "xlsx"), help="filformat (standard: fra --output, ellers docx)")
    s.add_argument("--output", help="fila som skrives (standard: et navn som sier hva rapporten er)")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `bms` console script."""
    args = parser().parse_args(argv)
    try:
        overrides = {k: getattr(args, k, None) for k in ("host", "port", "workers", "ssb_base_url", "ssb_api")}
        settings = load_settings(args.data_dir, **overrides)
        return COMMANDS[args.command][0](settings, args)
    except BmsError as e:
        _say(f"Feil: {e}")
        return 2
    except KeyboardInterrupt:
        _say("Avbrutt.")
        return 130
    except BrokenPipeError:  # output piped into `head`, which closed early: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as e:  # a fault of the machine or an unexpected one: one line, the trace only when asked for
        _say(f"Feil: {describe(e)}")
        return 2 if environment_message(e) is not None else 3


if __name__ == "__main__":
    sys.exit(main())

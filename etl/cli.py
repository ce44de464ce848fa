"""The ETL's subcommands of `bms`: init, load, demo, rebuild, status and fetch, thin over the ETL modules.

The `bms` console script is `dashboard.cli`, which adds the dashboard's commands (serve, report, users, backup)
and the demo accounts to this table: the ETL never imports the dashboard (data flows one way). Here is what a
composing CLI needs: `COMMANDS`, `parser(commands)` and `run(args, commands)` (errors print as one Norwegian line).
`python -m etl.cli` runs the ETL commands alone.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from etl.errors import BmsError, environment_message
from etl.inbox import inbox_files
from etl.load import LoadSummary, load
from etl.norsk import format_count
from etl.settings import BUNDLED_DATA, CATALOGUE_FILE, SETTINGS_FILE, Settings, load_settings
from etl.spec import stored_specs
from etl.store.status import loaded_by_origin, status_text

if TYPE_CHECKING:
    from etl.ssb.fetch import FetchReport

DEMO_DIR = BUNDLED_DATA / "demo"


def say(message: str) -> None:
    """A progress or error line on stderr (stdout holds what a command reports)."""
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


def print_summary(summary: LoadSummary, peers: bool = True) -> None:
    """One line per file, then the rejected files' reasons; after a new version, unless `peers` is False (a
    load of part of a fetch), what is odd about the configured peers (an older kommune number mapped to
    today's, or one not in use)."""
    labels = {"loaded": "lastet", "rejected": "AVVIST", "unchanged": "uendret", "deferred": "VENTER"}
    if summary.damage:
        print(f"MERK: {summary.damage}")
    for r in summary.results:
        rows = f", {format_count(r.rows, 'rad', 'rader')}" if r.status == "loaded" else ""
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
        for note in summary.peer_notes if peers else []:
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
    summary = load(settings, paths or None, progress=say, replace_whole=whole)
    print_summary(summary)
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
    summary = load(settings, demo_files(), origin="demo", progress=say)
    print_summary(summary)
    return 1 if summary.rejected else 0


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

    number, summaries = rebuild(settings, progress=say)
    refused = [r for s in summaries for r in s.results if r.status == "rejected"]
    for r in refused:
        print(f"  AVVIST   {r.name}: {r.message}")
    print(f"Bygget datavarehuset på nytt fra {settings.archive} og publiserte versjon {number}.")
    return 1 if refused else 0


def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    """What is loaded, from which files, how fresh, what was rejected, and what waits in the inbox."""
    print(status_text(settings))
    return 0


stopping: list[bool] = []  # set by SIGTERM: a failure after it (DuckDB's "Query interrupted") is the stop


def interrupt(*_: object) -> None:
    """The SIGTERM handler of a command that watches the inbox: stop it as Ctrl+C would."""
    stopping.append(True)
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


def guarded(step) -> bool:
    """Run one step of the server's housekeeping; report a failure as one Norwegian line and carry on."""
    try:
        step()
        return True
    except KeyboardInterrupt:
        raise
    except Exception as e:
        if stopping:
            raise KeyboardInterrupt from e
        say(f"Feil: {describe(e)}")
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
            say(f"Feil: {describe(e)}")
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
    return guarded(lambda: print_summary(load(settings, paths, progress=say)))


def cmd_fetch(settings: Settings, args: argparse.Namespace) -> int:
    """Fetch KOSTRA (or only Klass) from SSB into data/kostra/, then load what was fetched.

    Example: bms fetch kostra --base-url http://speil.example:8080"""
    init_data_dir(settings)
    # imported here: only a fetch needs requests and the SSB client
    from etl.ssb.fetch import fetch_klass, fetch_kostra, fetch_query, klass_years, make_client

    client = make_client(settings, progress=say)
    try:
        if args.source == "klass":
            report = fetch_klass(settings, client, klass_years(settings), say, args.refresh)
        elif args.query:
            report = fetch_query(settings, client, Path(args.query), say)
        else:
            report = fetch_kostra(
                settings,
                client,
                say,
                args.refresh,
                lambda: print_summary(load(settings, [], progress=say), peers=False),
            )
    except KeyboardInterrupt:
        say(f"Avbrutt. Det som er hentet, ligger i {settings.kostra_dir} og hentes ikke på nytt neste gang.")
        return 130
    _print_fetch(report, settings)
    summary = load(settings, [], progress=say)
    print_summary(summary)
    return 1 if summary.rejected or report.problems else 0


def _print_fetch(report: FetchReport, settings: Settings) -> None:
    print(report.summary(settings.kostra_dir))
    for note in dict.fromkeys(report.notes + report.problems):
        print(f"  merk: {note}")


@dataclass(frozen=True)
class Command:
    """One subcommand of `bms`: what runs it, its line in `bms --help`, and the arguments it takes besides
    --data-dir (its description in `bms KOMMANDO --help` is the docstring of `run`)."""

    run: Callable[[Settings, argparse.Namespace], int]
    help: str
    arguments: Callable[[argparse.ArgumentParser], None] | None = None


def _load_arguments(s: argparse.ArgumentParser) -> None:
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


def _fetch_arguments(s: argparse.ArgumentParser) -> None:
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


# The ETL's commands; dashboard.cli composes `bms` from them and the dashboard's own.
COMMANDS: dict[str, Command] = {
    "init": Command(cmd_init, "opprett en datamappe med innboks, arkiv, katalog og innstillinger"),
    "load": Command(
        cmd_load, "last filene i innboksen (eller de oppgitte filene) og publiser datavarehuset", _load_arguments
    ),
    "demo": Command(cmd_demo, "bygg datavarehuset fra de medfølgende demodataene"),
    "rebuild": Command(
        cmd_rebuild, "bygg datavarehuset på nytt fra arkivet (archive/), i den rekkefølgen filene ble lastet"
    ),
    "status": Command(cmd_status, "vis hva som er lastet, hvor ferskt det er, og hva som er avvist"),
    "fetch": Command(cmd_fetch, "hent KOSTRA eller Klass fra SSB til data/kostra/ og last det inn", _fetch_arguments),
}


def parser(commands: Mapping[str, Command] = COMMANDS, epilog: str | None = None) -> argparse.ArgumentParser:
    """The argument parser for `bms` with `commands` as its subcommands (in the table's order), each taking
    --data-dir and its own arguments; `epilog` ends `bms --help`."""
    p = argparse.ArgumentParser(
        prog="bms",
        description="Heim BMS – balansert målstyring for Heim kommune",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="KOMMANDO")
    for name, command in commands.items():
        s = sub.add_parser(name, help=command.help, description=command.run.__doc__)
        s.add_argument("--data-dir", help="datamappa (standard: BMS_DATA_DIR eller ./data)")
        if command.arguments is not None:
            command.arguments(s)
    return p


def run(args: argparse.Namespace, commands: Mapping[str, Command] = COMMANDS) -> int:
    """Run the parsed command with the data folder's settings; every failure is one Norwegian line on stderr
    and an exit code: 2 for a BmsError or a fault of the machine, 130 when interrupted, 3 for the unexpected."""
    try:
        overrides = {k: getattr(args, k, None) for k in ("host", "port", "workers", "ssb_base_url", "ssb_api")}
        settings = load_settings(args.data_dir, **overrides)
        return commands[args.command].run(settings, args)
    except BmsError as e:
        say(f"Feil: {e}")
        return 2
    except KeyboardInterrupt:
        say("Avbrutt.")
        return 130
    except BrokenPipeError:  # output piped into `head`, which closed early: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as e:  # a fault of the machine or an unexpected one: one line, the trace only when asked for
        say(f"Feil: {describe(e)}")
        return 2 if environment_message(e) is not None else 3


def main(argv: list[str] | None = None) -> int:
    """The ETL's commands alone (`python -m etl.cli`); the `bms` console script is dashboard.cli.console."""
    return run(parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

"""The Data page for analysts: files loaded and refused with their reports, what waits in the inbox, and
uploads from the browser into the same inbox pipeline `bms load` runs (etl.load.load).

An upload is checked before it touches the inbox: a known file type, not empty, not over `max_file_mb`, and
a safe stored name (no folders, no hidden or lock-file names, Norwegian letters kept, never overwriting a
file already waiting). Then the project's own loader loads it, and the page shows what the loader said.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dashboard.analysis_tables import Table
from etl.errors import BmsError, NoReadableWarehouse
from etl.inbox import inbox_files
from etl.load import load
from etl.norsk import format_date
from etl.settings import Settings
from etl.spec import load_specs
from etl.store.warehouse import WarehouseReader

ALLOWED_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".json")
STATUS_TEXT = {"loaded": "Lastet", "rejected": "Avvist", "unchanged": "Uendret (samme innhold er lastet før)"}
REPORT_SUFFIX = ".feil.txt"


class UploadRefused(Exception):
    """An upload refused before it reached the inbox; the message says why and what to do, in Norwegian."""


@dataclass(frozen=True)
class UploadResult:
    """What happened to one uploaded file: the loader's status, its message and the refusal report."""

    stored_name: str
    status: str
    message: str
    report: str
    version: int | None


LOG_COLUMNS = ["file_name", "kind", "status", "rows", "loaded_at", "origin", "message"]


def load_log(reader: WarehouseReader, settings: Settings | None = None) -> Table:
    """Every file loaded or refused, newest first, with the loader's message. A load that only refused files
    publishes nothing, so with `settings` the refusals in `rejected/` that the warehouse's log lacks are added."""
    frame = reader.df(f"SELECT {', '.join(LOG_COLUMNS)} FROM load_log")
    if frame.empty:
        frame = pd.DataFrame(columns=LOG_COLUMNS)
    if settings is not None:
        frame = pd.concat([frame, _unlogged_refusals(frame, settings)], ignore_index=True)
    frame = frame.sort_values(["loaded_at", "file_name"], ascending=[False, True], na_position="last")
    out = pd.DataFrame(
        {
            "Fil": frame["file_name"],
            "Type": frame["kind"].fillna("ukjent"),
            "Status": frame["status"].map(lambda s: STATUS_TEXT.get(s, s)),
            "Rader": pd.to_numeric(frame["rows"], errors="coerce"),
            "Tidspunkt": [_when(t) for t in frame["loaded_at"]],
            "Kom fra": frame["origin"],
            "Melding": frame["message"].fillna(""),
        }
    )
    return Table("Filer som er lastet eller avvist", out, {"Rader": 0}, "lastelogg")


def _when(value: object) -> str:
    if value is None or pd.isna(value):
        return "–"
    t = pd.Timestamp(value)
    return f"{format_date(t)} kl. {t:%H:%M}"


def _unlogged_refusals(logged: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """The refused files in `rejected/` (by their reports) that the published load log does not hold."""
    seen = set(logged.loc[logged["status"] == "rejected", "file_name"]) if not logged.empty else set()
    rows = []
    for path in settings.rejected.glob(f"*{REPORT_SUFFIX}") if settings.rejected.is_dir() else []:
        stored = path.name[: -len(REPORT_SUFFIX)]
        original = stored.split("_", 1)[1] if "_" in stored else stored
        if original in seen:
            continue
        text = path.read_text(encoding="utf-8", errors="replace").strip()
        first = next((line for line in text.splitlines() if line.strip()), "")
        when = pd.Timestamp.fromtimestamp(path.stat().st_mtime)
        rows.append({"file_name": original, "status": "rejected", "loaded_at": when, "message": first[:300]})
    return pd.DataFrame(rows, columns=LOG_COLUMNS)


def refused_reports(settings: Settings, limit: int = 20) -> list[tuple[str, str]]:
    """The newest refusal reports in `rejected/` as (file name as dropped, the `.feil.txt` text)."""
    if not settings.rejected.is_dir():
        return []
    reports = sorted(settings.rejected.glob(f"*{REPORT_SUFFIX}"), key=lambda p: p.name, reverse=True)[:limit]
    out = []
    for path in reports:
        stored = path.name[: -len(REPORT_SUFFIX)]
        original = stored.split("_", 1)[1] if "_" in stored else stored
        out.append((original, path.read_text(encoding="utf-8", errors="replace")))
    return out


def inbox(settings: Settings) -> Table:
    """The files waiting in the inbox (a running `bms serve` picks them up within seconds)."""
    files = inbox_files(settings)
    frame = pd.DataFrame(
        {
            "Fil": [p.name for p in files],
            "Størrelse (kB)": [round(p.stat().st_size / 1024, 1) for p in files],
            "Lagt i innboksen": [_when(pd.Timestamp.fromtimestamp(p.stat().st_mtime)) for p in files],
        }
    )
    return Table("Venter i innboksen", frame, {"Størrelse (kB)": 1}, "innboks")


def template_kinds() -> list[tuple[str, str]]:
    """Every file kind with a template: (kind, Norwegian label), in the specs' order."""
    specs = sorted(load_specs().values(), key=lambda s: (getattr(s, "order", 0), s.kind))
    return [(s.kind, s.label) for s in specs]


def safe_name(name: str) -> str:
    """A stored name that cannot leave the inbox or hide: no folders, letters (æøå kept), digits, `-_. `."""
    base = unicodedata.normalize("NFC", Path(str(name).replace("\\", "/")).name).strip().lstrip(".~$ ")
    base = re.sub(r"[^\w\-. ]", "_", base).strip(" .") or "opplastet"
    stem, suffix = Path(base).stem[:100] or "opplastet", Path(base).suffix.lower()
    return f"{stem}{suffix}"


def decode_upload(contents: str, name: str, max_mb: float) -> tuple[str, bytes]:
    """Check an upload (dcc.Upload's data URL) and return its safe name and bytes, or raise UploadRefused."""
    stored = safe_name(name)
    if Path(stored).suffix not in ALLOWED_SUFFIXES:
        kinds = ", ".join(ALLOWED_SUFFIXES)
        raise UploadRefused(
            f"«{name}» er ikke en filtype Heim BMS leser. Last opp {kinds} (Excel, CSV eller SSB-json)."
        )
    try:
        payload = base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (IndexError, ValueError, binascii.Error):
        raise UploadRefused(f"«{name}» kom ikke fram helt. Prøv å laste den opp igjen.") from None
    if not payload:
        raise UploadRefused(f"«{name}» er tom. Lagre fila på nytt fra fagsystemet og last den opp igjen.")
    if len(payload) > max_mb * 1024 * 1024:
        raise UploadRefused(
            f"«{name}» er større enn {max_mb:g} MB, som er grensen (max_file_mb i settings.toml). "
            "Del fila opp, for eksempel ett år per fil."
        )
    return stored, payload


def store_in_inbox(settings: Settings, stored: str, payload: bytes) -> Path:
    """Write the upload into the inbox under a name no waiting file has; written whole, then renamed."""
    settings.inbox.mkdir(parents=True, exist_ok=True)
    stem, suffix = Path(stored).stem, Path(stored).suffix
    path, n = settings.inbox / stored, 1
    while path.exists():
        n += 1
        path = settings.inbox / f"{stem}-{n}{suffix}"
    partial = path.with_name(path.name + ".part")  # the inbox watcher skips .part files
    partial.write_bytes(payload)
    partial.rename(path)
    return path


def load_upload(settings: Settings, path: Path) -> UploadResult:
    """Load the inbox with the project's loader (as `bms load` does) and report on the uploaded file."""
    try:
        summary = load(settings)
    except NoReadableWarehouse as e:  # the file waits in the inbox until `bms rebuild` has run
        return UploadResult(path.name, "deferred", str(e), "", None)
    except BmsError as e:
        return UploadResult(path.name, "rejected", str(e), "", None)
    result = next((r for r in summary.results if r.name == path.name), None)
    if result is None:  # the serve watcher loaded it first: its report is in rejected/ or the log
        reports = dict(refused_reports(settings, limit=50))
        status = "rejected" if path.name in reports else "loaded"
        return UploadResult(path.name, status, "", reports.get(path.name, ""), summary.version)
    report = ""
    if result.status == "rejected" and result.stored_as is not None:
        report_path = Path(f"{result.stored_as}{REPORT_SUFFIX}")
        report = report_path.read_text(encoding="utf-8") if report_path.exists() else result.message
    message = result.message or ("; ".join(result.notes) if result.notes else "")
    return UploadResult(path.name, result.status, message, report, summary.version)

"""Open an input file as sheets of raw cell rows, refusing what is unsafe or unreadable before parsing.

Excel is read with calamine (fast, never evaluates formulas: a formula cell gives its cached value and
text stays text). CSV is decoded as UTF-8 (with or without BOM) or Windows-1252 and split on `;` or `,`.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import python_calamine

from etl.errors import FileRejected, Problem

EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
TEXT_SUFFIXES = {".csv", ".txt"}
JSON_SUFFIXES = {".json"}
SUPPORTED = EXCEL_SUFFIXES | TEXT_SUFFIXES | JSON_SUFFIXES

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Compound File: encrypted OOXML or old binary .xls
_ZIP = b"PK\x03\x04"


@dataclass
class Sheet:
    """One table of raw cells: a worksheet, or the whole of a CSV file."""

    name: str | None
    rows: list[list[object]]


@dataclass
class Opened:
    """What a file holds: sheets of cells, or a parsed JSON document."""

    sheets: list[Sheet]
    json: object | None = None


def _refuse(path: Path, message: str, fix: str) -> FileRejected:
    return FileRejected(path.name, [Problem(message, fix)])


def open_file(path: Path, max_bytes: int, max_unzipped: int) -> Opened:
    """Read a file's cells, or raise FileRejected saying plainly why it cannot be read."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise _refuse(
            path,
            f"filtypen «{suffix or 'uten endelse'}» støttes ikke",
            "Lagre fila som Excel-arbeidsbok (.xlsx), CSV (.csv) eller, for KOSTRA, json-stat (.json).",
        )
    size = path.stat().st_size
    if size == 0:
        raise _refuse(path, "fila er tom (0 byte)", "Eksporter fila på nytt fra fagsystemet.")
    if size > max_bytes:
        raise _refuse(
            path,
            f"fila er for stor ({size / 1e6:.0f} MB; grensen er {max_bytes / 1e6:.0f} MB)",
            "Del fila opp (for eksempel ett år per fil), eller øk max_file_mb i settings.toml.",
        )
    with path.open("rb") as f:
        head = f.read(8)
    if suffix in EXCEL_SUFFIXES:
        return Opened(_excel(path, head, max_unzipped))
    if head.startswith(_ZIP) or head.startswith(_OLE):
        raise _refuse(
            path,
            f"fila heter {suffix}, men er en Excel-fil",
            "Gi fila endelsen .xlsx, eller lagre den som CSV fra Excel.",
        )
    text = _decode(path)
    if suffix in JSON_SUFFIXES:
        try:
            return Opened([], json.loads(text))
        except json.JSONDecodeError as e:
            raise _refuse(
                path,
                f"fila er ikke gyldig JSON (linje {e.lineno}: {e.msg})",
                "Last ned svaret fra SSB på nytt som json-stat2.",
            ) from None
    return Opened([Sheet(None, _csv_rows(text))])


def _excel(path: Path, head: bytes, max_unzipped: int) -> list[Sheet]:
    if head.startswith(_OLE):
        raise _refuse(
            path,
            "fila er kryptert eller passordbeskyttet (eller en gammel .xls-fil med feil endelse)",
            "Åpne fila i Excel, fjern passordet (Fil → Info → Beskytt arbeidsbok) og lagre som .xlsx.",
        )
    if not head.startswith(_ZIP):
        if head[:3] == b"\xef\xbb\xbf" or all(32 <= b < 127 or b in (9, 10, 13) for b in head):
            raise _refuse(
                path,
                f"fila heter {path.suffix}, men er en tekstfil (CSV)",
                "Gi fila endelsen .csv, eller åpne den i Excel og lagre som .xlsx.",
            )
        raise _refuse(
            path, "fila er ikke en Excel-arbeidsbok (ukjent innhold)", "Eksporter fila på nytt som .xlsx eller .csv."
        )
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except zipfile.BadZipFile:
        raise _refuse(
            path,
            "Excel-fila er skadet og kan ikke åpnes",
            "Åpne fila i Excel og lagre den på nytt, eller eksporter den på nytt.",
        ) from None
    unzipped = sum(i.file_size for i in infos)
    if unzipped > max_unzipped or len(infos) > 10_000:
        # A zip bomb or an absurd workbook: refuse on the declared sizes, before inflating anything.
        raise _refuse(
            path,
            f"Excel-fila pakker seg ut til {unzipped / 1e6:.0f} MB, over grensen på {max_unzipped / 1e6:.0f} MB",
            "Fila er unormalt stor i utpakket form. Del den opp, eller øk max_unzipped_mb i settings.toml.",
        )
    try:
        wb = python_calamine.CalamineWorkbook.from_path(str(path))
        return [Sheet(name, wb.get_sheet_by_name(name).to_python(skip_empty_area=False)) for name in wb.sheet_names]
    except python_calamine.PasswordError:
        raise _refuse(path, "fila er passordbeskyttet", "Fjern passordet i Excel og lagre fila på nytt.") from None
    except Exception as e:  # calamine raises several error types for broken xml/zip content
        raise _refuse(
            path,
            f"Excel-fila er skadet og kan ikke leses ({type(e).__name__})",
            "Åpne fila i Excel og lagre den på nytt, eller eksporter den på nytt.",
        ) from None


def _decode(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise _refuse(
            path,
            "fila er ikke en tekstfil (inneholder binærdata)",
            "Eksporter som CSV (semikolon- eller kommaseparert) eller .xlsx.",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _csv_rows(text: str) -> list[list[object]]:
    # `;` wins when most lines have one: Norwegian `;`-files carry decimal commas inside their cells.
    lines = [ln for ln in text.splitlines()[:40] if ln.strip()]
    delimiter = ","
    for candidate in (";", "\t"):
        if lines and sum(candidate in ln for ln in lines) * 2 >= len(lines):
            delimiter = candidate
            break
    return [list(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)]

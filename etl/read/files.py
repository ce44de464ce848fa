"""Open an input file as sheets of raw cell rows, refusing what is unsafe or unreadable before parsing.

Excel is read with calamine (fast, never evaluates formulas: a formula cell gives its cached value and
text stays text). Formula cells are found from the sheets' XML, only in sheets that have any: each one's
formula text and whether the file holds the value Excel showed (files written by programs often do not),
so the reader can store a text column's formula as its literal text and refuse a number it cannot know.
CSV is decoded as UTF-8 (with or without BOM) or Windows-1252 and split on `;` or `,`.
"""

from __future__ import annotations

import csv
import json
import posixpath
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import python_calamine

from etl.errors import FileRejected, Problem
from etl.read.columnar import Columns, read_columns
from etl.read.detect import HEADER_SEARCH_ROWS, SheetProblems, detect
from etl.read.excel_facts import CellFacts, cell_facts, cell_name, example_cell, percent_styles, scan, sheet_cells
from etl.ssb.jsonstat import decode

EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
TEXT_SUFFIXES = {".csv", ".txt"}
JSON_SUFFIXES = {".json"}
SUPPORTED = EXCEL_SUFFIXES | TEXT_SUFFIXES | JSON_SUFFIXES

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Compound File: encrypted OOXML or old binary .xls
_ZIP = b"PK\x03\x04"


@dataclass(frozen=True)
class Formula:
    """A formula cell as the file stores it. Formulas are never evaluated here."""

    text: str  # as Excel shows it in the formula bar: `=HYPERLINK("http://x","klikk")`
    cached: bool  # the file holds the value Excel showed (in `Sheet.rows`); programs often write none
    error: str | None = None  # the value Excel showed is an error: #DIV/0!, #REF!, #N/A …


@dataclass
class Sheet:
    """One table of raw cells: a worksheet, or the whole of a CSV file."""

    name: str | None
    rows: list[list[object]]
    formulas: dict[tuple[int, int], Formula] = field(default_factory=dict)  # (row, column), 0-based as `rows`
    facts: CellFacts = field(default_factory=CellFacts)  # percent cells, error values, hidden rows, merges
    state: str = "visible"  # Excel's sheet state: visible, hidden or veryhidden (never shown by Excel)
    text_file: bool = False  # a CSV or text file: every row should have as many cells as the header
    examples: list[int] = field(default_factory=list)  # template example rows left out (1-based)
    body: Columns | None = None  # read as columns: `rows` ends at the header, the cells below it are here


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
            return Opened([], decode(text))
        except json.JSONDecodeError as e:
            raise _refuse(
                path,
                f"fila er ikke gyldig JSON (linje {e.lineno}: {e.msg})",
                "Last ned svaret fra SSB på nytt som json-stat2.",
            ) from None
    return Opened([Sheet(None, _csv_rows(text), text_file=True)])


def _rows(sheet: python_calamine.CalamineSheet) -> list[list[object]]:
    """A sheet's cells as rows, empty cells included, so row and column numbers stay the sheet's own.

    Taken row by row with each text made one object however many cells repeat it (a ledger's periods,
    ansvar and art codes): a 500 000-line ledger's rows take 100 MB less than as `to_python` gives them, at
    the load's peak. calamine's rows start at row 1 but at the first column used: the columns before it
    are put back as empty cells (and the rows before the first one used, should calamine leave them out)."""
    if sheet.start is None or sheet.end is None:  # nothing in the sheet
        return []
    pad = [""] * sheet.start[1]
    same: dict[str, str] = {}
    one = same.setdefault
    rows: list[list[object]] = [pad + [one(v, v) if v.__class__ is str else v for v in r] for r in sheet.iter_rows()]
    missing: list[list[object]] = [[""] * (sheet.end[1] + 1) for _ in range(sheet.end[0] + 1 - len(rows))]
    return missing + rows if missing else rows


def _excel(path: Path, head: bytes, max_unzipped: int) -> list[Sheet]:
    """A workbook's sheets, refused whole when it is not a readable .xlsx: by its first bytes, size, then content.

    The sheets' XML is scanned for what calamine does not give in a second thread while the cells are read:
    fastexcel and calamine let go of the interpreter while they parse, so the scan (0,7 s of a 500 000-line
    ledger) costs no time of its own. A sheet is read as columns (`columnar.py`) when it can be and the scan
    finds nothing in it that only its rows can carry (formulas, percent cells, error values, hidden rows,
    merges); otherwise row by row."""
    _check_signature(path, head)
    _check_size(path, max_unzipped)
    wb = _workbook(path)
    metas = wb.sheets_metadata
    parts = _parts(path, [m.name for m in metas])
    with ThreadPoolExecutor(max_workers=1) as pool:
        xml = pool.submit(_from_xml, path, parts)
        try:
            fast = read_columns(path, [(i, metas[i].name, part) for i, part in parts])
        finally:
            failed = xml.exception()  # waits for the scan either way: no thread outlives the read
    if failed is not None:
        if not isinstance(failed, (KeyError, ValueError, zipfile.BadZipFile, ElementTree.ParseError)):
            raise failed
        raise _damaged(path)
    found = xml.result()
    sheets = []
    for i, meta in enumerate(metas):
        facts, formulas = found.get(i, (None, {}))
        plain = facts is None and not formulas
        sheet = _columnar(meta.name, fast[i]) if plain and i in fast else None
        sheet = sheet or Sheet(meta.name, _calamine_rows(path, wb, meta.name))
        sheet.state = _state(meta.visible)
        sheet.facts = facts or sheet.facts
        if formulas:
            sheet.formulas = formulas
            # calamine leaves out trailing rows of formulas without a value: keep them in view
            last = max((r for r, _ in formulas), default=-1)
            sheet.rows.extend([] for _ in range(last + 1 - len(sheet.rows)))
        sheets.append(sheet)
    return sheets


def _columnar(name: str, columns: Columns) -> Sheet | None:
    """A sheet read as columns, when the reader would find its header where it was read and no template
    example column; None when it must be read row by row."""
    rows: list[list[object]] = [[""] * len(columns.header) for _ in range(columns.header_row)]
    rows.append(columns.header)
    below = range(min(columns.height, HEADER_SEARCH_ROWS - len(rows)))
    head = Sheet(name, rows + [columns.row(t, len(columns.header)) for t in below])
    if example_cell(head.rows) is not None:
        return None
    try:
        if detect(head)[1] != columns.header_row:
            return None
    except SheetProblems:
        return None
    return Sheet(name, rows, body=columns)


def _damaged(path: Path) -> FileRejected:
    return _refuse(
        path,
        "Excel-fila er skadet og kan ikke leses (formlene i arkene kan ikke tolkes)",
        "Åpne fila i Excel og lagre den på nytt, eller eksporter den på nytt.",
    )


def _check_signature(path: Path, head: bytes) -> None:
    """Refuse an encrypted workbook, an old .xls, or a text file named .xlsx, by the file's first bytes."""
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


def _check_size(path: Path, max_unzipped: int) -> None:
    """Refuse a damaged zip, or one that unpacks to more than the limit, before inflating anything."""
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


def _workbook(path: Path) -> python_calamine.CalamineWorkbook:
    """The workbook opened by calamine (its sheet list read, no cells yet), or the file refused."""
    try:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as e:  # calamine raises several error types for broken xml/zip content
        raise _calamine_refusal(path, e) from None


def _calamine_rows(path: Path, wb: python_calamine.CalamineWorkbook, name: str) -> list[list[object]]:
    """A sheet's cells as calamine reads them, or the file refused as password-protected or damaged."""
    try:
        return _rows(wb.get_sheet_by_name(name))
    except Exception as e:
        raise _calamine_refusal(path, e) from None


def _calamine_refusal(path: Path, e: Exception) -> FileRejected:
    if isinstance(e, python_calamine.PasswordError):
        return _refuse(path, "fila er passordbeskyttet", "Fjern passordet i Excel og lagre fila på nytt.")
    return _refuse(
        path,
        f"Excel-fila er skadet og kan ikke leses ({type(e).__name__})",
        "Åpne fila i Excel og lagre den på nytt, eller eksporter den på nytt.",
    )


def _parts(path: Path, names: list[str]) -> list[tuple[int, str]]:
    """(place in `names`, XML part) of each worksheet, or the file refused as damaged."""
    try:
        with zipfile.ZipFile(path) as z:
            return _worksheet_parts(z, list(names))
    except (KeyError, ValueError, zipfile.BadZipFile, ElementTree.ParseError):
        raise _damaged(path) from None


def _from_xml(
    path: Path, parts: list[tuple[int, str]]
) -> dict[int, tuple[CellFacts | None, dict[tuple[int, int], Formula]]]:
    """What calamine does not give, from the sheets' XML, by the sheet's place: its facts (percent formats,
    error values, hidden rows, merges; None when it has none) and its formula cells."""
    found: dict[int, tuple[CellFacts | None, dict[tuple[int, int], Formula]]] = {}
    with zipfile.ZipFile(path) as z:
        styles = percent_styles(z)
        for i, part in parts:
            has_facts, has_formulas = scan(z, part, styles)
            found[i] = (cell_facts(z, part, styles) if has_facts else None, _formulas(z, part) if has_formulas else {})
    return found


def _state(visible: object) -> str:
    """calamine's SheetVisibleEnum as Excel's word: visible, hidden or veryhidden."""
    return str(getattr(visible, "name", visible)).rpartition(".")[2].lower()


# ---------------------------------------------------------------- formula cells

_MAIN_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _xml(z: zipfile.ZipFile, name: str) -> ElementTree.Element:
    data = z.read(name)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:  # OOXML parts never declare entities
        raise ValueError(f"{name} declares a DTD")
    return ElementTree.fromstring(data)


def _relationships(z: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """A part's relationships: id -> (type, target path in the zip)."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", f"{name}.rels")
    if rels not in z.NameToInfo:
        return {}
    found = {}
    for rel in _xml(z, rels):
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        found[rel.get("Id", "")] = (rel.get("Type", ""), path)
    return found


def _worksheet_parts(z: zipfile.ZipFile, names: list[str | None]) -> list[tuple[int, str]]:
    """(index in `names`, XML part) of each worksheet, from the workbook and its relationships."""
    workbook = next((p for t, p in _relationships(z, "").values() if t == _MAIN_DOCUMENT), "xl/workbook.xml")
    rels = _relationships(z, workbook)
    parts = {}
    for el in _xml(z, workbook).iter():
        if _local(el.tag) == "sheet":
            rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
            if rid in rels and rels[rid][1] in z.NameToInfo:
                parts[el.get("name")] = rels[rid][1]
    return [(i, parts[name]) for i, name in enumerate(names) if name in parts]


def _formulas(z: zipfile.ZipFile, part: str) -> dict[tuple[int, int], Formula]:
    """Every formula cell of a sheet: its text (shared formulas written out for each cell) and cached value."""
    found: dict[tuple[int, int], Formula] = {}
    shared: dict[str, Any] = {}  # openpyxl Translators, one per shared formula
    for row, column, _, el in sheet_cells(z, part):
        children = {_local(c.tag): c for c in el}
        if "f" in children:
            ref = el.get("r") or cell_name(row - 1, column - 1)
            found[(row - 1, column - 1)] = _formula(children["f"], children.get("v"), el.get("t"), ref, shared)
    return found


def _formula(f: ElementTree.Element, v: ElementTree.Element | None, kind: str | None, ref: str, shared) -> Formula:
    text = "=" + (f.text or "")
    if f.get("t") == "shared":
        if f.text:
            from openpyxl.formula.translate import Translator  # only a shared formula loads openpyxl

            shared[f.get("si", "")] = Translator(text, origin=ref)
        elif f.get("si") in shared:
            text = shared[f.get("si")].translate_formula(ref)
    value = v.text if v is not None else None
    if kind == "e":
        return Formula(text, True, value or "#VALUE!")
    # a cached text may be empty (`=IF(A1="";"";…)` shows nothing); a number, date or truth value never is
    return Formula(text, v is not None if kind == "str" else bool(value))


def _decode(path: Path) -> str:
    data = path.read_bytes()
    head = data[:400]
    # Excel's «Unicode-tekst» export: UTF-16 with a byte-order mark (or little-endian text without one)
    utf16 = "utf-16" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else None
    if utf16 is None and len(head) >= 8 and head[1::2].count(0) >= len(head) // 2 * 0.9:
        utf16 = "utf-16-le"
    if utf16:
        try:
            return data.decode(utf16)
        except UnicodeDecodeError:
            pass
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
    return _shared(csv.reader(_lines(text), delimiter=delimiter))


def _lines(text: str) -> Iterator[str]:
    """The text's lines as `io.StringIO(text)` gives them (split after each `\n` only), without its copy of the
    whole text at four bytes a character."""
    start = 0
    while (end := text.find("\n", start)) != -1:
        yield text[start : end + 1]
        start = end + 1
    if start < len(text):
        yield text[start:]


_SHARED_MOST = 5_000  # distinct texts a column may have and still be shared; more, and it is a column of amounts


def _shared(rows: Iterator[list[str]]) -> list[list[object]]:
    """The rows, with a text that repeats in a column (a period, an ansvar, a code) held once: a ledger of a
    million lines holds a few hundred distinct codes, not four million copies of them."""
    seen: list[dict[str, str] | None] = []
    kept: list[list[object]] = []
    for row in rows:
        seen.extend({} for _ in range(len(row) - len(seen)))
        for k, text in enumerate(row):
            known = seen[k]
            if known is not None:
                row[k] = known.setdefault(text, text)
                if len(known) > _SHARED_MOST:
                    seen[k] = None
        kept.append(row)  # type: ignore[arg-type]
    return kept

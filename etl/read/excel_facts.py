"""What an Excel sheet holds beyond its cell values, read from the workbook's XML: cells formatted as
percent (Excel shows 4,7 % and stores 0,047), error values (`#N/A` typed or pasted as a value, which
calamine reads as an empty cell), hidden rows and merged cells (a header spanning two rows).

A sheet's XML is parsed only when a quick scan of its bytes finds any of these, so an ordinary sheet costs
one pass over its bytes and no parse."""

from __future__ import annotations

import functools
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.etree import ElementTree

from etl.norsk import normalise_header
from etl.spec import EXAMPLE_COLUMN

# Excel's built-in percent formats (0 % and 0,00 %); other formats are percent when their code has a `%`
# outside quotes, brackets and escapes.
_BUILTIN_PERCENT = {9, 10}
_CHUNK = 1 << 20


@dataclass
class CellFacts:
    """One sheet's facts, 0-based (row, column) as `Sheet.rows`."""

    percent: set[tuple[int, int]] = field(default_factory=set)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    hidden_rows: set[int] = field(default_factory=set)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # first row, first col, last row, last col


# A cell reference such as `AB12`: parsed by hand, since openpyxl's `coordinate_to_tuple` would load all of
# openpyxl (12 MB, 70 ms) into every load of a workbook that has no formula or merged cell to need it.
def cell_position(ref: str) -> tuple[int, int]:
    """(row, column), both from 1, of a reference such as `B7` or `$AB$12`."""
    if "$" in ref:
        ref = ref.replace("$", "")
    letters = ref.rstrip("0123456789")
    digits = ref[len(letters) :]
    if not digits or not 1 <= len(letters) <= 3 or not letters.isascii() or not letters.isalpha():
        raise ValueError(f"not a cell reference: {ref!r}")
    return int(digits), _column_number(letters)


@functools.cache
def _column_number(letters: str) -> int:
    column = 0
    for letter in letters.upper():
        column = column * 26 + ord(letter) - ord("A") + 1
    return column


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _is_percent(code: str) -> bool:
    plain = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.', "", code)
    return "%" in plain


def percent_styles(z: zipfile.ZipFile) -> set[int]:
    """The indexes of the cell styles (`s="…"` on a cell) whose number format is a percent."""
    name = next((n for n in z.namelist() if n.lower() == "xl/styles.xml"), None)
    if name is None:
        return set()
    data = z.read(name)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ValueError("styles.xml declares a DTD")
    root = ElementTree.fromstring(data)
    percent = set(_BUILTIN_PERCENT)
    for el in root.iter():
        if _local(el.tag) == "numFmt" and _is_percent(el.get("formatCode", "")):
            percent.add(int(el.get("numFmtId", "-1")))
    styles = set()
    for el in root.iter():
        if _local(el.tag) == "cellXfs":
            for i, xf in enumerate(x for x in el if _local(x.tag) == "xf"):
                if int(xf.get("numFmtId", "0")) in percent:
                    styles.add(i)
    return styles


# What a quick scan of a sheet's bytes looks for. Each pattern starts with text that is searched for as such
# (fast), never with a choice of characters the search would have to try at every byte.
_FACT_MARKS = (b't="e"', b"hidden=", b"mergeCell")
_FACTS = re.compile(rb't="e"|hidden="(?:1|true)"|<(?:\w+:)?mergeCell\b')
_FORMULA_MARKS = (b"<f", b":f")
_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")  # <f>, <f t="shared" …/>, <x:f>
_SPACE = frozenset(b" \t\n\r\f\v")  # what `\s` matches in a bytes pattern


def scan(z: zipfile.ZipFile, part: str, styles: set[int]) -> tuple[bool, bool]:
    """One pass over a sheet's bytes: (whether it has any fact `cell_facts` reads, whether it has formulas)."""
    style = "|".join(str(s) for s in sorted(styles))
    percent = re.compile(rb's="(?:' + style.encode() + rb')"') if style else None
    facts = formulas = False
    tail = b""
    with z.open(part) as f:
        while not (facts and formulas) and (chunk := f.read(_CHUNK)):
            text = tail + chunk
            facts = facts or _found(text, _FACT_MARKS, _FACTS) or (percent is not None and _percent_cell(text, percent))
            formulas = formulas or _found(text, _FORMULA_MARKS, _FORMULA_TAG)
            tail = chunk[-64:]
    return facts, formulas


def _found(text: bytes, marks: tuple[bytes, ...], pattern: re.Pattern[bytes]) -> bool:
    return any(mark in text for mark in marks) and pattern.search(text) is not None


def _percent_cell(text: bytes, percent: re.Pattern[bytes]) -> bool:
    """A ` s="9"` attribute naming a percent style (after a space: `cols="9"` is not one)."""
    return any(m.start() > 0 and text[m.start() - 1] in _SPACE for m in percent.finditer(text))


def no_dtd(z: zipfile.ZipFile, part: str) -> None:
    """Refuse (ValueError) a sheet part that declares a DTD, before it is parsed: OOXML parts never do."""
    with z.open(part) as f:
        head = f.read(4096)
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise ValueError(f"{part} declares a DTD")


def cell_facts(z: zipfile.ZipFile, part: str, styles: set[int]) -> CellFacts:
    """The percent cells, error values, hidden rows and merged ranges of one sheet's XML part (parsed only when
    `scan` found any)."""
    facts = CellFacts()
    no_dtd(z, part)
    row = 0
    data = None
    with z.open(part) as f:
        for event, el in ElementTree.iterparse(f, events=("start", "end")):
            tag = _local(el.tag)
            if event == "start":
                if tag == "row":
                    row = int(el.get("r") or row + 1)
                    if el.get("hidden") in ("1", "true"):
                        facts.hidden_rows.add(row - 1)
                elif tag == "sheetData":
                    data = el
                continue
            if tag == "c" and el.get("r"):
                r, c = cell_position(el.get("r"))
                if el.get("t") == "e":
                    value = next((v.text for v in el if _local(v.tag) == "v"), None)
                    facts.errors[(r - 1, c - 1)] = value or "#VALUE!"
                elif el.get("s") and int(el.get("s")) in styles:
                    facts.percent.add((r - 1, c - 1))
                el.clear()
            elif tag == "row" and data is not None:
                data.clear()
            elif tag == "mergeCell" and el.get("ref"):
                from openpyxl.utils.cell import range_boundaries  # only a sheet with merged cells loads openpyxl

                lo_c, lo_r, hi_c, hi_r = range_boundaries(el.get("ref"))
                if lo_c is None or lo_r is None or hi_c is None or hi_r is None:
                    # Excel merges cell ranges only; a whole row or column here is a damaged file
                    raise ValueError(f"{part} merges a whole row or column")
                facts.merged.append((lo_r - 1, lo_c - 1, hi_r - 1, hi_c - 1))
    return facts


@dataclass(frozen=True)
class FirstRow:
    """The first row of a sheet that holds a value: its place (0-based) and which columns (0-based) hold text."""

    row: int
    text: frozenset[int]
    other: bool  # a cell in it holds a number, date, truth value or error, not text


_TEXT = {"s", "inlineStr"}  # a shared or inline text; `str` is a formula's text, found by `scan` as a formula


def first_row(z: zipfile.ZipFile, part: str) -> FirstRow | None:
    """The first row of a sheet's XML with a cell that holds a value, read up to the end of that row only (the
    header of an ordinary export; a few kilobytes of a 40 MB sheet). None when no cell holds a value."""
    first, line = None, 0  # the row (from 1) of the first cell with a value, and the <row> element it is in
    text: set[int] = set()
    other = False
    for row, column, at, el in sheet_cells(z, part):
        if first is not None and at != line:
            break
        if any(_local(v.tag) in ("v", "is") for v in el):
            if first is None:
                first, line = row, at
            if row != first:
                other = True  # a row element holding cells of two rows: not an ordinary export
            elif el.get("t") in _TEXT:
                text.add(column - 1)
            else:
                other = True
    return None if first is None else FirstRow(first - 1, frozenset(text), other)


def sheet_cells(z: zipfile.ZipFile, part: str) -> Iterator[tuple[int, int, int, ElementTree.Element]]:
    """Each cell element of a sheet's XML part, in the file's order, with its row and column (from 1: a cell's
    own reference wins over its row's, as calamine reads it) and which <row> element (from 1) holds it. A
    sheet's XML is let go row by row, so a big sheet is never held in memory; a DTD refuses the part."""
    no_dtd(z, part)
    row, column, line = 0, 0, 0
    data = None  # <sheetData>: emptied of each row read
    with z.open(part) as f:
        for event, el in ElementTree.iterparse(f, events=("start", "end")):
            tag = _local(el.tag)
            if event == "start":
                if tag == "row":
                    row, column, line = int(el.get("r") or row + 1), 0, line + 1
                elif tag == "sheetData":
                    data = el
                continue
            if tag == "c":
                ref = el.get("r")
                row, column = cell_position(ref) if ref else (row, column + 1)
                yield row, column, line, el
                el.clear()
            elif tag == "row" and data is not None:
                data.clear()


# ---------------------------------------------------------------- what the reader does with them


def cell_name(row: int, column: int) -> str:
    """`D2` for 0-based (1, 3)."""
    letters, index = "", column + 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def listed(items: list[str], most: int = 10) -> str:
    """The first `most` items, comma-separated, with `…` when there are more."""
    return ", ".join(items[:most]) + (" …" if len(items) > most else "")


def as_shown(rows: list[list[object]], facts: CellFacts) -> list[str]:
    """Turn each percent-formatted number into the percentage Excel shows (0,047 shown as 4,7 % is 4,7), as
    text like «4,7 %» is read; the note names the cells."""
    changed = []
    for r, c in sorted(facts.percent):
        value = rows[r][c] if r < len(rows) and c < len(rows[r]) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            rows[r][c] = round(float(value) * 100, 10)
            changed.append(cell_name(r, c))
    if not changed:
        return []
    return [
        f"{len(changed)} celle{'r' if len(changed) > 1 else ''} har prosentformat i Excel ({listed(changed)}) og er "
        "lest som prosenten de viser (0,047 vist som 4,7 % er 4,7), slik som teksten «4,7 %»"
    ]


def hidden_notes(rows: list[list[object]], facts: CellFacts) -> list[str]:
    """The load report's line for hidden rows that hold anything: they are read like the others."""
    hidden = [r + 1 for r in sorted(facts.hidden_rows) if r < len(rows) and any(_filled(v) for v in rows[r])]
    if not hidden:
        return []
    which = listed([str(r) for r in hidden])
    verb = f"rad {which} er skjult" if len(hidden) == 1 else f"radene {which} er skjult"
    return [f"{verb} i Excel, men er lest inn som de andre; slett radene i fila hvis de ikke skal være med"]


def _filled(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip()) and value == value


def drop_examples(rows: list[list[object]], search: int = 15) -> list[int]:
    """Empty the template's example rows (marked in its `Eksempelrad` column) and the marker column itself,
    keeping row numbers; the example rows' numbers (1-based), for the load report."""
    found = example_cell(rows, search)
    if found is None:
        return []
    i, j = found
    marked = [k for k in range(i + 1, len(rows)) if j < len(rows[k]) and _filled(rows[k][j])]
    for k in marked:
        rows[k] = [None] * len(rows[k])
    for r in rows:
        if j < len(r):
            r[j] = None
    return [k + 1 for k in marked]


def example_cell(rows: list[list[object]], search: int = 15) -> tuple[int, int] | None:
    """(row, column), 0-based, of the template's `Eksempelrad` header among the first `search` rows."""
    key = normalise_header(EXAMPLE_COLUMN)
    for i, row in enumerate(rows[:search]):
        j = next((j for j, v in enumerate(row) if isinstance(v, str) and normalise_header(v) == key), None)
        if j is not None:
            return i, j
    return None

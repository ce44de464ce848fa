"""Every data cell of a sheet read by its column's type (etl/spec/types.py): formulas, Excel error values,
required cells and rows of a text file with too many or too few cells, each a problem naming the cell."""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pandas as pd

from etl.errors import Problem
from etl.norsk import ParseError, dot_use
from etl.read.columns import parse_column
from etl.read.detect import column_letter, is_empty
from etl.read.files import Formula, Sheet
from etl.read.rows import listed
from etl.spec import Column, Spec
from etl.spec.types import TYPES, fix_for, parse_cell


@dataclass
class Cells:
    """A sheet's body read column by column: values by field, `_row` numbers, and what was wrong."""

    data: dict[str, Sequence[object]]  # a list per field; a number field's an array (NaN where blank)
    problems: list[Problem] = field(default_factory=list)
    bad_rows: set[int] = field(default_factory=set)  # rows with a cell that could not be read
    formula_rows: dict[str, list[int]] = field(default_factory=dict)  # field -> rows where the cell is a formula
    unread_cells: dict[int, tuple] = field(default_factory=dict)  # row -> its cells in the columns not read


@dataclass
class _Body:
    """The data rows below the header, as columns: each read column's cells in the rows that hold data."""

    rows: list[int]  # 0-based sheet row of each data row
    raw: dict[int, list[object]]  # sheet column -> its cell in each data row
    blank: dict[int, np.ndarray]  # sheet column -> whether that cell is empty
    special: dict[int, dict[int, int]]  # sheet column -> {position in `rows`: sheet row} of formula or error cells
    distinct: dict[int, tuple[np.ndarray, np.ndarray]]  # a text column read as columns -> (codes, distinct texts)


def read_cells(sheet: Sheet, spec: Spec, header_row: int, mapping: dict[int, Column], unread: list[int]) -> Cells:
    """Parse every non-empty row below the header; problems are collected, never raised. The rows below the
    header are let go once taken apart into columns, so a big file is never held twice.

    A column is parsed as a whole (each distinct value once, numbers as an array); problems are listed row
    by row, in the order of the spec's columns, as if every cell had been read on its own."""
    header = sheet.rows[header_row]
    label = {col.field: f"{column_letter(j)} ({str(header[j]).strip()})" for j, col in mapping.items()}
    body = _body(sheet, header_row, mapping)
    # the frame's columns in the order they always had: the fields, each period's type, the row number
    data: dict[str, Sequence[object]] = {c.field: [] for c in spec.columns}
    data |= {f"{c.field}_type": [] for c in spec.columns if c.type == "period"}
    cells = Cells({**data, "_row": np.array(body.rows, dtype=np.int64) + 1})  # type: ignore[dict-item]
    if unread and sheet.body is None:
        for i in body.rows:
            row = sheet.rows[i]
            cells.unread_cells[i + 1] = tuple(_plain(row[j]) if j < len(row) else None for j in unread)
    elif unread and sheet.body is not None:  # read as columns: the same cells, taken from their columns
        columns = [sheet.body.column(j)[0] for j in unread]
        for i in body.rows:
            cells.unread_cells[i + 1] = tuple(_plain(c[i - header_row - 1]) for c in columns)
    del sheet.rows[header_row + 1 :]
    sheet.body = None
    by_field = {col.field: j for j, col in mapping.items()}
    found: list[tuple[int, int, Problem]] = []  # (sheet row, column in the spec, problem)
    formulas: list[tuple[int, int, str]] = []  # (sheet row, column in the spec, field) of each formula cell
    for k, col in enumerate(spec.columns):
        where = _Where(sheet, k, label.get(col.field), found, formulas)
        values = _column(body, col, by_field.get(col.field), where)
        if col.type == "period":
            cells.data[col.field], cells.data[f"{col.field}_type"] = _periods(values)
        else:
            cells.data[col.field] = values
    for i, _, field_name in sorted(formulas):
        cells.formula_rows.setdefault(field_name, []).append(i + 1)
    for i, _, problem in sorted(found, key=lambda f: (f[0], f[1])):
        cells.problems.append(problem)
        cells.bad_rows.add(i + 1)
    return cells


def _periods(values: Sequence[object]) -> tuple[list[object], list[object]]:
    """A period column's (start, type) pairs as two columns (None where the cell was empty or unreadable)."""
    if set(map(type, values)) <= {tuple}:  # every cell read: each part taken out in C
        pairs = cast(Sequence[tuple], values)
        return list(map(operator.itemgetter(0), pairs)), list(map(operator.itemgetter(1), pairs))
    return [v[0] if isinstance(v, tuple) else None for v in values], [
        v[1] if isinstance(v, tuple) else None for v in values
    ]


@dataclass
class _Where:
    """Where one spec column's cells are, and where its problems and formula cells are written down."""

    sheet: Sheet
    k: int  # the column's place in the spec: problems are listed in that order within a row
    label: str | None
    found: list[tuple[int, int, Problem]]
    formulas: list[tuple[int, int, str]]

    def at(self, i: int) -> tuple:
        """(sheet, row, column) of the cell in 0-based sheet row `i`, as a Problem takes them."""
        return (self.sheet.name, i + 1, self.label)

    def refuse(self, i: int, problem: Problem) -> None:
        self.found.append((i, self.k, problem))


def _dot(raw: Sequence[object], col: Column) -> str:
    """How a number column uses the dot, decided from all of its cells: `1.200` is 1,2 or 1 200. (Rows with
    nothing in them have no text that could decide it.)"""
    if not TYPES[col.type].dots:
        return "decimal"
    if pd.api.types.infer_dtype(raw, skipna=False) == "floating":  # Excel numbers only: no text to decide
        return dot_use(())
    return dot_use(raw)


def _body(sheet: Sheet, header_row: int, mapping: dict[int, Column]) -> _Body:
    """The rows below the header that hold data: a formula that shows nothing (`=IF(…;"";…)`) is an empty
    cell; one without a saved value, or an error value, is not."""
    distinct: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    if sheet.body is None:
        below = sheet.rows[header_row + 1 :]
        height = len(below)
        raw = _columns(below, list(mapping))
        blank = {j: _blanks(cells) for j, cells in raw.items()}
    else:  # read as columns (columnar.py), blanks and distinct texts found with them
        height = sheet.body.height
        raw, blank = {}, {}
        for j in mapping:
            raw[j], blank[j] = sheet.body.column(j)
        distinct = {j: sheet.body.distinct[j] for j in mapping if j in sheet.body.distinct}
    filled = np.zeros(height, dtype=bool)
    for flags in blank.values():
        filled |= ~flags
    special: dict[int, set[int]] = {j: set() for j in mapping}
    for (i, j), f in sheet.formulas.items():
        if j in special and header_row < i <= header_row + height:
            special[j].add(i)
            filled[i - header_row - 1] |= not f.cached
    for i, j in sheet.facts.errors:
        if j in special and header_row < i <= header_row + height:
            special[j].add(i)
            filled[i - header_row - 1] = True
    keep = np.flatnonzero(filled)
    rows = (keep + header_row + 1).tolist()
    if len(keep) < height:
        raw = {j: [cells[t] for t in keep.tolist()] for j, cells in raw.items()}
        blank = {j: flags[keep] for j, flags in blank.items()}
        distinct = {j: (codes[keep], texts) for j, (codes, texts) in distinct.items()}
    position = {i: t for t, i in enumerate(rows)} if any(special.values()) else {}
    at = {j: {position[i]: i for i in sorted(cells) if i in position} for j, cells in special.items()}
    return _Body(rows, raw, blank, at, distinct)


def _columns(rows: list[list[object]], which: list[int]) -> dict[int, list[object]]:
    """The cells of some columns, column by column (None where a row is short)."""
    if rows and min(map(len, rows)) > max(which, default=-1):  # every row has every column: transpose in C
        return {j: list(map(operator.itemgetter(j), rows)) for j in which}
    return {j: [row[j] if j < len(row) else None for row in rows] for j in which}


# the cell values calamine and the CSV reader give; any other is judged by `is_empty` itself
_PLAIN = frozenset({str, float, int, bool, dt.datetime, dt.date, dt.time, dt.timedelta})


def _blanks(values: list[object]) -> np.ndarray:
    """`is_empty` of every cell, without a call per cell."""
    kind = pd.api.types.infer_dtype(values, skipna=False)
    if kind == "floating":  # Excel numbers only
        return np.isnan(np.array(values, dtype=np.float64))
    if kind == "string":
        return np.array([not v.strip() for v in values], dtype=bool)  # type: ignore[attr-defined]
    return np.array(
        [
            v is None
            or (v.__class__ is str and not v.strip())
            or (v.__class__ is float and v != v)
            or (v.__class__ not in _PLAIN and is_empty(v))
            for v in values
        ],
        dtype=bool,
    )


def _column(body: _Body, col: Column, j: int | None, where: _Where) -> Sequence[object]:
    """One spec column's values in every data row (None, or NaN for a number, when empty or unreadable); its
    cells are let go once read. Its problems and formula cells go to `where`."""
    n = len(body.rows)
    if j is None:
        if col.required:
            for i in body.rows:
                where.refuse(i, _missing(col, where.at(i)))
        return _nothing(col, n)
    raw = body.raw.pop(j)
    dot = _dot(raw, col)
    special = body.special[j]
    skip = body.blank[j].copy()
    skip[list(special)] = True
    todo: Sequence[int] = range(n) if not skip.any() else np.flatnonzero(~skip).tolist()
    known = body.distinct.pop(j, None)
    if known is not None and len(todo) < n:
        known = (known[0][np.asarray(todo, dtype=np.int64)], known[1])
    parsed, failed = parse_column(col, raw if len(todo) == n else [raw[t] for t in todo], dot, known)
    values = parsed if len(todo) == n else _placed(col, n, todo, parsed)
    for at, e in failed.items():
        i = body.rows[todo[at]]
        where.refuse(i, Problem(str(e), e.fix or fix_for(col), *where.at(i)))
    if col.required:
        for t in np.flatnonzero(body.blank[j] & ~np.isin(np.arange(n), list(special))).tolist():
            where.refuse(body.rows[t], _missing(col, where.at(body.rows[t])))
    for t, i in special.items():  # formula and error cells, each read on its own
        value = _cell(where, col, i, j, raw[t], dot)
        if value is not None:
            values[t] = value  # type: ignore[index]
    return values


def _nothing(col: Column, n: int) -> Sequence[object]:
    """A column with nothing in it: blanks, or NaN for a number."""
    return np.full(n, np.nan) if TYPES[col.type].dots else [None] * n  # type: ignore[return-value]


def _placed(col: Column, n: int, todo: Sequence[int], parsed: Sequence[object]) -> Sequence[object]:
    """The parsed values at their rows, blanks elsewhere."""
    values = _nothing(col, n)
    for t, value in zip(todo, parsed, strict=True):
        if value is not None:
            values[t] = value  # type: ignore[index]
    return values


def _missing(col: Column, where: tuple) -> Problem:
    fix = f"Fyll inn {col.name} på raden, eller fjern raden (sum- og fotnoterader skal ikke være med)."
    return Problem(f"«{col.name}» mangler verdi", fix, *where)


def _cell(where: _Where, col: Column, i: int, j: int, raw: object, dot: str) -> object:
    """One formula or error cell's value (None when empty or unreadable); its problem goes to `where`."""
    formula, error = where.sheet.formulas.get((i, j)), where.sheet.facts.errors.get((i, j))
    ref = f"{column_letter(j)}{i + 1}"
    if formula is not None:
        where.formulas.append((i, where.k, col.field))
        if TYPES[col.type].literal:
            raw = formula.text  # a text's formula is the text the analyst typed: stored, never evaluated
        elif formula.error or not formula.cached:
            where.refuse(i, _formula_problem(formula, ref, where.at(i)))
            return None
    elif error is not None:  # an error value typed or pasted into the cell: calamine reads it as empty
        where.refuse(
            i,
            Problem(
                f"cellen {ref} har feilverdien {error}",
                "Skriv inn verdien i cellen (feilverdien kommer ofte fra en formel som er limt inn som verdi), "
                "eller tøm cellen hvis kolonnen kan stå tom.",
                *where.at(i),
            ),
        )
        return None
    if not is_empty(raw):
        try:
            return parse_cell(col, raw, dot)
        except ParseError as e:
            where.refuse(i, Problem(str(e), e.fix or fix_for(col), *where.at(i)))
            return None
    if col.required:
        where.refuse(i, _missing(col, where.at(i)))
    return None


def _plain(value: object) -> object:
    """A cell as compared between rows: empty cells alike, text without surrounding spaces."""
    if is_empty(value):
        return None
    return value.strip() if isinstance(value, str) else value


def _formula_problem(formula: Formula, cell: str, where: tuple) -> Problem:
    if formula.error:
        return Problem(
            f"cellen {cell} er formelen «{formula.text}», og den viser feilverdien {formula.error}",
            "Rett formelen i Excel, eller skriv inn verdien.",
            *where,
        )
    return Problem(
        f"cellen {cell} er formelen «{formula.text}», og formelen har ingen lagret verdi "
        "(fila er skrevet av et program som ikke regner ut formler, og formler regnes aldri ut her)",
        "Åpne fila i Excel og lagre den (da lagres verdiene formlene viser), eller kopier cellene og lim inn "
        "som verdier.",
        *where,
    )


def formula_notes(spec: Spec, formula_rows: dict[str, list[int]]) -> list[str]:
    """The load report's line per column with formulas: stored as text, or the value Excel saved."""
    notes = []
    for field_name, rows in formula_rows.items():
        col = spec.column(field_name)
        how = (
            "formelteksten er lagret som tekst, slik den står i cellen"
            if TYPES[col.type].literal
            else "verdien formelen viste da fila sist ble lagret i Excel er brukt"
        )
        notes.append(f"kolonnen «{col.name}» har formler (rad {listed(rows)}): {how} (formler regnes aldri ut)")
    return notes


def ragged_rows(sheet: Sheet, spec: Spec, header_row: int) -> list[Problem]:
    """Rows of a text file with more or fewer cells than its header: `2025-03,E21,1000,12,5,3` is a decimal
    comma in a comma-separated file, and the cells after it would land in the wrong columns. A kind whose
    exports leave out trailing empty cells says so in its spec (`short_rows`)."""
    if not sheet.text_file:
        return []
    header = sheet.rows[header_row]
    width = len(header)
    while width and is_empty(header[width - 1]):
        width -= 1
    problems = []
    for i in range(header_row + 1, len(sheet.rows)):
        row = sheet.rows[i]
        used = len(row)
        while used and is_empty(row[used - 1]):
            used -= 1
        if used == 0 or (used <= width <= len(row)) or (spec.short_rows and used <= width):
            continue
        problems.append(
            Problem(
                f"rad {i + 1} har {used if used > width else len(row)} celler, men overskriftsraden har {width}",
                "Sjekk skilletegnet: i en kommaseparert fil må tall med desimalkomma stå i anførselstegn "
                '("1000,5"), eller lagre fila som semikolonseparert CSV fra Excel. Alle rader skal ha like mange '
                "celler som overskriftsraden.",
                sheet.name,
                i + 1,
            )
        )
    return problems

"""Every data cell of a sheet read by its column's type (etl/spec/types.py): formulas, Excel error values,
required cells and rows of a text file with too many or too few cells, each a problem naming the cell."""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field

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

    data: dict[str, list[object]]
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


def read_cells(sheet: Sheet, spec: Spec, header_row: int, mapping: dict[int, Column], unread: list[int]) -> Cells:
    """Parse every non-empty row below the header; problems are collected, never raised.

    A column is parsed as a whole (each distinct value once, numbers as an array); problems are listed row
    by row, in the order of the spec's columns, as if every cell had been read on its own."""
    header = sheet.rows[header_row]
    label = {col.field: f"{column_letter(j)} ({str(header[j]).strip()})" for j, col in mapping.items()}
    body = _body(sheet, header_row, mapping)
    by_field = {col.field: j for j, col in mapping.items()}
    # the frame's columns in the order they always had: the fields, each period's type, the row number
    data: dict[str, list[object]] = {c.field: [] for c in spec.columns}
    data |= {f"{c.field}_type": [] for c in spec.columns if c.type == "period"}
    cells = Cells({**data, "_row": [i + 1 for i in body.rows]})
    found: list[tuple[int, int, Problem]] = []  # (sheet row, column in the spec, problem)
    dots = {col.field: _dot(body, by_field.get(col.field), col) for col in spec.columns}
    for k, col in enumerate(spec.columns):
        j = by_field.get(col.field)
        values = _column(sheet, body, col, j, dots[col.field], label.get(col.field), found, k)
        if col.type == "period":
            cells.data[col.field] = [v[0] if isinstance(v, tuple) else None for v in values]
            cells.data[f"{col.field}_type"] = [v[1] if isinstance(v, tuple) else None for v in values]
        else:
            cells.data[col.field] = values
    _special_cells(sheet, spec, body, mapping, label, dots, cells, found)
    for i, _, problem in sorted(found, key=lambda f: (f[0], f[1])):
        cells.problems.append(problem)
        cells.bad_rows.add(i + 1)
    if unread:
        for i in body.rows:
            row = sheet.rows[i]
            cells.unread_cells[i + 1] = tuple(_plain(row[j]) if j < len(row) else None for j in unread)
    return cells


def _dot(body: _Body, j: int | None, col: Column) -> str:
    """How a number column uses the dot, decided from all of its cells: `1.200` is 1,2 or 1 200. (Rows with
    nothing in them have no text that could decide it.)"""
    if j is None or not TYPES[col.type].dots:
        return "decimal"
    return dot_use(body.raw[j])


def _body(sheet: Sheet, header_row: int, mapping: dict[int, Column]) -> _Body:
    """The rows below the header that hold data: a formula that shows nothing (`=IF(…;"";…)`) is an empty
    cell; one without a saved value, or an error value, is not."""
    below = sheet.rows[header_row + 1 :]
    raw = _columns(below, list(mapping))
    blank = {j: _blanks(cells) for j, cells in raw.items()}
    filled = np.zeros(len(below), dtype=bool)
    for flags in blank.values():
        filled |= ~flags
    special: dict[int, set[int]] = {j: set() for j in mapping}
    for (i, j), f in sheet.formulas.items():
        if j in special and header_row < i <= header_row + len(below):
            special[j].add(i)
            filled[i - header_row - 1] |= not f.cached
    for i, j in sheet.facts.errors:
        if j in special and header_row < i <= header_row + len(below):
            special[j].add(i)
            filled[i - header_row - 1] = True
    keep = np.flatnonzero(filled)
    rows = (keep + header_row + 1).tolist()
    if len(keep) < len(below):
        raw = {j: [cells[t] for t in keep.tolist()] for j, cells in raw.items()}
        blank = {j: flags[keep] for j, flags in blank.items()}
    position = {i: t for t, i in enumerate(rows)}
    at = {j: {position[i]: i for i in sorted(cells) if i in position} for j, cells in special.items()}
    return _Body(rows, raw, blank, at)


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


def _column(sheet, body: _Body, col: Column, j: int | None, dot: str, label, found: list, k: int) -> list[object]:
    """One spec column's values in every data row (None when empty or unreadable), its problems into `found`.
    Formula and error cells are left for `_special_cells`."""
    n = len(body.rows)
    if j is None:
        if col.required:
            found.extend((i, k, _missing(col, (sheet.name, i + 1, label))) for i in body.rows)
        return [None] * n
    raw, skip = body.raw[j], body.blank[j].copy()
    skip[list(body.special[j])] = True
    if not skip.any():  # the common case: every cell filled, none a formula
        values, failed = parse_column(col, raw, dot)
        todo: Sequence[int] = range(n)
    else:
        todo = np.flatnonzero(~skip).tolist()
        parsed, failed = parse_column(col, [raw[t] for t in todo], dot)
        values = [None] * n
        for t, value in zip(todo, parsed, strict=True):
            values[t] = value
    for at, e in failed.items():
        i = body.rows[todo[at]]
        found.append((i, k, Problem(str(e), e.fix or fix_for(col), sheet.name, i + 1, label)))
    if col.required:
        empty = np.flatnonzero(body.blank[j] & ~np.isin(np.arange(n), list(body.special[j]))).tolist()
        found.extend((body.rows[t], k, _missing(col, (sheet.name, body.rows[t] + 1, label))) for t in empty)
    return values


def _missing(col: Column, where: tuple) -> Problem:
    fix = f"Fyll inn {col.name} på raden, eller fjern raden (sum- og fotnoterader skal ikke være med)."
    return Problem(f"«{col.name}» mangler verdi", fix, *where)


def _special_cells(sheet, spec: Spec, body: _Body, mapping, label, dots, cells: Cells, found: list) -> None:
    """The formula and error cells of the data rows, each read on its own, in the order of the sheet."""
    order = {col.field: k for k, col in enumerate(spec.columns)}
    todo = sorted((i, order[mapping[j].field], t, j) for j, at in body.special.items() for t, i in at.items())
    for i, k, t, j in todo:
        col = mapping[j]
        where = (sheet.name, i + 1, label.get(col.field))
        formula, error = sheet.formulas.get((i, j)), sheet.facts.errors.get((i, j))
        value, problem = _cell(cells, col, i, j, body.raw[j][t], formula, error, dots[col.field], where)
        if problem is not None:
            found.append((i, k, problem))
        if col.type == "period":
            period, ptype = value if isinstance(value, tuple) else (None, None)
            cells.data[col.field][t] = period
            cells.data[f"{col.field}_type"][t] = ptype
        else:
            cells.data[col.field][t] = value


def _cell(
    cells: Cells, col: Column, i: int, j, raw, formula: Formula | None, error, dot, where
) -> tuple[object, Problem | None]:
    """One formula or error cell's value (None when empty or unreadable) and its problem, if any."""
    ref = f"{column_letter(j)}{i + 1}"
    if formula is not None:
        cells.formula_rows.setdefault(col.field, []).append(i + 1)
        if TYPES[col.type].literal:
            raw = formula.text  # a text's formula is the text the analyst typed: stored, never evaluated
        elif formula.error or not formula.cached:
            return None, _formula_problem(formula, ref, where)
    elif error is not None:  # an error value typed or pasted into the cell: calamine reads it as empty
        return None, Problem(
            f"cellen {ref} har feilverdien {error}",
            "Skriv inn verdien i cellen (feilverdien kommer ofte fra en formel som er limt inn som verdi), "
            "eller tøm cellen hvis kolonnen kan stå tom.",
            *where,
        )
    if not is_empty(raw):
        try:
            return parse_cell(col, raw, dot), None
        except ParseError as e:
            return None, Problem(str(e), e.fix or fix_for(col), *where)
    if col.required:
        return None, _missing(col, where)
    return None, None


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

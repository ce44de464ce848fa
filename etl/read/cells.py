"""Every data cell of a sheet read by its column's type (etl/spec/types.py): formulas, Excel error values,
required cells and rows of a text file with too many or too few cells, each a problem naming the cell."""

from __future__ import annotations

from dataclasses import dataclass, field

from etl.errors import Problem
from etl.norsk import ParseError, dot_use
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


def read_cells(sheet: Sheet, spec: Spec, header_row: int, mapping: dict[int, Column], unread: list[int]) -> Cells:
    """Parse every non-empty row below the header; problems are collected, never raised."""
    data: dict[str, list[object]] = {c.field: [] for c in spec.columns}
    data |= {f"{c.field}_type": [] for c in spec.columns if c.type == "period"}
    cells = Cells({**data, "_row": []})
    header = sheet.rows[header_row]
    label = {col.field: f"{column_letter(j)} ({str(header[j]).strip()})" for j, col in mapping.items()}
    body = range(header_row + 1, len(sheet.rows))
    # how each number column uses the dot, decided from all of its cells: `1.200` is 1,2 or 1 200
    dots = {
        col.field: dot_use(sheet.rows[i][j] for i in body if j < len(sheet.rows[i]))
        for j, col in mapping.items()
        if TYPES[col.type].dots
    }
    for i in body:
        row = sheet.rows[i]
        raw = {j: row[j] if j < len(row) else None for j in mapping}
        formulas = {j: f for j in mapping if (f := sheet.formulas.get((i, j))) is not None}
        errors = {j: e for j in mapping if (e := sheet.facts.errors.get((i, j))) is not None}
        # a formula that shows nothing (`=IF(…;"";…)`) is an empty cell; one without a saved value is not
        if all(is_empty(v) for v in raw.values()) and all(f.cached for f in formulas.values()) and not errors:
            continue
        cells.data["_row"].append(i + 1)
        cells.unread_cells[i + 1] = tuple(_plain(row[j]) if j < len(row) else None for j in unread)
        by_field = {col.field: j for j, col in mapping.items()}
        for col in spec.columns:
            j = by_field.get(col.field)
            where = (sheet.name, i + 1, label.get(col.field))
            given = (raw[j], formulas.get(j), errors.get(j)) if j is not None else (None, None, None)
            value = _cell(cells, col, i, j, *given, dots, where)
            if col.type == "period":
                period, ptype = value if isinstance(value, tuple) else (None, None)
                cells.data[col.field].append(period)
                cells.data[f"{col.field}_type"].append(ptype)
            else:
                cells.data[col.field].append(value)
    return cells


def _cell(cells: Cells, col: Column, i: int, j, raw, formula: Formula | None, error, dots, where) -> object:
    """One cell's value (None when empty or unreadable); its problem, if any, goes into `cells`."""
    ref = f"{column_letter(j)}{i + 1}" if j is not None else ""
    if formula is not None:
        cells.formula_rows.setdefault(col.field, []).append(i + 1)
        if TYPES[col.type].literal:
            raw = formula.text  # a text's formula is the text the analyst typed: stored, never evaluated
        elif formula.error or not formula.cached:
            _refuse(cells, i, _formula_problem(formula, ref, where))
            return None
    elif error is not None:  # an error value typed or pasted into the cell: calamine reads it as empty
        _refuse(
            cells,
            i,
            Problem(
                f"cellen {ref} har feilverdien {error}",
                "Skriv inn verdien i cellen (feilverdien kommer ofte fra en formel som er limt inn som verdi), "
                "eller tøm cellen hvis kolonnen kan stå tom.",
                *where,
            ),
        )
        return None
    if not is_empty(raw):
        try:
            return parse_cell(col, raw, dots.get(col.field, "decimal"))
        except ParseError as e:
            _refuse(cells, i, Problem(str(e), e.fix or fix_for(col), *where))
            return None
    if col.required:
        fix = f"Fyll inn {col.name} på raden, eller fjern raden (sum- og fotnoterader skal ikke være med)."
        _refuse(cells, i, Problem(f"«{col.name}» mangler verdi", fix, *where))
        return None
    return None


def _refuse(cells: Cells, i: int, problem: Problem) -> None:
    cells.problems.append(problem)
    cells.bad_rows.add(i + 1)


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

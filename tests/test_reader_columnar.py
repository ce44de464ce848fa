"""A plain sheet is read as columns (etl/read/columnar.py), any other row by row; whichever way, the load
gives the same rows, notes and refusals. Each case is read both ways and compared, and the test says which
way the default took, so a case meant for the columns cannot pass by quietly falling back to the rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook

import etl.read.files as files
from etl.errors import FileRejected
from etl.read.files import open_file
from etl.read.reader import read_file
from tests.helpers import patch_xlsx, write_xlsx

LEDGER = ["periode", "ansvar", "art", "funksjon", "regnskap", "budsjett"]


def lines(n: int, amount=lambda i: float(i) + 0.5) -> list[list[object]]:
    return [[f"2025-{1 + i % 12:02d}", "2100", f"{10000 + i // 12}", "201", amount(i), float(i)] for i in range(n)]


def sheet(path: Path, rows: list[list[object]], at: str = "A1", title: str | None = None, name: str = "Ark1") -> Path:
    """One sheet with `rows` from cell `at`; `title` in A1 above them when given."""
    wb = Workbook()
    ws = wb.active
    ws.title = name
    if title:
        ws["A1"] = title
    first = ws[at]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                ws.cell(first.row + r, first.column + c, value)
    wb.save(path)
    return path


def _plain(tmp):
    return sheet(tmp / "f.xlsx", [LEDGER, *lines(40)])


def _gaps_and_spaces(tmp):
    rows = [LEDGER, *lines(10), [None] * 6, ["  ", " ", "\t", "  ", None, None], *lines(5), [" ", *[None] * 5]]
    rows[3][3] = "  201 "
    return sheet(tmp / "f.xlsx", rows)


def _starts_at_c3(tmp):
    return sheet(tmp / "f.xlsx", [LEDGER, *lines(12)], at="C3")


def _unknown_columns(tmp):
    rows = [
        [*LEDGER, 'merknad "a"', 'Merknad "A"', None],
        *[[*r, f"m{i % 3}", "x", i % 2] for i, r in enumerate(lines(12))],
    ]
    return sheet(tmp / "f.xlsx", rows)


def _same_key_summed(tmp):
    rows = [[*r, "a"] for r in lines(8)]
    rows += [list(rows[2]), [*rows[5][:-1], " b "]]  # the same key twice; the second with another remark
    return sheet(tmp / "f.xlsx", [[*LEDGER, "merknad"], *rows])


def _bad_cells(tmp):
    rows = [[str(v) for v in r] for r in lines(30)]
    rows[7][4] = "1.234,5,6"
    rows[20][0] = "2025-13"
    rows[25][1] = ""
    return sheet(tmp / "f.xlsx", [LEDGER, *rows])


def _text_amounts(tmp):
    return sheet(tmp / "f.xlsx", [LEDGER, *lines(20, amount=lambda i: f"{i} 000,5")])


def _ansvar_as_numbers(tmp):
    rows = lines(15)
    for r in rows:
        r[1] = 2100.0
    return sheet(tmp / "f.xlsx", [LEDGER, *rows])


def _far_right(tmp, column: int = 200):
    """A value far to the right of the ledger's columns (in column GR), empty columns between."""
    path = sheet(tmp / "f.xlsx", [LEDGER, *lines(30)])
    from openpyxl import load_workbook

    wb = load_workbook(path)
    wb.active.cell(3, column, "x")
    wb.save(path)
    return path


def _in_last_column(tmp):
    """A value in Excel's last column (XFD): 16 000 columns are more than a sheet read as columns may have."""
    return _far_right(tmp, 16384)


def _rows_without_numbers(tmp):
    """Rows written without their `r` (the cells keep theirs), the header in row 3: row numbers as Excel's."""
    rows = lines(6)
    rows[1][4] = None  # regnskap is required: refused at its row
    path = sheet(tmp / "f.xlsx", [LEDGER, *rows], at="A3")
    return patch_xlsx(path, "xl/worksheets/sheet1.xml", *[(f'<row r="{r}"', "<row") for r in range(3, 10)])


def _header_only(tmp):
    return sheet(tmp / "f.xlsx", [LEDGER])


def _hidden_sheet(tmp):
    path = sheet(tmp / "f.xlsx", [LEDGER, *lines(5)])
    from openpyxl import load_workbook

    wb = load_workbook(path)
    wb.create_sheet("Synlig").append(["x"])
    wb["Ark1"].sheet_state = "hidden"
    wb.save(path)
    return path


# the cases a row-by-row read must take, each for its reason


def _title_row(tmp):
    return sheet(tmp / "f.xlsx", [[], LEDGER, *lines(10)], title="Regnskap 2025")


def _repeated_header(tmp):
    return sheet(tmp / "f.xlsx", [[*LEDGER, "regnskap"], *[[*r, 1.0] for r in lines(6)]])


def _number_in_header(tmp):
    return sheet(tmp / "f.xlsx", [[*LEDGER, 2025], *[[*r, 1.0] for r in lines(6)]])


def _text_among_numbers(tmp):
    rows = lines(30)
    rows[17][4] = "1 234,5"
    rows[18][4] = "x"
    return sheet(tmp / "f.xlsx", [LEDGER, *rows])


def _late_odd_cells(tmp):
    """Past the first thousand rows, where fastexcel stops guessing a column's kind unless told to read all."""
    rows = lines(1500)
    rows[1400][4] = "x"  # a text among numbers
    rows[1450][1] = 2100.0  # a number among texts
    return sheet(tmp / "f.xlsx", [LEDGER, *rows])


def _date_period(tmp):
    rows = lines(6)
    rows[2][0] = dt.datetime(2025, 3, 1)
    return sheet(tmp / "f.xlsx", [LEDGER, *rows])


def _formula(tmp):
    rows = lines(6)
    rows[1][5] = "=1+1"
    return sheet(tmp / "f.xlsx", [LEDGER, *rows])


def _template_example(tmp):
    rows = [[*LEDGER, "Eksempelrad"], [*lines(1)[0], "x"], *[[*r, None] for r in lines(5)]]
    return write_xlsx(tmp / "f.xlsx", {"Regnskap": rows})


COLUMNS = [
    _plain,
    _gaps_and_spaces,
    _starts_at_c3,
    _unknown_columns,
    _same_key_summed,
    _bad_cells,
    _text_amounts,
    _ansvar_as_numbers,
    _header_only,
    _hidden_sheet,
    _far_right,
    _rows_without_numbers,
]
ROWS = [
    _title_row,
    _repeated_header,
    _number_in_header,
    _text_among_numbers,
    _late_odd_cells,
    _date_period,
    _formula,
    _template_example,
    _in_last_column,
]


def outcome(path: Path):
    """What a load would see: each table's kind, sheet, rows and notes, or the refusal's problems."""
    try:
        tables = read_file(path, 10**9, 10**9)
    except FileRejected as e:
        return [(p.message, p.fix, p.sheet, p.row, p.column) for p in e.problems]
    return [
        (t.spec.kind, t.sheet, t.ignored_columns, t.notes, t.frame.dtypes.to_dict(), _cells(t.frame)) for t in tables
    ]


def _cells(frame) -> dict[str, list]:
    """The frame's cells, an empty one as None (NaN is not equal to itself)."""
    return frame.astype(object).where(frame.notna(), None).to_dict("list")


@pytest.mark.parametrize("case", COLUMNS + ROWS, ids=lambda f: f.__name__.strip("_"))
def test_a_sheet_read_as_columns_or_as_rows_loads_the_same(tmp_path, monkeypatch, case):
    path = case(tmp_path)
    read_as_columns = [s.name for s in open_file(path, 10**9, 10**9).sheets if s.body is not None]
    assert bool(read_as_columns) == (case in COLUMNS)
    default = outcome(path)
    monkeypatch.setattr(files, "read_columns", lambda path, parts: {})
    assert all(s.body is None for s in open_file(path, 10**9, 10**9).sheets)
    assert default == outcome(path)


def test_a_ledger_read_as_columns_keeps_its_numbers_rows_and_problems(tmp_path):
    """Not only the same as the rows: what the analyst wrote, at the rows Excel shows."""
    rows = lines(3)
    rows[1][4] = None  # regnskap is required
    path = sheet(tmp_path / "f.xlsx", [LEDGER, *rows], at="B2")
    assert open_file(path, 10**9, 10**9).sheets[0].body is not None
    problems = outcome(path)
    assert [(row, column) for *_, row, column in problems] == [(4, "F (regnskap)")]
    path = sheet(tmp_path / "g.xlsx", [LEDGER, *lines(3)], at="B2")
    (table,) = read_file(path, 10**9, 10**9)
    assert table.frame["_row"].tolist() == [3, 4, 5]
    assert table.frame["actual"].tolist() == [0.5, 1.5, 2.5]


def test_a_sheet_reaching_far_right_holds_only_its_columns_with_values(tmp_path):
    """The empty columns between are not columns of Python values (nor a DuckDB query each)."""
    (sheet_read,) = open_file(_far_right(tmp_path), 10**9, 10**9).sheets
    assert sheet_read.body is not None
    assert sorted(sheet_read.body.values) == [0, 1, 2, 3, 4, 5, 199]

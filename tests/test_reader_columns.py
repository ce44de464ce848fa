"""The reader parses a column at once (each distinct value once, numbers as an array), yet a bad cell among
thousands of good ones is refused by its own row, column and message, exactly as a cell read on its own."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from etl.errors import FileRejected
from etl.read.files import _lines
from etl.read.reader import read_file
from tests.helpers import write_csv, write_xlsx

LEDGER = ["periode", "ansvar", "art", "funksjon", "regnskap", "budsjett"]


def ledger_rows(n: int) -> list[list[object]]:
    """`n` good ledger lines, no two with the same key."""
    return [[f"2025-{1 + i % 12:02d}", "2100", f"{10000 + i // 12}", "201", f"{i},5", str(i)] for i in range(n)]


def read(path: Path):
    return read_file(path, 10**9, 10**9)


def refused(path: Path) -> list[tuple]:
    with pytest.raises(FileRejected) as e:
        read(path)
    return [(p.row, p.column, p.message, p.fix) for p in e.value.problems]


def test_one_bad_cell_among_thousands_names_its_row_and_column(tmp_path):
    rows = ledger_rows(3000)
    rows[1775][4] = "1.234,5,6"  # sheet row 1777 (header is row 1)
    rows[2498][0] = "2025-13"
    path = write_csv(tmp_path / "regnskap.csv", [LEDGER, *rows])
    assert refused(path) == [
        (1777, "E (regnskap)", "«1.234,5,6» er ikke et tall (bruk for eksempel 1 234,5)", "Skriv et tall med "
         "desimalkomma, for eksempel 1 234,5."),
        (2500, "A (periode)", "«2025-13» har måned 13; en måned er 1–12", "Skriv perioden som 2025-08 (én periode "
         "per rad, ikke summer for flere perioder)."),
    ]  # fmt: skip


def test_problems_are_listed_row_by_row_in_the_order_of_the_columns(tmp_path):
    rows = ledger_rows(50)
    rows[10][5] = "x"  # row 12, budsjett
    rows[10][0] = "y"  # row 12, periode: listed first, as the column comes first
    rows[3][4] = ""  # row 5, regnskap is required
    path = write_csv(tmp_path / "regnskap.csv", [LEDGER, *rows])
    assert [(row, column) for row, column, *_ in refused(path)] == [
        (5, "E (regnskap)"),
        (12, "A (periode)"),
        (12, "F (budsjett)"),
    ]


def test_a_period_column_with_mixed_formats_reads_each_as_its_month(tmp_path):
    periods = ["2025-03", "202504", "05.2025", "juni 2025", "2025M07", 202508, 202509.0, dt.datetime(2025, 10, 1)]
    wb = Workbook()
    ws = wb.active
    ws.title = "Regnskap"
    ws.append(LEDGER)
    for i in range(400):
        ws.append([periods[i % len(periods)], "2100", str(10000 + i), "201", 1.5 * i, "1 000"])
    wb.save(tmp_path / "regnskap.xlsx")
    [table] = read(tmp_path / "regnskap.xlsx")
    months = table.frame.sort_values("_row")["period"].dt.month.tolist()
    assert months == [3 + i % len(periods) for i in range(400)]
    assert set(table.frame["period_type"]) == {"month"}
    assert table.frame["budget"].tolist() == [1000.0] * 400


def test_a_number_column_of_excel_numbers_and_texts_refuses_only_what_is_wrong(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Regnskap"
    ws.append(LEDGER)
    amounts: list[object] = [float(i) for i in range(300)]
    amounts[7], amounts[8], amounts[250] = "1 234,5", "(1 200)", 1e16
    for i, amount in enumerate(amounts):
        ws.append(["2025-01", "2100", str(10000 + i), "201", amount, 0])
    wb.save(tmp_path / "regnskap.xlsx")
    [(row, column, message, _)] = refused(tmp_path / "regnskap.xlsx")
    assert (row, column) == (252, "E (regnskap)")
    assert message == "«1e+16» er urimelig stort (over 1e+15 i absoluttverdi)"
    amounts[250] = 3.0
    ws.cell(row=252, column=5, value=3.0)
    wb.save(tmp_path / "regnskap.xlsx")
    [table] = read(tmp_path / "regnskap.xlsx")
    actual = table.frame.sort_values("_row")["actual"].tolist()
    assert actual[7:9] == [1234.5, -1200.0] and actual[250] == 3.0 and actual[0] == 0.0


def test_a_code_typed_as_a_number_and_as_text_is_the_same_code(tmp_path):
    rows = ledger_rows(20)
    path = tmp_path / "regnskap.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(LEDGER)
    for i, row in enumerate(rows):
        ws.append([row[0], 2100.0 if i % 2 else "2100", *row[2:]])
    wb.save(path)
    [table] = read(path)
    assert set(table.frame["ansvar"]) == {"2100"}


@pytest.mark.parametrize("text", ["", "a", "a\n", "a\r\nb\r\n", "\n\n", "a\rb\nc\u2028d\x0be\n", "x\n\ny"])
def test_a_csv_is_split_into_lines_as_io_would_split_it(text):
    assert list(_lines(text)) == list(io.StringIO(text))


def test_two_ledgers_of_one_load_for_the_same_month_and_ansvar_are_both_refused(dd):
    from etl.load import load
    from etl.settings import load_settings

    rows = [LEDGER] + [["2025-01", "2100", str(10100 + i), "201", "100", "90"] for i in range(500)]
    write_csv(dd / "inbox" / "regnskap_a.csv", rows)
    write_csv(dd / "inbox" / "regnskap_b.csv", [LEDGER, ["2025-02", "0310", "10100", "202", "5", "5"], rows[7]])
    results = {r.name: r for r in load(load_settings(dd)).results}
    for this, other in (("regnskap_a.csv", "regnskap_b.csv"), ("regnskap_b.csv", "regnskap_a.csv")):
        assert results[this].status == "rejected"
        assert f"fila og «{other}» i samme lasting har rader for det samme (regnskap: januar 2025, 2100)" in str(
            results[this].message
        )


def test_two_files_with_the_kommune_figure_for_one_indicator_and_year_are_both_refused(dd):
    """A scope with a blank part (the kommune's row has no unit) is one scope in both files, and the refusal
    names it by its parts, the blank left out; figures for other units or years stand in neither's way."""
    from etl.load import load
    from etl.settings import load_settings

    header = ["indikator_id", "enhet_id", "periode", "verdi", "antall_svar"]
    write_csv(
        dd / "inbox" / "tall_a.csv",
        [header, ["trivsel_skole", "", "2025", "4,4", 40], ["trivsel_skole", "E31", "2025", "4,1", 40]],
    )
    write_csv(
        dd / "inbox" / "tall_b.csv",
        [header, ["trivsel_skole", "", "2024", "4,2", 40], ["trivsel_skole", "", "2025", "4,5", 40]],
    )
    write_csv(dd / "inbox" / "tall_c.csv", [header, ["trivsel_skole", "E21", "2025", "4,0", 40]])
    results = {r.name: r for r in load(load_settings(dd)).results}
    assert results["tall_c.csv"].status == "loaded", results["tall_c.csv"].message
    for this, other in (("tall_a.csv", "tall_b.csv"), ("tall_b.csv", "tall_a.csv")):
        assert results[this].status == "rejected"
        assert (
            f"fila og «{other}» i samme lasting har rader for det samme (indikatorverdier: trivsel_skole, 2025)"
            in str(results[this].message)
        ), results[this].message


def test_two_files_share_a_scope_whatever_types_their_readers_gave_its_columns(dd):
    """A file without the unit column and one with it left blank both give the kommune's figure; a year read
    from text and from a number are one year: the two files are refused, not the second silently winning."""
    from etl.load import load
    from etl.settings import load_settings

    write_csv(dd / "inbox" / "kommunen.csv", [["indikator_id", "periode", "verdi"], ["trivsel_skole", "2025", "4,4"]])
    write_xlsx(
        dd / "inbox" / "alle.xlsx",
        {"Ark1": [["indikator_id", "enhet_id", "periode", "verdi"], ["trivsel_skole", None, 2025, 4.5]]},
    )
    results = {r.name: r for r in load(load_settings(dd)).results}
    for this, other in (("kommunen.csv", "alle.xlsx"), ("alle.xlsx", "kommunen.csv")):
        assert results[this].status == "rejected", results[this]
        said = f"fila og «{other}» i samme lasting har rader for det samme (indikatorverdier: trivsel_skole, 2025)"
        assert said in str(results[this].message)


def test_scope_hashes_are_equal_for_equal_scopes_of_any_dtype():
    import numpy as np
    import pandas as pd

    from etl.load import _scope_hashes

    day = pd.Series(pd.to_datetime(["2025-01-01", "2025-02-01"]))
    one = pd.DataFrame({"unit": pd.Series([None, "E21"], dtype=object), "year": pd.Series([2025, 2025], dtype="Int64"),
                        "period": day.astype("datetime64[us]")})  # fmt: skip
    other = pd.DataFrame({"unit": pd.Series([np.nan, "E21"]).astype("category"), "year": [2025.0, 2025.0],
                          "period": day.astype("datetime64[ns]")})  # fmt: skip
    assert (_scope_hashes(one) == _scope_hashes(other)).all()
    assert _scope_hashes(one)[0] != _scope_hashes(one)[1]
    swapped = one.assign(unit=["E21", None])  # the same values in other rows are other scopes
    assert not (_scope_hashes(swapped) == _scope_hashes(one)).any()


def test_two_identical_files_and_a_third_sharing_their_scope_are_all_refused(dd):
    """The same file twice would load once; a third file with another figure for the same scope makes the
    three of them ambiguous, and none is loaded."""
    from etl.load import load
    from etl.settings import load_settings

    header = ["indikator_id", "periode", "verdi"]
    for name in ("a.csv", "b.csv"):
        write_csv(dd / "inbox" / name, [header, ["trivsel_skole", "2025", "4,4"]])
    write_csv(dd / "inbox" / "c.csv", [header, ["trivsel_skole", "2025", "4,6"]])
    results = {r.name: r for r in load(load_settings(dd)).results}
    assert {n: r.status for n, r in results.items()} == {"a.csv": "rejected", "b.csv": "rejected", "c.csv": "rejected"}
    assert "«c.csv»" in str(results["a.csv"].message) and "«c.csv»" in str(results["b.csv"].message)


def test_a_cell_reference_is_read_as_openpyxl_reads_it():
    """The reader parses `B7` itself so a plain workbook never loads openpyxl; it must agree with openpyxl."""
    from openpyxl.utils.cell import coordinate_to_tuple, get_column_letter

    from etl.read.excel_facts import cell_position

    for column in (1, 2, 25, 26, 27, 52, 53, 701, 702, 703, 16384):
        for row in (1, 7, 1048576):
            ref = f"{get_column_letter(column)}{row}"
            assert cell_position(ref) == coordinate_to_tuple(ref) == (row, column)
    assert cell_position("$AB$12") == (12, 28)
    with pytest.raises(ValueError):
        cell_position("A")


def test_a_sheet_used_from_a_later_column_keeps_its_row_and_column_numbers(tmp_path):
    """calamine hands the rows from the first column used: the columns before it come back as empty cells,
    so a cell keeps the row and column Excel shows (and an error names them right). A text repeated down the
    column is one object, not one per cell (a big ledger's rows fit in 100 MB less)."""
    from etl.read.files import open_file

    wb = Workbook()
    ws = wb.active
    ws["C3"], ws["D3"], ws["E5"] = "periode", 1.5, dt.datetime(2024, 1, 2)
    for r in range(6, 9):
        ws[f"D{r}"] = "2024-01"
    extra = wb.create_sheet("B")
    extra["B1"] = "x"
    path = tmp_path / "forskjøvet.xlsx"
    wb.save(path)
    first, second = open_file(path, 10**8, 10**9).sheets
    assert first.rows[2] == ["", "", "periode", 1.5, ""]
    assert first.rows[4][4] == dt.date(2024, 1, 2) and len(first.rows) == 8
    assert all(len(row) == 5 for row in first.rows)
    assert first.rows[5][3] == "2024-01" and first.rows[5][3] is first.rows[7][3]
    assert second.rows == [["", "x"]]

"""Values are loaded with the meaning the file had, or refused: files written the way Excel and the survey
portals write them (percent formats, hidden sheets and rows, error cells, UTF-16 «Unicode-tekst», two-row
headers), loaded through `bms load` and checked in the warehouse and the load report."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from dashboard.cli import main as bms
from tests.helpers import query, snapshot, write_csv

SICK_HEADER = ["periode", "enhet_id", "mulige_dagsverk", "tapte_dagsverk_egenmeldt", "tapte_dagsverk_legemeldt"]


def load(data_dir: Path, capsys, refused: bool = False) -> str:
    """`bms load` on the inbox: the printed load report, and with `refused` the refused file's error report
    (asserting the refusal changed nothing in the warehouse)."""
    before = snapshot(data_dir)
    capsys.readouterr()
    code = bms(["load", "--data-dir", str(data_dir)])
    seen = capsys.readouterr()
    out = seen.out
    assert code == (1 if refused else 0), out + seen.err
    if not refused:
        return out
    assert snapshot(data_dir) == before
    [report] = sorted((data_dir / "rejected").glob("*.feil.txt"))
    return report.read_text(encoding="utf-8")


def workbook(path: Path, rows: list[list[object]], title: str = "Ark1") -> tuple[Workbook, object]:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    return wb, ws


def sick_leave(data_dir: Path) -> list[tuple]:
    return query(data_dir, "SELECT unit_id, possible_days, lost_days_self, lost_days_doctor FROM sick_leave "
                           "ORDER BY period, unit_id")  # fmt: skip


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize("cell", ["inf", "Infinity", "1e400", "9" * 400])
def test_a_number_that_is_not_finite_is_refused(dd, capsys, cell):
    write_csv(dd / "inbox" / "fravær.csv", [SICK_HEADER, ["2025-03", "E21", cell, "12", "5"]])
    report = load(dd, capsys, refused=True)
    assert "rad 2" in report and "mulige_dagsverk" in report, report
    assert "ikke et endelig tall" in report or "urimelig stort" in report, report
    assert len(report) < 3_000  # the 400 digits are cut, not echoed whole


def test_a_csv_row_with_more_or_fewer_cells_than_the_header_is_refused(dd, capsys):
    """`2025-03,E21,1000,12,5,3`: a decimal comma in a comma-separated file gives a sixth cell."""
    rows = [SICK_HEADER, ["2025-03", "E21", "1000", "12", "5", "3"], ["2025-03", "E31", "900", "4"]]
    write_csv(dd / "inbox" / "fravær.csv", rows, delimiter=",")
    report = load(dd, capsys, refused=True)
    assert "rad 2 har 6 celler, men overskriftsraden har 5" in report, report
    assert "rad 3 har 4 celler, men overskriftsraden har 5" in report, report


def test_percent_formatted_cells_are_the_percentage_they_show(dd, capsys):
    """Excel shows 4,7 % and stores 0,047; 78 % is 0,78. Read as shown, like the text «4,7 %»."""
    path = dd / "inbox" / "verdier.xlsx"
    header = ["indikator_id", "enhet_id", "periode", "verdi"]
    wb, ws = workbook(path, [header, ["sykefravaer", "E31", 2024, 0.047], ["sykefravaer", "E41", 2024, "4,7 %"]])
    ws["D2"].number_format = "0.0%"
    wb.save(path)
    tf = dd / "inbox" / "10-faktor.xlsx"
    wb, ws = workbook(tf, [["år", "enhet_id", "faktor", "snitt", "antall_svar", "svarprosent"],
                           [2024, "E21", "Mestringstro", 4.2, 20, 0.78]])  # fmt: skip
    ws["F2"].number_format = "0%"
    wb.save(tf)
    out = load(dd, capsys)
    values = query(dd, "SELECT unit_id, round(value, 9) FROM manual_values ORDER BY 1")
    assert values == [("E31", 4.7), ("E41", 4.7)]
    assert query(dd, "SELECT round(response_rate, 9) FROM employee_survey WHERE unit_id = 'E21'") == [(78.0,)]
    assert "prosentformat" in out and "D2" in out, out


@pytest.mark.parametrize(
    ("column", "error"), [("landssnitt", "#N/A"), ("snitt", "#DIV/0!"), ("antall_svar", "#VALUE!")]
)
def test_an_excel_error_cell_is_named_not_read_as_blank(dd, capsys, column, error):
    header = ["år", "tjeneste", "enhet_id", "dimensjon", "snitt", "antall_svar", "landssnitt"]
    row = [2024, "barnehage", "E21", "Trivsel", 4.5, 20, 4.4]
    row[header.index(column)] = error
    path = dd / "inbox" / "undersøkelse.xlsx"
    wb, ws = workbook(path, [header, row])
    letter = "ABCDEFG"[header.index(column)]
    assert ws[f"{letter}2"].data_type == "e"  # written as Excel writes an error value
    wb.save(path)
    report = load(dd, capsys, refused=True)
    assert f"cellen {letter}2 har feilverdien {error}" in report, report
    assert "mangler verdi" not in report


def test_a_two_digit_year_is_refused_not_guessed(dd, capsys):
    rows = [["avvik_id", "enhet_id", "kategori", "meldt_dato"], ["A1", "E21", "HMS", "01.12.99"]]
    write_csv(dd / "inbox" / "avvik.csv", rows)
    report = load(dd, capsys, refused=True)
    assert "«01.12.99» har tosifret årstall" in report and "fire sifre" in report, report


# ---------------------------------------------------------------- what the analyst cannot see


def test_rows_of_a_hidden_sheet_and_hidden_rows_are_loaded_and_said(dd, capsys):
    path = dd / "inbox" / "fravær.xlsx"
    wb, ws = workbook(path, [SICK_HEADER, ["2025-03", "E21", 100, 2, 3], ["2025-03", "E31", 200, 4, 6]], "Synlig")
    ws.row_dimensions[3].hidden = True
    hidden = wb.create_sheet("Gammel")
    for row in [SICK_HEADER, ["2025-02", "E41", 300, 1, 1]]:
        hidden.append(row)
    hidden.sheet_state = "hidden"
    wb.save(path)
    out = load(dd, capsys)
    assert sick_leave(dd) == [("E41", 300.0, 1.0, 1.0), ("E21", 100.0, 2.0, 3.0), ("E31", 200.0, 4.0, 6.0)]
    assert "arket «Gammel» er skjult i Excel" in out, out
    assert "rad 3 er skjult i Excel" in out, out


def test_data_in_a_sheet_excel_never_shows_is_refused(dd, capsys):
    path = dd / "inbox" / "fravær.xlsx"
    wb, ws = workbook(path, [SICK_HEADER, ["2025-03", "E21", 100, 2, 3]], "Synlig")
    secret = wb.create_sheet("Skjult")
    for row in [SICK_HEADER, ["2025-02", "E41", 300, 1, 1]]:
        secret.append(row)
    secret.sheet_state = "veryHidden"
    wb.save(path)
    report = load(dd, capsys, refused=True)
    assert "arket «Skjult» er «veldig skjult»" in report, report


# ---------------------------------------------------------------- messages


def test_excels_unicode_text_export_is_read(dd, capsys):
    """«Unicode-tekst (*.txt)»: UTF-16 with a byte-order mark, tab-separated."""
    lines = ["\t".join(SICK_HEADER), "2025-03\tE21\t1 234,5\t14,5\t62"]
    (dd / "inbox" / "fravær.txt").write_bytes("\r\n".join(lines).encode("utf-16"))
    load(dd, capsys)
    assert sick_leave(dd) == [("E21", 1234.5, 14.5, 62.0)]


def test_a_two_row_merged_header_is_named_as_such(dd, capsys):
    path = dd / "inbox" / "fravær.xlsx"
    wb, ws = workbook(path, [["periode", "enhet_id", "Tapte dagsverk", None, "mulige_dagsverk"],
                             [None, None, "egenmeldt", "legemeldt", None],
                             ["2025-03", "E21", 2, 3, 100]])  # fmt: skip
    ws.merge_cells("C1:D1")
    wb.save(path)
    report = load(dd, capsys, refused=True)
    assert "overskriften går over to rader (rad 1 og 2" in report, report


def test_a_control_character_in_a_code_is_shown(dd, capsys):
    write_csv(dd / "inbox" / "fravær.csv", [SICK_HEADER, ["2025-03", "E21\x07", "100", "2", "3"]])
    report = load(dd, capsys, refused=True)
    assert "«E21\\u0007»" in report, report


def test_a_long_value_is_cut_in_the_report(dd, capsys):
    write_csv(dd / "inbox" / "fravær.csv", [SICK_HEADER, *[["2025-03", "E" + "x" * 20_000, "1", "0", "0"]] * 30])
    report = load(dd, capsys, refused=True)
    assert "(20001 tegn)" in report and len(report) < 20_000, len(report)


# ---------------------------------------------------------------- templates and partial files


def test_the_templates_example_row_is_never_loaded(dd, capsys):
    from etl.templates import template_bytes

    path = dd / "inbox" / "sykefravær.xlsx"
    path.write_bytes(template_bytes("sykefravær"))
    report = load(dd, capsys, refused=True)  # untouched: nothing but the example
    assert "eksempelraden fra malen" in report, report
    assert query(dd, "SELECT count(*) FROM raw_sick_leave") == [(0,)]
    wb_path = dd / "inbox" / "sykefravær med rader.xlsx"
    import io

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(template_bytes("sykefravær")))
    wb.worksheets[0].append(["2025-04", "E31", None, "200", "4", "6"])
    wb.save(wb_path)
    out = load(dd, capsys)
    assert sick_leave(dd) == [("E31", 200.0, 4.0, 6.0)]
    assert "hoppet over eksempelraden fra malen (rad 2)" in out, out


def test_a_partial_file_replaces_only_the_units_it_lists(dd, capsys):
    rows = [SICK_HEADER, ["2025-03", "E21", 100, 2, 3], ["2025-03", "E31", 200, 4, 6], ["2025-03", "E41", 300, 1, 1]]
    write_csv(dd / "inbox" / "mars.csv", rows)
    load(dd, capsys)
    write_csv(dd / "inbox" / "rettet E21.csv", [SICK_HEADER, ["2025-03", "E21", 110, 1, 1]])
    out = load(dd, capsys)
    assert sick_leave(dd) == [("E21", 110.0, 1.0, 1.0), ("E31", 200.0, 4.0, 6.0), ("E41", 300.0, 1.0, 1.0)]
    assert "erstatter mars 2025 for E21 (1 rad før → 1 rad nå)" in out, out


def test_a_partial_ledger_replaces_only_its_ansvar(dd, capsys):
    header = ["periode", "ansvar", "art", "regnskap", "budsjett"]
    write_csv(dd / "inbox" / "mars.csv", [header, ["2025-03", "2100", "10100", "1000", "900"],
                                          ["2025-03", "0310", "10100", "500", "500"]])  # fmt: skip
    load(dd, capsys)
    write_csv(dd / "inbox" / "rettet.csv", [header, ["2025-03", "0310", "10100", "600", "500"]])
    out = load(dd, capsys)
    assert query(dd, "SELECT ansvar, actual FROM accounting ORDER BY 1") == [("0310", 600.0), ("2100", 1000.0)]
    assert "erstatter mars 2025 for ansvar 0310 (1 rad før → 1 rad nå)" in out, out


def test_a_survey_file_says_which_units_it_removes(dd, capsys):
    """A survey file replaces its year and service whole (when the analyst says so): the report says what goes."""
    header = ["år", "tjeneste", "enhet_id", "dimensjon", "snitt", "antall_svar"]
    rows = [[2024, "barnehage", u, "Trivsel", 4.5, n] for u, n in (("E21", 20), (None, 20))]
    write_csv(dd / "inbox" / "a.csv", [header, *rows])
    load(dd, capsys)
    b = write_csv(dd / "b.csv", [header, [2024, "barnehage", None, "Trivsel", 4.4, 25]])
    capsys.readouterr()
    assert bms(["load", "--data-dir", str(dd), str(b)]) == 1  # it would remove E21's figures: refused
    assert bms(["load", "--data-dir", str(dd), "--erstatt-hele", str(b)]) == 0  # unless the analyst says so
    out = capsys.readouterr().out
    assert "erstatter 2024, barnehage (2 rader før → 1 rad nå); tallene for E21 er ikke med i fila" in out, out
    assert query(dd, "SELECT unit_id, respondents FROM user_survey") == [(None, 25)]

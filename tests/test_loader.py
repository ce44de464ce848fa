"""The drop folder end to end: messy real-looking files load with the exact figures, files are filed and
logged, reloading changes nothing, a newer file replaces exactly its scope, and anonymity holds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from etl.load import load
from etl.settings import load_settings
from tests.helpers import catalogue_size, patch_xlsx, query, snapshot, units_file, write_csv, write_xlsx

VALUES_HEADER = ["indikator_id", "enhet_id", "periode", "verdi", "antall_svar", "kommentar"]


def run(data_dir: Path, **kw):
    summary = load(load_settings(data_dir), **kw)
    assert not summary.rejected, [r.message for r in summary.rejected]
    return summary


def test_messy_units_file_loads_with_codes_as_text(data_dir):
    write_xlsx(
        data_dir / "inbox" / "Organisasjon 2025.xlsx",
        {
            "Org": [
                ["Heim kommune"],
                ["Eksport fra HR-systemet 02.01.2025"],
                [],
                ["Enhetsnr", " Enhetsnavn ", "TJENESTEOMRÅDE", "Ansvar nr.", "Kommunalsjef", "Enhetsleder", "Merknad"],
                ["E21", "Kyrksæterøra barnehage", "oppvekst", "2100,2110", "Kari", "Siri, styrer", "fritekst"],
                ["E31", "Kyrksæterøra skole", "oppvekst", "0310; 0311", None, None, None],
                [None, None, None, None, None, None, None],
                [52, "Plan og byggesak", "teknisk", 5200, None, None, None],
            ]
        },
        text_cells=True,
    )
    summary = run(data_dir)
    [result] = [r for r in summary.results if r.name == "Organisasjon 2025.xlsx"]
    assert (result.status, result.kind, result.rows) == ("loaded", "enheter", 3)
    assert "ignorerte kolonner uten kjent navn: Merknad" in result.notes
    rows = query(
        data_dir, "SELECT unit_id, name, service_area, ansvar_codes, area_head, leader FROM units ORDER BY name"
    )
    assert rows == [
        ("E21", "Kyrksæterøra barnehage", "oppvekst", ["2100", "2110"], "Kari", "Siri, styrer"),
        ("E31", "Kyrksæterøra skole", "oppvekst", ["0310", "0311"], None, None),
        ("52", "Plan og byggesak", "teknisk", ["5200"], None, None),
    ]


def test_latin1_semicolon_csv_with_norwegian_numbers(dd):
    rows = [
        ["Manuelle tall – Kvalitetsavdelingen"],
        ["Indikator", "Enhetskode", "Periode", "Verdi", "Antall", "Merknad"],
        ["grunnskolepoeng", "E31", "2024", "41,35", "", "Fra Skoleporten"],
        ["grunnskolepoeng", "", "2024", "40,9", "", "Hele kommunen, særskilt tilrettelagt"],
        ["saksbehandlingstid_byggesak", "", "2. tertial 2025", "1 023,5", "", "Også «gamle» saker"],
    ]
    write_csv(dd / "inbox" / "tall.csv", rows, encoding="cp1252")
    run(dd)
    got = query(
        dd,
        "SELECT indicator_id, unit_id, period, period_type, value, comment FROM manual_values "
        "ORDER BY indicator_id, unit_id NULLS FIRST",
    )
    assert got == [
        ("grunnskolepoeng", None, dt.date(2024, 1, 1), "year", 40.9, "Hele kommunen, særskilt tilrettelagt"),
        ("grunnskolepoeng", "E31", dt.date(2024, 1, 1), "year", 41.35, "Fra Skoleporten"),
        ("saksbehandlingstid_byggesak", None, dt.date(2025, 5, 1), "tertial", 1023.5, "Også «gamle» saker"),
    ]


def test_utf8_bom_comma_csv(dd):
    path = dd / "inbox" / "tall.csv"
    path.write_bytes('\ufeffindikator_id,periode,verdi\r\ngrunnskolepoeng,2023,"40,2"\r\n'.encode())
    run(dd)
    assert query(dd, "SELECT value FROM manual_values") == [(40.2,)]


def test_text_that_looks_like_markup_or_a_formula_stays_literal_text(dd):
    evil = ['=HYPERLINK("http://x","klikk")', "<script>alert(1)</script>", "n/a", "NA"]
    write_xlsx(
        dd / "inbox" / "v.xlsx",
        {
            "Ark1": [VALUES_HEADER]
            + [["grunnskolepoeng", "E31", str(2020 + i), 40, None, text] for i, text in enumerate(evil)]
        },
        text_cells=True,
    )
    run(dd)
    assert [c for (c,) in query(dd, "SELECT comment FROM manual_values ORDER BY period")] == evil


def test_files_are_archived_and_logged(dd):
    write_xlsx(dd / "inbox" / "v.xlsx", {"Ark1": [VALUES_HEADER, ["grunnskolepoeng", "E31", 2025, 40, None, ""]]})
    summary = run(dd)
    assert list((dd / "inbox").iterdir()) == []
    [result] = summary.results
    assert result.stored_as.parent == dd / "archive" and result.stored_as.name.endswith("_v.xlsx")
    log = query(dd, "SELECT file_name, kind, rows, status, origin FROM load_log ORDER BY loaded_at")
    assert log[-1] == ("v.xlsx", "indikatorverdier", 1, "loaded", "innboks")
    assert ("balansehandbok.csv", "indikatorer", catalogue_size(), "loaded", "katalog") in log


def test_same_content_twice_changes_nothing(dd):
    f = write_xlsx(dd / "tmp" / "v.xlsx", {"Ark1": [VALUES_HEADER, ["grunnskolepoeng", "E31", 2025, 40, None, ""]]})
    (dd / "inbox" / "v.xlsx").write_bytes(f.read_bytes())
    first = run(dd)
    before, version = snapshot(dd), first.version
    (dd / "inbox" / "v (kopi).xlsx").write_bytes(f.read_bytes())
    second = run(dd)
    assert [r.status for r in second.results] == ["unchanged"]
    assert second.version is None, "no new warehouse for a file already loaded"
    assert snapshot(dd) == before
    assert query(dd, "SELECT value FROM meta WHERE key = 'version'") == [(str(version),)]
    assert list((dd / "inbox").iterdir()) == [], "the duplicate is archived, not left behind"
    assert run(dd).results == []


def test_newer_file_replaces_exactly_its_scope(dd):
    write_xlsx(
        dd / "inbox" / "a.xlsx",
        {"Ark1": [VALUES_HEADER] + [["sykefravaer", "E21", f"2025-0{m}", 6 + m, None, "a"] for m in (1, 2, 3)]},
    )
    run(dd)
    write_xlsx(dd / "inbox" / "b.xlsx", {"Ark1": [VALUES_HEADER, ["sykefravaer", "E21", "02.2025", 5.5, None, "b"]]})
    run(dd)
    got = query(dd, "SELECT month(period), value, comment FROM manual_values ORDER BY period")
    assert got == [(1, 7.0, "a"), (2, 5.5, "b"), (3, 9.0, "a")]


def test_newer_units_file_updates_its_units_and_keeps_the_others(dd):
    write_xlsx(
        dd / "inbox" / "e.xlsx",
        {"Enheter": [["enhet_id", "enhet", "tjenesteområde"], ["E21", "Heim barnehage", "oppvekst"]]},
    )
    run(dd)
    assert query(dd, "SELECT unit_id, name FROM units ORDER BY unit_id") == [
        ("E21", "Heim barnehage"),
        ("E31", "Kyrksæterøra skole"),
        ("E41", "Hjemmetjenesten"),
    ]


def test_units_and_their_figures_load_together_in_one_batch(data_dir):
    write_xlsx(
        data_dir / "inbox" / "a_verdier.xlsx", {"Ark1": [VALUES_HEADER, ["grunnskolepoeng", "E31", 2025, 40, None, ""]]}
    )
    units_file(data_dir / "inbox", "z_enheter.xlsx")
    run(data_dir)
    assert query(data_dir, "SELECT unit_id FROM manual_values") == [("E31",)]


def test_unit_given_by_name_is_mapped_to_its_id(dd):
    write_xlsx(
        dd / "inbox" / "v.xlsx",
        {"Ark1": [["indikator_id", "enhet", "periode", "verdi"], ["grunnskolepoeng", "kyrksæterøra SKOLE", 2025, 40]]},
    )
    run(dd)
    assert query(dd, "SELECT unit_id FROM manual_values") == [("E31",)]


def test_unit_results_with_too_few_answers_never_leave_the_etl(dd):
    write_xlsx(
        dd / "inbox" / "v.xlsx",
        {
            "Ark1": [
                VALUES_HEADER,
                ["trivsel_skole", "E31", 2025, 4.1, 2, ""],  # 2 answers: below min_n 3
                ["trivsel_skole", "E21", 2025, 4.4, 3, ""],
                ["trivsel_skole", "", 2025, 4.3, 5, ""],
            ]
        },
    )  # the kommune row is kept
    [result] = run(dd).results
    assert any("rad 2 holdt tilbake (personvern)" in n and "færre svar enn minstegrensen 3" in n for n in result.notes)
    # the kommune's 5 answers less E21's 3 would give E31's 2: E21 is held back with it
    assert any("rad 3 holdt også tilbake (personvern)" in n and "enhet E31" in n for n in result.notes)
    assert query(dd, "SELECT unit_id, value FROM manual_values ORDER BY unit_id NULLS FIRST") == [(None, 4.3)]
    for relation in ("indicator_values", "scorecard"):
        assert query(dd, f"SELECT count(*) FROM {relation} WHERE scope_code IN ('E31', 'E21')") == [(0,)]
    assert "holdt tilbake" in query(dd, "SELECT message FROM load_log WHERE file_name = 'v.xlsx'")[0][0]


def test_unit_survey_figure_without_n_is_refused(dd):
    write_xlsx(dd / "inbox" / "v.xlsx", {"Ark1": [VALUES_HEADER, ["trivsel_skole", "E31", 2025, 4.1, None, ""]]})
    summary = load(load_settings(dd))
    assert "mangler antall svar" in summary.rejected[0].message


def test_named_file_outside_the_inbox_is_copied_not_moved(dd, tmp_path):
    f = write_xlsx(
        tmp_path / "ute" / "v.xlsx", {"Ark1": [VALUES_HEADER, ["grunnskolepoeng", "E31", 2025, 40, None, ""]]}
    )
    [result] = run(dd, paths=[f]).results
    assert f.exists() and result.stored_as.exists()


def test_edited_catalogue_is_picked_up(dd):
    catalogue = dd / "balansehandbok.csv"
    text = catalogue.read_text(encoding="utf-8-sig")
    catalogue.write_text(text.replace("Sykefravær totalt;", "Sykefravær i alt;"), encoding="utf-8-sig")
    run(dd)
    assert query(dd, "SELECT name FROM indicators WHERE indicator_id = 'sykefravaer'") == [("Sykefravær i alt",)]


def test_office_lock_files_and_partial_downloads_are_left_alone(dd):
    (dd / "inbox" / "~$v.xlsx").write_bytes(b"lock")
    (dd / "inbox" / "v.xlsx.crdownload").write_bytes(b"half")
    assert load(load_settings(dd)).results == []
    assert len(list((dd / "inbox").iterdir())) == 2


def _notes(summary, name: str) -> str:
    [result] = [r for r in summary.results if r.name == name]
    return "\n".join(result.notes)


def test_accounting_lines_split_by_a_column_not_read_are_added_together(dd):
    rows = [
        ["Periode", "Ansvar", "Art", "Funksjon", "Aktivitet", "Regnskap", "Budsjett"],
        ["2025-10", "4100", "10100", "254", "A1", "5 000", "5 000"],
        ["2025-10", "4100", "10100", "254", "A2", "5 000", "5 000"],  # the same line but for Aktivitet
        ["2025-10", "4100", "10200", "254", "A1", "3 000", "1 000"],
        ["2025-10", "4100", "10200", "254", "A2", "2 000", "1 000"],  # different amounts: never refused
        ["2025-10", "4100", "10300", "254", "A1", "700", "800"],
    ]
    write_csv(dd / "inbox" / "regnskap.csv", rows)
    summary = run(dd)
    assert summary.results[0].rows == 3
    assert query(dd, "SELECT art, actual, budget FROM accounting ORDER BY art") == [
        ("10100", 10_000.0, 10_000.0),
        ("10200", 5_000.0, 2_000.0),
        ("10300", 700.0, 800.0),
    ]
    notes = _notes(summary, "regnskap.csv")
    assert "4 linjer med samme periode, ansvar, art, funksjon og prosjekt er lagt sammen til 2" in notes
    assert "(regnskap og budsjett er summert)" in notes
    assert "for eksempel radene 2 og 3; 4 og 5" in notes
    assert "ignorerte kolonner uten kjent navn: Aktivitet" in notes


def test_sick_leave_and_staff_lines_of_one_unit_are_added_together(dd):
    sick = [
        [
            "periode",
            "ansvar",
            "Stillingsgruppe",
            "mulige_dagsverk",
            "tapte_dagsverk_egenmeldt",
            "tapte_dagsverk_legemeldt",
        ],
        ["2025-03", "4100", "Sykepleier", "600", "10", "20"],
        ["2025-03", "4100", "Helsefagarbeider", "400", "5", "15,5"],
        ["2025-03", "2100", "Barnehagelærer", "100", "1", "2"],
        ["2025-03", "2100", "Barnehagelærer", "100", "1", "2"],  # the same in every column of the file
    ]
    staff = [
        ["periode", "enhet_id", "Stillingsgruppe", "ansatte", "årsverk", "kvinner", "menn", "deltid"],
        ["2025", "E41", "Sykepleier", "20", "15,5", "18", "2", "8"],
        ["2025", "E41", "Helsefagarbeider", "30", "20", "27", "3", "20"],
    ]
    write_csv(dd / "inbox" / "sykefravær.csv", sick)
    write_csv(dd / "inbox" / "personal.csv", staff)
    summary = run(dd)
    assert query(dd, "SELECT unit_id, possible_days, lost_days_self, lost_days_doctor FROM sick_leave ORDER BY 1") == [
        ("E21", 200.0, 2.0, 4.0),
        ("E41", 1000.0, 15.0, 35.5),
    ]
    assert query(dd, "SELECT unit_id, employees, fte, women, men, part_time FROM staff") == [
        ("E41", 50, 35.5, 45, 5, 28)
    ]
    notes = _notes(summary, "sykefravær.csv")
    assert "4 linjer med samme periode, enhet_id og ansvar er lagt sammen til 2" in notes
    assert "1 av linjene er like i alle kolonnene i fila, også dem som ikke leses (for eksempel rad 5 = rad 4)" in notes
    assert "2 linjer med samme periode, enhet_id og ansvar er lagt sammen til 1" in _notes(summary, "personal.csv")


def test_a_repeated_row_is_read_once_and_the_report_says_so(dd):
    rows = [
        ["indikator_id", "enhet_id", "periode", "verdi", "Kilde"],
        ["grunnskolepoeng", "E31", "2025", 40, "Fra Skoleporten"],
        ["grunnskolepoeng", "E31", "2025", 40, "Fra Skoleporten"],  # an exact repeat
        ["grunnskolepoeng", "E31", "2025", 40, "Rettet tall?"],  # the same but in a column the reader does not know
    ]
    write_xlsx(dd / "inbox" / "v.xlsx", {"Ark1": rows})
    summary = run(dd)
    assert query(dd, "SELECT unit_id, value FROM manual_values") == [("E31", 40.0)]
    notes = _notes(summary, "v.xlsx")
    assert "1 rad er nøyaktig lik en rad over og er lest én gang (for eksempel rad 3 = rad 2)" in notes
    assert "1 rad er lik en rad over i alle kolonnene som leses, men ikke i kolonner som ikke leses" in notes
    assert "rad 4 = rad 2, men ulik i «Kilde»" in notes


DECISIONS_HEADER = ["saksnr", "utvalg", "møtedato", "tittel", "status", "kommentar"]
HYPERLINK = '=HYPERLINK("http://x","klikk")'


def test_formulas_in_text_columns_are_stored_as_their_text(dd):
    rows = [
        DECISIONS_HEADER,
        ["25/1", "Kommunestyret", "13.03.2025", HYPERLINK, "pågår", "=1+1"],  # openpyxl saves no values
        ["25/2", "Kommunestyret", "13.03.2025", "Vanlig tittel", "pågår", None],
    ]
    write_xlsx(dd / "inbox" / "vedtak.xlsx", {"Vedtak": rows})
    summary = run(dd)
    assert query(dd, "SELECT case_no, title, comment FROM decisions ORDER BY case_no") == [
        ("25/1", HYPERLINK, "=1+1"),
        ("25/2", "Vanlig tittel", None),
    ]
    notes = _notes(summary, "vedtak.xlsx")
    assert "kolonnen «tittel» har formler (rad 2): formelteksten er lagret som tekst" in notes
    assert "kolonnen «kommentar» har formler (rad 2)" in notes


def test_a_formula_with_the_value_excel_saved_is_text_in_a_text_column_and_the_value_in_a_number_column(dd):
    write_xlsx(
        dd / "inbox" / "vedtak.xlsx",
        {"Vedtak": [DECISIONS_HEADER, ["25/1", "Kommunestyret", "=DATE(2025,3,13)", HYPERLINK, "pågår", None]]},
    )
    patch_xlsx(  # what Excel saves: the formula and the value it showed
        dd / "inbox" / "vedtak.xlsx",
        "xl/worksheets/sheet1.xml",
        ('<c r="C2"><f>DATE(2025,3,13)</f><v />', '<c r="C2"><f>DATE(2025,3,13)</f><v>45729</v>'),
        (
            '<c r="D2"><f>HYPERLINK("http://x","klikk")</f><v />',
            '<c r="D2" t="str"><f>HYPERLINK("http://x","klikk")</f><v>klikk</v>',
        ),
    )
    write_xlsx(dd / "inbox" / "v.xlsx", {"Ark1": [VALUES_HEADER, ["grunnskolepoeng", "E31", "2025", "=40+1"]]})
    patch_xlsx(dd / "inbox" / "v.xlsx", "xl/worksheets/sheet1.xml", ("<f>40+1</f><v />", "<f>40+1</f><v>41</v>"))
    summary = run(dd)
    assert query(dd, "SELECT meeting_date, title FROM decisions") == [(dt.date(2025, 3, 13), HYPERLINK)]
    assert query(dd, "SELECT value FROM manual_values") == [(41.0,)]
    assert "kolonnen «verdi» har formler (rad 2): verdien formelen viste da fila sist ble lagret i Excel er brukt" in (
        _notes(summary, "v.xlsx")
    )


def test_dots_in_a_number_column_are_read_as_the_column_uses_them(dd):
    rows = [
        ["periode", "ansvar", "art", "regnskap", "budsjett"],
        ["2025-01", "2100", "10100", "1.200", "1.200"],
        ["2025-01", "2100", "10200", "1 234,5", "4.5"],  # regnskap: a decimal comma; budsjett: a decimal point
    ]
    write_csv(dd / "inbox" / "regnskap.csv", rows)
    run(dd)
    assert query(dd, "SELECT art, actual, budget FROM accounting ORDER BY art") == [
        ("10100", 1200.0, 1.2),
        ("10200", 1234.5, 4.5),
    ]


def test_date_times_written_as_text_are_read_as_dates(dd):
    rows = [DECISIONS_HEADER] + [
        [f"25/{i}", "Formannskapet", when, "Sak", "pågår", None]
        for i, when in enumerate(["10.01.2025 14:30", "2025-01-10 14:30:00", "10.01.2025 kl. 14.30"])
    ]
    write_csv(dd / "inbox" / "vedtak.csv", rows)
    run(dd)
    assert query(dd, "SELECT DISTINCT meeting_date FROM decisions") == [(dt.date(2025, 1, 10),)]


def test_a_shared_formula_is_stored_as_each_cells_own_text(dd):
    rows = [DECISIONS_HEADER] + [[f"25/{i}", "Kommunestyret", "13.03.2025", f"=A{i}", "pågår", None] for i in (2, 3)]
    write_xlsx(dd / "inbox" / "vedtak.xlsx", {"Vedtak": rows})
    patch_xlsx(  # Excel writes a formula filled down once, and refers to it from the cells below
        dd / "inbox" / "vedtak.xlsx",
        "xl/worksheets/sheet1.xml",
        ('<c r="D2"><f>A2</f><v />', '<c r="D2" t="str"><f t="shared" ref="D2:D3" si="0">A2</f><v>25/2</v>'),
        ('<c r="D3"><f>A3</f><v />', '<c r="D3" t="str"><f t="shared" si="0"/><v>25/3</v>'),
    )
    run(dd)
    assert query(dd, "SELECT title FROM decisions ORDER BY case_no") == [("=A2",), ("=A3",)]

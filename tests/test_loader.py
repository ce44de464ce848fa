"""The drop folder end to end: messy real-looking files load with the exact figures, files are filed and
logged, reloading changes nothing, a newer file replaces exactly its scope, and anonymity holds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from etl.loader import load
from etl.settings import load_settings
from tests.helpers import catalogue_size, query, snapshot, units_file, write_csv, write_xlsx

VALUES_HEADER = ["indikator_id", "enhet_id", "periode", "verdi", "antall_svar", "kommentar"]


def run(data_dir: Path, **kw):
    summary = load(load_settings(data_dir), **kw)
    assert not summary.rejected, [r.message for r in summary.rejected]
    return summary


@pytest.fixture
def with_units(data_dir: Path) -> Path:
    units_file(data_dir / "inbox")
    run(data_dir)
    return data_dir


def test_messy_units_file_loads_with_codes_as_text(data_dir):
    write_xlsx(
        data_dir / "inbox" / "Organisasjon 2025.xlsx",
        {
            "Org": [
                ["Heim kommune"],
                ["Eksport fra HR-systemet 02.01.2025"],
                [],
                ["Enhetsnr", " Enhetsnavn ", "TJENESTEOMRÅDE", "Ansvar nr.", "Kommunalsjef", "Merknad"],
                ["E21", "Kyrksæterøra barnehage", "oppvekst", "2100,2110", "Kari", "fritekst"],
                ["E31", "Kyrksæterøra skole", "oppvekst", "0310; 0311", None, None],
                [None, None, None, None, None, None],
                [52, "Plan og byggesak", "teknisk", 5200, None, None],
            ]
        },
        text_cells=True,
    )
    summary = run(data_dir)
    [result] = [r for r in summary.results if r.name == "Organisasjon 2025.xlsx"]
    assert (result.status, result.kind, result.rows) == ("loaded", "enheter", 3)
    assert "ignorerte kolonner uten kjent navn: Merknad" in result.notes
    rows = query(data_dir, "SELECT unit_id, name, service_area, ansvar_codes, area_head FROM units ORDER BY name")
    assert rows == [
        ("E21", "Kyrksæterøra barnehage", "oppvekst", ["2100", "2110"], "Kari"),
        ("E31", "Kyrksæterøra skole", "oppvekst", ["0310", "0311"], None),
        ("52", "Plan og byggesak", "teknisk", ["5200"], None),
    ]


def test_latin1_semicolon_csv_with_norwegian_numbers(with_units):
    rows = [
        ["Manuelle tall – Kvalitetsavdelingen"],
        ["Indikator", "Enhetskode", "Periode", "Verdi", "Antall", "Merknad"],
        ["grunnskolepoeng", "E31", "2024", "41,35", "", "Fra Skoleporten"],
        ["grunnskolepoeng", "", "2024", "40,9", "", "Hele kommunen, særskilt tilrettelagt"],
        ["saksbehandlingstid_byggesak", "", "2. tertial 2025", "1 023,5", "", "Også «gamle» saker"],
    ]
    write_csv(with_units / "inbox" / "tall.csv", rows, encoding="cp1252")
    run(with_units)
    got = query(
        with_units,
        "SELECT indicator_id, unit_id, period, period_type, value, comment FROM manual_values "
        "ORDER BY indicator_id, unit_id NULLS FIRST",
    )
    assert got == [
        ("grunnskolepoeng", None, dt.date(2024, 1, 1), "year", 40.9, "Hele kommunen, særskilt tilrettelagt"),
        ("grunnskolepoeng", "E31", dt.date(2024, 1, 1), "year", 41.35, "Fra Skoleporten"),
        ("saksbehandlingstid_byggesak", None, dt.date(2025, 5, 1), "tertial", 1023.5, "Også «gamle» saker"),
    ]


def test_utf8_bom_comma_csv(with_units):
    path = with_units / "inbox" / "tall.csv"
    path.write_bytes('\ufeffindikator_id,periode,verdi\r\ngrunnskolepoeng,2023,"40,2"\r\n'.encode())
    run(with_units)
    assert query(with_units, "SELECT value FROM manual_values") == [(40.2,)]


def test_text_that_looks_like_markup_or_a_formula_stays_literal_text(with_units):
    evil = ['=HYPERLINK("http://x","klikk")', "<script>alert(1)</script>", "n/a", "NA"]
    write_xlsx(
        with_units / "inbox" / "v.xlsx",
        {
            "Ark1": [VALUES_HEADER]
            + [["grunnskolepoeng", "E31", str(2020 + i), 40, None, text] for i, text in enumerate(evil)]
        },
        text_cells=True,
    )
    run(with_units)
    assert [c for (c,) in query(with_units, "SELECT comment FROM manual_values ORDER BY period")] == evil


def test_files_are_archived_and_logged(with_units):
    write_xlsx(
        with_units / "inbox" / "v.xlsx", {"Ark1": [VALUES_HEADER, ["grunnskolepoeng", "E31", 2025, 40, None, ""]]}
    )
    summary = run(with_units)
    assert list((with_units / "inbox").iterdir()) == []
    [result] = summary.results
    assert result.stored_as.parent == with_units / "archive" and result.stored_as.name.endswith("_v.xlsx")
    log = query(with_units, "SELECT file_name, kind, rows, status, origin FROM load_log ORDER BY loaded_at")
    assert log[-1] == ("v.xlsx", "indikatorverdier", 1, "loaded", "innboks")
    assert ("balansehandbok.csv", "indikatorer", catalogue_size(), "loaded", "katalog") in log


def test_same_content_twice_changes_nothing(with_units):
    f = write_xlsx(
        with_units / "tmp" / "v.xlsx", {"Ark1": [VALUES_HEADER, ["grunnskolepoeng", "E31", 2025, 40, None, ""]]}
    )
    (with_units / "inbox" / "v.xlsx").write_bytes(f.read_bytes())
    first = run(with_units)
    before, version = snapshot(with_units), first.version
    (with_units / "inbox" / "v (kopi).xlsx").write_bytes(f.read_bytes())
    second = run(with_units)
    assert [r.status for r in second.results] == ["unchanged"]
    assert second.version is None, "no new warehouse for a file already loaded"
    assert snapshot(with_units) == before
    assert query(with_units, "SELECT value FROM meta WHERE key = 'version'") == [(str(version),)]
    assert list((with_units / "inbox").iterdir()) == [], "the duplicate is archived, not left behind"
    assert run(with_units).results == []


def test_newer_file_replaces_exactly_its_scope(with_units):
    write_xlsx(
        with_units / "inbox" / "a.xlsx",
        {"Ark1": [VALUES_HEADER] + [["sykefravaer", "E21", f"2025-0{m}", 6 + m, None, "a"] for m in (1, 2, 3)]},
    )
    run(with_units)
    write_xlsx(
        with_units / "inbox" / "b.xlsx", {"Ark1": [VALUES_HEADER, ["sykefravaer", "E21", "02.2025", 5.5, None, "b"]]}
    )
    run(with_units)
    got = query(with_units, "SELECT month(period), value, comment FROM manual_values ORDER BY period")
    assert got == [(1, 7.0, "a"), (2, 5.5, "b"), (3, 9.0, "a")]


def test_newer_units_file_updates_its_units_and_keeps_the_others(with_units):
    write_xlsx(
        with_units / "inbox" / "e.xlsx",
        {"Enheter": [["enhet_id", "enhet", "tjenesteområde"], ["E21", "Heim barnehage", "oppvekst"]]},
    )
    run(with_units)
    assert query(with_units, "SELECT unit_id, name FROM units ORDER BY unit_id") == [
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


def test_unit_given_by_name_is_mapped_to_its_id(with_units):
    write_xlsx(
        with_units / "inbox" / "v.xlsx",
        {"Ark1": [["indikator_id", "enhet", "periode", "verdi"], ["grunnskolepoeng", "kyrksæterøra SKOLE", 2025, 40]]},
    )
    run(with_units)
    assert query(with_units, "SELECT unit_id FROM manual_values") == [("E31",)]


def test_unit_results_with_too_few_answers_never_leave_the_etl(with_units):
    write_xlsx(
        with_units / "inbox" / "v.xlsx",
        {
            "Ark1": [
                VALUES_HEADER,
                ["trivsel_skole", "E31", 2025, 4.1, 2, ""],  # 2 answers: below min_n 3
                ["trivsel_skole", "E21", 2025, 4.4, 3, ""],
                ["trivsel_skole", "", 2025, 4.3, 5, ""],
            ]
        },
    )  # the kommune row is kept
    [result] = run(with_units).results
    assert any("rad 2 holdt tilbake (personvern)" in n and "under minstegrensen 3" in n for n in result.notes)
    assert query(with_units, "SELECT unit_id, value FROM manual_values ORDER BY unit_id NULLS FIRST") == [
        (None, 4.3),
        ("E21", 4.4),
    ]
    for relation in ("indicator_values", "scorecard"):
        assert query(with_units, f"SELECT count(*) FROM {relation} WHERE scope_code = 'E31'") == [(0,)]
    assert "holdt tilbake" in query(with_units, "SELECT message FROM load_log WHERE file_name = 'v.xlsx'")[0][0]


def test_unit_survey_figure_without_n_is_refused(with_units):
    write_xlsx(
        with_units / "inbox" / "v.xlsx", {"Ark1": [VALUES_HEADER, ["trivsel_skole", "E31", 2025, 4.1, None, ""]]}
    )
    summary = load(load_settings(with_units))
    assert "mangler antall svar" in summary.rejected[0].message


def test_named_file_outside_the_inbox_is_copied_not_moved(with_units, tmp_path):
    f = write_xlsx(
        tmp_path / "ute" / "v.xlsx", {"Ark1": [VALUES_HEADER, ["grunnskolepoeng", "E31", 2025, 40, None, ""]]}
    )
    [result] = run(with_units, paths=[f]).results
    assert f.exists() and result.stored_as.exists()


def test_edited_catalogue_is_picked_up(with_units):
    catalogue = with_units / "balansehandbok.csv"
    text = catalogue.read_text(encoding="utf-8-sig")
    catalogue.write_text(text.replace("Sykefravær totalt;", "Sykefravær i alt;"), encoding="utf-8-sig")
    run(with_units)
    assert query(with_units, "SELECT name FROM indicators WHERE indicator_id = 'sykefravaer'") == [
        ("Sykefravær i alt",)
    ]


def test_office_lock_files_and_partial_downloads_are_left_alone(with_units):
    (with_units / "inbox" / "~$v.xlsx").write_bytes(b"lock")
    (with_units / "inbox" / "v.xlsx.crdownload").write_bytes(b"half")
    assert load(load_settings(with_units)).results == []
    assert len(list((with_units / "inbox").iterdir())) == 2

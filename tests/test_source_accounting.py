"""Accounting files (regnskap): messy exports load with the exact sums, ansvar maps to units, and the
budget indicators are computed year to date from sums, never from the units' percentages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.helpers import load_ok as run
from tests.helpers import query, refuse, rounded, snapshot, write_csv, write_xlsx

RELATIONS = ("units", "accounting", "indicator_values", "scorecard")
HEADER = ["periode", "ansvar", "art", "funksjon", "regnskap", "budsjett", "prognose"]


def value(data_dir: Path, indicator: str, scope_code: str, period: str) -> tuple:
    return query(
        data_dir,
        "SELECT value, numerator, denominator FROM indicator_values "
        "WHERE indicator_id = ? AND scope_code = ? AND strftime(period, '%Y-%m') = ?",
        [indicator, scope_code, period],
    )[0]


def test_messy_latin1_export_loads_with_the_exact_sums(dd):
    rows = [
        ["Heim kommune – regnskapsrapport per ansvar"],
        ["Utskrevet 05.03.2025 av økonomiavdelingen"],
        [],
        ["Periode", "Ansvar nr.", "Ansvarsnavn", "Art", "Funksjon", "Faktisk", "Rev. budsjett", "Oppr. budsjett"],
        ["202501", "2100", "Kyrksæterøra barnehage", "10100", "201", "1 200 000,00", "1 000 000,00", "980 000,00"],
        ["202501", "0310", "Kyrksæterøra skole", "10100", "202", "500 000,50", "600 000,00", ""],
        ["202501", "0311", "SFO – foreldrebetaling", "16010", "215", "(50 000,00)", "-40 000", ""],
        ["2025-02", "2100", "Kyrksæterøra barnehage", "10100", "201", "900 000", "1 000 000", ""],
        ["2025-02", "0310", "Kyrksæterøra skole", "10100", "202", "650 000", "600 000", ""],
        ["2025-02", "0311", "SFO – foreldrebetaling", "16010", "215", "-45 000", "-40 000", ""],
    ]
    write_csv(dd / "inbox" / "regnskap.csv", rows, encoding="cp1252")
    [result] = run(dd).results
    assert (result.kind, result.rows) == ("regnskap", 6)
    got = query(
        dd,
        "SELECT strftime(period, '%Y-%m'), ansvar, unit_id, actual, budget, original_budget "
        "FROM accounting ORDER BY period, ansvar",
    )
    assert got == [
        ("2025-01", "0310", "E31", 500_000.5, 600_000.0, None),
        ("2025-01", "0311", "E31", -50_000.0, -40_000.0, None),
        ("2025-01", "2100", "E21", 1_200_000.0, 1_000_000.0, 980_000.0),
        ("2025-02", "0310", "E31", 650_000.0, 600_000.0, None),
        ("2025-02", "0311", "E31", -45_000.0, -40_000.0, None),
        ("2025-02", "2100", "E21", 900_000.0, 1_000_000.0, None),
    ]
    assert query(dd, "SELECT sum(actual), sum(budget) FROM accounting") == [(3_155_000.5, 3_120_000.0)]
    # year to date, per unit and for the kommune from the sums of the lines
    assert value(dd, "budsjettavvik_kr", "E21", "2025-02") == (100_000.0, None, None)
    assert value(dd, "budsjettavvik", "E21", "2025-02") == pytest.approx((5.0, 100_000.0, 2_000_000.0))
    e31 = value(dd, "budsjettavvik", "E31", "2025-02")
    assert e31 == pytest.approx(((1_055_000.5 - 1_120_000) / 1_120_000 * 100, -64_999.5, 1_120_000.0))
    kommune = value(dd, "budsjettavvik", "5055", "2025-01")
    assert kommune == pytest.approx((90_000.5 / 1_560_000 * 100, 90_000.5, 1_560_000.0))
    # E21 over budget, E31 within: half the units with accounts are within budget
    assert value(dd, "enheter_i_balanse", "5055", "2025-02") == (50.0, 1.0, 2.0)
    assert query(dd, "SELECT count(*) FROM indicator_values WHERE indicator_id = 'enheter_i_balanse'") == [(2,)]


def test_xlsx_with_other_header_variants(dd):
    write_xlsx(
        dd / "inbox" / "Regnskap 2024.xlsx",
        {
            "Rapport": [
                ["Heim kommune"],
                ["Regnskap hittil i år"],
                ["Ansvarsnr", "Art", "Periode", "Regnskap hittil", "Revidert budsjett", "Art navn"],
                [4100, 10100, "08.2024", 250_000, 240_000.0, "Fastlønn"],
                ["4100", "10300", "august 2024", "12 345,67", "10 000", "Vikarer"],
            ]
        },
    )
    run(dd)
    assert query(dd, "SELECT ansvar, art, funksjon, unit_id, actual, art_name FROM accounting ORDER BY art") == [
        ("4100", "10100", None, "E41", 250_000.0, "Fastlønn"),
        ("4100", "10300", None, "E41", 12_345.67, "Vikarer"),
    ]


def test_lines_for_several_projects_are_summed(dd):
    write_xlsx(
        dd / "inbox" / "r.xlsx",
        {
            "Ark1": [
                ["periode", "ansvar", "art", "funksjon", "prosjekt", "regnskap", "budsjett"],
                ["2025-01", "2100", "10100", "201", "P1", 100, 90],
                ["2025-01", "2100", "10100", "201", "P2", 50, 60],
            ]
        },
    )
    run(dd)
    assert query(dd, "SELECT actual, budget FROM accounting") == [(150.0, 150.0)]


def test_year_end_forecast_against_the_years_budget(dd):
    rows = [HEADER]
    for m in range(1, 13):
        forecast = {4: 1_300, 8: 1_150}.get(m)
        rows.append([f"2025-{m:02d}", "2100", "10100", "201", 100, 100, forecast])
        rows.append([f"2025-{m:02d}", "4100", "10100", "254", 200, 200, None])  # no forecast: on budget
    write_xlsx(dd / "inbox" / "r.xlsx", {"Regnskap": rows})
    run(dd)
    got = query(
        dd,
        "SELECT scope_code, strftime(period, '%Y-%m'), period_type, value, numerator, denominator "
        "FROM indicator_values WHERE indicator_id = 'prognoseavvik' ORDER BY scope_code, period",
    )
    assert rounded(got) == rounded(
        [
            ("5055", "2025-01", "tertial", 100 / 3600 * 100, 100.0, 3600.0),
            ("5055", "2025-05", "tertial", -50 / 3600 * 100, -50.0, 3600.0),
            ("E21", "2025-01", "tertial", 100 / 1200 * 100, 100.0, 1200.0),
            ("E21", "2025-05", "tertial", -50 / 1200 * 100, -50.0, 1200.0),
        ]
    )


def test_no_forecast_deviation_without_the_whole_years_budget(dd):
    """The tertial report's case with four months and no annual budget: the year's budget is unknown and is
    never extrapolated (4 × 100 is not a year of 1 200); the load report says what is needed."""
    rows = [HEADER] + [
        [f"2026-{m:02d}", "2100", "10100", "201", 100, 100, 1_440 if m == 4 else None] for m in (1, 2, 3, 4)
    ]
    write_xlsx(dd / "inbox" / "r.xlsx", {"Regnskap": rows})
    [result] = run(dd).results
    assert any(
        "fila har prognose for 04.2026, men ikke årsbudsjett" in n
        and "kolonnen «årsbudsjett»" in n
        and "budsjettlinjene for alle tolv månedene i 2026" in n
        for n in result.notes
    ), result.notes
    assert query(dd, "SELECT count(*) FROM indicator_values WHERE indicator_id = 'prognoseavvik'") == [(0,)]
    assert query(dd, "SELECT count(*) FROM indicator_values WHERE indicator_id = 'budsjettavvik'") == [(8,)]
    assert query(
        dd,
        "SELECT status, status_reason FROM scorecard_latest "
        "WHERE indicator_id = 'prognoseavvik' AND scope_code = 'E21'",
    ) == [("grey", "ingen data")]


def test_forecast_during_the_year_from_the_budget_lines_of_the_months_to_come(dd):
    """An April export with the periodised budget for the whole year and nothing booked yet in May–December:
    the forecast is measured against the twelve months' budget, and the months to come are no months of
    100 % underspending."""
    rows = [HEADER]
    for m in range(1, 13):
        booked = 100 if m <= 4 else 0
        rows.append([f"2026-{m:02d}", "2100", "10100", "201", booked, 100, 1_440 if m == 4 else None])
        rows.append([f"2026-{m:02d}", "4100", "10100", "254", 2 * booked, 200, None])  # no forecast: on budget
    write_xlsx(dd / "inbox" / "r.xlsx", {"Regnskap": rows})
    [result] = run(dd).results
    assert not [n for n in result.notes if "prognose" in n]
    assert rounded(
        query(
            dd,
            "SELECT scope_code, strftime(period, '%Y-%m'), value, numerator, denominator FROM indicator_values "
            "WHERE indicator_id = 'prognoseavvik' ORDER BY 1",
        )
    ) == rounded([("5055", "2026-01", 240 / 3600 * 100, 240.0, 3600.0), ("E21", "2026-01", 20.0, 240.0, 1200.0)])
    months = query(
        dd,
        "SELECT DISTINCT strftime(period, '%m') FROM indicator_values "
        "WHERE indicator_id IN ('budsjettavvik', 'budsjettavvik_kr', 'enheter_i_balanse') ORDER BY 1",
    )
    assert months == [("01",), ("02",), ("03",), ("04",)]
    assert query(
        dd, "SELECT strftime(period, '%Y-%m'), value FROM scorecard_latest "
        "WHERE indicator_id = 'budsjettavvik' AND scope_code = 'E21'"
    ) == [("2026-04", 0.0)]  # fmt: skip


def test_forecast_during_the_year_against_the_stated_annual_budget(dd):
    """A tertial export with `Årsbudsjett` beside the month's lines: each forecast is measured against the
    year's budget as it stood when the forecast was made (revised from 1 200 to 1 250 in May)."""
    header = ["Periode", "Ansvar", "Art", "Funksjon", "Regnskap", "Budsjett", "Årsbudsjett", "Prognose"]
    rows = [header]
    for m in range(1, 9):
        annual = 1_200 if m <= 4 else 1_250
        forecast = {4: 1_440, 8: 1_300}.get(m)
        rows.append([f"2026-{m:02d}", "2100", "10100", "201", 110, 100, annual, forecast])
        rows.append([f"2026-{m:02d}", "4100", "10100", "254", 200, 200, 2_400, None])
    write_xlsx(dd / "inbox" / "r.xlsx", {"Regnskap": rows})
    [result] = run(dd).results
    assert not [n for n in result.notes if "prognose" in n or "ignorerte" in n], result.notes
    assert query(dd, "SELECT DISTINCT annual_budget FROM accounting WHERE ansvar = '2100' ORDER BY 1") == [
        (1_200.0,),
        (1_250.0,),
    ]
    assert rounded(query(
        dd,
        "SELECT scope_code, strftime(period, '%Y-%m'), value, numerator, denominator FROM indicator_values "
        "WHERE indicator_id = 'prognoseavvik' ORDER BY 1, 2",
    )) == rounded([
        ("5055", "2026-01", 240 / 3600 * 100, 240.0, 3600.0),
        ("5055", "2026-05", 50 / 3650 * 100, 50.0, 3650.0),
        ("E21", "2026-01", 20.0, 240.0, 1200.0),
        ("E21", "2026-05", 4.0, 50.0, 1250.0),
    ])  # fmt: skip


def test_a_line_without_the_years_budget_leaves_its_scope_without_forecast(dd):
    """One line states its annual budget, the other does not: the kommune's year budget is not known, so it
    gets no forecast deviation, while the unit whose lines are all known gets its own."""
    header = ["periode", "ansvar", "art", "funksjon", "regnskap", "budsjett", "årsbudsjett", "prognose"]
    rows = [header]
    for m in range(1, 5):
        rows.append([f"2026-{m:02d}", "2100", "10100", "201", 100, 100, 1_200, 1_440 if m == 4 else None])
        rows.append([f"2026-{m:02d}", "4100", "10100", "254", 200, 200, None, None])
    write_xlsx(dd / "inbox" / "r.xlsx", {"Regnskap": rows})
    run(dd)
    assert query(dd, "SELECT scope_code, value FROM indicator_values WHERE indicator_id = 'prognoseavvik'") == [
        ("E21", 20.0)
    ]


def test_newer_file_replaces_exactly_its_months(dd):
    write_xlsx(
        dd / "inbox" / "a.xlsx",
        {
            "R": [
                HEADER,
                ["2025-01", "2100", "10100", "201", 100, 100, None],
                ["2025-02", "2100", "10100", "201", 200, 100, None],
            ]
        },
    )
    run(dd)
    write_xlsx(dd / "inbox" / "b.xlsx", {"R": [HEADER, ["2025-02", "2100", "10300", "201", 50, 40, None]]})
    run(dd)
    assert query(dd, "SELECT strftime(period, '%m'), art, actual FROM accounting ORDER BY period") == [
        ("01", "10100", 100.0),
        ("02", "10300", 50.0),
    ]
    assert value(dd, "budsjettavvik_kr", "E21", "2025-02") == (10.0, None, None)  # 150 − 140


def test_reloading_the_same_file_changes_nothing(dd):
    f = write_xlsx(dd / "tmp" / "r.xlsx", {"R": [HEADER, ["2025-01", "2100", "10100", "201", 100, 90, None]]})
    (dd / "inbox" / "r.xlsx").write_bytes(f.read_bytes())
    run(dd)
    before = snapshot(dd, RELATIONS)
    (dd / "inbox" / "r igjen.xlsx").write_bytes(f.read_bytes())
    summary = run(dd)
    assert [r.status for r in summary.results] == ["unchanged"] and summary.version is None
    assert snapshot(dd, RELATIONS) == before


def test_unknown_ansvar_refuses_the_file_and_lists_the_codes(dd):
    f = write_xlsx(
        dd / "inbox" / "r.xlsx",
        {
            "Regnskap": [
                HEADER,
                ["2025-01", "2100", "10100", "201", 100, 100, None],
                ["2025-01", "9990", "10100", "201", 100, 100, None],
                ["2025-02", "9990", "10100", "201", 100, 100, None],
                ["2025-01", "310", "10100", "202", 100, 100, None],  # the leading zero matters: 0310 is known
            ]
        },
    )
    refuse(
        dd,
        f,
        "2 ansvar finnes ikke i enhetsfila, så tallene kan ikke knyttes til en enhet: 310 (rad 5); 9990 (rad 3, 4)",
        "ark «Regnskap», rad 3, kolonne ansvar",
        "Legg ansvarsnumrene til riktig enhet i kolonnen «ansvar» i enhetsfila",
    )


def test_a_year_is_not_a_month(dd):
    f = write_csv(dd / "inbox" / "r.csv", [HEADER, ["2025", "2100", "10100", "201", "100", "100", ""]])
    refuse(dd, f, "rad 2, kolonne A (periode): «2025» gjelder et helt år; periode må være måned (2025-08)")


def test_amount_that_is_not_a_number(dd):
    f = write_csv(dd / "inbox" / "r.csv", [HEADER, ["2025-01", "2100", "10100", "201", "1.200,-", "100", ""]])
    refuse(dd, f, "rad 2, kolonne E (regnskap): «1.200,-» er ikke et tall")


def test_one_ansvar_on_two_units_is_refused(dd):
    f = write_xlsx(
        dd / "inbox" / "enheter.xlsx",
        {
            "Enheter": [
                ["enhet_id", "enhet", "tjenesteområde", "ansvar"],
                ["E22", "Vinjeøra barnehage", "oppvekst", "2200, 2100"],
            ]
        },
    )
    refuse(dd, f, "ansvar 2100 står både på enhet E22 og på enhet E21 (enhetene som alt er lastet)")


def test_an_ansvar_moved_between_units_in_one_file_follows_the_unit(dd):
    write_xlsx(dd / "inbox" / "r.xlsx", {"R": [HEADER, ["2025-01", "0311", "16010", "215", -50, -40, None]]})
    run(dd)
    assert query(dd, "SELECT unit_id FROM accounting") == [("E31",)]
    write_xlsx(
        dd / "inbox" / "enheter 2.xlsx",
        {
            "Enheter": [
                ["enhet_id", "enhet", "tjenesteområde", "ansvar"],
                ["E31", "Kyrksæterøra skole", "oppvekst", "0310"],
                ["E32", "SFO Kyrksæterøra", "oppvekst", "0311"],
            ]
        },
    )
    run(dd)
    assert query(dd, "SELECT unit_id FROM accounting") == [("E32",)]
    assert query(
        dd, "SELECT period FROM indicator_values WHERE scope_code = 'E32' AND indicator_id = 'budsjettavvik'"
    ) == [(dt.date(2025, 1, 1),)]

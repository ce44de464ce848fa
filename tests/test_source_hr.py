"""HR files: sick leave (days, never percentages) and staff (the arbeidsgiverrapport's figures) load with
the exact sums; percentages come from summed days and counts; impossible figures refuse the file."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import load_ok as run
from tests.helpers import query, refuse, rounded, snapshot, units_file, write_csv, write_xlsx

SICK_HEADER = ["periode", "enhet_id", "mulige_dagsverk", "tapte_dagsverk_egenmeldt", "tapte_dagsverk_legemeldt"]
STAFF_HEADER = ["periode", "enhet_id", "ansatte", "årsverk", "kvinner", "menn", "deltid", "ufrivillig_deltid",
                "midlertidige", "sluttet"]  # fmt: skip


def values(data_dir: Path, indicator: str, scope_code: str) -> list[tuple]:
    return rounded(
        query(
            data_dir,
            "SELECT strftime(period, '%Y-%m'), value, numerator, denominator FROM indicator_values "
            "WHERE indicator_id = ? AND scope_code = ? ORDER BY period",
            [indicator, scope_code],
        )
    )


def test_messy_sick_leave_export_by_ansvar_loads_with_the_exact_days(dd):
    write_xlsx(
        dd / "inbox" / "Sykefravær mars.xlsx",
        {
            "Fravær": [
                ["Sykefraværsstatistikk – Heim kommune"],
                ["Kilde: HR-systemet, uttrekk 10.04.2025"],
                [],
                ["Måned", "Ansvarsnr", "Avtalte dagsverk", "Egenmeldt", "Legemeldt"],
                ["mars 2025", "2100", "1 000,5", "20,5", "60"],
                ["03.2025", "0310", 800, 10, 30],
                ["2025-03", "0311", "200", "5", "15,25"],
            ]
        },
    )
    [result] = run(dd).results
    assert (result.kind, result.rows) == ("sykefravær", 3)
    assert query(dd, "SELECT unit_id, possible_days, lost_days_self, lost_days_doctor FROM sick_leave ORDER BY 1") == [
        ("E21", 1000.5, 20.5, 60.0),
        ("E31", 1000.0, 15.0, 45.25),  # ansvar 0310 and 0311 are both E31: their days are summed
    ]
    assert values(dd, "sykefravaer", "E31") == rounded([("2025-03", 60.25 / 1000 * 100, 60.25, 1000.0)])
    # the kommune is lost days over possible days of all units, not the mean of 8,06 % and 6,025 %
    assert values(dd, "sykefravaer", "5055") == rounded([("2025-03", 140.75 / 2000.5 * 100, 140.75, 2000.5)])
    assert values(dd, "sykefravaer_egenmeldt", "5055") == rounded([("2025-03", 35.5 / 2000.5 * 100, 35.5, 2000.5)])
    assert values(dd, "sykefravaer_legemeldt", "E21") == rounded([("2025-03", 60 / 1000.5 * 100, 60.0, 1000.5)])


def test_latin1_csv_by_unit_and_the_same_month_last_year(dd):
    rows = [["Sykefravær per enhet"], SICK_HEADER]
    rows += [["2024-01", "E21", "1000", "10", "90"], ["2024-12", "E21", "1000", "10", "40"]]
    rows += [["2025-01", "Kyrksæterøra barnehage", "1000", "10", "70"]]  # a unit given by name
    write_csv(dd / "inbox" / "sykefravær.csv", rows, encoding="cp1252")
    run(dd)
    got = query(
        dd,
        "SELECT value, previous_value, same_period_last_year FROM scorecard "
        "WHERE indicator_id = 'sykefravaer' AND scope_code = 'E21' AND period = DATE '2025-01-01'",
    )
    assert rounded(got) == [(8.0, 5.0, 10.0)]  # January is set against January, not December
    latest = query(
        dd,
        "SELECT value, same_period_last_year FROM scorecard_latest WHERE indicator_id = 'sykefravaer' "
        "AND scope_code = 'E21'",
    )
    assert rounded(latest) == [(8.0, 10.0)]


def test_quarterly_sick_leave(dd):
    write_xlsx(dd / "inbox" / "s.xlsx", {"Ark1": [SICK_HEADER, ["2025K1", "E41", 3000, 30, 150]]})
    run(dd)
    assert query(dd, "SELECT period_type, value FROM indicator_values WHERE indicator_id = 'sykefravaer'") == [
        ("quarter", 6.0),
        ("quarter", 6.0),
    ]


def test_a_whole_year_of_months_or_quarters_gets_the_years_figure_from_its_summed_days(dd):
    rows = [SICK_HEADER]
    rows += [[f"2024-{m:02d}", "E21", 100 + m, m, 2 * m] for m in range(1, 13)]  # twelve months: a year
    rows += [[f"2024-{m:02d}", "E31", 100, 5, 5] for m in range(1, 12)]  # eleven months: no year
    rows += [[f"2023K{q}", "E41", 300, q, 10] for q in range(1, 5)]  # four quarters: a year
    rows += [[f"2025-{m:02d}", "E41", 100, 1, 1] for m in range(1, 13)]  # and twelve months the year after
    rows += [[f"2025K{q}", "E41", 300, 3, 3] for q in range(1, 5)]  # and its quarters too: the months count
    rows += [[f"2022-{m:02d}", "E21", 100, 5, 5] for m in range(1, 13)]  # 2022: one unit by month (10 %),
    rows += [[f"2022K{q}", "E31", 300, 30, 30] for q in range(1, 5)]  # another by quarter (20 %)
    write_csv(dd / "inbox" / "sykefravær.csv", rows)
    run(dd)
    years = rounded(
        query(
            dd,
            "SELECT scope_code, year(period), value, numerator, denominator FROM indicator_values "
            "WHERE indicator_id = 'sykefravaer' AND period_type = 'year' AND scope = 'enhet' ORDER BY ALL",
        )
    )
    days = sum(range(1, 13))
    assert years == [
        ("E21", 2022, 10.0, 120, 1200),
        ("E21", 2024, round(3 * days / (1200 + days) * 100, 6), 3 * days, 1200 + days),  # never a mean of months
        ("E31", 2022, 20.0, 240, 1200),
        ("E41", 2023, round(50 / 1200 * 100, 6), 50, 1200),
        ("E41", 2025, 2.0, 24, 1200),
    ]
    kommune = rounded(
        query(
            dd,
            "SELECT year(period), value FROM indicator_values WHERE indicator_id = 'sykefravaer' "
            "AND scope = 'kommune' AND period_type = 'year' ORDER BY 1",
        )
    )
    # 2022 sums the unit by month and the unit by quarter; 2024 has none: E31 has only eleven months
    assert kommune == [(2022, 15.0), (2023, round(50 / 1200 * 100, 6)), (2025, 2.0)]


def test_lost_days_beyond_possible_days_refuse_the_file(dd):
    f = write_xlsx(
        dd / "inbox" / "s.xlsx",
        {"Fravær": [SICK_HEADER, ["2025-03", "E21", 100, 10, 20], ["2025-03", "E31", 100, "14,5", 90]]},
    )
    refuse(
        dd,
        f,
        "ark «Fravær», rad 3, kolonne E (tapte_dagsverk_legemeldt): tapte dagsverk (14,5 egenmeldt + 90 legemeldt) "
        "er flere enn de 100 mulige dagsverkene",
    )


def test_negative_days_refuse_the_file(dd):
    f = write_csv(dd / "inbox" / "s.csv", [SICK_HEADER, ["2025-03", "E21", "100", "-3", "20"]])
    refuse(dd, f, "rad 2, kolonne D (tapte_dagsverk_egenmeldt): «-3» er negativt", "minst 0")


def test_a_total_row_is_not_a_unit(dd):
    f = write_csv(
        dd / "inbox" / "s.csv",
        [SICK_HEADER, ["2025-03", "E21", "100", "3", "20"], ["2025-03", "Totalt", "100", "3", "20"]],
    )
    refuse(dd, f, "rad 3: raden sier ikke hvilken enhet tallene gjelder", "kommunetallet regnes ut fra enhetene")


def test_a_sick_leave_file_without_unit_or_ansvar_column(dd):
    f = write_csv(
        dd / "inbox" / "s.csv", [["periode", "mulige_dagsverk", "egenmeldt", "legemeldt"], ["2025-03", "1", "0", "0"]]
    )
    refuse(dd, f, "ser ut som «Sykefravær», men mangler en kolonne som sier hvilken enhet radene gjelder "
                  "(«enhet_id» eller «ansvar»)")  # fmt: skip


def test_unknown_unit_in_sick_leave(dd):
    f = write_csv(dd / "inbox" / "s.csv", [SICK_HEADER, ["2025-03", "E99", "100", "3", "20"]])
    refuse(dd, f, "ukjent enhet «E99» (rad 2)")


def test_staff_figures_and_their_shares(dd):
    write_xlsx(
        dd / "inbox" / "Personal 2024.xlsx",
        {
            "Personal": [
                ["Arbeidsgiverrapport – grunnlag"],
                [
                    "År",
                    "Enhetsnr",
                    "Antall ansatte",
                    "Årsverk",
                    "Antall kvinner",
                    "Antall menn",
                    "Deltidsansatte",
                    "Ufrivillig deltid",
                    "Midlertidig ansatte",
                    "Avganger",
                ],  # fmt: skip
                ["2024", "E21", 40, "33,5", 38, 2, 20, 4, 6, 5],
                ["2024", "E41", 100, "71,2", 90, 10, 70, 10, 15, 12],
            ]
        },
    )
    run(dd)
    assert query(dd, 'SELECT unit_id, employees, fte, women, men, part_time, "left" FROM staff ORDER BY 1') == [
        ("E21", 40, 33.5, 38, 2, 20, 5),
        ("E41", 100, 71.2, 90, 10, 70, 12),
    ]
    # 2023 is not loaded: the average employees are only the year-end stock, and the vintage says so
    assert values(dd, "turnover", "5055") == rounded([("2024-01", 17 / 140 * 100, 17.0, 140.0)])
    assert query(dd, "SELECT scope_code, vintage FROM indicator_values WHERE indicator_id = 'turnover' ORDER BY 1")[0][
        1
    ].endswith("; snitt ansatte er bare bestanden ved årets slutt for 2 av 2 enheter (2023 er ikke lastet)")
    assert values(dd, "andel_heltid", "E21") == rounded([("2024-01", 50.0, 20.0, 40.0)])
    assert values(dd, "andel_heltid", "5055") == rounded([("2024-01", 50 / 140 * 100, 50.0, 140.0)])
    assert values(dd, "ufrivillig_deltid", "5055") == rounded([("2024-01", 14 / 140 * 100, 14.0, 140.0)])
    assert values(dd, "andel_midlertidige", "E41") == rounded([("2024-01", 15.0, 15.0, 100.0)])
    assert values(dd, "andel_kvinner", "5055") == rounded([("2024-01", 128 / 140 * 100, 128.0, 140.0)])
    # kjønnsbalanse is measured for the kommune only (nivå = kommune in the catalogue)
    assert values(dd, "andel_kvinner", "E21") == []


def test_monthly_staff_figures_give_the_year(dd):
    rows = [STAFF_HEADER]
    for m, employees, left in ((1, 10, 1), (6, 12, 0), (12, 14, 2)):
        rows.append([f"2025-{m:02d}", "E52", employees, employees, None, None, 4, None, None, left])
    units_file(dd / "inbox", "enheter2.xlsx")
    write_xlsx(
        dd / "inbox" / "e.xlsx",
        {"Enheter": [["enhet_id", "enhet", "tjenesteområde"], ["E52", "Plan og byggesak", "teknisk"]]},
    )
    write_xlsx(dd / "inbox" / "p.xlsx", {"Personal": rows})
    run(dd)
    # turnover: 3 left / 12 average employees; the stock shares are those of December
    assert values(dd, "turnover", "E52") == rounded([("2025-01", 25.0, 3.0, 12.0)])
    assert values(dd, "andel_heltid", "E52") == rounded([("2025-01", 10 / 14 * 100, 10.0, 14.0)])


def test_a_yearly_row_is_the_years_figure_and_monthly_rows_never_count_twice(dd):
    """A yearly file and monthly files for the same year: the yearly row is the year's figure (5 left of 40,
    12,5 %), not the sum of both (10 left, 25,4 %); monthly rows make the year of a unit without a yearly row."""
    write_xlsx(dd / "inbox" / "år.xlsx", {"Personal": [STAFF_HEADER, ["2024", "E21", 40, 33, 38, 2, 20, 4, 6, 5]]})
    run(dd)
    monthly = [STAFF_HEADER]
    monthly += [["2024-06", "E21", 38, 31, 36, 2, 19, 4, 5, 2], ["2024-12", "E21", 40, 33, 38, 2, 20, 4, 6, 3]]
    monthly += [["2024-06", "E41", 98, 70, 88, 10, 69, 9, 14, 4], ["2024-12", "E41", 102, 72, 92, 10, 71, 10, 15, 6]]
    write_xlsx(dd / "inbox" / "måned.xlsx", {"Personal": monthly})
    run(dd)
    assert values(dd, "turnover", "E21") == rounded([("2024-01", 12.5, 5.0, 40.0)])
    assert values(dd, "turnover", "E41") == rounded([("2024-01", 10 / 100 * 100, 10.0, 100.0)])  # mean of 98, 102
    assert values(dd, "turnover", "5055") == rounded([("2024-01", 15 / 140 * 100, 15.0, 140.0)])
    # the stock shares of E21 are its yearly row's
    assert values(dd, "andel_heltid", "E21") == rounded([("2024-01", 50.0, 20.0, 40.0)])


def test_turnover_divides_by_the_average_of_last_and_this_years_stock(dd):
    rows = [STAFF_HEADER, ["2023", "E21", 36, 30, 34, 2, 18, 4, 5, 4], ["2024", "E21", 40, 33, 38, 2, 20, 4, 6, 5]]
    rows += [["2023-12", "E41", 100, 71, 90, 10, 70, 10, 15, 1], ["2024", "E41", 110, 78, 99, 11, 75, 10, 16, 12]]
    write_xlsx(dd / "inbox" / "p.xlsx", {"Personal": rows})
    run(dd)
    # 2024: 5 left over (36 + 40) / 2 = 38; E41's previous year-end is its December stock
    assert values(dd, "turnover", "E21") == rounded(
        [("2023-01", 4 / 36 * 100, 4.0, 36.0), ("2024-01", 5 / 38 * 100, 5.0, 38.0)]
    )
    assert values(dd, "turnover", "E41")[-1] == rounded([("2024-01", 12 / 105 * 100, 12.0, 105.0)])[0]
    assert values(dd, "turnover", "5055")[-1] == rounded([("2024-01", 17 / 143 * 100, 17.0, 143.0)])[0]
    vintages = dict(
        query(
            dd,
            "SELECT strftime(period, '%Y'), vintage FROM indicator_values "
            "WHERE indicator_id = 'turnover' AND scope_code = 'E21'",
        )  # fmt: skip
    )
    assert vintages["2023"].endswith("; snitt ansatte er bare bestanden ved årets slutt (2022 er ikke lastet)")
    assert "snitt ansatte" not in vintages["2024"]


def test_more_part_time_than_employees_refuses_the_file(dd):
    f = write_xlsx(dd / "inbox" / "p.xlsx", {"Ark1": [STAFF_HEADER, ["2024", "E21", 10, 9, 5, 5, 12, 1, 1, 1]]})
    refuse(dd, f, "rad 2, kolonne G (deltid): 12 i deltid er flere enn de 10 ansatte")


def test_more_women_and_men_than_employees_refuses_the_file(dd):
    f = write_xlsx(dd / "inbox" / "p.xlsx", {"Ark1": [STAFF_HEADER, ["2024", "E21", 10, 9, 8, 5, 2, 1, 1, 1]]})
    refuse(dd, f, "kvinner og menn (8 + 5) er flere enn de 10 ansatte")


def test_reloading_hr_files_changes_nothing(dd):
    sick = write_xlsx(dd / "tmp" / "s.xlsx", {"S": [SICK_HEADER, ["2025-03", "E21", 100, 3, 20]]})
    staff = write_xlsx(dd / "tmp" / "p.xlsx", {"P": [STAFF_HEADER, ["2024", "E21", 10, 9, 5, 5, 2, 1, 1, 1]]})
    for f in (sick, staff):
        (dd / "inbox" / f.name).write_bytes(f.read_bytes())
    run(dd)
    relations = ("sick_leave", "staff", "indicator_values", "scorecard")
    before = snapshot(dd, relations)
    for f in (sick, staff):
        (dd / "inbox" / f"kopi {f.name}").write_bytes(f.read_bytes())
    assert [r.status for r in run(dd).results] == ["unchanged", "unchanged"]
    assert snapshot(dd, relations) == before

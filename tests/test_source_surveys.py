"""Survey files: user surveys on their own scales and 10-FAKTOR with every factor name in the wild;
anonymity holds from the load through the warehouse, the scorecard and the CSV/Excel exports; survey
means carry n and a confidence interval, and changes within the noise are flagged."""

from __future__ import annotations

import datetime as dt
import io
import math
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from dashboard.export import export_bytes
from etl.store.warehouse import DUCKDB_CONFIG
from tests.helpers import (
    assert_nothing_to_subtract,
    double_columns_holding,
    query,
    refuse,
    rounded,
    snapshot,
    write_xlsx,
)
from tests.helpers import load_ok as run

USER_HEADER = ["år", "tjeneste", "enhet_id", "enhet", "dimensjon", "snitt", "antall_svar", "skala_maks", "landssnitt"]
TF_HEADER = ["år", "enhet_id", "faktor", "snitt", "antall_svar", "svarprosent", "snitt_alle_kommuner"]
FACTORS = [
    "Indre motivasjon", "Mestringstro", "Autonomi", "Bruk av kompetanse", "Mestringsorientert ledelse",
    "Rolleklarhet", "Relevant kompetanseheving", "Fleksibilitetsvilje", "Mestringsklima", "Prososial motivasjon",
]  # fmt: skip
CODES = {
    "oppgavemotivasjon", "mestringstro", "selvstendighet", "bruk_av_kompetanse", "mestringsorientert_ledelse",
    "rolleklarhet", "relevant_kompetanseutvikling", "fleksibilitetsvilje", "mestringsklima", "nyttemotivasjon",
}  # fmt: skip


def exports(data_dir: Path, *args: str) -> dict[str, bytes]:
    """Every export of one scope, as CSV and Excel, read from the published warehouse."""
    con = duckdb.connect(str(data_dir / "warehouse" / "current.duckdb"), read_only=True, config=DUCKDB_CONFIG)
    try:
        return {
            f"{what}.{fmt}": export_bytes(con, what, fmt, *args)
            for what in ("målekort", "indikatorverdier")
            for fmt in ("csv", "xlsx")
        }
    finally:
        con.close()


def export_rows(data: bytes, name: str) -> list[list[str]]:
    """The data rows of an export as text, whatever its format."""
    if name.endswith(".csv"):
        return [line.split(";") for line in data.decode("utf-8-sig").splitlines()[1:]]
    ws = load_workbook(io.BytesIO(data)).active
    return [[str(c) if c is not None else "" for c in row] for row in ws.iter_rows(min_row=4, values_only=True)]


def more_units(data_dir: Path, *units: tuple[str, str, str]) -> None:
    """Units beside the fixture's (id, name, tjeneste), loaded with the next run."""
    area = {"barnehage": "oppvekst", "skole": "oppvekst", "hjemmetjenester": "helse og mestring"}
    rows = [[uid, name, area[service], service] for uid, name, service in units]
    write_xlsx(
        data_dir / "inbox" / "flere enheter.xlsx",
        {"Enheter": [["enhet_id", "enhet", "tjenesteområde", "tjeneste"], *rows]},
    )


def test_user_surveys_on_two_scales_load_with_their_own_scale(dd):
    write_xlsx(
        dd / "inbox" / "Brukerundersøkelser 2024.xlsx",
        {
            "Resultater": [
                ["Brukerundersøkelser 2024 – bedrekommune.no og Udir"],
                [],
                [
                    "År",
                    "Tjeneste",
                    "Enhetsnavn",
                    "Dimensjon",
                    "Gjennomsnitt",
                    "Antall besvarelser",
                    "Skala",
                    "Landsgjennomsnitt",
                ],  # fmt: skip
                [2024, "barnehage", "Kyrksæterøra barnehage", "Helhetsvurdering", "4,6", 30, 5, "4,5"],
                [2024, "barnehage", "Heim kommune", "Helhetsvurdering", "4,5", 33, 5, "4,5"],
                [2024, "hjemmetjenester", "Hjemmetjenesten", "Helhetsvurdering", "5,1", 40, 6, "5,0"],
                [2024, "hjemmetjenester", "", "Helhetsvurdering", "5,1", 40, None, "5,0"],
            ]
        },
    )
    run(dd)
    assert query(
        dd, "SELECT service, unit_id, mean, respondents, scale_max, national_mean FROM user_survey ORDER BY 1, 2"
    ) == [
        ("barnehage", "E21", 4.6, 30, 5, 4.5),
        ("barnehage", None, 4.5, 33, 5, 4.5),
        ("hjemmetjenester", "E41", 5.1, 40, 6, 5.0),
        ("hjemmetjenester", None, 5.1, 40, 6, 5.0),
    ]
    got = query(
        dd,
        "SELECT indicator_id, scope_code, value, n FROM indicator_values WHERE indicator_id LIKE 'tilfredshet%' "
        "ORDER BY 1, 2",
    )
    assert got == [
        ("tilfredshet_barnehage", "5055", 4.5, 33),
        ("tilfredshet_barnehage", "E21", 4.6, 30),
        ("tilfredshet_hjemmetjenester", "5055", 5.1, 40),
        ("tilfredshet_hjemmetjenester", "E41", 5.1, 40),
    ]


def test_a_unit_with_too_few_answers_never_leaves_the_etl(dd):
    more_units(dd, ("E22", "Vinjeøra barnehage", "barnehage"), ("E23", "Heimsvingen barnehage", "barnehage"))
    write_xlsx(
        dd / "inbox" / "foreldreundersøkelsen.xlsx",
        {
            "Resultater": [
                USER_HEADER,
                [2024, "barnehage", "E21", None, "Helhetsvurdering", "4,7", 26, 5, "4,5"],
                [2024, "barnehage", None, "Vinjeøra barnehage", "Helhetsvurdering", "4,93", 2, 5, "4,5"],
                [2024, "barnehage", "E23", None, "Helhetsvurdering", "4,5", 20, 5, "4,5"],
                [2024, "barnehage", None, "Hele kommunen", "Helhetsvurdering", "4,63", 48, 5, "4,5"],
            ]
        },
    )
    [result] = [r for r in run(dd).results if r.kind == "brukerundersøkelse"]
    assert result.rows == 4  # E21, the kommune, and the markers of E22 and E23 (no value)
    assert (
        "rad 3 holdt tilbake (personvern): barnehage Helhetsvurdering 2024 for enhet E22 har færre svar enn "
        "minstegrensen 3; tallet lagres ikke på enhetsnivå" in result.notes
    )
    # how many answered is never said of a held-back cell: the load log and the Data page show these notes
    assert not any(" 2 svar" in n for n in result.notes)
    # E22's mean would be the kommune's 48 answers less E21's and E23's: E23, the smaller, is held back too
    assert (
        "rad 4 holdt også tilbake (personvern): barnehage Helhetsvurdering 2024 for enhet E23 lagres ikke, for "
        "ellers kunne tallet for enhet E22 regnes ut fra kommunetallet" in result.notes
    )
    assert "holdt tilbake" in query(dd, "SELECT message FROM load_log WHERE kind = 'brukerundersøkelse'")[0][0]
    # the raw store keeps only markers for E22 and E23: no mean, and no n below the minimum (E23's own n,
    # 20, says it was held back to shield another)
    assert query(dd, "SELECT unit_id, mean, respondents FROM raw_user_survey WHERE unit_id IN ('E22', 'E23') "
                     "ORDER BY 1") == [("E22", None, None), ("E23", None, 20)]  # fmt: skip
    assert double_columns_holding(dd, 4.93) == []  # E22's mean is nowhere in the warehouse
    # not in the clean relation, the indicator values or the scorecard …
    assert query(dd, "SELECT count(*) FROM user_survey WHERE unit_id IN ('E22', 'E23')") == [(0,)]
    for relation in ("indicator_values", "scorecard"):
        assert query(dd, f"SELECT count(*) FROM {relation} WHERE scope_code IN ('E22', 'E23')") == [(0,)]
    assert_nothing_to_subtract(dd)
    # … where the latest scorecard says why the figure is missing, with no value and no n
    assert query(
        dd,
        "SELECT scope_code, status, status_reason, value, n, period FROM scorecard_latest "
        "WHERE indicator_id = 'tilfredshet_barnehage' ORDER BY 1",
    ) == [
        ("5055", "green", None, 4.63, 48, dt.date(2024, 1, 1)),
        ("E21", "green", None, 4.7, 26, dt.date(2024, 1, 1)),
        ("E22", "grey", "for få svar", None, None, dt.date(2024, 1, 1)),
        ("E23", "grey", "skjult av personvernhensyn", None, None, dt.date(2024, 1, 1)),
    ]
    # `held_back` says only that a cell was held back, and why
    assert [c for (c,) in query(dd, "SELECT column_name FROM information_schema.columns "
                                    "WHERE table_name = 'held_back' ORDER BY ordinal_position")] == [
        "indicator_id", "source", "source_ref", "args", "scope", "scope_code", "period", "period_type", "reason"
    ]  # fmt: skip
    assert query(dd, "SELECT indicator_id, scope_code, period, reason FROM held_back ORDER BY 2") == [
        ("tilfredshet_barnehage", "E22", dt.date(2024, 1, 1), "for få svar"),
        ("tilfredshet_barnehage", "E23", dt.date(2024, 1, 1), "skjult av personvernhensyn"),
    ]
    # … nor in any export of the held-back units, while the same exports of E21 hold its figure
    for unit in ("E22", "E23"):
        for name, data in exports(dd, "enhet", unit).items():
            assert export_rows(data, name) == [], (unit, name)
    for name, data in exports(dd, "enhet", "E21").items():
        rows = [r for r in export_rows(data, name) if "tilfredshet_barnehage" in r]
        assert len(rows) == 1 and {"4,7", "4.7"} & set(rows[0]), (name, rows)
    # the kommune's row (which includes the held-back answers) is kept
    for name, data in exports(dd, "kommune", "5055").items():
        rows = [r for r in export_rows(data, name) if "tilfredshet_barnehage" in r]
        assert len(rows) == 1 and {"4,6", "4,63", "4.63"} & set(rows[0]), (name, rows)


def test_one_held_back_unit_of_two_holds_back_the_other(dd):
    """The demo's case: a kommune row of 28 answers and one unit of 26 would give the other unit's two."""
    more_units(dd, ("E22", "Vinjeøra barnehage", "barnehage"))
    rows = [
        USER_HEADER,
        [2022, "barnehage", "E21", None, "Helhetsvurdering", "4,4", 26, 5, None],
        [2022, "barnehage", "E22", None, "Helhetsvurdering", "4,93", 2, 5, None],
        [2022, "barnehage", None, None, "Helhetsvurdering", "4,44", 28, 5, None],
        [2022, "barnehage", "E21", None, "Informasjon", "4,1", 25, 5, None],  # another group: E22 is not in it
    ]
    write_xlsx(dd / "inbox" / "f.xlsx", {"Resultater": rows})
    [result] = [r for r in run(dd).results if r.kind == "brukerundersøkelse"]
    assert any("for enhet E21 lagres ikke, for ellers kunne tallet for enhet E22" in n for n in result.notes)
    assert query(dd, "SELECT unit_id, dimension, respondents FROM user_survey ORDER BY 2, 1 NULLS FIRST") == [
        (None, "Helhetsvurdering", 28),
        (None, "Informasjon", 25),  # computed from the file's one unit row for that dimension
        ("E21", "Informasjon", 25),
    ]
    # E21's marker keeps its own n (at least the minimum) to say it was held back to shield E22
    assert query(dd, "SELECT unit_id, mean, respondents FROM raw_user_survey WHERE dimension = 'Helhetsvurdering' "
                     "AND unit_id IS NOT NULL ORDER BY 1") == [("E21", None, 26), ("E22", None, None)]  # fmt: skip
    assert double_columns_holding(dd, 4.93) == [] and double_columns_holding(dd, 4.4) == []
    assert_nothing_to_subtract(dd)


def test_a_kommune_figure_from_units_counts_the_held_back_units(dd):
    """A file without a kommune row: the kommune's figure is made from every unit's answers before any unit
    is held back, so it says 52 answered, not 50."""
    more_units(dd, ("E22", "Vinjeøra barnehage", "barnehage"), ("E23", "Heimsvingen barnehage", "barnehage"))
    rows = [
        [*USER_HEADER, "standardavvik"],
        [2025, "barnehage", "E21", None, "Helhetsvurdering", "4,0", 30, 5, "4,4", "0,8"],
        [2025, "barnehage", "E22", None, "Helhetsvurdering", "5,0", 2, 5, "4,4", "0,5"],
        [2025, "barnehage", "E23", None, "Helhetsvurdering", "4,5", 20, 5, "4,4", "0,7"],
    ]
    write_xlsx(dd / "inbox" / "f.xlsx", {"Resultater": rows})
    [result] = [r for r in run(dd).results if r.kind == "brukerundersøkelse"]
    assert any("kommunetallet er regnet ut fra alle enhetenes svar" in n for n in result.notes)
    n = [30, 2, 20]
    means, sds = [4.0, 5.0, 4.5], [0.8, 0.5, 0.7]
    mean = sum(m * k for m, k in zip(means, n, strict=True)) / 52
    pooled = sum((k - 1) * s**2 + k * (m - mean) ** 2 for m, s, k in zip(means, sds, n, strict=True)) / 51
    assert rounded(query(dd, "SELECT mean, respondents, sd, scale_max, national_mean FROM user_survey "
                             "WHERE unit_id IS NULL")) == rounded([(mean, 52, math.sqrt(pooled), 5, 4.4)])  # fmt: skip
    assert query(dd, "SELECT unit_id FROM user_survey WHERE unit_id IS NOT NULL") == [("E21",)]  # E23 shields E22
    assert query(dd, "SELECT n FROM indicator_values WHERE indicator_id = 'tilfredshet_barnehage' "
                     "AND scope = 'kommune'") == [(52,)]  # fmt: skip
    assert_nothing_to_subtract(dd)


def test_raising_the_minimum_later_hides_unit_figures_already_loaded(dd):
    more_units(dd, ("E22", "Vinjeøra barnehage", "barnehage"))
    write_xlsx(
        dd / "inbox" / "f.xlsx",
        {
            "Resultater": [
                USER_HEADER,
                [2024, "barnehage", "E21", None, "Helhetsvurdering", "4,7", 4, 5, None],
                [2024, "barnehage", "E22", None, "Helhetsvurdering", "4,4", 30, 5, None],
                [2024, "hjemmetjenester", "E41", None, "Helhetsvurdering", "5,1", 40, 6, None],
            ]
        },
    )
    run(dd)
    assert query(dd, "SELECT count(*) FROM indicator_values WHERE scope_code IN ('E21', 'E22')") == [(2,)]
    catalogue = dd / "balansehandbok.csv"
    lines = catalogue.read_text(encoding="utf-8-sig").splitlines()
    lines = [
        ln.replace(";barnehage;3;", ";barnehage;5;") if ln.startswith("tilfredshet_barnehage;") else ln for ln in lines
    ]
    catalogue.write_text("\n".join(lines), encoding="utf-8-sig")
    run(dd)
    assert query(dd, "SELECT min_n FROM indicators WHERE indicator_id = 'tilfredshet_barnehage'") == [(5,)]
    # E21 now has too few answers; E22 goes with it, or the kommune's 34 answers less E22's 30 would show E21
    for relation in ("user_survey", "indicator_values", "scorecard"):
        column = "unit_id" if relation == "user_survey" else "scope_code"
        assert query(dd, f"SELECT count(*) FROM {relation} WHERE {column} IN ('E21', 'E22')") == [(0,)], relation
    assert query(dd, "SELECT scope_code, reason FROM held_back ORDER BY 1") == [
        ("E21", "for få svar"),
        ("E22", "skjult av personvernhensyn"),
    ]
    assert_nothing_to_subtract(dd)
    for unit in ("E21", "E22"):
        for name, data in exports(dd, "enhet", unit).items():
            assert export_rows(data, name) == [], (unit, name)
    for name, data in exports(dd, "enhet", "E41").items():  # the same exports of another unit hold its rows
        assert [r for r in export_rows(data, name) if "tilfredshet_hjemmetjenester" in r], name


def test_a_kommune_figure_on_too_few_answers_is_held_back_with_its_unit(dd):
    """A unit held back that is the kommune's only one: the kommune figure (the unit's own answers) goes too."""
    rows = [USER_HEADER, [2024, "barnehage", "E21", None, "Trivsel", "4,93", 2, 5, None]]
    write_xlsx(dd / "inbox" / "f.xlsx", {"Resultater": rows})
    [result] = [r for r in run(dd).results if r.kind == "brukerundersøkelse"]
    assert any(
        "Trivsel 2024 for hele kommunen bygger på færre svar enn minstegrensen 3, og ville vist tallet for "
        "enhet E21; kommunetallet lagres ikke" in n
        for n in result.notes
    )
    assert query(dd, "SELECT count(*) FROM user_survey") == [(0,)]
    assert query(dd, "SELECT unit_id, mean, respondents FROM raw_user_survey ORDER BY 1") == [
        ("E21", None, None),
        (None, None, None),
    ]
    assert double_columns_holding(dd, 4.93) == []


def test_manual_figures_from_two_files_cannot_be_subtracted(dd):
    """`indikatorverdier` replaces unit by unit: a later file bringing back the unit that shielded another is
    held back again in the warehouse, since the kommune figure of the first file is still there."""
    more_units(dd, ("E32", "Vinjeøra skole", "skole"))
    header = ["indikator_id", "enhet_id", "periode", "verdi", "antall_svar"]
    first = [header, ["trivsel_skole", "E31", 2025, "4,93", 2], ["trivsel_skole", "E32", 2025, "4,2", 28],
             ["trivsel_skole", "", 2025, "4,25", 30]]  # fmt: skip
    write_xlsx(dd / "inbox" / "a.xlsx", {"Verdier": first})
    [result] = [r for r in run(dd).results if r.kind == "indikatorverdier"]
    assert any("for enhet E32 lagres ikke, for ellers kunne tallet for enhet E31" in n for n in result.notes)
    assert query(dd, "SELECT unit_id, value FROM manual_values ORDER BY 1 NULLS FIRST") == [(None, 4.25)]
    write_xlsx(dd / "inbox" / "b.xlsx", {"Verdier": [header, ["trivsel_skole", "E32", 2025, "4,2", 28]]})
    run(dd)
    assert query(dd, "SELECT scope_code FROM indicator_values WHERE indicator_id = 'trivsel_skole'") == [("5055",)]
    assert query(dd, "SELECT scope_code, reason FROM held_back ORDER BY 1") == [
        ("E31", "for få svar"),
        ("E32", "skjult av personvernhensyn"),
    ]
    assert_nothing_to_subtract(dd)
    assert double_columns_holding(dd, 4.93) == []


def test_confidence_interval_from_the_given_spread_or_a_quarter_of_the_scale(dd):
    write_xlsx(
        dd / "inbox" / "f.xlsx",
        {
            "Resultater": [
                [*USER_HEADER, "standardavvik"],
                [2024, "barnehage", "E21", None, "Helhetsvurdering", "4,6", 30, 5, None, "0,8"],
                [2024, "barnehage", None, None, "Helhetsvurdering", "4,6", 30, 5, None, None],
            ]
        },
    )
    run(dd)
    got = query(
        dd,
        "SELECT scope_code, ci_low, ci_high FROM indicator_values WHERE indicator_id = 'tilfredshet_barnehage' "
        "ORDER BY 1",
    )
    t29 = 2.045  # Student's t, 29 degrees of freedom, two-sided 95 %
    known = t29 * 0.8 / math.sqrt(30)
    estimated = t29 * (5 - 1) / 4 / math.sqrt(30)  # no spread given: a quarter of the scale's range
    assert rounded(got) == rounded([("5055", 4.6 - estimated, 4.6 + estimated), ("E21", 4.6 - known, 4.6 + known)])


def test_a_score_outside_its_scale_refuses_the_file(dd):
    f = write_xlsx(
        dd / "inbox" / "f.xlsx",
        {"Ark1": [USER_HEADER, [2024, "barnehage", "E21", None, "Trivsel", "5,4", 30, 5, None]]},
    )
    refuse(dd, f, "rad 2, kolonne F (snitt): snittet 5,4 er utenfor skalaen 1–5", "skala_maks")


def test_a_score_below_one_refuses_the_file(dd):
    f = write_xlsx(
        dd / "inbox" / "f.xlsx",
        {"Ark1": [USER_HEADER, [2024, "sykehjem", None, None, "Trivsel", "0,5", 30, None, None]]},
    )
    refuse(dd, f, "rad 2, kolonne F (snitt): «0,5» er under laveste tillatte verdi 1")


def test_rows_on_another_scale_than_their_indicator_refuse_the_file(dd):
    f = write_xlsx(
        dd / "inbox" / "f.xlsx",
        {"Ark1": [USER_HEADER, [2024, "barnehage", "E21", None, "Helhetsvurdering", "5,2", 30, 6, None]]},
    )
    refuse(
        dd,
        f,
        "raden har skala 1–6, men indikatoren tilfredshet_barnehage (user_survey:barnehage/Helhetsvurdering) "
        "måles på skala 1–5 i balansehåndboka; skalaer blandes aldri",
    )


def tifaktor_rows(year: int, unit: str | None, means: list[float], n: int) -> list[list[object]]:
    return [[year, unit, f, str(m).replace(".", ","), n, 80, 4.1] for f, m in zip(FACTORS, means, strict=True)]


def test_every_factor_name_variant_maps_to_one_of_the_ten_codes(dd):
    means = [4.5, 4.2, 4.1, 4.3, 3.9, 4.4, 3.7, 4.3, 4.0, 4.6]
    rows = [["10-FAKTOR 2021 – Heim kommune"], TF_HEADER, *tifaktor_rows(2021, None, means, 300)]
    rows += tifaktor_rows(2021, "E41", [m - 0.2 for m in means], 40)
    write_xlsx(dd / "inbox" / "10-faktor 2021.xlsx", {"10-FAKTOR": rows})
    run(dd)
    assert {f for (f,) in query(dd, "SELECT DISTINCT factor FROM employee_survey")} == CODES
    got = query(
        dd,
        "SELECT scope_code, indicator_id, value, n FROM indicator_values WHERE indicator_id LIKE 'tifaktor%' "
        "ORDER BY 1, 2",
    )
    assert rounded(got) == rounded(
        [
            ("5055", "tifaktor_ledelse", 3.9, 300),
            ("5055", "tifaktor_snitt", sum(means) / 10, 300),
            ("E41", "tifaktor_ledelse", 3.7, 40),
            ("E41", "tifaktor_snitt", sum(means) / 10 - 0.2, 40),
        ]
    )
    assert query(dd, "SELECT response_rate, benchmark_mean FROM employee_survey LIMIT 1") == [(80.0, 4.1)]


def test_changes_within_the_noise_are_flagged(dd):
    rows = [[*TF_HEADER, "standardavvik"]]
    for year, mean in ((2021, 4.0), (2023, 4.05), (2025, 4.3)):
        rows += [[*r, "0,7"] for r in tifaktor_rows(year, None, [mean] * 10, 400)]
    for year, mean in ((2023, 4.0), (2025, 4.4)):  # a small unit without a known spread
        rows += tifaktor_rows(year, "E21", [mean] * 10, 5)
    write_xlsx(dd / "inbox" / "10-faktor.xlsx", {"10-FAKTOR": rows})
    run(dd)
    got = query(
        dd,
        "SELECT scope_code, year, value, previous_value, change_noise, change_within_noise FROM scorecard "
        "WHERE indicator_id = 'tifaktor_ledelse' ORDER BY 1, 2",
    )
    assert rounded(got, 3) == [
        ("5055", 2021, 4.0, None, 0.1, None),
        ("5055", 2023, 4.05, 4.0, 0.1, True),  # ±0,1 is noise (KS): the intervals are narrower here
        ("5055", 2025, 4.3, 4.05, 0.1, False),  # a real change
        ("E21", 2023, 4.0, None, 0.1, None),
        # n = 5, no spread given: each interval is t₄ · 1,0 / √5, and the two combine as √2 of that
        ("E21", 2025, 4.4, 4.0, pytest.approx(math.sqrt(2) * 2.776 * 1.0 / math.sqrt(5), abs=1e-3), True),
    ]
    latest = query(
        dd,
        "SELECT value, change_within_noise, ci_low < value AND value < ci_high FROM scorecard_latest "
        "WHERE indicator_id = 'tifaktor_snitt' AND scope = 'kommune'",
    )
    assert rounded(latest) == [(4.3, False, True)]


def test_a_tifaktor_score_above_five_refuses_the_file(dd):
    f = write_xlsx(dd / "inbox" / "t.xlsx", {"Ark1": [TF_HEADER, [2025, "E21", "Mestringstro", "5,3", 20, 80, 4.1]]})
    refuse(dd, f, "rad 2, kolonne D (snitt): «5,3» er over høyeste tillatte verdi 5", "mellom 1 og 5")


def test_an_unknown_factor_refuses_the_file(dd):
    f = write_xlsx(dd / "inbox" / "t.xlsx", {"Ark1": [TF_HEADER, [2025, "E21", "Trivsel", "4,3", 20, 80, 4.1]]})
    refuse(dd, f, "rad 2, kolonne C (faktor): «Trivsel» er ikke en gyldig verdi for faktor")


def test_tifaktor_unit_below_the_minimum_is_held_back_factor_by_factor(dd):
    rows = [TF_HEADER, *tifaktor_rows(2025, None, [4.2] * 10, 50), *tifaktor_rows(2025, "E31", [4.8] * 10, 2)]
    rows += [*tifaktor_rows(2025, "E21", [4.1] * 10, 30), *tifaktor_rows(2025, "E41", [4.3] * 10, 18)]
    write_xlsx(dd / "inbox" / "t.xlsx", {"10-FAKTOR": rows})
    [result] = run(dd).results
    held = [n for n in result.notes if "holdt tilbake" in n]
    assert len(held) == 10 and "mestringsorientert_ledelse 2025 for enhet E31 har færre svar enn" in " ".join(held)
    shielded = [n for n in result.notes if "holdt også tilbake" in n]
    assert len(shielded) == 10 and all("for enhet E41 lagres ikke" in n for n in shielded)
    assert query(dd, "SELECT DISTINCT unit_id FROM employee_survey WHERE unit_id IS NOT NULL") == [("E21",)]
    assert query(dd, "SELECT count(*) FROM indicator_values WHERE scope_code IN ('E31', 'E41')") == [(0,)]
    assert query(
        dd,
        "SELECT indicator_id, scope_code, reason FROM held_back WHERE indicator_id IS NOT NULL ORDER BY 1, 2",
    ) == [
        ("tifaktor_ledelse", "E31", "for få svar"),
        ("tifaktor_ledelse", "E41", "skjult av personvernhensyn"),
        ("tifaktor_snitt", "E31", "for få svar"),  # the mean of the ten factors goes with them
        ("tifaktor_snitt", "E41", "skjult av personvernhensyn"),
    ]
    assert_nothing_to_subtract(dd)
    for unit in ("E31", "E41"):
        for name, data in exports(dd, "enhet", unit).items():
            assert export_rows(data, name) == [], (unit, name)
    for name, data in exports(dd, "enhet", "E21").items():  # the positive control: E21's exports hold its rows
        assert len([r for r in export_rows(data, name) if r and r[0] in ("tifaktor_ledelse", "Ansatte")]) >= 1, name


def test_reloading_survey_files_changes_nothing(dd):
    f = write_xlsx(dd / "tmp" / "t.xlsx", {"10-FAKTOR": [TF_HEADER, *tifaktor_rows(2025, None, [4.2] * 10, 50)]})
    (dd / "inbox" / "t.xlsx").write_bytes(f.read_bytes())
    run(dd)
    relations = ("employee_survey", "indicator_values", "scorecard")
    before = snapshot(dd, relations)
    (dd / "inbox" / "t (2).xlsx").write_bytes(f.read_bytes())
    assert [r.status for r in run(dd).results] == ["unchanged"]
    assert snapshot(dd, relations) == before


def test_one_unit_named_by_id_and_by_name_is_one_row(dd):
    same = [
        USER_HEADER,
        [2024, "barnehage", "E21", None, "Trivsel", "4,5", 30, 5, None],
        [2024, "barnehage", None, "Kyrksæterøra barnehage", "Trivsel", "4,5", 30, 5, None],
    ]
    write_xlsx(dd / "inbox" / "a.xlsx", {"Ark1": same})
    run(dd)
    assert query(dd, "SELECT unit_id, mean FROM user_survey WHERE unit_id IS NOT NULL") == [("E21", 4.5)]
    clash = [*same[:2], [2024, "barnehage", None, "Kyrksæterøra barnehage", "Trivsel", "4,1", 30, 5, None]]
    f = write_xlsx(dd / "inbox" / "b.xlsx", {"Ark1": clash})
    refuse(dd, f, "radene 2, 3 har samme nøkkel (år = 2024, tjeneste = barnehage, enhet_id = E21, dimensjon = Trivsel)")

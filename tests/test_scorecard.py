"""The scorecard's traffic lights (domain §6): direction, two tolerances, absolute or relative, targets
per unit and year over the catalogue default, grey for no data / too few answers / no target."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from etl.load import load
from etl.settings import load_settings
from tests.helpers import catalogue_size, query, write_xlsx

HEADER = ["indikator_id", "enhet_id", "periode", "verdi", "antall_svar"]


def load_values(data_dir: Path, rows: list[list[object]], targets: list[list[object]] | None = None) -> None:
    sheets = {"Verdier": [HEADER, *rows]}
    if targets:
        sheets["Mål"] = [["indikator_id", "år", "mål", "enhet_id", "grønn", "rød"], *targets]
    write_xlsx(data_dir / "inbox" / "tall.xlsx", sheets)
    summary = load(load_settings(data_dir))
    assert not summary.rejected, summary.rejected[0].message


def status(data_dir: Path, indicator: str, period: str, scope_code: str = "5055") -> tuple:
    return query(
        data_dir,
        "SELECT value, target, status, status_reason FROM scorecard "
        "WHERE indicator_id = ? AND scope_code = ? AND strftime(period, '%Y-%m') = ?",
        [indicator, scope_code, period],
    )[0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(2.5, "green"), (2.0, "green"), (1.96, "green"), (1.5, "yellow"), (1.0, "yellow"), (0.94, "red"), (-1, "red")],
)
def test_higher_is_better(dd, value, expected):
    # netto_driftsresultat: target 2, green tolerance 0, red tolerance 1, one decimal shown
    load_values(dd, [["netto_driftsresultat", "", "2024", value, None]])
    assert status(dd, "netto_driftsresultat", "2024-01")[2] == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(6.2, "green"), (7.04, "green"), (7.05, "yellow"), (8.5, "yellow"), (8.6, "red")]
)
def test_lower_is_better(dd, value, expected):
    # sykefravaer: target 7, green 0, red 1.5
    load_values(dd, [["sykefravaer", "", "2025-03", value, None]])
    assert status(dd, "sykefravaer", "2025-03")[2] == expected


@pytest.mark.parametrize(("value", "expected"), [(-0.8, "green"), (1.0, "green"), (2.0, "yellow"), (-3.5, "red")])
def test_target_band(dd, value, expected):
    # budsjettavvik: target 0, within ±1 green, beyond ±3 red
    load_values(dd, [["budsjettavvik", "", "2025-08", value, None]])
    assert status(dd, "budsjettavvik", "2025-08")[2] == expected


def test_relative_tolerance_is_a_share_of_the_target(dd):
    catalogue = dd / "balansehandbok.csv"
    lines = catalogue.read_text(encoding="utf-8-sig").splitlines()
    lines = [
        ln.replace(";0;500000;2000000;absolutt;", ";1000000;5;10;relativ;")
        if ln.startswith("budsjettavvik_kr;")
        else ln
        for ln in lines
    ]
    catalogue.write_text("\n".join(lines), encoding="utf-8-sig")
    load_values(
        dd,
        [["budsjettavvik_kr", "", f"2025-0{m}", v, None] for m, v in ((1, 1_040_000), (2, 1_080_000), (3, 1_120_000))],
    )
    assert [status(dd, "budsjettavvik_kr", f"2025-0{m}")[2] for m in (1, 2, 3)] == ["green", "yellow", "red"]


def test_unit_target_beats_kommune_target_beats_catalogue(dd):
    load_values(
        dd,
        [
            ["sykefravaer", "", "2025-03", 6.5, None],
            ["sykefravaer", "E41", "2025-03", 6.5, None],
            ["sykefravaer", "E21", "2025-03", 6.5, None],
            ["sykefravaer", "", "2024-03", 6.5, None],
        ],
        targets=[["sykefravaer", 2025, 6.0, "", 0, 1], ["sykefravaer", 2025, 8.0, "E41", None, None]],
    )
    assert status(dd, "sykefravaer", "2025-03")[1:3] == (6.0, "yellow")  # kommune 2025 target
    assert status(dd, "sykefravaer", "2025-03", "E41")[1:3] == (8.0, "green")  # the unit's own
    assert status(dd, "sykefravaer", "2025-03", "E21")[1:3] == (6.0, "yellow")  # falls back to kommune 2025
    assert status(dd, "sykefravaer", "2024-03")[1:3] == (7.0, "green")  # catalogue default


def test_too_few_answers_is_grey_never_red(dd):
    load_values(dd, [["trivsel_skole", "", "2025", 1.2, 2]])
    assert status(dd, "trivsel_skole", "2025-01")[2:] == ("grey", "for få svar")


def test_missing_target_is_grey(dd):
    catalogue = dd / "balansehandbok.csv"
    text = catalogue.read_text(encoding="utf-8-sig").replace(
        ";Kommunalsjef teknisk;21;0;7;", ";Kommunalsjef teknisk;;;;"
    )
    catalogue.write_text(text, encoding="utf-8-sig")
    load_values(dd, [["saksbehandlingstid_byggesak", "", "2025T1", 90, None]])
    assert status(dd, "saksbehandlingstid_byggesak", "2025-01")[1:] == (None, "grey", "mangler mål")


def test_no_data_shows_as_grey_in_the_latest_scorecard(dd):
    rows = query(dd, "SELECT status, status_reason, value FROM scorecard_latest WHERE scope = 'kommune'")
    assert len(rows) == catalogue_size()  # every indicator of the catalogue is measured for the kommune
    assert set(rows) == {("grey", "ingen data", None)}


def test_latest_scorecard_has_the_units_each_indicator_applies_to(dd):
    got = query(dd, "SELECT scope_code FROM scorecard_latest WHERE indicator_id = 'trivsel_skole' ORDER BY 1")
    assert got == [("5055",), ("E31",)]  # gjelder = skole: the kommune and the one school only


def test_previous_value_is_the_previous_period_of_the_same_kind(dd):
    load_values(dd, [["turnover", "", str(y), v, None] for y, v in ((2022, 9.5), (2023, 8.1), (2025, 7.0))])
    got = query(
        dd,
        "SELECT period, value, previous_value, previous_period FROM scorecard "
        "WHERE indicator_id = 'turnover' ORDER BY period",
    )
    assert got == [
        (dt.date(2022, 1, 1), 9.5, None, None),
        (dt.date(2023, 1, 1), 8.1, 9.5, dt.date(2022, 1, 1)),
        (dt.date(2025, 1, 1), 7.0, 8.1, dt.date(2023, 1, 1)),
    ]
    latest = query(
        dd,
        "SELECT value, status, previous_value FROM scorecard_latest "
        "WHERE indicator_id = 'turnover' AND scope = 'kommune'",
    )
    assert latest == [(7.0, "green", 8.1)]

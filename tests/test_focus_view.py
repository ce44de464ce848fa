"""The focus-area tables against the warehouse's own relations, the unit filter, and «for få svar»."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dashboard import focus_view as view
from dashboard.focus_sections import filterable_table
from etl.settings import load_settings
from etl.store.warehouse import WarehouseReader
from tests.helpers import query


@pytest.fixture(scope="module")
def reader(demo_dir: Path) -> WarehouseReader:
    return WarehouseReader(load_settings(demo_dir).current)


@pytest.fixture(scope="module")
def all_units(demo_dir: Path) -> set[str]:
    return {u for (u,) in query(demo_dir, "SELECT unit_id FROM units")}


def test_budget_by_unit_is_the_booked_months_of_the_accounts(reader, all_units, demo_dir: Path) -> None:
    year = view.newest_accounting_year(reader)
    table = view.budget_by_unit(reader, year, all_units).frame
    (last,) = query(demo_dir, "SELECT max(period) FROM accounting WHERE year(period) = ? AND actual <> 0", [year])[0]
    for unit, actual, budget in query(
        demo_dir,
        "SELECT u.name, sum(actual), sum(budget) FROM accounting JOIN units u USING (unit_id) "
        "WHERE year(period) = ? AND period <= ? GROUP BY u.name",
        [year, last],
    ):
        row = table[table["Enhet"] == unit].iloc[0]
        assert row["Regnskap hittil (kr)"] == pytest.approx(actual)
        assert row["Avvik (kr)"] == pytest.approx(actual - budget)
    curve = view.monthly_curve(reader, year, all_units).frame
    assert curve["Regnskap akkumulert (kr)"].dropna().iloc[-1] == pytest.approx(table["Regnskap hittil (kr)"].sum())


def test_only_visible_units_are_shown(reader) -> None:
    year = view.newest_accounting_year(reader)
    assert list(view.budget_by_unit(reader, year, {"E21"}).frame["Enhet"]) == ["Kyrksæterøra barnehage"]
    assert set(view.sick_leave(reader, {"E21"}).frame["Enhet"]) == {"Kyrksæterøra barnehage"}
    assert view.budget_by_unit(reader, year, set()).frame.empty
    assert set(view.deviations_summary(reader, {"E21"}).frame["Enhet"]) <= {"Kyrksæterøra barnehage"}


def test_sick_leave_is_summed_before_dividing(reader, all_units, demo_dir: Path) -> None:
    table = view.sick_leave(reader, all_units).frame
    (last,) = query(demo_dir, "SELECT max(period) FROM sick_leave")[0]
    ((pct,),) = query(
        demo_dir,
        "SELECT 100 * sum(lost_days_self + lost_days_doctor) / sum(possible_days) FROM sick_leave "
        "WHERE unit_id = 'E21' AND year(period) = ? AND month(period) <= ?",
        [last.year, last.month],
    )
    row = table[table["Enhet"] == "Kyrksæterøra barnehage"].iloc[0]
    assert row["Totalt (%)"] == pytest.approx(pct)


def test_staff_figures_are_the_scorecards(reader, all_units, demo_dir: Path) -> None:
    table = view.staff(reader, all_units, "Heim kommune").frame
    ((turnover,),) = query(
        demo_dir,
        "SELECT value FROM indicator_values v JOIN indicators i USING (indicator_id) WHERE i.source_ref = "
        "'staff:turnover' AND v.scope = 'kommune' ORDER BY period DESC LIMIT 1",
    )
    assert table[table["Enhet"] == "Heim kommune"]["Turnover (%)"].iloc[0] == pytest.approx(turnover)


def test_a_held_back_unit_is_for_fa_svar_never_a_number() -> None:
    frame = pd.DataFrame(
        {"factor": ["ledelse", "ledelse", None], "unit_id": [None, "E21", "E22"], "mean": [4.1, 4.3, None]}
    )
    assert view._cell(frame, "E22", "ledelse") == view.HELD_BACK
    assert view._cell(frame, "E21", "ledelse") == 4.3
    assert view._cell(frame, None, "ledelse") == 4.1


def test_user_survey_rows_held_back_carry_no_number(reader, all_units, demo_dir: Path) -> None:
    table = view.user_survey(reader, all_units, "Heim kommune").frame
    held = table[table["Merknad"] == view.HELD_BACK]
    assert held[["Snitt", "Antall svar", "Fra (95 %)", "Til (95 %)"]].isna().all().all()
    shown = table[table["Merknad"] != view.HELD_BACK]
    assert (shown["Antall svar"].dropna() >= 3).all()


def test_the_survey_chart_draws_the_kommunes_means_intervals_and_national_means(reader, all_units, demo_dir) -> None:
    figure = view.survey_figure(view.user_survey(reader, all_units, "Heim kommune"), "Heim kommune")
    assert figure is not None
    mine, national = figure.data
    expected = query(
        demo_dir,
        """WITH y AS (SELECT service, max(year) AS y FROM user_survey GROUP BY service)
           SELECT s.service || ': ' || s.dimension, s.mean, s.ci_high - s.mean, s.mean - s.ci_low, s.national_mean
           FROM user_survey s JOIN y ON y.service = s.service AND y.y = s.year
           WHERE s.unit_id IS NULL ORDER BY s.service, s.dimension""",
    )
    assert list(mine.y) == [r[0] for r in expected] and list(national.y) == [r[0] for r in expected]
    assert list(mine.x) == pytest.approx([r[1] for r in expected])
    assert list(mine.error_x.array) == pytest.approx([r[2] for r in expected])
    assert list(mine.error_x.arrayminus) == pytest.approx([r[3] for r in expected])
    assert list(national.x) == pytest.approx([r[4] for r in expected], nan_ok=True)


def test_the_survey_chart_never_draws_a_held_back_unit() -> None:
    frame = pd.DataFrame(
        {
            "Tjeneste": ["skole"],
            "Dimensjon": ["Trivsel"],
            "Gjelder": ["Halsa skole"],
            "Snitt": [float("nan")],
            "Fra (95 %)": [float("nan")],
            "Til (95 %)": [float("nan")],
            "Landssnitt": [4.2],
            "Merknad": [view.HELD_BACK],
        }
    )
    assert view.survey_figure(view.Table("Brukere", frame), "Halsa skole") is None


def test_years_are_labels_never_numbers_with_a_thousands_space(reader, all_units) -> None:
    table = view.user_survey(reader, all_units, "Heim kommune")
    grid = filterable_table(table, "t").children[1]
    year = next(c for c in grid.columns if c["id"] == "År")
    assert year["type"] == "text" and "format" not in year
    assert all(len(r["År"]) == 4 and r["År"].isdigit() for r in grid.data)


def test_the_filterable_table_formats_numbers_the_norwegian_way(reader, all_units) -> None:
    table = view.deviations_summary(reader, all_units)
    grid = filterable_table(table, "t").children[1]
    fmt = next(c for c in grid.columns if c["id"] == "Lukket innen frist (%)")["format"].to_plotly_json()
    assert fmt["locale"]["decimal"] == "," and fmt["locale"]["group"] == " "
    assert grid.sort_action == "native" and grid.filter_action == "native"


def test_mixed_columns_export_numbers_the_norwegian_way_and_words_as_words() -> None:
    from dashboard.analysis_tables import Table, table_bytes

    table = Table("10-FAKTOR", pd.DataFrame({"Faktor": ["a", "b"], "E22": [4.46, view.HELD_BACK]}), {"E22": 1})
    assert table_bytes(table, "csv").decode("utf-8-sig").splitlines() == ["Faktor;E22", "a;4,5", "b;for få svar"]

"""The dashboard's queries against the demo warehouse, and against a data folder with nothing published."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dashboard import data
from etl.norsk import FOCUS_AREAS
from etl.settings import load_settings
from etl.store.warehouse import DUCKDB_CONFIG, WarehouseReader


@pytest.fixture(scope="module")
def reader(demo_dir: Path) -> WarehouseReader:
    return WarehouseReader(load_settings(demo_dir).current)


@pytest.fixture(scope="module")
def direct(demo_dir: Path) -> duckdb.DuckDBPyConnection:
    """An independent connection to the same published version, for expected values."""
    return duckdb.connect(str(load_settings(demo_dir).current.resolve()), read_only=True, config=DUCKDB_CONFIG)


def test_scorecard_for_the_kommune_has_every_kommune_indicator_in_focus_area_order(reader, direct) -> None:
    rows = data.scorecard(reader, "kommune", "5055")
    expected = {
        r[0]
        for r in direct.execute(
            "SELECT indicator_id FROM scorecard_latest WHERE scope = 'kommune' AND scope_code = '5055'"
        ).fetchall()
    }
    assert set(rows["indicator_id"]) == expected
    assert len(rows) == len(expected) > 0
    order = [FOCUS_AREAS.index(a) for a in rows["focus_area"]]
    assert order == sorted(order)
    assert rows["description"].notna().all()  # the definition travels with the number


def test_scorecard_values_are_the_warehouse_values(reader, direct) -> None:
    rows = data.scorecard(reader, "enhet", "E21").set_index("indicator_id")
    for iid, value, target, status in direct.execute(
        "SELECT indicator_id, value, target, status FROM scorecard_latest WHERE scope = 'enhet' AND scope_code = 'E21'"
    ).fetchall():
        assert rows.loc[iid, "value"] == pytest.approx(value, nan_ok=True)
        assert rows.loc[iid, "target"] == pytest.approx(target, nan_ok=True)
        assert rows.loc[iid, "status"] == status
    assert set(rows["scope_code"]) == {"E21"}


def test_scorecard_of_an_unknown_unit_is_empty_not_an_error(reader) -> None:
    assert data.scorecard(reader, "enhet", "E99' OR 1=1 --").empty


def test_trends_reach_back_five_years_or_twelve_periods_and_end_at_the_newest_value(reader) -> None:
    latest = data.scorecard(reader, "kommune", "5055").set_index("indicator_id")
    trends = data.trends(reader, "kommune", "5055")
    assert set(trends["indicator_id"]) == set(latest.index[latest["period"].notna()])
    for iid, group in trends.groupby("indicator_id"):
        assert group["period"].is_monotonic_increasing
        assert group["period"].iloc[-1] == latest.loc[iid, "period"]
        assert set(group["period_type"]) == {latest.loc[iid, "period_type"]}
        limit = 5 if latest.loc[iid, "period_type"] == "year" else 12
        assert len(group) <= limit
    months = trends[trends["period_type"] == "month"].groupby("indicator_id").size()
    assert (months == 12).all()  # the demo has five years of monthly figures


def test_units_are_current_and_ordered_by_service_area(reader, direct) -> None:
    units = data.units(reader)
    assert len(units) == direct.execute("SELECT count(*) FROM units").fetchone()[0]
    keys = list(zip(units["service_area"].str.lower(), units["name"], strict=True))
    assert keys == sorted(keys)
    assert "Kyrksæterøra barnehage" in set(units["name"])


def test_demo_installation_is_flagged_and_has_meta(reader, demo_dir: Path) -> None:
    assert data.is_published(reader)
    assert data.is_demo(reader)
    meta = data.meta(reader)
    assert meta["kommune_code"] == "5055"
    assert int(meta["version"]) >= 1
    assert data.built_at(meta) is not None
    assert data.kommune_code(reader, load_settings(demo_dir, kommune_code="9999")) == "5055"  # the data's own


def test_nothing_published_gives_empty_answers(data_dir: Path) -> None:
    empty = WarehouseReader(load_settings(data_dir).current)
    assert not data.is_published(empty)
    assert not data.is_demo(empty)
    assert data.meta(empty) == {}
    assert data.built_at({}) is None
    assert data.units(empty).empty
    assert data.scorecard(empty, "kommune", "5055").empty
    assert data.trends(empty, "kommune", "5055").empty

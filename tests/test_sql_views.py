"""The SQL of etl/sql/ on its own, in a warehouse in memory: raw rows in, one view's rows out, no load."""

from __future__ import annotations

import datetime as dt

import pytest

from etl.errors import BmsError
from etl.store import warehouse

MONTH = dt.date(2025, 3, 1)
UNITS = [
    {"unit_id": "E1", "name": "Heim barnehage", "service": "barnehage"},
    {"unit_id": "E2", "name": "Heim sykehjem", "service": "sykehjem"},
]
DAYS = [  # possible days, lost (self-certified), lost (doctor-certified)
    {"unit_id": "E1", "possible_days": 100.0, "lost_days_self": 5.0, "lost_days_doctor": 5.0},
    {"unit_id": "E2", "possible_days": 300.0, "lost_days_self": 3.0, "lost_days_doctor": 3.0},
]


def test_the_kommune_sick_leave_adds_the_units_days_and_never_averages_their_percentages(fresh_db):
    fresh_db.add("raw_units", UNITS)
    fresh_db.add("raw_sick_leave", [{**d, "period": MONTH, "period_type": "month"} for d in DAYS])
    fresh_db.build()
    rows = fresh_db.query(
        "SELECT scope, scope_code, value, numerator, denominator FROM measures_sick_leave "
        "WHERE source_ref = 'sick_leave:total' AND period = ? ORDER BY scope, scope_code",
        [MONTH],
    )
    lost = {d["unit_id"]: d["lost_days_self"] + d["lost_days_doctor"] for d in DAYS}
    possible = {d["unit_id"]: d["possible_days"] for d in DAYS}
    kommune = fresh_db.meta["kommune_code"]
    assert rows == [
        ("enhet", "E1", lost["E1"] / possible["E1"] * 100, lost["E1"], possible["E1"]),
        ("enhet", "E2", lost["E2"] / possible["E2"] * 100, lost["E2"], possible["E2"]),
        ("kommune", kommune, sum(lost.values()) / sum(possible.values()) * 100, sum(lost.values()), 400.0),
    ]


def test_every_measure_carries_the_kommune_number_the_warehouse_was_built_for(fresh_db):
    fresh_db.meta["kommune_code"] = "5001"
    fresh_db.add("raw_units", UNITS)
    fresh_db.add("raw_sick_leave", [{**d, "period": MONTH, "period_type": "month"} for d in DAYS])
    fresh_db.build()
    codes = fresh_db.query("SELECT DISTINCT scope_code FROM measures_sick_leave WHERE scope = 'kommune'")
    assert codes == [("5001",)] and fresh_db.query("SELECT kommune_code()") == [("5001",)]


def test_a_newer_file_for_a_month_replaces_that_month_only_for_the_units_it_lists(fresh_db):
    fresh_db.add("raw_units", UNITS)
    fresh_db.add("raw_sick_leave", [{**d, "period": MONTH, "period_type": "month"} for d in DAYS], sha="old")
    corrected = {**DAYS[0], "possible_days": DAYS[0]["possible_days"] + 10}
    fresh_db.add("raw_sick_leave", [{**corrected, "period": MONTH, "period_type": "month"}], sha="new")
    fresh_db.build()
    rows = fresh_db.query("SELECT unit_id, possible_days, _sha FROM sick_leave ORDER BY unit_id")
    assert rows[0] == ("E1", corrected["possible_days"], "new")
    assert [(u, sha) for u, _, sha in rows[1:]] == [(d["unit_id"], "old") for d in DAYS[1:]]


def test_a_build_without_its_sql_files_stops_instead_of_publishing_raw_tables_alone(fresh_db, monkeypatch, tmp_path):
    monkeypatch.setattr(warehouse, "SQL_DIR", tmp_path)
    with pytest.raises(BmsError, match="Fant ingen SQL-filer"):
        fresh_db.build()

"""The bundled demo installation: loads clean, is labelled, is complete, and reloading it is a no-op."""

from __future__ import annotations

import csv

import pytest
import python_calamine

from dashboard.cli import main
from etl.cli import DEMO_DIR, demo_files
from etl.norsk import parse_period
from etl.spec import load_specs
from tests.helpers import assert_nothing_to_subtract, query, snapshot, units_file


def test_demo_has_files_of_every_kind_in_the_contract():
    with (DEMO_DIR / "manifest.csv").open(encoding="utf-8") as f:
        kinds = {r["kind"] for r in csv.DictReader(f)}
    assert kinds >= {
        "enheter",
        "mål",
        "indikatorverdier",
        "brukerundersøkelse",
        "medarbeiderundersøkelse",
        "regnskap",
        "sykefravær",
        "personal",
        "avvik",
        "vedtak",
        "kostra",
    }
    assert all(p.exists() for p in demo_files())


def test_demo_loads_clean_and_is_labelled_as_demo(demo_dir):
    statuses = query(demo_dir, "SELECT DISTINCT status FROM load_log")
    assert statuses == [("loaded",)]
    origins = dict(query(demo_dir, "SELECT origin, count(*) FROM load_log GROUP BY origin"))
    assert origins["katalog"] == 1 and origins["demo"] == len(demo_files())
    assert query(demo_dir, "SELECT count(*) FROM units") == [(11,)]


def test_every_indicator_has_values_for_the_kommune_and_each_unit_it_applies_to(demo_dir):
    missing = query(demo_dir, "SELECT indicator_id, scope_code FROM scorecard_latest WHERE value IS NULL")
    assert missing == []
    areas = query(demo_dir, "SELECT DISTINCT focus_area FROM scorecard_latest WHERE scope = 'kommune' ORDER BY 1")
    assert areas == [("Ansatte",), ("Brukere",), ("Interne prosesser",), ("Økonomi",)]
    expected = query(demo_dir, "SELECT count(*) FROM indicator_units")[0][0]
    assert query(demo_dir, "SELECT count(*) FROM scorecard_latest WHERE scope = 'enhet'") == [(expected,)]
    assert {s for (s,) in query(demo_dir, "SELECT DISTINCT status FROM scorecard_latest")} == {"green", "yellow", "red"}


def test_demo_keeps_the_survey_result_with_two_answers_off_the_unit_level(demo_dir):
    # the demo's one unit result below the minimum: E22's barnehage survey in 2022 (2 answers). The kommune's
    # 28 answers less E21's 26 would give E22's two, so E21 is held back with it; the kommune's row is kept.
    assert query(demo_dir, "SELECT count(*) FROM indicator_values WHERE scope = 'enhet' AND n < 3") == [(0,)]
    got = query(
        demo_dir,
        "SELECT scope_code FROM indicator_values WHERE indicator_id = 'tilfredshet_barnehage' "
        "AND year(period) = 2022 ORDER BY 1",
    )
    assert got == [("5055",)]
    assert query(demo_dir, "SELECT indicator_id, scope_code, year(period), reason FROM held_back ORDER BY 2") == [
        ("tilfredshet_barnehage", "E21", 2022, "skjult av personvernhensyn"),
        ("tilfredshet_barnehage", "E22", 2022, "for få svar"),
    ]
    assert_nothing_to_subtract(demo_dir)


def test_demo_twice_changes_nothing(demo_copy, capsys):
    before = snapshot(demo_copy)
    version = query(demo_copy, "SELECT value FROM meta WHERE key = 'version'")
    assert main(["demo", "--data-dir", str(demo_copy)]) == 0
    out = capsys.readouterr().out
    assert out.count("uendret") == len(demo_files()) and "Publiserte" not in out
    assert snapshot(demo_copy) == before
    assert query(demo_copy, "SELECT value FROM meta WHERE key = 'version'") == version


def test_demo_is_not_mixed_into_real_data(data_dir, capsys):
    units_file(data_dir / "inbox")
    assert main(["load", "--data-dir", str(data_dir)]) == 0
    assert main(["demo", "--data-dir", str(data_dir)]) == 2
    assert "har allerede egne data" in capsys.readouterr().err


def test_bridges_stand_in_only_for_kinds_without_a_reader():
    readers = set(load_specs())
    for path in demo_files():
        assert "bro_" not in path.name or path.stem.removeprefix("bro_") not in {
            k.replace("ø", "o").replace("æ", "ae").replace("å", "a") for k in readers
        }


# --- the readers of issue 3 against the generator's own computation ------------------------------

_BRIDGED = sorted(
    r["file"]
    for r in csv.DictReader((DEMO_DIR / "manifest.csv").open(encoding="utf-8"))
    if r["bridge_for"] in load_specs()
)


def _bridge_rows(name: str) -> list[tuple]:
    """(indicator, scope_code, period, period_type, value, numerator, denominator, n) of a bridge file."""
    sheet = python_calamine.CalamineWorkbook.from_path(str(DEMO_DIR / name)).get_sheet_by_name("Indikatorverdier")
    rows = []
    for ind, unit, period, value, num, den, n, _ in sheet.to_python()[3:]:
        start, ptype = parse_period(period)
        rows.append((ind, unit or "5055", start, ptype, *(None if v == "" else v for v in (value, num, den, n))))
    return rows


@pytest.mark.parametrize("bridge", _BRIDGED)
def test_values_computed_from_the_demo_files_equal_the_generators_own(demo_dir, bridge):
    """The demo generator computed every indicator of these kinds from its truth (the bridge files); the
    warehouse computes them from the exported files. They agree for the kommune, every unit and period."""
    expected = _bridge_rows(bridge)
    indicators = sorted({r[0] for r in expected})
    got = {
        r[:4]: r[4:]
        for r in query(
            demo_dir,
            "SELECT indicator_id, scope_code, period, period_type, value, numerator, denominator, n "
            "FROM indicator_values WHERE list_contains(?, indicator_id)",
            [indicators],
        )
    }
    differences = []
    for ind, code, period, ptype, *want in expected:
        have = got.pop((ind, code, period, ptype), None)
        if have is None:
            differences.append(("mangler", ind, code, period))
            continue
        for w, h in zip(want, have, strict=True):
            if w is not None and (h is None or abs(round(h, 4) - w) > 1e-6):
                differences.append((ind, code, period, want, have))
                break
    assert differences == []
    # nothing computed for 2021–2025 that the generator left out (a unit held back, a tertial with no deadline)
    assert [k for k in got if k[2].year <= 2025] == []


def test_every_indicator_of_the_internal_sources_covers_2021_to_2025(demo_dir):
    kinds = ("regnskap", "sykefravær", "personal", "brukerundersøkelse", "medarbeiderundersøkelse", "avvik", "vedtak")
    rows = query(
        demo_dir,
        """
        WITH expected AS (
            SELECT indicator_id, (SELECT value FROM meta WHERE key = 'kommune_code') AS scope_code
            FROM indicators WHERE level IN ('kommune', 'begge') AND list_contains(?, source)
            UNION ALL
            SELECT indicator_id, unit_id FROM indicator_units JOIN indicators USING (indicator_id)
            WHERE list_contains(?, source)
        )
        SELECT e.indicator_id, e.scope_code, i.frequency, i.source,
               list(DISTINCT year(v.period) ORDER BY year(v.period)) FILTER (WHERE year(v.period) <= 2025),
               count(DISTINCT v.period) FILTER (WHERE year(v.period) <= 2025)
        FROM expected e
        JOIN indicators i USING (indicator_id)
        LEFT JOIN indicator_values v ON v.indicator_id = e.indicator_id AND v.scope_code = e.scope_code
        GROUP BY ALL
        """,
        [list(kinds), list(kinds)],
    )
    assert len({r[0] for r in rows}) == 20  # every catalogue indicator these kinds feed
    for indicator, scope_code, frequency, source, years, periods in rows:
        if source == "medarbeiderundersøkelse":
            assert years == [2021, 2023, 2025], (indicator, scope_code)
        elif (indicator, scope_code) in (("tilfredshet_barnehage", "E22"), ("tilfredshet_barnehage", "E21")):
            assert years == [2021, 2023, 2024, 2025]  # 2022: E22 had two answers, held back, and E21 with it
        else:
            assert years == [2021, 2022, 2023, 2024, 2025], (indicator, scope_code)
        if frequency == "måned":
            assert periods == 60, (indicator, scope_code)
        if frequency == "tertial" and indicator != "avvik_lukket":  # a tertial may have no avvik with a deadline
            assert periods == 15, (indicator, scope_code)


def test_demo_register_titles_with_markup_or_formulas_are_stored_as_literal_text(demo_dir):
    titles = {t for (t,) in query(demo_dir, "SELECT title FROM decisions WHERE title LIKE '%<%' OR title LIKE '=%'")}
    assert titles == {"Innbyggerforslag om gatelys <script>alert(1)</script>", '=HYPERLINK("http://x","y")'}
    # the avvik register's free-text descriptions are read but never stored
    assert query(demo_dir, "SELECT count(*) FROM information_schema.columns WHERE table_name LIKE '%deviations%' "
                           "AND column_name = 'description'") == [(0,)]  # fmt: skip

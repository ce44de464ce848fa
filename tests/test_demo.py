"""The bundled demo installation: loads clean, is labelled, is complete, and reloading it is a no-op."""

from __future__ import annotations

import csv

from etl.cli import DEMO_DIR, demo_files, main
from etl.spec import load_specs
from tests.helpers import query, snapshot, units_file


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
    # the demo's one unit result below the minimum: E22's barnehage survey in 2022 (2 answers)
    assert query(demo_dir, "SELECT count(*) FROM indicator_values WHERE scope = 'enhet' AND n < 3") == [(0,)]
    got = query(
        demo_dir,
        "SELECT scope_code FROM indicator_values WHERE indicator_id = 'tilfredshet_barnehage' "
        "AND year(period) = 2022 ORDER BY 1",
    )
    assert got == [("5055",), ("E21",)]


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

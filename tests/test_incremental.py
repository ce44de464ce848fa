"""A load builds only what its files touch (the new version starts as a copy of the published one, and every
table whose SQL reads none of the raw tables getting rows, directly or through other relations, is carried
over: the KOSTRA tables when no KOSTRA, Klass or catalogue row is new …), yet the result is the
warehouse a build from scratch gives: the demo files loaded in steps are compared, relation by relation and
row by row, with `bms rebuild` of the same archive built without any copy or carry-over."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

import etl.load
import etl.store.warehouse as warehouse
from etl.cli import demo_files
from etl.load import load
from etl.rebuild import rebuild
from etl.settings import load_settings
from etl.store import per_indicator
from etl.store.warehouse import BUILD_FACTS, build, connect_read_only, published

# what differs between two builds of the same rows: load order, time and version
LOAD_FACTS = {"_seq", "loaded_at", "last_loaded_at", "version", "stored_as", "built_at"}


def exact(value: object) -> object:
    """A value as compared: floating-point numbers to 10 significant digits (a sum's last bits depend on the
    order DuckDB's threads add the rows in, from one build to the next of the very same rows)."""
    if isinstance(value, float):
        return float(f"{value:.10g}")
    if isinstance(value, (list, tuple)):
        return tuple(exact(v) for v in value)
    if isinstance(value, dict):
        return tuple((k, exact(v)) for k, v in value.items())
    return value


def relations(version: Path) -> dict[str, list[str]]:
    """Every table and view of a version, its rows sorted (the load facts left out), as text."""
    con = connect_read_only(version)
    try:
        names = con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT internal AND schema_name = 'main' "
            "UNION SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main'"
        ).fetchall()
        found = {}
        for (name,) in names:
            cols = [c for (c,) in con.execute(f'SELECT column_name FROM (DESCRIBE "{name}")').fetchall()]
            kept = ", ".join(f'"{c}"' for c in cols if c not in LOAD_FACTS)
            where = f" WHERE key NOT IN {BUILD_FACTS}" if name == "meta" else ""
            rows = con.execute(f'SELECT {kept} FROM "{name}"{where}').fetchall()
            found[name] = sorted(repr(exact(row)) for row in rows)
        return found
    finally:
        con.close()


def differences(a: dict[str, list[str]], b: dict[str, list[str]]) -> list[str]:
    """The relations whose rows differ, with a row of each side that the other lacks."""
    found = [f"{name}: only in one" for name in sorted(set(a) ^ set(b))]
    for name in sorted(set(a) & set(b)):
        if a[name] != b[name]:
            only_a = sorted(set(a[name]) - set(b[name]))[:1]
            only_b = sorted(set(b[name]) - set(a[name]))[:1]
            found.append(f"{name}: {len(a[name])} vs {len(b[name])} rows; {only_a} / {only_b}")
    return found


def steps() -> list[list[Path]]:
    """The demo files in four loads: units, one KOSTRA table and Klass; the internal sources; the other
    KOSTRA tables; the targets and manual figures (a load with nothing for KOSTRA, after one with)."""
    files = demo_files()
    kostra = sorted(p for p in files if p.parent.name == "kostra")
    klass = [p for p in files if p.parent.name == "klass"]
    units = [p for p in files if p.parent.name == "enheter"]
    last = [p for p in files if p.parent.name in ("maal", "indikatorverdier")]
    internal = [p for p in files if p not in {*kostra, *klass, *units, *last}]
    return [units + klass + kostra[:1], internal, kostra[1:], last]


@pytest.fixture
def stepwise(data_dir: Path, monkeypatch) -> tuple[Path, list[tuple[bool, set[str]]]]:
    """The demo loaded in steps into `data_dir`; per load, whether it started as a copy and what it carried."""
    return data_dir, load_in_steps(data_dir, monkeypatch, days_apart=False)


@pytest.fixture
def stepwise_days_apart(data_dir: Path, monkeypatch) -> Path:
    """The demo loaded in steps, each load on a day of its own (the last one yesterday)."""
    load_in_steps(data_dir, monkeypatch, days_apart=True)
    return data_dir


def load_in_steps(data_dir: Path, monkeypatch, days_apart: bool) -> list[tuple[bool, set[str]]]:
    seen: list[tuple[bool, set[str]]] = []
    reusable = warehouse._reusable

    def spy(con, changed):
        kept = reusable(con, changed)
        seen.append((True, kept))
        return kept

    monkeypatch.setattr(warehouse, "_reusable", spy)
    settings = load_settings(data_dir)
    loads = steps()
    for k, paths in enumerate(loads):
        if days_apart:
            monkeypatch.setattr(etl.load, "dt", loaded_on(dt.date.today() - dt.timedelta(days=len(loads) - k)))
        summary = load(settings, paths, origin="demo")
        assert not summary.rejected, summary.rejected[0].message
    monkeypatch.setattr(etl.load, "dt", dt)
    return seen


def loaded_on(day: dt.date) -> SimpleNamespace:
    """The `datetime` module as the load sees it, its clock at noon on `day`."""

    class Clock(dt.datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            return dt.datetime.combine(day, dt.time(12), tz)

    return SimpleNamespace(datetime=Clock, date=dt.date, timedelta=dt.timedelta)


def test_a_load_in_steps_gives_every_relation_of_a_rebuild_from_scratch(stepwise, monkeypatch):
    data_dir, seen = stepwise
    # the first load starts empty, the others as copies, each carrying over the tables its files do not touch:
    # the KOSTRA tables unless KOSTRA files come, the accounting table unless an accounting file does, and
    # never a table that reads what every load changes (the indicator values, through the load log)
    kostra = {"municipalities", "measures_kostra", "dashboard_region_names", "dashboard_kostra_sources"}
    internal, more_kostra, last = (kept for _, kept in seen)
    assert kostra <= internal and "accounting" not in internal
    assert not kostra & more_kostra and "accounting" in more_kostra
    assert kostra | {"accounting"} <= last
    assert not {"indicator_values", "scorecard", "held_back"} & (internal | more_kostra | last)
    settings = load_settings(data_dir)
    stepped = published(settings.current)
    assert stepped is not None
    incremental = relations(stepped)
    assert incremental["measures_kostra"] and incremental["kostra_comparison"]
    monkeypatch.setattr(warehouse, "_copy", lambda *_: None)  # from scratch: no copy, nothing carried over
    rebuild(settings)
    scratch = published(settings.current)
    assert scratch is not None and scratch != stepped
    assert differences(incremental, relations(scratch)) == []


def test_a_version_built_without_reuse_has_the_same_relations(stepwise):
    data_dir, _ = stepwise
    settings = load_settings(data_dir)
    before = published(settings.current)
    assert before is not None
    con = connect_read_only(before)
    meta = {k: v for k, v in con.execute("SELECT key, value FROM meta").fetchall() if k not in BUILD_FACTS}
    con.close()
    build(settings.warehouse_dir, settings.current, [], [], meta, previous=before, reuse=False)
    after = Path(os.path.realpath(settings.current))
    assert after != before
    assert differences(relations(before), relations(after)) == []


def test_what_a_load_carries_over_keeps_the_day_its_files_were_first_loaded(stepwise_days_apart):
    """The measures carry the day their files were first loaded (`first_loaded`, warehouse.SETTLED): loads on
    four days, each carrying over the measures of the sources it gave no rows, give every relation a build of
    the same raw store and load log from scratch gives."""
    settings = load_settings(stepwise_days_apart)
    before = published(settings.current)
    assert before is not None
    with duckdb.connect(str(before), read_only=True) as con:
        assert con.execute("SELECT count(DISTINCT loaded_at::DATE) FROM load_log").fetchone() == (4,)
        meta = {k: v for k, v in con.execute("SELECT key, value FROM meta").fetchall() if k not in BUILD_FACTS}
        said = con.execute("SELECT DISTINCT vintage FROM measures_accounting").fetchall()
    day = (dt.date.today() - dt.timedelta(days=3)).strftime("%d.%m.%Y")  # the internal sources: the second load
    assert said == [(f"regnskap lastet {day}",)]
    build(settings.warehouse_dir, settings.current, [], [], meta, previous=before, reuse=False)
    after = Path(os.path.realpath(settings.current))
    assert after != before
    assert differences(relations(before), relations(after)) == []


def test_a_catalogue_edited_since_its_last_load_is_archived_by_the_rebuild_that_loads_it(data_dir):
    """The load log names where each file lies in `archive/`: also the catalogue a rebuild loads because it
    was edited since, which the next rebuild then loads in its turn."""
    settings = load_settings(data_dir)
    load(settings, [next(p for p in demo_files() if p.name == "enheter.xlsx")], origin="demo")
    text = settings.catalogue.read_text(encoding="utf-8-sig")
    settings.catalogue.write_text(text.replace("Netto driftsresultat i %", "Netto driftsresultat, %"), "utf-8")
    _, summaries = rebuild(settings)
    assert [r.status for r in summaries[-1].results] == ["loaded"]  # the edited catalogue, loaded last

    def stored() -> list[tuple[str, str]]:
        with connect_read_only(published(settings.current)) as con:
            return con.execute("SELECT sha256, stored_as FROM load_log WHERE status = 'loaded' ORDER BY 2").fetchall()

    first = stored()
    assert all((data_dir / where).is_file() for _, where in first), first
    assert etl.load.sha256(settings.catalogue) in {sha for sha, _ in first}
    _, summaries = rebuild(settings)  # loads the edited catalogue from the archive, nothing after
    assert not [r for r in summaries[-1].results if r.status == "loaded"]
    assert stored() == first


def test_a_rebuild_keeps_the_day_each_file_was_first_loaded(stepwise_days_apart):
    """`bms rebuild` loads each archived file again as of the load that archived it: a rebuild today of loads
    made on four earlier days says the same days, in the load log and in what the pages show."""
    settings = load_settings(stepwise_days_apart)
    before = published(settings.current)
    assert before is not None

    def first_days(version: Path) -> dict[tuple[str, str], dt.date]:
        with connect_read_only(version) as con:
            rows = con.execute("SELECT file_name, sha256, min(loaded_at)::DATE FROM load_log GROUP BY ALL").fetchall()
        return {(name, sha): day for name, sha, day in rows}

    days = first_days(before)
    assert len(set(days.values())) == 4 and dt.date.today() not in days.values()
    rebuild(settings)
    after = published(settings.current)
    assert after is not None and after != before
    assert first_days(after) == days
    with connect_read_only(after) as con:
        said = con.execute("SELECT DISTINCT vintage FROM measures_accounting").fetchall()
    assert said == [(f"regnskap lastet {dt.date.today() - dt.timedelta(days=3):%d.%m.%Y}",)]
    assert differences(relations(before), relations(after)) == []


def test_a_rebuild_keeps_the_day_ssb_answers_were_first_loaded(data_dir, monkeypatch):
    """An answer in the SSB cache is never archived, so the rebuild takes its first load from the old
    versions' log; when no version is left, from the day it was fetched (the file's time), never the day of
    the first archived load nor the rebuild's."""
    settings = load_settings(data_dir)
    today = dt.date.today()
    monkeypatch.setattr(etl.load, "dt", loaded_on(today - dt.timedelta(days=5)))
    load(settings, [next(p for p in demo_files() if p.name == "enheter.xlsx")], origin="demo")
    answer = settings.kostra_dir / "12134" / "12134.json"  # fetched three days ago, loaded two days ago
    answer.parent.mkdir(parents=True)
    shutil.copy2(next(p for p in demo_files() if p.name == "12134.json"), answer)
    answer.with_name("12134.query.json").write_text("{}", encoding="utf-8")  # complete: its query beside it
    fetched = dt.datetime.combine(today - dt.timedelta(days=3), dt.time(8))
    os.utime(answer, (fetched.timestamp(), fetched.timestamp()))
    monkeypatch.setattr(etl.load, "dt", loaded_on(today - dt.timedelta(days=2)))
    load(settings, [])
    monkeypatch.setattr(etl.load, "dt", dt)

    def days() -> dict[str, dt.date]:
        with connect_read_only(published(settings.current)) as con:
            return dict(con.execute("SELECT file_name, min(loaded_at)::DATE FROM load_log GROUP BY 1").fetchall())

    before = days()
    assert before["12134.json"] == today - dt.timedelta(days=2)
    assert before["enheter.xlsx"] == today - dt.timedelta(days=5)
    rebuild(settings)
    assert days() == before
    for version in settings.warehouse_dir.glob("bms-*.duckdb"):  # no version left to read the log from
        version.unlink()
    rebuild(settings)
    after = days()
    assert after["12134.json"] == fetched.date()  # the day it was fetched
    assert after["enheter.xlsx"] == before["enheter.xlsx"]  # the archive's stamp


def test_loads_within_one_second_are_rebuilt_one_by_one(data_dir, tmp_path, monkeypatch):
    """Each load's files get a time stamp of their own in `archive/`, also when the clock gives two loads the
    same second: a rebuild loads them again load by load, so a corrected file replaces the figure again (as
    one load, the two files would overlap and both be refused)."""
    settings = load_settings(data_dir)
    monkeypatch.setattr(etl.load, "dt", loaded_on(dt.date.today() - dt.timedelta(days=1)))  # a stopped clock
    for name, value in (("tall.csv", "4,4"), ("tall rettet.csv", "4,6"), ("tall rettet igjen.csv", "4,7")):
        path = tmp_path / name
        path.write_text(f"indikator_id;periode;verdi\ntrivsel_skole;2025;{value}\n", encoding="utf-8")
        assert [r.status for r in load(settings, [path]).results if r.name == name] == ["loaded"]
    monkeypatch.setattr(etl.load, "dt", dt)
    stamps = sorted(p.name.split("_")[0] for p in settings.archive.iterdir())
    assert len(set(stamps)) == 3, stamps
    value = "SELECT value FROM manual_values WHERE indicator_id = 'trivsel_skole'"
    with connect_read_only(published(settings.current)) as con:
        assert con.execute(value).fetchall() == [(4.7,)]
    _, summaries = rebuild(settings)
    loaded = [[r.name for r in s.results if r.status == "loaded" and r.name.startswith("tall")] for s in summaries]
    assert [names for names in loaded if names] == [["tall.csv"], ["tall rettet.csv"], ["tall rettet igjen.csv"]]
    with connect_read_only(published(settings.current)) as con:
        assert con.execute(value).fetchall() == [(4.7,)]


def test_an_archive_stamp_ahead_of_the_clock_or_not_a_time_moves_only_the_names(data_dir, tmp_path):
    """A stamp ahead of the clock (an archive from a machine whose clock ran fast) keeps the archive in load
    order without dating the loads after it; a stamp that is no time (given by hand) is passed over."""
    settings = load_settings(data_dir)
    load(settings, [])  # the catalogue
    ahead = dt.datetime.now() + dt.timedelta(days=2)
    for name in (f"{ahead:%Y%m%d-%H%M%S}_fra en annen maskin.txt", "20241331-250000_for hand.txt"):
        (settings.archive / name).write_text("", encoding="utf-8")
    path = tmp_path / "tall.csv"
    path.write_text("indikator_id;periode;verdi\ntrivsel_skole;2025;4,4\n", encoding="utf-8")
    summary = load(settings, [path])
    [result] = [r for r in summary.results if r.name == "tall.csv"]
    assert result.status == "loaded" and result.stored_as is not None
    assert result.stored_as.name > f"{ahead:%Y%m%d-%H%M%S}"  # after the stamp ahead: rebuilt after it
    with connect_read_only(published(settings.current)) as con:
        [(loaded_at,)] = con.execute("SELECT loaded_at FROM load_log WHERE file_name = 'tall.csv'").fetchall()
    assert abs(loaded_at - dt.datetime.now()) < dt.timedelta(minutes=5)  # the clock's time, not the stamp's


def test_a_new_catalogue_or_setting_builds_the_kostra_tables_again(stepwise, monkeypatch):
    data_dir, seen = stepwise
    seen.clear()
    settings = load_settings(data_dir, min_n=7)  # a setting the tables read (through the catalogue)
    load(settings, [])
    assert seen == [(True, set())]  # min_n is read by the catalogue, and so by nearly everything
    with duckdb.connect(str(published(settings.current)), read_only=True) as con:
        assert con.execute("SELECT value FROM meta WHERE key = 'min_n'").fetchone() == ("7",)
    # what the version built with the new setting holds is what a build of its raw store from scratch gives
    # (`bms rebuild` would read the files again, holding back more survey cells with the higher minimum)
    before = published(settings.current)
    with connect_read_only(before) as con:
        meta = {k: v for k, v in con.execute("SELECT key, value FROM meta").fetchall() if k not in BUILD_FACTS}
    build(settings.warehouse_dir, settings.current, [], [], meta, previous=before, reuse=False)
    assert differences(relations(before), relations(published(settings.current))) == []


def test_only_a_whole_version_of_the_same_specs_and_sql_is_copied(data_dir):
    settings = load_settings(data_dir)
    load(settings)
    version = published(settings.current)
    assert version is not None
    with connect_read_only(version) as con:
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    tmp = version.with_name("copy.duckdb.tmp")

    def copied(meta: dict[str, str]) -> bool:
        con = warehouse._copy(version, tmp, meta, None)
        if con is None:
            assert not tmp.exists()  # no copy left behind
            return False
        con.close()
        tmp.unlink()
        return True

    assert copied(meta)
    assert not copied({**meta, "schema": "a-newer-release"})  # an upgrade starts empty
    wal = Path(f"{version}.wal")
    wal.touch()  # rows not yet in the file itself: a byte copy would lose them
    assert not copied(meta)
    wal.unlink()


def test_a_table_is_carried_over_only_when_nothing_it_reads_changed():
    """What a table reads is found in its SQL (comments and strings aside), through views and macros: a
    manual figure reaches the indicator values through manual_values, a units file the accounting table
    through ansvar_units; the accounting table reads neither manual figures nor KOSTRA."""
    manual = warehouse.clean_tables({"raw_manual_values", "load_log"})
    assert {"accounting", "measures_kostra", "municipalities"} <= manual
    assert not {"indicator_values", "held_back", "scorecard"} & manual
    assert "accounting" not in warehouse.clean_tables({"raw_units"})
    assert "measures_kostra" not in warehouse.clean_tables({"raw_indicators"})  # the catalogue picks the cells
    # a source's measures carry the day its files were first loaded (`first_loaded`), which other files'
    # loads do not change: they are carried over unless their own source gets rows
    assert {"measures_accounting", "measures_staff", "measures_deviations"} <= manual
    assert "measures_accounting" not in warehouse.clean_tables({"raw_accounting", "load_log"})
    assert "measures_deviations" not in warehouse.clean_tables({"raw_deviations", "load_log"})


def test_the_load_log_only_grows(data_dir):
    """What `first_loaded` (warehouse.SETTLED) rests on: a load adds lines to the log and never changes or
    drops one, so the day a file was first loaded stays that day."""
    settings = load_settings(data_dir)
    before: list[tuple] = []
    for paths in [*steps(), steps()[1]]:  # the internal sources twice: the second time nothing is new
        load(settings, paths, origin="demo")
        target = published(settings.current)
        assert target is not None
        with duckdb.connect(str(target), read_only=True) as con:
            now = con.execute("SELECT * EXCLUDE (version) FROM load_log ORDER BY ALL").fetchall()
            days = dict(con.execute("SELECT DISTINCT _sha, first_loaded(_sha) FROM raw_accounting").fetchall())
        assert now and set(before) <= set(now)
        assert all(day is not None for day in days.values())
        before = now


def test_a_relation_gathered_or_declared_by_a_spec_counts_as_read():
    """The anonymity cells reach `anonymity_held` through the view a gather line makes from the views the
    specs declare: a survey file must not leave the table of what is held back as it was."""
    assert "anonymity_held" not in warehouse.clean_tables({"raw_user_survey"})
    assert "anonymity_held" not in warehouse.clean_tables({"raw_manual_values"})
    assert "indicator_values" not in warehouse.clean_tables({"raw_sick_leave"})  # through all_measures


def sql_file(tmp_path: Path, monkeypatch, text: str) -> None:
    """The build's SQL is this one file (a test's own)."""
    sql = tmp_path / "sql"
    sql.mkdir()
    (sql / "10_a.sql").write_text(text, encoding="utf-8")
    monkeypatch.setattr(warehouse, "SQL_DIR", sql)


def test_what_reads_the_day_or_is_written_again_after_it_is_made_is_never_carried_over(tmp_path, monkeypatch):
    sql_file(
        tmp_path,
        monkeypatch,
        "CREATE TABLE a AS SELECT * FROM raw_units;\n"
        'CREATE TABLE IF NOT EXISTS main."B" AS SELECT 1 AS x;  -- FROM raw_manual_values (a comment)\n'
        "CREATE TABLE c AS SELECT current_date AS d;\n"
        "CREATE TABLE d AS SELECT 1 AS x;\n"
        "INSERT INTO d SELECT 2;\n"
        "CREATE TABLE e AS SELECT x, 'raw_units' AS said FROM b;\n",
    )
    # the day counts as changed when the copied version was made on another day (`_copy_changed`)
    assert warehouse.clean_tables({"raw_manual_values", warehouse.TODAY}) == {"a", "b", "e"}
    assert warehouse.clean_tables({"raw_units", warehouse.TODAY}) == {"b", "e"}
    assert warehouse.clean_tables({"raw_manual_values"}) == {"a", "b", "c", "e"}


def in_place(monkeypatch, made: dict[str, list[frozenset[str]]] | None = None) -> dict[str, list[frozenset[str]]]:
    """Spy on the tables a build makes again in place (per_indicator.Maker), and for which indicators they are
    asked to; `made` gets those whose rows each made."""
    seen: dict[str, list[frozenset[str]]] = {}
    update = per_indicator.Maker._update

    def spy(self, name, st, ids):
        seen.setdefault(name, []).append(ids)
        result = update(self, name, st, ids)
        if made is not None:
            made.setdefault(name, []).append(result)
        return result

    monkeypatch.setattr(per_indicator.Maker, "_update", spy)
    return seen


def manual_file(folder: Path, name: str, rows: str) -> Path:
    path = folder / name
    path.write_text("indikator_id;enhet;periode;verdi;antall_svar\n" + rows, encoding="utf-8")
    return path


def test_a_small_file_makes_the_scorecard_again_for_its_indicators_alone(stepwise, tmp_path, monkeypatch):
    """A load of one indicator's figures makes the tables after the indicator values (`-- per indicator`)
    again for that indicator only, and the result is what a build from scratch gives: a figure changed, a
    unit's figure added, and then a figure for a KOSTRA indicator (its comparison with the other kommuner)."""
    data_dir, _ = stepwise
    settings = load_settings(data_dir)
    made: dict[str, list[frozenset[str]]] = {}
    seen = in_place(monkeypatch, made)
    loads = [
        manual_file(
            tmp_path,
            "trivsel.csv",
            "trivsel_skole;;2025;4,1;\ntrivsel_skole;E21;2025;3,9;25\ntrivsel_skole;E22;2025;3,2;2\n",
        ),
        manual_file(tmp_path, "dekningsgrad.csv", "dekningsgrad_barnehage;;2026;95,5;\n"),  # a year SSB lacks
    ]
    kostra = ("kostra_comparison", "kostra_benchmark", "kostra_peer_values", "dashboard_kostra_comparison")
    for path, indicator in zip(loads, ("trivsel_skole", "dekningsgrad_barnehage"), strict=True):
        seen.clear()
        made.clear()
        summary = load(settings, [path])
        assert not summary.rejected, summary.rejected[0].message
        assert seen["scorecard"] == made["scorecard"] == [frozenset({indicator})]
        assert seen["kostra_comparison"] == [frozenset({indicator})]
        assert set(seen) >= {"scorecard_latest", "kostra_peer_values", "dashboard_kostra_group"}
        # the KOSTRA tables hold rows only for indicators with KOSTRA figures: made for the one that has them
        # (then, for a load of none, neither what is made from them)
        made_kostra = {name: made.get(name) for name in kostra}
        if indicator == "dekningsgrad_barnehage":
            assert all(m == [frozenset({indicator})] for m in made_kostra.values()), made_kostra
        else:
            assert made_kostra["kostra_comparison"] == [frozenset()], made_kostra
            assert not any(m for name in kostra[1:] for m in made_kostra[name] or []), made_kostra
    stepped = published(settings.current)
    with connect_read_only(stepped) as con:
        assert con.execute(
            "SELECT value FROM scorecard WHERE indicator_id = 'trivsel_skole' AND scope = 'kommune' "
            "AND period = DATE '2025-01-01'"
        ).fetchall() == [(4.1,)]
        assert con.execute(
            "SELECT scope_code, reason FROM held_back WHERE indicator_id = 'trivsel_skole' ORDER BY 1"
        ).fetchall() == [("E21", "skjult av personvernhensyn"), ("E22", "for få svar")]
        assert con.execute(
            "SELECT value FROM kostra_comparison WHERE indicator_id = 'dekningsgrad_barnehage' AND scope = 'kommune' "
            "AND year = 2026"
        ).fetchall() == [(95.5,)]
    incremental = relations(stepped)
    monkeypatch.setattr(warehouse, "_copy", lambda *_: None)
    rebuild(settings)
    assert differences(incremental, relations(published(settings.current))) == []


def test_a_copy_made_on_another_day_makes_what_reads_the_day_whole(stepwise, tmp_path, monkeypatch):
    """Which units an indicator applies to depends on the day (a unit closed yesterday is no longer listed):
    a copy made on another day gives its tables that read the day no say, so they are made whole, and so is
    what reads them, unless a table made again is found unchanged (the configured peers)."""
    data_dir, _ = stepwise
    settings = load_settings(data_dir)
    version = published(settings.current)
    with duckdb.connect(str(version)) as con:  # as if made yesterday
        assert con.execute("SELECT value FROM meta WHERE key = 'day'").fetchone() == (str(dt.date.today()),)
        con.execute("UPDATE meta SET value = ? WHERE key = 'day'", [str(dt.date.today() - dt.timedelta(days=1))])
    seen = in_place(monkeypatch)
    load(settings, [manual_file(tmp_path, "trivsel.csv", "trivsel_skole;;2025;4,1;\n")])
    assert seen["scorecard"] == [frozenset({"trivsel_skole"})]  # reads no day
    assert "scorecard_latest" not in seen  # reads the day through a view (indicator_units)
    assert seen["kostra_comparison"] == [frozenset({"trivsel_skole"})]  # comparison_peers: made again, the same
    incremental = relations(published(settings.current))
    monkeypatch.setattr(warehouse, "_copy", lambda *_: None)
    rebuild(settings)
    assert differences(incremental, relations(published(settings.current))) == []


def test_a_table_made_whole_says_which_indicators_changed(tmp_path):
    """The comparison with the copied version's table: by indicator, any differing value, a row more or
    less, and a differing row of no indicator (then all may have changed)."""
    con = duckdb.connect()
    con.execute("CREATE TABLE _prev_t AS SELECT * FROM (VALUES ('a', 1.0, [1]), ('b', 2.0, [2]), ('c', 3.0, [3])) "
                "v(indicator_id, value, list)")  # fmt: skip
    con.execute("CREATE TABLE t AS SELECT * FROM _prev_t")
    maker = per_indicator.Maker(con, set(), [])
    assert maker._compare("t", "_prev_t", True) == frozenset()
    con.execute("UPDATE t SET list = [2, 2] WHERE indicator_id = 'b'")
    con.execute("INSERT INTO t VALUES ('d', 4.0, NULL)")
    assert maker._compare("t", "_prev_t", True) == frozenset({"b", "d"})
    con.execute("INSERT INTO t SELECT * FROM t WHERE indicator_id = 'a'")  # the same row twice
    assert maker._compare("t", "_prev_t", True) == frozenset({"a", "b", "d"})
    con.execute("INSERT INTO _prev_t VALUES (NULL, 5.0, NULL)")  # rows of no indicator, unchanged
    con.execute("INSERT INTO t VALUES (NULL, 5.0, NULL)")
    assert maker._compare("t", "_prev_t", True) == frozenset({"a", "b", "d"})
    con.execute("UPDATE t SET value = 6.0 WHERE indicator_id IS NULL")
    assert maker._compare("t", "_prev_t", True) is None
    con.close()


def test_a_table_made_whole_beside_the_copys_changes_only_the_indicators_whose_rows_differ():
    """A table kept aside from the copy and made whole again (the indicator values) ends as its query gives
    it, with only the changed indicators' rows written anew, and says which those are; a changed row of no
    indicator makes it whole, saying nothing."""
    con = duckdb.connect()
    con.execute("CREATE TABLE src AS SELECT * FROM (VALUES ('a', 1), ('b', 2), (NULL, 3)) v(indicator_id, x)")
    con.execute("CREATE TABLE t AS SELECT * FROM src")
    st = warehouse.Statement("", "t", "table", frozenset({"src"}), query="SELECT * FROM src;")

    def make(change: str) -> per_indicator.Maker:
        con.execute("ALTER TABLE t RENAME TO _prev_t")  # as `keep_previous` sets the copy's aside
        con.execute(change)
        maker = per_indicator.Maker(con, {"src"}, [st])
        maker.make(st)
        assert sorted(con.execute("SELECT * FROM t").fetchall(), key=str) == sorted(
            con.execute("SELECT * FROM src").fetchall(), key=str
        )
        assert con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name <> 'src'").fetchall() == [("t",)]
        return maker

    assert make("UPDATE src SET x = 12 WHERE indicator_id = 'b'; INSERT INTO src VALUES ('c', 4)").ids == {
        "t": frozenset({"b", "c"})
    }
    assert make("UPDATE src SET x = 30 WHERE indicator_id IS NULL").ids == {}
    con.close()


def test_what_reads_only_tables_found_unchanged_is_kept_from_the_copy():
    """A table made whole again and found unchanged (no indicators: the whole table compared) lets what
    reads it, directly or through a view, be kept as the copy had it; one found changed makes that whole."""
    con = duckdb.connect()
    con.execute("CREATE TABLE src AS SELECT 1 AS x")
    statements = [
        warehouse.Statement("CREATE TABLE u AS SELECT x FROM src;", "u", "table", frozenset({"src"})),
        warehouse.Statement("CREATE VIEW v AS SELECT x FROM u;", "v", "view", frozenset({"u"})),
        warehouse.Statement("CREATE TABLE w AS SELECT x, random() AS r FROM v;", "w", "table", frozenset({"v"})),
    ]
    for st in statements:
        con.execute(st.sql)

    def build() -> float:
        for name in ("u", "w"):
            con.execute(f"ALTER TABLE {name} RENAME TO _prev_{name}")  # as `keep_previous` sets them aside
        maker = per_indicator.Maker(con, {"src", "u", "v", "w"}, statements)
        maker.make(statements[0])
        maker.follow(statements[1])
        maker.make(statements[2])
        maker.finish()
        assert con.execute("SELECT x FROM w").fetchall() == con.execute("SELECT x FROM src").fetchall()
        (r,) = con.execute("SELECT r FROM w").fetchone() or (None,)
        return r

    maker = per_indicator.Maker(con, {"src", "u", "v"}, statements)
    maker.follow(statements[1])
    assert maker.ids == {}  # v reads u, which says nothing yet
    maker.ids["u"] = frozenset()
    maker.follow(statements[1])
    assert maker.ids["v"] == frozenset()
    maker.follow(warehouse.Statement("CREATE OR REPLACE VIEW v AS SELECT x FROM src;", "v", "view", frozenset({"src"})))
    assert "v" not in maker.ids  # made again from what changed
    before = con.execute("SELECT r FROM w").fetchone()
    assert (build(),) == before  # u the same: w kept
    con.execute("UPDATE src SET x = 2")
    assert (build(),) != before  # u changed: w made again
    con.close()


def test_a_failed_update_in_place_leaves_the_table_as_it_was_and_says_why(tmp_path, monkeypatch):
    """The in-place update is one transaction: a failure (here the query's; in a build, running out of memory,
    which `_with_memory` must see to try again without the limit) raises that error, not another."""
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('a', 1), ('b', 2)) v(indicator_id, x)")
    st = warehouse.Statement("", "t", "table", frozenset(), per_indicator=True, query="SELECT * FROM missing;")
    maker = per_indicator.Maker(con, set(), [])
    with pytest.raises(duckdb.CatalogException, match="missing"):
        maker._update("t", st, frozenset({"a"}))
    assert con.execute("SELECT * FROM t ORDER BY 1").fetchall() == [("a", 1), ("b", 2)]
    con.execute("BEGIN")  # no transaction left open
    con.execute("ROLLBACK")

    class FailingCommit:  # the connection, but another writer commits the same key first: the COMMIT fails
        def execute(self, sql, *args):
            if sql == "COMMIT":
                other = con.cursor()
                other.execute("INSERT INTO k VALUES ('a')")
                other.close()
            return con.execute(sql, *args)

    con.execute("CREATE TABLE k (indicator_id VARCHAR PRIMARY KEY)")
    st = warehouse.Statement("", "k", "table", frozenset(), per_indicator=True, query="SELECT 'a' AS indicator_id;")
    maker.con = FailingCommit()  # type: ignore[assignment]
    with pytest.raises(duckdb.TransactionException, match="Failed to commit"):  # not «cannot rollback»
        maker._update("k", st, frozenset({"a"}))
    con.close()


def test_a_table_with_rows_only_for_the_indicators_of_another_is_made_for_those_alone():
    """`-- per indicator, only for the indicators in r`: made again for the changed indicators that have rows
    in r, or rows in the table (then taken away when r has none for them now); for none, nothing is run."""
    con = duckdb.connect()
    con.execute("CREATE TABLE r AS SELECT * FROM (VALUES ('a'), ('c')) v(indicator_id)")
    con.execute("CREATE TABLE src AS SELECT * FROM (VALUES ('a', 1), ('b', 2), ('c', 3)) v(indicator_id, x)")
    query = "SELECT indicator_id, x FROM src WHERE indicator_id IN (SELECT indicator_id FROM r);"
    con.execute(f"CREATE TABLE t AS {query}")
    st = warehouse.Statement("", "t", "table", frozenset({"src", "r"}), per_indicator=True, only_in="r", query=query)
    maker = per_indicator.Maker(con, {"src", "r"}, [st])
    con.execute("UPDATE src SET x = 20 WHERE indicator_id = 'b'")  # no rows in r: none in t before or after
    assert maker._update("t", st, frozenset({"b"})) == frozenset()
    con.execute("UPDATE src SET x = 10 WHERE indicator_id = 'a'")
    con.execute("DELETE FROM r WHERE indicator_id = 'c'")  # c's rows must go
    assert maker._update("t", st, frozenset({"a", "b", "c"})) == frozenset({"a", "c"})
    assert con.execute("SELECT * FROM t ORDER BY 1").fetchall() == con.execute(query.rstrip(";")).fetchall()
    assert con.execute("SELECT * FROM t").fetchall() == [("a", 10)]
    wrong = dataclasses.replace(st, only_in="no_such_relation")  # limits nothing: made for every changed one
    assert maker._update("t", wrong, frozenset({"b"})) == frozenset({"b"})
    con.close()


def test_a_per_indicator_line_may_name_the_relation_the_table_is_limited_to():
    made = "-- per indicator{}\nCREATE TABLE t AS SELECT 'a' AS indicator_id;\n"
    parse = functools.partial(warehouse._statements, declared_items=(), store=frozenset())
    assert [(s.per_indicator, s.only_in) for s in parse((made.format(""),))] == [(True, None)]
    (st,) = parse((made.format(", only for the indicators in R"),))
    assert st.per_indicator and st.only_in == "r"
    (st,) = parse((made.format(", only for indicators of r"),))  # misspelt: made for every changed indicator
    assert st.per_indicator and st.only_in is None


def test_every_table_limited_to_the_indicators_of_another_has_rows_only_for_those(stepwise):
    """What `only for the indicators in` declares holds on the demo, whose KOSTRA and other indicators
    both have figures: the relation it names is made before the table and has rows for each of its
    indicators."""
    data_dir, _ = stepwise
    statements = warehouse.statements()
    order = [st.creates for st in statements]
    limited = [st for st in statements if st.only_in]
    assert {st.creates for st in limited} >= {"kostra_comparison", "kostra_peer_values"}
    with connect_read_only(published(load_settings(data_dir).current)) as con:
        for st in limited:
            assert order.index(st.only_in) < order.index(st.creates), st.creates
            assert con.execute(f"SELECT count(DISTINCT indicator_id) FROM {st.creates}").fetchone()[0] > 0
            stray = f"SELECT DISTINCT indicator_id FROM {st.creates} EXCEPT SELECT indicator_id FROM {st.only_in}"
            assert con.execute(stray).fetchall() == [], st.creates


def test_every_table_marked_per_indicator_is_made_per_indicator(stepwise):
    """What `-- per indicator` declares, on the demo: each marked table made again in place for a few
    indicators (some with KOSTRA figures, some without) has exactly the rows the whole table had for them."""
    data_dir, _ = stepwise
    version = published(load_settings(data_dir).current)
    con = duckdb.connect(str(version))  # a throwaway: the test's own data folder
    statements = warehouse.statements()
    maker = per_indicator.Maker(con, set(), statements)
    picks = [
        frozenset({"dekningsgrad_barnehage"}),
        frozenset({"trivsel_skole", "netto_driftsresultat", "sykefravaer"}),
        frozenset(i for (i,) in con.execute("SELECT indicator_id FROM indicators").fetchall()[::3]),
    ]
    marked = [st for st in statements if st.per_indicator]
    assert {st.creates for st in marked} >= {"scorecard", "scorecard_latest", "kostra_comparison"}
    for st in marked:
        for ids in picks:
            listed = ", ".join(f"'{i}'" for i in ids)
            whole = f"SELECT * FROM {st.creates} WHERE indicator_id IN ({listed})"
            before = sorted(map(repr, map(exact, con.execute(whole).fetchall())))
            assert before or st.creates.startswith(("kostra", "dashboard_kostra")), st.creates
            maker._update(st.creates or "", st, ids)
            assert sorted(map(repr, map(exact, con.execute(whole).fetchall()))) == before, (st.creates, ids)
    con.close()


def test_only_tables_the_sql_makes_are_kept_aside(tmp_path, monkeypatch):
    assert not per_indicator.wanted(warehouse.statements(), set()) & warehouse._store_tables()
    sql_file(
        tmp_path,
        monkeypatch,
        "CREATE TABLE a AS SELECT indicator_id FROM raw_targets;\n"
        "-- per indicator\nCREATE TABLE b AS SELECT t.indicator_id FROM raw_targets t JOIN a USING (indicator_id);\n",
    )
    assert per_indicator.wanted(warehouse.statements(), set()) == {"a", "b"}  # never the raw table it reads
    assert per_indicator.wanted(warehouse.statements(), {"raw_targets"}) == set()  # made whole: they read it


def test_a_version_made_across_midnight_does_not_say_its_day(data_dir, monkeypatch):
    """The day a version's tables that read the day were made on (`day`) is written only when the load ran on
    one day, the day it judged what to carry over by: else the next load makes them all again."""
    settings = load_settings(data_dir)
    load(settings, [])
    derive = warehouse._derive
    monkeypatch.setattr(warehouse, "_derive", lambda tmp, stored, limit, **given: derive(
        tmp, dataclasses.replace(stored, day="2000-01-01"), limit, **given))  # fmt: skip
    load(settings, [manual_file(data_dir, "trivsel.csv", "trivsel_skole;;2025;4,1;\n")])
    with connect_read_only(published(settings.current)) as con:
        assert con.execute("SELECT count(*) FROM meta WHERE key = 'day'").fetchone() == (0,)
    monkeypatch.setattr(warehouse, "_derive", derive)
    seen = in_place(monkeypatch)
    load(settings, [manual_file(data_dir, "trivsel2.csv", "trivsel_skole;;2025;4,2;\n")])
    assert "scorecard_latest" not in seen  # reads the day, which this version does not vouch for


def test_a_statement_says_it_is_made_per_indicator_before_its_create(tmp_path, monkeypatch):
    sql_file(
        tmp_path,
        monkeypatch,
        "-- The first table.\n-- per indicator: each indicator's rows from its own\nCREATE TABLE a AS\n"
        "SELECT indicator_id FROM indicators;\n"
        "-- not per indicator\nCREATE TABLE b AS SELECT 1 AS x;\n"
        "CREATE TABLE c AS WITH w AS (SELECT 1 AS x) SELECT x AS indicator_id FROM w; -- per indicator\n"
        "CREATE TABLE d AS SELECT 2 AS indicator_id; -- per indicator\n",
    )
    found = {st.creates: (st.per_indicator, st.query) for st in warehouse.statements()}
    assert found["a"] == (True, "SELECT indicator_id FROM indicators;")
    assert found["b"] == (False, "SELECT 1 AS x;")
    assert found["c"][0] is False  # a comment after a statement is not before it (nor before the next)
    assert found["d"][0] is False
    assert (found["c"][1] or "").startswith("WITH w AS (SELECT 1 AS x) SELECT x AS indicator_id FROM w;")


def test_the_cell_ssb_updated_last_is_in_force_whatever_was_loaded_last():
    """Spec `newest_by` (KOSTRA: SSB's `updated`): an older answer loaded after a newer one does not replace
    its cells; a kind without it keeps the later load (the manual figures)."""
    from tests.helpers import FreshWarehouse

    db = FreshWarehouse()
    cell = {"table_id": "12134", "contents_code": "KOSAGD230000", "region_code": "5055", "time_code": "2025",
            "dims_key": ""}  # fmt: skip
    db.add("raw_kostra", [{**cell, "value": 41.0, "updated": "2026-06-15T08:00:00Z"}])
    db.add("raw_kostra", [{**cell, "value": 40.0, "updated": "2026-03-15T08:00:00Z"}])  # loaded later, older
    manual = {"indicator_id": "trygghet", "unit_id": None, "period": dt.date(2025, 1, 1), "period_type": "year"}
    db.add("raw_manual_values", [{**manual, "value": 3.0}])
    db.add("raw_manual_values", [{**manual, "value": 4.0}])
    warehouse._keep_in_force(db.con)
    assert db.query("SELECT value FROM raw_kostra") == [(41.0,)]
    assert db.query("SELECT value FROM raw_manual_values") == [(4.0,)]
    db.con.close()

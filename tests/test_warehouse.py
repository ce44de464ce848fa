"""Versioned, atomically published warehouses: readers follow new versions, old ones are pruned, and a load
killed at any point leaves the published warehouse and the inbox exactly as they were."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from etl.load import load
from etl.settings import load_settings
from etl.store.warehouse import SQL_DIR, WarehouseReader, split_statements, versions
from tests.helpers import catalogue_size, snapshot, units_file, write_csv, write_xlsx

HEADER = ["indikator_id", "enhet_id", "periode", "verdi"]


def drop_values(data_dir: Path, name: str, year: int, value: float = 40.0) -> Path:
    return write_xlsx(data_dir / "inbox" / name, {"Ark1": [HEADER, ["grunnskolepoeng", "", year, value]]})


@pytest.mark.parametrize(
    "text",
    [
        *(p.read_text(encoding="utf-8") for p in sorted(SQL_DIR.glob("*.sql"))),
        "-- before\nCREATE TABLE x AS SELECT 1; -- after it\n-- before the next\nCREATE VIEW y AS SELECT 2;\n\n",
        "SELECT 'it''s; here' AS \"a;\"\"b\"; SELECT $$x;y$$; SELECT $t$;$t$ -- c;\n; SELECT 1 /* ; */",
        "SELECT 1; /* only a comment ; */ \n-- and another;\n",
        "SELECT 1;; SELECT 2; ; -- c\n; SELECT 3",
        "; -- nothing\n ; SELECT 1;",
        "/* x; */ /* y; */SELECT 1/* z; */;",
        "SELECT E'a\\'; b' AS x, e'\\\\'';' AS y; SELECT 'e\\'; SELECT 2;",
        "SELECT 1 /* a /* b */ ; */; SELECT 2; /* c */ /* d ; */",
        "SELECT 1",
        "",
    ],
)
def test_the_sql_files_split_into_statements_as_duckdb_splits_them(text):
    """The build splits its SQL by hand (not starting DuckDB for it): every file, and what could trip it, a
    `;` in a comment (nested too), a text, an escape text, a quoted name or a dollar-quoted text, and empty
    statements, gives DuckDB's own statements."""
    with duckdb.connect() as con:
        assert split_statements(text) == [st.query for st in con.extract_statements(text)]


def test_each_load_publishes_a_new_version_and_prunes_old_ones(data_dir):
    settings = load_settings(data_dir, keep_versions=2)
    assert load(settings).version == 1  # the catalogue
    for i, year in enumerate((2021, 2022, 2023), start=2):
        drop_values(data_dir, f"v{year}.xlsx", year)
        assert load(settings).version == i
    current = data_dir / "warehouse" / "current.duckdb"
    assert current.is_symlink() and os.readlink(current) == "bms-000004.duckdb"
    assert [n for n, _ in versions(data_dir / "warehouse")] == [3, 4]
    con = duckdb.connect(str(current), read_only=True)
    assert con.execute("SELECT count(*) FROM manual_values").fetchone() == (3,)
    assert con.execute("SELECT value FROM meta WHERE key = 'version'").fetchone() == ("4",)


def test_reader_follows_new_versions_and_old_cursors_keep_working(data_dir):
    settings = load_settings(data_dir, keep_versions=1)
    reader = WarehouseReader(settings.current, check_every=0)
    assert reader.cursor() is None  # nothing published yet
    load(settings)
    old = reader.cursor()
    assert old.execute("SELECT count(*) FROM indicators").fetchone() == (catalogue_size(),)
    drop_values(data_dir, "v.xlsx", 2024)
    load(settings)
    assert reader.df("SELECT count(*) AS n FROM manual_values")["n"].tolist() == [1]
    # the old version file is pruned (keep_versions=1), yet a cursor opened on it still answers
    assert len(versions(data_dir / "warehouse")) == 1
    assert old.execute("SELECT count(*) FROM manual_values").fetchone() == (0,)


def test_a_warehouse_is_a_plain_duckdb_file_a_notebook_can_open(data_dir):
    load(load_settings(data_dir))
    con = duckdb.connect(str(data_dir / "warehouse" / "current.duckdb"), read_only=True)
    names = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() UNION SELECT view_name FROM duckdb_views()"
        ).fetchall()
    }
    assert {"units", "indicators", "targets", "manual_values", "indicator_values", "scorecard", "load_log"} <= names


def _big_values_file(data_dir: Path) -> Path:
    rows = [
        ["sykefravaer", unit, f"{year}-{month:02d}", f"{(year * month) % 97 / 10:.1f}".replace(".", ",")]
        for year in range(1950, 2100)
        for month in range(1, 13)
        for unit in ("E21", "E31", "E41")
    ]
    # exact repeats are harmless duplicates, so the file is valid; it is only big enough to take a while
    return write_csv(data_dir / "inbox" / "mange_tall.csv", [HEADER] + rows * 20, encoding="cp1252")


def _freeze(proc: subprocess.Popen) -> None:
    """Stop a process and wait until the kernel says it is stopped (state T in /proc)."""
    proc.send_signal(signal.SIGSTOP)
    stat = Path(f"/proc/{proc.pid}/stat")
    for _ in range(1000):
        if not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] in ("T", "t", "Z"):
            return
        time.sleep(0.001)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("when", ["while reading", "while building"])
def test_a_killed_load_leaves_warehouse_and_inbox_as_they_were(data_dir, when):
    units_file(data_dir / "inbox")
    assert not load(load_settings(data_dir)).rejected
    before, published = snapshot(data_dir), os.readlink(data_dir / "warehouse" / "current.duckdb")
    big = _big_values_file(data_dir)
    digest = _sha(big)
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "load", "--data-dir", str(data_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Freeze the load in small steps and look at it while it is frozen, so the kill lands in the phase
    # asked for however busy the machine is (no race between looking and killing).
    building = False
    deadline = time.monotonic() + 120
    time.sleep(1.0)
    while time.monotonic() < deadline:
        _freeze(proc)
        assert proc.poll() is None, "the load finished before it could be killed"
        building = bool(list((data_dir / "warehouse").glob("*.tmp")))
        if when == "while reading" or building:
            break
        proc.send_signal(signal.SIGCONT)
        time.sleep(0.005)
    assert building == (when == "while building")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert os.readlink(data_dir / "warehouse" / "current.duckdb") == published
    assert snapshot(data_dir) == before
    assert big.exists() and _sha(big) == digest, "the inbox file must be untouched"
    assert list((data_dir / "archive").glob("*mange_tall*")) == []
    # the next load finishes the job and cleans up what the killed one left
    summary = load(load_settings(data_dir))
    assert [r.status for r in summary.results] == ["loaded"]
    assert not list((data_dir / "warehouse").glob("*.tmp*"))


def test_new_software_rebuilds_the_warehouse_without_new_files(data_dir, monkeypatch):
    settings = load_settings(data_dir)
    assert load(settings).version == 1
    assert load(settings).version is None  # nothing new: nothing built
    # what an upgrade changes: the specs and SQL the warehouse is built with
    monkeypatch.setattr("etl.load.schema_fingerprint", lambda: "a-newer-release")
    summary = load(settings)
    assert summary.version == 2 and summary.results == []
    assert load(settings).version is None


def test_the_new_rows_frames_are_freed_before_the_relations_are_built(data_dir, monkeypatch):
    """A load's frames (80 MB for a national KOSTRA load) are let go once their rows are in the raw store, so
    the build's DuckDB memory does not come on top of them."""
    import gc
    import weakref

    import etl.store.warehouse as warehouse

    frames: list[weakref.ref] = []
    alive_at_derive: list[int] = []
    insert, derive = warehouse._insert, warehouse._derive

    def spy_insert(con, rows, seq):
        frames.append(weakref.ref(rows.frame))
        return insert(con, rows, seq)

    def spy_derive(*args, **kwargs):
        gc.collect()
        alive_at_derive.append(sum(ref() is not None for ref in frames))
        return derive(*args, **kwargs)

    monkeypatch.setattr(warehouse, "_insert", spy_insert)
    monkeypatch.setattr(warehouse, "_derive", spy_derive)
    settings = load_settings(data_dir)
    drop_values(data_dir, "tall.xlsx", 2024, 41.5)
    summary = load(settings)
    assert not summary.rejected and summary.version == 1
    assert len(frames) >= 2 and alive_at_derive == [0]  # the catalogue's rows and the figures'
    with duckdb.connect(str(settings.current), read_only=True) as con:
        assert con.execute("SELECT value FROM manual_values").fetchall() == [(41.5,)]


def test_a_build_that_outgrows_its_memory_limit_is_made_again_without_one(data_dir, monkeypatch):
    """A build keeps DuckDB to a memory limit and spills beside the file; a step that cannot spill runs out
    of memory, and that step is made again without the limit: the relations from the raw store already
    written (the new rows' frames are gone by then). The load succeeds, leaving no half-built file or spill
    folder behind."""
    import etl.store.warehouse as warehouse

    steps: list[tuple[str, str | None]] = []

    def spy(name):
        step = getattr(warehouse, name)

        def run(*args, **kwargs):
            steps.append((name, args[-1]))  # the step and its memory limit
            return step(*args, **kwargs)

        return run

    for name in ("_store", "_derive"):
        monkeypatch.setattr(warehouse, name, spy(name))
    monkeypatch.setattr(warehouse, "BUILD_MEMORY_LIMIT", "1MB")  # too little for building the catalogue's tables
    settings = load_settings(data_dir)
    drop_values(data_dir, "tall.xlsx", 2024, 41.5)
    summary = load(settings)
    assert not summary.rejected and summary.version == 1
    # both steps ran out at 1 MB and were made again without a limit, the relations after the raw store
    assert steps == [("_store", "1MB"), ("_store", None), ("_derive", "1MB"), ("_derive", None)]
    with duckdb.connect(str(settings.current), read_only=True) as con:
        assert con.execute("SELECT value FROM manual_values").fetchall() == [(41.5,)]
    assert sorted(p.name for p in (data_dir / "warehouse").iterdir()) == [
        ".load.lock",
        "bms-000001.duckdb",
        "current.duckdb",
    ]

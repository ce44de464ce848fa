"""`bms load`, `bms status` and `bms rebuild` under faults, through the CLI on real data folders: links, names too
long, files put back, two files for one scope, a damaged or missing newest version, an apostrophe in the path,
a full disk and a data folder in the wrong shape. Every failure is one Norwegian line saying what to do."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from dashboard.cli import main as bms
from tests.helpers import query, snapshot, units_file, write_csv

BMS = str(Path(sys.executable).with_name("bms"))
HEADER = ["indikator_id", "enhet_id", "periode", "verdi", "kommentar"]


def run(capsys, *args: str) -> tuple[int, str]:
    """`bms …` in-process: the exit code and what it printed (stdout and stderr)."""
    code = bms(list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


def values(folder: Path, name: str, value: str, comment: str = "", periods=("2025",)) -> Path:
    rows = [HEADER] + [["grunnskolepoeng", "E31", p, value, comment] for p in periods]
    return write_csv(folder / name, rows)


def version(data_dir: Path) -> tuple[str, str]:
    """The published version's number and the file current.duckdb points at."""
    [(number,)] = query(data_dir, "SELECT value FROM meta WHERE key = 'version'")
    return number, os.readlink(data_dir / "warehouse" / "current.duckdb")


def grunnskolepoeng(data_dir: Path) -> list[tuple]:
    return query(data_dir, "SELECT period, value FROM manual_values WHERE indicator_id = 'grunnskolepoeng' ORDER BY 1")


def test_a_link_in_the_inbox_is_refused_once_without_reading_its_target(dd, capsys, tmp_path):
    secret = values(tmp_path / "utenfor", "hemmelig.csv", "12")
    (dd / "inbox" / "lenke.csv").symlink_to(secret)
    before = version(dd)
    code, out = run(capsys, "load", "--data-dir", str(dd))
    assert code == 1 and "AVVIST   lenke.csv" in out and "snarvei" in out
    assert grunnskolepoeng(dd) == [], "the target is never loaded"
    assert version(dd) == before, "nothing loaded: nothing published"
    secret_bytes = secret.read_bytes()
    stored = [p for p in (dd / "rejected").rglob("*") if p.is_file() and not p.is_symlink()]
    assert all(p.read_bytes() != secret_bytes for p in stored), "the target is never copied"
    assert not (dd / "inbox" / "lenke.csv").is_symlink()
    code, out = run(capsys, "load", "--data-dir", str(dd))
    assert code == 0 and "Ingen nye filer" in out and version(dd) == before


def test_nothing_loaded_publishes_nothing(dd, capsys):
    before = version(dd)
    write_csv(dd / "inbox" / "feil.csv", [["hei", "hallo"], ["1", "2"]])
    code, out = run(capsys, "load", "--data-dir", str(dd))
    assert code == 1 and "AVVIST" in out and "Publiserte" not in out
    assert version(dd) == before
    loaded = next((dd / "archive").glob("*_enheter.xlsx"))
    (dd / "inbox" / "kopi.xlsx").write_bytes(loaded.read_bytes())  # the same content as loaded: unchanged
    code, out = run(capsys, "load", "--data-dir", str(dd))
    assert code == 0 and "uendret" in out and version(dd) == before


@pytest.mark.parametrize("name", ["riktig.csv", "riktig igjen.csv"])
def test_putting_the_right_file_back_applies_it_again(dd, capsys, tmp_path, name):
    right = values(tmp_path, "riktig.csv", "40", periods=("2024", "2025"))
    (dd / "inbox" / "riktig.csv").write_bytes(right.read_bytes())
    assert run(capsys, "load", "--data-dir", str(dd))[0] == 0
    good = grunnskolepoeng(dd)
    values(dd / "inbox", "feil.csv", "99", periods=("2025",))
    assert run(capsys, "load", "--data-dir", str(dd))[0] == 0
    assert [v for _, v in grunnskolepoeng(dd)] == [40.0, 99.0]
    (dd / "inbox" / name).write_bytes(right.read_bytes())
    code, out = run(capsys, "load", "--data-dir", str(dd))
    assert code == 0 and f"lastet   {name}" in out, out
    assert grunnskolepoeng(dd) == good


def test_two_files_for_one_scope_in_one_load_are_refused_as_a_pair(dd, capsys):
    values(dd / "inbox", "a.csv", "40")
    values(dd / "inbox", "b.csv", "41")
    values(dd / "inbox", "c.csv", "42", periods=("2023",))  # another scope: loads
    code, out = run(capsys, "load", "--data-dir", str(dd))
    assert code == 1
    assert "AVVIST   a.csv" in out and "AVVIST   b.csv" in out and "lastet   c.csv" in out
    report = next((dd / "rejected").glob("*_a.csv.feil.txt")).read_text(encoding="utf-8")
    assert "b.csv" in report
    assert [v for _, v in grunnskolepoeng(dd)] == [42.0]


def test_the_same_content_twice_in_one_load_is_no_conflict(dd, capsys):
    values(dd / "inbox", "a.csv", "40")
    values(dd / "inbox", "a (kopi).csv", "40")
    code, out = run(capsys, "load", "--data-dir", str(dd))
    assert code == 0 and "AVVIST" not in out
    assert [v for _, v in grunnskolepoeng(dd)] == [40.0]


def test_an_apostrophe_in_the_data_folder_path(tmp_path, capsys):
    data_dir = tmp_path / "Kari's mappe" / "data"
    assert run(capsys, "init", "--data-dir", str(data_dir))[0] == 0
    units_file(data_dir / "inbox")
    assert run(capsys, "load", "--data-dir", str(data_dir))[0] == 0
    values(data_dir / "inbox", "v.csv", "40")
    code, out = run(capsys, "load", "--data-dir", str(data_dir))
    assert code == 0, out
    assert grunnskolepoeng(data_dir)[0][1] == 40.0
    assert run(capsys, "rebuild", "--data-dir", str(data_dir))[0] == 0
    assert grunnskolepoeng(data_dir)[0][1] == 40.0


def test_the_raw_store_keeps_only_what_is_in_force(dd, capsys):
    periods = [f"2025-{m:02d}" for m in range(1, 13)]
    for i in range(4):  # four re-exports of the same figures, each a little different
        values(dd / "inbox", f"eksport{i}.csv", "40", comment=f"eksport {i}", periods=periods)
        assert run(capsys, "load", "--data-dir", str(dd))[0] == 0
    live = query(dd, "SELECT count(*) FROM manual_values")[0][0]
    assert live == 12
    assert query(dd, "SELECT count(*) FROM raw_manual_values") == [(live,)]
    assert query(dd, "SELECT DISTINCT comment FROM manual_values") == [("eksport 3",)]


def test_a_name_too_long_for_the_archive_never_blocks_the_batch(dd, capsys):
    long_name = "å" * 120 + ".csv"  # 244 bytes: within the file system's limit, but not with the archive's prefix
    values(dd / "inbox", long_name, "40")
    write_csv(dd / "inbox" / "annet.csv", [HEADER, ["grunnskolepoeng", "E31", "2023", "38", ""]])
    code, out = run(capsys, "load", "--data-dir", str(dd))
    assert code == 0, out
    assert [v for _, v in grunnskolepoeng(dd)] == [38.0, 40.0]
    assert list((dd / "inbox").iterdir()) == []
    archived = sorted(p.name for p in (dd / "archive").iterdir())
    assert any(n.endswith("_annet.csv") for n in archived)
    assert all(len(n.encode()) <= 255 for n in archived) and any(n.endswith(".csv") and "åå" in n for n in archived)
    assert run(capsys, "load", "--data-dir", str(dd))[0] == 0


def _corrupt(version: Path, table: str) -> None:
    """Bytes of a block holding `table` overwritten, as a failing disk or a bad copy leaves them: the file
    opens, and DuckDB finds the block's checksum wrong only when it reads that block."""
    with duckdb.connect(str(version), read_only=True) as con:
        [(size,)] = con.execute("SELECT block_size FROM pragma_database_size()").fetchall()
        [(block,)] = con.execute(
            f"SELECT min(block_id) FROM pragma_storage_info('{table}') WHERE block_id >= 0"
        ).fetchall()
    with version.open("r+b") as f:
        f.seek(3 * 4096 + block * size + 64)  # past the file's three headers and the block's own checksum
        f.write(b"\xff" * 256)


def _damage(dd: Path, capsys, how: str) -> dict:
    """Two loads on top of the units; then the newest version is truncated, deleted or has a block of its
    units overwritten. The snapshot of the warehouse before the damage."""
    values(dd / "inbox", "v1.csv", "40", periods=("2024",))
    run(capsys, "load", "--data-dir", str(dd))
    values(dd / "inbox", "v2.csv", "41", periods=("2025",))
    run(capsys, "load", "--data-dir", str(dd))
    before = snapshot(dd)
    newest = (dd / "warehouse").joinpath(os.readlink(dd / "warehouse" / "current.duckdb"))
    if how == "truncated":
        with newest.open("r+b") as f:
            f.truncate(newest.stat().st_size // 3)
    elif how == "corrupted":
        _corrupt(newest, "raw_units")
    else:
        newest.unlink()
    return before


@pytest.mark.parametrize("how", ["truncated", "deleted", "corrupted"])
def test_a_damaged_newest_version_falls_back_and_rebuild_restores_it(dd, capsys, how):
    before = _damage(dd, capsys, how)
    code, out = run(capsys, "status", "--data-dir", str(dd))
    assert code == 0 and "bms rebuild" in out and "Uventet" not in out, out
    # the dashboard shows the newest version that opens
    from dashboard.app import create_app
    from tests.helpers import app_client

    client = app_client(create_app(dd))
    layout = client.get("/_dash-layout")
    assert layout.status_code == 200 and "versjon 2" in layout.get_data(as_text=True)
    # a load builds on the newest readable version (never from nothing) and says so
    write_csv(dd / "inbox" / "nytt.csv", [HEADER, ["grunnskolepoeng", "E31", "2023", "39", ""]])
    code, out = run(capsys, "load", "--data-dir", str(dd))
    assert code == 0 and "bms rebuild" in out, out
    # under a number never used before, so the running dashboard (its reader and cache) takes it up
    assert os.readlink(dd / "warehouse" / "current.duckdb") == "bms-000004.duckdb"
    time.sleep(0.6)  # the reader looks for a new version every half second
    assert "versjon 4" in client.get("/_dash-layout").get_data(as_text=True)
    assert query(dd, "SELECT count(*) FROM units") == [(3,)]
    assert [v for _, v in grunnskolepoeng(dd)] == [39.0, 40.0]
    # rebuild from archive/, in load order: everything is back, with the newest file on top
    code, out = run(capsys, "rebuild", "--data-dir", str(dd))
    assert code == 0, out
    assert os.readlink(dd / "warehouse" / "current.duckdb") == "bms-000005.duckdb"  # a new number, too
    assert [v for _, v in grunnskolepoeng(dd)] == [39.0, 40.0, 41.0]
    after = snapshot(dd)
    assert after["units"] == before["units"] and after["indicators"] == before["indicators"]
    code, out = run(capsys, "status", "--data-dir", str(dd))
    assert "bms rebuild" not in out


def test_a_block_not_as_written_is_found_by_the_load_that_reads_it(dd, capsys):
    """No `bms status` first: the load that reads the damaged block marks the version damaged, loads again on
    the newest version that opens and says so; a version no load can read leaves nothing half-published."""
    _damage(dd, capsys, "corrupted")
    write_csv(dd / "inbox" / "nytt.csv", [HEADER, ["grunnskolepoeng", "E31", "2023", "39", ""]])
    code, out = run(capsys, "load", "--data-dir", str(dd))
    assert code == 0 and "er skadet" in out and "bms rebuild" in out and "uventet" not in out, out
    assert (dd / "warehouse" / "bms-000003.duckdb.skadet").exists()
    assert os.readlink(dd / "warehouse" / "current.duckdb") == "bms-000004.duckdb"  # built on version 2
    assert [v for _, v in grunnskolepoeng(dd)] == [39.0, 40.0]
    code, out = run(capsys, "rebuild", "--data-dir", str(dd))
    assert code == 0, out
    assert [v for _, v in grunnskolepoeng(dd)] == [39.0, 40.0, 41.0]


def test_every_version_damaged_refuses_the_load_and_keeps_its_files(dd, capsys):
    """A load never publishes a warehouse of only its own files: with no version left that opens, it says so
    and leaves the files in the inbox for after `bms rebuild`."""
    _damage(dd, capsys, "corrupted")
    for version in (dd / "warehouse").glob("bms-*.duckdb"):
        if version.name != os.readlink(dd / "warehouse" / "current.duckdb"):
            _corrupt(version, "raw_units")
    code, out = run(capsys, "status", "--data-dir", str(dd))
    assert "bms rebuild" in out and "Kjør «bms load»" not in out, out  # a load would refuse now
    write_csv(dd / "inbox" / "nytt.csv", [HEADER, ["grunnskolepoeng", "E31", "2023", "39", ""]])
    code, out = run(capsys, "load", "--data-dir", str(dd))
    assert code == 2 and "ingen eldre versjon kan leses" in out and "bms rebuild" in out, out
    from dashboard.data_page_view import load_upload  # the Data page's upload says it waits, not «Avvist»
    from etl.settings import load_settings

    assert load_upload(load_settings(dd), dd / "inbox" / "nytt.csv").status == "deferred"
    assert (dd / "inbox" / "nytt.csv").exists() and os.readlink(
        dd / "warehouse" / "current.duckdb"
    ) == "bms-000003.duckdb"
    code, out = run(capsys, "rebuild", "--data-dir", str(dd))
    assert code == 0, out
    code, out = run(capsys, "load", "--data-dir", str(dd))
    assert code == 0 and "bms rebuild" not in out, out
    assert [v for _, v in grunnskolepoeng(dd)] == [39.0, 40.0, 41.0]


def test_the_dashboard_passes_over_a_version_found_damaged_while_it_reads_it(dd, capsys):
    from etl.store.warehouse import WarehouseReader

    _damage(dd, capsys, "corrupted")
    reader = WarehouseReader(dd / "warehouse" / "current.duckdb", check_every=0)
    with pytest.raises(duckdb.Error):
        reader.df("SELECT count(*) AS n FROM units")  # the page that asked says «Noe gikk galt»
    assert (dd / "warehouse" / "bms-000003.duckdb.skadet").exists()
    assert reader.df("SELECT count(*) AS n FROM units")["n"].tolist() == [3]  # the next one reads version 2
    assert reader.version_path is not None and reader.version_path.name == "bms-000002.duckdb"


def test_a_folder_in_the_wrong_shape_is_one_norwegian_line(dd, capsys):
    warehouse = dd / "warehouse"
    for p in warehouse.iterdir():
        p.unlink()
    warehouse.rmdir()
    warehouse.write_text("ikke en mappe")
    code, out = run(capsys, "load", "--data-dir", str(dd))
    assert code == 2 and "Feil:" in out and "warehouse" in out and "Uventet" not in out, out


def test_a_full_disk_is_reported_and_leaves_nothing_behind(dd):
    from tests.test_warehouse import _big_values_file

    before = version(dd)
    room = (dd / "warehouse" / before[1]).stat().st_size + 200_000  # the new version, with the big file, is larger

    def no_space() -> None:  # in the child: a file cannot grow beyond `room`, as on a full disk (EFBIG, not ENOSPC)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (room, room))

    _big_values_file(dd)
    out = subprocess.run(
        [BMS, "load", "--data-dir", str(dd)], capture_output=True, text=True, timeout=300, preexec_fn=no_space
    )
    assert out.returncode == 2, out.stderr
    assert "ikke plass på disken" in out.stderr and "Uventet" not in out.stderr
    assert version(dd) == before
    assert not [p for p in (dd / "warehouse").iterdir() if p.suffix in (".tmp", ".wal")]
    assert (dd / "inbox" / "mange_tall.csv").exists()


def test_only_duckdb_saying_a_block_is_not_as_written_counts_as_damage():
    """A healthy version must never pass for damaged (the loads would go back to an older one)."""
    from etl.store.warehouse import is_damage

    said = "Corrupt database file: computed checksum 1 does not match stored checksum 2 in block at location 3"
    assert is_damage(duckdb.Error(said))
    assert is_damage(duckdb.IOException('Could not read enough bytes from file "x.duckdb": attempted to read 8'))
    assert not is_damage(duckdb.BinderException('Referenced column "checksum" not found in FROM clause'))
    assert not is_damage(duckdb.CatalogException("Table with name corrupt_rows does not exist"))
    assert not is_damage(OSError("corrupt database file: computed checksum"))  # not DuckDB's


def test_an_error_that_reads_like_damage_marks_nothing_while_the_file_is_whole(dd):
    """Only reading the version itself marks it: a query's error in DuckDB's words for a damaged block (a disk
    that failed once) leaves a whole version in use."""
    from etl.store.warehouse import WarehouseReader

    reader = WarehouseReader(dd / "warehouse" / "current.duckdb", check_every=0)
    before = reader.df("SELECT count(*) AS n FROM units")["n"].tolist()
    said = "Corrupt database file: computed checksum 1 does not match stored checksum 2 in block at location 3"
    with pytest.raises(duckdb.Error, match="does not match stored checksum"):
        reader.df(f"SELECT error('{said}')")
    assert not list((dd / "warehouse").glob("*.skadet"))
    assert reader.df("SELECT count(*) AS n FROM units")["n"].tolist() == before


def test_a_published_version_gone_with_nothing_archived_is_a_fresh_start(data_dir, capsys):
    """`current.duckdb` naming a file that is gone, and no archive to rebuild from: a load starts afresh
    (and says what was missing) rather than send the user to a rebuild that has nothing to load."""
    (data_dir / "warehouse").mkdir(exist_ok=True)
    (data_dir / "warehouse" / "current.duckdb").symlink_to("bms-000001.duckdb")
    write_csv(data_dir / "inbox" / "nytt.csv", [HEADER, ["grunnskolepoeng", None, "2023", "39", ""]])
    code, out = run(capsys, "load", "--data-dir", str(data_dir))
    assert code == 0 and "mangler" in out, out
    assert [v for _, v in grunnskolepoeng(data_dir)] == [39.0]

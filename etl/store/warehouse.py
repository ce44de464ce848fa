"""Build a new versioned DuckDB warehouse, publish it atomically, and read the published one.

Each build writes `warehouse/bms-NNNNNN.duckdb.tmp`, copies the raw tables of the published version into
it, adds the new rows, runs `sql/*.sql` for the clean and derived relations, checkpoints, renames the
file and re-points the `current.duckdb` symlink with one `os.replace`. A crash at any point before that
leaves the published warehouse as it was; readers on an old version keep their open file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from etl import __version__
from etl.spec import SPEC_DIR, Spec, stored_specs

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"  # etl/sql: one file per derived relation
_VERSION = re.compile(r"^bms-(\d{6})\.duckdb$")
DUCKDB_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}

LOAD_LOG_COLUMNS = [
    ("file_name", "VARCHAR"),
    ("sha256", "VARCHAR"),
    ("kind", "VARCHAR"),
    ("rows", "BIGINT"),
    ("status", "VARCHAR"),
    ("message", "VARCHAR"),
    ("loaded_at", "TIMESTAMP"),
    ("origin", "VARCHAR"),
    ("stored_as", "VARCHAR"),
    ("version", "INTEGER"),
]


@dataclass
class NewRows:
    """Accepted rows of one kind from one file, to be added to the raw store."""

    spec: Spec
    frame: pd.DataFrame
    file_name: str
    sha256: str


def schema_fingerprint() -> str:
    """A hash of the specs and SQL this code builds with: a published warehouse made by other code is rebuilt."""
    h = hashlib.sha256()
    for path in sorted([*SPEC_DIR.rglob("*.toml"), *SQL_DIR.glob("*.sql")]):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def versions(warehouse_dir: Path) -> list[tuple[int, Path]]:
    """The built versions in a warehouse folder, oldest first."""
    found = []
    for p in warehouse_dir.glob("bms-*.duckdb"):
        m = _VERSION.match(p.name)
        if m:
            found.append((int(m[1]), p))
    return sorted(found)


def published(current: Path) -> Path | None:
    """The version file `current.duckdb` points at, or None when nothing is published yet."""
    return Path(os.path.realpath(current)) if current.exists() else None


def connect_read_only(version: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to one warehouse version file (extensions never fetched nor loaded)."""
    return duckdb.connect(str(version), read_only=True, config=DUCKDB_CONFIG)


@contextmanager
def open_published(current: Path) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """The one way to read the published warehouse once: a read-only connection, closed on leaving the
    `with` block, or None when nothing is published yet.

    Example: `with open_published(settings.current) as con: rows = con.execute(...) if con else []`."""
    target = published(current)
    if target is None:
        yield None
        return
    con = connect_read_only(target)
    try:
        yield con
    finally:
        con.close()


def build(
    warehouse_dir: Path, current: Path, new: list[NewRows], log_rows: list[dict], meta: dict[str, str], keep: int = 5
) -> tuple[int, Path]:
    """Build the next version from the published one plus `new`, publish it, and prune old versions."""
    warehouse_dir.mkdir(parents=True, exist_ok=True)
    for stale in warehouse_dir.glob("*.tmp*"):  # left by a build that crashed; never published
        stale.unlink()
    number = (versions(warehouse_dir)[-1][0] if versions(warehouse_dir) else 0) + 1
    final = warehouse_dir / f"bms-{number:06d}.duckdb"
    tmp = warehouse_dir / f"{final.name}.tmp"
    previous = published(current)
    con = duckdb.connect(str(tmp), config=DUCKDB_CONFIG)
    try:
        create_store(con)
        if previous is not None:
            _copy_store(con, previous)
        for i, rows in enumerate(new):
            _insert(con, rows, number * 10_000 + i)
        if log_rows:
            log = pd.DataFrame(log_rows).assign(version=number)
            con.register("new_log", log)
            con.execute("INSERT INTO load_log BY NAME SELECT * FROM new_log")
            con.unregister("new_log")
        built = {
            **meta,
            "version": str(number),
            "built_at": dt.datetime.now().isoformat(timespec="seconds"),
            "bms_version": __version__,
        }
        con.executemany("INSERT INTO meta VALUES (?, ?)", list(built.items()))
        run_sql(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(tmp, final)
    _publish(final, current)
    _prune(warehouse_dir, final, keep)
    return number, final


def create_store(con: duckdb.DuckDBPyConnection) -> None:
    """The tables a load writes: every kind's raw table, the load log and the build facts (meta)."""
    for spec in stored_specs().values():
        cols = ", ".join(f'"{name}" {sql_type}' for name, sql_type in spec.raw_columns())
        con.execute(f"CREATE TABLE {spec.raw_table} ({cols})")
    con.execute(f"CREATE TABLE load_log ({', '.join(f'{n} {t}' for n, t in LOAD_LOG_COLUMNS)})")
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")


def _copy_store(con: duckdb.DuckDBPyConnection, previous: Path) -> None:
    """Carry the raw rows and the load log of the published version into the new one."""
    con.execute(f"ATTACH '{previous}' AS prev (READ_ONLY)")
    try:
        old = {
            (t, c)
            for t, c in con.execute(
                "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = 'prev'"
            ).fetchall()
        }
        tables = [s.raw_table for s in stored_specs().values()] + ["load_log"]
        for table in tables:
            new_cols = [
                c
                for (t, c) in con.execute(
                    "SELECT table_name, column_name FROM duckdb_columns() "
                    "WHERE database_name = current_database() AND table_name = ?",
                    [table],
                ).fetchall()
            ]
            common = [c for c in new_cols if (table, c) in old]
            if common:  # a spec that gained a column keeps older rows, the new column empty
                cols = ", ".join(f'"{c}"' for c in common)
                con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM prev.main.{table}")
    finally:
        con.execute("DETACH prev")


def _insert(con: duckdb.DuckDBPyConnection, rows: NewRows, seq: int) -> None:
    frame = rows.frame
    select = []
    for name, sql_type in rows.spec.raw_columns():
        if name == "_seq":
            select.append(f"{seq}::BIGINT AS _seq")
        elif name == "_file":
            select.append("$file AS _file")
        elif name == "_sha":
            select.append("$sha AS _sha")
        elif name in frame.columns:
            select.append(f'CAST("{name}" AS {sql_type}) AS "{name}"')
    con.register("new_rows", frame)
    try:
        con.execute(
            f"INSERT INTO {rows.spec.raw_table} BY NAME SELECT {', '.join(select)} FROM new_rows",
            {"file": rows.file_name, "sha": rows.sha256},
        )
    finally:
        con.unregister("new_rows")


def run_sql(con: duckdb.DuckDBPyConnection) -> None:
    """Create the clean and derived relations, one `.sql` file each, in file-name order."""
    for path in sorted(SQL_DIR.glob("*.sql")):
        con.execute(path.read_text(encoding="utf-8"))


def _publish(final: Path, current: Path) -> None:
    link = current.with_name(current.name + ".new")
    if link.is_symlink() or link.exists():
        link.unlink()
    os.symlink(final.name, link)
    os.replace(link, current)  # atomic: readers see the old or the new target, never neither


def _prune(warehouse_dir: Path, keep_file: Path, keep: int) -> None:
    # A reader still holding a pruned version keeps its open file (POSIX unlink semantics).
    for _, path in versions(warehouse_dir)[: -max(keep, 1)]:
        if path != keep_file:
            path.unlink(missing_ok=True)
            Path(f"{path}.wal").unlink(missing_ok=True)


class WarehouseReader:
    """A read-only handle on the published warehouse that follows new versions as they are published.

    One long-lived connection per process (opened lazily, after any fork), re-opened when the
    `current.duckdb` symlink points at a new version; each caller gets its own cursor."""

    def __init__(self, current: Path, check_every: float = 0.5):
        self.current = current
        self.check_every = check_every
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._target: Path | None = None
        self._checked = 0.0
        self._pid = os.getpid()

    def cursor(self) -> duckdb.DuckDBPyConnection | None:
        """A cursor on the newest published version, or None when nothing is published yet."""
        with self._lock:
            if self._pid != os.getpid():  # forked: never reuse the parent's DuckDB instance
                self._con, self._target, self._pid = None, None, os.getpid()
            now = time.monotonic()
            if self._con is None or now - self._checked >= self.check_every:
                self._checked = now
                target = published(self.current)
                if target is not None and target != self._target:
                    try:
                        self._con = connect_read_only(target)
                        self._target = target
                    except duckdb.IOException:
                        if self._con is None:  # pruned between readlink and open: try next time
                            return None
            return self._con.cursor() if self._con is not None else None

    @property
    def version_path(self) -> Path | None:
        """The version file the reader has open."""
        return self._target

    def df(self, sql: str, params: list | dict | None = None) -> pd.DataFrame:
        """Run a query on the published warehouse; an empty frame when nothing is published."""
        cur = self.cursor()
        if cur is None:
            return pd.DataFrame()
        try:
            return cur.execute(sql, params or []).df()
        finally:
            cur.close()

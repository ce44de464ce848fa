"""Build a new versioned DuckDB warehouse, publish it atomically, and read the published one.

Each build writes `warehouse/bms-NNNNNN.duckdb.tmp`, adds the new rows to the raw tables, runs `sql/*.sql`
for the clean and derived relations, checkpoints, renames the file and re-points the `current.duckdb`
symlink with one `os.replace`. A crash at any point before that leaves the published warehouse as it was;
readers on an old version keep their open file.

The new file starts as a byte copy of the published version when that was built by the same specs and SQL
(its raw store is then already in place: no row is copied or compressed again), with every derived table
dropped and built anew, except those whose SQL reads nothing the load changes (`clean_tables`); its views and
macros, made by the same SQL, are kept (`_definitions`). Otherwise
(the first load, an upgrade) it starts empty and the raw rows are copied in.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import functools
import hashlib
import os
import re
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb
import pandas as pd

from etl import __version__
from etl.checks.anonymity import cells_sql
from etl.errors import BmsError
from etl.spec import SPEC_DIR, Spec, stored_specs
from etl.store import per_indicator

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"  # etl/sql: one file per derived relation
# DuckDB's memory for building a version: a national KOSTRA load would otherwise peak near 600 MB, where 192 MB
# and a little disk for what spills load as fast (about 380 MB in all, the new rows' frames let go before the
# relations are made); a full rebuild takes ~40 % longer (benchmarks: load_peak_mb).
BUILD_MEMORY_LIMIT = "192MB"
BUILD_FACTS = ("version", "built_at", "bms_version", "day")  # meta keys that differ between any two builds
T = TypeVar("T")
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
    """A hash of the specs and SQL this code builds with: a published warehouse made by other code is rebuilt.
    Worked out once per process while no file changes (a load asks twice; each took 0,03 s)."""
    paths = sorted([*SPEC_DIR.rglob("*.toml"), *SQL_DIR.glob("*.sql")])
    return _fingerprint(tuple((p, p.stat().st_mtime_ns, p.stat().st_size) for p in paths))


@functools.lru_cache(maxsize=4)
def _fingerprint(files: tuple[tuple[Path, int, int], ...]) -> str:
    h = hashlib.sha256()
    for path, _, _ in files:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    for name, query in sorted(declared_views().items()):  # made from the specs by this code
        h.update(f"{name}\n{query}".encode())
    for st in statements():  # what each gather line unites: a copy keeps the views (`_definitions`)
        if st.gather is not None:
            h.update(f"{st.creates}\n{','.join(st.gather)}".encode())
    return h.hexdigest()[:16]


def versions(warehouse_dir: Path) -> list[tuple[int, Path]]:
    """The built versions in a warehouse folder, oldest first."""
    found = []
    for p in warehouse_dir.glob("bms-*.duckdb"):
        m = _VERSION.match(p.name)
        if m:
            found.append((int(m[1]), p))
    return sorted(found)


def next_number(warehouse_dir: Path) -> int:
    """The next version number: past every version file and past the one `current.duckdb` names, even when
    that file is gone, so a number is never used twice (a reader that has a number open never mistakes a new
    file for the one it knows)."""
    numbers = [n for n, _ in versions(warehouse_dir)]
    link = warehouse_dir / "current.duckdb"
    if link.is_symlink():
        m = _VERSION.match(Path(os.readlink(link)).name)
        numbers += [int(m[1])] if m else []
    return max(numbers, default=0) + 1


def published(current: Path) -> Path | None:
    """The version file `current.duckdb` points at, or None when nothing is published yet. When that file is
    gone, the newest version still there (`readable` also checks that it opens)."""
    if current.exists():
        return Path(os.path.realpath(current))
    found = versions(current.parent) if current.is_symlink() else []
    return found[-1][1] if found else None


def damage_mark(version: Path) -> Path:
    """`<version>.skadet`: beside a version found damaged (the error inside), which every reader then passes
    over for the newest version that opens."""
    return Path(f"{version}.skadet")


# What DuckDB says of a block not as it wrote it: exactly, so that no other error (a column named `checksum`)
# ever makes a healthy version pass for damaged and the loads go back to an older one.
DAMAGE_SAID = (
    "corrupt database file: computed checksum",
    "does not match stored checksum",
    "could not read enough bytes from file",
)


def is_damage(e: BaseException) -> bool:
    """Whether DuckDB found a block of a file not as it was written (a checksum that does not match, a file
    cut short): the file is damaged, not the query."""
    text = str(e).lower()
    return isinstance(e, duckdb.Error) and any(s in text for s in DAMAGE_SAID)


def mark_if_damaged(version: Path) -> str | None:
    """Read every block of `version` (`verify`) and, when one is not as DuckDB wrote it, mark the version
    damaged: DuckDB's error, or None when the version is whole. Only what reading the file itself finds marks it,
    never the error of a query alone (a disk that failed once, a build file of the same name): a version marked
    in error would send every reader to an older one. A process that may not write the folder (a read-only
    dashboard) leaves the mark to the next load or `bms status`, which find the damage again."""
    problem = verify(version)
    if problem is not None:
        with suppress(OSError):
            damage_mark(version).write_text(f"{problem}\n", encoding="utf-8")
    return problem


def verify(version: Path) -> str | None:
    """Read every column of every table of `version` (0,13 s for the national benchmark's warehouse): the
    error of the first block that is not as DuckDB wrote it, or None. `_open_whole` reads only what opening needs."""
    try:
        con = connect_read_only(version)
    except (duckdb.Error, OSError) as e:  # gone meanwhile (pruned), locked, out of file handles: not damage
        return str(e) if is_damage(e) else None
    try:
        for (name,) in con.execute(f"SELECT table_name FROM duckdb_tables() {_MAIN}").fetchall():
            con.execute(f'SELECT bit_xor(hash(COLUMNS(*))) FROM "{name}"').fetchall()
    except duckdb.Error as e:
        return str(e) if is_damage(e) else None
    finally:
        con.close()
    return None


def _open_whole(path: Path) -> duckdb.DuckDBPyConnection | None:
    """A read-only connection to `path` if it opens and holds what it should, else None."""
    if damage_mark(path).exists():
        return None
    try:
        con = connect_read_only(path)
    except (duckdb.Error, OSError):
        return None
    try:
        con.execute("SELECT count(*) FROM meta").fetchone()
        con.execute("SELECT count(*) FROM load_log").fetchone()
        # a file cut short can still open and give its first blocks: it must hold at least the blocks in use
        sizes = con.execute("SELECT block_size, used_blocks FROM pragma_database_size()").fetchone()
        if sizes is not None and path.stat().st_size >= int(sizes[0]) * int(sizes[1]):
            return con
    except (duckdb.Error, OSError):
        pass
    except BaseException:
        con.close()
        raise
    con.close()
    return None


def readable(current: Path) -> tuple[Path | None, str | None]:
    """The newest version that opens, and, when that is not the one `current.duckdb` points at, a Norwegian
    line saying so and what to do."""
    target, note, con = open_readable(current)
    if con is not None:
        con.close()
    return target, note


def open_readable(current: Path) -> tuple[Path | None, str | None, duckdb.DuckDBPyConnection | None]:
    """`readable`'s version and line, and a read-only connection to that version, left open (None when none
    opens): the caller closes it. Reading the version this way opens it once (each open took 0,02 s)."""
    target = Path(os.path.realpath(current)) if current.is_symlink() or current.exists() else None
    if target is not None and target.exists() and (con := _open_whole(target)) is not None:
        return target, None, con
    fallback, con = None, None
    for _, p in reversed(versions(current.parent)):
        if p != target and (con := _open_whole(p)) is not None:
            fallback = p
            break
    if target is None and fallback is None:
        return None, None, None
    name = target.name if target is not None else current.name
    what = "er skadet" if target is not None and target.exists() else "mangler"
    if fallback is None:
        return (
            None,
            (
                f"Det publiserte datavarehuset ({name}) {what}, og ingen eldre versjon kan leses. Kjør «bms rebuild» "
                "for å bygge det på nytt fra arkivet."
            ),
            None,
        )
    return (
        fallback,
        (
            f"Det publiserte datavarehuset ({name}) {what}; bruker den nyeste versjonen som kan leses "
            f"({fallback.name}). Kjør «bms rebuild» for å bygge det på nytt fra arkivet, med alt som er lastet."
        ),
        con,
    )


def sql_literal(path: Path) -> str:
    """A path as an SQL string literal, quotes doubled: any folder name is safe in ATTACH."""
    return "'" + str(path).replace("'", "''") + "'"


def connect_read_only(version: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to one warehouse version file (extensions never fetched nor loaded)."""
    return duckdb.connect(str(version), read_only=True, config=DUCKDB_CONFIG)


@contextmanager
def open_published(current: Path) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """The one way to read the published warehouse once: a read-only connection, closed on leaving the
    `with` block, or None when nothing is published yet.

    Example: `with open_published(settings.current) as con: rows = con.execute(...) if con else []`."""
    con = open_readable(current)[2]  # a damaged newest version: the newest one that opens
    if con is None:
        yield None
        return
    try:
        yield con
    finally:
        con.close()


def build(
    warehouse_dir: Path,
    current: Path,
    new: list[NewRows],
    log_rows: list[dict],
    meta: dict[str, str],
    keep: int = 5,
    previous: Path | None = None,
    reuse: bool = True,
    after: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> tuple[int, Path]:
    """Build the next version from `previous` (a readable version, or None to start empty) plus `new`,
    publish it, and prune old versions. A failed build leaves no file behind. `reuse=False` builds every
    relation from the raw rows even where the published version's could be carried over. `after` reads the
    finished build on its own connection, before it is published (the load's notes on it).

    `new` is emptied once its rows are in the raw store, so that their frames' memory (a national KOSTRA
    load's 80 MB) is free before the relations are built: the caller should hold no other reference."""
    warehouse_dir.mkdir(parents=True, exist_ok=True)
    for stale in warehouse_dir.glob("bms-*.duckdb.tmp*"):  # left by a build that crashed; never published
        if stale.name.endswith(".tmp.spill"):
            shutil.rmtree(stale, ignore_errors=True)
        elif stale.is_file():  # a folder of another name is not a build's (a reader's spill folder)
            stale.unlink()
    number = next_number(warehouse_dir)
    final = warehouse_dir / f"bms-{number:06d}.duckdb"
    tmp = warehouse_dir / f"{final.name}.tmp"
    base = previous if reuse else None
    handed: list[duckdb.DuckDBPyConnection] = []
    try:
        stored = _with_memory(lambda limit: _store(tmp, base, new, log_rows, meta, previous, number, limit))
        new.clear()  # the rows are in the raw store: their frames go before the relations are built
        _give_back_memory()
        handed = [stored.con]  # its first try goes on with the store's connection (opening one took 0,02 s)
        _with_memory(lambda limit: _derive(tmp, stored, limit, con=handed.pop() if handed else None, after=after))
    except BaseException:
        for con in handed:
            con.close()
        _remove_build(tmp)
        raise
    finally:
        shutil.rmtree(Path(f"{tmp}.spill"), ignore_errors=True)
    return number, install_version(tmp, number, current, keep)


def _give_back_memory() -> None:
    """Hand the memory of objects freed back to the system (glibc keeps the small blocks of a freed frame's
    texts for the process, and the relations were then made on top of them: a national KOSTRA load's peak was
    at times 410 MB rather than 350-380). Without glibc, nothing."""
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _out_of_memory(e: duckdb.Error) -> bool:
    """DuckDB ran out of the memory it was allowed (also when a commit could not allocate a block)."""
    return isinstance(e, duckdb.OutOfMemoryException) or "could not allocate" in str(e)


def _remove_build(tmp: Path) -> None:
    for left in (tmp, Path(f"{tmp}.wal")):
        left.unlink(missing_ok=True)


def install_version(built: Path, number: int, current: Path, keep: int) -> Path:
    """Move a finished build into place as version `number` (from `next_number`), point `current.duckdb` at
    it and prune old versions: the one way a version is published (a load and `bms rebuild` alike)."""
    final = current.parent / f"bms-{number:06d}.duckdb"
    os.replace(built, final)
    _publish(final, current)
    _prune(current.parent, final, keep)
    return final


def _with_memory(step: Callable[[str | None], T]) -> T:
    """Run a build step with DuckDB kept to `BUILD_MEMORY_LIMIT`; if a part of it that cannot spill to disk
    runs out of memory, run it again with all the memory it takes (so a load never fails for that)."""
    try:
        return step(BUILD_MEMORY_LIMIT)
    except duckdb.Error as e:
        if not _out_of_memory(e):
            raise
        return step(None)


def _connect_build(tmp: Path, memory_limit: str | None) -> duckdb.DuckDBPyConnection:
    """The file being built, DuckDB kept to `memory_limit` (None: its default, most of the machine's memory)
    and spilling the rest to `<tmp>.spill/`."""
    limits = {"memory_limit": memory_limit} if memory_limit else {}
    return duckdb.connect(str(tmp), config={**DUCKDB_CONFIG, **limits, "temp_directory": f"{tmp}.spill"})


@dataclass
class _Stored:
    """A build's raw store, written (`_store`): its connection, open, the tables of the copy that need not be
    made again (`clean_tables`; None: none was copied), what changed (the raw tables given new rows, `meta` if
    the copy was built with other settings and `TODAY` if on another day) and the day that was judged on."""

    con: duckdb.DuckDBPyConnection
    kept: set[str] | None
    changed: set[str]
    day: str


def _store(
    tmp: Path,
    base: Path | None,
    new: list[NewRows],
    log_rows: list[dict],
    meta: dict[str, str],
    previous: Path | None,
    number: int,
    memory_limit: str | None,
) -> _Stored:
    """Write version `number`'s raw store to `tmp` (from a copy of `base` where it allows, else from
    `previous`'s raw rows) with the new rows, the load log and the build facts."""
    _remove_build(tmp)  # a try that ran out of memory starts over
    kept: set[str] | None = None
    changed = {rows.spec.raw_table for rows in new}
    copy = _copy(base, tmp, meta, memory_limit)
    con = copy or _connect_build(tmp, memory_limit)
    try:
        (day,) = con.execute("SELECT current_date::VARCHAR").fetchone() or ("",)
        if copy is not None:
            changed |= _copy_changed(con, meta, day)
            kept = _reusable(con, changed) | _definitions(con)
            con.execute("DELETE FROM meta")
        else:
            create_store(con)
            if previous is not None:
                _copy_store(con, previous)
        for i, rows in enumerate(new):
            _insert(con, rows, number * 10_000 + i)
        _write_facts(con, number, log_rows, meta)
    except BaseException:
        con.close()
        raise
    return _Stored(con, kept, changed, day)


def _derive(
    tmp: Path,
    stored: _Stored,
    memory_limit: str | None,
    con: duckdb.DuckDBPyConnection | None = None,
    after: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> None:
    """Make the relations of `sql/*.sql` in `tmp` from its raw store, all but `kept`, once the raw rows a
    newer file replaced are gone; a copy's tables that a `-- per indicator` statement makes or reads are
    first kept aside, to be made again for the indicators whose rows changed (`per_indicator.py`). Run again
    after running out of memory (no limit), it starts from the raw store and makes every table whole.
    The version says it was made on `day` (the day `_store` judged what to carry over by) only if the day
    has not changed since: a build that passes midnight leaves the next load to make again all that reads
    the day. `con` is the store's connection, set to `memory_limit` (else one is opened)."""
    handed, con = con is not None, con or _connect_build(tmp, memory_limit)
    kept, touched, day = stored.kept, stored.changed, stored.day
    try:
        if handed and memory_limit:  # (the store's try may have run without one)
            con.execute(f"SET memory_limit = '{memory_limit}'")
        in_place = kept is not None and memory_limit is not None
        # what a table reading it is made whole for (not the day: its few small tables often come out the same)
        whole = (touched - {TODAY}) | {"load_log", ALWAYS_CHANGED}
        spare = (
            per_indicator.keep_previous(con, per_indicator.wanted(statements(), whole) - (kept or set()))
            if in_place
            else set()
        )
        _drop_derived(con, kept or set(), spare)
        write_kinds(con)
        # a copy's raw tables are in force already: only those with new rows can hold replaced ones
        _keep_in_force(con, None if kept is None else touched)
        run_sql(con, kept or set(), dirty_relations(touched | {"load_log"}) if in_place else None)
        con.execute("DELETE FROM meta WHERE key = 'day'")
        if con.execute("SELECT current_date::VARCHAR").fetchone() == (day,):  # made on one day (`_copy_changed`)
            con.execute("INSERT INTO meta VALUES ('day', ?)", [day])
        con.execute("CHECKPOINT")
        if after is not None:
            after(con)
    finally:
        con.close()


def _write_facts(con: duckdb.DuckDBPyConnection, number: int, log_rows: list[dict], meta: dict[str, str]) -> None:
    """The load log's new lines and the build facts (meta)."""
    if log_rows:
        log = pd.DataFrame(log_rows).assign(version=number)
        con.register("new_log", log)
        con.execute("INSERT INTO load_log BY NAME SELECT * FROM new_log")
        con.unregister("new_log")
    built = {
        **{k: v for k, v in meta.items() if k not in BUILD_FACTS},
        "version": str(number),
        "built_at": dt.datetime.now().isoformat(timespec="seconds"),
        "bms_version": __version__,
    }
    con.executemany("INSERT INTO meta VALUES (?, ?)", list(built.items()))


def _copy(
    base: Path | None, tmp: Path, meta: dict[str, str], memory_limit: str | None
) -> duckdb.DuckDBPyConnection | None:
    """The build's connection to `tmp` as a byte copy of `base`, when the new version may start as one: built
    by these specs and SQL (so its raw tables have the columns this code writes), and wholly in its file (no
    write-ahead log beside it). Else None, and no copy left. The copy itself is checked: `base` is not opened
    once more."""
    if base is None or Path(f"{base}.wal").exists():
        return None
    shutil.copyfile(base, tmp)
    con = None
    try:
        con = _connect_build(tmp, memory_limit)
        row = con.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is not None and row[0] == meta.get("schema") == schema_fingerprint():
            return con
    except duckdb.Error as e:
        if _out_of_memory(e):
            if con is not None:
                con.close()
            raise  # `_with_memory` makes the step again without the limit: still from the copy
    except OSError:
        pass  # not a file DuckDB opens: built from the raw rows instead
    except BaseException:
        if con is not None:
            con.close()
        raise
    if con is not None:
        con.close()
    _remove_build(tmp)
    return None


def _reusable(con: duckdb.DuckDBPyConnection, changed: set[str]) -> set[str]:
    """The tables of the copied version that a build from scratch would make the same: those whose SQL reads,
    directly or through other relations, none of the `changed` relations (the raw tables getting new rows,
    the day where it changed) nor the load log, while the settings they read (the kommune, `min_n` …: all of
    meta but the build facts) are unchanged."""
    if "meta" in changed:
        return set()
    existing = {n for (n,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT internal").fetchall()}
    return clean_tables(changed | {"load_log"}) & existing


def _copy_changed(con: duckdb.DuckDBPyConnection, meta: dict[str, str], today: str) -> set[str]:
    """What changed since the copied version was built besides the raw rows: `meta` when it was built with
    other settings (meta but the build facts) than `meta`, `TODAY` unless its relations were all made on
    `today` (its fact `day`)."""
    before = dict(con.execute("SELECT key, value FROM meta").fetchall())
    settings = any(before.get(k) != v for k, v in meta.items() if k not in BUILD_FACTS)
    return ({"meta"} if settings else set()) | ({TODAY} if before.get("day") != today else set())


_MAIN = "WHERE database_name = current_database() AND schema_name = 'main' AND NOT internal"


def _definitions(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The views and macros of the copied version that `sql/*.sql` makes once: this code's SQL made them
    (`_copy`), and a view is bound afresh at every query, so they stay as they are (making some 50 of
    them again, and dropping them first, took about 0,2 s of a small file's load)."""
    once = Counter(st.creates for st in statements() if st.kind in ("view", "macro") and st.creates)
    views = {name for (name,) in con.execute(f"SELECT view_name FROM duckdb_views() {_MAIN}").fetchall()}
    macros = _macros()
    return {name for name, times in once.items() if times == 1 and (name in views or name in macros)}


def _macros() -> set[str]:
    """The macros `sql/*.sql` makes: all there are in a version (DuckDB's list of functions, its own among
    them, took 0,015 s to ask each time)."""
    return {st.creates for st in statements() if st.kind == "macro" and st.creates}


def _drop_derived(
    con: duckdb.DuckDBPyConnection, kept: set[str], spare: frozenset[str] | set[str] = frozenset()
) -> None:
    """Drop every relation and macro `sql/*.sql` made in the copied version but the raw store, `kept` and the
    tables kept aside in `spare`."""
    store = {s.raw_table for s in stored_specs().values()} | {"load_log", "meta"} | kept | spare
    for (name,) in con.execute(f"SELECT view_name FROM duckdb_views() {_MAIN}").fetchall():
        if name not in kept:
            con.execute(f'DROP VIEW "{name}"')
    for (name,) in con.execute(f"SELECT table_name FROM duckdb_tables() {_MAIN}").fetchall():
        if name not in store:
            con.execute(f'DROP TABLE "{name}"')
    for name in sorted(_macros() - kept):
        con.execute(f'DROP MACRO IF EXISTS "{name}"')  # a table macro too


def create_store(con: duckdb.DuckDBPyConnection) -> None:
    """The tables a load writes: every kind's raw table, the load log and the build facts (meta)."""
    for spec in stored_specs().values():
        cols = ", ".join(f'"{name}" {sql_type}' for name, sql_type in spec.raw_columns())
        con.execute(f"CREATE TABLE {spec.raw_table} ({cols})")
    con.execute(f"CREATE TABLE load_log ({', '.join(f'{n} {t}' for n, t in LOAD_LOG_COLUMNS)})")
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    write_kinds(con)


def write_kinds(con: duckdb.DuckDBPyConnection) -> None:
    """What the SQL needs to know of each kind, from its spec (which kinds are surveys under the anonymity
    rule, what the catalogue calls their figures …), so that no SQL file lists kinds by hand. Written anew
    at every build, a copied version's included: it follows the specs of this code."""
    con.execute(
        "CREATE TABLE kinds (kind VARCHAR PRIMARY KEY, raw_table VARCHAR, survey BOOLEAN, catalogue_source VARCHAR, "
        "anonymity_total VARCHAR)"
    )
    rows = [
        (s.kind, s.raw_table, s.anonymity_survey, s.catalogue_source, s.anonymity_total)
        for s in stored_specs().values()
    ]
    if rows:  # one statement: a row at a time took 0,01 s
        values = ", ".join(["(?, ?, ?, ?, ?)"] * len(rows))
        con.execute(f"INSERT INTO kinds VALUES {values}", [v for row in rows for v in row])


def _copy_store(con: duckdb.DuckDBPyConnection, previous: Path) -> None:
    """Carry the raw rows and the load log of the published version into the new one."""
    con.execute(f"ATTACH {sql_literal(previous)} AS prev (READ_ONLY)")
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


def _keep_in_force(con: duckdb.DuckDBPyConnection, tables: set[str] | None = None) -> None:
    """Drop the raw rows a newer file replaced (spec `scope`) in `tables` (None: every raw table): history
    stays in archive/, so a load's time depends on the live data only. A kind with `newest_by` keeps the row
    whose field is newest (KOSTRA cells: SSB's `updated`), then the later load."""
    for spec in stored_specs().values():
        if tables is not None and spec.raw_table not in tables:
            continue
        scope = ", ".join(f'"{c}"' for c in spec.scope)
        if spec.newest_by:  # spec `newest_by`: e.g. KOSTRA cells by SSB's `updated`, then load order
            order = f'"{spec.newest_by}"::TIMESTAMPTZ DESC NULLS LAST, _seq DESC'
            stale = f"row_number() OVER (PARTITION BY {scope} ORDER BY {order}) > 1"
        else:
            stale = f"_seq < max(_seq) OVER (PARTITION BY {scope})"
        con.execute(f"DELETE FROM {spec.raw_table} WHERE rowid IN (SELECT rowid FROM {spec.raw_table} QUALIFY {stale})")


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


# `-- gather <view> from <prefix>*` in a SQL file: before the file runs, <view> is made the union (by column
# name) of every relation whose name starts with <prefix>, so a new kind's SQL file is found by its names alone.
# The views a kind's spec declares (`declared_views`) are made then too, once the relations they read exist.
GATHER = re.compile(r"^-- gather (\w+) from (\w+)\*$", re.MULTILINE)


def run_sql(
    con: duckdb.DuckDBPyConnection, kept: set[str] | frozenset[str] = frozenset(), dirty: set[str] | None = None
) -> None:
    """Create the clean and derived relations of `sql/*.sql`, statement by statement in file-name order; what
    the build carried over from the copied version is not made again: the tables in `kept` (`clean_tables`)
    and its views and macros (`_definitions`). A temporary table is always made. With `dirty` (the relations
    whose rows may differ from the copy's), a table kept aside is made for the indicators that changed
    (`per_indicator.Maker`)."""
    maker = per_indicator.Maker(con, dirty, statements()) if dirty is not None else None
    for st in statements():
        if maker is not None and st.kind == "view":
            maker.follow(st)
        if st.kind != "temp" and st.creates in kept:
            continue
        if st.gather is not None:
            _gather(con, st.creates or "", st.gather)
        elif maker is not None and st.kind == "table":
            maker.make(st)
        else:
            con.execute(st.sql)
    if maker is not None:
        maker.finish()


@dataclass(frozen=True)
class Statement:
    """One statement of `sql/*.sql` (or a gather line): what it creates, of which kind, and what it reads."""

    sql: str
    creates: str | None
    kind: str | None  # table, temp, view, macro (None: a statement that creates nothing)
    reads: frozenset[str]
    gather: tuple[str, ...] | None = None  # a `-- gather` line: the relations it unites (made before it)
    per_indicator: bool = False  # `-- per indicator` before a CREATE TABLE … AS (etl/store/per_indicator.py)
    # `-- per indicator, only for the indicators in <relation>`: it has rows only for indicators with rows there
    only_in: str | None = None
    query: str | None = None  # a CREATE TABLE … AS statement's query (and its `;`, and a comment after it)


CREATES = re.compile(
    r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(TEMP\s+|TEMPORARY\s+)?(TABLE|VIEW|MACRO)\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    r'(?:"?\w+"?\.)*"?(\w+)"?',
    re.I,
)
COMMENT_OR_TEXT = re.compile(r"--[^\n]*|'(?:[^']|'')*'")
# A CREATE TABLE … AS statement with the comments before it: what makes the table is the query after it.
TABLE_AS = re.compile(r'^(?:\s|--[^\n]*)*CREATE\s+TABLE\s+"?\w+"?\s+AS\s', re.I)
# `-- per indicator` on a comment line just above a table's CREATE (other comment lines between, no blank line):
# each indicator's rows are made from that indicator's rows of what it reads (etl/store/per_indicator.py).
PER_INDICATOR = re.compile(
    r'^[ \t]*-- per indicator\b([^\n]*)\n(?:[ \t]*--[^\n]*\n)*[ \t]*CREATE\s+TABLE\s+"?(\w+)', re.M | re.I
)
# … `, only for the indicators in <relation>` on that line: the table has rows for an indicator only when that
# relation (made before it, with an `indicator_id` column) has rows for it. Without those words (or misspelt)
# the table is made for every changed indicator: slower, never wrong.
ONLY_IN = re.compile(r"\bonly for the indicators in\s+(\w+)", re.I)
NAME = re.compile(r"[a-z_]\w*")
# What a statement can read without naming a relation: the clock, the catalogue, a table named in a string.
# A statement using any of these is never carried over; one reading the day only when the day has changed
# since the copied version was built (`TODAY`, the meta fact `day`).
VOLATILE = re.compile(r"\b(current_timestamp|now|information_schema|duckdb_\w+|query_table)\b")
DAY = re.compile(r"\b(current_date|today)\b")
ALWAYS_CHANGED = "(volatile)"
TODAY = "(today)"
# What the SQL makes that a load does not change for what was loaded before, though it reads the load log:
# `first_loaded(sha)`, the day a file was first loaded. The log only grows, and a file's first `loaded`
# line is never changed, so a relation that asks it for the files of its own rows changes with those rows.
SETTLED = frozenset({"first_loaded"})


def statements() -> list[Statement]:
    """Every statement of the SQL files in build order, with the views the specs declare and each gather line
    where it stands, and the relations each reads: the names of tables, views and macros (the store's
    included) its text mentions outside comments and strings. A name that is also a column's only makes the
    list longer, never shorter."""
    paths = sorted(SQL_DIR.glob("*.sql"))
    if not paths:  # an installation without its SQL would publish raw tables and nothing a page can show
        raise BmsError(f"Fant ingen SQL-filer i {SQL_DIR}: installasjonen er ufullstendig. Installer Heim BMS på nytt.")
    texts = tuple(p.read_text(encoding="utf-8") for p in paths)
    return _statements(texts, tuple(declared_views().items()), frozenset(_store_tables()))


@functools.cache
def _statements(
    texts: tuple[str, ...], declared_items: tuple[tuple[str, str], ...], store: frozenset[str]
) -> list[Statement]:
    declared = dict(declared_items)
    split = [split_statements(t) for t in texts]
    parsed = [[(q, CREATES.match(COMMENT_OR_TEXT.sub(" ", q))) for q in file] for file in split]
    gathered_views = {view for t in texts for view, _ in GATHER.findall(t)}
    marked = {name.lower(): _only_in(rest) for t in texts for rest, name in PER_INDICATOR.findall(t)}
    names = {m.group(3).lower() for file in parsed for _, m in file if m} | set(declared) | gathered_views | store
    found: list[Statement] = []
    made: list[str] = []  # in build order: what a gather line may unite
    for text, file in zip(texts, parsed, strict=True):
        for view, prefix in GATHER.findall(text):
            for name, query in declared.items():
                if name.startswith(prefix):
                    create = f"CREATE OR REPLACE VIEW {name} AS {query}"
                    found.append(Statement(create, name, "view", _reads(create, names)))
                    made.append(name)
            gathered = tuple(sorted({n for n in made if n.startswith(prefix) and n != view}))
            found.append(Statement("", view, "view", frozenset(gathered), gather=gathered))
            made.append(view)
        for query, m in file:
            kind = None if m is None else ("temp" if m.group(1) else m.group(2).lower())
            made_as = TABLE_AS.match(query) if kind == "table" else None
            found.append(
                Statement(
                    query,
                    m and m.group(3).lower(),
                    kind,
                    _reads(query, names),
                    per_indicator=made_as is not None and m is not None and m.group(3).lower() in marked,
                    only_in=marked.get(m.group(3).lower()) if made_as is not None and m is not None else None,
                    query=made_as and query[made_as.end() :].strip(),
                )
            )
            made += [m.group(3).lower()] if m else []
    return found


def _only_in(rest: str) -> str | None:
    """The relation a `-- per indicator` line names after `only for the indicators in` (None: none named)."""
    found = ONLY_IN.search(rest)
    return found.group(1).lower() if found else None


# What `split_statements` steps over whole: a comment, an escape text (E'…', backslashes), a text, a quoted name,
# a dollar-quoted text, a `;`.
_TOKEN = re.compile(
    r"--[^\n]*|/\*.*?\*/|(?<!\w)[eE]'(?:\\.|''|[^'\\])*'|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|(\$\w*\$).*?\1|;",
    re.S,
)
_BLANK = re.compile(r"(?:\s|--[^\n]*|/\*(?:(?!\*/).)*\*/)*", re.S)  # each comment ends at its first */
_NESTED_COMMENT = re.compile(r"/\*(?:(?!\*/).)*?/\*", re.S)  # DuckDB's block comments nest; a regex's do not


def split_statements(text: str) -> list[str]:
    """A SQL file's statements as DuckDB's parser splits it (`extract_statements`: each from the end of the one
    before to its `;`, an empty statement's `;` kept with the one before, the last with what follows it), without
    starting DuckDB for it (0,04 s of every `bms` run that builds); a text with a comment inside a comment goes
    to DuckDB's parser. `tests/test_warehouse.py` holds it to DuckDB's split of every SQL file and more."""
    if _NESTED_COMMENT.search(text):
        with duckdb.connect() as con:
            return [st.query for st in con.extract_statements(text)]
    found: list[str] = []
    start = 0
    for m in _TOKEN.finditer(text):
        if m.group() == ";":
            piece = text[start : m.end()]
            if not _BLANK.fullmatch(piece[:-1]):
                found.append(piece)
            elif found:
                found[-1] += piece  # an empty statement (before the first one, it is dropped)
            start = m.end()
    rest = text[start:]
    if _BLANK.fullmatch(rest):
        if found:
            found[-1] += rest
    else:
        found.append(rest)
    return found


def _reads(query: str, names: set[str]) -> frozenset[str]:
    body = COMMENT_OR_TEXT.sub(" ", query).lower()
    created = CREATES.match(body)
    found = set(NAME.findall(body)) & names - ({created.group(3)} if created else set())
    found |= {ALWAYS_CHANGED} if VOLATILE.search(body) else set()
    return frozenset(found | ({TODAY} if DAY.search(body) else set()))


def _store_tables() -> set[str]:
    return {s.raw_table for s in stored_specs().values()} | {"load_log", "meta", "kinds"}


def clean_tables(changed: set[str]) -> set[str]:
    """The tables the SQL makes that read none of the `changed` relations, directly or through others, nor
    the clock or the catalogue (nor the day, where `changed` has `TODAY`); never one made twice or named by
    a statement that makes nothing (an INSERT or UPDATE run again on a carried-over table would apply twice)."""
    dirty, clean, made = dirty_relations(changed), set(), Counter[str]()
    touched: set[str] = set()
    for st in statements():
        if st.creates is None:
            touched |= st.reads
            continue
        made[st.creates] += 1
        if st.kind == "table" and st.creates not in dirty:
            clean.add(st.creates)
    return {t for t in clean if made[t] == 1} - touched


def dirty_relations(changed: set[str]) -> set[str]:
    """The `changed` relations and every relation the SQL makes from them, directly or through others, or
    from the clock or the catalogue (and from the day where `changed` has `TODAY`)."""
    dirty = set(changed) | {ALWAYS_CHANGED}
    for st in statements():
        if st.creates is not None and st.reads & dirty and st.creates not in SETTLED:
            dirty.add(st.creates)
    return dirty


def _gather(con: duckdb.DuckDBPyConnection, view: str, names: tuple[str, ...]) -> None:
    """`view`: the relations a gather line unites (those named `<prefix>…` made before it, a spec's declared
    views included), one under the other by column name."""
    if not names:
        raise BmsError(f"Fant ingen relasjoner å samle i {view}: installasjonen er ufullstendig.")
    union = " UNION ALL BY NAME ".join(f'SELECT * FROM "{n}"' for n in names)
    con.execute(f"CREATE OR REPLACE VIEW {view} AS {union}")


def declared_views() -> dict[str, str]:
    """The views the kinds' specs declare rather than a SQL file: each kind's anonymity cells
    (`anonymity_cells_<relation>`, from `[anonymity]`)."""
    return {f"anonymity_cells_{s.relation}": q for s in stored_specs().values() if (q := cells_sql(s)) is not None}


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
            damage_mark(path).unlink(missing_ok=True)


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
                marked = target is not None and damage_mark(target).exists()  # found damaged while open here
                if target is not None and (target != self._target or marked):
                    fresh = _open_whole(target)  # the connection that checked it is the one kept (one open)
                    if fresh is None:  # damaged, or pruned since: the newest version that opens
                        target, _, fresh = open_readable(self.current)
                    if fresh is not None and target != self._target:
                        self._con, self._target = fresh, target
                    elif fresh is not None:
                        fresh.close()
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
            return self.run(cur, sql, params)
        finally:
            cur.close()

    def run(self, cur: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None) -> pd.DataFrame:
        """The query's result; a version found damaged is marked so (the next query reads the newest one that
        opens) before the error goes on to the page."""
        try:
            return cur.execute(sql, params or []).df()
        except duckdb.Error as e:
            if is_damage(e) and self._target is not None:
                mark_if_damaged(self._target)
            raise

"""The application store: what people write (accounts, sessions, audit log, vurderinger, tiltak, ledersamtaler).

SQLite in WAL mode at `<data dir>/app/bms.sqlite`, beside the warehouse but never touched by a rebuild. Every
write is one short transaction; every change to a text keeps its history (who, when, old and new value), and
nothing is deleted: a withdrawn item is only marked withdrawn. `backup()` copies it consistently while the
server runs (sqlite3's online backup API).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

STORE_DIR = "app"
STORE_FILE = "bms.sqlite"
STORE_KEY = "BMS_APP_STORE"  # where the served app keeps its store (set by `dashboard.security.install`)

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY COLLATE NOCASE,
    full_name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL CHECK (role IN ('radmann', 'kommunalsjef', 'leder', 'analytiker')),
    scopes TEXT NOT NULL DEFAULT '[]',
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    changed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    csrf TEXT NOT NULL,
    address TEXT,
    created_at REAL NOT NULL,
    last_seen REAL NOT NULL,
    expires_at REAL NOT NULL,
    ended_at REAL
);
CREATE TABLE IF NOT EXISTS login_failures (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL COLLATE NOCASE,
    address TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_at ON login_failures (at);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    username TEXT,
    action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    address TEXT
);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY,
    entity TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    field TEXT NOT NULL,
    old TEXT,
    new TEXT,
    changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history_entity ON history (entity, entity_id);
CREATE TABLE IF NOT EXISTS vurderinger (
    id INTEGER PRIMARY KEY,
    indicator_id TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    period TEXT NOT NULL,
    text TEXT NOT NULL,
    withdrawn INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    UNIQUE (indicator_id, unit_id, period)
);
CREATE TABLE IF NOT EXISTS tiltak (
    id INTEGER PRIMARY KEY,
    unit_id TEXT NOT NULL,
    action TEXT NOT NULL,
    indicators TEXT NOT NULL DEFAULT '[]',
    owner TEXT NOT NULL DEFAULT '',
    deadline TEXT,
    status TEXT NOT NULL CHECK (status IN ('planlagt', 'pågår', 'fullført', 'avbrutt')),
    withdrawn INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ledersamtaler (
    id INTEGER PRIMARY KEY,
    unit_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    bevaringspunkter TEXT NOT NULL DEFAULT '',
    forbedringspunkter TEXT NOT NULL DEFAULT '',
    snapshot TEXT NOT NULL DEFAULT '[]',
    withdrawn INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    UNIQUE (unit_id, year)
);
"""

# The tables whose rows keep a history, and the fields of each that a change may touch.
TRACKED = {
    "vurderinger": ("text", "withdrawn"),
    "tiltak": ("action", "indicators", "owner", "deadline", "status", "withdrawn"),
    "ledersamtaler": ("bevaringspunkter", "forbedringspunkter", "snapshot", "withdrawn"),
}


def now_text() -> str:
    """The current time as stored: ISO 8601 in UTC, to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def current_store() -> AppStore:
    """The application store of the app serving the current request."""
    import flask  # only a served request has an app: `bms users`, `backup` and `load` never load flask

    return flask.current_app.config[STORE_KEY]


def store_path(data_dir: Path) -> Path:
    """Where a data folder's application store lives."""
    return Path(data_dir) / STORE_DIR / STORE_FILE


def private(path: Path) -> None:
    """Make the file readable by its owner only, creating it empty if it is not there: the store holds password
    hashes, session tokens and what leaders wrote (SQLite gives its -wal and -shm files the same mode). A file
    made before this rule is narrowed too, where the server may change it."""
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    elif path.stat().st_mode & 0o077:
        with contextlib.suppress(OSError):  # another user's file: leave it to whoever set it up
            path.chmod(0o600)


class AppStore:
    """One data folder's application store; cheap to create, safe to share between threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        private(self.path)
        with self.connect() as con:
            con.execute("PRAGMA journal_mode = WAL")
            con.executescript(SCHEMA)

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> AppStore:
        """The store of a data folder (created on first use)."""
        return cls(store_path(data_dir))

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A fresh connection (autocommit; use `tx()` for writes), closed afterwards."""
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        con.row_factory = sqlite3.Row
        con.execute("PRAGMA synchronous = FULL")
        con.execute("PRAGMA busy_timeout = 30000")
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed whole at the end of the block, or not at all."""
        with self.connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def rows(self, sql: str, params: tuple | dict = ()) -> list[dict[str, Any]]:
        """The rows of a read query, as dicts."""
        with self.connect() as con:
            return [dict(r) for r in con.execute(sql, params).fetchall()]

    def one(self, sql: str, params: tuple | dict = ()) -> dict[str, Any] | None:
        """The first row of a read query, or None."""
        found = self.rows(sql, params)
        return found[0] if found else None

    def audit(self, username: str | None, action: str, target: str = "", detail: str = "", address: str | None = None):
        """Add one line to the audit log."""
        with self.tx() as con:
            con.execute(
                "INSERT INTO audit (at, username, action, target, detail, address) VALUES (?, ?, ?, ?, ?, ?)",
                (now_text(), username, action, target, detail, address),
            )

    def insert_tracked(self, table: str, values: dict[str, Any], who: str) -> int:
        """Insert a tracked row and its history (every field from nothing to its first value); return its id."""
        stamp = now_text()
        row = {**values, "created_by": who, "created_at": stamp, "changed_by": who, "changed_at": stamp}
        with self.tx() as con:
            cols = ", ".join(row)
            cur = con.execute(f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))
            new_id = int(cur.lastrowid or 0)
            _history(con, table, new_id, {}, values, who, stamp)
        return new_id

    def update_tracked(self, table: str, row_id: int, values: dict[str, Any], who: str) -> bool:
        """Change fields of a tracked row, keeping each change's old and new value; False when nothing changed."""
        stamp = now_text()
        with self.tx() as con:
            old = con.execute(f"SELECT * FROM {table} WHERE id = ?", (row_id,)).fetchone()
            if old is None:
                raise KeyError(row_id)
            changed = {k: v for k, v in values.items() if k in TRACKED[table] and _text(old[k]) != _text(v)}
            if not changed:
                return False
            sets = ", ".join(f"{k} = ?" for k in changed)
            con.execute(
                f"UPDATE {table} SET {sets}, changed_by = ?, changed_at = ? WHERE id = ?",
                (*changed.values(), who, stamp, row_id),
            )
            _history(con, table, row_id, dict(old), changed, who, stamp)
        return True

    def history(self, table: str, row_id: int) -> list[dict[str, Any]]:
        """Every change to one row, oldest first."""
        return self.rows("SELECT * FROM history WHERE entity = ? AND entity_id = ? ORDER BY id", (table, row_id))

    def backup(self, target: Path) -> Path:
        """A consistent copy of the store at `target` while others go on writing (the online backup API)."""
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.unlink(missing_ok=True)
        private(tmp)
        with self.connect() as src:
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode = DELETE")
            finally:
                dst.close()
        tmp.replace(target)
        return target


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _history(con: sqlite3.Connection, table: str, row_id: int, old: dict, new: dict, who: str, stamp: str) -> None:
    con.executemany(
        "INSERT INTO history (entity, entity_id, field, old, new, changed_by, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(table, row_id, k, _text(old.get(k)), _text(v), who, stamp) for k, v in new.items()],
    )

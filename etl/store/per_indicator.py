"""Making a table again for the indicators whose rows changed, not for all of them.

A load of one small file changes the figures of a few indicators, yet the tables after the indicator values
(the scorecard, the KOSTRA comparison, the peer values) hold every indicator's rows, mostly other
municipalities' KOSTRA figures: made whole, they took most of such a load's time. A `CREATE TABLE … AS`
whose comment before it has the line `-- per indicator` declares that each row of an indicator is made from
that indicator's rows only of every relation it reads that has an `indicator_id` column (and from all of the
others). Such a table is then kept from the copied version, when every relation it reads that the load changes
says which indicators changed, and made again in place for those alone:

    DELETE their rows; INSERT what the statement's query gives for them, every relation it reads with an
    `indicator_id` column seen through a temporary view of those indicators' rows (a temporary view hides
    the table of its name, also from the views and macros the query reads: the declaration covers them).

A table made whole (its SQL reads what changed everywhere, e.g. the temporary candidate values) says which
indicators changed by comparing its rows with the copied version's, kept aside for this: with an
`indicator_id` column the table is made in a temporary table first and only those indicators' rows are
changed in the copy's; without one, it says only whether it changed. A table all of whose changed inputs
(tables, and views over them) came out unchanged is kept as the copy had it (the survey measures, when a
small file leaves the anonymity rules' cells as they were). `tests/test_incremental.py` holds every way of
building to what a build from scratch gives.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from etl.store.warehouse import Statement

PREVIOUS = "_prev_"  # the copied version's table, kept under this prefix while its statement runs
MADE = "temp.main._made_per_indicator"  # what a statement's query gives for the indicators that changed
WHOLE = "temp.main._made_whole"  # what a statement's query gives, beside the copied version's table
Ids = frozenset[str] | None  # the indicators whose rows a build made anew; None: any of them


def keep_previous(con: duckdb.DuckDBPyConnection, names: set[str]) -> set[str]:
    """Keep aside the copied version's tables of `names` as `_prev_<name>`, where the build would otherwise
    drop them; returns their new names."""
    tables = {
        n
        for (n,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'"
        ).fetchall()
    }
    kept = set()
    for name in sorted(names & tables):
        con.execute(f'ALTER TABLE "{name}" RENAME TO "{PREVIOUS}{name}"')
        kept.add(f"{PREVIOUS}{name}")
    return kept


def wanted(statements: list[Statement], changed: set[str]) -> set[str]:
    """The tables worth keeping from the copied version: those the SQL makes once (never the raw store) and
    no statement changes after making it (an INSERT would give a kept table its rows twice), but not one that
    reads itself any of `changed`, which never say which indicators changed (a raw table given rows, the load
    log, the clock): it is made whole anyway, and comparing it with the copy's would be work for nothing (the
    national KOSTRA values, 1,7 million rows)."""
    made = Counter(st.creates for st in statements if st.kind == "table" and st.creates)
    touched = {n for st in statements if st.creates is None for n in st.reads}
    whole = {st.creates for st in statements if st.reads & changed}
    return {n for n, times in made.items() if times == 1} - touched - whole


class Maker:
    """Makes the tables of one build, each for the indicators whose rows changed where its statement allows."""

    def __init__(self, con: duckdb.DuckDBPyConnection, dirty: set[str], statements: list[Statement]):
        self.con = con
        self.dirty = dirty  # every relation whose rows may differ from the copied version's
        # a table a statement changes after making it (an INSERT) would get those rows twice if kept
        self.touched = {n for st in statements if st.creates is None for n in st.reads}
        self.ids: dict[str, frozenset[str]] = {}  # of those, the tables made anew for these indicators only
        self.previous = {
            n[len(PREVIOUS) :]
            for (n,) in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
                f"AND schema_name = 'main' AND starts_with(table_name, '{PREVIOUS}')"
            ).fetchall()
        }
        # the relations with an `indicator_id` column: those of the copy now, and each table as it is made
        self.keyed = {n.removeprefix(PREVIOUS) for n in _keyed(con)}
        (self.db,) = con.execute("SELECT current_database()").fetchone() or ("",)

    def make(self, st: Statement) -> None:
        """Make `st`'s table: in place for the indicators that changed, or whole (then compared with the
        copied version's, to say which indicators changed)."""
        name = st.creates or ""
        changed = self.changed(st)
        # the copy's table, kept: made in place for the indicators that changed, or as it is where nothing it
        # reads changed
        if changed is not None and name in self.previous - self.touched and (st.per_indicator or not changed):
            self.con.execute(f'ALTER TABLE "{PREVIOUS}{name}" RENAME TO "{name}"')
            self.previous.discard(name)
            self.ids[name] = self._update(name, st, changed) if changed else changed
            return
        if name in self.previous & self.keyed and st.query and name not in self.touched:
            self._replace(name, st.query)
            return
        self.con.execute(st.sql)
        self._note_key(name, f'"{name}"')
        if name in self.previous:
            found = self._compare(f'"{name}"', f'"{PREVIOUS}{name}"', name in self.keyed)
            if found is not None:
                self.ids[name] = found
            self.con.execute(f'DROP TABLE "{PREVIOUS}{name}"')
            self.previous.discard(name)

    def follow(self, st: Statement) -> None:
        """Note a view (made or carried over) unchanged where nothing it reads changed: what reads it may then
        be kept. (Which indicators' rows of it may differ is not said: a view declares nothing.)"""
        if st.creates in self.dirty and self.changed(st) == frozenset():
            self.ids[st.creates] = frozenset()
        else:  # (a view made twice, again from what changed)
            self.ids.pop(st.creates or "", None)

    def changed(self, st: Statement) -> Ids:
        """The indicators whose rows of what `st` reads may have changed (None: any)."""
        found: set[str] = set()
        for name in st.reads & self.dirty:
            if name not in self.ids:
                return None
            found |= self.ids[name]
        return frozenset(found)

    def finish(self) -> None:
        """Drop what is left of the copied version's tables (a table the SQL no longer makes)."""
        for name in sorted(self.previous):
            self.con.execute(f'DROP TABLE "{PREVIOUS}{name}"')
        self.previous.clear()

    def _note_key(self, name: str, table: str) -> None:
        columns = self.con.execute(f"SELECT * FROM {table} LIMIT 0").description or []
        if any(c[0] == "indicator_id" for c in columns):
            self.keyed.add(name)
        else:
            self.keyed.discard(name)

    def _replace(self, name: str, query: str) -> None:
        """Make a table whole beside the copied version's and change in that only the indicators whose rows
        differ: most of a small file's load changes few, and rows written anew go to the write-ahead log
        and again into the file at the checkpoint (0,05 s for the national indicator values)."""
        self.con.execute(f"CREATE TEMP TABLE {WHOLE} AS {query}")
        self._note_key(name, WHOLE)
        previous = f'"{PREVIOUS}{name}"'
        found = self._compare(WHOLE, previous, name in self.keyed)
        if found is None:
            self.con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM {WHOLE}')
            self.con.execute(f"DROP TABLE {previous}")
        else:
            if found:
                listed = _listed(found)
                with _transaction(self.con):
                    self.con.execute(f"DELETE FROM {previous} WHERE indicator_id IN ({listed})")
                    self.con.execute(
                        f"INSERT INTO {previous} BY NAME SELECT * FROM {WHOLE} WHERE indicator_id IN ({listed})"
                    )
            self.con.execute(f'ALTER TABLE {previous} RENAME TO "{name}"')
            self.ids[name] = found
        self.con.execute(f"DROP TABLE {WHOLE}")
        self.previous.discard(name)

    def _update(self, name: str, st: Statement, ids: frozenset[str]) -> frozenset[str]:
        """Make the table's rows of `ids` again; returns the indicators whose rows it made. A table declared to
        have rows only for the indicators in another relation (`only_in`) is made for those of `ids` that have
        rows there or in it, often none: the KOSTRA tables for a load of survey or ledger figures. (A relation
        named there that has no `indicator_id` column, or is not made, limits nothing: slower, never wrong.)"""
        if st.only_in and st.only_in in self.keyed:
            ids = self._having(ids, st.only_in) | self._having(ids, name)
            if not ids:
                return ids
        listed = _listed(ids)
        seen = sorted(st.reads & self.keyed)
        table = f'"{self.db}".main."{name}"'
        with _transaction(self.con):  # a failure leaves the table as the copy had it
            for r in seen:
                self.con.execute(
                    f'CREATE TEMP VIEW "{r}" AS SELECT * FROM "{self.db}".main."{r}" WHERE indicator_id IN ({listed})'
                )
            self.con.execute(f"DELETE FROM {table} WHERE indicator_id IN ({listed})")
            self.con.execute(f"CREATE TEMP TABLE {MADE} AS {st.query}")  # the query's text as it stands
            self.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {MADE} WHERE indicator_id IN ({listed})")
            self.con.execute(f"DROP TABLE {MADE}")
            for r in seen:
                self.con.execute(f'DROP VIEW temp.main."{r}"')
        return ids

    def _having(self, ids: frozenset[str], relation: str) -> frozenset[str]:
        """Those of `ids` with rows in `relation` (of the build's file) now."""
        rows = self.con.execute(
            f'SELECT DISTINCT indicator_id FROM "{self.db}".main."{relation}" WHERE indicator_id IN ({_listed(ids)})'
        ).fetchall()
        return frozenset(i for (i,) in rows)

    def _compare(self, new: str, old: str, keyed: bool) -> Ids:
        """The indicators whose rows differ between the tables `new` and `old` (the copied version's; None: a
        differing row belongs to no indicator, or any row differs where they have no `indicator_id`). Rows are
        compared by a 64-bit hash of each, summed per indicator, with their count: a sixth of the time
        comparing the rows took (0,13 s for the national indicator values).
        Two sets of rows of one indicator that differ give the same sum with a chance of about 2⁻⁶⁴, and
        DuckDB's hash does not tell -0,0 from 0,0 nor an empty list from none, changes no source makes."""
        if not keyed:  # unchanged, or any of them may have changed
            whole = f"SELECT {_HASHED} FROM {{}}"
            same = self.con.execute(whole.format(new)).fetchone() == self.con.execute(whole.format(old)).fetchone()
            return frozenset() if same else None
        rows = self.con.execute(
            f"""WITH new AS ({_SUMMED.format(new)}), old AS ({_SUMMED.format(old)})
            SELECT CASE WHEN new.n IS NOT NULL THEN new.indicator_id ELSE old.indicator_id END
            FROM new FULL JOIN old ON new.indicator_id IS NOT DISTINCT FROM old.indicator_id
            WHERE new.n IS DISTINCT FROM old.n OR new.h IS DISTINCT FROM old.h"""
        ).fetchall()
        if any(i is None for (i,) in rows):
            return None
        return frozenset(i for (i,) in rows)


def _listed(ids: frozenset[str]) -> str:
    return ", ".join("'" + i.replace("'", "''") + "'" for i in sorted(ids))


_HASHED = "count(*) AS n, sum(hash(*COLUMNS(*))::HUGEINT) AS h"  # rows, by a 64-bit hash of each, summed
_SUMMED = f"SELECT indicator_id, {_HASHED} FROM {{}} GROUP BY indicator_id"


@contextlib.contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One transaction: a failure leaves the tables as they were and raises its own error."""
    con.execute("BEGIN")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # a failed COMMIT has ended the transaction already
            con.execute("ROLLBACK")
        raise


def _keyed(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The relations in the build's file (not temporary ones) with an `indicator_id` column."""
    rows = con.execute(
        "SELECT DISTINCT table_name FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND column_name = 'indicator_id'"
    ).fetchall()
    return {n for (n,) in rows}

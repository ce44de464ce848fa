"""Small builders for input files as analysts produce them (Excel with title blocks, Latin-1 CSV …)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import duckdb
import pandas as pd
from openpyxl import Workbook

from etl.store.warehouse import DUCKDB_CONFIG, create_store, open_published, run_sql

UNITS_HEADER = ["enhet_id", "enhet", "tjenesteområde", "tjeneste", "ansvar"]
UNITS = [
    ["E21", "Kyrksæterøra barnehage", "oppvekst", "barnehage", "2100"],
    ["E31", "Kyrksæterøra skole", "oppvekst", "skole", "0310, 0311"],
    ["E41", "Hjemmetjenesten", "helse og mestring", "hjemmetjenester", "4100"],
]


def catalogue_size() -> int:
    """How many indicators the default catalogue (data/balansehandbok.csv) holds."""
    from etl.settings import BUNDLED_DATA, CATALOGUE_FILE

    lines = (BUNDLED_DATA / CATALOGUE_FILE).read_text(encoding="utf-8-sig").splitlines()
    return sum(1 for line in lines[1:] if line.strip())


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]], text_cells: bool = False) -> Path:
    """An .xlsx with one sheet per entry; `text_cells` stores every string as text (never a formula)."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        if text_cells:
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str):
                        cell.data_type = "s"
    wb.properties.created = dt.datetime(2025, 1, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def patch_xlsx(path: Path, part: str, *replacements: tuple[str, str]) -> Path:
    """Rewrite one part of an .xlsx (e.g. `xl/worksheets/sheet1.xml`): each (old, new) must occur in it. Gives
    formula cells the value Excel would have saved with them, which files written by openpyxl never have."""
    with zipfile.ZipFile(path) as z:
        parts = [(info, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts:
            if info.filename == part:
                # openpyxl writes an empty value as `<v />` or `<v></v>` depending on whether lxml is installed
                text = data.decode("utf-8").replace("<v></v>", "<v />")
                for old, new in replacements:
                    assert old in text, f"{old!r} not in {part}"
                    text = text.replace(old, new)
                data = text.encode("utf-8")
            z.writestr(info, data)
    return path


def write_csv(path: Path, rows: list[list[object]], encoding: str = "utf-8", delimiter: str = ";") -> Path:
    """A CSV in the given encoding and separator, as Excel or a fagsystem writes it."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def units_file(folder: Path, name: str = "enheter.xlsx") -> Path:
    """A units file with a title block above the header, as exported from the HR system."""
    return write_xlsx(folder / name, {"Enheter": [["Heim kommune – enheter"], [], UNITS_HEADER, *UNITS]})


def query(data_dir: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows from the published warehouse of a data folder, read-only, as a notebook would."""
    with open_published(data_dir / "warehouse" / "current.duckdb") as con:
        assert con is not None, f"nothing is published in {data_dir}"
        return con.execute(sql, params or []).fetchall()


def snapshot(
    data_dir: Path,
    relations: tuple[str, ...] = ("units", "indicators", "targets", "manual_values", "indicator_values", "scorecard"),
) -> dict:
    """Every row of the data relations, sorted: to compare two warehouses for equality."""
    return {r: sorted(map(repr, query(data_dir, f"SELECT * FROM {r}"))) for r in relations}


def rounded(rows: list[tuple], digits: int = 6) -> list[tuple]:
    """Query rows with every float rounded, to compare computed figures with hand-worked ones."""
    return [tuple(round(v, digits) if isinstance(v, float) else v for v in row) for row in rows]


def assert_nothing_to_subtract(data_dir: Path) -> None:
    """No held-back unit figure can be worked out from what the warehouse shows: in every group with a unit
    held back, the kommune figure's answers less the shown units' answers are none or at least the minimum."""
    rows = query(
        data_dir,
        """
        WITH held AS (SELECT DISTINCT indicator_id, period, period_type FROM held_back WHERE scope = 'enhet')
        SELECT h.indicator_id, h.period, i.min_n,
               any_value(v.n) FILTER (WHERE v.scope = 'kommune') AS kommune_n,
               coalesce(sum(v.n) FILTER (WHERE v.scope = 'enhet'), 0) AS shown_n,
               count(*) FILTER (WHERE v.scope = 'enhet' AND v.n IS NULL) AS units_without_n
        FROM held h
        JOIN indicators i USING (indicator_id)
        LEFT JOIN indicator_values v USING (indicator_id, period, period_type)
        GROUP BY ALL
        """,
    )
    assert query(data_dir, "SELECT count(*) FROM held_back WHERE scope = 'enhet'")[0][0], "no unit was held back"
    for indicator, period, min_n, kommune_n, shown_n, without_n in rows:
        assert without_n == 0, (indicator, period)
        if kommune_n is not None:
            left = kommune_n - shown_n
            assert left == 0 or left >= min_n, (indicator, period, kommune_n, shown_n)
    # nor from the clean survey relations, kommune row against unit rows
    for relation, group in (("user_survey", "year, service, dimension"), ("employee_survey", "year, factor")):
        for *key, kommune_n, shown_n, units in query(
            data_dir,
            f"SELECT {group}, any_value(respondents) FILTER (WHERE unit_id IS NULL), "
            f"coalesce(sum(respondents) FILTER (WHERE unit_id IS NOT NULL), 0), count(unit_id) "
            f"FROM {relation} GROUP BY {group}",
        ):
            held = query(
                data_dir,
                "SELECT count(*) FROM held_back WHERE scope = 'enhet' AND year(period) = ? AND args = ?",
                [key[0], key[1:]],
            )[0][0]
            if held and kommune_n is not None:
                assert kommune_n - shown_n >= 3 or kommune_n == shown_n, (relation, key, kommune_n, shown_n, units)


def columns_where(data_dir: Path, types: tuple[str, ...], condition: str, params: list) -> list[tuple[str, str]]:
    """Every table or view column of the given data types holding a row where `condition` (SQL, the column
    as `{c}`, with `params`) is true. One connection, one scan per relation: a view is computed once, not
    once per column."""
    with open_published(data_dir / "warehouse" / "current.duckdb") as con:
        assert con is not None, f"nothing is published in {data_dir}"
        columns: dict[str, list[str]] = {}
        for table, column in con.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main' "
            f"AND data_type IN ({', '.join('?' * len(types))}) ORDER BY table_name, ordinal_position",
            list(types),
        ).fetchall():
            columns.setdefault(table, []).append(column)
        hits = []
        for table, names in columns.items():
            tests = ", ".join(f"count(*) FILTER (WHERE {condition.format(c=chr(34) + n + chr(34))})" for n in names)
            counts = con.execute(f'SELECT {tests} FROM "{table}"', params * len(names)).fetchone() or ()
            hits += [(table, n) for n, count in zip(names, counts, strict=True) if count]
        return hits


def double_columns_holding(data_dir: Path, value: float) -> list[tuple[str, str]]:
    """Every table or view column of the warehouse in which a number equal to `value` occurs."""
    return columns_where(data_dir, ("DOUBLE", "DECIMAL", "FLOAT"), "round({c}, 6) = ?", [value])


def load_ok(data_dir: Path, **kw):
    """Load a data folder's inbox (or `paths`) and assert that no file was refused."""
    from etl.load import load
    from etl.settings import load_settings

    summary = load(load_settings(data_dir), **kw)
    assert not summary.rejected, summary.rejected[0].message
    return summary


def refuse(data_dir: Path, file: Path, *expected: str, **settings: object) -> str:
    """Load `file` from the inbox; assert it is refused with every `expected` text and nothing changed."""
    from etl.load import load
    from etl.settings import load_settings

    before = snapshot(data_dir)
    summary = load(load_settings(data_dir, **settings))
    [result] = [r for r in summary.results if r.name == file.name]
    assert result.status == "rejected", result
    report = Path(f"{result.stored_as}.feil.txt").read_text(encoding="utf-8")
    for text in expected:
        assert text in report, f"{text!r} not in report:\n{report}"
    assert result.stored_as.parent == data_dir / "rejected" and result.stored_as.exists()
    assert not file.exists(), "the refused file must leave the inbox"
    assert snapshot(data_dir) == before, "a refused file must not change the data"
    assert summary.version is None, "nothing loaded: nothing published"
    return report


TEST_PASSWORD = "testpassord-123"  # the password of the accounts tests make (never of demo accounts)


def ensure_account(store, username: str, role: str, scopes: list[str] | None = None) -> str:
    """An account in an application store for a test (made once), returning its password."""
    from dashboard import accounts

    if not store.one("SELECT 1 FROM users WHERE username = ?", (username,)):
        accounts.add_user(store, username, TEST_PASSWORD, role, scopes or [], "Testkonto")
    return TEST_PASSWORD


def signed_in_client(app, username: str, role: str, scopes: list[str] | None = None):
    """A Flask test client holding a real server-side session for an account (made if missing).

    The session is started as a login would start it; Dash's POSTs get the session's CSRF header, as the
    Dash renderer sends it in a browser."""
    from dashboard import accounts
    from dashboard.store import STORE_KEY

    store = app.server.config[STORE_KEY]
    ensure_account(store, username, role, scopes)
    user = accounts.authenticate(store, username, TEST_PASSWORD)
    assert user is not None, username
    token, csrf = accounts.start_session(store, user, "127.0.0.1", 3600)
    client = app.server.test_client()
    with client.session_transaction() as session:
        session["sid"], session["csrf"] = token, csrf
        session.permanent = True
    client.environ_base["HTTP_X_CSRFTOKEN"] = csrf
    return client


def app_client(app):
    """A Flask test client for a dashboard app, signed in as a user who may see everything (the rådmann).

    Tests written before logins existed, and tests that are not about access, use this one helper, so
    those tests keep meaning what they meant."""
    return signed_in_client(app, "test-radmann", "radmann")


class FreshWarehouse:
    """A warehouse in memory for a test of the SQL alone: every raw table, empty, and the build facts a
    load writes. Add raw rows with `add`, run etl/sql/ with `build`, then `query`: no files, no load, no
    publish (sqlite-utils' `fresh_db`)."""

    def __init__(self, **meta: str) -> None:
        from etl.settings import Settings

        defaults = Settings(data_dir=Path("."))
        self.meta = {
            "kommune_code": defaults.kommune_code,
            "kommune_name": defaults.kommune_name,
            "min_n": str(defaults.min_n),
            "peers": ",".join(defaults.peers),
            "comparison_regions": ",".join(defaults.comparison_regions),
            **meta,
        }
        self.con = duckdb.connect(":memory:", config=DUCKDB_CONFIG)
        create_store(self.con)
        self._seq = 0

    def add(self, table: str, rows: list[dict], sha: str = "sha-test") -> None:
        """Raw rows as a load would store them (one load sequence number per call)."""
        self._seq += 1
        frame = pd.DataFrame(rows).assign(_seq=self._seq, _file=f"{table}.xlsx", _sha=sha)
        self.con.register("new_rows", frame)
        try:
            self.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM new_rows")
        finally:
            self.con.unregister("new_rows")

    def build(self) -> FreshWarehouse:
        """Write the build facts and create every clean and derived relation, as a load does."""
        self.con.executemany("INSERT INTO meta VALUES (?, ?)", list(self.meta.items()))
        run_sql(self.con)
        return self

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        """Rows of a query on the built warehouse."""
        return self.con.execute(sql, params or []).fetchall()


def login_session(base_url: str, data_dir: Path, username: str = "test-radmann", role: str = "radmann", scopes=None):
    """A `requests.Session` logged in through the real login form of a running server (made account if missing);
    its POSTs carry the CSRF header as the Dash renderer sends it."""
    import re

    import requests

    from dashboard.store import AppStore

    password = ensure_account(AppStore.for_data_dir(data_dir), username, role, scopes)
    s = requests.Session()
    form = s.get(f"{base_url}/login", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    r = s.post(f"{base_url}/login", data={"username": username, "password": password, "csrf_token": token}, timeout=30)
    assert r.status_code == 200 and "/login" not in r.url, r.text[:300]
    s.headers["X-CSRFToken"] = s.cookies.get("_csrf_token")
    return s

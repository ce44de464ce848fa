"""Queries the dashboard runs on the published warehouse: each takes a WarehouseReader, returns plain data.

Every query is parameterised and read-only. When nothing is published yet the reader yields empty frames,
so each function returns an empty result instead of failing.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import flask
import pandas as pd
from plotly.io.json import to_json_plotly

from dashboard.anonymity import hide_small_n
from etl.norsk import FOCUS_AREAS
from etl.settings import Settings
from etl.store.warehouse import WarehouseReader

READER_KEY = "BMS_READER"
SETTINGS_KEY = "BMS_SETTINGS"
KOMMUNE = "kommune"  # the dropdown value and scope for the whole kommune
# each focus area's page address (/fokus/<slug>) and its name; the API takes either
FOCUS_PAGES = {
    "okonomi": "Økonomi",
    "ansatte": "Ansatte",
    "brukere": "Brukere",
    "interne-prosesser": "Interne prosesser",
}
# how a typed-in figure names its file in `indicator_values.source_ref` (the macro manual_ref, 15_shared.sql),
# for frames already read
MANUAL_REF = "manuelt registrert ("

# How far back the trend reaches, in months, per period type: 5 years, or the last 12 periods.
TREND_MONTHS = {"year": 60, "tertial": 48, "quarter": 36, "month": 12}


T = TypeVar("T")

# How much a worker keeps for the published version, in (roughly) bytes of what it holds: every unit's pages
# of a large kommune, a handful of comparison pages (one can be several MB at national scale); the least
# recently used goes first.
CACHE_BYTES = 128 * 2**20
PART_BYTES_PER_CHAR = 24  # a kept page part holds its components and their JSON: ~24 bytes per JSON character
UNKNOWN_WEIGHT = 4 * 2**20  # a part whose size cannot be told


class CachedReader(WarehouseReader):
    """A WarehouseReader that keeps each query's result for the version it was read from.

    A published version file never changes (a new publish is a new file, and `current.duckdb` moves), so a
    result keyed on the version file, the day (views use `current_date`), the SQL and its parameters is
    always what the query would return now. Results of older versions are dropped on the first query of a
    new one. Callers get a copy, so none can change what the next request reads."""

    def __init__(self, current, check_every: float = 0.5, budget: int = CACHE_BYTES):
        super().__init__(current, check_every)
        self._results: OrderedDict[tuple, tuple[Any, int]] = OrderedDict()
        self._results_lock = threading.Lock()
        self._making: dict[tuple, _Making] = {}  # what a thread is making now, by key
        self._budget, self._held = budget, 0

    def df(self, sql: str, params: list | dict | None = None) -> pd.DataFrame:
        """The query's result from the cache when this version has run it today, else from DuckDB."""
        before = self.version_path
        cur = self.cursor()
        if cur is None:
            return pd.DataFrame()
        version = self.version_path
        try:
            if version is None or version != before:  # a new version was opened just now: read, keep nothing
                return self.run(cur, sql, params)
            key = (str(version), dt.date.today().isoformat(), sql, _params_key(params))
            frame = self._once(key, lambda: self.run(cur, sql, params), _frame_weight, lambda: True)
            return frame.copy()
        finally:
            cur.close()

    def kept(self, key: tuple, build: Callable[[], T]) -> T:
        """What `build()` makes from this version's data (page parts: component trees), made once per version
        and day. What it returns is shared by every request: nothing may change it afterwards."""
        cur = self.cursor()  # follows a new publish, as a query would
        if cur is None:
            return build()
        cur.close()
        version = self.version_path
        key = (str(version), dt.date.today().isoformat(), "kept", *key)
        return self._once(key, build, _weight, lambda: self.version_path == version)  # built from one version only

    def _once(self, key: tuple, make: Callable[[], T], weigh: Callable[[T], int], keep: Callable[[], bool]) -> T:
        """The kept value of `key`, else what `make()` gives (kept when `keep()` says so afterwards). One thread
        makes a key at a time; the others asking for it meanwhile get what it made, or its error. After a publish
        every user's first request asks for the same page parts at once: made by each request, under one
        interpreter lock, each took as long as all of them (a cold overview for 4 users took 0,4 s, not 0,1 s).
        A make that asks for its own key (it never should) makes it again rather than wait for itself."""
        with self._results_lock:
            found = self._results.get(key)
            if found is not None:
                self._results.move_to_end(key)
                return found[0]
            making = self._making.get(key)
            mine = making is None or making.thread == threading.get_ident()
            if mine:
                making = self._making[key] = _Making(threading.get_ident())
        assert making is not None
        if not mine:
            making.done.wait()
            if making.error is not None:
                raise making.error
            return making.value
        try:
            value = make()
            if keep():
                self._keep(key, value, weigh(value))
            making.value = value
            return value
        except BaseException as e:
            making.error = e
            raise
        finally:
            with self._results_lock:
                if self._making.get(key) is making:
                    del self._making[key]
            making.done.set()

    def _keep(self, key: tuple, value: Any, weight: int) -> None:
        with self._results_lock:
            stale = [k for k in self._results if k[:2] != key[:2]]
            for k in stale:  # another version or another day: never asked for again
                self._held -= self._results.pop(k)[1]
            if key in self._results:
                self._held -= self._results.pop(key)[1]
            self._results[key] = (value, weight)
            self._held += weight
            while self._held > self._budget and len(self._results) > 1:
                self._held -= self._results.popitem(last=False)[1][1]


class _Making:
    """A value one thread is making for others to wait for: when `done`, its `value` or its `error`."""

    def __init__(self, thread: int):
        self.thread = thread
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


def _frame_weight(frame: pd.DataFrame) -> int:
    """Roughly how many bytes a query's result holds (a text is ~4× its pointer)."""
    return int(frame.memory_usage(deep=False).sum()) * 4


def _weight(value: Any) -> int:
    """Roughly how many bytes a kept page part holds, from the length of its JSON (measured on the national
    benchmark installation: 80 unit pages and 45 comparison pages, 5 MB of JSON, took ~140 MB)."""
    try:
        return len(to_json_plotly(value)) * PART_BYTES_PER_CHAR
    except (TypeError, ValueError):
        return UNKNOWN_WEIGHT


def per_version(reader: WarehouseReader, key: tuple, build: Callable[[], T]) -> T:
    """`build()` once per published version for the app's reader (see `CachedReader.kept`); every time for any
    other reader. The result is shared between requests: treat it as read-only."""
    return reader.kept(key, build) if isinstance(reader, CachedReader) else build()


def _params_key(params: list | dict | None) -> str:
    """Query parameters as a hashable key (their repr: lists, strings and numbers are all they hold)."""
    if isinstance(params, dict):
        return repr(sorted(params.items()))
    return repr(params)


def current_reader() -> WarehouseReader:
    """The reader of the app serving the current request."""
    return flask.current_app.config[READER_KEY]


def current_settings() -> Settings:
    """The settings of the app serving the current request."""
    return flask.current_app.config[SETTINGS_KEY]


def is_published(reader: WarehouseReader) -> bool:
    """True when a warehouse has been published (a `bms load` or `bms demo` has run)."""
    cur = reader.cursor()
    if cur is None:
        return False
    cur.close()
    return True


def meta(reader: WarehouseReader) -> dict[str, str]:
    """The warehouse's meta table (version, built_at, kommune_code, kommune_name …); empty if unpublished."""
    frame = reader.df("SELECT key, value FROM meta")
    return dict(zip(frame["key"], frame["value"], strict=True)) if not frame.empty else {}


def built_at(meta_values: dict[str, str]) -> dt.datetime | None:
    """When the published version was built, from its meta values."""
    try:
        return dt.datetime.fromisoformat(meta_values["built_at"])
    except (KeyError, ValueError):
        return None


def is_demo(reader: WarehouseReader) -> bool:
    """True when the published warehouse holds files loaded by `bms demo` (invented numbers)."""
    frame = reader.df(
        "SELECT count(*) AS n FROM load_log WHERE origin = $origin AND status = $status",
        {"origin": "demo", "status": "loaded"},
    )
    return not frame.empty and int(frame["n"].iloc[0]) > 0


def kommune_code(reader: WarehouseReader, settings: Settings) -> str:
    """The kommune number the warehouse was built for (falls back to the settings)."""
    return meta(reader).get("kommune_code") or settings.kommune_code


def units(reader: WarehouseReader) -> pd.DataFrame:
    """The current units (unit_id, name, service_area, service), ordered by service area and name."""
    return reader.df("""
        SELECT unit_id, name, service_area, service
        FROM units
        WHERE valid_to IS NULL OR valid_to >= current_date
        ORDER BY lower(service_area), name
    """)


def scorecard(reader: WarehouseReader, scope: str, scope_code: str) -> pd.DataFrame:
    """The newest value of every indicator for one scope, with its definition, in focus-area order."""
    frame = reader.df(
        """
        SELECT s.*, i.description, i.formula, i.comparison, i.min_n, g.group_name, g.group_value
        FROM scorecard_latest s
        LEFT JOIN indicators i USING (indicator_id)
        LEFT JOIN dashboard_kostra_group g USING (indicator_id, scope, scope_code)
        WHERE s.scope = $scope AND s.scope_code = $code
        ORDER BY coalesce(list_position($areas, s.focus_area), 99), s.sort_order, s.name
    """,
        {"scope": scope, "code": scope_code, "areas": list(FOCUS_AREAS)},
    )
    return hide_small_n(frame)  # the anonymity rule again, at the edge


def trends(reader: WarehouseReader, scope: str, scope_code: str) -> pd.DataFrame:
    """The recent values behind each newest value (5 years, or the last 12 periods), oldest first.

    Only the period type of the newest value counts, so a yearly figure is never drawn between months."""
    return reader.df(
        """
        WITH latest AS (
            SELECT indicator_id, period_type, period AS last_period
            FROM scorecard_latest
            WHERE scope = $scope AND scope_code = $code AND period IS NOT NULL
        )
        SELECT s.indicator_id, s.period, s.period_type, s.value
        FROM scorecard s
        JOIN latest l USING (indicator_id, period_type)
        JOIN indicators i USING (indicator_id)
        WHERE s.scope = $scope AND s.scope_code = $code
          AND NOT (s.scope = 'enhet' AND s.n IS NOT NULL AND s.n < i.min_n)  -- anonymity, again at the edge
          AND s.period > l.last_period - to_months(CASE s.period_type
                WHEN 'year' THEN $year WHEN 'tertial' THEN $tertial WHEN 'quarter' THEN $quarter ELSE $month END)
        ORDER BY s.indicator_id, s.period
    """,
        {"scope": scope, "code": scope_code, **TREND_MONTHS},
    )

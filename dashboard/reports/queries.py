"""The warehouse queries behind the reports: each takes a reader (anything with `.df(sql, params)`)."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

import pandas as pd

from etl.norsk import FOCUS_AREAS


class Reader(Protocol):
    """What the reports need from the warehouse: a parameterised query to a DataFrame."""

    def df(self, sql: str, params: list | dict | None = None) -> pd.DataFrame: ...


def period_end(year: int, tertial: int | None) -> dt.date:
    """The first day after the report's period (a year, or the year up to the end of a tertial)."""
    if tertial is None or tertial == 3:
        return dt.date(year + 1, 1, 1)
    return dt.date(year, 4 * tertial + 1, 1)


def meta(reader: Reader) -> dict[str, str]:
    """The warehouse's meta values (kommune_code, kommune_name, built_at …)."""
    frame = reader.df("SELECT key, value FROM meta")
    return dict(zip(frame["key"], frame["value"], strict=True)) if not frame.empty else {}


def units(reader: Reader) -> pd.DataFrame:
    """The current units with their service area."""
    return reader.df(
        "SELECT unit_id, name, service_area, service FROM units "
        "WHERE valid_to IS NULL OR valid_to >= current_date ORDER BY lower(service_area), unit_id"
    )


def scorecard_for(reader: Reader, scope: str, code: str, year: int, tertial: int | None = None) -> pd.DataFrame:
    """Every indicator of a scope as of the end of the period: the figure of the year that reaches furthest
    without passing the period's end, the longest of those (a whole year's sick leave before its December,
    no full year's figure in a tertial's report), its target, status, the value a year earlier, noise; a
    held-back survey cell as «for få svar» with no value; focus-area order."""
    return reader.df(
        """
        WITH expected AS (
            SELECT indicator_id FROM indicators WHERE $scope = 'kommune' AND level IN ('kommune', 'begge')
            UNION SELECT indicator_id FROM indicator_units WHERE $scope = 'enhet' AND unit_id = $code
            UNION SELECT indicator_id FROM scorecard
                  WHERE scope = $scope AND scope_code = $code AND year(period) = $year
        ),
        newest AS (
            SELECT * FROM scorecard
            WHERE scope = $scope AND scope_code = $code AND year(period) = $year
              AND period_after(period, period_type) <= $end
            QUALIFY row_number() OVER (
                PARTITION BY indicator_id ORDER BY period_after(period, period_type) DESC, period, period_type) = 1
        ),
        held AS (
            SELECT indicator_id, any_value(reason) AS reason FROM held_back
            WHERE scope = $scope AND scope_code = $code AND year(period) = $year
              AND period_after(period, period_type) <= $end
            GROUP BY indicator_id
        )
        SELECT i.indicator_id, i.name, i.focus_area, i.direction, i.unit_of_measure, i.decimals, i.source,
               i.sort_order, n.period, n.period_type, period_after(n.period, n.period_type) AS period_after,
               CASE WHEN h.reason IS NULL THEN n.value END AS value, n.target,
               CASE WHEN h.reason IS NULL THEN coalesce(n.status, 'grey') ELSE 'grey' END AS status,
               coalesce(h.reason, n.status_reason, CASE WHEN n.indicator_id IS NULL THEN 'ingen data' END)
                   AS status_reason,
               h.reason IS NOT NULL AS held,
               CASE WHEN h.reason IS NULL THEN n.same_period_last_year END AS last_year,
               n.change_noise, n.vintage, n.source_ref, i.ref_args
        FROM expected e
        JOIN indicators i USING (indicator_id)
        LEFT JOIN newest n USING (indicator_id)
        LEFT JOIN held h USING (indicator_id)
        ORDER BY coalesce(list_position($areas, i.focus_area), 99), i.sort_order
        """,
        {"scope": scope, "code": code, "year": year, "end": period_end(year, tertial), "areas": list(FOCUS_AREAS)},
    )


def yearly_history(
    reader: Reader, scopes: list[tuple[str, str]], year: int, tertial: int | None = None
) -> pd.DataFrame:
    """Each indicator's value per scope and year over five years up to `year`: the year's own figure where
    there is one, else its newest period stands for it; nothing that ends after the report's period (a
    tertial's report shows the year so far, as its scorecard does)."""
    return reader.df(
        """
        SELECT indicator_id, scope_code, year(period) AS year, value, target
        FROM scorecard
        WHERE list_contains($keys, scope || '/' || scope_code) AND year(period) BETWEEN $year - 4 AND $year
          AND period_after(period, period_type) <= $end
        QUALIFY row_number() OVER (
            PARTITION BY indicator_id, scope_code, year(period)
            ORDER BY period_after(period, period_type) DESC, period, period_type) = 1
        ORDER BY indicator_id, scope_code, year
        """,
        {"keys": [f"{s}/{c}" for s, c in scopes], "year": year, "end": period_end(year, tertial)},
    )


def kostra(reader: Reader, scopes: list[tuple[str, str]], year: int) -> pd.DataFrame:
    """The KOSTRA comparison of the subjects (scope, code) in a year: rank among the peers, group, spread,
    trend. One query for all of them: the view is the slowest relation a report reads."""
    return reader.df(
        """
        SELECT c.*, i.sort_order FROM kostra_comparison c JOIN indicators i USING (indicator_id)
        WHERE c.year = $year AND list_contains($keys, c.scope || '/' || c.scope_code)
        ORDER BY coalesce(list_position($areas, c.focus_area), 99), i.sort_order, c.scope_code
        """,
        {"keys": [f"{s}/{c}" for s, c in scopes], "year": year, "areas": list(FOCUS_AREAS)},
    )


def source_files(reader: Reader, year: int) -> pd.DataFrame:
    """The files the year's internal figures come from (key, file_name, loaded_at): `key` is the catalogue
    source, with the service for a user survey (`brukerundersøkelse:barnehage`) and the indicator for a
    manual figure (`manuell:grunnskolepoeng`)."""
    return reader.df(
        """
        WITH used AS (
            SELECT DISTINCT 'sykefravær' AS key, _sha FROM sick_leave WHERE year(period) = $y
            UNION SELECT DISTINCT 'personal', _sha FROM staff WHERE year(period) = $y
            UNION SELECT DISTINCT 'regnskap', _sha FROM accounting WHERE year(period) = $y
            UNION SELECT DISTINCT 'medarbeiderundersøkelse', _sha FROM employee_survey WHERE year = $y
            UNION SELECT DISTINCT 'brukerundersøkelse:' || service, _sha FROM user_survey WHERE year = $y
            UNION SELECT DISTINCT 'avvik', _sha FROM deviations
            UNION SELECT DISTINCT 'vedtak', _sha FROM decisions
            UNION SELECT DISTINCT 'manuell:' || indicator_id, _sha FROM manual_values WHERE year(period) = $y
        )
        SELECT u.key, l.file_name, max(l.loaded_at) AS loaded_at
        FROM used u JOIN load_log l ON l.sha256 = u._sha AND l.status = 'loaded'
        GROUP BY u.key, l.file_name
        ORDER BY u.key, l.file_name
        """,
        {"y": year},
    )


def has_year(reader: Reader, year: int) -> bool:
    """True when the warehouse holds any value for the year."""
    frame = reader.df("SELECT count(*) AS n FROM scorecard WHERE year(period) = $year", {"year": year})
    return not frame.empty and int(frame["n"].iloc[0]) > 0

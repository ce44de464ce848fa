"""What a checked file replaces in the published warehouse, for its load report: per period, the units (or
ansvar) it lists, with the rows before and now; a survey file replaces its whole scope (year, service …), and
is refused if that removes published units' figures it does not carry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import duckdb
import pandas as pd

from etl.checks.context import Context
from etl.errors import Problem
from etl.norsk import format_count, format_period
from etl.read.table import Table
from etl.spec import Spec


def scope_names(spec: Spec) -> str | None:
    """What a kind's replacement scope names besides the period: `unit` (a unit or its ansvar) or `ansvar`."""
    if "period" not in spec.scope or "ansvar" not in spec.scope:
        return None
    return "unit" if "unit_id" in spec.scope else "ansvar"


def replaced(con: duckdb.DuckDBPyConnection, spec: Spec, frame: pd.DataFrame, ctx: Context) -> list[str]:
    if scope_names(spec) == "unit":
        names = frame["unit_id"].where(frame["unit_id"].notna(), frame["ansvar"].map(ctx.ansvar))
        who = "coalesce(r.unit_id, a.unit_id, r.ansvar)"
    else:
        names, who = frame["ansvar"], "r.ansvar"
    current = (
        f"SELECT r.period, r.period_type, {who} AS who FROM {spec.raw_table} r "
        "LEFT JOIN ansvar_units a ON r.unit_id IS NULL AND a.ansvar = r.ansvar "
        f"QUALIFY r._seq = max(r._seq) OVER (PARTITION BY r.period, r.period_type, {who})"
    )
    if scope_names(spec) == "ansvar":  # a kind without unit_id: its ansvar is all it says
        current = current.replace("r.unit_id IS NULL AND ", "")
    sql = f"SELECT period, period_type, who, count(*) FROM ({current}) GROUP BY ALL"
    before = {(pd.Timestamp(p), t, w): n for p, t, w, n in con.execute(sql).fetchall()}
    said: dict[tuple, list[str]] = {}
    now = frame.assign(_who=names.fillna(frame["ansvar"])).groupby(["period", "period_type", "_who"]).size()
    for key, rows in now.items():
        period, ptype, name = cast(tuple, key)
        old = before.get((pd.Timestamp(str(period)), ptype, name))
        if old:
            label = name if scope_names(spec) == "unit" else f"ansvar {name}"
            said.setdefault((period, ptype), []).append(f"{label} ({_rows(old)} før → {_rows(int(rows))} nå)")
    return [
        f"erstatter {format_period(period.date(), str(ptype))} for {_listed(parts)}"
        for (period, ptype), parts in sorted(said.items(), key=lambda item: item[0][0])
    ]


def replaces_whole_scope(spec: Spec) -> bool:
    """A kind with units whose scope is wider than a unit (a survey's year and service): a newer file
    replaces the whole scope, also the units it does not list."""
    return "unit_id" in {c.field for c in spec.columns} and "unit_id" not in spec.scope


@dataclass
class WholeScope:
    """One scope (year, service …) a survey file replaces whole: rows before and now, units losing figures."""

    what: str
    before: int
    now: int
    lost: list[str]


def replaced_whole(con: duckdb.DuckDBPyConnection, spec: Spec, frame: pd.DataFrame) -> list[WholeScope]:
    """Per scope (year, service …) the file replaces: rows before and now, and the units that lose figures
    (units with a published figure, not only a held-back marker, that the file does not list)."""
    fields = list(spec.scope)
    cols = ", ".join(fields)
    # a marker row (a held-back figure's place: spec `[anonymity] value` blank) is no figure to lose
    figure = f'"{spec.anonymity_value}" IS NOT NULL' if spec.anonymity_value else "true"
    old = con.execute(
        f"SELECT {cols}, unit_id, {figure} AS figure FROM {spec.raw_table} "
        f"QUALIFY _seq = max(_seq) OVER (PARTITION BY {cols})"
    ).df()
    found = []
    for key, new in frame.groupby(fields, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        mask = pd.Series(True, index=old.index)
        for f, v in zip(fields, key, strict=True):
            mask &= old[f] == v
        before = old[mask]
        if before.empty:
            continue
        with_figures = set(before.loc[before["figure"].astype(bool), "unit_id"].dropna())
        lost = sorted(with_figures - set(new["unit_id"].dropna()))
        found.append(WholeScope(", ".join(str(v) for v in key), len(before), len(new), lost))
    return found


def _listed(units: list[str]) -> str:
    return ", ".join(units[:10]) + (f" og {len(units) - 10} til" if len(units) > 10 else "")


def whole_note(scope: WholeScope) -> str:
    """The load report's line for a scope replaced whole."""
    note = f"erstatter {scope.what} ({_rows(scope.before)} før → {_rows(scope.now)} nå)"
    if scope.lost:
        note += f"; tallene for {_listed(scope.lost)} er ikke med i fila og fjernes"
    return note


def removal_problem(name: str, table: Table, scopes: list[WholeScope]) -> Problem | None:
    """The refusal of a survey file that would remove published units' figures it does not itself carry;
    `name` is how the fix names the file to load again with --erstatt-hele."""
    lost = sorted({u for s in scopes for u in s.lost})
    if not lost:
        return None
    where = "; ".join(f"{s.what}: {_listed(s.lost)}" for s in scopes if s.lost)
    scope = " og ".join(table.spec.column(f).name for f in table.spec.scope)
    kind = table.spec.label[:1].lower() + table.spec.label[1:]  # «medarbeiderundersøkelse (10-FAKTOR)»
    return Problem(
        f"fila ville fjerne publiserte tall for enheter den ikke har med ({kind} {where}): "
        f"en fil erstatter alt som er lastet for sitt {scope}, også enhetene den ikke lister; ingenting er lastet",
        f"Legg radene for {_listed(lost)} til i fila (ta en fullstendig eksport fra portalen), eller, hvis "
        f"tallene deres skal fjernes, last fila med: bms load --erstatt-hele {name}",
        sheet=table.sheet,
    )


def _rows(n: int) -> str:
    return format_count(n, "rad", "rader")

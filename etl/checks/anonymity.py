"""The anonymity rule at load time: unit figures with too few answers are held back, and so is whatever
would let one be worked out by subtraction from the kommune figure, within the file. The warehouse applies
the rule again over everything published (etl/sql/16_anonymity.sql, 40_indicator_values.sql)."""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from etl.checks.context import Context
from etl.errors import Problem
from etl.read.table import Table
from etl.spec import Spec

# What the warehouse keeps of a held-back cell (`held_back`): that it was held back and why, never a value
# or an n below the minimum. A marker row is stored in the cell's place with every result blanked: its n
# is blank when the cell itself had too few answers, and kept (it is at least the minimum) when the cell
# was held back only to shield another.
TOO_FEW = "for få svar"
SHIELDED = "skjult av personvernhensyn"


def hold_back(frame: pd.DataFrame, ctx: Context, table: Table) -> tuple[pd.DataFrame, list[str], list[Problem]]:
    """Hold back unit figures with too few answers, and whatever would let them be worked out.

    Within each group whose units add up to the kommune figure (user survey: year × service × dimension;
    10-FAKTOR: year × factor; indikatorverdier: indicator × period), the answers no shown unit accounts for
    (the kommune's n less the shown units' n: units held back, and units the file left out) would give their
    mean by subtraction. While those are more than none and fewer than the minimum, the smallest other units
    (by n) are held back too; and if even the kommune figure rests on fewer answers than that, it is held back
    as well. A survey file without a kommune row gets one computed from all its unit rows first."""
    spec = table.spec
    n_col, unit_col = spec.anonymity_n, spec.anonymity_unit or "unit_id"
    if n_col is None:  # a kind without an anonymity rule holds nothing back
        return frame, [], []
    survey = spec.anonymity_survey
    problems = _missing_n(frame, ctx, table, n_col, unit_col, survey)
    if problems:
        return frame, [], problems
    groups = _group_fields(spec, frame, unit_col)
    notes: list[str] = []
    frame = frame.assign(_row=frame["_row"].astype("Int64")).reset_index(drop=True)
    if survey and "mean" in frame:
        frame, computed = _kommune_from_units(frame, spec, groups, n_col, unit_col)
        if computed:
            notes.append(
                f"fila har ingen rad for hele kommunen for {computed} av tallene: kommunetallet er regnet ut fra "
                "alle enhetenes svar (snittet vektet med antall svar), også svarene til enheter som holdes tilbake"
            )
    if survey:
        minimum = pd.Series(ctx.min_n_for_source(spec.kind), index=frame.index)
    else:
        minimum = frame[_indicator_field(spec)].map(ctx.min_n)
    held = _held(frame, groups, n_col, unit_col, minimum)
    notes += [_note(_row_at(frame, i), spec, n_col, unit_col, int(minimum[i]), *why) for i, why in held.items()]
    return _markers(frame, spec, held, groups, n_col, unit_col), notes, problems


def _indicator_field(spec: Spec) -> str:
    """The field naming the catalogue indicator whose minimum applies to a row of a kind that is not a survey."""
    if spec.anonymity_indicator is None:
        raise ValueError(f"{spec.kind}: a kind that is not a survey names its indicator in anonymity.indicator")
    return spec.anonymity_indicator


def _row_at(frame: pd.DataFrame, label: int) -> pd.Series:
    """The row with this index label (the index is unique: reset in hold_back)."""
    # pandas-stubs types .loc[label] as a row or a frame, since a label may repeat; it does not here
    return cast(pd.Series, frame.loc[label])


def _missing_n(frame: pd.DataFrame, ctx: Context, table: Table, n_col: str, unit_col: str, survey: bool):
    """A unit figure without n for an indicator with a minimum cannot be judged: refuse it."""
    if survey:  # a survey file: the strictest minimum of the indicators the kind feeds
        explicit = pd.Series(True, index=frame.index)
    else:
        explicit = frame[_indicator_field(table.spec)].map(lambda i: ctx.indicators.get(i or "") is not None)
    missing_n = frame[unit_col].notna() & explicit & frame[n_col].isna()
    n_name = table.spec.column(n_col).name
    return [
        Problem(
            "enhetstall for en indikator med anonymitetsgrense mangler antall svar",
            f"Fyll inn {n_name}, slik at tall med for få svar kan holdes tilbake.",
            table.sheet,
            int(r),
            n_name,
        )
        for r in frame.loc[missing_n, "_row"]
    ]


def _note(r: pd.Series, spec, n_col: str, unit_col: str, m: int, kind: str, shields: list[str], k_n: float, gap: float):
    """The load report's line for one held-back row: never how many answered, which the load log and the Data
    page would otherwise show of a cell held back (2 of a unit's 28 answers are then its held-back part)."""
    what = _describe(r, spec.anonymity_describe)
    row = f"rad {int(r['_row'])}" if not pd.isna(r["_row"]) else "kommunetallet regnet ut fra enhetene"
    if kind == "under":
        return (
            f"{row} holdt tilbake (personvern): {what} for enhet {r[unit_col]} har færre svar enn minstegrensen "
            f"{m}; tallet lagres ikke på enhetsnivå"
        )
    if kind == "shield":
        return (
            f"{row} holdt også tilbake (personvern): {what} for enhet {r[unit_col]} lagres ikke, for ellers kunne "
            f"tallet for enhet {', '.join(shields)} regnes ut fra kommunetallet"
        )
    if kind == "gap":
        return (
            f"{row} holdt tilbake (personvern): {what} for enhet {r[unit_col]} lagres ikke: kommunetallet bygger også "
            f"på svar som ingen enhet i fila står for, færre enn minstegrensen {m}, og snittet av dem kunne ellers "
            "regnes ut fra kommunetallet"
        )
    who = "ville vist svarene som ingen enhet står for"
    if shields:
        who = f"ville vist tallet for enhet {', '.join(shields)}"
    return (
        f"{row} holdt tilbake (personvern): {what} for hele kommunen bygger på færre svar enn minstegrensen {m}, "
        f"og {who}; kommunetallet lagres ikke"
    )


def _group_fields(spec, frame: pd.DataFrame, unit_col: str) -> list[str]:
    """The fields that make a group of cells adding up to one kommune figure: the key without the unit."""
    unit_fields = {unit_col, *spec.unit_fields}
    fields = [k for k in spec.key if spec.column(k).store and k not in unit_fields]
    return fields + [f"{k}_type" for k in fields if f"{k}_type" in frame]


def _kommune_from_units(
    frame: pd.DataFrame, spec, groups: list[str], n_col: str, unit_col: str
) -> tuple[pd.DataFrame, int]:
    """A kommune row for every group that has unit rows but none for the kommune, from all the unit rows.

    The mean is weighted by answers, n is the sum, the spread is pooled where every unit gives one, and any
    other column keeps the value all units share (the scale, the national mean, a shared response rate).
    Means on different scales are never averaged: such a group gets no kommune row."""
    stored = {c.field for c in spec.columns if c.store} | {f"{c.field}_type" for c in spec.columns if c.store}
    kommune = {_key(k) for k, _ in frame[frame[unit_col].isna()].groupby(groups, dropna=False, sort=False)}
    shared = [c for c in frame.columns if c in stored and c not in {*groups, unit_col, n_col, "mean", "sd"}]
    rows = []
    for key, g in frame[frame[unit_col].notna()].groupby(groups, dropna=False, sort=False):
        if _key(key) in kommune or g[n_col].isna().any() or g[n_col].sum() == 0:
            continue
        if spec.feeds_scale and g[spec.feeds_scale].fillna(spec.feeds_scale_default).nunique() > 1:
            continue
        n, mean = g[n_col].astype(float), g["mean"].astype(float)
        total = n.sum()
        row = dict(zip(groups, _key(key), strict=True))
        row |= {unit_col: None, n_col: int(total), "mean": float((mean * n).sum() / total), "_row": pd.NA}
        if "sd" in g:
            sd = g["sd"].astype(float)
            pooled = ((n - 1) * sd**2).sum() + (n * (mean - row["mean"]) ** 2).sum()
            row["sd"] = float(np.sqrt(pooled / (total - 1))) if sd.notna().all() and total > 1 else None
        for c in shared:
            values = g[c].dropna().unique()
            row[c] = values[0] if len(values) == 1 and g[c].notna().all() else None
        rows.append(row)
    if not rows:
        return frame, 0
    extra = pd.DataFrame(rows, columns=frame.columns)
    for c in frame.columns:
        extra[c] = extra[c].astype(frame[c].dtype) if frame[c].dtype != object else extra[c]
    return pd.concat([frame, extra], ignore_index=True), len(rows)


def _key(key: object) -> tuple:
    return key if isinstance(key, tuple) else (key,)


def _held(
    frame: pd.DataFrame, groups: list[str], n_col: str, unit_col: str, minimum: pd.Series
) -> dict[int, tuple[str, list[str], float, float]]:
    """Which rows to hold back, each with why: `under` (too few answers), `shield` (held back so that the
    units listed cannot be worked out from the kommune figure), `gap` (held back so that the answers of units
    the file left out cannot be), `kommune` (the kommune figure itself rests on too few answers and would show
    them); with the kommune's n and the answers no shown unit stands for."""
    held: dict[int, tuple[str, list[str], float, float]] = {}
    for _, g in frame.groupby(groups, dropna=False, sort=False):
        units, kommune = g[g[unit_col].notna()], g[g[unit_col].isna()]
        m = minimum[g.index].max()
        n = units[n_col].astype(float)
        under = n.notna() & (n < m)
        known = kommune[n_col].notna().any()
        k_n = float(kommune[n_col].dropna().iloc[0]) if known else float(n.fillna(0).sum())
        shown = n[~under].fillna(0).to_frame("n").assign(unit=units.loc[~under, unit_col].astype(str))
        gap = k_n - shown["n"].sum()  # what subtraction would give the mean of
        if not under.any() and not (0 < gap < m):
            continue
        small = [str(u) for u in units.loc[under, unit_col]]
        for i in units.index[under]:
            held[i] = ("under", small, k_n, gap)
        shown = shown.sort_values(["n", "unit"])
        before = shown["n"].cumsum() - shown["n"]
        for i in shown.index[(gap + before) < m]:
            held[i] = ("shield" if small else "gap", small, k_n, gap)
        if k_n < m and len(units):
            for i in kommune.index:
                held[i] = ("kommune", small, k_n, gap)
    return held


def _markers(frame: pd.DataFrame, spec, held: dict, groups: list[str], n_col: str, unit_col: str) -> pd.DataFrame:
    """The frame with every held-back row blanked to a marker: its group and unit, and n only for a row held
    back to shield another (its n is at least the minimum); never a value."""
    if not held:
        return frame
    rows = pd.Series(False, index=frame.index)
    rows[list(held)] = True
    too_few = rows & pd.Series({i: kind not in ("shield", "gap") for i, (kind, *_) in held.items()}).reindex(
        frame.index, fill_value=False
    )
    keep = {*groups, unit_col, "_row"}
    for c in frame.columns:
        if c in keep:
            continue
        frame[c] = frame[c].mask(too_few if c == n_col else rows)
    return frame


def _describe(row: pd.Series, fields: tuple[str, ...]) -> str:
    return " ".join(str(row[f]) for f in fields if f in row and not pd.isna(row[f]))


def cells_sql(spec: Spec) -> str | None:
    """The warehouse's anonymity cells of one kind, as the query of a view (etl/sql/16_anonymity.sql gathers
    every kind's), declared by its spec's `[anonymity]`: None for a kind without `period` and `value` there.

    One row per stored row in force (the newest file of each `scope`): `source` (the kind), `args` (the key
    without the unit and the period, as text: the parameters of the measure the cell feeds, such as
    [service, dimension]), `period`, `period_type`, `unit_id` (blank: the kommune), `n`, `marker` (the row is a
    held-back cell's marker: its value is blank), `scale`, `min_n` (the indicator's for a kind that is not a
    survey; blank for a survey, whose minimum 16_anonymity.sql works out) and `survey`."""
    period, value, n = spec.anonymity_period, spec.anonymity_value, spec.anonymity_n
    if period is None or value is None or n is None:
        return None
    unit = spec.anonymity_unit or "unit_id"
    args = ", ".join(f'r."{k}"::VARCHAR' for k in spec.anonymity_cell if spec.column(k).store)
    if spec.column(period).type == "year":
        when = f"make_date(r.\"{period}\", 1, 1) AS period, 'year' AS period_type"
    elif spec.column(period).type == "period":
        when = f'r."{period}" AS period, r."{period}_type" AS period_type'
    else:
        raise ValueError(f"{spec.kind}: anonymity.period must name a year or period column, not {period!r}")
    scale = "NULL"
    if spec.feeds_scale or spec.feeds_scale_default is not None:
        parts = [f'r."{spec.feeds_scale}"' if spec.feeds_scale else None, _number(spec.feeds_scale_default)]
        scale = f"coalesce({', '.join(p for p in parts if p)})"
    minimum, join = "NULL::INTEGER", ""
    if not spec.anonymity_survey:
        minimum, join = "i.min_n", f'JOIN indicators i ON i.indicator_id = r."{_indicator_field(spec)}"'
    scope = ", ".join(f'"{f}"' for f in spec.scope)
    return (
        f'SELECT \'{spec.kind}\' AS source, [{args}] AS args, {when}, r."{unit}" AS unit_id, r."{n}" AS n, '
        f'r."{value}" IS NULL AS marker, {scale}::DOUBLE AS scale, {minimum} AS min_n, '
        f"{spec.anonymity_survey} AS survey "
        f"FROM (SELECT * FROM {spec.raw_table} QUALIFY _seq = max(_seq) OVER (PARTITION BY {scope})) r {join}"
    )


def _number(value: float | None) -> str | None:
    return None if value is None else repr(float(value))

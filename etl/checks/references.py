"""Checks that need what is already known: unit, ansvar and indicator references, scales, and (through
etl.checks.anonymity) the anonymity rule. Returns the frame to store, problems and load-report notes."""

from __future__ import annotations

import pandas as pd

from etl.checks.anonymity import hold_back
from etl.checks.context import Context
from etl.errors import Problem
from etl.norsk import normalise_header
from etl.read.rows import duplicate_problems, is_blank
from etl.read.table import Table


def check_references(table: Table, ctx: Context, file_name: str) -> tuple[pd.DataFrame, list[Problem], list[str]]:
    """Resolve unit names to ids, refuse unknown codes, and hold back rows below the anonymity minimum.

    Returns the frame to store, the problems (which refuse the file) and notes for the load report."""
    spec = table.spec
    frame, problems = _resolve(table, ctx)
    notes: list[str] = _floor_notes(frame, table, ctx)
    for col in (c for c in spec.columns if c.owns == "ansvar"):
        problems += _ansvar_clashes(frame, col.field, col.name, ctx, table)
    if spec.unit_required and not problems:
        problems += _rows_without_unit(frame, table)
    if any(c.fills for c in spec.columns) and not problems:
        # a unit named by id on one row and by name on another is the same unit: check the key again
        stored = [c.field for c in spec.columns if c.store and c.field in frame]
        key = tuple(k for k in spec.key if spec.column(k).store)
        problems += duplicate_problems(spec, frame[[*stored, "_row"]], table.sheet, key)
        frame = frame[~frame.duplicated(subset=stored)]
    if "indicator_id" in frame and "value" in frame:
        problems += _scale_problems(frame, ctx, table)
    if spec.feeds_ref and spec.feeds_scale and not problems:
        problems += _feed_scale_problems(frame, ctx, table)
    if spec.anonymity_n and not problems:
        frame, held, more = hold_back(frame, ctx, table)
        notes += held
        problems += more
    if spec.forecast_notes and not problems:
        notes += _forecast_notes(frame)
    return frame, problems, notes


def _resolve(table: Table, ctx: Context) -> tuple[pd.DataFrame, list[Problem]]:
    """Unit names to ids (a column that `fills` another), and every unknown unit, ansvar or indicator code."""
    frame = table.frame.copy(deep=False)  # copy-on-write: a column is copied only where it is changed
    problems: list[Problem] = []
    unit_id = _unit_resolver(ctx)
    for col in table.spec.columns:
        if col.references is None or col.field not in frame:
            continue
        todo = frame[col.fills].isna() if col.fills else pd.Series(True, index=frame.index)
        if col.references == "unit":
            frame.loc[todo, col.field] = frame.loc[todo, col.field].map(unit_id)
            unknown = frame[col.field].where(todo)
            unknown = unknown[unknown.notna() & ~unknown.isin(list(ctx.units))]
            problems += _unknown_codes(unknown, frame, table, col.name, "enhet", _unit_fix(ctx))
        elif col.references == "ansvar":
            values = frame[col.field]
            unknown = values[values.notna() & ~values.isin(list(ctx.ansvar))]
            problems += _unknown_ansvar(unknown, frame, table, col.name)
        else:
            values = frame[col.field]
            unknown = values[values.notna() & ~values.isin(list(ctx.indicators))]
            fix = "Bruk en id fra balansehåndboka (indikatorkatalogen), eller legg indikatoren inn der først."
            problems += _unknown_codes(unknown, frame, table, col.name, "indikator", fix)
        if col.fills:
            frame[col.fills] = frame[col.fills].where(frame[col.fills].notna(), frame[col.field])
    return frame, problems


def _floor_notes(frame: pd.DataFrame, table: Table, ctx: Context) -> list[str]:
    """A catalogue minimum below the settings' (a column declared `floor = "min_n"`) never lowers it: say so."""
    notes = []
    for col in (c for c in table.spec.columns if c.floor == "min_n" and c.field in frame):
        low = frame[frame[col.field].notna() & (frame[col.field] < ctx.default_min_n)]
        key = table.spec.key[0]
        for _, r in low.iterrows():
            notes.append(
                f"{col.name} {int(r[col.field])} for {r[key]} er under minstegrensen {ctx.default_min_n} i "
                f"innstillingene; {ctx.default_min_n} gjelder (balansehåndboka kan heve grensen, aldri senke den)"
            )
    return notes


def _forecast_notes(frame: pd.DataFrame) -> list[str]:
    """A forecast is compared with the year's revised budget. While the year runs, that is known only from
    the file's `årsbudsjett` or from budget lines for all twelve months: say so when this file has neither."""
    notes = []
    forecast = frame[frame["forecast"].notna()]
    if "annual_budget" in frame:
        forecast = forecast[forecast["annual_budget"].isna()]
    for year, rows in forecast.groupby(forecast["period"].dt.year):
        if frame.loc[frame["period"].dt.year == year, "period"].dt.month.nunique() == 12:
            continue
        months = ", ".join(sorted({f"{p:%m.%Y}" for p in rows["period"]}))
        notes.append(
            f"fila har prognose for {months}, men ikke årsbudsjett: prognoseavviket regnes bare når budsjettet for "
            f"hele {year} er kjent. Ta med kolonnen «årsbudsjett» (revidert budsjett for hele året), eller "
            f"budsjettlinjene for alle tolv månedene i {year} (er de alt lastet fra en annen fil, regnes det); "
            "ellers vises prognoseavviket som «ingen data»"
        )
    return notes


def _unit_resolver(ctx: Context):
    """A function from a unit cell to a unit_id: the id itself, a unit's name, or None for the whole kommune."""
    by_name = {normalise_header(name): uid for uid, name in ctx.units.items()}

    def unit_id(value: object) -> object:
        if is_blank(value) or value in ctx.units:
            return value
        if ctx.is_kommune(value):
            return None
        return by_name.get(normalise_header(value), value)

    return unit_id


def _unit_fix(ctx: Context) -> str:
    return (
        "Bruk en enhet_id fra enhetsfila (kjente: "
        + ", ".join(sorted(ctx.units)[:20])
        + "), eller last inn enheten i en enheter-fil først."
    )


def _rows_listed(rows: pd.Series) -> str:
    return ", ".join(str(r) for r in rows.head(10)) + (" …" if len(rows) > 10 else "")


def _unknown_codes(
    unknown: pd.Series, frame: pd.DataFrame, table: Table, column: str, kind_label: str, fix: str
) -> list[Problem]:
    return [
        Problem(f"ukjent {kind_label} «{code}» (rad {_rows_listed(rows)})", fix, table.sheet, int(rows.iloc[0]), column)
        for code, rows in frame.loc[unknown.index, "_row"].groupby(unknown, sort=True)
    ]


def _unknown_ansvar(unknown: pd.Series, frame: pd.DataFrame, table: Table, column: str) -> list[Problem]:
    """Every unknown ansvar code in one problem: the analyst fixes them together in the units file."""
    if unknown.empty:
        return []
    groups = frame.loc[unknown.index, "_row"].groupby(unknown, sort=True)
    listed = "; ".join(f"{code} (rad {_rows_listed(rows)})" for code, rows in groups)
    return [
        Problem(
            f"{groups.ngroups} ansvar finnes ikke i enhetsfila, så tallene kan ikke knyttes til en enhet: {listed}",
            "Legg ansvarsnumrene til riktig enhet i kolonnen «ansvar» i enhetsfila og last den inn, "
            "og legg så denne fila i innboksen på nytt.",
            table.sheet,
            int(frame.loc[unknown.index, "_row"].min()),
            column,
        )
    ]


def _ansvar_clashes(frame: pd.DataFrame, field_name: str, column: str, ctx: Context, table: Table) -> list[Problem]:
    """An ansvar code belongs to one unit: listed twice, or already owned by a unit this file leaves out."""
    owner: dict[str, tuple[str, int]] = {}
    listed = set(frame["unit_id"])
    problems = []
    for uid, codes, row in zip(frame["unit_id"], frame[field_name], frame["_row"], strict=True):
        for code in codes if isinstance(codes, list) else []:
            other = owner.get(code, (ctx.ansvar.get(code), None))
            if other[0] is not None and other[0] != uid and (other[1] is not None or other[0] not in listed):
                where = f"rad {other[1]}" if other[1] is not None else "enhetene som alt er lastet"
                problems.append(
                    Problem(
                        f"ansvar {code} står både på enhet {uid} og på enhet {other[0]} ({where}); "
                        "et ansvar kan bare høre til én enhet",
                        f"Fjern ansvar {code} fra den ene enheten (flyttes et ansvar, ta med begge enhetene i fila).",
                        table.sheet,
                        int(row),
                        column,
                    )
                )
            owner.setdefault(code, (uid, int(row)))
    return problems


def _rows_without_unit(frame: pd.DataFrame, table: Table) -> list[Problem]:
    spec = table.spec
    fields = [f for f in spec.unit_fields if f in frame]
    missing = frame[fields].isna().all(axis=1) if fields else pd.Series(True, index=frame.index)
    names = " eller ".join(f"«{n}»" for n in spec.unit_columns)
    return [
        Problem(
            "raden sier ikke hvilken enhet tallene gjelder",
            f"Fyll inn {names}. Sum- og totalrader for hele kommunen skal ikke være med: kommunetallet regnes ut "
            "fra enhetene.",
            table.sheet,
            int(r),
        )
        for r in frame.loc[missing, "_row"]
    ]


def _scale_problems(frame: pd.DataFrame, ctx: Context, table: Table) -> list[Problem]:
    """A score outside its indicator's scale (a 7 on a 1–5 survey) is impossible: refuse it."""
    problems = []
    for indicator_id, (lo, hi) in ctx.scales.items():
        rows = frame[(frame["indicator_id"] == indicator_id) & ((frame["value"] < lo) | (frame["value"] > hi))]
        for _, r in rows.iterrows():
            problems.append(
                Problem(
                    f"verdien {r['value']:g} for {indicator_id} er utenfor skalaen {lo:g}–{hi:g}".replace(".", ","),
                    f"Rett verdien; skårer for {indicator_id} ligger mellom {lo:g} og {hi:g}.",
                    table.sheet,
                    int(r["_row"]),
                    "verdi",
                )
            )
    return problems


def _feed_scale_problems(frame: pd.DataFrame, ctx: Context, table: Table) -> list[Problem]:
    """A survey row on another scale than the indicator it feeds (1–6 rows for a 1–5 indicator) would mix
    scales in one series: refuse it, naming both scales."""
    spec = table.spec
    template, scale_field = spec.feeds_ref, spec.feeds_scale
    if template is None or scale_field is None:  # a kind that feeds no indicator's scale
        return []
    by_ref = {str(ref).lower(): i for i, ref in ctx.source_refs.items() if isinstance(ref, str)}
    problems = []
    for _, r in frame.iterrows():
        ref = template.format_map({str(k): v for k, v in r.items()})
        indicator = by_ref.get(ref.lower())
        if indicator is None or indicator not in ctx.scales:
            continue
        scale = r[scale_field]
        scale = spec.feeds_scale_default if pd.isna(scale) else float(scale)
        lo, hi = ctx.scales[indicator]
        if scale != hi:
            column = spec.column(scale_field).name
            problems.append(
                Problem(
                    f"raden har skala 1–{scale:g}, men indikatoren {indicator} ({ref}) måles på skala "
                    f"{lo:g}–{hi:g} i balansehåndboka; skalaer blandes aldri",
                    f"Rett {column} hvis den er feil. Har undersøkelsen byttet skala, endre måleenheten til "
                    f"indikatoren i balansehåndboka (eller lag en ny indikator for den nye skalaen).",
                    table.sheet,
                    int(r["_row"]),
                    column,
                )
            )
    return problems

"""Checks that need what is already known: unit and indicator references, and the anonymity rule."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from etl.errors import Problem
from etl.norsk import normalise_header
from etl.reader import Table

_SCALE = re.compile(r"\((\d+)\s*[–-]\s*(\d+)\)")


@dataclass
class Context:
    """Units and indicators known from the published warehouse plus the files accepted so far."""

    units: dict[str, str] = field(default_factory=dict)  # unit_id -> name
    indicators: dict[str, int | None] = field(default_factory=dict)  # indicator_id -> min_n
    scales: dict[str, tuple[float, float]] = field(default_factory=dict)  # indicator_id -> score scale
    default_min_n: int = 3

    def learn(self, table: Table) -> None:
        """Add the units or indicators a newly accepted table declares."""
        f = table.frame
        if table.spec.kind == "enheter":
            self.units.update(zip(f["unit_id"], f["name"], strict=True))
        elif table.spec.kind == "indikatorer":
            self.indicators.update(
                (i, None if pd.isna(n) else int(n)) for i, n in zip(f["indicator_id"], f["min_n"], strict=True)
            )
            self.learn_scales(zip(f["indicator_id"], f["unit_of_measure"], strict=True))

    def learn_scales(self, pairs) -> None:
        """Remember the score scale of indicators measured as `skår (1–5)` and the like."""
        for indicator_id, unit in pairs:
            m = _SCALE.search(str(unit or ""))
            if m:
                self.scales[indicator_id] = (float(m[1]), float(m[2]))
            else:
                self.scales.pop(indicator_id, None)

    def min_n(self, indicator_id: str | None) -> int:
        """The anonymity minimum for an indicator's unit-level results."""
        explicit = self.indicators.get(indicator_id or "")
        return explicit if explicit is not None else self.default_min_n


def check_references(table: Table, ctx: Context, file_name: str) -> tuple[pd.DataFrame, list[Problem], list[str]]:
    """Resolve unit names to ids, refuse unknown codes, and hold back rows below the anonymity minimum.

    Returns the frame to store, the problems (which refuse the file) and notes for the load report."""
    frame = table.frame.copy()
    problems: list[Problem] = []
    notes: list[str] = []
    by_name = {normalise_header(name): uid for uid, name in ctx.units.items()}
    for col in table.spec.columns:
        if col.references is None or col.field not in frame:
            continue
        values = frame[col.field]
        if col.references == "unit":
            resolved = values.map(lambda v: v if pd.isna(v) or v in ctx.units else by_name.get(normalise_header(v), v))
            frame[col.field] = resolved
            known, kind_label, fix = (
                ctx.units,
                "enhet",
                (
                    "Bruk en enhet_id fra enhetsfila (kjente: "
                    + ", ".join(sorted(ctx.units)[:20])
                    + "), eller last inn enheten i en enheter-fil først."
                ),
            )
        else:
            resolved = values
            known, kind_label, fix = (
                ctx.indicators,
                "indikator",
                ("Bruk en id fra balansehåndboka (indikatorkatalogen), eller legg indikatoren inn der først."),
            )
        unknown = resolved[resolved.notna() & ~resolved.isin(list(known))]
        for code, rows in frame.loc[unknown.index, "_row"].groupby(unknown, sort=True):
            listed = ", ".join(str(r) for r in rows.head(10)) + (" …" if len(rows) > 10 else "")
            problems.append(
                Problem(f"ukjent {kind_label} «{code}» (rad {listed})", fix, table.sheet, int(rows.iloc[0]), col.name)
            )
    if "indicator_id" in frame and "value" in frame:
        problems += _scale_problems(frame, ctx, table)
    spec = table.spec
    if spec.anonymity_n and not problems:
        frame, held, more = _anonymity(frame, spec.anonymity_n, spec.anonymity_unit or "unit_id", ctx, table)
        notes += held
        problems += more
    return frame, problems, notes


def _anonymity(frame: pd.DataFrame, n_col: str, unit_col: str, ctx: Context, table: Table):
    indicator = frame.get("indicator_id", pd.Series([None] * len(frame), index=frame.index))
    minimum = indicator.map(ctx.min_n)
    at_unit = frame[unit_col].notna()
    explicit = indicator.map(lambda i: ctx.indicators.get(i or "") is not None)
    missing_n = at_unit & explicit & frame[n_col].isna()
    problems = [
        Problem(
            "enhetstall for en indikator med anonymitetsgrense mangler antall svar",
            "Fyll inn antall_svar, slik at tall med for få svar kan holdes tilbake.",
            table.sheet,
            int(r),
            "antall_svar",
        )
        for r in frame.loc[missing_n, "_row"]
    ]
    below = at_unit & frame[n_col].notna() & (frame[n_col] < minimum)
    notes = [
        f"rad {int(r['_row'])} holdt tilbake (personvern): {r.get('indicator_id', '')} for enhet "
        f"{r[unit_col]} har {int(r[n_col])} svar, under minstegrensen {int(m)}; tallet lagres ikke på enhetsnivå"
        for (_, r), m in zip(frame[below].iterrows(), minimum[below], strict=True)
    ]
    return frame[~below], notes, problems


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

"""Checks that need what is already known: unit, ansvar and indicator references, and the anonymity rule."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from etl.errors import Problem
from etl.norsk import KOMMUNE_WORDS, normalise_header
from etl.reader import Table, duplicate_problems

_SCALE = re.compile(r"\((\d+)\s*[–-]\s*(\d+)\)")


@dataclass
class Context:
    """Units and indicators known from the published warehouse plus the files accepted so far."""

    units: dict[str, str] = field(default_factory=dict)  # unit_id -> name
    ansvar: dict[str, str] = field(default_factory=dict)  # ansvar code -> unit_id
    indicators: dict[str, int | None] = field(default_factory=dict)  # indicator_id -> min_n
    sources: dict[str, str] = field(default_factory=dict)  # indicator_id -> source kind (the catalogue's kilde)
    source_refs: dict[str, str] = field(default_factory=dict)  # indicator_id -> kilde_ref
    scales: dict[str, tuple[float, float]] = field(default_factory=dict)  # indicator_id -> score scale
    default_min_n: int = 3
    kommune_name: str = ""

    def learn(self, table: Table) -> None:
        """Add the units, ansvar codes or indicators a newly accepted table declares."""
        f = table.frame
        if table.spec.kind == "enheter":
            self.units.update(zip(f["unit_id"], f["name"], strict=True))
            for col in (c for c in table.spec.columns if c.owns == "ansvar"):
                listed = set(f["unit_id"])
                self.ansvar = {code: uid for code, uid in self.ansvar.items() if uid not in listed}
                for uid, codes in zip(f["unit_id"], f[col.field], strict=True):
                    self.ansvar.update((code, uid) for code in (codes if isinstance(codes, list) else []))
        elif table.spec.kind == "indikatorer":
            self.indicators.update(
                (i, None if pd.isna(n) else int(n)) for i, n in zip(f["indicator_id"], f["min_n"], strict=True)
            )
            self.sources.update(zip(f["indicator_id"], f["source"], strict=True))
            self.source_refs.update(zip(f["indicator_id"], f["source_ref"], strict=True))
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

    def min_n_for_source(self, source: str) -> int:
        """The anonymity minimum for a source's unit rows: the strictest of the indicators it feeds."""
        fed = [self.min_n(i) for i, s in self.sources.items() if s == source]
        return max(fed, default=self.default_min_n)

    def is_kommune(self, value: object) -> bool:
        """A unit cell that names the whole kommune ("Heim kommune", "Hele kommunen", "Totalt")."""
        names = {*KOMMUNE_WORDS, self.kommune_name, f"{self.kommune_name} kommune"}
        return normalise_header(value) in {normalise_header(n) for n in names if n}


def check_references(table: Table, ctx: Context, file_name: str) -> tuple[pd.DataFrame, list[Problem], list[str]]:
    """Resolve unit names to ids, refuse unknown codes, and hold back rows below the anonymity minimum.

    Returns the frame to store, the problems (which refuse the file) and notes for the load report."""
    frame = table.frame.copy()
    problems: list[Problem] = []
    notes: list[str] = []
    spec = table.spec
    unit_id = _unit_resolver(ctx)
    for col in spec.columns:
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
            problems += _unknown_codes(
                unknown,
                frame,
                table,
                col.name,
                "indikator",
                "Bruk en id fra balansehåndboka (indikatorkatalogen), eller legg indikatoren inn der først.",
            )
        if col.fills:
            frame[col.fills] = frame[col.fills].where(frame[col.fills].notna(), frame[col.field])
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
        frame, held, more = _anonymity(frame, ctx, table)
        notes += held
        problems += more
    return frame, problems, notes


def _unit_resolver(ctx: Context):
    """A function from a unit cell to a unit_id: the id itself, a unit's name, or None for the whole kommune."""
    by_name = {normalise_header(name): uid for uid, name in ctx.units.items()}

    def unit_id(value: object) -> object:
        if pd.isna(value) or value in ctx.units:
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


def _anonymity(frame: pd.DataFrame, ctx: Context, table: Table):
    spec = table.spec
    n_col, unit_col = spec.anonymity_n, spec.anonymity_unit or "unit_id"
    if "indicator_id" in frame:
        indicator = frame["indicator_id"]
        minimum = indicator.map(ctx.min_n)
        explicit = indicator.map(lambda i: ctx.indicators.get(i or "") is not None)
    else:  # a survey file: the strictest minimum of the indicators the kind feeds
        minimum = pd.Series(ctx.min_n_for_source(spec.kind), index=frame.index)
        explicit = pd.Series(True, index=frame.index)
    at_unit = frame[unit_col].notna()
    missing_n = at_unit & explicit & frame[n_col].isna()
    n_name = spec.column(n_col).name
    problems = [
        Problem(
            "enhetstall for en indikator med anonymitetsgrense mangler antall svar",
            f"Fyll inn {n_name}, slik at tall med for få svar kan holdes tilbake.",
            table.sheet,
            int(r),
            n_name,
        )
        for r in frame.loc[missing_n, "_row"]
    ]
    below = at_unit & frame[n_col].notna() & (frame[n_col] < minimum)
    notes = [
        f"rad {int(r['_row'])} holdt tilbake (personvern): {_describe(r, spec.anonymity_describe)} for enhet "
        f"{r[unit_col]} har {int(r[n_col])} svar, under minstegrensen {int(m)}; tallet lagres ikke på enhetsnivå"
        for (_, r), m in zip(frame[below].iterrows(), minimum[below], strict=True)
    ]
    return frame[~below], notes, problems


def _describe(row: pd.Series, fields: tuple[str, ...]) -> str:
    return " ".join(str(row[f]) for f in fields if f in row and not pd.isna(row[f]))


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
    by_ref = {str(ref).lower(): i for i, ref in ctx.source_refs.items() if isinstance(ref, str)}
    problems = []
    for _, r in frame.iterrows():
        ref = spec.feeds_ref.format_map({k: v for k, v in r.items()})
        indicator = by_ref.get(ref.lower())
        if indicator is None or indicator not in ctx.scales:
            continue
        scale = r[spec.feeds_scale]
        scale = spec.feeds_scale_default if pd.isna(scale) else float(scale)
        lo, hi = ctx.scales[indicator]
        if scale != hi:
            column = spec.column(spec.feeds_scale).name
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

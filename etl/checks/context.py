"""Checks that need what is already known: unit, ansvar and indicator references, and the anonymity rule."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from etl.errors import Problem
from etl.norsk import KOMMUNE_WORDS, normalise_header
from etl.read.reader import duplicate_problems
from etl.read.table import Table

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
    if spec.kind == "regnskap" and not problems:
        notes += _forecast_notes(frame)
    return frame, problems, notes


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


# What the warehouse keeps of a held-back cell (`held_back`): that it was held back and why, never a value
# or an n below the minimum. A marker row is stored in the cell's place with every result blanked: its n
# is blank when the cell itself had too few answers, and kept (it is at least the minimum) when the cell
# was held back only to shield another.
TOO_FEW = "for få svar"
SHIELDED = "skjult av personvernhensyn"


def _anonymity(frame: pd.DataFrame, ctx: Context, table: Table):
    """Hold back unit figures with too few answers, and whatever would let them be worked out.

    Within each group whose units add up to the kommune figure (user survey: year × service × dimension;
    10-FAKTOR: year × factor; indikatorverdier: indicator × period), a held-back unit could be recomputed
    by subtraction: the kommune's mean and n less the other units' means and n. So the smallest other units
    (by n) are held back too until the answers no unit figure accounts for are at least the minimum; and if
    even the kommune figure rests on fewer answers than that, it is held back as well. A survey file without
    a kommune row gets one computed from all its unit rows first, before anything is held back."""
    spec = table.spec
    n_col, unit_col = spec.anonymity_n, spec.anonymity_unit or "unit_id"
    survey = "indicator_id" not in frame
    if survey:  # a survey file: the strictest minimum of the indicators the kind feeds
        explicit = pd.Series(True, index=frame.index)
    else:
        explicit = frame["indicator_id"].map(lambda i: ctx.indicators.get(i or "") is not None)
    missing_n = frame[unit_col].notna() & explicit & frame[n_col].isna()
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
        minimum = frame["indicator_id"].map(ctx.min_n)
    held = _held(frame, groups, n_col, unit_col, minimum)
    for i, (kind, shields, k_n) in held.items():
        r, m = frame.loc[i], int(minimum[i])
        what = _describe(r, spec.anonymity_describe)
        row = f"rad {int(r['_row'])}" if not pd.isna(r["_row"]) else "kommunetallet regnet ut fra enhetene"
        if kind == "under":
            notes.append(
                f"{row} holdt tilbake (personvern): {what} for enhet {r[unit_col]} har {int(r[n_col])} svar, under "
                f"minstegrensen {m}; tallet lagres ikke på enhetsnivå"
            )
        elif kind == "shield":
            notes.append(
                f"{row} holdt også tilbake (personvern): {what} for enhet {r[unit_col]} lagres ikke, for ellers kunne "
                f"tallet for enhet {', '.join(shields)} regnes ut fra kommunetallet"
            )
        else:
            notes.append(
                f"{row} holdt tilbake (personvern): {what} for hele kommunen bygger på bare {int(k_n)} svar, under "
                f"minstegrensen {m}, og ville vist tallet for enhet {', '.join(shields)}; kommunetallet lagres ikke"
            )
    return _markers(frame, spec, held, groups, n_col, unit_col), notes, problems


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
) -> dict[int, tuple[str, list[str], float]]:
    """Which rows to hold back, each with why: `under` (too few answers), `shield` (held back so that the
    units listed cannot be worked out from the kommune figure), `kommune` (the kommune figure itself rests
    on too few answers and would show them)."""
    held: dict[int, tuple[str, list[str], float]] = {}
    for _, g in frame.groupby(groups, dropna=False, sort=False):
        units, kommune = g[g[unit_col].notna()], g[g[unit_col].isna()]
        m = minimum[g.index].max()
        n = units[n_col].astype(float)
        under = n.notna() & (n < m)
        if not under.any():
            continue
        small = [str(u) for u in units.loc[under, unit_col]]
        known = kommune[n_col].notna().any()
        k_n = float(kommune[n_col].dropna().iloc[0]) if known else float(n.fillna(0).sum())
        for i in units.index[under]:
            held[i] = ("under", small, k_n)
        # the answers no shown unit figure accounts for: what subtraction would give the mean of
        shown = n[~under].fillna(0).to_frame("n").assign(unit=units.loc[~under, unit_col].astype(str))
        shown = shown.sort_values(["n", "unit"])
        residual = k_n - shown["n"].sum()
        before = shown["n"].cumsum() - shown["n"]
        for i in shown.index[(residual + before) < m]:
            held[i] = ("shield", small, k_n)
        if k_n < m:
            for i in kommune.index:
                held[i] = ("kommune", small, k_n)
    return held


def _markers(frame: pd.DataFrame, spec, held: dict, groups: list[str], n_col: str, unit_col: str) -> pd.DataFrame:
    """The frame with every held-back row blanked to a marker: its group and unit, and n only for a row held
    back to shield another (its n is at least the minimum); never a value."""
    if not held:
        return frame
    rows = pd.Series(False, index=frame.index)
    rows[list(held)] = True
    too_few = rows & pd.Series({i: kind != "shield" for i, (kind, _, _) in held.items()}).reindex(
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

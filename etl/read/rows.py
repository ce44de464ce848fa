"""Checks and merges across the rows of one sheet: row checks declared in the spec, rows that share a key
(an exact repeat read once, additive lines summed, contradictions refused)."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from etl.errors import Problem
from etl.read.detect import column_letter
from etl.spec import Spec
from etl.spec.types import fmt


def listed(rows: list[int], most: int = 10) -> str:
    """The first `most` row numbers, comma-separated, with `…` when there are more."""
    return ", ".join(str(r) for r in rows[:most]) + (" …" if len(rows) > most else "")


def and_words(words: list[str]) -> str:
    """`a, b og c`."""
    return " og ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)


@dataclass
class Unread:
    """The columns of a sheet the reader does not know, and each data row's cells in them."""

    names: list[str | None]
    indexes: list[int]
    cells: dict[int, tuple]

    def differ(self, row: int, other: int) -> list[str]:
        """The unknown columns in which two rows differ, named by header (or letter)."""
        a, b = self.cells.get(row, ()), self.cells.get(other, ())
        return [
            f"«{name}»" if name else f"kolonne {column_letter(j)}"
            for name, j, x, y in zip(self.names, self.indexes, a, b, strict=True)
            if x != y
        ]


def drop_repeats(frame: pd.DataFrame, unread: Unread) -> tuple[pd.DataFrame, list[str]]:
    """Read an exact repeat of a row once, and say so: also when the rows differ in columns not read."""
    fields = [c for c in frame.columns if c != "_row"]
    comparable = hashable(frame)
    repeat = comparable.duplicated(subset=fields)
    if not repeat.any():
        return frame, []
    first = comparable.groupby(fields, dropna=False, sort=False)["_row"].transform("first")
    same: list[tuple[int, int, list[str]]] = []
    different: list[tuple[int, int, list[str]]] = []
    for row, original in zip(frame.loc[repeat, "_row"], first[repeat], strict=True):
        columns = unread.differ(int(row), int(original))
        (different if columns else same).append((int(row), int(original), columns))
    notes = []
    if same:
        row, original, _ = same[0]
        notes.append(
            f"{len(same)} rad{'er' if len(same) > 1 else ''} er nøyaktig lik en rad over og er lest én gang "
            f"(for eksempel rad {row} = rad {original})"
        )
    if different:
        examples = "; ".join(
            f"rad {row} = rad {original}, men ulik i {and_words(columns)}" for row, original, columns in different[:5]
        )
        notes.append(
            f"{len(different)} rad{'er' if len(different) > 1 else ''} er lik en rad over i alle kolonnene som "
            f"leses, men ikke i kolonner som ikke leses, og er lest som den samme raden ({examples}"
            f"{' …' if len(different) > 5 else ''}). Er radene ulike ting, mangler fila en kolonne som skiller dem; "
            "rett fila om bare den første skulle vært med"
        )
    return frame[~repeat], notes


def sum_same_key(
    spec: Spec, frame: pd.DataFrame, sheet: str | None, label: dict[str, str], unread: Unread, amounts: list[str]
) -> tuple[pd.DataFrame, list[Problem], list[str]]:
    """Add together the rows that share the key (a kind whose rows are parts of one figure), saying how many."""
    group = [*spec.key, *(f"{k}_type" for k in spec.key if f"{k}_type" in frame)]
    grouped = frame.groupby(group, dropna=False, sort=False)
    size = grouped["_row"].transform("size")
    if frame.empty or (size == 1).all():
        return frame, [], []
    summed = grouped.first()  # every other field: the first value given (the first row's number for `_row`)
    for name in spec.sum_fields:
        summed[name] = grouped[name].sum(min_count=1)  # blank in every line stays blank
    summed = summed.reset_index()[list(frame.columns)]
    lines = _Lines(grouped.ngroup().to_numpy(), frame["_row"].to_numpy())
    merged = lines.count > 1
    # the checks held line by line; a sum of lines with blanks in different fields is checked again
    problems = [
        Problem(f"summen av radene {listed(lines.of_row(p.row or 0))}: {p.message}", p.fix, p.sheet, p.row, p.column)
        for p in row_checks(spec, summed[merged], sheet, label)
    ]
    parts = [lines.of(g) for g in np.flatnonzero(merged)[:3]]
    key_names = and_words([spec.column(k).name for k in spec.key])
    examples = "; ".join(and_words([str(r) for r in rows]) for rows in parts[:3])
    notes = [
        f"{int((size > 1).sum())} linjer med samme {key_names} er lagt sammen til {int(merged.sum())} "
        f"({and_words(amounts)} er summert), for eksempel radene {examples}{' …' if merged.sum() > 3 else ''}. "
        "Linjene skilles ofte av en kolonne som ikke leses (aktivitet, objekt, stillingsgruppe …)"
    ]
    full = hashable(frame)
    if unread.indexes:  # the cells in columns not read; without such columns there is nothing to compare
        full = full.assign(_unread=frame["_row"].map(unread.cells))
    fields = [c for c in full.columns if c != "_row"]
    twins = full.loc[full.duplicated(subset=fields), "_row"]
    if len(twins):
        first = full.groupby(fields, dropna=False, sort=False)["_row"].transform("first")
        notes.append(
            f"{len(twins)} av linjene er like i alle kolonnene i fila, også dem som ikke leses (for eksempel rad "
            f"{int(twins.iloc[0])} = rad {int(first[twins.index[0]])}), og er likevel lagt sammen: sjekk at ingen "
            "linje er kommet med to ganger"
        )
    return summed, problems, notes


class _Lines:
    """The row numbers of each group of rows sharing a key (groups numbered 0, 1, … as first met), found when
    asked: a ledger may have 100 000 groups, and only a few are ever named."""

    def __init__(self, group: np.ndarray, rows: np.ndarray):
        order = np.argsort(group, kind="stable")  # rows stay in file order within a group
        self.rows = rows[order]
        self.count = np.bincount(group)
        self.start = np.cumsum(self.count) - self.count

    def of(self, g: int) -> list[int]:
        """The rows of group `g`."""
        return self.rows[self.start[g] : self.start[g] + self.count[g]].tolist()

    def of_row(self, row: int) -> list[int]:
        """The rows of the group whose first row is `row`."""
        return self.of(int(np.flatnonzero(self.rows[self.start] == row)[0]))


# What pandas infers for a column that holds no list (no code list): such a column is compared as it is.
_SCALARS = frozenset({"string", "empty", "floating", "integer", "boolean", "date", "datetime", "datetime64", "time"})


def hashable(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with list cells (code lists) as tuples, so rows can be compared (the frame itself when it
    has none: a ledger of a million lines is not copied)."""
    lists = {
        str(c): s.map(lambda v: tuple(v) if isinstance(v, list) else v)
        for c, s in frame.items()
        if s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) not in _SCALARS
    }
    return frame.assign(**lists) if lists else frame


def row_checks(spec: Spec, frame: pd.DataFrame, sheet: str | None, label: dict[str, str]) -> list[Problem]:
    problems = []
    for check in spec.checks:
        # pandas-stubs types eval's result as any value an expression can give; a check's expression is a test
        # of each row, so a boolean Series
        ok = cast(pd.Series, frame.eval(check.expr))
        column = next((spec.column_by_name(n).field for n in check.columns), None)
        for _, row in frame.loc[~ok.astype(bool)].iterrows():
            # a message may name the row's values: "{lost_days} tapte dagsverk …"
            text = {k: show_value(v) for k, v in row.items()}
            problems.append(
                Problem(
                    check.message.format_map(text),
                    check.fix.format_map(text),
                    sheet,
                    int(row["_row"]),
                    label.get(column or ""),
                )
            )
    return problems


def show_value(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_) and not math.isnan(float(value)):
        return fmt(round(float(value), 6))
    return show(value)


def duplicate_problems(
    spec: Spec, frame: pd.DataFrame, sheet: str | None, key: tuple[str, ...] | None = None
) -> list[Problem]:
    """Rows that share a key (`spec.key` unless given) but differ elsewhere: one problem per key."""
    fields = [c for c in frame.columns if c != "_row"]
    by = list(key or spec.key)
    distinct = hashable(frame).drop_duplicates(subset=fields)
    clash = distinct[distinct.duplicated(subset=by, keep=False)]
    problems = []
    for values, group in clash.groupby(by, dropna=False, sort=False):
        rows = ", ".join(str(r) for r in group["_row"])
        names = ", ".join(
            f"{spec.column(k).name} = {show(v)}"
            for k, v in zip(by, values if isinstance(values, tuple) else (values,), strict=True)
        )
        problems.append(
            Problem(
                f"radene {rows} har samme nøkkel ({names}), men ulike tall",
                "Behold bare én rad per nøkkel, eller rett den som er feil.",
                sheet,
                int(group["_row"].iloc[0]),
            )
        )
    return problems


def show(value: object) -> str:
    if pd.api.types.is_scalar(value) and is_blank(value):
        return "(tom)"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m")
    return str(value)


def is_blank(value: object) -> bool:
    """Whether one cell's value is missing: None, NaN, NaT or pd.NA."""
    # pandas-stubs types pd.isna's one-value overload with pandas' scalar types only; pandas takes any object
    return bool(pd.isna(value))  # type: ignore[call-overload]

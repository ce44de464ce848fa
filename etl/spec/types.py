"""The column-type registry: what each column type of a spec means, in one entry per type.

An entry says how a cell is parsed, the DuckDB type it is stored as, the pandas dtype of its parsed
column, the fix-it text when a cell cannot be read, the label a template shows, and whether a formula in
such a cell is stored as its literal text (text types) or by the value Excel saved with it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from etl.norsk import (
    PERIOD_TYPE_EXAMPLES,
    PERIOD_TYPE_LABELS,
    PERIOD_TYPE_NOUNS,
    ParseError,
    normalise_header,
    parse_date,
    parse_number,
    parse_period,
)

if TYPE_CHECKING:
    from etl.spec import Column


@dataclass(frozen=True)
class ColumnType:
    """One column type: parse, storage, messages and template label."""

    name: str
    sql: str  # the DuckDB type of the raw table's column
    label: str  # what the template's explanation sheet calls it
    fix: str  # how to fix a cell that cannot be read (a column's own bounds or pattern say more)
    parse: Callable[[Column, object, str], object]  # (column, cell, how the column uses dots) -> value
    # the parsed column's pandas dtype (None: as parsed)
    dtype: Literal["Int64", "float64", "datetime"] | None = None
    literal: bool = False  # a formula in such a cell is its text, stored literally and never evaluated
    dots: bool = False  # a number whose column decides what a lone dot means (`1.200`)


def fmt(x: float) -> str:
    """A number as a message shows it: `24`, `4,5`."""
    return str(int(x)) if float(x).is_integer() else str(x).replace(".", ",")


def _text(col: Column, raw: object, dot: str) -> str:
    if isinstance(raw, dt.datetime | dt.date):
        raw = raw.strftime("%d.%m.%Y")
    return str(raw).strip()


def _code(col: Column, raw: object, dot: str) -> object:
    value = _text(col, raw, dot)
    if col.max_length and len(value) > col.max_length:
        raise ParseError(f"«{value}» er lengre enn {col.max_length} tegn")
    if col.pattern and not re.fullmatch(col.pattern, value):
        raise ParseError(f"«{value}» har ugyldig form for {col.name}")
    return value


def _codelist(col: Column, raw: object, dot: str) -> object:
    return [p for p in re.split(r"[,;/\s]+", str(raw).strip()) if p]


def _number(col: Column, raw: object, dot: str) -> object:
    number = parse_number(raw, dot)
    raw = fmt(number) if isinstance(raw, float | int) else raw
    if col.type == "integer" and not number.is_integer():
        raise ParseError(f"«{raw}» er ikke et helt tall")
    if col.min is not None and number < col.min:
        raise ParseError(
            f"«{raw}» er negativt; {col.name} kan ikke være under {fmt(col.min)}"
            if col.min == 0
            else f"«{raw}» er under laveste tillatte verdi {fmt(col.min)}"
        )
    if col.max is not None and number > col.max:
        raise ParseError(f"«{raw}» er over høyeste tillatte verdi {fmt(col.max)}")
    return number


def _year(col: Column, raw: object, dot: str) -> object:
    if isinstance(raw, dt.date):
        return raw.year
    period, ptype = parse_period(raw)
    if ptype != "year":
        raise ParseError(f"«{raw}» er ikke et årstall")
    return period.year


def _date(col: Column, raw: object, dot: str) -> object:
    return parse_date(raw)


def _period(col: Column, raw: object, dot: str) -> object:
    period, ptype = parse_period(raw)
    if col.period_types and ptype not in col.period_types:
        allowed = " eller ".join(f"{PERIOD_TYPE_LABELS[p]} ({PERIOD_TYPE_EXAMPLES[p]})" for p in col.period_types)
        raise ParseError(f"«{raw}» gjelder {PERIOD_TYPE_NOUNS[ptype]}; {col.name} må være {allowed}")
    return period, ptype


def _enum(col: Column, raw: object, dot: str) -> object:
    canonical = col.values.get(normalise_header(raw))
    if canonical is None:
        allowed = ", ".join(dict.fromkeys(col.values.values()))
        raise ParseError(f"«{raw}» er ikke en gyldig verdi for {col.name} (gyldige: {allowed})")
    return canonical


TYPES: dict[str, ColumnType] = {
    t.name: t
    for t in (
        ColumnType("code", "VARCHAR", "kode (tekst, ledende nuller beholdes)", "", _code, literal=True),
        ColumnType("text", "VARCHAR", "tekst", "", _text, literal=True),
        ColumnType("codelist", "VARCHAR[]", "koder skilt med komma", "", _codelist),
        ColumnType(
            "integer", "BIGINT", "helt tall", "Skriv et helt tall, for eksempel 24.", _number, "Int64", dots=True
        ),
        ColumnType(
            "number",
            "DOUBLE",
            "tall (desimalkomma)",
            "Skriv et tall med desimalkomma, for eksempel 1 234,5.",
            _number,
            "float64",
            dots=True,
        ),  # fmt: skip
        ColumnType("year", "INTEGER", "årstall", "Skriv årstallet med fire sifre, for eksempel 2025.", _year, "Int64"),
        ColumnType(
            "date",
            "DATE",
            "dato (dd.mm.åååå)",
            "Skriv datoen som dd.mm.åååå, for eksempel 31.03.2025, eller bruk en Excel-dato.",
            _date,
            "datetime",
        ),  # fmt: skip
        ColumnType(
            "period",
            "DATE",
            "periode (2025, 2025-03, 2025T1, 2025K1)",
            "Skriv perioden som 2025, 2025-03, 03.2025, mars 2025, 2025T1 eller 2025K1.",
            _period,
            "datetime",
        ),  # fmt: skip
        ColumnType("enum", "VARCHAR", "en av de gyldige verdiene", "Bruk en av de gyldige verdiene.", _enum),
    )
}


def parse_cell(col: Column, raw: object, dot: str = "decimal") -> object:
    """A cell's value as its column's type reads it, or ParseError."""
    if isinstance(raw, float) and raw.is_integer() and TYPES[col.type].name in ("code", "codelist", "text"):
        raw = int(raw)  # Excel stores typed codes as floats: 5055.0 is the code 5055
    return TYPES[col.type].parse(col, raw, dot)


def fix_for(col: Column) -> str:
    """How to fix a cell of this column that cannot be read: the column's own rule, else its type's."""
    if col.pattern_fix:
        return col.pattern_fix
    if col.period_types:
        examples = ", ".join(PERIOD_TYPE_EXAMPLES[p] for p in col.period_types)
        return f"Skriv perioden som {examples} (én periode per rad, ikke summer for flere perioder)."
    if col.min is not None and col.max is not None:
        return f"Rett verdien; {col.name} må være mellom {fmt(col.min)} og {fmt(col.max)}."
    if col.min is not None:
        return f"Rett verdien; {col.name} må være minst {fmt(col.min)}."
    if col.max is not None:
        return f"Rett verdien; {col.name} må være høyst {fmt(col.max)}."
    return TYPES[col.type].fix or f"Rett verdien i kolonnen {col.name}."

"""File-kind specs: each input kind declared as data in `specs/*.toml` (columns, types, aliases, checks)."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from etl.norsk import normalise_header

SPEC_DIR = Path(__file__).parent / "specs"

# Column types and the DuckDB type each is stored as.
SQL_TYPES = {
    "code": "VARCHAR",
    "text": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "year": "INTEGER",
    "date": "DATE",
    "period": "DATE",
    "enum": "VARCHAR",
    "codelist": "VARCHAR[]",
}


@dataclass(frozen=True, eq=False)  # identity equality: columns are compared as objects
class Column:
    """One column of a kind: its Norwegian name, the English field it becomes, type and checks."""

    name: str
    field: str
    type: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    description: str = ""
    example: str = ""
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    pattern_fix: str | None = None
    max_length: int | None = None
    references: str | None = None  # "unit" or "indicator"
    values: dict[str, str] = field(default_factory=dict)  # normalised variant -> canonical value

    def header_keys(self) -> set[str]:
        """Every normalised header that names this column."""
        return {normalise_header(a) for a in (self.name, *self.aliases)}


@dataclass(frozen=True)
class RowCheck:
    """A check across columns of a row, as a pandas expression over field names."""

    expr: str
    columns: tuple[str, ...]
    message: str
    fix: str


@dataclass(frozen=True)
class Spec:
    """A file kind: what its columns are, how its rows are keyed and which scope a newer file replaces."""

    kind: str
    label: str
    raw_table: str
    columns: tuple[Column, ...]
    scope: tuple[str, ...]
    key: tuple[str, ...]
    order: int
    description: str = ""
    sheet_names: tuple[str, ...] = ()
    checks: tuple[RowCheck, ...] = ()
    anonymity_n: str | None = None
    anonymity_unit: str | None = None

    @property
    def required(self) -> list[Column]:
        return [c for c in self.columns if c.required]

    def column(self, field_name: str) -> Column:
        """The column whose English field is `field_name`."""
        return next(c for c in self.columns if c.field == field_name)

    def column_by_name(self, name: str) -> Column:
        """The column whose Norwegian name is `name`."""
        return next(c for c in self.columns if c.name == name)

    def raw_columns(self) -> list[tuple[str, str]]:
        """(name, SQL type) of the raw table: every field, a period's type, and the load bookkeeping."""
        cols = []
        for c in self.columns:
            cols.append((c.field, SQL_TYPES[c.type]))
            if c.type == "period":
                cols.append((f"{c.field}_type", "VARCHAR"))
        return cols + [("_seq", "BIGINT"), ("_file", "VARCHAR"), ("_sha", "VARCHAR"), ("_row", "INTEGER")]


def _column(d: dict) -> Column:
    values: dict[str, str] = {}
    for canonical, variants in d.pop("values", {}).items():
        for v in (canonical, *variants):
            values[normalise_header(v)] = canonical
    if d["type"] not in SQL_TYPES:
        raise ValueError(f"unknown column type {d['type']!r}")
    return Column(aliases=tuple(d.pop("aliases", ())), values=values, **d)


def parse_spec(text: str) -> Spec:
    """Build a Spec from the TOML text of one kind."""
    d = tomllib.loads(text)
    anonymity = d.get("anonymity", {})
    return Spec(
        kind=d["kind"],
        label=d["label"],
        raw_table=d["raw_table"],
        columns=tuple(_column(dict(c)) for c in d["columns"]),
        scope=tuple(d["scope"]),
        key=tuple(d["key"]),
        order=d["order"],
        description=d.get("description", ""),
        sheet_names=tuple(d.get("sheet_names", ())),
        checks=tuple(
            RowCheck(c["expr"], tuple(c.get("columns", ())), c["message"], c["fix"]) for c in d.get("checks", ())
        ),
        anonymity_n=anonymity.get("n"),
        anonymity_unit=anonymity.get("unit"),
    )


@functools.cache
def load_specs() -> dict[str, Spec]:
    """Every kind the readers support, by kind name, in load order."""
    specs = [parse_spec(p.read_text(encoding="utf-8")) for p in sorted(SPEC_DIR.glob("*.toml"))]
    return {s.kind: s for s in sorted(specs, key=lambda s: (s.order, s.kind))}

"""File-kind specs: each input kind declared as data in `*.toml` beside it (columns, types, aliases, checks)."""

from __future__ import annotations

import dataclasses
import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

from etl.norsk import normalise_header
from etl.spec.types import TYPES

SPEC_DIR = Path(__file__).parent  # the kinds are declared as TOML beside this module

# The templates' last column: its header marks the column, and a row with anything in it is the template's
# example, which the reader never loads (and says it skipped). Survives a re-save by Excel or LibreOffice.
EXAMPLE_COLUMN = "Eksempelrad"
EXAMPLE_MARK = "ja – eksempel, leses ikke inn"


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
    references: str | None = None  # "unit" (id or name), "indicator" or "ansvar" (a code in units.ansvar_codes)
    # dataclasses.field: inside this class, `field` names the column attribute above
    values: dict[str, str] = dataclasses.field(default_factory=dict)  # normalised variant -> canonical value
    store: bool = True  # False: read and checked, never written to the warehouse
    store_note: str | None = None  # said in the load report when a file has this column but it is not stored
    fills: str | None = None  # after references are resolved, fill this field where it is blank
    owns: str | None = None  # "ansvar": the codes this column lists belong to the row's unit, one unit per code
    period_types: tuple[str, ...] = ()  # the period types allowed (empty = any)
    floor: str | None = None  # "min_n": a value below that setting never lowers it (the load report says so)
    values_from: str | None = None  # "catalogue_sources": the values are the kinds' `[catalogue] source` names

    @functools.cached_property
    def header_keys(self) -> frozenset[str]:
        """Every normalised header that names this column (worked out once: detect asks per row and kind)."""
        return frozenset(normalise_header(a) for a in (self.name, *self.aliases))


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
    anonymity_describe: tuple[str, ...] = ("indicator_id",)  # the fields that name a held-back row
    # a survey under the anonymity rule: its minimum is the strictest of the catalogue indicators whose
    # kilde is this kind (an indikatorverdier row takes its own indicator's)
    anonymity_survey: bool = False
    # the warehouse's anonymity cells (etl/sql/16_anonymity.sql gathers them): the field holding a row's period,
    # the field left blank in a held-back row's marker, and, for a kind that is not a survey, the field naming
    # the catalogue indicator whose minimum applies. A cell is the key without the unit and the period.
    anonymity_period: str | None = None
    anonymity_value: str | None = None
    anonymity_indicator: str | None = None
    anonymity_total: str | None = None  # the args of a measure over all of a unit's cells, held back with any
    unit_columns: tuple[str, ...] = ()  # Norwegian names of the columns that can say which unit a row is for
    unit_required: bool = False  # every row must name a unit (True), or a blank unit means the kommune
    feeds_ref: str | None = None  # the catalogue kilde_ref a row feeds, as a template over fields
    feeds_scale: str | None = None  # the field holding the row's scale maximum, checked against the indicator's
    feeds_scale_default: float | None = None  # the scale maximum when that field is blank
    # Rows that share the key: "refuse" (an exact repeat is read once, rows that differ are refused) or "sum"
    # (the rows are parts of one figure, such as accounting lines split by a column the reader does not know:
    # `sum_fields` are added together, other fields keep the first row's value).
    duplicates: str = "refuse"
    sum_fields: tuple[str, ...] = ()
    relation: str = ""  # the clean relation the kind feeds (etl/sql/), which names its spec file too
    short_rows: bool = False  # a text file's rows may leave out trailing empty cells (Klass CSV exports)
    teaches: str | None = None  # what an accepted file adds to what later files are checked against
    # the Data page's freshness table: the source's name there, and how many months after the end of the period
    # it covers its newest data may be before it is called out of date
    freshness_label: str | None = None
    max_age_months: int = 14
    # what the indicator catalogue's `kilde` calls this kind's figures (and other spellings it accepts), when
    # catalogue indicators are computed from it: the catalogue's `kilde` column takes exactly these values
    catalogue_source: str | None = None
    catalogue_aliases: tuple[str, ...] = ()
    newest_by: str | None = None  # the field whose newest value is in force within a scope, before load order
    forecast_notes: bool = False  # say when a forecast cannot be measured for want of the year's budget

    @property
    def unit_fields(self) -> list[str]:
        """The fields of the columns that can name a row's unit."""
        return [self.column_by_name(n).field for n in self.unit_columns]

    @property
    def anonymity_cell(self) -> list[str]:
        """The key fields that name an anonymity cell beside its unit and period: a survey's measure parameters
        (service, dimension …), or the indicator of a kind that is not a survey."""
        unit = {self.anonymity_unit or "unit_id", *self.unit_fields}
        return [k for k in self.key if k not in unit and k != self.anonymity_period]

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
        for c in (c for c in self.columns if c.store):
            cols.append((c.field, TYPES[c.type].sql))
            if c.type == "period":
                cols.append((f"{c.field}_type", "VARCHAR"))
        return cols + [("_seq", "BIGINT"), ("_file", "VARCHAR"), ("_sha", "VARCHAR"), ("_row", "INTEGER")]


def _column(d: dict) -> Column:
    values: dict[str, str] = {}
    for canonical, variants in d.pop("values", {}).items():
        for v in (canonical, *variants):
            values[normalise_header(v)] = canonical
    if d["type"] not in TYPES:
        raise ValueError(f"unknown column type {d['type']!r}")
    return Column(
        aliases=tuple(d.pop("aliases", ())), period_types=tuple(d.pop("period_types", ())), values=values, **d
    )


DUPLICATE_RULES = ("refuse", "sum")


def parse_spec(text: str) -> Spec:
    """Build a Spec from the TOML text of one kind."""
    d = tomllib.loads(text)
    anonymity = d.get("anonymity", {})
    unit = d.get("unit", {})
    feeds = d.get("feeds", {})
    duplicates = d.get("duplicates", {})
    freshness = d.get("freshness", {})
    catalogue = d.get("catalogue", {})
    spec = Spec(
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
        anonymity_describe=tuple(anonymity.get("describe", ("indicator_id",))),
        anonymity_survey=anonymity.get("survey", False),
        anonymity_period=anonymity.get("period"),
        anonymity_value=anonymity.get("value"),
        anonymity_indicator=anonymity.get("indicator"),
        anonymity_total=anonymity.get("total"),
        unit_columns=tuple(unit.get("columns", ())),
        unit_required=unit.get("required", False),
        feeds_ref=feeds.get("source_ref"),
        feeds_scale=feeds.get("scale_max"),
        feeds_scale_default=feeds.get("scale_default"),
        duplicates=duplicates.get("same_key", "refuse"),
        sum_fields=tuple(duplicates.get("sum", ())),
        relation=d.get("relation", d["raw_table"].removeprefix("raw_")),
        short_rows=d.get("short_rows", False),
        teaches=d.get("teaches"),
        freshness_label=freshness.get("label"),
        max_age_months=freshness.get("max_age_months", 14),
        catalogue_source=catalogue.get("source"),
        catalogue_aliases=tuple(catalogue.get("aliases", ())),
        newest_by=d.get("newest_by"),
        forecast_notes=d.get("forecast_notes", False),
    )
    _check_duplicates(spec)
    _check_anonymity(spec)
    if spec.newest_by is not None and spec.newest_by not in {c.field for c in spec.columns}:
        raise ValueError(f"{spec.kind}: newest_by must name one of the kind's fields, not {spec.newest_by!r}")
    return spec


def _check_anonymity(spec: Spec) -> None:
    """A kind under the anonymity rule (`[anonymity] n`) declares its warehouse cells too: without them the
    warehouse would not apply the rule again to what it stores (etl/sql/16_anonymity.sql)."""
    if spec.anonymity_n is None:
        return
    fields = {c.field for c in spec.columns}
    named = {"period": spec.anonymity_period, "value": spec.anonymity_value}
    if not spec.anonymity_survey:
        named["indicator"] = spec.anonymity_indicator
    for key, field in named.items():
        if field not in fields:
            raise ValueError(f"{spec.kind}: anonymity.{key} must name one of the kind's fields, not {field!r}")
    cell = spec.anonymity_cell
    if not spec.anonymity_survey and cell != [spec.anonymity_indicator]:
        # the build names a held-back cell of such a kind by its indicator alone (40_indicator_values.sql)
        raise ValueError(f"{spec.kind}: a kind that is not a survey keys its cells by the indicator alone, not {cell}")
    if spec.anonymity_total is not None and not spec.anonymity_survey:
        raise ValueError(f"{spec.kind}: anonymity.total is for a survey's measure over all of a unit's cells")


def _check_duplicates(spec: Spec) -> None:
    """A `[duplicates]` declaration the reader can follow: summed fields are numbers outside the key."""
    if spec.duplicates not in DUPLICATE_RULES:
        raise ValueError(f"{spec.kind}: duplicates.same_key must be one of {DUPLICATE_RULES}, not {spec.duplicates!r}")
    if spec.duplicates == "refuse":
        if spec.sum_fields:
            raise ValueError(f"{spec.kind}: duplicates.sum is only for same_key = 'sum'")
        return
    fields = {c.field: c for c in spec.columns}
    if not spec.sum_fields:
        raise ValueError(f"{spec.kind}: same_key = 'sum' needs the fields to add together (duplicates.sum)")
    for name in spec.sum_fields:
        col = fields.get(name)
        if col is None or col.type not in ("number", "integer") or name in spec.key:
            raise ValueError(f"{spec.kind}: duplicates.sum lists {name!r}, which is not a number field outside the key")
    unsaid = [
        c.field
        for c in spec.columns
        if c.type in ("number", "integer") and c.field not in (*spec.key, *spec.sum_fields)
    ]
    if unsaid:
        # a number kept from one line of several would lose the others' part without a word
        raise ValueError(f"{spec.kind}: duplicates.sum must list every number field outside the key; missing {unsaid}")
    if any(c.fills for c in spec.columns):
        # the unit check in etl.checks.context finds rows of one unit again after names are resolved, and refuses them
        raise ValueError(f"{spec.kind}: same_key = 'sum' cannot have a column that fills another (fills)")


@functools.cache
def load_specs() -> dict[str, Spec]:
    """Every kind the readers support, by kind name, in load order."""
    specs = [parse_spec(p.read_text(encoding="utf-8")) for p in sorted(SPEC_DIR.glob("*.toml"))]
    sources = catalogue_sources([*specs, *ssb_specs().values()])
    specs = [_with_catalogue_sources(s, sources) for s in specs]
    return {s.kind: s for s in sorted(specs, key=lambda s: (s.order, s.kind))}


def catalogue_sources(specs: list[Spec]) -> dict[str, tuple[str, ...]]:
    """The catalogue's `kilde` values, each with the spellings it accepts, from every kind's `[catalogue]`."""
    return {s.catalogue_source: s.catalogue_aliases for s in specs if s.catalogue_source}


def _with_catalogue_sources(spec: Spec, sources: dict[str, tuple[str, ...]]) -> Spec:
    """A column declared `values_from = "catalogue_sources"` takes the kinds' catalogue names as its values."""
    columns = []
    for c in spec.columns:
        if c.values_from == "catalogue_sources":
            values = {normalise_header(v): name for name, aliases in sources.items() for v in (name, *aliases)}
            c = dataclasses.replace(c, values=values)
        columns.append(c)
    return dataclasses.replace(spec, columns=tuple(columns))


@functools.cache
def ssb_specs() -> dict[str, Spec]:
    """Kinds that arrive as SSB documents (json-stat2, Klass JSON), read by `etl.ssb`, never by headers."""
    specs = [parse_spec(p.read_text(encoding="utf-8")) for p in sorted((SPEC_DIR / "ssb").glob("*.toml"))]
    return {s.kind: s for s in sorted(specs, key=lambda s: (s.order, s.kind))}


def stored_specs() -> dict[str, Spec]:
    """Every kind with a raw table in the warehouse: the file kinds and the SSB document kinds."""
    return {**load_specs(), **ssb_specs()}

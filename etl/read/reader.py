"""The one spec-driven reader: finds each sheet's kind and header row, then parses and checks every cell.

A file is read whole or refused whole: every problem found is collected into one FileRejected.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from etl.errors import FileRejected, Problem
from etl.norsk import (
    PERIOD_TYPE_EXAMPLES,
    PERIOD_TYPE_LABELS,
    PERIOD_TYPE_NOUNS,
    ParseError,
    dot_use,
    normalise_header,
    parse_date,
    parse_number,
    parse_period,
)
from etl.read.files import Formula, Sheet, open_file
from etl.read.table import Table
from etl.spec import Column, Spec, load_specs
from etl.ssb.documents import read_document

HEADER_SEARCH_ROWS = 15
TEMPLATE_HINT = "Last ned malen for filtypen fra dashbordet (Data → Maler) og bruk kolonnenavnene der."


class _SheetProblems(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems


def column_letter(index: int) -> str:
    """Excel's column letter for a 0-based index: 0 → A, 27 → AB."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def is_empty(value: object) -> bool:
    """A cell with nothing in it."""
    return (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or (isinstance(value, str) and not value.strip())
    )


def read_file(path: Path, max_bytes: int, max_unzipped: int, ignored_sheets: tuple[str, ...] = ()) -> list[Table]:
    """Read every data sheet of a file into Tables, or raise FileRejected listing every problem."""
    opened = open_file(path, max_bytes, max_unzipped)
    if opened.json is not None:  # SSB's json-stat2 answers and Klass lists have their own reader
        return read_document(path, opened.json)
    ignored = {normalise_header(s) for s in ignored_sheets}
    problems: list[Problem] = []
    tables: list[Table] = []
    for sheet in opened.sheets:
        if sheet.name and normalise_header(sheet.name) in ignored:
            continue
        if all(is_empty(v) for row in sheet.rows for v in row):
            continue
        try:
            tables.append(_read_sheet(sheet))
        except _SheetProblems as e:
            problems.extend(e.problems)
    if problems:
        raise FileRejected(path.name, problems)
    if not tables:
        raise FileRejected(
            path.name,
            [Problem("fila har ingen rader med data", "Sjekk at du eksporterte riktig utvalg, og prøv igjen.")],
        )
    return tables


def _match(row: list[object], spec: Spec) -> dict[int, Column]:
    keys = {k: c for c in spec.columns for k in c.header_keys()}
    mapping: dict[int, Column] = {}
    for j, cell in enumerate(row):
        col = keys.get(normalise_header(cell)) if isinstance(cell, str) else None
        if col is not None and col not in mapping.values():
            mapping[j] = col
    return mapping


def _detect(sheet: Sheet) -> tuple[Spec, int, dict[int, Column]]:
    specs = list(load_specs().values())
    hint = normalise_header(sheet.name or "")
    best: tuple[tuple, Spec, int, dict[int, Column]] | None = None
    for i, row in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        for spec in specs:
            mapping = _match(row, spec)
            if not mapping:
                continue
            found = set(mapping.values())
            complete = all(c in found for c in spec.required) and _names_unit(spec, found)
            named = hint in {normalise_header(s) for s in spec.sheet_names}
            score = (complete, len(found), named, -i)
            if best is None or score > best[0]:
                best = (score, spec, i, mapping)
    where = {"sheet": sheet.name}
    if best is None or best[0][1] < 2:
        kinds = "; ".join(f"{s.kind} ({', '.join(c.name for c in s.required)})" for s in specs)
        raise _SheetProblems(
            [
                Problem(
                    f"fant ikke hvilken filtype dette er. Overskrifter i fila: {_headers_seen(sheet)}. "
                    f"Kjente filtyper og kolonnene de må ha: {kinds}",
                    f"Overskriftsraden må stå blant de {HEADER_SEARCH_ROWS} første radene og ha kolonnenavnene "
                    f"til en av filtypene. {TEMPLATE_HINT}",
                    **where,
                )
            ]
        )
    (complete, *_), spec, header_row, mapping = best
    if not complete:
        found = set(mapping.values())
        missing = [c for c in spec.required if c not in found]
        problems = [
            Problem(
                f"fila ser ut som «{spec.label}», men mangler kolonnen «{c.name}»",
                f"Legg til en kolonne med overskriften «{c.name}»"
                + (f" (godtatte varianter: {', '.join(c.aliases)})" if c.aliases else "")
                + ".",
                row=header_row + 1,
                **where,
            )
            for c in missing
        ]
        if not _names_unit(spec, found):
            names = " eller ".join(f"«{n}»" for n in spec.unit_columns)
            problems.append(
                Problem(
                    f"fila ser ut som «{spec.label}», men mangler en kolonne som sier hvilken enhet radene gjelder "
                    f"({names})",
                    f"Legg til en kolonne med overskriften {names}.",
                    row=header_row + 1,
                    **where,
                )
            )
        raise _SheetProblems(problems)
    return spec, header_row, mapping


def _names_unit(spec: Spec, found: set[Column]) -> bool:
    """A kind whose rows must name a unit has at least one of its unit columns."""
    return not spec.unit_required or any(c.name in spec.unit_columns for c in found)


def _headers_seen(sheet: Sheet) -> str:
    rows = [r for r in sheet.rows[:HEADER_SEARCH_ROWS] if sum(not is_empty(v) for v in r) >= 2]
    cells = [str(v).strip() for v in (rows[0] if rows else []) if not is_empty(v)]
    return ", ".join(f"«{c}»" for c in cells[:15]) or "ingen"


def _read_sheet(sheet: Sheet) -> Table:
    spec, header_row, mapping = _detect(sheet)
    header = sheet.rows[header_row]
    problems: list[Problem] = []
    ignored = [str(v).strip() for j, v in enumerate(header) if j not in mapping and not is_empty(v)]
    data: dict[str, list[object]] = {c.field: [] for c in spec.columns}
    for c in spec.columns:
        if c.type == "period":
            data[f"{c.field}_type"] = []
    data["_row"] = []
    label = {col.field: f"{column_letter(j)} ({str(header[j]).strip()})" for j, col in mapping.items()}
    body = range(header_row + 1, len(sheet.rows))
    # how each number column uses the dot, decided from all of its cells: `1.200` is 1,2 or 1 200
    dots = {
        col.field: dot_use(sheet.rows[i][j] for i in body if j < len(sheet.rows[i]))
        for j, col in mapping.items()
        if col.type in ("number", "integer")
    }
    width = max((len(r) for r in sheet.rows), default=0)
    unread = [j for j in range(width) if j not in mapping]  # columns the reader does not know
    unread_names = [str(header[j]).strip() if j < len(header) and not is_empty(header[j]) else None for j in unread]
    unread_cells: dict[int, tuple] = {}  # row number -> the row's cells in those columns
    bad_rows: set[int] = set()  # rows with a cell that could not be read: left out of the checks across rows
    formula_rows: dict[str, list[int]] = {}  # field -> rows where the cell is a formula
    for i in body:
        row = sheet.rows[i]
        cells = {col.field: row[j] if j < len(row) else None for j, col in mapping.items()}
        formulas = (
            {col.field: f for j, col in mapping.items() if (f := sheet.formulas.get((i, j))) is not None}
            if sheet.formulas
            else {}
        )
        # a formula that shows nothing (`=IF(…;"";…)`) is an empty cell; one without a saved value is not
        if all(is_empty(v) for v in cells.values()) and all(f.cached for f in formulas.values()):
            continue
        data["_row"].append(i + 1)
        unread_cells[i + 1] = tuple(_plain(row[j]) if j < len(row) else None for j in unread)
        for col in spec.columns:
            raw = cells.get(col.field)
            formula = formulas.get(col.field)
            value: object = None
            where = (sheet.name, i + 1, label.get(col.field))
            refused = False
            if formula is not None:
                formula_rows.setdefault(col.field, []).append(i + 1)
                if col.type in LITERAL_TYPES:
                    raw = formula.text  # a text's formula is the text the analyst typed: stored, never evaluated
                elif formula.error or not formula.cached:
                    problems.append(_formula_problem(formula, f"{column_letter(_index(mapping, col))}{i + 1}", where))
                    bad_rows.add(i + 1)
                    raw, refused = None, True
            if not is_empty(raw):
                try:
                    value = _parse(col, raw, dots.get(col.field, "decimal"))
                except ParseError as e:
                    problems.append(Problem(str(e), e.fix or _fix_for(col), *where))
                    bad_rows.add(i + 1)
            elif col.required and not refused:
                problems.append(
                    Problem(
                        f"«{col.name}» mangler verdi",
                        f"Fyll inn {col.name} på raden, eller fjern raden (sum- og fotnoterader skal ikke være med).",
                        *where,
                    )
                )
                bad_rows.add(i + 1)
            if col.type == "period":
                period, ptype = value if value is not None else (None, None)
                data[col.field].append(period)
                data[f"{col.field}_type"].append(ptype)
            else:
                data[col.field].append(value)
    if not data["_row"]:
        raise _SheetProblems(
            [
                Problem(
                    "arket har overskrifter, men ingen rader med data",
                    "Fyll inn radene under overskriftene, eller fjern arket.",
                    sheet.name,
                    header_row + 1,
                )
            ]
        )
    frame = pd.DataFrame(data)
    for col in spec.columns:
        if col.type in ("number", "integer", "year"):
            frame[col.field] = pd.to_numeric(frame[col.field]).astype("Int64" if col.type != "number" else "float64")
        elif col.type in ("date", "period"):
            frame[col.field] = pd.to_datetime(frame[col.field])
    # Checks across cells and rows run on every row that could be read, so one report lists every problem.
    read = frame[~frame["_row"].isin(bad_rows)]
    problems += _row_checks(spec, read, sheet.name, label)
    notes = [f"ignorerte kolonner uten kjent navn: {', '.join(ignored)}"] if ignored else []
    notes += [f"kolonnen «{c.name}» er lest, men lagres ikke: {c.store_note}" for c in mapping.values() if c.store_note]
    notes += _formula_notes(spec, formula_rows)
    unread_columns = Unread(unread_names, unread, unread_cells)
    if spec.duplicates == "sum":
        amounts = [c.name for c in mapping.values() if c.field in spec.sum_fields]
        frame, more, said = _sum_same_key(spec, read, sheet.name, label, unread_columns, amounts)
    else:
        more = duplicate_problems(spec, read, sheet.name)
        frame, said = _drop_repeats(read, unread_columns)
    problems += more
    if problems:
        raise _SheetProblems(problems)
    return Table(spec, sheet.name, frame, ignored, notes + said)


# Column types whose cells are text: a formula in one is the text itself, stored literally and never evaluated.
LITERAL_TYPES = ("code", "text")


def _index(mapping: dict[int, Column], col: Column) -> int:
    return next(j for j, c in mapping.items() if c is col)


def _plain(value: object) -> object:
    """A cell as compared between rows: empty cells alike, text without surrounding spaces."""
    if is_empty(value):
        return None
    return value.strip() if isinstance(value, str) else value


def _formula_problem(formula: Formula, cell: str, where: tuple) -> Problem:
    if formula.error:
        return Problem(
            f"cellen {cell} er formelen «{formula.text}», og den viser feilverdien {formula.error}",
            "Rett formelen i Excel, eller skriv inn verdien.",
            *where,
        )
    return Problem(
        f"cellen {cell} er formelen «{formula.text}», og formelen har ingen lagret verdi "
        "(fila er skrevet av et program som ikke regner ut formler, og formler regnes aldri ut her)",
        "Åpne fila i Excel og lagre den (da lagres verdiene formlene viser), eller kopier cellene og lim inn "
        "som verdier.",
        *where,
    )


def _formula_notes(spec: Spec, formula_rows: dict[str, list[int]]) -> list[str]:
    notes = []
    for field_name, rows in formula_rows.items():
        col = spec.column(field_name)
        how = (
            "formelteksten er lagret som tekst, slik den står i cellen"
            if col.type in LITERAL_TYPES
            else "verdien formelen viste da fila sist ble lagret i Excel er brukt"
        )
        notes.append(f"kolonnen «{col.name}» har formler (rad {_listed(rows)}): {how} (formler regnes aldri ut)")
    return notes


def _listed(rows: list[int], most: int = 10) -> str:
    return ", ".join(str(r) for r in rows[:most]) + (" …" if len(rows) > most else "")


def _and(words: list[str]) -> str:
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


def _drop_repeats(frame: pd.DataFrame, unread: Unread) -> tuple[pd.DataFrame, list[str]]:
    """Read an exact repeat of a row once, and say so: also when the rows differ in columns not read."""
    fields = [c for c in frame.columns if c != "_row"]
    hashable = _hashable(frame)
    repeat = hashable.duplicated(subset=fields)
    if not repeat.any():
        return frame, []
    first = hashable.groupby(fields, dropna=False, sort=False)["_row"].transform("first")
    same, different = [], []
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
            f"rad {row} = rad {original}, men ulik i {_and(columns)}" for row, original, columns in different[:5]
        )
        notes.append(
            f"{len(different)} rad{'er' if len(different) > 1 else ''} er lik en rad over i alle kolonnene som "
            f"leses, men ikke i kolonner som ikke leses, og er lest som den samme raden ({examples}"
            f"{' …' if len(different) > 5 else ''}). Er radene ulike ting, mangler fila en kolonne som skiller dem; "
            "rett fila om bare den første skulle vært med"
        )
    return frame[~repeat], notes


def _sum_same_key(
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
    parts = grouped["_row"].agg(list).reset_index(drop=True)
    merged = parts.str.len() > 1
    # the checks held line by line; a sum of lines with blanks in different fields is checked again
    lines = {rows[0]: rows for rows in parts[merged]}
    problems = [
        Problem(f"summen av radene {_listed(lines[p.row])}: {p.message}", p.fix, p.sheet, p.row, p.column)
        for p in _row_checks(spec, summed[merged.to_numpy()], sheet, label)
    ]
    key_names = _and([spec.column(k).name for k in spec.key])
    examples = "; ".join(_and([str(r) for r in rows]) for rows in parts[merged].head(3))
    notes = [
        f"{int((size > 1).sum())} linjer med samme {key_names} er lagt sammen til {int(merged.sum())} "
        f"({_and(amounts)} er summert), for eksempel radene {examples}{' …' if merged.sum() > 3 else ''}. "
        "Linjene skilles ofte av en kolonne som ikke leses (aktivitet, objekt, stillingsgruppe …)"
    ]
    full = _hashable(frame).assign(_unread=frame["_row"].map(unread.cells))
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


def _hashable(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with list cells (code lists) as tuples, so rows can be compared."""
    return frame.apply(lambda s: s.map(lambda v: tuple(v) if isinstance(v, list) else v) if s.dtype == object else s)


def _parse(col: Column, raw: object, dot: str = "decimal") -> object:
    if isinstance(raw, float) and raw.is_integer() and col.type in ("code", "codelist", "text"):
        raw = int(raw)  # Excel stores typed codes as floats: 5055.0 is the code 5055
    t = col.type
    if t in ("code", "text"):
        if isinstance(raw, dt.datetime | dt.date):
            raw = raw.strftime("%d.%m.%Y")
        value = str(raw).strip()
        if t == "code":
            if col.max_length and len(value) > col.max_length:
                raise ParseError(f"«{value}» er lengre enn {col.max_length} tegn")
            if col.pattern and not re.fullmatch(col.pattern, value):
                raise ParseError(f"«{value}» har ugyldig form for {col.name}")
        return value
    if t == "codelist":
        return [p for p in re.split(r"[,;/\s]+", str(raw).strip()) if p]
    if t in ("number", "integer"):
        number = parse_number(raw, dot)
        raw = _fmt(number) if isinstance(raw, float | int) else raw
        if t == "integer" and not number.is_integer():
            raise ParseError(f"«{raw}» er ikke et helt tall")
        if col.min is not None and number < col.min:
            raise ParseError(
                f"«{raw}» er negativt; {col.name} kan ikke være under {_fmt(col.min)}"
                if col.min == 0
                else f"«{raw}» er under laveste tillatte verdi {_fmt(col.min)}"
            )
        if col.max is not None and number > col.max:
            raise ParseError(f"«{raw}» er over høyeste tillatte verdi {_fmt(col.max)}")
        return number
    if t == "year":
        if isinstance(raw, dt.date):
            return raw.year
        period, ptype = parse_period(raw)
        if ptype != "year":
            raise ParseError(f"«{raw}» er ikke et årstall")
        return period.year
    if t == "date":
        return parse_date(raw)
    if t == "period":
        period, ptype = parse_period(raw)
        if col.period_types and ptype not in col.period_types:
            allowed = " eller ".join(f"{PERIOD_TYPE_LABELS[p]} ({PERIOD_TYPE_EXAMPLES[p]})" for p in col.period_types)
            raise ParseError(f"«{raw}» gjelder {PERIOD_TYPE_NOUNS[ptype]}; {col.name} må være {allowed}")
        return period, ptype
    if t == "enum":
        canonical = col.values.get(normalise_header(raw))
        if canonical is None:
            allowed = ", ".join(dict.fromkeys(col.values.values()))
            raise ParseError(f"«{raw}» er ikke en gyldig verdi for {col.name} (gyldige: {allowed})")
        return canonical
    raise AssertionError(t)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x).replace(".", ",")


def _fix_for(col: Column) -> str:
    fixes = {
        "number": "Skriv et tall med desimalkomma, for eksempel 1 234,5.",
        "integer": "Skriv et helt tall, for eksempel 24.",
        "year": "Skriv årstallet med fire sifre, for eksempel 2025.",
        "date": "Skriv datoen som dd.mm.åååå, for eksempel 31.03.2025, eller bruk en Excel-dato.",
        "period": "Skriv perioden som 2025, 2025-03, 03.2025, mars 2025, 2025T1 eller 2025K1.",
        "enum": "Bruk en av de gyldige verdiene.",
    }
    if col.pattern_fix:
        return col.pattern_fix
    if col.period_types:
        examples = ", ".join(PERIOD_TYPE_EXAMPLES[p] for p in col.period_types)
        return f"Skriv perioden som {examples} (én periode per rad, ikke summer for flere perioder)."
    if col.min is not None or col.max is not None:
        bounds = (
            f"mellom {_fmt(col.min)} og {_fmt(col.max)}"
            if col.min is not None and col.max is not None
            else (f"minst {_fmt(col.min)}" if col.min is not None else f"høyst {_fmt(col.max)}")
        )
        return f"Rett verdien; {col.name} må være {bounds}."
    return fixes.get(col.type, f"Rett verdien i kolonnen {col.name}.")


def _row_checks(spec: Spec, frame: pd.DataFrame, sheet: str | None, label: dict[str, str]) -> list[Problem]:
    problems = []
    for check in spec.checks:
        ok = frame.eval(check.expr)
        column = next((spec.column_by_name(n).field for n in check.columns), None)
        for _, row in frame.loc[~ok.astype(bool)].iterrows():
            # a message may name the row's values: "{lost_days} tapte dagsverk …"
            text = {k: _show_value(v) for k, v in row.items()}
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


def _show_value(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_) and not pd.isna(value):
        return _fmt(round(float(value), 6))
    return _show(value)


def duplicate_problems(
    spec: Spec, frame: pd.DataFrame, sheet: str | None, key: tuple[str, ...] | None = None
) -> list[Problem]:
    """Rows that share a key (`spec.key` unless given) but differ elsewhere: one problem per key."""
    fields = [c for c in frame.columns if c != "_row"]
    key = list(key or spec.key)
    distinct = _hashable(frame).drop_duplicates(subset=fields)
    clash = distinct[distinct.duplicated(subset=key, keep=False)]
    problems = []
    for values, group in clash.groupby(key, dropna=False, sort=False):
        rows = ", ".join(str(r) for r in group["_row"])
        names = ", ".join(
            f"{spec.column(k).name} = {_show(v)}"
            for k, v in zip(key, values if isinstance(values, tuple) else (values,), strict=True)
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


def _show(value: object) -> str:
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return "(tom)"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m")
    return str(value)

"""Which kind a sheet is and where its header row is: matched against every spec's column names and aliases.

A sheet whose header falls short is refused naming what is missing, and saying so when the header spans
two rows (merged cells over sub-headers), the commonest reason a column seems to be missing."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from etl.errors import Problem
from etl.norsk import normalise_header
from etl.spec import Column, Spec, load_specs

if TYPE_CHECKING:  # files.py asks `detect` whether a sheet read as columns has its header where it was read
    from etl.read.files import Sheet

HEADER_SEARCH_ROWS = 15
TEMPLATE_HINT = "Last ned malen for filtypen fra dashbordet (Data → Maler) og bruk kolonnenavnene der."


class SheetProblems(Exception):
    """A sheet refused: every problem found in it."""

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


def match(row: list[object], spec: Spec) -> dict[int, Column]:
    """The spec's columns a row names, by position."""
    keys = {k: c for c in spec.columns for k in c.header_keys}
    mapping: dict[int, Column] = {}
    for j, cell in enumerate(row):
        col = keys.get(normalise_header(cell)) if isinstance(cell, str) else None
        if col is not None and col not in mapping.values():
            mapping[j] = col
    return mapping


def names_unit(spec: Spec, found: set[Column]) -> bool:
    """A kind whose rows must name a unit has at least one of its unit columns."""
    return not spec.unit_required or any(c.name in spec.unit_columns for c in found)


def detect(sheet: Sheet) -> tuple[Spec, int, dict[int, Column]]:
    """The sheet's kind, header row (0-based) and column mapping, or SheetProblems saying what is missing."""
    specs = list(load_specs().values())
    hint = normalise_header(sheet.name or "")
    best: tuple[tuple, Spec, int, dict[int, Column]] | None = None
    for i, row in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        for spec in specs:
            mapping = match(row, spec)
            if not mapping:
                continue
            found = set(mapping.values())
            complete = all(c in found for c in spec.required) and names_unit(spec, found)
            named = hint in {normalise_header(s) for s in spec.sheet_names}
            score = (complete, len(found), named, -i)
            if best is None or score > best[0]:
                best = (score, spec, i, mapping)
    if best is None or best[0][1] < 2:
        kinds = "; ".join(f"{s.kind} ({', '.join(c.name for c in s.required)})" for s in specs)
        raise SheetProblems(
            [
                Problem(
                    f"fant ikke hvilken filtype dette er. Overskrifter i fila: {_headers_seen(sheet)}. "
                    f"Kjente filtyper og kolonnene de må ha: {kinds}",
                    f"Overskriftsraden må stå blant de {HEADER_SEARCH_ROWS} første radene og ha kolonnenavnene "
                    f"til en av filtypene. {TEMPLATE_HINT}",
                    sheet=sheet.name,
                )
            ]
        )
    (complete, *_), spec, header_row, mapping = best
    if not complete:
        raise SheetProblems(_missing(sheet, spec, header_row, mapping))
    return spec, header_row, mapping


def _missing(sheet: Sheet, spec: Spec, header_row: int, mapping: dict[int, Column]) -> list[Problem]:
    found = set(mapping.values())
    missing = [c for c in spec.required if c not in found]
    row = header_row + 1
    problems = _two_rows(sheet, spec, header_row, missing)
    problems += [
        Problem(
            f"fila ser ut som «{spec.label}», men mangler kolonnen «{c.name}»",
            f"Legg til en kolonne med overskriften «{c.name}»"
            + (f" (godtatte varianter: {', '.join(c.aliases)})" if c.aliases else "")
            + ".",
            sheet=sheet.name,
            row=row,
        )
        for c in missing
    ]
    if not names_unit(spec, found):
        names = " eller ".join(f"«{n}»" for n in spec.unit_columns)
        problems.append(
            Problem(
                f"fila ser ut som «{spec.label}», men mangler en kolonne som sier hvilken enhet radene gjelder "
                f"({names})",
                f"Legg til en kolonne med overskriften {names}.",
                sheet=sheet.name,
                row=row,
            )
        )
    return problems


def _two_rows(sheet: Sheet, spec: Spec, header_row: int, missing: list[Column]) -> list[Problem]:
    """A header spanning two rows (a merged cell over sub-headers): the row above or below names a missing
    column, or the header row has merged cells."""
    merged = any(top <= header_row <= bottom and left < right for top, left, bottom, right in sheet.facts.merged)
    for other in (header_row + 1, header_row - 1):
        if not 0 <= other < len(sheet.rows):
            continue
        named = [c.name for c in match(sheet.rows[other], spec).values() if c in missing]
        if named or (merged and other == header_row + 1):
            first, second = sorted((header_row, other))
            return [
                Problem(
                    f"overskriften går over to rader (rad {first + 1} og {second + 1}"
                    + (", med sammenslåtte celler" if merged else "")
                    + ")"
                    + (f": {', '.join(f'«{n}»' for n in named)} står i rad {other + 1}" if named else ""),
                    "Bruk én overskriftsrad: fjern sammenslåingen og skriv hele kolonnenavnet i én celle per kolonne "
                    f"(for eksempel «{missing[0].name if missing else spec.columns[0].name}»). {TEMPLATE_HINT}",
                    sheet.name,
                    header_row + 1,
                )
            ]
    return []


def _headers_seen(sheet: Sheet) -> str:
    rows = [r for r in sheet.rows[:HEADER_SEARCH_ROWS] if sum(not is_empty(v) for v in r) >= 2]
    cells = [str(v).strip() for v in (rows[0] if rows else []) if not is_empty(v)]
    return ", ".join(f"«{c}»" for c in cells[:15]) or "ingen"

"""The one spec-driven reader: each sheet's kind and header row (detect), every cell by its column type
(cells), checks and merges across rows (rows). A file is read whole or refused whole: every problem found
is collected into one FileRejected.

Before a sheet is read, what Excel showed the analyst is taken into account: percent-formatted cells are
the percentage they show, the templates' example rows are left out, and hidden rows and sheets are read
but named in the load report (a sheet Excel never shows, `veryHidden`, refuses the file)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from etl.errors import FileRejected, Problem
from etl.norsk import normalise_header
from etl.read.cells import formula_notes, ragged_rows, read_cells
from etl.read.detect import SheetProblems, column_letter, detect, is_empty
from etl.read.excel_facts import as_shown, drop_examples, hidden_notes
from etl.read.files import Sheet, open_file
from etl.read.rows import Unread, drop_repeats, duplicate_problems, row_checks, sum_same_key
from etl.read.table import Table
from etl.spec import EXAMPLE_COLUMN, Column, Spec
from etl.spec.types import TYPES
from etl.ssb.documents import read_document

__all__ = ["column_letter", "duplicate_problems", "is_empty", "read_file"]


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
        except SheetProblems as e:
            problems.extend(e.problems)
    if problems:
        raise FileRejected(path.name, problems)
    if not tables:
        raise FileRejected(
            path.name,
            [Problem("fila har ingen rader med data", "Sjekk at du eksporterte riktig utvalg, og prøv igjen.")],
        )
    return tables


def _as_seen(sheet: Sheet) -> list[str]:
    """Make the sheet's cells mean what Excel showed; the load report's notes on what was done."""
    if sheet.state == "veryhidden":
        raise SheetProblems(
            [
                Problem(
                    f"arket «{sheet.name}» er «veldig skjult» (veryHidden): Excel viser det aldri, og ingen kan se "
                    "hva som står der, men det har data",
                    "Slett arket hvis dataene ikke skal være med. Skal de med, gjør arket synlig (i Excels "
                    "VBA-redigering: Visible = -1) og sjekk innholdet, eller kopier radene til et synlig ark.",
                    sheet.name,
                )
            ]
        )
    notes = []
    if sheet.state == "hidden":
        notes.append(f"arket «{sheet.name}» er skjult i Excel, men radene i det er lest inn som de andre")
    notes += hidden_notes(sheet.rows, sheet.facts)
    notes += as_shown(sheet.rows, sheet.facts)
    sheet.examples = drop_examples(sheet.rows)
    if sheet.examples:
        rows = ", ".join(map(str, sheet.examples))
        notes.append(f"hoppet over eksempelraden fra malen (rad {rows}); den er merket i kolonnen «{EXAMPLE_COLUMN}»")
    return notes


def _read_sheet(sheet: Sheet) -> Table:
    seen = _as_seen(sheet)
    spec, header_row, mapping = detect(sheet)
    header = sheet.rows[header_row]
    width = max((len(r) for r in sheet.rows), default=0)
    unread = [j for j in range(width) if j not in mapping]  # columns the reader does not know
    problems = ragged_rows(sheet, spec, header_row)
    cells = read_cells(sheet, spec, header_row, mapping, unread)  # lets go of the rows below the header
    problems += cells.problems
    if not len(cells.data["_row"]):
        raise SheetProblems(problems or [_no_rows(sheet, header_row)])
    frame = _typed(pd.DataFrame(cells.data), spec)
    label = {col.field: f"{column_letter(j)} ({str(header[j]).strip()})" for j, col in mapping.items()}
    # Checks across cells and rows run on every row that could be read, so one report lists every problem.
    read = frame[~frame["_row"].isin(cells.bad_rows)] if cells.bad_rows else frame  # no copy when all are read
    problems += row_checks(spec, read, sheet.name, label)
    ignored = [str(v).strip() for j, v in enumerate(header) if j not in mapping and not is_empty(v)]
    notes = seen + ([f"ignorerte kolonner uten kjent navn: {', '.join(ignored)}"] if ignored else [])
    notes += [f"kolonnen «{c.name}» er lest, men lagres ikke: {c.store_note}" for c in mapping.values() if c.store_note]
    notes += formula_notes(spec, cells.formula_rows)
    names = [str(header[j]).strip() if j < len(header) and not is_empty(header[j]) else None for j in unread]
    unread_columns = Unread(names, unread, cells.unread_cells)
    frame, more, said = _same_key(spec, read, sheet.name, label, unread_columns, mapping)
    problems += more
    if problems:
        raise SheetProblems(problems)
    return Table(spec, sheet.name, frame, ignored, notes + said)


def _no_rows(sheet: Sheet, header_row: int) -> Problem:
    if sheet.examples:
        return Problem(
            f"arket har bare eksempelraden fra malen (rad {', '.join(map(str, sheet.examples))}), og den leses "
            "aldri inn",
            f"Skriv dine rader under eksempelraden (la kolonnen «{EXAMPLE_COLUMN}» være tom), eller slett den.",
            sheet.name,
            header_row + 1,
        )
    return Problem(
        "arket har overskrifter, men ingen rader med data",
        "Fyll inn radene under overskriftene, eller fjern arket.",
        sheet.name,
        header_row + 1,
    )


def _typed(frame: pd.DataFrame, spec: Spec) -> pd.DataFrame:
    """Each parsed column as its type's pandas dtype."""
    for col in spec.columns:
        dtype = TYPES[col.type].dtype
        if dtype == "datetime":
            frame[col.field] = pd.to_datetime(frame[col.field])
        elif dtype is not None:
            frame[col.field] = pd.to_numeric(frame[col.field]).astype(dtype)
    return frame


def _same_key(spec: Spec, read: pd.DataFrame, sheet: str | None, label, unread: Unread, mapping: dict[int, Column]):
    """Rows sharing the key: summed (additive kinds) or read once / refused (the rest), as the spec declares."""
    if spec.duplicates == "sum":
        amounts = [c.name for c in mapping.values() if c.field in spec.sum_fields]
        return sum_same_key(spec, read, sheet, label, unread, amounts)
    frame, said = drop_repeats(read, unread)
    return frame, duplicate_problems(spec, read, sheet), said

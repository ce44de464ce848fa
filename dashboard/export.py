"""Exports for users: the scorecard and indicator values of one scope, and the overdue lists, as CSV that
Norwegian Excel opens directly (UTF-8 with BOM, `;`, decimal comma) and as .xlsx.

Reading is one function per export (a query on the published warehouse); writing is pure: rows and
column definitions in, bytes out. Text from files is data: in .xlsx every text cell is written as text
(a title `=HYPERLINK(…)` is never a formula, `<script>` never markup); in CSV, which has no cell types,
a text starting with `=`, `+`, `-`, `@` gets a leading apostrophe so a spreadsheet shows it as text.
Anonymity is applied again: a unit figure with fewer answers than the indicator's minimum is never
exported, whatever the relation it is read from holds.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import duckdb
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from etl.errors import BmsError
from etl.norsk import STATUS_LABELS, format_date, format_period, format_plain_number

CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A status cell in Excel keeps its colour as a fill (light tints, so the Norwegian word stays readable).
STATUS_FILLS = {
    status: PatternFill(fill_type="solid", start_color=colour, end_color=colour)
    for status, colour in {"green": "C6E6CF", "yellow": "FBE3A6", "red": "F4C7C1", "grey": "E1E4E8"}.items()
}


@dataclass(frozen=True)
class ExportColumn:
    """One column of an export: the field it reads, its Norwegian header, and how it is written."""

    field: str
    header: str
    kind: str = "text"  # text, number, date, period, status, yes_no
    decimals: int | str | None = None  # a number's decimals; "row" = the row's `decimals` column


SCORECARD = (
    ExportColumn("focus_area", "Fokusområde"),
    ExportColumn("name", "Indikator"),
    ExportColumn("indicator_id", "Indikator-id"),
    ExportColumn("scope_name", "Gjelder"),
    ExportColumn("period", "Periode", "period"),
    ExportColumn("value", "Verdi", "number", "row"),
    ExportColumn("unit_of_measure", "Måleenhet"),
    ExportColumn("target", "Mål", "number", "row"),
    ExportColumn("status", "Status", "status"),
    ExportColumn("status_reason", "Merknad til status"),
    ExportColumn("previous_value", "Forrige verdi", "number", "row"),
    ExportColumn("same_period_last_year", "Samme periode i fjor", "number", "row"),
    ExportColumn("change_within_noise", "Endringen er innenfor støyen", "yes_no"),
    ExportColumn("ci_low", "Konfidensintervall fra", "number", 2),
    ExportColumn("ci_high", "Konfidensintervall til", "number", 2),
    ExportColumn("n", "Antall svar", "number", 0),
    ExportColumn("numerator", "Teller", "number"),
    ExportColumn("denominator", "Nevner", "number"),
    ExportColumn("source_ref", "Kilde"),
    ExportColumn("vintage", "Datagrunnlag"),
    ExportColumn("comment", "Kommentar"),
)
INDICATOR_VALUES = (
    ExportColumn("indicator_id", "Indikator-id"),
    ExportColumn("name", "Indikator"),
    ExportColumn("scope_name", "Gjelder"),
    ExportColumn("period", "Periode", "period"),
    ExportColumn("value", "Verdi", "number"),
    ExportColumn("unit_of_measure", "Måleenhet"),
    ExportColumn("numerator", "Teller", "number"),
    ExportColumn("denominator", "Nevner", "number"),
    ExportColumn("n", "Antall svar", "number", 0),
    ExportColumn("ci_low", "Konfidensintervall fra", "number"),
    ExportColumn("ci_high", "Konfidensintervall til", "number"),
    ExportColumn("source_ref", "Kilde"),
    ExportColumn("vintage", "Datagrunnlag"),
    ExportColumn("comment", "Kommentar"),
)
DECISIONS_OVERDUE = (
    ExportColumn("case_no", "Saksnr"),
    ExportColumn("committee", "Utvalg"),
    ExportColumn("meeting_date", "Møtedato", "date"),
    ExportColumn("title", "Tittel"),
    ExportColumn("unit_name", "Ansvarlig enhet"),
    ExportColumn("due_on", "Frist", "date"),
    ExportColumn("status", "Status"),
    ExportColumn("days_overdue", "Dager over frist", "number", 0),
    ExportColumn("comment", "Kommentar"),
)
DEVIATIONS_OVERDUE = (
    ExportColumn("deviation_id", "Avvik"),
    ExportColumn("unit_name", "Enhet"),
    ExportColumn("category", "Kategori"),
    ExportColumn("severity", "Alvorlighet"),
    ExportColumn("reported_on", "Meldt", "date"),
    ExportColumn("due_on", "Frist", "date"),
    ExportColumn("days_overdue", "Dager over frist", "number", 0),
)

# Anonymity once more, on whatever relation an export reads (`v` with n, `i` the indicator).
_VISIBLE = "NOT (v.scope = 'enhet' AND v.n IS NOT NULL AND v.n < i.min_n)"
_SCOPE_NAME = (
    "CASE WHEN v.scope = 'enhet' THEN coalesce(u.name, v.scope_code) "
    "ELSE coalesce((SELECT value FROM meta WHERE key = 'kommune_name') || ' kommune', v.scope_code) END"
)


def scorecard_frame(con: duckdb.DuckDBPyConnection, scope: str, scope_code: str) -> pd.DataFrame:
    """Every scorecard row of one scope (`kommune` or `enhet` and its code), in the catalogue's order."""
    return con.execute(
        f"""
        SELECT v.*, {_SCOPE_NAME} AS scope_name
        FROM scorecard v
        JOIN indicators i USING (indicator_id)
        LEFT JOIN units u ON v.scope = 'enhet' AND u.unit_id = v.scope_code
        WHERE v.scope = $scope AND v.scope_code = $code AND {_VISIBLE}
        ORDER BY i.sort_order, v.indicator_id, v.period_type, v.period
        """,
        {"scope": scope, "code": scope_code},
    ).df()


def indicator_values_frame(con: duckdb.DuckDBPyConnection, scope: str, scope_code: str) -> pd.DataFrame:
    """Every indicator value of one scope, with the indicator's name and unit of measure."""
    return con.execute(
        f"""
        SELECT v.*, i.name, i.unit_of_measure, {_SCOPE_NAME} AS scope_name
        FROM indicator_values v
        JOIN indicators i USING (indicator_id)
        LEFT JOIN units u ON v.scope = 'enhet' AND u.unit_id = v.scope_code
        WHERE v.scope = $scope AND v.scope_code = $code AND {_VISIBLE}
        ORDER BY i.sort_order, v.indicator_id, v.period_type, v.period
        """,
        {"scope": scope, "code": scope_code},
    ).df()


def decisions_overdue_frame(con: duckdb.DuckDBPyConnection, unit_id: str | None = None) -> pd.DataFrame:
    """Political decisions past their deadline and not carried out (one unit's, or all)."""
    return con.execute("SELECT * FROM decisions_overdue WHERE $unit IS NULL OR unit_id = $unit", {"unit": unit_id}).df()


def deviations_overdue_frame(con: duckdb.DuckDBPyConnection, unit_id: str | None = None) -> pd.DataFrame:
    """Open avvik past their deadline (one unit's, or all)."""
    return con.execute(
        "SELECT * FROM deviations_overdue WHERE $unit IS NULL OR unit_id = $unit", {"unit": unit_id}
    ).df()


def _cell(row: pd.Series, col: ExportColumn) -> object:
    """A cell's value as it should be written: Python types, periods as words, statuses in Norwegian."""
    value = row.get(col.field)
    if value is None or (not isinstance(value, str | list) and pd.isna(value)):
        return None
    if col.kind == "period":
        return format_period(pd.Timestamp(value).date(), row["period_type"])
    if col.kind == "status":
        return STATUS_LABELS.get(value, value)
    if col.kind == "yes_no":
        return "ja" if value else "nei"
    if col.kind == "date":
        return pd.Timestamp(value).date()
    if col.kind == "number":
        return float(value)
    return str(value)


def _decimals(row: pd.Series, col: ExportColumn) -> int | None:
    if col.decimals == "row":
        return int(row["decimals"]) if "decimals" in row and not pd.isna(row["decimals"]) else None
    return col.decimals  # type: ignore[return-value]


def to_csv(frame: pd.DataFrame, columns: tuple[ExportColumn, ...]) -> bytes:
    """CSV bytes for Norwegian Excel: UTF-8 with BOM, `;` separated, decimal comma, dates dd.mm.åååå."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.header for c in columns])
    for _, row in frame.iterrows():
        line = []
        for col in columns:
            value = _cell(row, col)
            if value is None:
                line.append("")
            elif col.kind == "number":
                line.append(format_plain_number(value, _decimals(row, col)))  # type: ignore[arg-type]
            elif col.kind == "date":
                line.append(format_date(value))  # type: ignore[arg-type]
            else:
                text = str(value)
                line.append("'" + text if text.startswith(CSV_FORMULA_START) else text)
        writer.writerow(line)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def sheet_name(name: str, taken: set[str] | None = None) -> str:
    """A valid sheet name (≤ 31 characters, none of []:*?/\\ that Excel refuses), unique among `taken`."""
    base = re.sub(r"[\[\]:*?/\\]", "-", name)[:31].strip("'") or "Ark"  # no ' at either end, after the cut
    taken = set() if taken is None else taken
    candidate, i = base, 2
    while candidate.lower() in taken:
        suffix = f" {i}"
        candidate = base[: 31 - len(suffix)].rstrip("'") + suffix
        i += 1
    taken.add(candidate.lower())
    return candidate


def to_xlsx(frame: pd.DataFrame, columns: tuple[ExportColumn, ...], sheet: str = "Eksport", title: str = "") -> bytes:
    """An .xlsx with an optional title line, bold headers and typed cells; text is always text."""
    wb = Workbook()
    ws = cast(Worksheet, wb.active)  # a new workbook's one sheet
    ws.title = sheet_name(sheet)
    if title:
        ws.append([title])
        ws["A1"].font = Font(bold=True, size=13)
        ws["A1"].data_type = "s"
        ws.append([])
    ws.append([c.header for c in columns])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for _, row in frame.iterrows():
        ws.append([_cell(row, c) for c in columns])
        for cell, col in zip(ws[ws.max_row], columns, strict=True):
            if col.kind == "status" and row.get(col.field) in STATUS_FILLS:
                cell.fill = STATUS_FILLS[row[col.field]]
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula: "=HYPERLINK(…)" stays the literal text
            elif col.kind == "number" and (decimals := _decimals(row, col)) is not None:
                cell.number_format = "#,##0" + ("." + "0" * decimals if decimals else "")
            elif col.kind == "date":
                cell.number_format = "dd.mm.yyyy"
    for j, col in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(j)].width = max(10, min(50, len(col.header) + 4))
    wb.properties.creator = "Heim BMS"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


EXPORTS: dict[str, tuple[Callable[..., pd.DataFrame], tuple[ExportColumn, ...], str]] = {
    "målekort": (scorecard_frame, SCORECARD, "Målekort"),
    "indikatorverdier": (indicator_values_frame, INDICATOR_VALUES, "Indikatorverdier"),
    "vedtak_over_frist": (decisions_overdue_frame, DECISIONS_OVERDUE, "Vedtak over frist"),
    "avvik_over_frist": (deviations_overdue_frame, DEVIATIONS_OVERDUE, "Avvik over frist"),
}


def export_bytes(con: duckdb.DuckDBPyConnection, what: str, fmt: str, *args: str | None) -> bytes:
    """One export as `csv` or `xlsx`: `export_bytes(con, "målekort", "csv", "enhet", "E21")`."""
    if what not in EXPORTS:
        raise BmsError(f"Ukjent eksport «{what}». Kjente: {', '.join(EXPORTS)}.")
    read, columns, label = EXPORTS[what]
    frame = read(con, *args)
    if fmt == "csv":
        return to_csv(frame, columns)
    if fmt == "xlsx":
        scope = f" – {frame['scope_name'].iloc[0]}" if "scope_name" in frame and len(frame) else ""
        return to_xlsx(frame, columns, label, f"{label}{scope} (eksportert {format_date(dt.date.today())})")
    raise BmsError(f"Ukjent format «{fmt}». Bruk csv eller xlsx.")

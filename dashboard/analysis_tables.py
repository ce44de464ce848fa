"""Tables on the analysis and data pages: one frame serves the page (an accessible HTML table) and the
download (CSV and Excel through dashboard.export and the `/eksport/<table>` route of dashboard.downloads), so
what a user downloads is what the page shows.

A table is a `Table`: a title, a frame whose column names are the Norwegian headers, and the decimals of its
number columns. Pages `register` a builder per table at import; the builder asks dashboard.access itself and
raises access.Forbidden (answered 403) where the user may not have it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from dash import html

from dashboard import access, downloads
from dashboard.export import ExportColumn, to_csv, to_xlsx
from dashboard.tables import download_links as _links
from etl.errors import BmsError
from etl.norsk import format_number, format_plain_number


@dataclass
class Table:
    """A table as shown and downloaded: Norwegian headers as column names, decimals per number column."""

    title: str
    frame: pd.DataFrame
    decimals: Mapping[str, int] = field(default_factory=dict)
    filename: str = "tabell"


# key → builder(query args) → Table; the builder asks dashboard.access itself and raises access.Forbidden
Builder = Callable[[Mapping[str, str]], Table]
BUILDERS: dict[str, Builder] = {}


def register(key: str, builder: Builder) -> None:
    """Make a table downloadable at `/eksport/<key>.csv` and `.xlsx` (pages call this at import)."""
    BUILDERS[key] = builder

    def table(_reader: object, args: Mapping[str, str]) -> tuple[pd.DataFrame, tuple[ExportColumn, ...], str]:
        try:
            built = builder(args)
        except access.Forbidden:
            raise downloads.Refused(403, "Du har ikke tilgang til denne tabellen.") from None
        return export_frame(built), export_columns(built), built.title[:31]

    downloads.TABLES[key] = table


def export_frame(table: Table) -> pd.DataFrame:
    """The frame as exported: in a text column that mixes numbers and words (a survey figure or «for få
    svar»), the numbers are written the Norwegian way (`4,5`), as on the page."""
    frame = table.frame.copy()
    for name in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[name]):
            decimals = table.decimals.get(name)
            frame[name] = frame[name].map(
                lambda v, d=decimals: (
                    format_plain_number(float(v), d)
                    if isinstance(v, int | float) and not isinstance(v, bool) and not pd.isna(v)
                    else v
                )
            )
    return frame


def export_columns(table: Table) -> tuple[ExportColumn, ...]:
    """The export writer's columns for a table: numbers as numbers with their decimals, the rest as text."""
    columns = []
    for name in table.frame.columns:
        is_number = pd.api.types.is_numeric_dtype(table.frame[name]) and not pd.api.types.is_bool_dtype(
            table.frame[name]
        )
        kind = "number" if is_number else "text"
        columns.append(ExportColumn(str(name), str(name), kind, table.decimals.get(name) if is_number else None))
    return tuple(columns)


def table_bytes(table: Table, fmt: str) -> bytes:
    """The table as CSV for Norwegian Excel or as .xlsx, with its title on the sheet."""
    columns = export_columns(table)
    frame = export_frame(table)
    if fmt == "csv":
        return to_csv(frame, columns)
    if fmt == "xlsx":
        return to_xlsx(frame, columns, table.title, table.title)
    raise BmsError(f"Ukjent format «{fmt}». Bruk csv eller xlsx.")


def cell_text(value: Any, decimals: int | None) -> str:
    """A cell as the page shows it: Norwegian numbers, `–` for nothing."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    if isinstance(value, bool):
        return "ja" if value else "nei"
    if isinstance(value, int | float):
        text = format_number(float(value), decimals or 0)
        return "0" if text in ("\u22120", "\u22120,0") else text.replace("\u22120,0", "0,0")
    return str(value)


def html_table(table: Table, table_id: str, caption: str | None = None) -> html.Div:
    """An accessible HTML table (caption, column headers, first column as row headers) in a scroll box."""
    frame = table.frame
    numeric = {c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])}
    head = html.Thead(
        html.Tr([html.Th(str(c), scope="col", className="text-end" if c in numeric else None) for c in frame.columns])
    )
    rows = []
    for record in frame.itertuples(index=False):
        cells = []
        for j, (name, value) in enumerate(zip(frame.columns, record, strict=True)):
            text = cell_text(value, table.decimals.get(name))
            cls = "text-end" if name in numeric else None
            cells.append(html.Th(text, scope="row") if j == 0 else html.Td(text, className=cls))
        rows.append(html.Tr(cells))
    if not rows:
        rows = [html.Tr(html.Td("Ingen rader å vise.", colSpan=max(1, len(frame.columns))))]
    return html.Div(
        html.Table(
            [html.Caption(caption or table.title), head, html.Tbody(rows)],
            className="table table-sm table-striped bms-table",
            id=table_id,
        ),
        className="bms-table-wrap",
        tabIndex="0",
        role="region",
        **{"aria-label": caption or table.title},
    )


def download_links(key: str, args: Mapping[str, Any] | None = None, label: str = "tabellen") -> html.Div:
    """CSV and Excel links for a registered table."""
    return _links(key, {k: None if v is None else str(v) for k, v in (args or {}).items()}, label)

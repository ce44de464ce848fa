"""Tables on the analysis pages: one frame serves the page (an accessible HTML table) and the download
(CSV and Excel through the project's export writer), so what a user downloads is what the page shows.

A table is a `Table`: a title, a frame whose column names are the Norwegian headers, and the decimals of
its number columns. Pages register a builder per table (`register`); the route `/last-ned/<key>.<fmt>`
calls it again for the request, asking `dashboard.access` first, and writes the frame as CSV or .xlsx.
"""

from __future__ import annotations

import io
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import flask
import pandas as pd
from dash import html

from dashboard import access
from etl.errors import BmsError
from etl.export import ExportColumn, to_csv, to_xlsx
from etl.norsk import format_number

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
    """Make a table downloadable at `/last-ned/<key>.csv` and `.xlsx` (pages call this at import)."""
    BUILDERS[key] = builder


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
    if fmt == "csv":
        return to_csv(table.frame, columns)
    if fmt == "xlsx":
        return to_xlsx(table.frame, columns, table.title[:31], table.title)
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
    """`Last ned CSV` and `Last ned Excel` links for a registered table."""
    query = urllib.parse.urlencode({k: v for k, v in (args or {}).items() if v is not None})
    suffix = f"?{query}" if query else ""
    return html.Div(
        [
            html.A(
                f"Last ned {label} som CSV",
                href=f"/last-ned/{key}.csv{suffix}",
                className="btn btn-sm btn-outline-dark",
            ),
            html.A(
                f"Last ned {label} som Excel",
                href=f"/last-ned/{key}.xlsx{suffix}",
                className="btn btn-sm btn-outline-dark",
            ),
        ],
        className="bms-downloads",
    )


def add_routes(server: flask.Flask) -> None:
    """The download route for every registered table (403 where access says no, 404 for unknown keys)."""

    @server.route("/last-ned/<key>.<fmt>")
    def download_table(key: str, fmt: str) -> flask.Response:
        """One registered table as CSV or Excel, built for this request."""
        if key not in BUILDERS or fmt not in ("csv", "xlsx"):
            flask.abort(404)
        try:
            table = BUILDERS[key](flask.request.args)
        except access.Forbidden:
            flask.abort(403)
        content = table_bytes(table, fmt)
        mimetype = "text/csv; charset=utf-8" if fmt == "csv" else XLSX
        return flask.send_file(
            io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=f"{table.filename}.{fmt}"
        )

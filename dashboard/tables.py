"""Accessible tables as pure functions of data: a caption, header cells with scope, Norwegian numbers, the
status as text beside its colour, and links to download the same table as CSV and Excel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import pandas as pd
from dash import html

from dashboard.components import present, status_badge
from dashboard.export import ExportColumn
from etl.norsk import format_date, format_number, format_period


def cell_text(row: Mapping[str, Any], col: ExportColumn) -> str:
    """One cell as users read it: numbers in Norwegian, periods in words, missing as «–»."""
    value = row.get(col.field)
    if not present(value):
        return "–"
    if col.kind == "number":
        decimals = col.decimals
        if decimals == "row":
            decimals = int(row["decimals"]) if present(row.get("decimals")) else 1
        return format_number(float(value), int(decimals) if decimals is not None else 1)
    if col.kind == "period":
        return format_period(pd.Timestamp(value).date(), str(row.get("period_type") or "year"))
    if col.kind == "date":
        return format_date(pd.Timestamp(value).date())
    if col.kind == "yes_no":
        return "ja" if value else "nei"
    return str(value)


def _cell(row: Mapping[str, Any], col: ExportColumn) -> html.Td:
    if col.kind == "status":
        return html.Td(status_badge(str(row.get(col.field) or "grey"), row.get("status_reason") or None))
    return html.Td(cell_text(row, col), className="text-end" if col.kind == "number" else None)


def download_links(table: str, params: Mapping[str, str | None], label: str) -> html.Div:
    """Two links: the table as CSV and as Excel (served by dashboard.downloads)."""
    query = urlencode({k: v for k, v in params.items() if v})
    suffix = f"?{query}" if query else ""
    return html.Div(
        [
            html.Span("Last ned: ", className="bms-download-label"),
            html.A("CSV", href=f"/eksport/{table}.csv{suffix}", className="bms-download", title=f"{label} som CSV"),
            " · ",
            html.A(
                "Excel", href=f"/eksport/{table}.xlsx{suffix}", className="bms-download", title=f"{label} som Excel"
            ),
        ],
        className="bms-downloads",
    )


def data_table(
    frame: pd.DataFrame,
    columns: Sequence[ExportColumn],
    caption: str,
    download: tuple[str, Mapping[str, str | None]] | None = None,
    table_id: str | None = None,
    empty_text: str = "Ingen rader å vise.",
) -> html.Div:
    """A table with a caption and header cells; `download` = (table name, query) adds CSV/Excel links."""
    links = download_links(download[0], download[1], caption) if download else None
    if frame.empty:
        return html.Div([html.H3(caption, className="h6"), html.P(empty_text, className="bms-empty"), links])
    head = html.Thead(html.Tr([html.Th(c.header, scope="col") for c in columns]))
    body = html.Tbody([html.Tr([_cell(r, c) for c in columns]) for r in frame.to_dict("records")])
    table = html.Table(
        [html.Caption(caption), head, body],
        className="table table-sm table-striped bms-table",
        **({"id": table_id} if table_id else {}),
    )
    return html.Div([html.Div(table, className="table-responsive"), links], className="bms-table-wrap")

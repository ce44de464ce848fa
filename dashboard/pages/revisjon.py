"""Revisjonslogg: who did what when (logins, failed logins, uploads, writes, downloads, account changes).

Only the rådmann and analysts may open it; for anyone else the server answers 403 (`allowed` below).
"""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, dcc, html

from dashboard import access
from dashboard.store import current_store

dash.register_page(
    __name__,
    path="/revisjon",
    name="Revisjonslogg",
    title="Revisjonslogg – Heim BMS",
    order=30,
    allowed=access.may_see_audit,
)

LIMIT = 500


def layout(**_query: Any) -> html.Div:
    """The newest lines of the audit log, with a free-text filter."""
    if not access.may_see_audit():
        return html.Div("Du har ikke tilgang til revisjonsloggen.", className="alert alert-warning", role="alert")
    return html.Div(
        [
            html.H1("Revisjonslogg", className="h3"),
            html.P(f"De siste {LIMIT} hendelsene: innlogginger, opplastinger, endringer og nedlastinger."),
            html.Label("Filtrer (bruker, hendelse eller hva det gjaldt)", htmlFor="audit-filter"),
            dcc.Input(id="audit-filter", type="search", className="form-control mb-3", debounce=True),
            html.Div(audit_table(""), id="audit-list"),
        ],
        className="bms-page",
    )


def audit_table(needle: str) -> html.Table | html.P:
    """The audit log lines matching a filter text, newest first."""
    if not access.may_see_audit():
        raise access.Forbidden("revisjon")
    like = f"%{needle.strip()}%"
    rows = current_store().rows(
        "SELECT * FROM audit WHERE coalesce(username, '') LIKE ? OR action LIKE ? OR target LIKE ? "
        "ORDER BY id DESC LIMIT ?",
        (like, like, like, LIMIT),
    )
    if not rows:
        return html.P("Ingen hendelser.", className="bms-quiet")
    head = html.Thead(
        html.Tr([html.Th(h) for h in ("Tid (UTC)", "Bruker", "Hendelse", "Gjaldt", "Detaljer", "Adresse")])
    )
    body = [
        html.Tr(
            [
                html.Td(r["at"].replace("T", " ")[:19]),
                html.Td(r["username"] or "–"),
                html.Td(r["action"]),
                html.Td(r["target"]),
                html.Td(r["detail"]),
                html.Td(r["address"] or ""),
            ]
        )
        for r in rows
    ]
    return html.Table([head, html.Tbody(body)], className="table table-sm small", id="audit-table")


def register_callbacks(target: Any = dash) -> None:
    """Filtering the log (checked on the server again)."""

    @target.callback(Output("audit-list", "children"), Input("audit-filter", "value"), prevent_initial_call=True)
    def filter_log(needle: str | None) -> Any:
        return audit_table(needle or "")


register_callbacks()  # at import, on `dash`: each app claims its pages' callbacks

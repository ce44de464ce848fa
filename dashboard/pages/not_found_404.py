"""The page for an address that does not exist (Dash Pages picks it by its module name)."""

from __future__ import annotations

import dash
from dash import dcc, html

dash.register_page(__name__, path="/404", name="Fant ikke siden", title="Fant ikke siden – Heim BMS")


def layout(**_query: object) -> html.Div:
    """A Norwegian 404 with a way back."""
    return html.Div(
        [
            html.H1("Fant ikke siden"),
            html.P("Adressen finnes ikke i Heim BMS."),
            dcc.Link("Tilbake til oversikten", href="/"),
        ],
        className="bms-page py-4",
    )

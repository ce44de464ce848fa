"""Tjenesteområde: the area's units side by side, indicators × units with status. `/tjenesteomrade/oppvekst`."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboard import access, data, page_messages, unit_view
from dashboard.components import service_area_label, status_legend
from dashboard.tables import download_links

dash.register_page(
    __name__,
    path_template="/tjenesteomrade/<area>",
    name="Tjenesteområde",
    title="Tjenesteområde – Heim BMS",
    order=11,
)


def layout(area: str | None = None, **_query: Any) -> html.Div:
    """The page for the current request (Dash Pages passes the area from the address)."""
    reader = data.current_reader()
    if not data.is_published(reader):
        return page_messages.no_data()
    units = data.units(reader)
    found = unit_view.find_area(units, area or "")
    if found is None:
        return page_messages.unknown_area(area or "")
    if not access.may_see_area(found):
        return page_messages.refused()
    in_area = units[units["service_area"] == found]
    visible = access.visible_unit_ids(set(in_area["unit_id"]))
    matrix = unit_view.area_matrix(reader, found, visible)
    label = service_area_label(found)
    return html.Div(
        [
            html.H1(f"Tjenesteområde {label}"),
            html.P(
                f"Enhetene i {label.lower()} side om side: siste tall og status for hver indikator. "
                "Velg en enhet eller en indikator for detaljer.",
                className="bms-lead",
            ),
            status_legend(),
            unit_view.matrix_table(matrix, f"Indikatorer × enheter i {label.lower()}"),
            download_links("tjenesteomrade", {"omrade": found}, "Tabellen"),
        ],
        className="bms-page",
    )

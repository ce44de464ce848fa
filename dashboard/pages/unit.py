"""Enhet: one unit's scorecard in the four focus areas, its area and leader, open avvik, overdue vedtak and
what it has of each source. `/enhet/E21`."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboard import access, data, page_messages, unit_view
from dashboard.components import Serialised, status_legend
from dashboard.dialogue import with_vurderinger
from dashboard.tables import download_links

dash.register_page(__name__, path_template="/enhet/<unit_id>", name="Enhet", title="Enhet – Heim BMS", order=10)


def layout(unit_id: str | None = None, **_query: Any) -> html.Div:
    """The page for the current request (Dash Pages passes the unit id from the address)."""
    reader = data.current_reader()
    if not data.is_published(reader):
        return page_messages.no_data()
    unit_id = (unit_id or "").strip()
    if not access.may_see_unit(unit_id):
        return page_messages.refused()
    unit = unit_view.unit_row(reader, unit_id)
    if unit is None:
        return page_messages.unknown_unit(unit_id)
    grid, records = unit_view.scorecard_parts(reader, "enhet", unit_id)
    body: Any = with_vurderinger(grid, unit_id, records) if records else None  # the leader's vurdering per card
    if not records:
        body = html.P(
            "Enheten har ingen indikatorer i balansehåndboken ennå. Be en analytiker legge inn hvilke indikatorer "
            "som gjelder enheten (kolonnen «gjelder»).",
            className="bms-empty",
        )
    return html.Div(
        [
            unit_view.unit_heading(unit),
            status_legend(),
            download_links("malekort", {"enhet": unit_id}, "Målekartet"),
            html.Div(body, id="unit-scorecard"),
            *data.per_version(reader, ("unit-tables", unit_id), lambda: _tables(reader, unit_id)),
        ],
        className="bms-page",
    )


def _tables(reader: Any, unit_id: str) -> list[Any]:
    """The unit's open avvik, overdue vedtak and sources: the same for every user who may see the unit, so
    built once per published version (`data.per_version`)."""
    parts = [
        html.H2("Avvik og vedtak", className="h4 mt-2"),
        unit_view.deviations_table(unit_view.open_deviations(reader, unit_id), unit_id),
        unit_view.decisions_table(unit_view.overdue_decisions(reader, unit_id), unit_id),
        html.H2("Hva enheten har av data", className="h4 mt-4"),
        unit_view.sources_table(unit_view.scope_sources(reader, "enhet", unit_id), {"enhet": unit_id}),
    ]
    return [Serialised(part) for part in parts]

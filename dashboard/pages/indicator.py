"""Indikator: definition, history with target and bands, units, KOSTRA peers and where every number comes
from. `/indikator/sykefravaer?enhet=E21` shows it for one unit; without `enhet`, for the kommune."""

from __future__ import annotations

from typing import Any

import dash
from dash import dcc, html

from dashboard import access, data, indicator_view, page_messages, unit_view
from dashboard.dialogue import unit_vurdering

dash.register_page(
    __name__, path_template="/indikator/<indicator_id>", name="Indikator", title="Indikator – Heim BMS", order=12
)


def layout(indicator_id: str | None = None, enhet: str | None = None, **_query: Any) -> html.Div:
    """The page for the current request."""
    reader, settings = data.current_reader(), data.current_settings()
    if not data.is_published(reader):
        return page_messages.no_data()
    ind = indicator_view.definition(reader, indicator_id or "")
    if ind is None:
        return page_messages.unknown_indicator(indicator_id or "")
    if enhet:
        if not access.may_see_unit(enhet):
            return page_messages.refused()
        unit = unit_view.unit_row(reader, enhet)
        if unit is None:
            return page_messages.unknown_unit(enhet)
        scope, code, subject = "enhet", enhet, str(unit["name"])
    else:
        if not access.may_see_kommune():
            return page_messages.refused()
        meta = data.meta(reader)
        scope, code = "kommune", data.kommune_code(reader, settings)
        subject = meta.get("kommune_name") or settings.kommune_name
    params = {"id": ind["indicator_id"], "enhet": enhet}
    history = indicator_view.history(reader, ind["indicator_id"], scope, code)
    units = indicator_view.by_unit(
        reader, ind["indicator_id"], access.visible_unit_ids(set(data.units(reader)["unit_id"]))
    )
    back = dcc.Link(f"Tilbake til målekartet for {subject}", href=f"/enhet/{enhet}" if enhet else "/")
    sections: list[Any] = [
        back,
        html.H1(ind["name"]),
        html.P(f"{ind['focus_area']} · {subject}", className="bms-lead"),
        html.H2("Definisjon", className="h4"),
        indicator_view.definition_list(ind, history),
        html.H2("Utvikling", className="h4"),
        indicator_view.history_section(history, ind, params, lambda: indicator_view.applies(reader, ind, scope, code)),
    ]
    if scope == "enhet":  # the leader's vurdering of the newest result, as on the card
        sections += [html.H2("Vurdering", className="h4 mt-4"), unit_vurdering(reader, ind["indicator_id"], code)]
    if ind["source"] == "KOSTRA":
        row = indicator_view.comparison(reader, ind["indicator_id"], scope, code)
        sections += [
            html.H2("Sammenlignet med andre kommuner", className="h4 mt-4"),
            indicator_view.peers_section(row, subject, params),
        ]
    if not units.empty:
        sections += [html.H2("Enhetene", className="h4 mt-4"), indicator_view.units_section(units, ind["indicator_id"])]
    sections += [
        html.H2("Hvor tallene kommer fra", className="h4 mt-4"),
        indicator_view.provenance_section(
            indicator_view.provenance(
                reader, ind, [(scope, code)] + [("enhet", u) for u in units.get("scope_code", [])]
            ),
            ind,
        ),
    ]
    return html.Div(sections, className="bms-page bms-indicator-page")

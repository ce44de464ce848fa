"""Oversikt: the scorecard of the kommune or one unit, in the four focus areas. `/?enhet=E21` opens a unit."""

from __future__ import annotations

from typing import Any

import dash
import pandas as pd
from dash import Input, Output, callback, clientside_callback, dcc, html

from dashboard import access, data, unit_view
from dashboard.components import (
    KOMMUNE_LEAD,
    no_data_alert,
    scorecard_heading,
    status_legend,
    unit_lead,
    unit_options,
)
from dashboard.dialogue import with_vurderinger
from dashboard.tables import download_links
from etl.settings import Settings
from etl.store.warehouse import WarehouseReader

dash.register_page(__name__, path="/", name="Oversikt", title="Oversikt – Heim BMS", order=0)

UNIT_ID = "bms-unit"
DROPDOWN_LABELS = {
    "search": "Søk etter enhet",
    "clear_search": "Tøm søket",
    "clear_selection": "Fjern valget",
    "no_options_found": "Ingen enhet passer søket",
    "select_all": "Velg alle",
    "deselect_all": "Fjern alle",
    "selected_count": "{num_selected} valgt",
}

# Keeps `?enhet=` in the address bar in step with the dropdown without reloading the page, so the view can
# be bookmarked and shared. replaceState fires no navigation event, so the page router does not re-run.
SYNC_URL_JS = """
function(value) {
    const url = new URL(window.location.href);
    if (!value || value === "kommune") {
        url.searchParams.delete("enhet");
    } else {
        url.searchParams.set("enhet", value);
    }
    window.history.replaceState(window.history.state, "", url);
    return value || "";
}
"""


def layout(enhet: str | None = None, **_query: Any) -> html.Div:
    """The page for the current request (Dash Pages passes `?enhet=` as a keyword)."""
    return overview(data.current_reader(), data.current_settings(), enhet)


def overview(reader: WarehouseReader, settings: Settings, enhet: str | None = None) -> html.Div:
    """The whole page for a reader: title, unit picker, legend and the four panels."""
    if not data.is_published(reader):
        return html.Div(no_data_alert(), className="bms-page")
    all_units = data.units(reader)
    units = _visible(all_units)
    if not enhet and (_is_leader() or not access.may_see_kommune()) and not units.empty:
        enhet = str(units["unit_id"].iloc[0])  # a leader lands on the own unit
    if enhet in _unit_ids(all_units) and enhet not in _unit_ids(units):
        return html.Div(forbidden_alert(), className="bms-page")
    selected = enhet if enhet in _unit_ids(units) else data.KOMMUNE
    note = None
    if enhet and selected != enhet:
        note = html.Div(
            f"Fant ingen enhet med koden «{enhet}» som du har tilgang til. Viser et annet målekart.",
            className="alert alert-warning py-2",
            role="status",
        )
    meta = data.meta(reader)
    title, body = scorecard_view(reader, settings, units, selected)
    options = unit_options(units, meta.get("kommune_name") or settings.kommune_name)
    if not access.may_see_kommune():
        options = [o for o in options if o.get("value") != data.KOMMUNE]
    picker = dcc.Dropdown(
        id=UNIT_ID,
        options=options,
        value=selected,
        clearable=False,
        searchable=True,
        search_order="original",
        maxHeight=420,
        labels=DROPDOWN_LABELS,
        className="bms-picker",
    )
    return html.Div(
        [
            html.Div(
                [
                    html.Div(title, id="overview-title", className="bms-title"),
                    html.Div(
                        [html.Label("Vis målekart for", htmlFor=UNIT_ID, className="bms-picker-label"), picker],
                        className="bms-picker-wrap",
                    ),
                ],
                className="bms-page-head",
            ),
            note,
            status_legend(),
            html.Div(body, id="overview-body"),
            dcc.Store(id="overview-url-sync"),
        ],
        className="bms-page",
    )


def scorecard_view(reader: WarehouseReader, settings: Settings, units: pd.DataFrame, selected: str) -> tuple[list, Any]:
    """The heading and the four panels for the kommune (`selected == "kommune"`) or one unit id."""
    meta = data.meta(reader)
    unit = units[units["unit_id"] == selected] if selected in _unit_ids(units) else None
    if selected != data.KOMMUNE:
        access.require_unit(selected)  # a crafted callback for another unit gets 403, never the figures
    elif not access.may_see_kommune():
        raise access.Forbidden(selected)
    if unit is None:
        scope, code = "kommune", meta.get("kommune_code") or settings.kommune_code
        heading = scorecard_heading(f"{meta.get('kommune_name') or settings.kommune_name} kommune", KOMMUNE_LEAD)
    else:
        first = unit.iloc[0]
        scope, code = "enhet", selected
        heading = scorecard_heading(str(first["name"]), unit_lead(selected, first["service_area"], first["service"]))
        heading.append(
            dcc.Link(
                "Åpne enhetssiden: avvik, vedtak og datagrunnlag", href=f"/enhet/{selected}", id="overview-unit-link"
            )
        )
    heading.append(download_links("malekort", {"enhet": code if scope == "enhet" else None}, "Målekartet"))
    grid, records = unit_view.scorecard_parts(reader, scope, code)
    if scope == "enhet":  # the leader's vurdering beside each card
        grid = with_vurderinger(grid, code, records)
    return heading, grid


def _visible(units: pd.DataFrame) -> pd.DataFrame:
    """The units the current user may see."""
    if units.empty:
        return units
    allowed = access.visible_unit_ids(set(units["unit_id"]))
    return units[units["unit_id"].isin(allowed)]


def _is_leader() -> bool:
    user = access.current_user()
    return bool(user and user.role == "leder")


def forbidden_alert() -> html.Div:
    """What a page shows instead of a unit the user may not see: no figures, no names."""
    return html.Div(
        "Du har ikke tilgang til dette målekartet.", className="alert alert-warning", role="alert", id="bms-forbidden"
    )


def _unit_ids(units: pd.DataFrame) -> set[str]:
    return set(units["unit_id"]) if "unit_id" in units else set()


@callback(
    Output("overview-title", "children"),
    Output("overview-body", "children"),
    Input(UNIT_ID, "value"),
    prevent_initial_call=True,
)
def show_unit(value: str | None) -> tuple[list, Any]:
    """The picker changed: the heading and panels for the chosen unit (or the kommune)."""
    reader = data.current_reader()
    return scorecard_view(reader, data.current_settings(), _visible(data.units(reader)), value or data.KOMMUNE)


clientside_callback(
    SYNC_URL_JS, Output("overview-url-sync", "data"), Input(UNIT_ID, "value"), prevent_initial_call=True
)

"""Sammenligning: KOSTRA benchmarking for a year and a peer set (`/sammenligning?ar=2025&utvalg=fylke`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, callback, html

from dashboard import access, data
from dashboard import analysis_tables as tables
from dashboard import comparison_view as view
from dashboard.comparison_body import body, kommune_name
from dashboard.components import no_data_alert

dash.register_page(__name__, path="/sammenligning", name="Sammenligning", title="Sammenligning – Heim BMS", order=4)

YEAR_ID, SET_ID, BODY_ID = "cmp-year", "cmp-set", "cmp-body"
NOT_ALLOWED = "Du har ikke tilgang til kommunens tall. Be en administrator om tilgang hvis du trenger dem."
NO_KOSTRA = (
    "Det er ikke lastet KOSTRA-tall ennå. Kjør «bms fetch kostra» (eller legg SSB-filer i data/inbox/) "
    "og last på nytt, så kommer sammenligningen her."
)


def _parse_year(raw: Any, years: list[int]) -> tuple[int, str | None]:
    try:
        year = int(str(raw))
    except (TypeError, ValueError):
        year = None  # type: ignore[assignment]
    if year in years:
        return year, None
    note = None
    if raw not in (None, ""):
        shown = ", ".join(str(y) for y in sorted(years))
        note = f"Det finnes ingen sammenligning for året «{raw}». Velg et av årene {shown}. Viser {years[0]}."
    return years[0], note


def _parse_set(raw: Any) -> tuple[str, str | None]:
    if raw in view.PEER_SETS:
        return str(raw), None
    if raw in (None, ""):
        return view.DEFAULT_PEER_SET, None
    names = ", ".join(f"«{k}»" for k in view.PEER_SETS)
    return view.DEFAULT_PEER_SET, f"Ukjent utvalg «{raw}». Bruk {names}. Viser de valgte sammenligningskommunene."


def layout(ar: str | None = None, utvalg: str | None = None, **_query: Any) -> html.Div:
    """The page for the current request (`?ar=` and `?utvalg=` pick year and peer set)."""
    reader = data.current_reader()
    head = [html.H1("Sammenligning med andre kommuner (KOSTRA)")]
    if not access.may_see_kommune():
        return html.Div([*head, dbc.Alert(NOT_ALLOWED, color="warning")], className="bms-page")
    if not data.is_published(reader):
        return html.Div([*head, no_data_alert()], className="bms-page")
    years = view.years(reader)
    if not years:
        return html.Div([*head, dbc.Alert(NO_KOSTRA, color="info", id="cmp-none")], className="bms-page")
    year, year_note = _parse_year(ar, years)
    peer_set, set_note = _parse_set(utvalg)
    notes = [html.Div(n, className="alert alert-warning py-2", role="status") for n in (year_note, set_note) if n]
    controls = html.Div(
        [
            html.Div(
                [
                    html.Label("År", htmlFor=YEAR_ID, className="form-label"),
                    dbc.Select(
                        id=YEAR_ID,
                        options=[{"label": str(y), "value": str(y)} for y in years],
                        value=str(year),
                        className="bms-year-picker",
                    ),
                ],
                className="bms-control",
            ),
            html.Fieldset(
                [
                    html.Legend("Sammenlign med", className="form-label fs-6"),
                    dbc.RadioItems(
                        id=SET_ID,
                        options=[{"label": label, "value": key} for key, label in view.PEER_SETS.items()],
                        value=peer_set,
                        inline=True,
                    ),
                ],
                className="bms-control",
            ),
        ],
        className="bms-controls",
    )
    lead = html.P(
        "Hver celle sier om kommunen eller regionen er bedre eller dårligere enn "
        f"{kommune_name()} på indikatoren, ut fra om høyere eller lavere er bedre. Plassen regnes blant "
        "kommunene i utvalget som har tall. Bare kommuner det er hentet tall for fra SSB er med.",
        className="bms-lead",
    )
    return html.Div(
        [*head, lead, *notes, controls, html.Div(body(year, peer_set), id=BODY_ID, **{"aria-live": "polite"})],
        className="bms-page",
    )


@callback(Output(BODY_ID, "children"), Input(YEAR_ID, "value"), Input(SET_ID, "value"), prevent_initial_call=True)
def update(year: str | None, peer_set: str | None) -> list[Any]:
    """A new year or peer set: the matrix, ranks and trends again."""
    if not access.may_see_kommune():
        return [dbc.Alert(NOT_ALLOWED, color="warning")]
    years = view.years(data.current_reader())
    if not years:
        return [dbc.Alert(NO_KOSTRA, color="info")]
    chosen, _ = _parse_year(year, years)
    return body(chosen, peer_set if peer_set in view.PEER_SETS else view.DEFAULT_PEER_SET)


def _download(args: Mapping[str, str]) -> tables.Table:
    if not access.may_see_kommune():
        raise access.Forbidden("kommune")
    reader = data.current_reader()
    years = view.years(reader)
    if not years:
        return tables.Table("KOSTRA-sammenligning", pd.DataFrame({"Merknad": [NO_KOSTRA]}))
    year, _ = _parse_year(args.get("ar"), years)
    peer_set, _ = _parse_set(args.get("utvalg"))
    rows, peers = view.comparison_rows(reader, year), view.peer_rows(reader, year, peer_set)
    return view.export_table(rows, peers, view.ranks(reader, year, peer_set), kommune_name(), year)


tables.register("sammenligning", _download)

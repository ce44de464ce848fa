"""Sammenligning: KOSTRA benchmarking for a year and a peer set (`/sammenligning?ar=2025&utvalg=fylke`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, callback, dcc, html

from dashboard import access, data
from dashboard import analysis_tables as tables
from dashboard import comparison_view as view
from dashboard.components import Serialised, no_data_alert

dash.register_page(__name__, path="/sammenligning", name="Sammenligning", title="Sammenligning – Heim BMS", order=4)

YEAR_ID, SET_ID, BODY_ID = "cmp-year", "cmp-set", "cmp-body"
NOT_ALLOWED = "Du har ikke tilgang til kommunens tall. Be en administrator om tilgang hvis du trenger dem."
NO_KOSTRA = (
    "Det er ikke lastet KOSTRA-tall ennå. Kjør «bms fetch kostra» (eller legg SSB-filer i data/inbox/) "
    "og last på nytt, så kommer sammenligningen her."
)


def _kommune_name() -> str:
    reader, settings = data.current_reader(), data.current_settings()
    return data.meta(reader).get("kommune_name") or settings.kommune_name


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
        f"{_kommune_name()} på indikatoren, ut fra om høyere eller lavere er bedre. Plassen regnes blant "
        "kommunene i utvalget som har tall. Bare kommuner det er hentet tall for fra SSB er med.",
        className="bms-lead",
    )
    return html.Div(
        [*head, lead, *notes, controls, html.Div(body(year, peer_set), id=BODY_ID, **{"aria-live": "polite"})],
        className="bms-page",
    )


def body(year: int, peer_set: str) -> list[Any]:
    """The matrix, the symbols legend, the downloads and the five-year trends for a year and peer set: the
    same for everyone who may see the kommune, so built once per published version (`data.per_version`)."""
    reader, kommune = data.current_reader(), _kommune_name()
    return data.per_version(
        reader,
        ("comparison", year, peer_set, kommune),
        lambda: [Serialised(part) for part in _body(reader, kommune, year, peer_set)],
    )


def _body(reader: Any, kommune: str, year: int, peer_set: str) -> list[Any]:
    rows = view.comparison_rows(reader, year)
    peers = view.peer_rows(reader, year, peer_set)
    ranks = view.ranks(reader, year, peer_set)
    vintage = next((str(v) for v in rows.get("vintage", []) if isinstance(v, str)), None)
    trend = view.trend_rows(reader, year)
    return [
        html.H2(f"{year}: {view.PEER_SETS[peer_set].lower()}", className="h4 mt-3", id="cmp-heading"),
        html.P(f"Datagrunnlag: {vintage}." if vintage else "", className="bms-meta"),
        view.matrix(rows, peers, ranks, kommune),
        view.symbols_legend(rows, peers),
        tables.download_links("sammenligning", {"ar": year, "utvalg": peer_set}, "sammenligningen"),
        html.H2("Utvikling over fem år", className="h4 mt-4"),
        html.P(f"{kommune} mot KOSTRA-gruppen og landet uten Oslo. Tallene står i tabellen under hver figur."),
        dbc.Row(
            [
                dbc.Col(_trend_card(g, kommune), md=6, xl=4, className="mb-3")
                for _, g in trend.groupby("indicator_id", sort=False)
            ]
        ),
    ]


def _trend_card(trend: Any, kommune: str) -> html.Section:
    table = view.trend_table(trend, kommune)
    iid = str(trend["indicator_id"].iloc[0])
    return html.Section(
        [
            html.H3(str(trend["name"].iloc[0]), className="h6"),
            html.Div(
                dcc.Graph(
                    figure=view.trend_figure(trend, kommune), config={"displayModeBar": False, "staticPlot": True}
                ),
                role="img",
                **{"aria-label": f"Linjediagram: {table.title}. Tallene står i tabellen under."},
            ),
            html.Details([html.Summary("Vis tallene"), tables.html_table(table, f"cmp-trend-{iid}")]),
        ],
        className="card card-body bms-trend-card",
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
    return view.export_table(rows, peers, view.ranks(reader, year, peer_set), _kommune_name(), year)


tables.register("sammenligning", _download)

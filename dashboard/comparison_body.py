"""The body of the Sammenligning page for a year and a peer set: the matrix, the symbols legend, the downloads and
the five-year trends. The same for everyone who may see the kommune, so built once per published version
(`data.per_version`): by the page's request, or before it by a worker's warm-up (dashboard/warmup.py), which
may not import a page module (a page registers itself when imported)."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import analysis_tables as tables
from dashboard import comparison_view as view
from dashboard import data
from dashboard.components import Serialised


def kommune_name() -> str:
    """The kommune's name as the published warehouse gives it (else the settings')."""
    reader, settings = data.current_reader(), data.current_settings()
    return data.meta(reader).get("kommune_name") or settings.kommune_name


def body(year: int, peer_set: str) -> list[Any]:
    """The matrix, the symbols legend, the downloads and the five-year trends for a year and peer set: the
    same for everyone who may see the kommune, so built once per published version (`data.per_version`)."""
    reader, kommune = data.current_reader(), kommune_name()
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

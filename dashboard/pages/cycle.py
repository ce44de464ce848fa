"""Styringshjul: the yearly cycle of sources and reports (`/arshjul`), with whether each source has arrived."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from dashboard import access, data
from dashboard import analysis_tables as tables
from dashboard import cycle_view as view

dash.register_page(__name__, path="/arshjul", name="Styringshjul", title="Styringshjul – Heim BMS", order=6)

NOT_ALLOWED = "Du har ikke tilgang til kommunens styringshjul. Be en administrator om tilgang hvis du trenger det."
LEAD = (
    "Styringshjulet i styringsdokumentet (kap. 8.4): når hver kilde skal komme inn i løpet av året, og når "
    "rapportene skal lages. Status sier om dataene har kommet, er forsinket (siste frist er passert) eller er "
    "utdatert (eldre enn én hel runde). Fristene står i settings.toml (due_…)."
)


def _table() -> tables.Table:
    today = dt.date.today()
    settings, reader = data.current_settings(), data.current_reader()
    cov = view.coverage(reader) if data.is_published(reader) else pd.DataFrame()
    dues = view.source_dues(settings, cov, today) + view.report_dues(settings, today)
    return view.cycle_table(sorted(dues, key=lambda d: d.day), today.year)


def layout(**_query: Any) -> html.Div:
    """The cycle for this year: the table of due dates and a count per status."""
    head = [html.H1(f"Styringshjul {dt.date.today().year}"), html.P(LEAD, className="bms-lead")]
    if not access.may_see_kommune():
        return html.Div([*head, dbc.Alert(NOT_ALLOWED, color="warning")], className="bms-page")
    notes = []
    if not data.is_published(data.current_reader()):
        notes.append(
            dbc.Alert(
                "Ingen data er lastet ennå, så ingen kilde har kommet. Kjør «bms demo» eller legg filer i data/inbox/.",
                color="info",
            )
        )
    table = _table()
    sources = table.frame[table.frame["Type"] == "Kilde"]["Status"].value_counts()
    summary = html.P(
        [html.Strong("Kildene nå: ")]
        + [f"{state} {count} · " for state, count in sources.items()][:-1]
        + ([f"{sources.index[-1]} {sources.iloc[-1]}"] if len(sources) else []),
        id="cycle-summary",
    )
    return html.Div(
        [
            *head,
            *notes,
            summary,
            tables.html_table(table, "cycle-table"),
            tables.download_links("styringshjul", {}, "styringshjulet"),
        ],
        className="bms-page",
    )


def _download(_args: Mapping[str, str]) -> tables.Table:
    if not access.may_see_kommune():
        raise access.Forbidden("kommune")
    return _table()


tables.register("styringshjul", _download)

"""Rapporter: the reports for the politicians and the leaders as Word, PDF or Excel, made on request.

The same code path as `bms report` (dashboard.reports); every unit or area asked for is checked with
dashboard.access first, and the report lists only units the user may see.
"""

from __future__ import annotations

import logging
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from dashboard import access, data
from dashboard.components import no_data_alert
from dashboard.reports import KINDS, ReportRequest, build_report
from dashboard.reports.dialogue import open_store
from etl.errors import BmsError
from etl.store.warehouse import WarehouseReader

dash.register_page(__name__, path="/rapporter", name="Rapporter", title="Rapporter – Heim BMS", order=5)

log = logging.getLogger(__name__)
ALL = ""  # the dropdown value for «hele kommunen» / «hele året»
FORMAT_LABELS = {"docx": "Word (.docx)", "pdf": "PDF", "xlsx": "Excel (.xlsx)"}
KIND_HELP = {
    "tjenesterapport": "Målekortet i de fire fokusområdene med mål, status, trend og KOSTRA-sammenligning.",
    "arbeidsgiverrapport": "Sykefravær, årsverk, turnover, heltid/deltid, kjønnsbalanse og 10-FAKTOR.",
    "tertialrapport": "Regnskap mot budsjett og prognose, sykefravær og avvik for tertialet.",
    "vedtaksrapport": "Alle politiske vedtak per utvalg med status; de som er over fristen først.",
    "ledersamtale": "Enhetens målekort, trender, åpne avvik og plass til bevarings- og forbedringspunkter.",
}


def layout(**_query: Any) -> html.Div:
    """The report form for the current request."""
    reader = data.current_reader()
    if not data.is_published(reader):
        return html.Div(no_data_alert(), className="bms-page")
    year_options, default_year = _year_choices(reader)
    area_options, unit_options = _scope_choices(reader)
    return html.Div(
        [
            html.H1("Rapporter", className="h3"),
            html.P(
                "Lag rapportene til politikerne og lederne som Word, PDF eller Excel. Teksten i hvert kapittel er "
                "et utkast skrevet ut fra tallene; vurderingene legger dere til selv.",
                className="text-muted",
            ),
            _report_and_period_row(year_options, default_year),
            _scope_and_format_row(area_options, unit_options),
            html.P(id="rap-help", className="mt-3"),
            dbc.Button("Lag rapport", id="rap-make", color="primary", className="mt-2"),
            dcc.Loading(html.Div(id="rap-status", className="mt-3", role="status"), type="dot"),
            dcc.Download(id="rap-download"),
        ],
        className="bms-page",
    )


def _year_choices(reader: WarehouseReader) -> tuple[list[int], int | None]:
    """The years with figures, newest first, and the one chosen at first."""
    years = reader.df(
        "SELECT year(period) AS y, bool_or(period_type = 'year') AS whole FROM scorecard "
        "WHERE scope <> 'region' GROUP BY y ORDER BY y DESC"
    )
    year_options = [int(y) for y in years["y"]] if not years.empty else []
    # The newest year with yearly figures: a year just begun has a few months or a tertial only.
    whole = [int(y) for y, w in zip(years.get("y", []), years.get("whole", []), strict=True) if w]
    default_year = whole[0] if whole else (year_options[0] if year_options else None)
    return year_options, default_year


def _scope_choices(reader: WarehouseReader) -> tuple[list[dict], list[dict]]:
    """The service areas (with the kommune first) and the units the current user may make a report for."""
    units = data.units(reader)
    visible = access.visible_unit_ids(set(units["unit_id"])) if not units.empty else set()
    units = units[units["unit_id"].isin(visible)] if not units.empty else units
    areas = sorted({a for a in units["service_area"].dropna() if access.may_see_area(a)}) if not units.empty else []
    area_options = ([{"label": "Hele kommunen", "value": ALL}] if access.may_see_kommune() else []) + [
        {"label": a[:1].upper() + a[1:], "value": a} for a in areas
    ]
    unit_options = [{"label": "Ingen (hele området eller kommunen)", "value": ALL}] + [
        {"label": f"{r['name']} ({r['unit_id']})", "value": r["unit_id"]} for _, r in units.iterrows()
    ]
    return area_options, unit_options


def _report_and_period_row(year_options: list[int], default_year: int | None) -> dbc.Row:
    """The form's first row: which report, which year, which tertial (or the whole year)."""
    return dbc.Row(
        [
            _field(
                "Rapport",
                dcc.Dropdown(
                    id="rap-kind",
                    options=[{"label": v, "value": k} for k, v in KINDS.items()],
                    value="tjenesterapport",
                    clearable=False,
                ),
            ),
            _field(
                "År",
                dcc.Dropdown(
                    id="rap-year",
                    options=year_options,
                    value=default_year,
                    clearable=False,
                ),
            ),
            _field(
                "Tertial",
                dcc.Dropdown(
                    id="rap-tertial",
                    options=[
                        {"label": "Hele året", "value": ALL},
                        *[{"label": f"{t}. tertial", "value": str(t)} for t in (1, 2, 3)],
                    ],
                    value=ALL,
                    clearable=False,
                ),
            ),
        ],
        className="g-3",
    )


def _scope_and_format_row(area_options: list[dict], unit_options: list[dict]) -> dbc.Row:
    """The form's second row: for which service area (or the kommune) or unit, in which file format."""
    return dbc.Row(
        [
            _field(
                "Tjenesteområde",
                dcc.Dropdown(
                    id="rap-area",
                    options=area_options,
                    value=area_options[0]["value"] if area_options else None,
                    clearable=False,
                ),
            ),
            _field("Enhet", dcc.Dropdown(id="rap-unit", options=unit_options, value=ALL, clearable=False)),
            _field(
                "Format",
                dbc.RadioItems(  # native radio buttons: each has its own name for screen readers
                    id="rap-format",
                    options=FORMAT_LABELS,
                    value="docx",
                    inline=True,
                ),
            ),
        ],
        className="g-3 mt-1",
    )


def _field(label: str, control: Any) -> dbc.Col:
    return dbc.Col([dbc.Label(label, html_for=control.id, className="fw-semibold"), control], md=4)


@callback(Output("rap-help", "children"), Input("rap-kind", "value"))
def explain(kind: str) -> str:
    """What the chosen report holds."""
    return KIND_HELP.get(kind, "")


def request_from(kind: str, year: int | None, tertial: str, area: str, unit: str, fmt: str) -> ReportRequest:
    """The form's choices as a report request, after the access rules: a unit or area the user may not
    see, or the whole kommune for a user who may not see it, is refused (access.Forbidden)."""
    if year is None:
        raise BmsError("Velg et år.")
    if unit:
        access.require_unit(unit)
    elif area:
        access.require_area(area)
    elif not access.may_see_kommune():
        raise access.Forbidden("kommune")
    return ReportRequest(kind, int(year), fmt, int(tertial) if tertial else None, area or None, unit or None)


@callback(
    Output("rap-download", "data"),
    Output("rap-status", "children"),
    Input("rap-make", "n_clicks"),
    State("rap-kind", "value"),
    State("rap-year", "value"),
    State("rap-tertial", "value"),
    State("rap-area", "value"),
    State("rap-unit", "value"),
    State("rap-format", "value"),
    prevent_initial_call=True,
)
def make_report(_clicks: int, kind: str, year: int, tertial: str, area: str, unit: str, fmt: str) -> tuple:
    """Build the report the form asks for and hand it to the browser as a download."""
    try:
        request = request_from(kind, year, tertial, area, unit, fmt)
        store = open_store(data.current_settings().data_dir)
        content = build_report(data.current_reader(), request, may_see_unit=access.may_see_unit, store=store)
    except access.Forbidden:
        return dash.no_update, dbc.Alert("Du har ikke tilgang til denne enheten eller dette området.", color="warning")
    except BmsError as e:
        return dash.no_update, dbc.Alert(str(e), color="warning")
    name = request.file_name()
    access.audit("rapport lastet ned", name, f"{kind} {year}")
    return dcc.send_bytes(content, name), dbc.Alert(f"Rapporten er laget: {name}", color="success")

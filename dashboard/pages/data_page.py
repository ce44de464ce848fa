"""Data (`/data`), for analysts: freshness per source, files loaded and refused with their reports, the inbox,
upload in the browser into the same pipeline `bms load` runs, and a template for every file kind."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from dashboard import access, cycle_view, data
from dashboard import analysis_tables as tables
from dashboard import data_page_view as view

dash.register_page(__name__, path="/data", name="Data", title="Data – Heim BMS", order=7)

UPLOAD_ID, RESULT_ID, CONTENT_ID = "data-upload", "data-upload-result", "data-content"
NOTHING_PUBLISHED = "Ingen data er publisert ennå. Last opp en fil, eller kjør «bms demo»."
NOT_ALLOWED = "Datasiden er for analytikere. Be en administrator om tilgang hvis du skal laste opp eller se filer."


def layout(**_query: Any) -> html.Div:
    """The page: upload, then what is loaded, refused, waiting, and the templates."""
    head = html.H1("Data: filer, ferskhet og opplasting")
    if not access.may_use_data_page():
        return html.Div([head, dbc.Alert(NOT_ALLOWED, color="warning")], className="bms-page")
    settings = data.current_settings()
    upload = html.Section(
        [
            html.H2("Last opp en fil", className="h4", id="data-upload-title"),
            html.P(
                f"Excel (.xlsx, .xlsm), CSV eller SSB-json, høyst {settings.max_file_mb:g} MB. Fila legges i innboksen "
                "og lastes med en gang, på samme måte som «bms load». Svaret kommer her etter noen sekunder."
            ),
            dcc.Upload(
                html.Div(["Dra en fil hit, eller ", html.Span("velg en fil", className="btn btn-sm btn-dark ms-1")]),
                id=UPLOAD_ID,
                multiple=False,
                className="bms-upload",
            ),
            dcc.Loading(html.Div(id=RESULT_ID, role="status", **{"aria-live": "polite"}), type="circle"),
        ],
        className="mb-4",
        **{"aria-labelledby": "data-upload-title"},
    )
    return html.Div([head, upload, html.Div(content(), id=CONTENT_ID)], className="bms-page")


def content() -> list[Any]:
    """Freshness, load log, refusal reports, inbox and templates, read now."""
    reader, settings = data.current_reader(), data.current_settings()
    published = data.is_published(reader)
    cov = cycle_view.coverage(reader) if published else pd.DataFrame()
    fresh, log, waiting = (
        cycle_view.freshness(cov, dt.date.today()),
        view.load_log(reader, settings),
        view.inbox(settings),
    )
    reports = view.refused_reports(settings)
    return [
        None
        if published
        else dbc.Alert("Ingen data er publisert ennå. Last opp en fil, eller kjør «bms demo».", color="info"),
        html.H2("Ferskhet per kilde", className="h4"),
        tables.html_table(fresh, "data-freshness"),
        tables.download_links("data-ferskhet", {}, "ferskheten"),
        html.H2("Avviste filer og hvorfor", className="h4 mt-4"),
        html.Div(
            [
                html.Details(
                    [html.Summary(name), html.Pre(text, className="bms-report")],
                    className="bms-refused",
                    open=i == 0,
                )
                for i, (name, text) in enumerate(reports)
            ]
            or [html.P("Ingen filer er avvist.")],
            id="data-refused",
        ),
        html.H2("Alle filer", className="h4 mt-4"),
        tables.html_table(log, "data-log"),
        tables.download_links("data-filer", {}, "fillista"),
        html.H2("Venter i innboksen", className="h4 mt-4"),
        tables.html_table(waiting, "data-inbox")
        if len(waiting.frame)
        else html.P("Innboksen er tom.", id="data-inbox"),
        html.H2("Maler", className="h4 mt-4"),
        html.P("En Excel-mal for hver filtype, med overskriftene, en eksempelrad og en forklaring av hver kolonne."),
        html.Ul(
            [
                html.Li(html.A(f"Mal for {label.lower()}", href=f"/maler/{kind}.xlsx"))
                for kind, label in view.template_kinds()
            ],
            id="data-templates",
        ),
    ]


def result_box(result: view.UploadResult) -> dbc.Alert:
    """What the loader said about the uploaded file, in Norwegian, with the refusal report when refused."""
    if result.status == "loaded":
        text = f"«{result.stored_name}» er lastet" + (
            f" og publisert som versjon {result.version}." if result.version else "."
        )
        return dbc.Alert(
            [html.Strong("Lastet. "), text, html.P(result.message, className="mb-0") if result.message else None],
            color="success",
        )
    if result.status == "deferred":
        return dbc.Alert(
            [html.Strong("Venter. "), f"«{result.stored_name}» ligger i innboksen og lastes senere. ", result.message],
            color="warning",
        )
    if result.status == "unchanged":
        return dbc.Alert(
            [html.Strong("Uendret. "), f"Det samme innholdet som «{result.stored_name}» er lastet før."], color="info"
        )
    return dbc.Alert(
        [
            html.Strong("Avvist. "),
            f"«{result.stored_name}» ble ikke lastet, og ingenting i den er tatt inn. Rett fila og last den opp igjen.",
            html.Pre(result.report or result.message, className="bms-report mt-2 mb-0", id="data-upload-report"),
        ],
        color="danger",
    )


@callback(
    Output(RESULT_ID, "children"),
    Output(CONTENT_ID, "children"),
    Input(UPLOAD_ID, "contents"),
    State(UPLOAD_ID, "filename"),
    prevent_initial_call=True,
)
def upload(contents: str | None, filename: str | None) -> tuple[Any, Any]:
    """Store the uploaded file in the inbox, load it with the project's loader, show the result."""
    if not access.may_use_data_page():
        return dbc.Alert(NOT_ALLOWED, color="warning"), dash.no_update
    if not contents or not filename:
        return dash.no_update, dash.no_update
    settings = data.current_settings()
    try:
        stored, payload = view.decode_upload(contents, filename, settings.max_file_mb)
    except view.UploadRefused as e:
        return dbc.Alert([html.Strong("Ikke lastet opp. "), str(e)], color="danger"), dash.no_update
    path = view.store_in_inbox(settings, stored, payload)
    result = view.load_upload(settings, path)
    access.audit(
        "opplasting",
        result.stored_name,
        {"loaded": "lastet", "rejected": "avvist", "deferred": "venter"}.get(result.status, "uendret"),
    )
    return result_box(result), content()


def _only_analysts(build: tables.Builder) -> tables.Builder:
    def table(args: Mapping[str, str]) -> tables.Table:
        if not access.may_use_data_page():
            raise access.Forbidden("data")
        return build(args)

    return table


def _freshness(_args: Mapping[str, str]) -> tables.Table:
    reader = data.current_reader()
    cov = cycle_view.coverage(reader) if data.is_published(reader) else pd.DataFrame()
    return cycle_view.freshness(cov, dt.date.today())


tables.register("data-ferskhet", _only_analysts(_freshness))
tables.register(
    "data-filer", _only_analysts(lambda _args: view.load_log(data.current_reader(), data.current_settings()))
)

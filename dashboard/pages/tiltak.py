"""Tiltak: the units' virksomhetsplan actions (all units for the rådmann, filterable; a leader's own unit).

A leader adds and follows up the own unit's tiltak, the rådmann any unit's; other roles read the units they
may see. Overdue tiltak (deadline passed, still planlagt or pågår) are flagged. Text is shown as text.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import MATCH, Input, Output, State, ctx, dcc, html

from dashboard import access, data, dialogue_store
from dashboard.store import current_store
from etl.norsk import format_date

dash.register_page(__name__, path="/tiltak", name="Tiltak", title="Tiltak – Heim BMS", order=20)

ALL = "alle"
FIELDS = ("tiltak-unit", "tiltak-action", "tiltak-indicators", "tiltak-owner", "tiltak-deadline", "tiltak-new-status")


def _units() -> pd.DataFrame:
    units = data.units(data.current_reader())
    if units.empty:
        return units
    return units[units["unit_id"].isin(access.visible_unit_ids(set(units["unit_id"])))]


def _names() -> dict[str, str]:
    units = data.units(data.current_reader())
    return dict(zip(units["unit_id"], units["name"], strict=True)) if not units.empty else {}


def _indicator_options() -> list[dict[str, str]]:
    frame = data.current_reader().df("SELECT indicator_id, name FROM indicators ORDER BY indicator_id")
    return [{"label": f"{n} ({i})", "value": i} for i, n in zip(frame["indicator_id"], frame["name"], strict=True)]


def layout(enhet: str | None = None, **_query: Any) -> html.Div:
    """The filterable list and, where the user may write, the form for a new tiltak."""
    units = _units()
    ids = list(units["unit_id"]) if not units.empty else []
    unit_options = [{"label": "Alle enheter", "value": ALL}] + [
        {"label": f"{n} ({u})", "value": u} for u, n in zip(units["unit_id"], units["name"], strict=True)
    ]
    chosen = enhet if enhet in ids else (ids[0] if len(ids) == 1 else ALL)
    status_options = [{"label": "Alle statuser", "value": ALL}] + [
        {"label": s, "value": s} for s in dialogue_store.TILTAK_STATUSES
    ]
    filters = html.Div(
        [
            html.Div(
                [
                    html.Label("Enhet", htmlFor="tiltak-filter-unit"),
                    dcc.Dropdown(id="tiltak-filter-unit", options=unit_options, value=chosen, clearable=False),
                ],
                className="col-md-4",
            ),
            html.Div(
                [
                    html.Label("Status", htmlFor="tiltak-filter-status"),
                    dcc.Dropdown(id="tiltak-filter-status", options=status_options, value=ALL, clearable=False),
                ],
                className="col-md-3",
            ),
            html.Div(
                dbc.Checklist(  # a native checkbox with its label: named for screen readers
                    id="tiltak-filter-overdue", options=[{"label": "Bare forfalte", "value": "ja"}], value=[]
                ),
                className="col-md-3 pt-4",
            ),
        ],
        className="row g-3 mb-3",
    )
    return html.Div(
        [
            html.H1("Tiltak i virksomhetsplanene", className="h3"),
            html.P("Tiltakene enhetene følger opp, med frist og status. Forfalte tiltak er merket.", className="lead"),
            filters,
            html.Div(
                [
                    html.A("Last ned som Excel", href="/eksport/dialog/tiltak.xlsx", className="me-3"),
                    html.A("Last ned som CSV", href="/eksport/dialog/tiltak.csv"),
                ],
                className="small mb-2",
            ),
            html.Div(tiltak_table(chosen, ALL, []), id="tiltak-list"),
            new_tiltak_form(ids, chosen),
        ],
        className="bms-page",
    )


def new_tiltak_form(unit_ids: list[str], chosen: str) -> html.Div | None:
    """The form for a new tiltak, for the units the user may write for (none: no form)."""
    writable = [u for u in unit_ids if access.may_write_unit(u)]
    if not writable:
        return None
    names = _names()
    return html.Div(
        [
            html.H2("Nytt tiltak", className="h5"),
            html.Label("Enhet", htmlFor="tiltak-unit"),
            dcc.Dropdown(
                id="tiltak-unit",
                options=[{"label": f"{names.get(u, u)} ({u})", "value": u} for u in writable],
                value=chosen if chosen in writable else writable[0],
                clearable=False,
            ),
            html.Label("Tiltak", htmlFor="tiltak-action", className="mt-2"),
            dcc.Textarea(id="tiltak-action", className="form-control", maxLength=dialogue_store.MAX_TEXT),
            html.Label("Indikatorer tiltaket skal påvirke", htmlFor="tiltak-indicators", className="mt-2"),
            dcc.Dropdown(id="tiltak-indicators", options=_indicator_options(), multi=True),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label("Ansvarlig", htmlFor="tiltak-owner"),
                            dcc.Input(id="tiltak-owner", className="form-control"),
                        ],
                        className="col-md-4",
                    ),
                    html.Div(
                        [
                            html.Label("Frist (dd.mm.åååå)", htmlFor="tiltak-deadline"),
                            dcc.Input(id="tiltak-deadline", className="form-control", placeholder="31.12.2026"),
                        ],
                        className="col-md-4",
                    ),
                    html.Div(
                        [
                            html.Label("Status", htmlFor="tiltak-new-status"),
                            dcc.Dropdown(
                                id="tiltak-new-status",
                                options=list(dialogue_store.TILTAK_STATUSES),
                                value="planlagt",
                                clearable=False,
                            ),
                        ],
                        className="col-md-4",
                    ),
                ],
                className="row g-3 mt-1",
            ),
            html.Button("Lagre tiltak", id="tiltak-save", n_clicks=0, className="btn btn-primary mt-3"),
            html.Span(id="tiltak-message", className="ms-3", role="status"),
        ],
        className="card card-body mt-4",
        id="tiltak-form",
    )


def tiltak_table(unit: str, status: str, overdue: list[str]) -> html.Div:
    """The current tiltak of the visible units (or one unit), filtered by status and overdue."""
    units = _units()
    visible = set(units["unit_id"]) if not units.empty else set()
    if unit != ALL:
        access.require_unit(unit)
        visible &= {unit}
    rows = dialogue_store.list_tiltak(current_store(), visible)
    rows = [r for r in rows if (status == ALL or r["status"] == status) and (not overdue or r["overdue"])]
    if not rows:
        return html.P("Ingen tiltak å vise.", className="bms-quiet", id="tiltak-empty")
    names = _names()
    head = html.Thead(
        html.Tr([html.Th(h) for h in ("Enhet", "Tiltak", "Indikatorer", "Ansvarlig", "Frist", "Status", "")])
    )
    return html.Table([head, html.Tbody([_row(r, names) for r in rows])], className="table table-sm bms-tiltak")


def _row(r: dict, names: dict[str, str]) -> html.Tr:
    writable = access.may_write_unit(r["unit_id"])
    deadline = format_date(dt.date.fromisoformat(r["deadline"])) if r["deadline"] else "–"
    status: Any = r["status"]
    if writable:
        status = dcc.Dropdown(
            id={"type": "tiltak-status", "id": r["id"]},
            options=list(dialogue_store.TILTAK_STATUSES),
            value=r["status"],
            clearable=False,
            style={"minWidth": "9rem"},
        )
    flag = html.Span("Forfalt", className="badge bg-danger ms-1") if r["overdue"] else None
    actions = [html.Span(id={"type": "tiltak-row-msg", "id": r["id"]}, className="small")]
    if writable:
        actions.insert(
            0,
            html.Button(
                "Trekk tilbake",
                id={"type": "tiltak-withdraw", "id": r["id"]},
                n_clicks=0,
                className="btn btn-sm btn-outline-dark",
            ),
        )
    return html.Tr(
        [
            html.Td(names.get(r["unit_id"], r["unit_id"])),
            html.Td(r["action"], className="bms-tiltak-action", style={"whiteSpace": "pre-wrap"}),
            html.Td(", ".join(r["indicator_list"])),
            html.Td(r["owner"]),
            html.Td([deadline, flag]),
            html.Td(status),
            html.Td(actions),
        ],
        id={"type": "tiltak-row", "id": r["id"]},
        **{"data-overdue": "ja" if r["overdue"] else "nei", "data-unit": r["unit_id"]},
    )


def _writable_tiltak(tiltak_id: Any) -> dict:
    row = dialogue_store.tiltak_by_id(current_store(), int(tiltak_id))
    if row is None or not access.may_write_unit(row["unit_id"]):
        raise access.Forbidden(str(tiltak_id))
    return row


def register_callbacks(target: Any = dash) -> None:
    """Filtering, adding, status changes and withdrawals, each checked on the server."""

    @target.callback(
        Output("tiltak-list", "children"),
        Output("tiltak-message", "children"),
        Input("tiltak-filter-unit", "value"),
        Input("tiltak-filter-status", "value"),
        Input("tiltak-filter-overdue", "value"),
        Input("tiltak-save", "n_clicks"),
        *(State(f, "value") for f in FIELDS),
        prevent_initial_call=True,
    )
    def update(unit, status, overdue, _clicks, new_unit, action, indicators, owner, deadline, new_status):
        message: Any = dash.no_update
        if ctx.triggered_id == "tiltak-save":
            if not new_unit or not access.may_write_unit(new_unit):
                raise access.Forbidden(str(new_unit))
            try:
                new_id = dialogue_store.add_tiltak(
                    current_store(),
                    new_unit,
                    action or "",
                    indicators or [],
                    owner or "",
                    deadline,
                    new_status or "planlagt",
                    access.current_user().username,
                )
            except dialogue_store.DialogueError as e:
                return dash.no_update, str(e)
            access.audit("tiltak lagt til", f"{new_unit}/tiltak {new_id}", (action or "")[:200])
            message = "Tiltaket er lagret."
        return tiltak_table(unit or ALL, status or ALL, overdue or []), message

    @target.callback(
        Output({"type": "tiltak-row-msg", "id": MATCH}, "children"),
        Input({"type": "tiltak-status", "id": MATCH}, "value"),
        State({"type": "tiltak-status", "id": MATCH}, "id"),
        prevent_initial_call=True,
    )
    def change_status(value: str, ident: dict) -> str:
        row = _writable_tiltak(ident.get("id"))
        dialogue_store.set_tiltak_status(current_store(), row["id"], value, access.current_user().username)
        access.audit("tiltak endret", f"{row['unit_id']}/tiltak {row['id']}", f"status {row['status']} → {value}")
        return "Status lagret."

    @target.callback(
        Output({"type": "tiltak-row", "id": MATCH}, "style"),
        Input({"type": "tiltak-withdraw", "id": MATCH}, "n_clicks"),
        State({"type": "tiltak-withdraw", "id": MATCH}, "id"),
        prevent_initial_call=True,
    )
    def withdraw(_clicks: int, ident: dict) -> dict:
        row = _writable_tiltak(ident.get("id"))
        dialogue_store.withdraw_tiltak(current_store(), row["id"], access.current_user().username)
        access.audit("tiltak trukket tilbake", f"{row['unit_id']}/tiltak {row['id']}", row["action"][:200])
        return {"display": "none"}


register_callbacks()  # at import, on `dash`: each app claims its pages' callbacks

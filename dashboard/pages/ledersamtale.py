"""Ledersamtale: a unit's bevarings- and forbedringspunkter for a year, with the scorecard as it was then.

The rådmann writes the points agreed with the unit's leader; saving keeps a snapshot of the unit's scorecard
beside them, so the text still makes sense after the numbers change. The leader reads the own unit's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash
from dash import Input, Output, State, dcc, html

from dashboard import access, data, dialogue_store
from dashboard.store import current_store
from etl.norsk import STATUS_LABELS, format_value

dash.register_page(__name__, path="/ledersamtale", name="Ledersamtale", title="Ledersamtale – Heim BMS", order=21)

SNAPSHOT_FIELDS = ("indicator_id", "name", "focus_area", "period", "value", "target", "status", "unit_of_measure")


def layout(enhet: str | None = None, aar: str | None = None, **_query: Any) -> html.Div:
    """The unit and year pickers and the points for the chosen unit and year."""
    units = data.units(data.current_reader())
    ids = [u for u in (units["unit_id"] if not units.empty else []) if access.may_see_unit(u)]
    if not ids:
        return html.Div(html.P("Ingen enheter å vise."), className="bms-page")
    unit = enhet if enhet in ids else ids[0]
    year = int(aar) if aar and aar.isascii() and aar.isdigit() else dt.date.today().year
    names = dict(zip(units["unit_id"], units["name"], strict=True))
    return html.Div(
        [
            html.H1("Ledersamtale", className="h3"),
            html.P("Bevarings- og forbedringspunkter avtalt mellom rådmannen og enhetslederen.", className="lead"),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label("Enhet", htmlFor="ls-unit"),
                            dcc.Dropdown(
                                id="ls-unit",
                                options=[{"label": f"{names.get(u, u)} ({u})", "value": u} for u in ids],
                                value=unit,
                                clearable=False,
                            ),
                        ],
                        className="col-md-5",
                    ),
                    html.Div(
                        [
                            html.Label("År", htmlFor="ls-year"),
                            dcc.Dropdown(
                                id="ls-year",
                                options=list(range(dt.date.today().year + 1, dt.date.today().year - 6, -1)),
                                value=year,
                                clearable=False,
                            ),
                        ],
                        className="col-md-2",
                    ),
                ],
                className="row g-3 mb-3",
            ),
            html.Div(samtale_view(unit, year), id="ls-body"),
        ],
        className="bms-page",
    )


def samtale_view(unit: str, year: int) -> list[Any]:
    """The points (as text or, for the rådmann, as a form) and the saved snapshot of the scorecard."""
    access.require_unit(unit)
    row = dialogue_store.ledersamtale(current_store(), unit, int(year))
    keep, improve = (row["bevaringspunkter"], row["forbedringspunkter"]) if row else ("", "")
    if access.may_write_ledersamtale(unit):
        points: list[Any] = [
            html.Label("Bevaringspunkter", htmlFor="ls-keep"),
            dcc.Textarea(id="ls-keep", value=keep, className="form-control", style={"minHeight": "6rem"}),
            html.Label("Forbedringspunkter", htmlFor="ls-improve", className="mt-2"),
            dcc.Textarea(id="ls-improve", value=improve, className="form-control", style={"minHeight": "6rem"}),
            html.Button("Lagre ledersamtalen", id="ls-save", n_clicks=0, className="btn btn-primary mt-2"),
            html.Span(id="ls-message", className="ms-3", role="status"),
        ]
    else:
        points = [
            html.H2("Bevaringspunkter", className="h5"),
            html.P(keep or "Ikke skrevet ennå.", id="ls-keep-text", style={"whiteSpace": "pre-wrap"}),
            html.H2("Forbedringspunkter", className="h5"),
            html.P(improve or "Ikke skrevet ennå.", id="ls-improve-text", style={"whiteSpace": "pre-wrap"}),
        ]
    return [html.Div(points, className="card card-body mb-3"), html.Div(snapshot_table(row), id="ls-snapshot")]


def snapshot_table(row: dict | None) -> Any:
    """The scorecard as it stood when the points were saved."""
    if not row or not row.get("snapshot_rows"):
        return html.P("Ingen målekort lagret for denne samtalen ennå.", className="bms-quiet")
    when = str(row["changed_at"])[:10]
    body = [
        html.Tr(
            [
                html.Td(r["name"]),
                html.Td(r["value_text"]),
                html.Td(r["target_text"]),
                html.Td(STATUS_LABELS.get(r["status"], r["status"])),
            ]
        )
        for r in row["snapshot_rows"]
    ]
    return html.Div(
        [
            html.H2(f"Målekartet slik det var {when}", className="h5"),
            html.Table(
                [html.Thead(html.Tr([html.Th(h) for h in ("Indikator", "Verdi", "Mål", "Status")])), html.Tbody(body)],
                className="table table-sm",
            ),
        ]
    )


def snapshot(unit: str) -> list[dict[str, Any]]:
    """The unit's scorecard now, as text ready to show later (anonymity already applied)."""
    rows = data.scorecard(data.current_reader(), "enhet", unit)
    out = []
    for r in rows.to_dict("records"):
        unit_of = r.get("unit_of_measure") or ""
        decimals = int(r.get("decimals") or 0)
        value = None if r.get("value") is None or r["value"] != r["value"] else r["value"]
        target = None if r.get("target") is None or r["target"] != r["target"] else r["target"]
        out.append(
            {
                **{k: (None if r.get(k) is None else str(r.get(k))) for k in SNAPSHOT_FIELDS},
                "value_text": format_value(value, unit_of, decimals),
                "target_text": format_value(target, unit_of, decimals) if target is not None else "mangler",
            }
        )
    return out


def register_callbacks(target: Any = dash) -> None:
    """Switching unit or year, and saving the points (the rådmann only, checked on the server)."""

    @target.callback(
        Output("ls-body", "children"),
        Input("ls-unit", "value"),
        Input("ls-year", "value"),
        prevent_initial_call=True,
    )
    def show(unit: str, year: int) -> list[Any]:
        return samtale_view(unit, int(year))

    @target.callback(
        Output("ls-message", "children"),
        Output("ls-snapshot", "children"),
        Input("ls-save", "n_clicks"),
        State("ls-unit", "value"),
        State("ls-year", "value"),
        State("ls-keep", "value"),
        State("ls-improve", "value"),
        prevent_initial_call=True,
    )
    def save(_clicks: int, unit: str, year: int, keep: str, improve: str) -> tuple[str, Any]:
        if not access.may_write_ledersamtale(unit) or not access.may_see_unit(unit):
            raise access.Forbidden(str(unit))
        store = current_store()
        try:
            dialogue_store.save_ledersamtale(
                store, unit, int(year), keep, improve, snapshot(unit), access.current_user().username
            )
        except dialogue_store.DialogueError as e:
            return str(e), dash.no_update
        access.audit(
            "ledersamtale lagret", f"{unit}/{year}", f"bevar: {(keep or '')[:100]} | forbedre: {(improve or '')[:100]}"
        )
        return "Ledersamtalen er lagret.", snapshot_table(dialogue_store.ledersamtale(store, unit, int(year)))


register_callbacks()  # at import, on `dash`: each app claims its pages' callbacks

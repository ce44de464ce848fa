"""The leaders' vurdering beside each indicator card: `vurdering_panel(...)` for any page, and its callback.

What people write is shown as text (Dash escapes children; nothing is parsed as HTML or Markdown). The save
callback checks on the server that the user may write for the unit the request names, whatever the browser
sent: a crafted request for another unit gets 403.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import dash
from dash import MATCH, Input, Output, State, dcc, html

from dashboard import access, data, dialogue_routes, dialogue_store
from dashboard.components import Serialised
from dashboard.store import current_store
from etl.norsk import format_date

PANEL = "vurdering"


def _key(indicator_id: str, unit_id: str, period: str) -> str:
    return f"{indicator_id}|{unit_id}|{period}"


def _split(key: str) -> tuple[str, str, str]:
    parts = str(key).split("|")
    if len(parts) != 3:
        raise access.Forbidden(key)
    return parts[0], parts[1], parts[2]


def vurdering_text(row: dict[str, Any] | None) -> list[Any]:
    """The saved vurdering as text with who wrote it when, or a quiet note that there is none."""
    if not row:
        return [html.Span("Ingen vurdering skrevet ennå.", className="bms-quiet")]
    when = format_date(dt.date.fromisoformat(str(row["changed_at"])[:10]))
    return [
        html.P(row["text"], className="bms-vurdering-tekst mb-1", style={"whiteSpace": "pre-wrap"}),
        html.Small(f"Skrevet av {row['changed_by']}, {when}", className="bms-quiet"),
    ]


def vurdering_panel(indicator_id: str, unit_id: str, period: str, row: dict | None = None) -> html.Details:
    """The vurdering of one indicator × unit × period, with a form when the user may write for the unit.

    `row` is the stored vurdering when the caller has already read it (else it is read here)."""
    if row is None:
        row = dialogue_store.vurdering(current_store(), indicator_id, unit_id, period)
    key = _key(indicator_id, unit_id, period)
    children: list[Any] = [
        html.Summary("Vurdering" + (" ✎" if row else ""), className="bms-vurdering-summary"),
        html.Div(vurdering_text(row), id={"type": "vurdering-text", "key": key}, className="bms-vurdering-visning"),
    ]
    if access.may_write_unit(unit_id):
        children += [
            # the field sits inside its label: a pattern-matching id renders as JSON, so `for` could not name it
            html.Label(
                [
                    html.Span("Din vurdering av resultatet", className="form-label small mt-2 d-block"),
                    dcc.Textarea(
                        id={"type": "vurdering-input", "key": key},
                        value=row["text"] if row else "",
                        className="form-control form-control-sm",
                        style={"minHeight": "4.5rem"},
                        maxLength=dialogue_store.MAX_TEXT,
                    ),
                ],
                className="d-block",
            ),
            html.Button(
                "Lagre vurdering",
                id={"type": "vurdering-save", "key": key},
                n_clicks=0,
                className="btn btn-sm btn-primary mt-1",
            ),
            html.Span(id={"type": "vurdering-status", "key": key}, className="small ms-2", role="status"),
        ]
    return html.Details(
        children,
        open=bool(row),
        className="bms-vurdering small",
        **{"data-indicator": indicator_id, "data-unit": unit_id},
    )


def with_vurderinger(grid: Any, unit_id: str, rows: list[dict[str, Any]]) -> Any:
    """The scorecard grid with each indicator card followed by its vurdering panel (unit scorecards only).

    The grid is left as it was (it may be shared between requests, see `data.per_version`): the nodes on the
    way to each card are copied, the cards themselves are reused."""
    periods = {str(r["indicator_id"]): _period_text(r.get("period")) for r in rows}
    saved = dialogue_store.vurderinger_for_unit(current_store(), unit_id)

    def visit(node: Any) -> Any:
        children = getattr(node, "children", None)
        if children is None or isinstance(children, str) or isinstance(node, Serialised):  # no cards inside
            return node
        node = copy.copy(node)
        node.children = [_wrap(c) for c in children] if isinstance(children, list) else _wrap(children)
        return node

    def _wrap(child: Any) -> Any:
        if getattr(child, "className", None) == "bms-indicator":
            iid = child.id.removeprefix("ind-") if isinstance(child.id, str) else ""
            period = periods.get(iid)
            if not period:
                return child
            panel = vurdering_panel(iid, unit_id, period, saved.get((iid, period)) or {})
            return html.Div([child, panel], className="bms-card-with-vurdering")
        return visit(child)

    return visit(grid)


def unit_vurdering(reader: Any, indicator_id: str, unit_id: str) -> Any:
    """The vurdering panel of an indicator's newest result for a unit (for the indicator page)."""
    rows = data.scorecard(reader, "enhet", unit_id)
    row = rows[rows["indicator_id"] == indicator_id] if not rows.empty else rows
    period = _period_text(row["period"].iloc[0]) if not row.empty else None
    if not period:
        return html.P("Ingen verdi å vurdere ennå.", className="bms-quiet")
    return vurdering_panel(indicator_id, unit_id, period)


def _period_text(value: Any) -> str | None:
    text = "" if value is None else str(value)[:10]
    return None if text in ("", "NaT", "nan", "None") else text


def register_callbacks(app: dash.Dash) -> None:
    """The vurdering save callback and the dialogue exports, on one app (the pages register their own)."""

    @app.callback(
        Output({"type": "vurdering-text", "key": MATCH}, "children"),
        Output({"type": "vurdering-status", "key": MATCH}, "children"),
        Input({"type": "vurdering-save", "key": MATCH}, "n_clicks"),
        State({"type": "vurdering-input", "key": MATCH}, "value"),
        State({"type": "vurdering-save", "key": MATCH}, "id"),
        prevent_initial_call=True,
    )
    def save_vurdering(clicks: int, text: str | None, button: dict) -> tuple[Any, str]:
        indicator_id, unit_id, period = _split(button.get("key", ""))
        if not access.may_write_unit(unit_id):
            raise access.Forbidden(unit_id)
        user = access.current_user()
        store = current_store()
        try:
            dialogue_store.save_vurdering(store, indicator_id, unit_id, period, text or "", user.username)
        except dialogue_store.DialogueError as e:
            return dash.no_update, str(e)
        access.audit("vurdering lagret", f"{unit_id}/{indicator_id}/{period}", (text or "")[:200])
        return vurdering_text(dialogue_store.vurdering(store, indicator_id, unit_id, period)), "Lagret."

    dialogue_routes.add_routes(app.server)

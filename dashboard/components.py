"""Dash components as pure functions of data: an indicator row, a focus-area panel, the page chrome.

Nothing here reads the warehouse; each function takes rows or values and returns components, so the
output can be checked in a test without a browser. Numbers, periods and labels come from `etl.norsk`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html
from plotly.io.json import to_json_plotly

from dashboard.data import KOMMUNE
from dashboard.figures import sparkline, svg_data_uri
from etl.norsk import FOCUS_AREAS, STATUS_LABELS, format_date, format_number, format_period, format_value

NO_DATA_TEXT = "Ingen data er lastet ennå. Kjør «bms demo» eller legg filer i data/inbox/."
DEMO_TEXT = "DEMODATA – oppdiktede tall"
STATUS_EXPLAINED = {
    "green": "nådd målet",
    "yellow": "nær målet",
    "red": "langt fra målet",
    "grey": "mangler data, svar eller mål",
}
DIRECTION_TEXT = {"høyere": "Høyere er bedre", "lavere": "Lavere er bedre", "intervall": "Best nær målet"}

Row = Mapping[str, Any]


class Serialised:
    """Finished components that many requests send: serialised to plain JSON once, so Dash's encoder does not
    visit each component again on every request (a scorecard has ~1 600). The components stay reachable as
    `children` for code that walks a page in Python; the JSON is what Dash sends for them, unchanged.

    For trees built once per published version (`data.per_version`) and never changed afterwards."""

    __slots__ = ("_json", "children")

    def __init__(self, node: Any) -> None:
        self.children = node
        self._json = json.loads(to_json_plotly(node))

    def to_plotly_json(self) -> Any:
        """What Dash sends for the components (it calls this for any object that has it)."""
        return self._json


def serialised_cards(grid: Any) -> Any:
    """The scorecard grid with each indicator card's insides serialised once (`Serialised`); the cards stay
    components, so `dialogue.with_vurderinger` still finds them."""
    children = getattr(grid, "children", None)
    if getattr(grid, "className", None) == "bms-indicator":
        grid.children = Serialised(children)
    elif isinstance(children, list):
        for child in children:
            serialised_cards(child)
    elif children is not None and not isinstance(children, str):
        serialised_cards(children)
    return grid


def present(value: object) -> bool:
    """True for a real value: not None, NaN, NaT or pandas NA."""
    if value is None:
        return False
    try:
        return not bool(pd.isna(value))
    except (TypeError, ValueError):  # list-likes are values
        return True


def _get(row: Row, key: str) -> Any:
    value = row.get(key)
    return value if present(value) else None


def service_area_label(area: str | None) -> str:
    """`helse og mestring` → `Helse og mestring`."""
    return (area[:1].upper() + area[1:]) if area else "Uten tjenesteområde"


def status_text(status: str, reason: str | None = None) -> str:
    """The status as users read it: `Grønn`, or `Grå – for få svar` with the reason for grey."""
    label = STATUS_LABELS.get(status, STATUS_LABELS["grey"])
    return f"{label} – {reason}" if status == "grey" and reason else label


def status_badge(status: str, reason: str | None = None) -> html.Span:
    """A status pill: colour and text, so the status never depends on colour alone."""
    status = status if status in STATUS_LABELS else "grey"
    label = STATUS_LABELS[status]
    parts: list[Any] = [html.Span("Status: ", className="visually-hidden"), html.Span(className="bms-dot"), label]
    if status == "grey" and reason:
        parts.append(html.Span(reason, className="bms-status-reason"))
    return html.Span(
        parts, className="bms-status", title=f"{label}: {reason or STATUS_EXPLAINED[status]}", **{"data-status": status}
    )


def target_text(target: float | None, unit: str, decimals: int) -> str:
    """`Mål 7,0 %`, or `Mål mangler`."""
    return f"Mål {format_value(target, unit, decimals)}" if present(target) else "Mål mangler"


def change_text(value: float | None, previous: float | None, unit: str, decimals: int) -> str | None:
    """The change from the previous value as shown on the card: `▲ 0,4 %-poeng`, `▼ 1 200 kr`, `uendret`."""
    if not present(value) or not present(previous):
        return None
    diff = round(float(value), decimals) - round(float(previous), decimals)  # type: ignore[arg-type]
    if math.isclose(diff, 0.0, abs_tol=0.5 * 10**-decimals):
        return "► uendret"
    arrow = "▲" if diff > 0 else "▼"
    # a difference of two percentages is in percentage points, not per cent
    amount = (
        f"{format_number(abs(diff), decimals)}\u00a0%-poeng" if unit == "%" else format_value(abs(diff), unit, decimals)
    )
    return f"{arrow} {amount}"


def definition_text(row: Row) -> str:
    """The hover text next to every number: what it is, how it is computed, where it comes from."""
    lines = [str(_get(row, "description") or "")]
    if _get(row, "formula"):
        lines.append(f"Formel: {row['formula']}")
    source = " ".join(str(x) for x in (_get(row, "source"), _get(row, "source_ref") and f"({row['source_ref']})") if x)
    if source:
        lines.append(f"Kilde: {source}")
    if _get(row, "comparison"):
        lines.append(f"Sammenlignes med: {row['comparison']}")
    if _get(row, "direction") in DIRECTION_TEXT:
        lines.append(DIRECTION_TEXT[row["direction"]] + ".")
    return "\n".join(line for line in lines if line)


def meta_text(row: Row) -> str:
    """Period, data vintage and number of answers: `2025 · registrert 28.11.2026 · n = 52`."""
    parts = []
    if _get(row, "period") is not None and _get(row, "period_type"):
        parts.append(format_period(row["period"], row["period_type"]))
    if _get(row, "vintage"):
        parts.append(str(row["vintage"]))
    if _get(row, "n") is not None:
        parts.append(f"n\u00a0=\u00a0{format_number(row['n'])}")
    return " · ".join(parts) if parts else "Ingen tall for denne indikatoren ennå"


def indicator_href(row: Row) -> str:
    """The indicator page for the card's scope: `/indikator/sykefravaer?enhet=E21` (no `enhet` for the kommune)."""
    href = f"/indikator/{row['indicator_id']}"
    return f"{href}?enhet={row['scope_code']}" if _get(row, "scope") == "enhet" else href


def group_line(row: Row) -> html.Div | None:
    """The KOSTRA group's value for the card's year, where the warehouse has one: `KOSTRA-gruppe 2: 12,1`."""
    if _get(row, "group_value") is None or _get(row, "group_name") is None:
        return None
    value = format_value(row["group_value"], _get(row, "unit_of_measure") or "", int(_get(row, "decimals") or 0))
    return html.Div(f"{row['group_name']}: {value}", className="bms-group")


def indicator_card(row: Row, trend: pd.DataFrame | None = None) -> html.Div:
    """One indicator: name, value, target, status, sparkline with change, period, vintage and n."""
    iid = str(row["indicator_id"])
    unit = _get(row, "unit_of_measure") or ""
    decimals = int(_get(row, "decimals") or 0)
    status = _get(row, "status") or "grey"
    target = _get(row, "target")
    change, change_title = _card_change(row, unit, decimals)
    return html.Div(
        [
            html.Div(
                [
                    dcc.Link(row["name"], href=indicator_href(row), className="bms-name", title=definition_text(row)),
                    html.Div(meta_text(row), className="bms-meta"),
                    group_line(row),
                ],
                className="bms-label",
            ),
            _card_figures(_get(row, "value"), target, unit, decimals),
            html.Div(
                [
                    html.Div(_card_sparkline(trend, target, status), className="bms-spark", **{"aria-hidden": "true"}),
                    html.Div(change, className="bms-change", title=change_title) if change else None,
                ],
                className="bms-trend",
            ),
            html.Div(status_badge(status, _get(row, "status_reason")), className="bms-status-cell"),
        ],
        className="bms-indicator",
        id=f"ind-{iid}",
        **{"data-indicator": iid, "data-status": status},
    )


def _card_change(row: Row, unit: str, decimals: int) -> tuple[str | None, str | None]:
    """The card's change from the previous period and its tooltip (a survey's change within the noise says so)."""
    change = change_text(_get(row, "value"), _get(row, "previous_value"), unit, decimals)
    previous_period = _get(row, "previous_period")
    change_title = (
        f"Endring fra {format_period(previous_period, row['period_type'])}"
        if change and previous_period is not None
        else None
    )
    if change and _get(row, "change_within_noise") and _get(row, "change_noise") is not None:
        # survey results: a change smaller than the uncertainty is most likely not a real change
        change = f"{change} · innenfor støyen"
        noise = format_number(row["change_noise"], decimals + 1)
        change_title = f"{change_title or 'Endring'}: mindre enn usikkerheten (±{noise}), så den er trolig ikke reell."
    return change, change_title


def _card_figures(value: Any, target: Any, unit: str, decimals: int) -> html.Div:
    """The card's value (with its unit where the number does not say it) and its target."""
    shown_unit = unit if unit and unit not in ("%", "kr", "1000 kr") else None
    return html.Div(
        [
            html.Div(
                [
                    html.Span(format_value(value, unit, decimals), className="bms-value"),
                    html.Span(shown_unit, className="bms-unit") if shown_unit and value is not None else None,
                ]
            ),
            html.Div(target_text(target, unit, decimals), className="bms-target"),
        ],
        className="bms-figures",
    )


def _card_sparkline(trend: pd.DataFrame | None, target: Any, status: str) -> Any:
    """The card's sparkline of the recent values (an empty box with fewer than two)."""
    if trend is None or trend["value"].notna().sum() < 2:
        return html.Div(className="bms-spark-empty")
    return html.Img(  # decorative: the card states the value, change and status in words
        src=svg_data_uri(sparkline(list(trend["period"]), list(trend["value"]), target, status)),
        alt="",
        className="bms-spark-graph",
        style={"height": "34px", "width": "100%"},
    )


def status_summary(statuses: Iterable[str]) -> html.Div:
    """Counts per status for a panel header: `Grønn 3 · Gul 1 · Rød 1`."""
    counts = pd.Series(list(statuses), dtype="object").value_counts()
    items = [
        html.Span(
            [html.Span(className="bms-dot"), f"{STATUS_LABELS[s]} {counts[s]}"],
            className="bms-count",
            **{"data-status": s},
        )
        for s in STATUS_LABELS
        if counts.get(s, 0)
    ]
    return html.Div(items, className="bms-summary")


def focus_panel(area: str, rows: list[Row], trends: Mapping[str, pd.DataFrame]) -> html.Section:
    """A focus area's panel: its indicators, or a note that it has none for this scorecard."""
    slug = area.lower().replace(" ", "-").replace("ø", "o")
    body: list[Any] = [indicator_card(r, trends.get(str(r["indicator_id"]))) for r in rows]
    if not body:
        body = [html.P("Ingen indikatorer i dette fokusområdet for dette målekartet.", className="bms-empty")]
    return html.Section(
        [
            html.Div(
                [
                    html.H2(area, className="bms-panel-title", id=f"panel-{slug}-title"),
                    status_summary(str(r.get("status") or "grey") for r in rows),
                ],
                className="card-header bms-panel-head",
            ),
            html.Div(body, className="bms-panel-body"),
        ],
        className="card bms-panel",
        id=f"panel-{slug}",
        **{"data-focus-area": area, "aria-labelledby": f"panel-{slug}-title"},
    )


def scorecard_grid(rows: pd.DataFrame, trends: pd.DataFrame) -> dbc.Row:
    """The four focus-area panels in a 2 × 2 grid, in the order of `etl.norsk.FOCUS_AREAS`."""
    records = rows.to_dict("records") if not rows.empty else []
    by_indicator = {str(k): g for k, g in trends.groupby("indicator_id")} if not trends.empty else {}
    extra = sorted({str(r["focus_area"]) for r in records} - set(FOCUS_AREAS))  # never hide a row
    return dbc.Row(
        [
            dbc.Col(
                focus_panel(area, [r for r in records if r["focus_area"] == area], by_indicator), lg=6, className="mb-4"
            )
            for area in [*FOCUS_AREAS, *extra]
        ],
        className="bms-grid",
    )


def unit_options(units: pd.DataFrame, kommune_name: str) -> list[dict[str, Any]]:
    """Dropdown options: the whole kommune first, then each service area's units under a heading."""
    options: list[dict[str, Any]] = [
        {"label": f"Hele kommunen ({kommune_name})", "value": KOMMUNE, "search": "hele kommunen"}
    ]
    if units.empty:
        return options
    for area, group in units.groupby(units["service_area"].fillna(""), sort=False):
        label = service_area_label(str(area) or None)
        options.append({"label": label.upper(), "value": f"__area__{area}", "disabled": True, "search": label})
        options.extend(
            {"label": name, "value": uid, "search": f"{name} {label}"}
            for uid, name in zip(group["unit_id"], group["name"], strict=True)
        )
    return options


KOMMUNE_LEAD = (
    "Siste tall for hver indikator, med mål, status og utvikling. "
    "Hold musepekeren over et navn for å se definisjon og kilde."
)


def scorecard_heading(subject: str, lead: str) -> list[Any]:
    """The page heading: `Målekart for Heim kommune` and one line under it."""
    return [html.H1(f"Målekart for {subject}"), html.P(lead, className="bms-lead")]


def unit_lead(unit_id: str, service_area: str | None, service: str | None) -> str:
    """The line under a unit's heading: `Oppvekst · Skole · enhet E31`."""
    parts = dict.fromkeys(service_area_label(x) for x in (service_area, service) if isinstance(x, str) and x)
    return " · ".join([*parts, f"enhet {unit_id}"])


def status_legend() -> html.P:
    """One line explaining the four colours."""
    return html.P(
        [
            html.Span(
                [html.Span(className="bms-dot"), f"{STATUS_LABELS[s]}: {text}"],
                className="bms-legend-item",
                **{"data-status": s},
            )
            for s, text in STATUS_EXPLAINED.items()
        ],
        className="bms-legend",
    )


def navbar(kommune_name: str, links: list[tuple[str, str]]) -> dbc.Navbar:
    """The top bar: product name, the page links and the kommune."""
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand("Heim BMS – balansert målstyring", href="/", className="bms-brand"),
                dbc.Nav(
                    [dbc.NavItem(dbc.NavLink(name, href=path, active="exact")) for name, path in links],
                    className="me-auto",
                    navbar=True,
                ),
                html.Span(f"{kommune_name} kommune", className="bms-kommune"),
            ],
            fluid="xxl",
        ),
        color="dark",
        dark=True,
        className="bms-navbar",
        expand=True,
    )


def demo_banner() -> html.Div:
    """The yellow strip that marks invented numbers."""
    return html.Div(DEMO_TEXT, className="bms-demo-banner", role="note", id="bms-demo-banner")


def freshness_text(built: dt.datetime | None, version: str | None) -> str:
    """`Data oppdatert 28.11.2026 kl. 05:12, versjon 3`."""
    if built is None:
        return "Ingen data er publisert ennå."
    text = f"Data oppdatert {format_date(built)} kl. {built:%H:%M}"
    return f"{text}, versjon {version}" if version else text


def footer(built: dt.datetime | None, version: str | None) -> html.Footer:
    """The footer line with the data freshness."""
    return html.Footer(
        dbc.Container(freshness_text(built, version), fluid="xxl"), className="bms-footer", id="bms-footer"
    )


def no_data_alert() -> dbc.Alert:
    """What the page says before anything is loaded."""
    return dbc.Alert(
        [html.H2("Ingen data ennå", className="h5"), html.P(NO_DATA_TEXT, className="mb-0")],
        color="info",
        className="bms-no-data",
        id="bms-no-data",
    )

"""The indicator page's charts as pure functions of data (plotly.graph_objects only)."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from dashboard.figures import LINE_COLOUR, STATUS_COLOURS, TARGET_COLOUR

BAND_OPACITY = 0.12
HEIM_COLOUR = "#17324d"
PEER_COLOUR = "#9aa5b1"


def tolerances(target: float, green: float, red: float, tolerance: str | None) -> tuple[float, float]:
    """The green and red distances from the target in the indicator's own unit (relative = % of target)."""
    if tolerance == "relativ":
        return abs(target) * green / 100, abs(target) * red / 100
    return green, red


def status_bands(
    target: float, green: float, red: float, direction: str, tolerance: str | None, low: float, high: float
) -> list[tuple[float, float, str]]:
    """The (from, to, status) bands between `low` and `high` that the status rules give for one target."""
    g, r = tolerances(target, green, red, tolerance)
    if direction == "høyere":
        bands = [(target - g, high, "green"), (target - r, target - g, "yellow"), (low, target - r, "red")]
    elif direction == "lavere":
        bands = [(low, target + g, "green"), (target + g, target + r, "yellow"), (target + r, high, "red")]
    else:
        bands = [
            (target - g, target + g, "green"),
            (target + g, target + r, "yellow"),
            (target - r, target - g, "yellow"),
            (target + r, high, "red"),
            (low, target - r, "red"),
        ]
    return [(max(a, low), min(b, high), s) for a, b, s in bands if min(b, high) > max(a, low)]


def _range(values: Sequence[float], target: float | None) -> tuple[float, float]:
    points = [v for v in values if v is not None and v == v] + ([target] if target is not None else [])
    if not points:
        return 0.0, 1.0
    low, high = min(points), max(points)
    pad = (high - low) * 0.25 or abs(high) * 0.1 or 1.0
    return low - pad, high + pad


def history_figure(
    periods: Sequence,
    values: Sequence[float | None],
    *,
    targets: Sequence[float | None] | None = None,
    band: tuple[float, float, float, str, str | None] | None = None,
    ci: tuple[Sequence[float | None], Sequence[float | None]] | None = None,
    y_title: str = "",
    yearly: bool = False,
) -> go.Figure:
    """The time series with its target line, the newest target's green/yellow/red bands and survey intervals.

    `band` = (target, green, red, direction, tolerance); `ci` = (low, high) per period."""
    fig = go.Figure(layout={"template": go.layout.Template()})
    low, high = _range([*values, *(ci[0] if ci else []), *(ci[1] if ci else [])], band[0] if band else None)
    if band is not None:
        for a, b, status in status_bands(*band[:3], band[3], band[4], low, high):
            fig.add_hrect(
                y0=a, y1=b, fillcolor=STATUS_COLOURS[status], opacity=BAND_OPACITY, line_width=0, layer="below"
            )
    error = None
    if ci is not None:
        up = [h - v if h is not None and v is not None else None for v, h in zip(values, ci[1], strict=True)]
        down = [v - lo if lo is not None and v is not None else None for v, lo in zip(values, ci[0], strict=True)]
        error = {"type": "data", "array": up, "arrayminus": down, "color": LINE_COLOUR, "thickness": 1}
    fig.add_trace(
        go.Scatter(
            x=list(periods),
            y=list(values),
            mode="lines+markers",
            name="Verdi",
            error_y=error,
            line={"color": LINE_COLOUR, "width": 2},
            connectgaps=False,
        )
    )
    if targets is not None and any(t is not None for t in targets):
        fig.add_trace(
            go.Scatter(
                x=list(periods),
                y=list(targets),
                mode="lines",
                name="Mål",
                line={"color": TARGET_COLOUR, "width": 1.5, "dash": "dot"},
                line_shape="hv",
            )
        )
    fig.update_layout(
        height=300,
        margin={"l": 50, "r": 10, "t": 10, "b": 40},
        showlegend=True,
        legend={"orientation": "h", "y": -0.18},
        yaxis={"title": y_title, "range": [low, high], "gridcolor": "#e6e9ee"},
        plot_bgcolor="#fff",
        paper_bgcolor="rgba(0,0,0,0)",
        separators=", ",
        # numbers only on the axis: plotly's month names are English
        xaxis={"tickformat": "%Y", "dtick": "M12"} if yearly else {"tickformat": "%m.%Y"},
    )
    return fig


def peers_figure(names: Sequence[str], values: Sequence[float | None], highlight: str, y_title: str = "") -> go.Figure:
    """One bar per kommune or region, the highlighted one (Heim) in a dark colour and outlined."""
    colours = [HEIM_COLOUR if n == highlight else PEER_COLOUR for n in names]
    fig = go.Figure(layout={"template": go.layout.Template()})
    fig.add_trace(
        go.Bar(
            x=list(names),
            y=list(values),
            marker={"color": colours},
            text=[highlight if n == highlight else "" for n in names],
            textposition="outside",
            hoverinfo="x+y",
        )
    )
    fig.update_layout(
        height=280,
        margin={"l": 50, "r": 10, "t": 20, "b": 80},
        showlegend=False,
        yaxis={"title": y_title, "gridcolor": "#e6e9ee"},
        plot_bgcolor="#fff",
        paper_bgcolor="rgba(0,0,0,0)",
        separators=", ",
    )
    return fig

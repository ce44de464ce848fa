"""Plotly figures as pure functions of data: plain figure dicts where many are drawn on a page (no plotly.express,
~20 ms per figure; no `go.Figure` validation, ~6 ms)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

STATUS_COLOURS = {"green": "#1b7f3b", "yellow": "#c98a00", "red": "#c0392b", "grey": "#7b8590"}
LINE_COLOUR = "#3d5a80"
TARGET_COLOUR = "#8a94a0"


def sparkline(
    periods: Sequence, values: Sequence[float | None], target: float | None = None, status: str = "grey"
) -> dict[str, Any]:
    """A tiny trend line: the values over time, the newest point in its status colour, the target dashed.

    A plain figure dict, not a `go.Figure`: building and validating a Figure cost ~6 ms per sparkline, most of a
    page callback with dozens of cards; `dcc.Graph` draws the dict the same way."""
    xs = list(periods)
    ys = [v if v is not None and v == v else None for v in values]  # v == v drops NaN
    if len(xs) != len(ys):
        raise ValueError("periods and values differ in length")
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": xs,
            "y": ys,
            "mode": "lines",
            "line": {"color": LINE_COLOUR, "width": 1.6},
            "connectgaps": False,
            "hoverinfo": "skip",
        }
    ]
    known = [(p, v) for p, v in zip(xs, ys, strict=True) if v is not None]
    if known:
        last_p, last_v = known[-1]
        colour = STATUS_COLOURS.get(status, STATUS_COLOURS["grey"])
        data.append(
            {
                "type": "scatter",
                "x": [last_p],
                "y": [last_v],
                "mode": "markers",
                "hoverinfo": "skip",
                "marker": {"color": colour, "size": 6},
            }
        )
    shapes = []
    if target is not None and target == target and xs:
        line = {"color": TARGET_COLOUR, "width": 1, "dash": "dot"}
        shapes.append(
            {
                "type": "line",
                "xref": "x domain",
                "x0": 0,
                "x1": 1,
                "yref": "y",
                "y0": target,
                "y1": target,
                "line": line,
            }
        )
    layout = {
        "shapes": shapes,
        "margin": {"l": 2, "r": 4, "t": 4, "b": 4},
        "height": 40,
        "showlegend": False,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "xaxis": {"visible": False, "fixedrange": True},
        "yaxis": {"visible": False, "fixedrange": True},
    }
    return {"data": data, "layout": layout}

"""Plotly figures as pure functions of data (graph_objects only: plotly.express costs ~20 ms per figure)."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

STATUS_COLOURS = {"green": "#1b7f3b", "yellow": "#c98a00", "red": "#c0392b", "grey": "#7b8590"}
LINE_COLOUR = "#3d5a80"
TARGET_COLOUR = "#8a94a0"


def sparkline(
    periods: Sequence, values: Sequence[float | None], target: float | None = None, status: str = "grey"
) -> go.Figure:
    """A tiny trend line: the values over time, the newest point in its status colour, the target dashed."""
    # An empty template: the default one adds ~6 KB of JSON per figure, and a page carries dozens.
    fig = go.Figure(layout={"template": go.layout.Template()})
    points = [(p, v) for p, v in zip(periods, values, strict=True)]
    fig.add_trace(
        go.Scatter(
            x=[p for p, _ in points],
            y=[v for _, v in points],
            mode="lines",
            line={"color": LINE_COLOUR, "width": 1.6},
            connectgaps=False,
            hoverinfo="skip",
        )
    )
    known = [(p, v) for p, v in points if v is not None and v == v]  # v == v drops NaN
    if known:
        last_p, last_v = known[-1]
        fig.add_trace(
            go.Scatter(
                x=[last_p],
                y=[last_v],
                mode="markers",
                hoverinfo="skip",
                marker={"color": STATUS_COLOURS.get(status, STATUS_COLOURS["grey"]), "size": 6},
            )
        )
    if target is not None and target == target and len(points) > 0:
        fig.add_hline(y=target, line={"color": TARGET_COLOUR, "width": 1, "dash": "dot"})
    fig.update_layout(
        margin={"l": 2, "r": 4, "t": 4, "b": 4},
        height=40,
        showlegend=False,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        xaxis={"visible": False, "fixedrange": True},
        yaxis={"visible": False, "fixedrange": True},
    )
    return fig

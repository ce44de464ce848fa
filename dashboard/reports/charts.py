"""Report charts as pure functions of data (plotly graph_objects), and one browser to render them all.

Rendering uses kaleido 1.x, which drives Debian's /usr/bin/chromium: one browser session per report
(`kaleido.start_sync_server`), every chart of the report rendered through it, then closed.
"""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from dashboard.reports.model import Chart, Report
from etl.errors import BmsError

LINE = "#3d5a80"
PALETTE = [LINE, "#c98a00", "#1b7f3b", "#c0392b", "#6c4f9e", "#2a9d8f", "#8a5a44", "#7b8590"]
TARGET = "#8a94a0"
GROUP = "#c98a00"
PEERS = "#9aa5b1"
WIDTH, HEIGHT_PER_ROW = 1000, 230
FONT = {"family": "DejaVu Sans, Liberation Sans, Arial", "size": 12}

_render_lock = threading.Lock()  # one kaleido server per process: reports made in parallel take turns
_state = threading.local()


def _layout(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        font=FONT,
        height=height,
        width=WIDTH,
        margin={"l": 50, "r": 20, "t": 40, "b": 30},
        showlegend=False,
        separators=", ",  # decimal comma, space as thousands separator
    )
    fig.update_xaxes(exponentformat="none")
    fig.update_yaxes(exponentformat="none")  # 1 500 000, not 1,5M
    return fig


Line = tuple[str, list[int], list[float | None]]  # label, years, values


def trend_grid(series: list[tuple[str, list[Line], float | None]]) -> go.Figure:
    """Small multiples: each indicator (name, lines, target) with one line per scope, the target dotted;
    with several lines, a legend names them."""
    cols = 3
    rows = max(1, math.ceil(len(series) / cols))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[_short(s[0]) for s in series], vertical_spacing=0.18)
    labels = list(dict.fromkeys(label for _, lines, _ in series for label, _, _ in lines))
    colours = {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(labels)}
    shown: set[str] = set()
    for i, (_, lines, target) in enumerate(series):
        r, c = i // cols + 1, i % cols + 1
        for label, years, values in lines:
            line = go.Scatter(
                x=years,
                y=values,
                mode="lines+markers",
                name=label,
                legendgroup=label,
                showlegend=label not in shown,
                line={"color": colours[label]},
            )
            fig.add_trace(line, row=r, col=c)
            shown.add(label)
        years = [y for _, ys, _ in lines for y in ys]
        if target is not None:
            dotted = go.Scatter(
                x=[min(years), max(years)],
                y=[target, target],
                mode="lines",
                showlegend=False,
                line={"color": TARGET, "dash": "dot"},
            )
            fig.add_trace(dotted, row=r, col=c)
    fig.update_xaxes(dtick=1, tickformat="d")
    fig.update_annotations(font={"size": 11})
    _layout(fig, 90 + HEIGHT_PER_ROW * rows)
    if len(labels) > 1:
        fig.update_layout(showlegend=True, legend={"orientation": "h", "y": -0.12})
    return fig


def kostra_grid(rows: list[dict]) -> go.Figure:
    """Per indicator: the peers' spread (min–max line, quartile box), the KOSTRA group and the kommune."""
    cols = 2 if len(rows) > 1 else 1
    n = max(1, math.ceil(len(rows) / cols))
    fig = make_subplots(rows=n, cols=cols, subplot_titles=[_short(r["name"]) for r in rows], vertical_spacing=0.2)
    for i, r in enumerate(rows):
        rr, cc = i // cols + 1, i % cols + 1
        labels = ["Sammenligningskommuner", "KOSTRA-gruppen", r["subject"]]
        if r.get("peer_min") is not None:
            fig.add_trace(
                go.Scatter(
                    x=[r["peer_min"], r["peer_max"]], y=[labels[0]] * 2, mode="lines", line={"color": PEERS, "width": 2}
                ),
                row=rr,
                col=cc,
            )
            fig.add_trace(
                go.Scatter(
                    x=[r["peer_q1"], r["peer_q3"]], y=[labels[0]] * 2, mode="lines", line={"color": PEERS, "width": 10}
                ),
                row=rr,
                col=cc,
            )
        points = [(labels[1], r.get("group_value"), GROUP), (labels[2], r.get("value"), LINE)]
        for label, value, colour in points:
            if value is not None:
                fig.add_trace(
                    go.Scatter(x=[value], y=[label], mode="markers", marker={"color": colour, "size": 12}),
                    row=rr,
                    col=cc,
                )
    return _layout(fig, 80 + 200 * n)


def unit_bars(names: list[str], values: list[float | None], target: float | None, axis: str) -> go.Figure:
    """Horizontal bars per unit (e.g. sick leave), the target as a dotted line."""
    fig = go.Figure(go.Bar(x=values, y=names, orientation="h", marker={"color": LINE}))
    if target is not None:
        fig.add_vline(x=target, line={"color": TARGET, "dash": "dot"})
    fig.update_xaxes(title=axis)
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, 120 + 28 * len(names))


def _short(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@contextmanager
def browser() -> Iterator[None]:
    """One Chromium (kaleido's sync server) for everything rendered inside; it starts in the background,
    so a report's queries run while the browser comes up. Reports made at the same time take turns."""
    import kaleido  # a runtime dependency; imported here so that building a model needs no browser

    if getattr(_state, "open", False):  # already inside a session in this thread
        yield
        return
    with _render_lock:
        kaleido.start_sync_server(silence_warnings=True)
        _state.open = True
        try:
            yield
        finally:
            _state.open = False
            kaleido.stop_sync_server(silence_warnings=True)


def render(report: Report) -> None:
    """Render every chart of the report to PNG through one browser session."""
    charts: list[Chart] = [c for c in report.charts() if not c.png]
    if not charts:
        return
    try:
        with browser(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "kopts is ignored if using a server": width/height still apply
            for chart in charts:
                chart.png = pio.to_image(chart.figure, format="png", scale=1.6)
    except BmsError:
        raise
    except Exception as e:  # kaleido or Chromium: say what to do, not how it failed inside
        raise BmsError(
            f"Diagrammene kunne ikke tegnes i Chromium ({type(e).__name__}). Sjekk at /usr/bin/chromium er "
            "installert (make chromium), eller lag rapporten som Excel (--format xlsx), som ikke har diagrammer."
        ) from e

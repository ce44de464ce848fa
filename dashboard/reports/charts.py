"""Report charts as pure functions of data (plotly figure dicts), and one browser to render them all.

Rendering uses kaleido 1.x, which drives Debian's /usr/bin/chromium: one browser session per report
(`kaleido.start_sync_server`), every chart of the report rendered through it, then closed.
"""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import plotly.io as pio

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


AXIS = {"gridcolor": "#e5e8ec", "zeroline": False, "exponentformat": "none", "automargin": True, "linecolor": "#c5ccd4"}


def _grid(count: int, cols: int, titles: list[str], height: int, gap: float = 0.16) -> dict:
    """A layout of `count` small plots in `cols` columns: axes x1/y1 … with their domains, and titles.
    Built as a plain dict: plotly's make_subplots and templates cost ~0.2 s per figure."""
    rows = max(1, math.ceil(count / cols))
    hgap, vgap = 0.07, gap if rows > 1 else 0.0
    width, cell = (1 - hgap * (cols - 1)) / cols, (1 - vgap * (rows - 1)) / rows
    layout: dict = {
        "height": height,
        "width": WIDTH,
        "font": FONT,
        "showlegend": False,
        "separators": ", ",  # decimal comma, space as thousands separator
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "margin": {"l": 50, "r": 20, "t": 40, "b": 30},
        "annotations": [],
    }
    for i in range(count):
        r, c = i // cols, i % cols
        x0, y1 = c * (width + hgap), 1 - r * (cell + vgap)
        suffix = "" if i == 0 else str(i + 1)
        layout[f"xaxis{suffix}"] = {**AXIS, "domain": [x0, x0 + width], "anchor": f"y{suffix}"}
        layout[f"yaxis{suffix}"] = {**AXIS, "domain": [y1 - cell, y1], "anchor": f"x{suffix}"}
        layout["annotations"].append(
            {
                "text": titles[i],
                "x": x0 + width / 2,
                "y": y1,
                "xref": "paper",
                "yref": "paper",
                "showarrow": False,
                "xanchor": "center",
                "yanchor": "bottom",
                "font": {"size": 11},
            }
        )
    return layout


def _axes(i: int) -> dict:
    suffix = "" if i == 0 else str(i + 1)
    return {"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}


Line = tuple[str, list[int], list[float | None]]  # label, years, values


def trend_grid(series: list[tuple[str, list[Line], float | None]]) -> dict:
    """Small multiples: each indicator (name, lines, target) with one line per scope, the target dotted;
    with several lines, a legend names them."""
    cols = 3
    rows = max(1, math.ceil(len(series) / cols))
    layout = _grid(len(series), cols, [_short(s[0]) for s in series], 90 + HEIGHT_PER_ROW * rows, 0.18)
    labels = list(dict.fromkeys(label for _, lines, _ in series for label, _, _ in lines))
    colours = {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(labels)}
    data, shown = [], set()
    for i, (_, lines, target) in enumerate(series):
        layout[f"xaxis{'' if i == 0 else i + 1}"].update(dtick=1, tickformat="d")
        for label, years, values in lines:
            data.append(
                {
                    "type": "scatter",
                    "x": years,
                    "y": values,
                    "mode": "lines+markers",
                    "name": label,
                    "legendgroup": label,
                    "showlegend": label not in shown,
                    "line": {"color": colours[label]},
                    **_axes(i),
                }
            )
            shown.add(label)
        years = [y for _, ys, _ in lines for y in ys]
        if target is not None:
            data.append(
                {
                    "type": "scatter",
                    "x": [min(years), max(years)],
                    "y": [target, target],
                    "mode": "lines",
                    "showlegend": False,
                    "line": {"color": TARGET, "dash": "dot"},
                    **_axes(i),
                }
            )
    if len(labels) > 1:
        layout.update(showlegend=True, legend={"orientation": "h", "y": -0.12})
    return {"data": data, "layout": layout}


def kostra_grid(rows: list[dict]) -> dict:
    """Per indicator: the peers' spread (min–max line, quartile box), the KOSTRA group and the kommune."""
    # One column: the category labels need the room a second column would take.
    layout = _grid(len(rows), 1, [_short(r["name"], 90) for r in rows], 60 + 160 * max(1, len(rows)), 0.3 / len(rows))
    data = []
    for i, r in enumerate(rows):
        labels = ["Sammenligningskommuner", "KOSTRA-gruppen", r["subject"]]
        layout[f"yaxis{'' if i == 0 else i + 1}"].update(categoryorder="array", categoryarray=labels)
        if r.get("peer_min") is not None:
            for low, high, thickness in (("peer_min", "peer_max", 2), ("peer_q1", "peer_q3", 10)):
                data.append(
                    {
                        "type": "scatter",
                        "x": [r[low], r[high]],
                        "y": [labels[0]] * 2,
                        "mode": "lines",
                        "line": {"color": PEERS, "width": thickness},
                        **_axes(i),
                    }
                )
        for label, value, colour in ((labels[1], r.get("group_value"), GROUP), (labels[2], r.get("value"), LINE)):
            if value is not None:
                data.append(
                    {
                        "type": "scatter",
                        "x": [value],
                        "y": [label],
                        "mode": "markers",
                        "marker": {"color": colour, "size": 12},
                        **_axes(i),
                    }
                )
    return {"data": data, "layout": layout}


def unit_bars(names: list[str], values: list[float | None], target: float | None, axis: str) -> dict:
    """Horizontal bars per unit (e.g. sick leave), the target as a dotted line."""
    layout = _grid(1, 1, [""], 120 + 28 * len(names))
    layout["xaxis"]["title"] = {"text": axis}
    layout["yaxis"]["autorange"] = "reversed"
    if target is not None:
        layout["shapes"] = [
            {
                "type": "line",
                "x0": target,
                "x1": target,
                "y0": 0,
                "y1": 1,
                "yref": "paper",
                "line": {"color": TARGET, "dash": "dot"},
            }
        ]
    data = [{"type": "bar", "x": values, "y": names, "orientation": "h", "marker": {"color": LINE}}]
    return {"data": data, "layout": layout}


def _short(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@contextmanager
def browser() -> Iterator[None]:
    """One Chromium (kaleido's sync server) for everything rendered inside; it starts in the background,
    so a report's queries run while the browser comes up. Reports made at the same time take turns."""
    import kaleido  # type: ignore[import-untyped]  # imported here: building a model needs no browser

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
                chart.png = pio.to_image(chart.figure, format="png", scale=1.6, validate=False)
    except BmsError:
        raise
    except Exception as e:  # kaleido or Chromium: say what to do, not how it failed inside
        raise BmsError(
            f"Diagrammene kunne ikke tegnes i Chromium ({type(e).__name__}). Sjekk at /usr/bin/chromium er "
            "installert (make chromium), eller lag rapporten som Excel (--format xlsx), som ikke har diagrammer."
        ) from e

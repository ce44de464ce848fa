"""Small figures as pure functions of data: the cards' sparklines as SVG (no plotly.js on the overview)."""

from __future__ import annotations

import base64
from collections.abc import Sequence

STATUS_COLOURS = {"green": "#1b7f3b", "yellow": "#c98a00", "red": "#c0392b", "grey": "#7b8590"}
LINE_COLOUR = "#3d5a80"
TARGET_COLOUR = "#8a94a0"


SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 100.0, 34.0, 4.0


def sparkline(
    periods: Sequence, values: Sequence[float | None], target: float | None = None, status: str = "grey"
) -> str:
    """A tiny trend line as an SVG document: the values over time (a gap where one is missing), the newest
    point in its status colour, the target dotted.

    Drawn by hand, not by plotly: a 34-px line needs no axes, and without a `dcc.Graph` on the overview the
    browser never fetches plotly.js (1,4 MB compressed), most of the first page load. The picture stretches to
    its box (`preserveAspectRatio="none"`); strokes keep their width and the point stays round."""
    ys = [float(v) if v is not None and v == v else None for v in values]  # v == v drops NaN
    if len(list(periods)) != len(ys):
        raise ValueError("periods and values differ in length")
    known = [v for v in ys if v is not None]
    has_target = target is not None and target == target
    span = [*known, float(target)] if has_target and target is not None else known
    low, high = (min(span), max(span)) if span else (0.0, 1.0)
    scale = (SPARK_HEIGHT - 2 * SPARK_PAD) / (high - low) if high > low else 0.0

    def x(i: int) -> float:
        return round(SPARK_WIDTH * i / max(len(ys) - 1, 1), 2)

    def y(v: float) -> float:
        return round(SPARK_HEIGHT / 2 if scale == 0 else SPARK_HEIGHT - SPARK_PAD - (v - low) * scale, 2)

    parts, run = [], []
    for i, v in enumerate([*ys, None]):  # a missing value ends a line: gaps are never bridged
        if v is not None:
            run.append(f"{x(i):g},{y(v):g}")
        elif run:
            parts.append(f'<polyline points="{" ".join(run)}" {_stroke(LINE_COLOUR, 1.6)}/>')
            run = []
    if has_target and target is not None:
        parts.insert(0, f'<line x1="0" x2="{SPARK_WIDTH:g}" y1="{y(float(target)):g}" y2="{y(float(target)):g}" '
                        f'{_stroke(TARGET_COLOUR, 1)} stroke-dasharray="2 3"/>')  # fmt: skip
    last = max((i for i, v in enumerate(ys) if v is not None), default=None)
    if last is not None:
        colour = STATUS_COLOURS.get(status, STATUS_COLOURS["grey"])
        point = ys[last]
        assert point is not None
        parts.append(f'<path d="M{x(last):g} {y(point):g}h0" {_stroke(colour, 6)} stroke-linecap="round"/>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SPARK_WIDTH:g} {SPARK_HEIGHT:g}" '
        f'preserveAspectRatio="none">{"".join(parts)}</svg>'
    )


def _stroke(colour: str, width: float) -> str:
    return f'fill="none" stroke="{colour}" stroke-width="{width:g}" vector-effect="non-scaling-stroke"'


def svg_data_uri(svg: str) -> str:
    """An SVG document as an `img` source (the CSP allows `data:` images)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")

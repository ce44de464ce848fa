"""Fokusområde Interne prosesser (`/fokus/interne-prosesser`): thin wiring over dashboard.focus_sections."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboard.focus_sections import focus_layout

dash.register_page(
    __name__, path="/fokus/interne-prosesser", name="Interne prosesser", title="Interne prosesser – Heim BMS", order=3
)


def layout(**_query: Any) -> html.Div:
    """The Interne prosesser page for the current request."""
    return focus_layout("interne-prosesser")

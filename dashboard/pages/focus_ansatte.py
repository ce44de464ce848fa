"""Fokusområde Ansatte (`/fokus/ansatte`): thin wiring over dashboard.focus_sections."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboard.focus_sections import focus_layout

dash.register_page(__name__, path="/fokus/ansatte", name="Ansatte", title="Ansatte – Heim BMS", order=2)


def layout(**_query: Any) -> html.Div:
    """The Ansatte page for the current request."""
    return focus_layout("ansatte")

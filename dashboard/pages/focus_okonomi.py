"""Fokusområde Økonomi (`/fokus/okonomi`): thin wiring over dashboard.focus_sections."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboard.focus_sections import focus_layout

dash.register_page(__name__, path="/fokus/okonomi", name="Økonomi", title="Økonomi – Heim BMS", order=1)


def layout(**_query: Any) -> html.Div:
    """The Økonomi page for the current request."""
    return focus_layout("okonomi")

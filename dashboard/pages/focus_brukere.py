"""Fokusområde Brukere (`/fokus/brukere`): thin wiring over dashboard.focus_sections."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboard.focus_sections import focus_layout

dash.register_page(__name__, path="/fokus/brukere", name="Brukere", title="Brukere – Heim BMS", order=3)


def layout(**_query: Any) -> html.Div:
    """The Brukere page for the current request."""
    return focus_layout("brukere")

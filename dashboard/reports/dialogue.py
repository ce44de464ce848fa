"""The leaders' vurderinger and the tiltak in a report, from the application store (the dialogue issue).

One function fills them: `fill_dialogue`. Until an application store with vurderinger and tiltak exists,
sections keep `assessments` and `actions` as None and the writers leave room for them instead.
"""

from __future__ import annotations

from dashboard.reports.model import Report


def fill_dialogue(report: Report, store: object | None) -> None:
    """Fill each section's vurderinger and tiltak for its scope and focus area from the store, if any."""
    if store is None:
        return

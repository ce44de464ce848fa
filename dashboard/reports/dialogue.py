"""The leaders' vurderinger and the tiltak in a report, from the application store (the dialogue issue).

One function fills them: `fill_dialogue`. Without an application store (none given, or none in the data
folder yet) sections keep `assessments` and `actions` as None and the writers leave room for them instead.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from dashboard import dialogue_store
from dashboard.reports.model import Action, Assessment, Report, Section
from dashboard.store import AppStore, store_path
from etl.norsk import format_date

TILTAK_STATUS_LABELS = {"planlagt": "planlagt", "pågår": "pågår", "fullført": "fullført", "avbrutt": "avbrutt"}


def open_store(data_dir: Path) -> AppStore | None:
    """The data folder's application store, if it has one (a report never creates it)."""
    path = store_path(data_dir)
    return AppStore(path) if path.exists() else None


def _date(text: str | None) -> str:
    if not text:
        return ""
    try:
        return format_date(dt.date.fromisoformat(str(text)[:10]))
    except ValueError:
        return str(text)


def fill_dialogue(report: Report, store: Any | None) -> None:
    """Fill each section's vurderinger and tiltak for its units, indicators and periods from the store."""
    if store is None:
        return
    units = {code for s in report.sections for _, code, _, _ in s.indicators} | {
        s.scope[1] for s in report.sections if s.scope and s.scope[1]
    }
    vurderinger = dialogue_store.all_vurderinger(store, units)
    tiltak = dialogue_store.list_tiltak(store, units)
    for section in report.sections:
        if section.focus_area is not None and section.indicators:
            _fill_section(section, vurderinger, tiltak)
        if section.blank_points and section.scope and section.year:
            saved = dialogue_store.ledersamtale(store, section.scope[1], section.year)
            if saved:
                section.filled_points = {
                    "Bevaringspunkter": saved.get("bevaringspunkter") or "",
                    "Forbedringspunkter": saved.get("forbedringspunkter") or "",
                }


def _fill_section(section: Section, vurderinger: list[dict], tiltak: list[dict]) -> None:
    spans = {(i, u): (start, after) for i, u, start, after in section.indicators}
    ids = {i for i, _, _, _ in section.indicators}
    units = {u for _, u, _, _ in section.indicators}

    def covered(v: dict) -> bool:
        start, after = spans.get((v["indicator_id"], v["unit_id"]), ("", ""))
        return bool(start) and start <= str(v["period"])[:10] < after

    section.assessments = [
        Assessment(
            author=v.get("changed_by") or v.get("created_by") or "",
            text=v["text"],
            written=_date(v.get("changed_at")),
            indicator=v["indicator_id"],
            unit=v["unit_id"],
        )
        for v in vurderinger
        if covered(v)
    ]
    section.actions = [
        Action(
            title=t["action"],
            status=TILTAK_STATUS_LABELS.get(t["status"], t["status"]),
            responsible=t.get("owner") or "",
            due=_date(t.get("deadline")),
            unit=t["unit_id"],
        )
        for t in tiltak
        if t["unit_id"] in units and (ids & set(t.get("indicator_list") or []) or not t.get("indicator_list"))
    ]

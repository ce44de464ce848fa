"""The leaders' own words in the application store: vurderinger, tiltak and ledersamtaler.

Plain functions over `AppStore`; each write keeps its history there (who, when, old and new text) and
nothing is deleted: an emptied vurdering or a withdrawn tiltak is marked `withdrawn`. Callers check the role.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from dashboard.store import AppStore

TILTAK_STATUSES = ("planlagt", "pågår", "fullført", "avbrutt")
OPEN_STATUSES = ("planlagt", "pågår")
MAX_TEXT = 5000


class DialogueError(ValueError):
    """What a user wrote cannot be saved as it is (message in Norwegian)."""


def clean_text(text: str | None, what: str, required: bool = False) -> str:
    """Plain text as stored: trimmed, at most MAX_TEXT characters, control characters other than newlines gone."""
    value = "".join(c for c in (text or "") if c in "\n\t" or c.isprintable()).strip()
    if required and not value:
        raise DialogueError(f"Skriv {what} før du lagrer.")
    if len(value) > MAX_TEXT:
        raise DialogueError(f"{what.capitalize()} er for lang (over {MAX_TEXT} tegn). Gjør den kortere.")
    return value


def vurdering(store: AppStore, indicator_id: str, unit_id: str, period: str) -> dict[str, Any] | None:
    """The current (not withdrawn) vurdering of an indicator for a unit and period."""
    return store.one(
        "SELECT * FROM vurderinger WHERE indicator_id = ? AND unit_id = ? AND period = ? AND withdrawn = 0",
        (indicator_id, unit_id, period),
    )


def vurderinger_for_unit(store: AppStore, unit_id: str) -> dict[tuple[str, str], dict[str, Any]]:
    """A unit's current vurderinger by (indicator_id, period)."""
    rows = store.rows("SELECT * FROM vurderinger WHERE unit_id = ? AND withdrawn = 0", (unit_id,))
    return {(r["indicator_id"], r["period"]): r for r in rows}


def all_vurderinger(store: AppStore, unit_ids: set[str]) -> list[dict[str, Any]]:
    """The current vurderinger of the given units, newest first."""
    rows = store.rows("SELECT * FROM vurderinger WHERE withdrawn = 0 ORDER BY changed_at DESC, id DESC")
    return [r for r in rows if r["unit_id"] in unit_ids]


def save_vurdering(store: AppStore, indicator_id: str, unit_id: str, period: str, text: str, who: str) -> int:
    """Write (or change) a vurdering; an empty text withdraws it. Returns its id."""
    text = clean_text(text, "vurderingen")
    row = store.one(
        "SELECT id FROM vurderinger WHERE indicator_id = ? AND unit_id = ? AND period = ?",
        (indicator_id, unit_id, period),
    )
    if row is None:
        if not text:
            raise DialogueError("Skriv vurderingen før du lagrer.")
        return store.insert_tracked(
            "vurderinger", {"indicator_id": indicator_id, "unit_id": unit_id, "period": period, "text": text}, who
        )
    fields: dict[str, Any] = {"withdrawn": 1} if not text else {"text": text, "withdrawn": 0}
    store.update_tracked("vurderinger", row["id"], fields, who)
    return int(row["id"])


def parse_deadline(text: str | None) -> str | None:
    """A deadline typed as dd.mm.åååå (or åååå-mm-dd) as an ISO date; empty stays empty."""
    value = (text or "").strip()
    if not value:
        return None
    for fmt in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            continue
    raise DialogueError(f"Fristen «{value}» er ikke en dato. Skriv den som dd.mm.åååå, for eksempel 31.12.2026.")


def _tiltak_fields(action: str, indicators: list[str], owner: str, deadline: str | None, status: str) -> dict:
    if status not in TILTAK_STATUSES:
        raise DialogueError(f"Ukjent status «{status}». Velg en av: {', '.join(TILTAK_STATUSES)}.")
    return {
        "action": clean_text(action, "tiltaket", required=True),
        "indicators": json.dumps(sorted(set(indicators or [])), ensure_ascii=False),
        "owner": clean_text(owner, "ansvarlig"),
        "deadline": parse_deadline(deadline),
        "status": status,
    }


def add_tiltak(
    store: AppStore,
    unit_id: str,
    action: str,
    indicators: list[str],
    owner: str,
    deadline: str | None,
    status: str,
    who: str,
) -> int:
    """Add a tiltak to a unit's virksomhetsplan; returns its id."""
    return store.insert_tracked(
        "tiltak", {"unit_id": unit_id, **_tiltak_fields(action, indicators, owner, deadline, status)}, who
    )


def tiltak_by_id(store: AppStore, tiltak_id: int) -> dict[str, Any] | None:
    """One tiltak, or None."""
    return store.one("SELECT * FROM tiltak WHERE id = ?", (tiltak_id,))


def set_tiltak_status(store: AppStore, tiltak_id: int, status: str, who: str) -> None:
    """Move a tiltak to another status (kept in its history)."""
    if status not in TILTAK_STATUSES:
        raise DialogueError(f"Ukjent status «{status}».")
    store.update_tracked("tiltak", tiltak_id, {"status": status}, who)


def withdraw_tiltak(store: AppStore, tiltak_id: int, who: str) -> None:
    """Mark a tiltak withdrawn (it stays in the store and its history)."""
    store.update_tracked("tiltak", tiltak_id, {"withdrawn": 1}, who)


def list_tiltak(store: AppStore, unit_ids: set[str], today: dt.date | None = None) -> list[dict[str, Any]]:
    """The current tiltak of the given units with `indicator_list` and `overdue`, by deadline."""
    today = today or dt.date.today()
    rows = store.rows("SELECT * FROM tiltak WHERE withdrawn = 0 ORDER BY coalesce(deadline, '9999'), id")
    out = []
    for r in rows:
        if r["unit_id"] not in unit_ids:
            continue
        r["indicator_list"] = json.loads(r["indicators"] or "[]")
        r["overdue"] = bool(r["deadline"] and r["status"] in OPEN_STATUSES and r["deadline"] < today.isoformat())
        out.append(r)
    return out


def ledersamtale(store: AppStore, unit_id: str, year: int) -> dict[str, Any] | None:
    """A unit's ledersamtale for a year, with its snapshot decoded (`snapshot_rows`)."""
    row = store.one("SELECT * FROM ledersamtaler WHERE unit_id = ? AND year = ? AND withdrawn = 0", (unit_id, year))
    if row:
        row["snapshot_rows"] = json.loads(row["snapshot"] or "[]")
    return row


def save_ledersamtale(
    store: AppStore, unit_id: str, year: int, keep: str, improve: str, snapshot: list[dict], who: str
) -> int:
    """Write a unit's bevarings- and forbedringspunkter for a year, with the scorecard as it is now."""
    fields = {
        "bevaringspunkter": clean_text(keep, "bevaringspunktene"),
        "forbedringspunkter": clean_text(improve, "forbedringspunktene"),
        "snapshot": json.dumps(snapshot, ensure_ascii=False, default=str),
    }
    if not fields["bevaringspunkter"] and not fields["forbedringspunkter"]:
        raise DialogueError("Skriv minst ett bevaringspunkt eller forbedringspunkt før du lagrer.")
    row = store.one("SELECT id FROM ledersamtaler WHERE unit_id = ? AND year = ?", (unit_id, year))
    if row is None:
        return store.insert_tracked("ledersamtaler", {"unit_id": unit_id, "year": year, **fields}, who)
    store.update_tracked("ledersamtaler", row["id"], {**fields, "withdrawn": 0}, who)
    return int(row["id"])

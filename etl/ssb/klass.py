"""Klass answers in JSON (SSB's classification API) as rows: codes, correspondences and code changes.

Shapes as Klass sends them (`application/json`):
- codes / codesAt: `{"codes": [{"code", "parentCode", "level", "name", "shortName", "presentationName",
  "validFrom", "validTo", "notes"}]}` (the same fields as Klass's CSV export);
- corresponds / correspondsAt: `{"correspondenceItems": [{"sourceCode", "sourceName", "sourceShortName",
  "targetCode", "targetName", "targetShortName", "validFrom", "validTo"}]}`;
- changes: `{"codeChanges": [{"oldCode", "oldName", "oldShortName", "newCode", "newName", "newShortName",
  "changeOccurred"}]}`.
"""

from __future__ import annotations

import re

import pandas as pd

KOSTRA_GROUPS = "112"


def kostra_group_code(code: object) -> str:
    """A KOSTRA group as KOSTRA tables name it: `EKG02` (Klass may also say `02` or `2`)."""
    text = str(code or "").strip()
    return f"EKG{int(text):02d}" if re.fullmatch(r"\d{1,2}", text) else text.upper()


def _dates(values: list) -> pd.Series:
    text = pd.Series([str(v)[:10] if v else None for v in values], dtype=object)
    return pd.to_datetime(text, errors="coerce", format="%Y-%m-%d")


def _text(value: object) -> str | None:
    return None if value is None or str(value).strip() == "" else str(value).strip()


def codes_frame(doc: dict) -> pd.DataFrame:
    """Klass codes (JSON) with the fields of the `klass` kind, as its CSV export would give them."""
    items = doc.get("codes") or []
    frame = pd.DataFrame(
        {
            "code": [_text(i.get("code")) for i in items],
            "name": [_text(i.get("name")) for i in items],
            "parent_code": [_text(i.get("parentCode")) for i in items],
            "level": pd.array([int(i["level"]) if _text(i.get("level")) else None for i in items], dtype="Int64"),
            "short_name": [_text(i.get("shortName")) for i in items],
            "presentation_name": [_text(i.get("presentationName")) for i in items],
            "valid_from": _dates([i.get("validFrom") for i in items]),
            "valid_to": _dates([i.get("validTo") for i in items]),
            "notes": [_text(i.get("notes")) for i in items],
        }
    )
    frame["_row"] = range(1, len(frame) + 1)
    return frame


def correspondence_frame(doc: dict, target: str | None = None, as_of: object = None) -> pd.DataFrame:
    """Correspondence items; `target` is the target classification (from the query, or guessed from the
    items: names or codes of KOSTRA groups mean 112), `as_of` the date the query asked for."""
    items = doc.get("correspondenceItems") or []
    if target is None and any(
        "kostra" in str(i.get("targetName", "")).lower() or str(i.get("targetCode", "")).upper().startswith("EKG")
        for i in items
    ):
        target = KOSTRA_GROUPS
    codes = [_text(i.get("targetCode")) for i in items]
    frame = pd.DataFrame(
        {
            "source_code": [_text(i.get("sourceCode")) for i in items],
            "source_name": [_text(i.get("sourceName")) for i in items],
            "target_code": [kostra_group_code(c) if target == KOSTRA_GROUPS and c else c for c in codes],
            "target_name": [_text(i.get("targetName")) for i in items],
            "target_classification": [target] * len(items),
            "valid_from": _dates([i.get("validFrom") for i in items]),
            "valid_to": _dates([i.get("validTo") for i in items]),
            "as_of": _dates([as_of] * len(items)),
        }
    )
    frame["_row"] = range(1, len(frame) + 1)
    return frame


def changes_frame(doc: dict) -> pd.DataFrame:
    """Code changes: an old code that became a new one on a date (either may be missing)."""
    items = doc.get("codeChanges") or []
    frame = pd.DataFrame(
        {
            "old_code": [_text(i.get("oldCode")) for i in items],
            "old_name": [_text(i.get("oldName")) for i in items],
            "new_code": [_text(i.get("newCode")) for i in items],
            "new_name": [_text(i.get("newName")) for i in items],
            "changed_on": _dates([i.get("changeOccurred") for i in items]),
        }
    )
    frame["_row"] = range(1, len(frame) + 1)
    return frame

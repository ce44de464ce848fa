"""The fetch cache under `data/kostra/`: SSB's raw answers, each with the query that fetched it beside it.

    data/kostra/12134/12134-metadata-v2.json      the table's metadata (fetched first, every run)
    data/kostra/12134/12134-<key>.json            a data answer, byte for byte as SSB sent it
    data/kostra/12134/12134-<key>.query.json      its query: method, URL, body, selection, `updated`, time
    data/kostra/klass/131_codesAt_2025-01-01.csv  Klass answers (CSV as Klass sends it: ISO-8859-1)

`<key>` is a hash of the query, so asking again for the same thing finds the answer already there: a
fetch that was interrupted continues where it stopped. An answer counts only once its query file is
written (after the answer itself), so a half-written answer is fetched again. `bms load` reads every
answer not loaded before, offline.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path

from etl.settings import Settings
from etl.ssb.documents import sidecar

KLASS = "klass"
_PART = ".part"


def key(query: object) -> str:
    """A short stable hash of a query (its table, API and selection)."""
    text = json.dumps(query, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def answer_path(settings: Settings, table: str, query_key: str) -> Path:
    """Where a data answer for a table is cached."""
    return settings.kostra_dir / table / f"{table}-{query_key}.json"


def metadata_path(settings: Settings, table: str, api: str) -> Path:
    """Where a table's metadata is kept (never loaded into the warehouse)."""
    return settings.kostra_dir / table / f"{table}-metadata-{api}.json"


def klass_path(settings: Settings, name: str) -> Path:
    """Where a Klass answer is cached."""
    return settings.kostra_dir / KLASS / name


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + _PART)
    part.write_bytes(data)
    os.replace(part, path)


def store(path: Path, raw: bytes, query: dict) -> None:
    """Keep an answer and then its query (the query file marks the answer complete)."""
    _write(path, raw)
    record = {**query, "fetched_at": dt.datetime.now().isoformat(timespec="seconds")}
    _write(sidecar(path), json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8"))


def keep_metadata(path: Path, raw: bytes) -> None:
    """Keep a table's metadata as SSB sent it."""
    _write(path, raw)


def cached(path: Path) -> dict | None:
    """The query of a complete cached answer, or None when there is none (or only half of one)."""
    if not path.exists() or not sidecar(path).exists():
        return None
    try:
        query = json.loads(sidecar(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return query if isinstance(query, dict) else None


def cache_files(settings: Settings) -> list[Path]:
    """Every complete answer in the cache, in a stable order: what `bms load` reads from `data/kostra/`."""
    root = settings.kostra_dir
    if not root.is_dir():
        return []
    found = []
    for p in root.glob("*/*"):
        name = p.name
        if not p.is_file() or name.endswith((".query.json", _PART)) or "-metadata-" in name:
            continue
        if p.suffix.lower() in (".json", ".csv") and cached(p) is not None:
            found.append(p)
    return sorted(found, key=lambda p: (p.parent.name != KLASS, str(p)))

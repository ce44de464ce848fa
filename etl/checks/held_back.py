"""The cells a built warehouse holds back for anonymity, and the load report's lines for those newly held
back that no file's own note names (figures from several files or sources that together would show one)."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb


def held_back(con: duckdb.DuckDBPyConnection | None, manual_from: Sequence[str] = ()) -> tuple[set[tuple], set[tuple]]:
    """The cells a warehouse version holds back for anonymity (none before the first: `con` None), and those of
    them where a manual figure from one of the files `manual_from` (by hash) is held back: one query."""
    if con is None:
        return set(), set()
    sql = (
        "SELECT indicator_id, scope, scope_code, period, reason, EXISTS (SELECT 1 FROM raw_manual_values m"
        " WHERE m.indicator_id = h.indicator_id AND m.period = h.period AND m.value IS NOT NULL"
        " AND list_contains($shas, m._sha)"
        " AND coalesce(m.unit_id, '') = CASE WHEN h.scope = 'enhet' THEN h.scope_code ELSE '' END) AS manual"
        " FROM held_back h"
    )
    try:
        rows = con.execute(sql, {"shas": list(manual_from)}).fetchall()
    except duckdb.CatalogException:  # a warehouse built by older code
        return set(), set()
    return {tuple(r[:-1]) for r in rows}, {tuple(r[:-1]) for r in rows if r[-1]}


def held_notes(cells: set[tuple], said: list[str]) -> list[str]:
    """The load report's lines for cells newly held back in the warehouse that no file's note names: held
    back because figures from several files or sources together would show a held-back one."""
    notes = []
    for indicator, scope, code, period, reason in sorted(cells, key=lambda c: tuple(map(str, c))):
        who = f"enhet {code}" if scope == "enhet" else "hele kommunen"
        if any(who in n and str(period.year) in n for n in said):
            continue
        why = (
            "bygger på for få svar"
            if reason == "for få svar"
            else "ville sammen med kommunetallet og tall fra andre filer eller kilder vist et tall som holdes tilbake"
        )
        notes.append(f"personvern: {indicator} {period:%d.%m.%Y} for {who} publiseres ikke; tallet {why}")
    return notes

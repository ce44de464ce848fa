"""`bms status`: what is published, from which files, how fresh, and what was rejected."""

from __future__ import annotations

import duckdb

from etl.inbox import inbox_files
from etl.norsk import format_number
from etl.settings import Settings
from etl.spec import stored_specs
from etl.store.warehouse import damage_mark, mark_if_damaged, open_published, readable

# What `bms status` counts: each kind's clean relation, in load order, then what is computed from them all.
RELATIONS = (
    *dict.fromkeys(s.relation for s in sorted(stored_specs().values(), key=lambda s: (s.order, s.kind))),
    "indicator_values",
    "scorecard",
)
_WIDTH = max(map(len, RELATIONS))


def loaded_by_origin(settings: Settings) -> dict[str, int]:
    """How many loaded files the published warehouse holds per origin (innboks, demo, katalog)."""
    with open_published(settings.current) as con:
        if con is None:
            return {}
        return dict(
            con.execute("SELECT origin, count(*) FROM load_log WHERE status = 'loaded' GROUP BY origin").fetchall()
        )


def _kostra_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Each SSB table's years and vintage: preliminary (March) or final (June) figures, and when."""
    rows = con.execute(
        "SELECT table_id, min(year), max(year), arg_max(vintage_text, year) FROM kostra_values "
        "GROUP BY table_id ORDER BY table_id"
    ).fetchall()
    if not rows:
        return []
    lines = ["", "Fra SSB (KOSTRA):"]
    for table, first, last, vintage in rows:
        span = f"{first}–{last}" if first != last else f"{first}"
        lines.append(f"  tabell {table}: {span}" + (f", {vintage} for {last}" if vintage else ""))
    return lines


def peer_notes(con: duckdb.DuckDBPyConnection) -> list[str]:
    """What is odd about the configured peers (an older number mapped, a number not in use), in Norwegian."""
    try:
        rows = con.execute("SELECT note FROM comparison_peers WHERE note IS NOT NULL ORDER BY configured").fetchall()
    except duckdb.Error:  # a warehouse built by an older version
        return []
    return [note for (note,) in rows]


def status_text(settings: Settings) -> str:
    """A plain-text status report in Norwegian."""
    lines = [f"Datamappe: {settings.data_dir}"]
    target, damage = readable(settings.current)
    # every column of every table read once (opening reads only a few blocks): a version found damaged is
    # marked so, and passed over
    while target is not None and (problem := mark_if_damaged(target)) is not None:
        if not damage_mark(target).exists():  # a folder this process may not write: said, not marked
            damage = f"Datavarehuset {target.name} er skadet ({problem}). Kjør «bms rebuild» for å bygge det på nytt."
            break
        target, damage = readable(settings.current)
    if damage:
        lines.append(f"MERK: {damage}")
    with open_published(settings.current) as con:
        if con is not None:
            lines += _published_lines(con, settings)
        elif not damage:  # damaged: the line above says to run `bms rebuild`
            lines.append("Ingen datavarehus er publisert ennå. Kjør «bms load» eller «bms demo».")
    waiting = inbox_files(settings)
    lines.append("")
    names = ": " + ", ".join(p.name for p in waiting) if waiting else ""
    lines.append(f"Venter i innboksen: {len(waiting)} fil(er){names}")
    reports = sorted(settings.rejected.glob("*.feil.txt")) if settings.rejected.exists() else []
    lines.append(f"Avviste filer med feilrapport i {settings.rejected}: {len(reports)}")
    return "\n".join(lines)


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """The number a `SELECT count(*) …` gives."""
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0


def _published_lines(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[str]:
    """The published version: when it was built, what it holds, and the files loaded last."""
    meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    demo = _count(con, "SELECT count(*) FROM load_log WHERE origin = 'demo' AND status = 'loaded'")
    built = meta.get("built_at", "").replace("T", " kl. ")
    lines = [f"Publisert versjon {meta.get('version')} bygget {built}" + (" – DEMODATA" if demo else "")]
    lines += [f"Åpnes skrivebeskyttet fra {settings.current}", "", "Innhold:"]
    for rel in RELATIONS:
        try:
            n = _count(con, f"SELECT count(*) FROM {rel}")
            lines.append(f"  {rel:{_WIDTH}} {format_number(n):>10} rader")
        except duckdb.CatalogException:  # built by an older version of the software
            lines.append(f"  {rel:{_WIDTH}} {'mangler':>10}  (kjør «bms load» for å bygge på nytt)")
    lines += _kostra_lines(con)
    if notes := peer_notes(con):
        lines += ["", "Merk:", *(f"  {note}" for note in notes)]
    return lines + ["", "Siste filer:", *_recent_files(con)]


def _recent_files(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The 25 files loaded or rejected last, newest first."""
    lines = []
    for name, kind, rows, st, when, msg in con.execute(
        "SELECT file_name, kind, rows, status, loaded_at, message FROM load_log "
        "ORDER BY loaded_at DESC, file_name LIMIT 25"
    ).fetchall():
        label = {"loaded": "lastet", "rejected": "AVVIST"}.get(st, st)
        lines.append(
            f"  {when:%d.%m.%Y %H:%M}  {label:7} {name}"
            + (f" ({kind}, {format_number(rows)} rader)" if st == "loaded" else f": {msg}")
        )
    return lines

"""`bms rebuild`: build the warehouse again from `archive/`, the source of truth, in the order the files were
first loaded, and publish it as a new version: the way back from a damaged or missing version.

The files are loaded, under their original names and origins, into a scratch data folder beside the
warehouse (with the SSB cache read in place and the catalogue as archived at each load), one load per
archive time stamp, each file as of its first load; the last version built there is moved in and
published. Nothing in `archive/` moves; the catalogue, if edited since it was last loaded, is loaded last and
archived as any load archives it.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import duckdb

from etl.errors import BmsError
from etl.load import ARCHIVED, LoadSummary, Progress, load, load_lock, sha256, stamp_time
from etl.settings import BUNDLED_DATA, Settings
from etl.ssb.cache import cache_files
from etl.store.warehouse import DUCKDB_CONFIG, connect_read_only, install_version, next_number, versions


def archived_batches(settings: Settings) -> list[tuple[dt.datetime | None, list[tuple[Path, str]]]]:
    """The archived files as loads, oldest first: when each was loaded (its time stamp; None for a stamp that
    is not a real time), and (archived path, original name) per file."""
    batches: dict[str, list[tuple[int, Path, str]]] = {}
    for p in settings.archive.iterdir() if settings.archive.exists() else []:
        m = ARCHIVED.match(p.name)
        if m and p.is_file() and not p.is_symlink():
            batches.setdefault(m[1], []).append((int(m[2] or 1), p, m[3]))
    return [
        (stamp_time(stamp), [(p, name) for _, p, name in sorted(files)]) for stamp, files in sorted(batches.items())
    ]


def _history(settings: Settings) -> tuple[dict[str, str], dict[str, dt.datetime]]:
    """The origin (innboks, demo, katalog …) each content was loaded with, and when it was first loaded, from
    every version that opens; the bundled demo files are demo data whatever the log says. An answer in the SSB
    cache that no version's log names counts as loaded when it was fetched (it is never archived)."""
    origins: dict[str, str] = {}
    first: dict[str, dt.datetime] = {}
    for _, path in versions(settings.warehouse_dir):
        try:
            con = connect_read_only(path)
            try:
                origins.update(dict(con.execute("SELECT sha256, origin FROM load_log").fetchall()))
                times = con.execute("SELECT sha256, min(loaded_at) FROM load_log WHERE status = 'loaded' GROUP BY 1")
                for sha, at in times.fetchall():
                    first[sha] = min(at, first.get(sha, at))
            finally:
                con.close()
        except duckdb.Error:
            continue  # the damaged version: the others and the rules below say enough
    demo = BUNDLED_DATA / "demo"
    for p in demo.rglob("*") if demo.exists() else []:
        if p.is_file():
            origins[sha256(p)] = "demo"
    for p in cache_files(settings):
        first.setdefault(sha256(p), dt.datetime.fromtimestamp(p.stat().st_mtime).replace(microsecond=0))
    return origins, first


def rebuild(settings: Settings, progress: Progress = lambda _: None) -> tuple[int, list[LoadSummary]]:
    """Rebuild from archive/ and publish; the new version's number and each load's summary."""
    with load_lock(settings):
        batches = archived_batches(settings)
        if not batches:
            raise BmsError(f"Arkivet {settings.archive} er tomt: det er ingenting å bygge datavarehuset fra.")
        origins, first = _history(settings)
        scratch = settings.warehouse_dir / ".rebuild"
        shutil.rmtree(scratch, ignore_errors=True)
        try:
            return _rebuild_in(settings, scratch, batches, origins, first, progress)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def _rebuild_in(
    settings, scratch: Path, batches, origins: dict[str, str], first: dict[str, dt.datetime], progress: Progress
):
    work = settings.model_copy(update={"data_dir": scratch})
    (scratch / "files").mkdir(parents=True)
    if settings.kostra_dir.exists():
        os.symlink(settings.kostra_dir.resolve(), work.kostra_dir)
    summaries = []
    stored: list[tuple[str, str, str]] = []  # (original name, content hash, where it lies in archive/)
    for n, (loaded_at, batch) in enumerate(batches, 1):
        progress(f"[{n}/{len(batches)}] laster på nytt: {', '.join(name for _, name in batch)}")
        by_origin: dict[str, list[Path]] = {}
        for i, (archived, name) in enumerate(batch):
            copy = scratch / "files" / f"{n}-{i}" / name
            copy.parent.mkdir(parents=True)
            shutil.copy2(archived, copy)
            sha = sha256(copy)
            stored.append((name, sha, str(archived.relative_to(settings.data_dir))))
            default = "katalog" if name == settings.catalogue.name else "innboks"
            by_origin.setdefault(origins.get(sha, default), []).append(copy)
        for origin, paths in sorted(by_origin.items(), key=lambda kv: kv[0] != "katalog"):  # the catalogue first
            # every archived file was accepted when loaded: it replaces what it replaced then, and is loaded as of
            # its first load (the old versions' log, else its stamp), so the pages say the day it came
            summaries.append(load(work, paths, origin, replace_whole=paths, at=loaded_at, first_loaded=first))
    if settings.catalogue.exists():  # the catalogue as it is today, if edited since it was last loaded
        shutil.copy2(settings.catalogue, work.catalogue)
        summaries.append(load(work, [], first_loaded=first))
        for r in summaries[-1].results:  # archived as a load archives it: the next rebuild loads it in its turn
            if r.status == "loaded" and r.stored_as is not None and r.stored_as.is_file():
                kept = settings.archive / r.stored_as.name
                if not kept.exists():
                    shutil.copy2(r.stored_as, kept)
                stored.append((r.name, sha256(kept), str(kept.relative_to(settings.data_dir))))
    if not work.current.exists():
        raise BmsError("Ingen av filene i arkivet kunne lastes; datavarehuset er ikke endret.")
    built = Path(os.path.realpath(work.current))
    number = next_number(settings.warehouse_dir)
    _as_published(built, number, settings, stored)
    install_version(built, number, settings.current, settings.keep_versions)
    return number, summaries


def _as_published(built: Path, number: int, settings: Settings, stored: list[tuple[str, str, str]]) -> None:
    """Give the rebuilt file its published version number and the archive paths of its files."""
    con = duckdb.connect(str(built), config=DUCKDB_CONFIG)
    try:
        con.execute("UPDATE meta SET value = ? WHERE key = 'version'", [str(number)])
        con.executemany(
            "UPDATE load_log SET stored_as = ? WHERE file_name = ? AND sha256 = ?",
            [(where, name, sha) for name, sha, where in stored],
        )
        con.execute("CHECKPOINT")
    finally:
        con.close()

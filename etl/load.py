"""Process the drop folder: read every file whole, build and publish a new warehouse, then file the files.

Order matters for safety: nothing is moved until the new warehouse is published, so a crash or kill at
any point leaves the published warehouse and the inbox as they were (a file whose content is already
published is recognised by its hash next time and archived without a change).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from etl.checks.context import Context, check_references
from etl.errors import BmsError, FileRejected, Problem
from etl.read.reader import read_file
from etl.read.table import Table
from etl.settings import Settings
from etl.ssb.cache import cache_files
from etl.store.warehouse import NewRows, build, open_published, schema_fingerprint

Progress = Callable[[str], None]


@dataclass
class FileResult:
    """What happened to one file."""

    name: str
    status: str  # loaded, rejected, unchanged
    kind: str | None = None
    rows: int = 0
    message: str = ""
    notes: list[str] = field(default_factory=list)
    stored_as: Path | None = None


@dataclass
class LoadSummary:
    """The outcome of one load: a result per file and the version published (None if no build)."""

    results: list[FileResult]
    version: int | None = None

    @property
    def rejected(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "rejected"]


@dataclass
class _Candidate:
    path: Path
    origin: str
    sha: str
    move: bool  # inbox files are moved; files named on the command line are copied
    tables: list[Table] = field(default_factory=list)
    frames: list[pd.DataFrame] = field(default_factory=list)
    result: FileResult | None = None
    error: FileRejected | None = None

    @property
    def outcome(self) -> FileResult:
        """The file's result, once it has one (read, checked or refused)."""
        assert self.result is not None, self.path
        return self.result

    @property
    def destination(self) -> Path:
        """Where the file is filed away, once that is decided."""
        assert self.outcome.stored_as is not None, self.path
        return self.outcome.stored_as


def sha256(path: Path) -> str:
    """The content hash that makes reloading the same file a no-op."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@contextmanager
def load_lock(settings: Settings) -> Iterator[None]:
    """One load at a time per data folder (the CLI and the serve watcher may both try)."""
    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    with (settings.warehouse_dir / ".load.lock").open("w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def inbox_files(settings: Settings) -> list[Path]:
    """Files waiting in the inbox, oldest first; Office lock files and partial downloads are skipped."""
    if not settings.inbox.exists():
        return []
    files = [
        p
        for p in settings.inbox.iterdir()
        if p.is_file() and not p.name.startswith((".", "~$")) and not p.name.endswith((".part", ".crdownload", ".tmp"))
    ]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))


def load(
    settings: Settings, paths: list[Path] | None = None, origin: str = "innboks", progress: Progress = lambda _: None
) -> LoadSummary:
    """Load the inbox (or `paths`), publish a new warehouse if anything changed, and file every file."""
    with load_lock(settings):
        return _load(settings, paths, origin, progress)


def _load(settings: Settings, paths: list[Path] | None, origin: str, progress: Progress) -> LoadSummary:
    for folder in (settings.inbox, settings.archive, settings.rejected, settings.warehouse_dir):
        folder.mkdir(parents=True, exist_ok=True)
    ctx, loaded_shas, rejected_shas, built = _known(settings)
    candidates = _candidates(settings, paths, origin, loaded_shas, rejected_shas)
    _read_all(settings, candidates, loaded_shas, progress)
    _check_all(candidates, ctx)
    for c in candidates:
        if c.error is not None:
            c.result = FileResult(c.path.name, "rejected", message=str(c.error))
    todo = [c for c in candidates if c.result is not None]
    meta = _build_facts(settings)
    # e.g. new peers, or new SQL after an upgrade: rebuild even without new files
    settings_changed = built is not None and any(built.get(k) != v for k, v in meta.items())
    if not todo and not settings_changed:
        return LoadSummary([])
    version = None
    if settings_changed or any(c.outcome.status != "unchanged" for c in todo):
        version = _publish(settings, todo, meta, progress)
    now = dt.datetime.now()
    for c in todo:
        if c.outcome.status == "unchanged" and not c.move:
            continue  # a named file or the catalogue whose content was archived when first loaded
        if c.outcome.stored_as is None:
            c.outcome.stored_as = _destination(settings, c, now)
        _file_away(c)
    return LoadSummary([c.outcome for c in todo], version)


def _candidates(
    settings: Settings, paths: list[Path] | None, origin: str, loaded_shas: set[str], rejected_shas: set[str]
) -> list[_Candidate]:
    """The files this load considers: the catalogue, new SSB answers in the cache, and the inbox (or `paths`)."""
    candidates: list[_Candidate] = []
    catalogue = settings.catalogue
    # The catalogue is edited in place: it is read whenever its content changed, and a copy archived.
    if catalogue.exists() and (sha := sha256(catalogue)) not in rejected_shas:
        candidates.append(_Candidate(catalogue, "katalog", sha, move=False))
    # SSB's answers fetched into data/kostra/ are read in place, each once: a cache, not a drop folder.
    for p in cache_files(settings):
        if (sha := sha256(p)) not in loaded_shas and sha not in rejected_shas:
            candidates.append(_Candidate(p, "ssb", sha, move=False))
    inbox = settings.inbox.resolve()
    for p in paths if paths is not None else inbox_files(settings):
        if not p.exists():
            raise BmsError(f"Fant ikke fila {p}.")
        candidates.append(_Candidate(p, origin, sha256(p), move=p.resolve().parent == inbox))
    return candidates


def _read_all(settings: Settings, candidates: list[_Candidate], loaded_shas: set[str], progress: Progress) -> None:
    """Read every file not loaded before into tables, or note why it is refused."""
    for n, c in enumerate(candidates, 1):
        if c.sha in loaded_shas:
            if c.origin != "katalog":
                c.result = FileResult(c.path.name, "unchanged", message="samme innhold er allerede lastet")
            continue
        progress(f"[{n}/{len(candidates)}] leser {c.path.name}")
        try:
            c.tables = read_file(
                c.path, int(settings.max_file_mb * 1e6), int(settings.max_unzipped_mb * 1e6), settings.ignored_sheets
            )
        except FileRejected as e:
            c.error = e


def _check_all(candidates: list[_Candidate], ctx: Context) -> None:
    """Check the references of every file read; what a file accepted teaches the files after it."""
    # Reference data first, so a batch holding both units and figures for them loads in one go.
    readable = [c for c in candidates if c.tables]
    readable.sort(key=lambda c: min(t.spec.order for t in c.tables))
    for c in readable:
        problems: list[Problem] = []
        notes: list[str] = []
        for t in c.tables:
            frame, found, held = check_references(t, ctx, c.path.name)
            problems += found
            notes += t.notes + held
            c.frames.append(frame)
        if problems:
            c.error = FileRejected(c.path.name, problems)
            continue
        for t in c.tables:
            ctx.learn(t)
        kinds = sorted({t.spec.kind for t in c.tables})
        c.result = FileResult(c.path.name, "loaded", ", ".join(kinds), sum(len(f) for f in c.frames), notes=notes)


def _build_facts(settings: Settings) -> dict[str, str]:
    """What a warehouse is built with, kept in its meta table: a change rebuilds it."""
    return {
        "kommune_code": settings.kommune_code,
        "kommune_name": settings.kommune_name,
        "min_n": str(settings.min_n),
        "peers": ",".join(settings.peers),
        "comparison_regions": ",".join(settings.comparison_regions),
        "schema": schema_fingerprint(),  # specs and SQL of this code: an upgrade rebuilds the warehouse
    }


def _publish(settings: Settings, todo: list[_Candidate], meta: dict[str, str], progress: Progress) -> int:
    """Build and publish the next version with the accepted rows and the load log; its version number."""
    progress("bygger nytt datavarehus")
    now = dt.datetime.now()
    new_rows = [
        NewRows(t.spec, f, c.path.name, c.sha)
        for c in todo
        if c.outcome.status == "loaded"
        for t, f in zip(c.tables, c.frames, strict=True)
    ]
    for c in todo:
        c.outcome.stored_as = _destination(settings, c, now)
    log = [
        {
            "file_name": c.path.name,
            "sha256": c.sha,
            "kind": c.outcome.kind,
            "rows": c.outcome.rows,
            "status": c.outcome.status,
            "message": c.outcome.message or "; ".join(c.outcome.notes) or None,
            "loaded_at": now,
            "origin": c.origin,
            "stored_as": str(c.destination.relative_to(settings.data_dir)),
        }
        for c in todo
        if c.outcome.status != "unchanged"
    ]
    version, _ = build(settings.warehouse_dir, settings.current, new_rows, log, meta, settings.keep_versions)
    progress(f"publisert versjon {version}")
    return version


def _known(settings: Settings) -> tuple[Context, set[str], set[str], dict[str, str] | None]:
    """What the published warehouse knows: units, indicators, the hashes loaded and rejected, and the
    facts it was built with (settings, schema), or None when nothing is published yet."""
    ctx = Context(default_min_n=settings.min_n, kommune_name=settings.kommune_name)
    with open_published(settings.current) as con:
        if con is None:
            return ctx, set(), set(), None
        ctx.units = dict(con.execute("SELECT unit_id, name FROM units").fetchall())
        ctx.ansvar = dict(con.execute("SELECT unnest(ansvar_codes), unit_id FROM units ORDER BY unit_id").fetchall())
        catalogue = con.execute(
            "SELECT indicator_id, min_n, unit_of_measure, source, source_ref FROM raw_indicators "
            "QUALIFY _seq = max(_seq) OVER (PARTITION BY indicator_id)"
        ).fetchall()
        ctx.indicators = {i: (int(n) if n is not None else None) for i, n, *_ in catalogue}
        ctx.sources = {i: s for i, _, _, s, _ in catalogue}
        ctx.source_refs = {i: r for i, *_, r in catalogue if r}
        ctx.learn_scales((i, u) for i, _, u, *_ in catalogue)
        logged = con.execute("SELECT sha256, status FROM load_log").fetchall()
        built = dict(con.execute("SELECT key, value FROM meta").fetchall())
    return ctx, {s for s, st in logged if st == "loaded"}, {s for s, st in logged if st == "rejected"}, built


def _destination(settings: Settings, c: _Candidate, now: dt.datetime) -> Path:
    if c.origin == "ssb" and c.outcome.status == "loaded":
        return c.path  # the cache keeps SSB's answers: nothing to archive
    folder = settings.rejected if c.outcome.status == "rejected" else settings.archive
    stem = f"{now:%Y%m%d-%H%M%S}_{c.path.name}"
    dest, i = folder / stem, 1
    while dest.exists():
        i += 1
        dest = folder / f"{now:%Y%m%d-%H%M%S}-{i}_{c.path.name}"
    return dest


def _file_away(c: _Candidate) -> None:
    """Move (inbox) or copy (named file, catalogue) into archive/ or rejected/, never deleting anything."""
    dest = c.destination
    if dest == c.path:
        return
    if c.move:
        shutil.move(str(c.path), dest)
    else:
        shutil.copy2(c.path, dest)
    if c.error is not None:
        Path(f"{dest}.feil.txt").write_text(c.error.report(), encoding="utf-8")

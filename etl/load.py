"""Process the drop folder: read every file whole, build and publish a new warehouse, then file the files.

Order matters for safety: nothing is moved until the new warehouse is published, so a crash or kill at
any point leaves the published warehouse and the inbox as they were (a file whose content is already
published is recognised by its hash next time and archived without a change).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import os
import re
import shutil
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from etl.checks.context import Context
from etl.checks.held_back import held_back, held_notes
from etl.checks.references import check_references
from etl.checks.replacement import (
    removal_problem,
    replaced,
    replaced_whole,
    replaces_whole_scope,
    scope_names,
    whole_note,
)
from etl.errors import BmsError, FileRejected, NoReadableWarehouse, Problem
from etl.inbox import inbox_files
from etl.norsk import format_date, format_period
from etl.read.reader import read_file
from etl.read.table import Table
from etl.settings import Settings
from etl.spec import stored_specs
from etl.ssb.cache import cache_files
from etl.store.status import peer_notes
from etl.store.warehouse import (
    NewRows,
    build,
    connect_read_only,
    damage_mark,
    is_damage,
    mark_if_damaged,
    open_readable,
    schema_fingerprint,
)

Progress = Callable[[str], None]
LINK_MESSAGE = "fila er en snarvei (symbolsk lenke); den leses ikke, og det den peker på er ikke lest eller kopiert"
LINK_FIX = "Legg selve fila i innboksen (kopier den dit), ikke en snarvei til den."
GONE_MESSAGE = "fila ble fjernet fra innboksen mens den ble lest; ingenting fra den er lastet"
CHANGED_MESSAGE = "fila ble endret mens den ble lest (skrives den fortsatt?); den lastes når den er ferdig skrevet"


@dataclass
class FileResult:
    """What happened to one file."""

    name: str
    status: str  # loaded, rejected, unchanged, deferred (changed while read: loaded once it is stable)
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
    damage: str | None = None  # the published version was damaged or missing: what was used instead
    notes: list[str] = field(default_factory=list)  # about the published whole, not one file (anonymity)
    peer_notes: list[str] = field(default_factory=list)  # what is odd about the configured peers, once published

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
    link: bool = False  # a symbolic link in the inbox: refused, never followed
    whole: bool = False  # the analyst said so: the file may remove figures of its scope it does not carry
    signature: tuple[int, int] | None = None  # size and modification time before reading

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


def load(
    settings: Settings,
    paths: list[Path] | None = None,
    origin: str = "innboks",
    progress: Progress = lambda _: None,
    replace_whole: Collection[Path] = (),
    at: dt.datetime | None = None,
    first_loaded: Mapping[str, dt.datetime] | None = None,
) -> LoadSummary:
    """Load the inbox (or `paths`), publish a new warehouse if anything was loaded, and file every file.

    A survey file replaces its whole year (and service); one that would thereby remove units' figures it does
    not carry is refused unless it is among `replace_whole` (`bms load --erstatt-hele FIL`).

    The load log says the files were loaded now, or `at`, or, for a content `first_loaded` names (by hash),
    then: `bms rebuild` loads each file again as of its first load."""
    with load_lock(settings):
        whole = {Path(p).absolute() for p in replace_whole}
        tried: set[Path] = set()
        while True:
            target, damage, con = open_readable(settings.current)  # the version this try reads, found once
            try:
                return _load(settings, paths, origin, progress, whole, at, first_loaded or {}, (target, damage), con)
            except duckdb.Error as e:
                # a block of the published version not as written (its copy is read too): once reading the
                # version itself finds it, the version is marked damaged and the load made again on the newest
                # one that opens, saying so, as for a file cut short
                if (
                    not is_damage(e)
                    or target is None
                    or target in tried
                    or (problem := mark_if_damaged(target)) is None
                ):
                    raise
                if not damage_mark(target).exists():  # the mark could not be written (a full disk?)
                    raise BmsError(
                        f"Datavarehuset {target.name} er skadet ({problem}), og merket om det kunne ikke skrives. "
                        "Frigjør plass på disken og kjør «bms rebuild»; ingenting er lastet."
                    ) from e
                tried.add(target)
            finally:
                if con is not None:
                    con.close()  # `_known` closes it once read


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        st = path.lstat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def _candidates(settings: Settings, paths: list[Path] | None, origin: str, known: _Known) -> list[_Candidate]:
    candidates: list[_Candidate] = []
    catalogue = settings.catalogue
    # The catalogue is edited in place: it is read whenever its content changed, and a copy archived.
    if catalogue.exists() and (sha := sha256(catalogue)) not in known.rejected and not _refused_before(settings, sha):
        candidates.append(_Candidate(catalogue, "katalog", sha, move=False))
    # SSB's answers fetched into data/kostra/ are read in place, each once: a cache, not a drop folder.
    for p in cache_files(settings):
        if (sha := sha256(p)) not in known.loaded and sha not in known.rejected:
            candidates.append(_Candidate(p, "ssb", sha, move=False))
    inbox = settings.inbox.resolve()
    for p in paths if paths is not None else inbox_files(settings):
        in_inbox = p.absolute().parent.resolve() == inbox
        if in_inbox and p.is_symlink():
            candidates.append(_Candidate(p, origin, "lenke:" + os.readlink(p), move=True, link=True))
            continue
        signature = _signature(p)
        try:
            sha = sha256(p)
        except FileNotFoundError:
            sha = ""
        if signature is None or not sha:
            if in_inbox:
                continue  # taken away before it was read: nothing to do
            raise BmsError(f"Fant ikke fila {p}.")
        candidates.append(_Candidate(p, origin, sha, move=in_inbox, signature=signature))
    return candidates


def _allow_whole(candidates: list[_Candidate], replace_whole: set[Path]) -> None:
    """Mark the files the analyst named to replace their whole scope; naming a file not loaded is an error."""
    for c in candidates:
        c.whole = c.path.absolute() in replace_whole
    unknown = replace_whole - {c.path.absolute() for c in candidates}
    if unknown:
        raise BmsError(
            f"--erstatt-hele gjelder bare filer som lastes i samme kommando; {', '.join(map(str, sorted(unknown)))} "
            "er ikke blant dem. Skriv fila etter flagget: bms load --erstatt-hele FIL"
        )


def _read(settings: Settings, candidates: list[_Candidate], known: _Known, progress: Progress) -> None:
    """Read every candidate not already in force; refuse links, defer files that changed while read."""
    for n, c in enumerate(candidates, 1):
        if c.link:
            c.error = FileRejected(c.path.name, [Problem(LINK_MESSAGE, LINK_FIX)])
            continue
        if c.sha in (known.loaded if c.origin in ("katalog", "ssb") else known.live):
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
        except FileNotFoundError:
            c.tables = []  # taken away while read: said below
        if c.signature is not None and (after := _signature(c.path)) != c.signature:
            c.tables, c.error = [], None
            c.result = FileResult(c.path.name, "deferred", message=CHANGED_MESSAGE if after else GONE_MESSAGE)


def _check(candidates: list[_Candidate], ctx: Context, published: Path | None) -> None:
    """Check references, reference data first, so a batch holding both units and figures for them loads in one
    go; then refuse files of one load that give rows for the same scope, and say what each file replaces."""
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
    _refuse_overlaps([c for c in readable if c.error is None and c.origin not in ("katalog", "ssb")])
    _say_what_is_replaced([c for c in readable if c.error is None], ctx, published)
    for c in candidates:
        if c.error is not None:
            c.result = FileResult(c.path.name, "rejected", message=str(c.error))


def _scopes(c: _Candidate, kinds: set[str]) -> dict[str, tuple[np.ndarray, list[pd.DataFrame]]]:
    """Per kind of `kinds`, the distinct scopes of a file's rows as 64-bit hashes (a national KOSTRA file has a
    scope per cell: 1,6 M hashes take 13 MB, 1,6 M tuples of text several hundred), with the scope columns to
    name one (and a period's type, to name the period as users say it)."""
    found: dict[str, tuple[np.ndarray, list[pd.DataFrame]]] = {}
    for t, frame in zip(c.tables, c.frames, strict=True):
        if t.spec.kind not in kinds:
            continue
        cols = frame.reindex(columns=list(t.spec.scope))
        hashes = _scope_hashes(cols)
        types = [f"{f}_type" for f in t.spec.scope if f"{f}_type" in frame]
        named = cols.assign(**{k: frame[k] for k in types}, _hash=hashes)
        before, frames = found.get(t.spec.kind, (np.empty(0, np.uint64), []))
        found[t.spec.kind] = (np.union1d(before, hashes), [*frames, named])
    return found


def _scope_hashes(cols: pd.DataFrame) -> np.ndarray:
    """A 64-bit hash per row of the scope columns, equal for equal scopes across the dtypes the readers give a
    column (`reader._typed`, the json-stat frames): a blank is a blank (None, NaN, a column the file lacks),
    2025 is 2025.0, a day is a day at any resolution."""
    combined: np.ndarray = np.zeros(len(cols), np.uint64)
    for name in cols.columns:
        col = cols[name]
        blank = col.isna().to_numpy()
        if pd.api.types.is_datetime64_any_dtype(col):
            col = col.astype("datetime64[ns]")
        elif pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            col = col.astype("float64")
        hashes = pd.util.hash_pandas_object(col, index=False).to_numpy().copy()
        hashes[blank] = 0
        combined = combined * np.uint64(0x100000001B3) ^ hashes  # wraps around, as a hash may
    return combined


def _example(scopes: tuple[np.ndarray, list[pd.DataFrame]], common: np.ndarray) -> str:
    """One scope two files share, as the refusal names it (the first by text among up to 1 000 of them)."""
    rows = pd.concat([f[f["_hash"].isin(common)].head(1000) for f in scopes[1]]).drop(columns="_hash")
    said = [
        ", ".join(_scope_part(r, f) for f in rows.columns if not f.endswith("_type") and not pd.isna(r[f]))
        for _, r in rows.iterrows()
    ]
    return min(said) or "hele kommunen"


def _scope_part(row: pd.Series, field_name: str) -> str:
    value = row[field_name]
    if isinstance(value, dt.date | pd.Timestamp):
        day = pd.Timestamp(value).date()
        kind = row.get(f"{field_name}_type")
        return format_period(day, str(kind)) if isinstance(kind, str) else format_date(day)
    return str(value)


def _refuse_overlaps(loaded: list[_Candidate]) -> None:
    """Two files of one load with rows for the same scope: which is meant is not for the loader to guess.

    Every file's scope hashes of a kind are sorted together once, so 20 national KOSTRA files are compared in
    one pass; only the files found sharing a scope are then compared pair by pair, to name each other."""
    if len(loaded) < 2:
        return  # one file cannot overlap another
    files_of = Counter(kind for c in loaded for kind in {t.spec.kind for t in c.tables})
    shared = {kind for kind, n in files_of.items() if n > 1}  # a kind in one file alone cannot overlap
    scopes = [_scopes(c, shared) for c in loaded]
    pairs: dict[tuple[int, int], tuple[str, np.ndarray]] = {}
    for kind in sorted({k for found in scopes for k in found}):
        owners = [i for i, found in enumerate(scopes) if kind in found]
        hashes = np.concatenate([scopes[i][kind][0] for i in owners])
        who = np.repeat(owners, [len(scopes[i][kind][0]) for i in owners])
        order = np.argsort(hashes, kind="stable")
        hashes, who = hashes[order], who[order]
        same = np.flatnonzero(hashes[1:] == hashes[:-1])
        sharing = sorted(set(who[same].tolist()) | set(who[same + 1].tolist()))  # files sharing any scope
        for n, a in enumerate(sharing):
            for b in sharing[n + 1 :]:
                if loaded[a].sha == loaded[b].sha or (a, b) in pairs:
                    continue  # the same content twice gives the same rows (as Klass's names do)
                common = np.intersect1d(scopes[a][kind][0], scopes[b][kind][0], assume_unique=True)
                if len(common):
                    pairs[(a, b)] = (kind, common)
    for (a, b), (kind, common) in pairs.items():
        said = _example(scopes[a][kind], common)
        for this, other in ((loaded[a], loaded[b]), (loaded[b], loaded[a])):
            problem = Problem(
                f"fila og «{other.path.name}» i samme lasting har rader for det samme ({kind}: {said}); "
                "ingen av dem er lastet",
                f"Legg bare den riktige av «{this.path.name}» og «{other.path.name}» i innboksen.",
            )
            this.error = this.error or FileRejected(this.path.name, [])
            this.error.problems.append(problem)


def _load(
    settings: Settings,
    paths: list[Path] | None,
    origin: str,
    progress: Progress,
    replace_whole: set[Path],
    at: dt.datetime | None,
    first_loaded: Mapping[str, dt.datetime],
    published_now: tuple[Path | None, str | None],
    con: duckdb.DuckDBPyConnection | None,
) -> LoadSummary:
    for folder in (settings.inbox, settings.archive, settings.rejected, settings.warehouse_dir):
        folder.mkdir(parents=True, exist_ok=True)
    known = _known(settings, *published_now, con)
    if known.damage and known.target is None and any(settings.archive.iterdir()):
        # never a warehouse of only this load's files while the archive holds what a rebuild would bring back
        raise NoReadableWarehouse(f"{known.damage} Ingenting er lastet; filene i innboksen venter til da.")
    if known.damage:
        progress(f"merk: {known.damage}")
    candidates = _candidates(settings, paths, origin, known)
    _allow_whole(candidates, replace_whole)
    _read(settings, candidates, known, progress)
    _check(candidates, known.ctx, known.target)
    todo = [c for c in candidates if c.result is not None and c.outcome.status != "deferred"]
    deferred = [c.outcome for c in candidates if c.result is not None and c.outcome.status == "deferred"]
    meta = {
        "kommune_code": settings.kommune_code,
        "kommune_name": settings.kommune_name,
        "min_n": str(settings.min_n),
        "peers": ",".join(settings.peers),
        "comparison_regions": ",".join(settings.comparison_regions),
        "schema": schema_fingerprint(),  # specs and SQL of this code: an upgrade rebuilds the warehouse
    }
    # e.g. new peers, or new SQL after an upgrade: rebuild even without new files
    settings_changed = known.built is not None and any(known.built.get(k) != v for k, v in meta.items())
    if not todo and not settings_changed:
        return LoadSummary(deferred, damage=known.damage)
    version: int | None = None
    notes: list[str] = []
    peers: list[str] = []
    now = at or dt.datetime.now()
    stamp = at or _after_last_load([settings.archive, settings.rejected], now)  # the order of the loads
    for c in todo:
        c.outcome.stored_as = _destination(settings, c, stamp)
    if settings_changed or any(c.outcome.status == "loaded" for c in todo):
        progress("bygger nytt datavarehus")
        at_times = {c.sha: first_loaded.get(c.sha, now) for c in todo}
        version, notes, peers = _build(settings, todo, meta, at_times, known.target, known.held)
        progress(f"publisert versjon {version}")
    for c in todo:
        if c.outcome.status == "unchanged" and not c.move:
            continue  # a named file or the catalogue whose content was archived when first loaded
        _file_away(c)
    return LoadSummary([c.outcome for c in todo] + deferred, version, known.damage, notes, peers)


def _build(
    settings: Settings,
    todo: list[_Candidate],
    meta: dict[str, str],
    at: dict[str, dt.datetime],
    base: Path | None,
    held_before: set[tuple],
) -> tuple[int, list[str], list[str]]:
    """Build and publish the next version with the accepted rows and the load log (each file loaded `at` the
    time given for its hash); its number and the notes on it (`_published_notes`, read on the build's own
    connection as it ends; `held_before`: the cells the version before held back)."""
    new_rows = [
        NewRows(t.spec, f, c.path.name, c.sha)
        for c in todo
        if c.outcome.status == "loaded"
        for t, f in zip(c.tables, c.frames, strict=True)
    ]
    log = [
        {
            "file_name": c.path.name,
            "sha256": c.sha,
            "kind": c.outcome.kind,
            "rows": c.outcome.rows,
            "status": c.outcome.status,
            "message": c.outcome.message or "; ".join(c.outcome.notes) or None,
            "loaded_at": at[c.sha],
            "origin": c.origin,
            "stored_as": str(c.destination.relative_to(settings.data_dir)),
        }
        for c in todo
        if c.outcome.status != "unchanged"
    ]
    for c in todo:  # the build frees each frame once its rows are stored (`build`): hold no other reference
        c.tables, c.frames = [], []
    said: list[tuple[list[str], list[str]]] = []
    version, _ = build(
        settings.warehouse_dir,
        settings.current,
        new_rows,
        log,
        meta,
        settings.keep_versions,
        previous=base,
        after=lambda con: said.append(_published_notes(todo, con, held_before)),
    )
    return version, *said[0]


def _published_notes(
    todo: list[_Candidate], con: duckdb.DuckDBPyConnection, held_before: set[tuple]
) -> tuple[list[str], list[str]]:
    """The notes on figures newly held back in the version just built (`con`) that no file's own note names,
    and what is odd about its configured peers."""
    said = [n for c in todo for n in c.outcome.notes]
    shas = [c.sha for c in todo if c.outcome.status == "loaded"]
    held, from_these = held_back(con, shas)
    return held_notes((held - held_before) | from_these, said), peer_notes(con)


@dataclass
class _Known:
    """What the published warehouse knows: units and indicators, the hashes loaded, those whose rows are all
    still in force, and those rejected, the facts it was built with (None when nothing is published), the
    version it is, and a note when that is not the one current.duckdb points at (damaged or missing)."""

    ctx: Context
    loaded: set[str] = field(default_factory=set)
    live: set[str] = field(default_factory=set)
    rejected: set[str] = field(default_factory=set)
    built: dict[str, str] | None = None
    held: set[tuple] = field(default_factory=set)  # the cells it holds back for anonymity
    target: Path | None = None
    damage: str | None = None


def _known(
    settings: Settings, target: Path | None, damage: str | None, con: duckdb.DuckDBPyConnection | None
) -> _Known:
    """What the published version `target` (`open_readable`'s, with its note `damage` and connection `con`,
    closed here once read) knows."""
    ctx = Context(default_min_n=settings.min_n, kommune_name=settings.kommune_name)
    known = _Known(ctx, target=target, damage=damage)
    if target is None or con is None:
        return known
    try:
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
        logged = con.execute(
            "SELECT sha256, status, arg_max(rows, loaded_at) FROM load_log GROUP BY sha256, status"
        ).fetchall()
        known.built = dict(con.execute("SELECT key, value FROM meta").fetchall())
        known.held, _ = held_back(con)
        in_force = _rows_in_force(con)
    finally:
        con.close()
    known.loaded = {s for s, st, _ in logged if st == "loaded"}
    known.rejected = {s for s, st, _ in logged if st == "rejected"}
    known.live = {s for s, st, n in logged if st == "loaded" and in_force.get(s, 0) >= (n or 0)}
    return known


def _rows_in_force(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """How many raw rows of each file are in force (the raw store keeps only those)."""
    tables = [s.raw_table for s in stored_specs().values()]
    union = " UNION ALL ".join(f"SELECT _sha FROM {t}" for t in tables)
    return dict(con.execute(f"SELECT _sha, count(*) FROM ({union}) GROUP BY _sha").fetchall())


def _refused_before(settings: Settings, sha: str) -> bool:
    """Whether this content of the catalogue already lies in rejected/ (it is not read again until edited)."""
    copies = sorted(settings.rejected.glob(f"*_{settings.catalogue.name}"), reverse=True)
    return bool(copies) and sha256(copies[0]) == sha


MAX_NAME_BYTES = 240  # the file system's 255, less room for «.feil.txt»
# An archived file's name starts with the time of its load, to the second (then `-2`, `-3` … for more files
# of one load with the same name), which `bms rebuild` reads: each load a time of its own (`_after_last_load`).
ARCHIVE_STAMP = "%Y%m%d-%H%M%S"
ARCHIVED = re.compile(r"^(\d{8}-\d{6})(?:-(\d+))?_(.+)$")  # time stamp, number of the name in the load, name


def _short(name: str, room: int) -> str:
    """`name` cut to `room` bytes of UTF-8, keeping its extension."""
    if len(name.encode()) <= room:
        return name
    stem, dot, ext = name.rpartition(".")
    stem, ext = (stem, dot + ext) if dot and len(ext) <= 10 else (name, "")
    budget = room - len(ext.encode()) - len(b"~")
    return stem.encode()[:budget].decode("utf-8", "ignore") + "~" + ext


def stamp_time(stamp: str) -> dt.datetime | None:
    """The time of an archived file's stamp (`ARCHIVED`'s first group), or None when it is not a real time
    (`20241331-…`, a name given by hand)."""
    try:
        return dt.datetime.strptime(stamp, ARCHIVE_STAMP)
    except ValueError:
        return None


def _after_last_load(folders: list[Path], now: dt.datetime) -> dt.datetime:
    """The time stamp of this load's archived and refused files: `now`, or a second after the newest stamp in
    `archive/` and `rejected/` when that is not earlier. Two loads in one second (a script, a load straight
    after a refusal) would otherwise share a stamp, and `bms rebuild` would load their files again as one
    load, where they may overlap or one replace the other; after the clock was set back, the archive still
    lists the loads in the order they were made. Only the names move: the load log keeps the clock's time."""
    names = [name for folder in folders if folder.exists() for name in os.listdir(folder)]
    times = [t for name in names if (m := ARCHIVED.match(name)) and (t := stamp_time(m[1]))]
    last = max(times, default=None)
    return now if last is None or now >= last + dt.timedelta(seconds=1) else last + dt.timedelta(seconds=1)


def _destination(settings: Settings, c: _Candidate, now: dt.datetime) -> Path:
    if c.origin == "ssb" and c.outcome.status == "loaded":
        return c.path  # the cache keeps SSB's answers: nothing to archive
    folder = settings.rejected if c.outcome.status == "rejected" else settings.archive
    dest, i = None, 1
    while dest is None or dest.exists() or dest.is_symlink():
        stamp = now.strftime(ARCHIVE_STAMP) + (f"-{i}" if i > 1 else "")
        dest = folder / f"{stamp}_{_short(c.path.name, MAX_NAME_BYTES - len(stamp) - 1)}"
        i += 1
    return dest


def _file_away(c: _Candidate) -> None:
    """Move (inbox) or copy (named file, catalogue) into archive/ or rejected/, never deleting anything; a link
    is moved as the link itself, never its target. A file gone meanwhile is noted, not an error."""
    dest = c.destination
    if dest == c.path:
        return
    try:
        if c.link:
            os.rename(c.path, dest)
        elif c.move:
            shutil.move(str(c.path), dest)
        else:
            shutil.copy2(c.path, dest)
    except FileNotFoundError:
        c.outcome.notes.append("fila ble fjernet fra innboksen mens den ble lastet; innholdet er lastet")
        return
    if c.error is not None:
        Path(f"{dest}.feil.txt").write_text(c.error.report(), encoding="utf-8")


def _say_what_is_replaced(accepted: list[_Candidate], ctx: Context, target: Path | None) -> None:
    """Add to each file's report what its rows replace in the published warehouse `target` (the version the
    load read what it knows from): per period, the units (or ansvar) it lists, with the rows before and now.
    A file replaces only the units or ansvar it lists; a survey file replaces its whole scope, and is refused
    if that removes units' figures it does not carry (unless the analyst said so: `bms load --erstatt-hele
    FIL`)."""
    todo = [
        (c, t, f)
        for c in accepted
        for t, f in zip(c.tables, c.frames, strict=True)
        if scope_names(t.spec) or replaces_whole_scope(t.spec)
    ]
    if target is None or not todo:
        return
    con = connect_read_only(target)
    try:
        for c, table, frame in todo:
            if scope_names(table.spec):
                c.outcome.notes += replaced(con, table.spec, frame, ctx)
                continue
            scopes = replaced_whole(con, table.spec, frame)
            c.outcome.notes += [whole_note(s) for s in scopes]
            name = (
                f"«{c.path.name}» (den ligger nå i rejected/ med tidsstempel foran navnet)" if c.move else str(c.path)
            )
            if not c.whole and (problem := removal_problem(name, table, scopes)):
                c.error = c.error or FileRejected(c.path.name, [])
                c.error.problems.append(problem)
    finally:
        con.close()

"""Warming a worker's cache: the pages most requests open, built as soon as a version is published.

A worker keeps each published version's page parts (`data.CachedReader`), and a new publish (or a new day)
starts them anew. Left to the first requests, the first visitor after a publish, or the first on a worker that
just started, waits for the kommune's scorecard and the comparison to be built (0,1–0,2 s on a national
installation, more while others ask too). A thread in each gunicorn worker builds them instead, once per
version and day, within a second of the publish. It builds only the parts every role that may see them shares
(never a user's own panels), and access is still checked for each request that is served them.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from pathlib import Path

import flask

from dashboard import comparison_body, comparison_view, data, unit_view
from etl.store.warehouse import damage_mark, published

log = logging.getLogger(__name__)

EVERY_SECONDS = 1.0  # how often a worker looks for a new published version


def warm(server: flask.Flask) -> None:
    """Build the shared parts of the overview (the kommune's scorecard) and of the comparison (the newest year,
    the default peer set) for the published version (nothing when none is published)."""
    with server.app_context():
        reader, settings = data.current_reader(), data.current_settings()
        if not data.is_published(reader):
            return
        data.units(reader)
        unit_view.scorecard_parts(reader, "kommune", data.kommune_code(reader, settings))
        years = comparison_view.years(reader)
        if years:
            comparison_body.body(years[0], comparison_view.DEFAULT_PEER_SET)


def start(server: flask.Flask, every: float = EVERY_SECONDS) -> threading.Event:
    """Warm the cache now and after each new publish, in a daemon thread of this process (a gunicorn worker);
    returns the event that stops the thread when set."""
    stop = threading.Event()
    threading.Thread(target=_follow, args=(server, every, stop), name="bms-warmup", daemon=True).start()
    return stop


def _follow(server: flask.Flask, every: float, stop: threading.Event) -> None:
    warmed: tuple[Path, dt.date] | None = None
    failed = ""
    while not stop.is_set():
        try:
            warmed = _warm_if_new(server, warmed)
            failed = ""
        except Exception as e:  # the warehouse folder unreadable: said once, and tried again each second
            if str(e) != failed:
                log.warning("fant ikke publisert versjon å bygge sidene for: %s", e)
            failed = str(e)
        stop.wait(every)


def _warm_if_new(server: flask.Flask, warmed: tuple[Path, dt.date] | None) -> tuple[Path, dt.date] | None:
    """Warm the cache when the published version (where `current.duckdb` points) or the day is not the one last
    warmed; returns what is warmed now (tried once per version and day, also when it failed). Between publishes
    it only reads the link: no warehouse file is opened while nothing changes."""
    reader = server.config[data.READER_KEY]
    now = (published(reader.current), dt.date.today())
    if now[0] is None or now == warmed:
        return warmed
    cur = reader.cursor()  # follows the publish as a request would (it looks every `check_every` seconds)
    if cur is not None:
        cur.close()
    if reader.version_path != now[0] and not damage_mark(now[0]).exists():
        return warmed  # not followed yet (a damaged version is not: the newest that opens is read instead)
    started = time.perf_counter()
    try:
        warm(server)
        log.info("bygde oversikten og sammenligningen for %s på %.2f s", now[0].name, time.perf_counter() - started)
    except Exception:  # a damaged version or a bug: the requests build the pages themselves, as before
        log.exception("kunne ikke bygge sidene på forhånd for %s", now[0].name)
    return now

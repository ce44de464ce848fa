"""`bms fetch kostra` and `bms fetch klass`: ask SSB for what the catalogue and the settings need and keep
every answer under `data/kostra/` (see etl/ssb/cache.py); the CLI then loads them.

KOSTRA: metadata first (which codes and years each table has, and when it was updated), then Klass for
those years (the kommune's KOSTRA group and county, renumbered peers), then the data, split to stay
under SSB's cell limit. An answer already in the cache is not fetched again unless SSB has updated the
table since (or `--refresh`), so an interrupted fetch continues where it stopped.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from etl.errors import BmsError, FileRejected
from etl.norsk import format_number
from etl.read.reader import read_file
from etl.settings import Settings
from etl.ssb import cache
from etl.ssb.client import KLASS_CSV, SsbClient, SsbError
from etl.ssb.plan import (
    KostraRef,
    TableMeta,
    cells,
    choose_years,
    default_klass_date,
    parse_years,
    regions_for,
    selection_for,
    split,
)
from etl.store.warehouse import open_published

Progress = Callable[[str], None]


@dataclass
class FetchReport:
    """What a fetch did: answers fetched and found in the cache, notes, and problems worth an exit code."""

    fetched: int = 0
    cached: int = 0
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    no_group_years: list[int] = field(default_factory=list)  # years Klass has no KOSTRA grouping for

    def add(self, other: FetchReport) -> None:
        self.fetched += other.fetched
        self.cached += other.cached
        self.notes += other.notes
        self.problems += other.problems
        self.no_group_years += other.no_group_years

    def summary(self, cache_dir: Path | str = "kostra/") -> str:
        """One Norwegian line: how many answers were fetched and how many were already in the cache folder."""
        return (
            f"Hentet {format_number(self.fetched)} svar fra SSB; {format_number(self.cached)} lå allerede "
            f"i {cache_dir} og ble ikke hentet på nytt."
        )


def make_client(settings: Settings, progress: Progress) -> SsbClient:
    """A client configured by the settings (base URL, rate, retries, limits)."""
    return SsbClient(
        settings.ssb_base_url,
        per_minute=settings.ssb_requests_per_minute,
        retries=settings.ssb_retries,
        backoff=settings.ssb_backoff_seconds,
        timeout=settings.ssb_timeout_seconds,
        max_url=settings.ssb_max_url,
        progress=progress,
        cache_dir=settings.kostra_dir,
    )


def unknown_codes(metas: dict[str, TableMeta], refs: dict[str, list[KostraRef]]) -> list[str]:
    """Every catalogue content code a table's metadata does not list, naming the indicators that use it."""
    problems = []
    for table in sorted(refs):
        meta = metas[table]
        have = set(meta.codes.get(meta.contents or "", []))
        for code in dict.fromkeys(r.contents for r in refs[table]):
            if code not in have:
                who = ", ".join(r.indicator for r in refs[table] if r.contents == code)
                problems.append(
                    f"balansehåndboka: indikatoren {who} har kilde_ref {table}/{code}, men SSBs tabell {table} har "
                    f"ingen innholdskode {code}; rett kilde_ref (innholdskodene står i tabellens metadata på ssb.no)"
                )
    return problems


def catalogue_refs(settings: Settings) -> tuple[dict[str, list[KostraRef]], list[str]]:
    """The catalogue's KOSTRA references by table, and problems with references that cannot be read."""
    try:
        tables = read_file(settings.catalogue, int(settings.max_file_mb * 1e6), int(settings.max_unzipped_mb * 1e6))
    except FileRejected as e:
        raise BmsError(f"Balansehåndboka ({settings.catalogue}) kan ikke leses: {e}") from None
    refs: dict[str, list[KostraRef]] = {}
    problems = []
    for t in tables:
        if t.spec.kind != "indikatorer":
            continue
        for _, row in t.frame[t.frame["source"] == "KOSTRA"].iterrows():
            ref = KostraRef.parse(row.get("source_ref") or "")
            if ref is None:
                text = row.get("source_ref") or ""
                problems.append(
                    f"indikatoren {row['indicator_id']} har kilde KOSTRA, men kilde_ref «{text}» er ikke på formen "
                    "tabell/innholdskode (12134/KOSAGD230000)"
                )
            else:
                refs.setdefault(ref.table, []).append(replace(ref, indicator=row["indicator_id"]))
    return refs, problems


def klass_years(settings: Settings, today: dt.date | None = None) -> list[int]:
    """The years Klass facts are needed for: the configured KOSTRA years, or the last five finished years."""
    years = parse_years(settings.kostra_years)
    this_year = (today or dt.date.today()).year
    return years or list(range(this_year - 5, this_year))


def _klass_asks(settings: Settings, years: list[int]) -> list[tuple[str, str, dict[str, str], str, dict]]:
    """What to ask Klass, each as (cache name, path, parameters, Accept, what to keep beside the answer)."""
    date = default_klass_date(settings.klass_date)
    after = (dt.date.fromisoformat(date) + dt.timedelta(days=1)).isoformat()
    first = f"{min(years)}-01-01" if years else date
    groups = [
        (
            f"131-112_correspondsAt_{y}-01-01.json",
            "classifications/131/correspondsAt",
            {"targetClassificationId": "112", "date": f"{y}-01-01"},
            "application/json",
            {"targetClassificationId": "112", "date": f"{y}-01-01"},
        )
        for y in years
    ]
    return [
        (f"131_codesAt_{date}.csv", "classifications/131/codesAt", {"date": date}, KLASS_CSV, {}),
        (f"104_codesAt_{date}.csv", "classifications/104/codesAt", {"date": date}, KLASS_CSV, {}),
        *groups,
        (
            f"131_changes_{first}_{after}.json",
            "classifications/131/changes",
            {"from": first, "to": after},
            "application/json",
            {},
        ),
    ]


def fetch_klass(
    settings: Settings, client: SsbClient, years: list[int], progress: Progress, refresh: bool = False
) -> FetchReport:
    """Kommuner (131) and fylker (104) valid at the Klass date, KOSTRA group membership (131 → 112) on
    1 January of each year, and the kommune-number changes since the first year.

    A year Klass has no KOSTRA grouping for (it answers 404, as for years before 2020) is reported and
    skipped: the kommune has no KOSTRA group that year, and the rest is fetched."""
    asks = _klass_asks(settings, years)
    report = FetchReport()
    for i, (name, path, params, accept, extra) in enumerate(asks, 1):
        target = cache.klass_path(settings, name)
        if not refresh and cache.cached(target) is not None:
            report.cached += 1
            progress(f"[Klass {i}/{len(asks)}] {name}: allerede hentet")
            continue
        progress(f"[Klass {i}/{len(asks)}] henter {path} {' '.join(f'{k}={v}' for k, v in params.items())}")
        try:
            raw = client.klass(path, params, accept)
        except SsbError as e:
            if e.status != 404 or not path.endswith("/correspondsAt"):
                raise
            year = int(params["date"][:4])
            report.no_group_years.append(year)
            report.notes.append(
                f"Klass har ingen KOSTRA-gruppering (131 → 112) for {params['date']}: kommunene har ingen "
                f"KOSTRA-gruppe i {year}, og sammenligningen med gruppen står tom det året"
            )
            continue
        cache.store(target, raw, {"source": "klass", "path": path, "params": params, "accept": accept, **extra})
        report.fetched += 1
    return report


@dataclass
class _Facts:
    groups: dict[int, str]
    county: str | None
    predecessors: dict[str, list[str]]
    current: dict[str, str] = field(default_factory=dict)  # an older kommune number → today's


def _facts(settings: Settings, years: list[int]) -> _Facts:
    """What the published warehouse knows from Klass: the kommune's KOSTRA group per year, its county,
    and older numbers of the kommune and the peers (the SQL in etl/sql/3x_*.sql is the one place for these)."""
    facts = _Facts({}, None, {})
    with open_published(settings.current) as con:
        if con is None:
            return facts
        for y in years:
            row = con.execute(
                "SELECT kostra_group FROM kostra_group_membership WHERE code = ? "
                "AND (valid_from IS NULL OR valid_from <= ?) AND (valid_to IS NULL OR ? < valid_to) "
                "ORDER BY valid_from DESC NULLS LAST LIMIT 1",
                [settings.kommune_code, dt.date(y, 1, 1), dt.date(y, 1, 1)],
            ).fetchone()
            if row:
                facts.groups[y] = row[0]
        row = con.execute("SELECT county_code FROM municipalities WHERE code = ?", [settings.kommune_code]).fetchone()
        facts.county = row[0] if row else None
        for old, new in con.execute("SELECT old_code, current_code FROM municipality_code_map").fetchall():
            facts.predecessors.setdefault(new, []).append(old)
            facts.current[old] = new
    return facts


def _metadata(settings: Settings, client: SsbClient, table: str) -> TableMeta:
    doc, raw = client.v0_metadata(table) if settings.ssb_api == "v0" else client.v2_metadata(table)
    try:
        meta = TableMeta.from_v0(table, doc) if settings.ssb_api == "v0" else TableMeta.from_v2(table, doc)
    except (ValueError, TypeError, KeyError, AttributeError) as e:  # JsonStatError says what, in Norwegian
        raise SsbError(
            f"SSB svarte med metadata for tabell {table} ({settings.ssb_api}) som ikke kan leses: {e}. "
            f"Prøv igjen senere, og sjekk at {settings.ssb_base_url} er SSB eller et speil av PxWebApi."
        ) from None
    cache.keep_metadata(cache.metadata_path(settings, table, settings.ssb_api), raw)
    return meta


def _moment(text: str | None) -> dt.datetime | None:
    """An ISO timestamp as SSB writes it (`2026-06-15T06:00:00Z`), in UTC when it names no zone."""
    try:
        moment = dt.datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _newer(updated: str | None, than: str | None) -> bool:
    new, old = (_moment(updated) if updated else None), (_moment(than) if than else None)
    return new is not None and old is not None and new > old


def _v0_updated(client: SsbClient, table: str, part: dict[str, list[str]], progress: Progress) -> str | None:
    """When SSB last updated a table, asked through v0, whose metadata does not say.

    v0's table description has no `updated`, so without this a cached March answer would never be
    replaced by June's final figures. Every json-stat2 data answer carries the table's `updated`, so a
    one-cell query (the first code of each dimension of a part already asked for) tells it for one small
    request per table. Chosen over the alternatives: v2's `/tables/{id}` also has `updated`, but `--api v0`
    may point at a mirror that has only v0; and the publishing calendar (refetch preliminary figures after
    mid-June) would miss a delayed publication and every correction SSB makes outside it."""
    progress(f"tabell {table}: spør SSB når tabellen sist ble oppdatert (v0-metadata sier det ikke)")
    doc, _, _ = client.v0_data(table, {dim: codes[:1] for dim, codes in part.items()})
    updated = doc.get("updated") if isinstance(doc, dict) else None
    return updated if isinstance(updated, str) else None


_Planned = tuple[str, dict[str, list[str]], dict, Path]  # table, selection, query as cached, cache path


def fetch_kostra(
    settings: Settings,
    client: SsbClient,
    progress: Progress,
    refresh: bool = False,
    load_klass: Callable[[], object] = lambda: None,
) -> FetchReport:
    """Fetch every catalogue KOSTRA table for the kommune, its group, the peers and the comparison regions.

    `load_klass` publishes the fetched Klass answers, so the kommune's group can be read from the warehouse."""
    if settings.ssb_api not in ("v0", "v2"):
        raise BmsError(f"Innstillingen ssb_api har ugyldig verdi «{settings.ssb_api}». Bruk v2 eller v0.")
    refs, problems = catalogue_refs(settings)
    report = FetchReport(problems=problems)
    if not refs:
        raise BmsError(
            "Balansehåndboka har ingen indikatorer med kilde KOSTRA og kilde_ref som 12134/KOSAGD230000; "
            "det er ingenting å hente."
        )
    metas = {}
    for table in sorted(refs):
        progress(f"henter metadata for tabell {table}")
        metas[table] = _metadata(settings, client, table)
    # every catalogue code against the tables' metadata first, before anything else is asked for
    report.problems += unknown_codes(metas, refs)
    years = parse_years(settings.kostra_years) or sorted(
        {int(c[:4]) for m in metas.values() for c in choose_years(m, []) if c[:4].isdigit()}
    )
    report.add(fetch_klass(settings, client, years, progress, refresh))
    load_klass()
    regions, optional = _regions(settings, years, report)
    planned = _plan(settings, metas, refs, regions, years, optional, report)
    if not refresh:  # v0 metadata has no `updated`: ask for it where a cached answer may be outdated
        for table in sorted({t for t, _, _, path in planned if cache.cached(path) is not None}):
            if metas[table].updated is None and settings.ssb_api == "v0":
                part = next(part for t, part, _, _ in planned if t == table)
                metas[table].updated = _v0_updated(client, table, part, progress)
    _fetch_planned(settings, client, metas, planned, refresh, progress, report)
    return report


def _regions(settings: Settings, years: list[int], report: FetchReport) -> tuple[list[str], frozenset[str]]:
    """The regions to ask for (the kommune, its groups, peers, county, country …) and the older kommune
    numbers that may be missing from a table without it being an error."""
    facts = _facts(settings, years)
    wants_group = any(t.strip().lower() == "kostragruppe" for t in settings.comparison_regions)
    missing_groups = [y for y in years if y not in facts.groups and y not in report.no_group_years]
    if wants_group and missing_groups:
        report.problems.append(
            f"fant ikke KOSTRA-gruppen til kommune {settings.kommune_code} i Klass for "
            f"{', '.join(map(str, missing_groups))}; gruppen hentes ikke for de årene"
        )
    # a peer given by an older number is fetched under today's number too (and its older ones with it)
    peers = tuple(dict.fromkeys(facts.current.get(p, p) for p in settings.peers))
    regions = regions_for(
        settings.kommune_code,
        peers,
        settings.comparison_regions,
        facts.groups,
        facts.county,
        facts.predecessors,
        years,
    )
    return regions, frozenset(code for olds in facts.predecessors.values() for code in olds)


def _plan(
    settings: Settings,
    metas: dict[str, TableMeta],
    refs: dict[str, list[KostraRef]],
    regions: list[str],
    years: list[int],
    optional: frozenset[str],
    report: FetchReport,
) -> list[_Planned]:
    """Each table's selection, split under SSB's cell limit, with the query and cache path of each part."""
    planned: list[_Planned] = []
    for table in sorted(refs):
        selection, notes = selection_for(metas[table], refs[table], regions, years, optional)
        report.notes += notes
        report.problems += [n for n in notes if "innholdskoden" in n]
        for part in split(selection, settings.ssb_max_cells) if selection else []:
            query = {"api": settings.ssb_api, "table": table, "selection": part}
            planned.append((table, part, query, cache.answer_path(settings, table, cache.key(query))))
    return planned


def _fetch_planned(
    settings: Settings,
    client: SsbClient,
    metas: dict[str, TableMeta],
    planned: list[_Planned],
    refresh: bool,
    progress: Progress,
    report: FetchReport,
) -> None:
    """Ask SSB for each planned part not already cached (or cached before SSB last updated the table)."""
    for i, (table, part, query, path) in enumerate(planned, 1):
        done = cache.cached(path)
        size = format_number(cells(part))
        if done is not None and not refresh and not _newer(metas[table].updated, done.get("updated")):
            report.cached += 1
            progress(f"[{i}/{len(planned)}] tabell {table}: {size} celler allerede hentet")
            continue
        progress(f"[{i}/{len(planned)}] tabell {table}: henter {size} celler")
        fetch = client.v0_data if settings.ssb_api == "v0" else client.v2_data
        doc, raw, request = fetch(table, part)
        cache.store(
            path, raw, {**query, "source": "pxwebapi", "cells": cells(part), "updated": doc.get("updated"), **request}
        )
        report.fetched += 1


def fetch_query(settings: Settings, client: SsbClient, path: Path, progress: Progress) -> FetchReport:
    """Run a query bookmarked from SSB's Statbank ("API-spørring for denne tabellen", PxWebApi v0)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as e:
        raise BmsError(f"Spørringsfila {path} kan ikke leses: {e}.") from None
    body = doc.get("queryObj", doc) if isinstance(doc, dict) else None
    post_url = doc.get("postUrl", "") if isinstance(doc, dict) else ""
    table = (doc.get("tableIdForQuery") if isinstance(doc, dict) else None) or (
        m[1] if (m := re.search(r"/table/(\w+)", post_url)) else None
    )
    if not isinstance(body, dict) or not isinstance(body.get("query"), list) or not table:
        raise BmsError(
            f"Spørringsfila {path} er ikke en lagret spørring fra SSB (PxWebApi v0: «queryObj», «postUrl»). "
            "Lagre spørringen fra statistikkbanken på nytt (API-spørring for denne tabellen)."
        )
    body = {**body, "response": {"format": "json-stat2"}}
    query = {"api": "v0", "table": table, "body": body}
    target = cache.answer_path(settings, table, "v0-" + cache.key(query))
    progress(f"tabell {table}: kjører lagret spørring fra {path.name}")
    result, raw, request = client.v0_query(post_url or f"/api/v0/no/table/{table}", body, f"data fra tabell {table}")
    cache.store(target, raw, {**query, "source": "pxwebapi", "updated": result.get("updated"), **request})
    return FetchReport(fetched=1)

"""Warehouse → report model → bytes: the one code path the CLI (`bms report`) and the Rapporter page share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dashboard.data import WarehouseReader, is_demo
from dashboard.reports import dialogue, employer, queries, scorecard, tertial
from dashboard.reports.model import Report, Section
from dashboard.reports.queries import Reader
from dashboard.reports.request import KINDS, ReportRequest, Subject, check, subject

# The writers (Word with python-docx, PDF, Excel) and the charts' browser are imported when a report is
# written, not when a dashboard worker registers the Rapporter page: tests/test_dashboard_imports.py DEFERRING.

NO_WAREHOUSE = "Datavarehuset er tomt. Last inn filer (bms load) eller bygg demoen (bms demo) først."


def period_label(request: ReportRequest) -> str:
    """`2025`, or `1. tertial 2025` (`januar–april 2025`)."""
    if request.tertial:
        months = {1: "januar–april", 2: "januar–august", 3: "januar–desember"}[request.tertial]
        return f"{request.tertial}. tertial {request.year} ({months})"
    return str(request.year)


def build_model(
    reader: Reader,
    request: ReportRequest,
    may_see_unit: Callable[[str], bool] | None = None,
    store: object | None = None,
    now: dt.datetime | None = None,
) -> Report:
    """The report model for a request: sections with drafted text, tables and charts (charts not yet drawn)."""
    check(request)
    meta = queries.meta(reader)
    if not meta:
        return _empty(request, "", "", False, NO_WAREHOUSE, now)
    demo = is_demo(reader)  # type: ignore[arg-type]
    who = subject(reader, request, may_see_unit)
    kommune = meta.get("kommune_name", "")
    if not queries.has_year(reader, request.year):
        return _empty(
            request, kommune, who.name, demo, f"Det finnes ingen data for {request.year} i datavarehuset.", now
        )
    sections = BUILDERS[request.kind](reader, request, who)
    report = Report(
        request.kind,
        KINDS[request.kind],
        kommune,
        period_label(request),
        who.name,
        demo,
        now or dt.datetime.now(),
        sections,
    )
    if not any(s.tables for s in sections):
        report.empty_message = f"Det finnes ingen data for {who.name} i {period_label(request)}."
    dialogue.fill_dialogue(report, store)
    return report


def _empty(request: ReportRequest, kommune: str, who: str, demo: bool, message: str, now: dt.datetime | None) -> Report:
    return Report(
        request.kind,
        KINDS[request.kind],
        kommune,
        period_label(request),
        who,
        demo,
        now or dt.datetime.now(),
        [],
        message,
    )


def tjenesterapport(reader: Reader, request: ReportRequest, who: Subject) -> list[Section]:
    """The scorecard in the four focus areas, trends, KOSTRA group and peers."""
    # The KOSTRA comparison is the slowest query; it runs on its own cursor while the rest is drafted.
    with ThreadPoolExecutor(max_workers=1) as pool:
        kostra = pool.submit(queries.kostra, reader, [(s, c) for s, c, _ in who.scopes], request.year)
        loaded = queries.source_files(reader, request.year)
        rows = scorecard.scorecards(reader, who, request.year, request.tertial)
        if rows.empty:
            return []
        sections = scorecard.focus_sections(reader, who, rows, request.year, loaded, request.tertial)
        comparison = scorecard.kostra_section(reader, who, request.year, kostra.result())
    return sections + ([comparison] if comparison else [])


def ledersamtale(reader: Reader, request: ReportRequest, who: Subject) -> list[Section]:
    """The unit's scorecard, trends, peers, open avvik, tiltak and room for keep/improve points."""
    sections = tjenesterapport(reader, request, who)
    if not sections:
        return []
    sections.append(scorecard.open_deviations(reader, who.unit_ids[0], request.year, request.tertial))
    sections.append(
        Section(
            heading="Bevarings- og forbedringspunkter",
            paragraphs=[
                "Rådmannen og lederen går gjennom målekortet og blir enige om hva enheten skal bevare og hva den "
                "skal forbedre. Forbedringspunktene følges opp som tiltak i neste års virksomhetsplan."
            ],
            blank_points=["Bevaringspunkter", "Forbedringspunkter"],
            scope=who.dialogue_scope,
            year=request.year,
        )
    )
    return sections


BUILDERS: dict[str, Callable[[Reader, ReportRequest, Subject], list[Section]]] = {
    "tjenesterapport": tjenesterapport,
    "ledersamtale": ledersamtale,
    "arbeidsgiverrapport": employer.arbeidsgiverrapport,
    "tertialrapport": tertial.tertialrapport,
    "vedtaksrapport": tertial.vedtaksrapport,
}


def write(report: Report, fmt: str) -> bytes:
    """The report as .docx, .pdf or .xlsx bytes (charts drawn first, for the formats that show them)."""
    if fmt == "xlsx":
        from dashboard.reports.xlsx import to_xlsx

        return to_xlsx(report)
    from dashboard.reports.charts import render

    render(report)
    if fmt == "pdf":
        from dashboard.reports.pdf import to_pdf

        return to_pdf(report)
    from dashboard.reports.docx import to_docx

    return to_docx(report)


def open_reader(current: Path) -> Reader:
    """A read-only reader on a data folder's published warehouse (`<data dir>/warehouse/current.duckdb`),
    the dashboard's own reader class, for the CLI and the benchmark."""
    return WarehouseReader(current)


def build_report(
    reader: Reader,
    request: ReportRequest,
    may_see_unit: Callable[[str], bool] | None = None,
    store: object | None = None,
) -> bytes:
    """The whole path: warehouse → model → file bytes in the request's format."""
    if request.fmt == "xlsx":
        return write(build_model(reader, request, may_see_unit, store), request.fmt)
    from dashboard.reports.charts import browser

    with browser():  # Chromium starts while the model's queries run
        report = build_model(reader, request, may_see_unit, store)
        return write(report, request.fmt)

"""Tertialrapport (budget vs actual, forecast, sick leave, avvik) and vedtaksrapport (decisions by utvalg)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard.reports import queries, text
from dashboard.reports.employer import sick_leave_section
from dashboard.reports.model import Section, Table
from dashboard.reports.queries import Reader
from dashboard.reports.request import ReportRequest, Subject
from etl.norsk import MONTH_NAMES, format_date

ECONOMY_COLUMNS = [
    "Enhet",
    "Tjenesteområde",
    "Regnskap hittil",
    "Budsjett hittil",
    "Avvik kr",
    "Avvik %",
    "Prognose avvik årsslutt kr",
]


def last_tertial(reader: Reader, year: int) -> int:
    """The newest tertial of the year with booked accounts (1 when none)."""
    frame = reader.df(
        "SELECT max(month(period)) AS m FROM accounting WHERE year(period) = $y AND actual <> 0", {"y": year}
    )
    month = text.number(frame["m"].iloc[0]) if not frame.empty else None
    return 1 if month is None else min(3, (int(month) - 1) // 4 + 1)


def economy(reader: Reader, year: int, tertial: int) -> pd.DataFrame:
    """Actual and budget year to date for the kommune and each unit, as the accounting measures give them (the
    booked months up to the tertial's end: `last_month` is the last of them), the year-end forecast deviation,
    and each unit's status as the scorecard judges its budget deviation; `deviation` positive is overspending."""
    return reader.df(
        """
        WITH last AS (
            SELECT max(period) AS month FROM measures_accounting
            WHERE source_ref = 'accounting:deviation_pct' AND year(period) = $y AND month(period) <= $m
        ),
        ytd AS (  -- each scope's newest year to date up to that month (a unit with no line that month too)
            SELECT m.scope, m.scope_code, m.numerator + m.denominator AS actual, m.denominator AS budget,
                   m.numerator AS deviation, m.value AS deviation_pct, l.month AS last_month, m.period
            FROM measures_accounting m JOIN last l ON m.period <= l.month AND year(m.period) = $y
            WHERE m.source_ref = 'accounting:deviation_pct'
            QUALIFY row_number() OVER (PARTITION BY m.scope, m.scope_code ORDER BY m.period DESC) = 1
        ),
        judged AS (
            SELECT s.scope, s.scope_code, any_value(s.status) AS status
            FROM scorecard s JOIN indicators i USING (indicator_id)
            JOIN ytd y ON y.scope = s.scope AND y.scope_code = s.scope_code AND s.period = y.period
            WHERE lower(i.source_ref) = 'accounting:deviation_pct' GROUP BY s.scope, s.scope_code
        ),
        forecast AS (
            SELECT scope, scope_code, arg_max(numerator, period) AS forecast_deviation
            FROM measures_accounting
            WHERE source_ref = 'accounting:forecast_pct' AND year(period) = $y AND month(period) <= $m
            GROUP BY scope, scope_code
        )
        SELECT y.scope, y.scope_code AS unit_id, u.name, u.service_area, y.actual, y.budget, y.deviation,
               y.deviation_pct, f.forecast_deviation, j.status, y.last_month
        FROM ytd y
        LEFT JOIN units u ON y.scope = 'enhet' AND u.unit_id = y.scope_code
        LEFT JOIN forecast f USING (scope, scope_code)
        LEFT JOIN judged j USING (scope, scope_code)
        ORDER BY abs(y.deviation) DESC
        """,
        {"y": year, "m": 4 * tertial},
    )


def economy_section(reader: Reader, who: Subject, year: int, tertial: int, loaded: pd.DataFrame) -> Section | None:
    """Budget vs actual and the year-end forecast per unit and per service area, largest deviations first; the
    paragraph's total is the kommune's own figure in the kommune's report (whoever reads it), else the units'."""
    every = economy(reader, year, tertial)
    frame = every[(every["scope"] == "enhet") & every["unit_id"].isin(who.unit_ids)] if not every.empty else every
    if frame.empty:
        return None

    def row(name: str, area: str, r: pd.Series, status: object = None) -> list:
        return [
            text.text_cell(name[:1].upper() + name[1:]),
            text.text_cell(area[:1].upper() + area[1:]),
            text.value_cell(r["actual"], "kr"),
            text.value_cell(r["budget"], "kr"),
            text.value_cell(r["deviation"], "kr"),
            text.value_cell(r["deviation_pct"], "%", 1, str(status) if text.present_text(status) else None),
            text.value_cell(r["forecast_deviation"], "kr"),
        ]

    units = [row(r["name"], r["service_area"], r, r["status"]) for _, r in frame.iterrows()]
    areas = frame.groupby("service_area", as_index=False)[["actual", "budget", "deviation"]].sum(min_count=1)
    areas["deviation_pct"] = areas["deviation"] / areas["budget"].abs() * 100
    fc = frame.groupby("service_area")["forecast_deviation"].sum(min_count=1)
    areas["forecast_deviation"] = areas["service_area"].map(fc)
    areas = areas.reindex(areas["deviation"].abs().sort_values(ascending=False).index)
    area_rows = [row(r["service_area"], "", r)[:1] + row(r["service_area"], "", r)[2:] for _, r in areas.iterrows()]
    kommune = every[every["scope"] == "kommune"]
    whole = who.whole_kommune and not kommune.empty
    total_dev = float(kommune["deviation"].iloc[0]) if whole else float(frame["deviation"].sum())
    total_budget = float(kommune["budget"].iloc[0]) if whole else float(frame["budget"].sum())
    last = pd.Timestamp(frame["last_month"].iloc[0])
    largest = frame.iloc[0]
    para = (
        f"Hittil i år (til og med {MONTH_NAMES[last.month - 1]} {year}) er regnskapet for {who.name} "
        f"{text.value_cell(abs(total_dev), 'kr').text} {'over' if total_dev > 0 else 'under'} budsjettet "
        f"({text.value_cell(total_dev / abs(total_budget) * 100 if total_budget else None, '%', 1).text}). "
        f"Størst avvik har {largest['name']} med {text.value_cell(largest['deviation'], 'kr').text} "
        f"({text.value_cell(largest['deviation_pct'], '%', 1).text}). Positive avvik er merforbruk."
    )
    source = text.internal_source(["regnskap"], loaded)
    return Section(
        heading="Økonomi: regnskap mot budsjett og prognose",
        paragraphs=[para],
        tables=[
            Table("Avvik per enhet, største først", ECONOMY_COLUMNS, units, source, sheet="Økonomi per enhet"),
            Table(
                "Avvik per tjenesteområde, største først",
                ["Tjenesteområde"] + ECONOMY_COLUMNS[2:],
                area_rows,
                source,
                sheet="Økonomi per område",
            ),
        ],
    )


def _deviations_as_of(reader: Reader) -> dt.date | None:
    """The day of the avvik register's extract (None when no avvik are loaded)."""
    known = reader.df("SELECT as_of FROM deviations_as_of")
    if known.empty or pd.isna(known["as_of"].iloc[0]):
        return None
    return pd.Timestamp(known["as_of"].iloc[0]).date()


def deviations_section(reader: Reader, who: Subject, year: int, tertial: int, loaded: pd.DataFrame) -> Section | None:
    """Avvik per unit: reported in the tertial, closed, open at its end and overdue; up to the day of the
    register's extract where that comes before the tertial's end (what came after is not known, never 0)."""
    start, end = pd.Timestamp(year, 4 * tertial - 3, 1).date(), queries.period_end(year, tertial)
    as_of = _deviations_as_of(reader)
    if as_of is None:
        return None
    label = f"{tertial}. tertial {year}"
    if as_of < start:
        return Section(
            heading="Avvik",
            paragraphs=[f"Uttrekket fra avvikssystemet er per {format_date(as_of)} og dekker ikke {label}."],
        )
    cut = min(end, as_of + dt.timedelta(days=1))  # the first day not covered
    frame = reader.df(
        """
        SELECT unit_id,
               count(*) FILTER (WHERE reported_on >= $start AND reported_on < $end) AS reported,
               count(*) FILTER (WHERE closed_on >= $start AND closed_on < $end) AS closed,
               count(*) FILTER (WHERE reported_on < $end AND (closed_on IS NULL OR closed_on >= $end)) AS open,
               count(*) FILTER (WHERE reported_on < $end AND (closed_on IS NULL OR closed_on >= $end)
                                AND due_on < $at) AS overdue  -- past its deadline on the last day, as the measure
        FROM deviations GROUP BY unit_id
        """,
        {"start": start, "end": cut, "at": cut - dt.timedelta(days=1)},
    )
    frame = frame[frame["unit_id"].isin(who.unit_ids)] if not frame.empty else frame
    if frame.empty:
        return None
    frame = frame.sort_values(["overdue", "open"], ascending=False)
    whole = cut == end
    until = "I tertialet" if whole else f"I tertialet fram til {format_date(as_of)} (datoen for uttrekket)"
    at = "Ved utgangen av tertialet" if whole else f"Per {format_date(as_of)}"
    rows = [
        [
            text.text_cell(who.unit_names[r["unit_id"]]),
            text.value_cell(r["reported"]),
            text.value_cell(r["closed"]),
            text.value_cell(r["open"]),
            text.value_cell(r["overdue"], "", 0, "red" if r["overdue"] else "green"),
        ]
        for _, r in frame.iterrows()
    ]
    para = (
        f"{until} ble det meldt {int(frame['reported'].sum())} avvik og lukket {int(frame['closed'].sum())}. "
        f"{at} var {int(frame['open'].sum())} åpne, {int(frame['overdue'].sum())} av dem over fristen."
    )
    return Section(
        heading="Avvik",
        paragraphs=[para],
        tables=[
            Table(
                "Avvik per enhet",
                ["Enhet", "Meldt i tertialet", "Lukket i tertialet", "Åpne", "Over frist"],
                rows,
                text.internal_source(["avvik"], loaded),
                sheet="Avvik",
            )
        ],
    )


def tertialrapport(reader: Reader, request: ReportRequest, who: Subject) -> list[Section]:
    """Budget vs actual and forecast, sick leave for the tertial, avvik status."""
    tertial = request.tertial or last_tertial(reader, request.year)
    loaded = queries.source_files(reader, request.year)
    kommune = queries.meta(reader).get("kommune_name", "Kommunen")
    months = (4 * tertial - 3, 4 * tertial)
    label = f"{tertial}. tertial {request.year}"
    parts = [
        economy_section(reader, who, request.year, tertial, loaded),
        sick_leave_section(reader, who, request.year, kommune, loaded, months, label),
        deviations_section(reader, who, request.year, tertial, loaded),
    ]
    return [p for p in parts if p is not None]


DECISION_STATUS = {"iverksatt": "green", "pågår": "yellow", "ikke startet": "grey"}
DECISION_COLUMNS = [
    "Møtedato",
    "Saksnr",
    "Tittel",
    "Ansvarlig enhet",
    "Frist",
    "Status",
    "Dager over frist",
    "Kommentar",
]


def decisions(reader: Reader, year: int) -> pd.DataFrame:
    """The year's decisions and every older one not yet carried out, with days overdue as of the register."""
    return reader.df(
        """
        SELECT d.committee, d.meeting_date, d.case_no, d.title, d.unit_id, u.name AS unit_name, d.due_on,
               d.status, d.comment, o.days_overdue, (SELECT as_of FROM decisions_as_of) AS as_of
        FROM decisions d
        LEFT JOIN units u USING (unit_id)
        LEFT JOIN decisions_overdue o USING (case_no, committee)
        WHERE year(d.meeting_date) = $y OR (d.status <> 'iverksatt' AND year(d.meeting_date) < $y)
        ORDER BY d.committee, o.days_overdue DESC NULLS LAST, d.meeting_date, d.case_no
        """,
        {"y": year},
    )


def vedtaksrapport(reader: Reader, request: ReportRequest, who: Subject) -> list[Section]:
    """Every political decision by utvalg, overdue first, with the responsible unit and status."""
    frame = decisions(reader, request.year)
    if frame.empty:
        return []
    # a unit's or an area's report: its units' vedtak; the whole kommune's: the vedtak of no unit and of the units
    # the reader may see, as the dashboard's vedtak table shows them
    whole = who.whole_kommune
    frame = frame[(frame["unit_id"].isna() & whole) | frame["unit_id"].isin(who.unit_ids)]
    source = text.internal_source(["vedtak"], queries.source_files(reader, request.year))
    as_of = frame["as_of"].dropna()
    sections = [
        _committee_section(str(committee), part, source, as_of)
        for committee, part in frame.groupby("committee", sort=True)
    ]
    intro = Section(
        heading="Om rapporten",
        paragraphs=[
            f"Rapporten viser alle vedtak fra {request.year} og eldre vedtak som ennå ikke er iverksatt, "
            "gruppert etter utvalg. Vedtak over fristen står først."
        ],
    )
    return [intro, *sections]


def _committee_section(committee: str, part: pd.DataFrame, source: str, as_of: pd.Series) -> Section:
    """One utvalg's decisions: how many are carried out, under way, not started and overdue; the table."""
    rows = [
        [
            text.text_cell(format_date(r["meeting_date"])),
            text.text_cell(r["case_no"]),
            text.text_cell(r["title"]),
            text.text_cell(r["unit_name"] or r["unit_id"] or "–"),
            text.text_cell(format_date(r["due_on"]) if pd.notna(r["due_on"]) else "–"),
            text.text_cell(r["status"], DECISION_STATUS.get(str(r["status"]))),
            text.value_cell(r["days_overdue"], "", 0, "red" if text.present(r["days_overdue"]) else None),
            text.text_cell(r["comment"] if text.present_text(r["comment"]) else ""),
        ]
        for _, r in part.iterrows()
    ]
    counts = part["status"].value_counts()
    overdue = int(part["days_overdue"].notna().sum())
    para = (
        f"{committee} har {len(part)} vedtak i rapporten: {int(counts.get('iverksatt', 0))} iverksatt, "
        f"{int(counts.get('pågår', 0))} pågår og {int(counts.get('ikke startet', 0))} ikke startet. "
        f"{overdue} er over fristen" + (f" per {format_date(as_of.iloc[0])}." if len(as_of) else ".")
    )
    return Section(
        heading=committee,
        paragraphs=[para],
        tables=[Table(f"Vedtak i {committee}", list(DECISION_COLUMNS), rows, source, sheet=committee)],
    )

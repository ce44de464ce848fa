"""Tjenesterapport and ledersamtale: the scorecard in the four focus areas, trends, KOSTRA and peers."""

from __future__ import annotations

import pandas as pd

from dashboard.reports import charts, queries, text
from dashboard.reports.model import Chart, Section, Table
from dashboard.reports.queries import Reader
from dashboard.reports.request import Subject
from etl.norsk import FOCUS_AREAS, format_date, format_period

SCORE_COLUMNS = ["Indikator", "Periode", "Verdi", "Mål", "Status", "Året før", "Endring"]
KOSTRA_COLUMNS = [
    "Indikator",
    "Verdi",
    "Rang",
    "KOSTRA-gruppen",
    "Median",
    "Midterste halvdel",
    "Spredning (min–maks)",
    "Trend",
]


def scorecards(reader: Reader, subject: Subject, year: int, tertial: int | None) -> pd.DataFrame:
    """The scorecard rows of every scope in the subject, with a `scope_name` and a period label."""
    frames = []
    for scope, code, name in subject.scopes:
        frame = queries.scorecard_for(reader, scope, code, year, tertial)
        if frame.empty:
            continue
        frame = frame.assign(scope=scope, scope_code=code, scope_name=name)
        frames.append(frame)
    if not frames:
        return pd.DataFrame()
    rows = pd.concat(frames, ignore_index=True)
    rows["period_label"] = [
        format_period(p.date(), t) if text.present_text(t) and pd.notna(p) else str(year)
        for p, t in zip(rows["period"], rows["period_type"], strict=True)
    ]
    return rows


def score_row(row: pd.Series, with_unit: bool) -> list:
    """One table row: indicator (and unit), period, value, target, status, a year earlier, change."""
    unit, dec = str(row["unit_of_measure"]), int(row["decimals"])
    value = text.held_cell() if row["held"] else text.value_cell(row["value"], unit, dec)
    cells = [text.text_cell(row["name"])]
    if with_unit:
        cells.append(text.text_cell(row["scope_name"]))
    cells += [
        text.text_cell(row["period_label"] if text.present(row["value"]) else "–"),
        value,
        text.value_cell(row["target"], unit, dec),
        text.status_cell(str(row["status"]), row["status_reason"]),
        text.value_cell(row["last_year"], unit, dec),
        text.text_cell(text.change_text(text.number(row["value"]), text.number(row["last_year"]), unit, dec)),
    ]
    return cells


def draft(part: pd.DataFrame, subject: Subject, year: int, with_unit: bool) -> list[str]:
    """The section's opening text: the status count, then a sentence per indicator; for an area, one short
    paragraph per unit naming only the indicators that miss their target (yellow or red)."""
    if not with_unit:
        sentences = [text.indicator_sentence(r, subject.name, year) for _, r in part.iterrows()]
        return [text.status_summary(part["status"].astype(str)), " ".join(sentences)]
    paragraphs = [text.status_summary(part["status"].astype(str))]
    for name, rows in part.groupby("scope_name", sort=False):
        missing = rows[rows["status"].isin(["yellow", "red"])]
        summary = text.status_summary(rows["status"].astype(str))
        lines = " ".join(text.indicator_sentence(r, str(name), year) for _, r in missing.iterrows())
        paragraphs.append(f"{name}: {summary[:1].lower()}{summary[1:]} {lines}".strip())
    return paragraphs


def focus_sections(
    reader: Reader, subject: Subject, rows: pd.DataFrame, year: int, loaded: pd.DataFrame, tertial: int | None = None
) -> list[Section]:
    """One section per focus area: drafted paragraph, the table, the trend chart, room for vurderinger."""
    with_unit = len(subject.scopes) > 1
    columns = SCORE_COLUMNS[:1] + (["Enhet"] if with_unit else []) + SCORE_COLUMNS[1:]
    sections = []
    history = queries.yearly_history(reader, [(scope, code) for scope, code, _ in subject.scopes], year, tertial)
    for area in FOCUS_AREAS:
        part = rows[rows["focus_area"] == area]
        if part.empty:
            continue
        source = text.sources_line(part, loaded)
        section = Section(
            heading=area,
            paragraphs=draft(part, subject, year, with_unit),
            tables=[
                Table(
                    f"{area}: målekort {year}",
                    columns,
                    [score_row(r, with_unit) for _, r in part.iterrows()],
                    source,
                    sheet=area,
                )
            ],
            scope=subject.dialogue_scope or ("enhet", ""),
            focus_area=area,
            indicators=[
                (
                    str(r["indicator_id"]),
                    str(r["scope_code"]),
                    str(r["period"])[:10] if pd.notna(r["period"]) else "",
                    str(r["period_after"])[:10] if pd.notna(r["period_after"]) else "",
                )
                for _, r in part.iterrows()
            ],
            year=year,
            names={**subject.unit_names, **dict(zip(part["indicator_id"], part["name"], strict=True))},
        )
        trends = _trends(history, part)
        if trends:  # the chart, and its numbers as a table
            section.charts.append(trend_chart(trends, subject, year, area, source))
            section.tables.append(trend_table(trends, subject, year, area, source))
        sections.append(section)
    return sections


def trend_chart(trends: list[Trend], subject: Subject, year: int, area: str, source: str) -> Chart:
    """The five-year trend of the focus area's indicators (`_trends`): one line per scope (the kommune, or each
    unit of an area), the target dotted where there is one line."""
    single = len(subject.scopes) == 1
    series = [(name, lines, target if single else None) for name, lines, target, _unit, _dec in trends]
    title = f"{area}: utvikling {year - 4}–{year} for {subject.name}" + (" (mål stiplet)" if single else "")
    return Chart(title, charts.trend_grid(series), source)


def trend_table(trends: list[Trend], subject: Subject, year: int, area: str, source: str) -> Table:
    """The trend chart's numbers as a table: each indicator (and unit) per year, as the chart draws them."""
    years = list(range(year - 4, year + 1))
    with_unit = len(subject.scopes) > 1
    rows = []
    for name, lines, _target, unit, dec in trends:
        for scope_name, xs, ys in lines:
            by_year = dict(zip(xs, ys, strict=True))
            cells = [text.text_cell(name)] + ([text.text_cell(scope_name)] if with_unit else [])
            rows.append(cells + [text.value_cell(by_year.get(y), unit, dec) for y in years])
    columns = ["Indikator"] + (["Enhet"] if with_unit else []) + [str(y) for y in years]
    return Table(f"{area}: utvikling {years[0]}–{year}", columns, rows, source, sheet=f"{area} utvikling")


# An indicator's trend: its name, a line (scope name, years, values) per scope, its target, unit and decimals.
Trend = tuple[str, list, float | None, str, int]


def _trends(history: pd.DataFrame, part: pd.DataFrame) -> list[Trend]:
    """Per indicator with two years or more: its name, a line (scope name, years, values) per scope, its
    target, unit of measure and decimals."""
    out = []
    for indicator, rows in part.groupby("indicator_id", sort=False):
        lines = []
        for _, r in rows.iterrows():
            h = history[(history["indicator_id"] == indicator) & (history["scope_code"] == r["scope_code"])]
            if len(h) >= 2:
                lines.append((str(r["scope_name"]), [int(y) for y in h["year"]], [text.number(v) for v in h["value"]]))
        if lines:
            first = rows.iloc[0]
            out.append(
                (
                    str(first["name"]),
                    lines,
                    text.number(first["target"]),
                    str(first["unit_of_measure"]),
                    int(first["decimals"]),
                )
            )
    return out


def kostra_section(reader: Reader, subject: Subject, year: int, rows: pd.DataFrame | None = None) -> Section | None:
    """Comparison with the KOSTRA group and the peers: rank, group, median, spread, trend; chart. `rows` is the
    subject's `queries.kostra` answer when the caller has already asked for it."""
    if rows is None:
        rows = queries.kostra(reader, [(scope, code) for scope, code, _ in subject.scopes], year)
    if rows.empty:
        return None
    if subject.indicator_filter is not None:
        rows = rows[rows["indicator_id"].isin(subject.indicator_filter) | (rows["scope"] == "enhet")]
    if rows.empty:
        return None
    source = _kostra_source(rows)
    group = next((g for g in rows["group_name"].dropna()), "KOSTRA-gruppen")
    intro = (
        f"Tabellen viser {subject.name} sammenlignet med {group} og sammenligningskommunene i {year}. "
        "Rang 1 er best gitt indikatorens retning."
    )
    return Section(
        heading="Sammenligning med KOSTRA-gruppen og sammenligningskommunene",
        paragraphs=[intro, " ".join(text.kostra_sentence(r) for _, r in rows.iterrows())],
        tables=[
            Table(
                f"KOSTRA {year}: rang og fordeling",
                KOSTRA_COLUMNS,
                _kostra_table_rows(rows, subject),
                source,
                sheet="KOSTRA",
            )
        ],
        charts=[
            Chart(
                f"KOSTRA {year}: {subject.name}, KOSTRA-gruppen og spredningen blant "
                "sammenligningskommunene (tykk strek: midterste halvdel)",
                charts.kostra_grid(_kostra_chart_rows(rows)),
                source,
            )
        ],
    )


def _kostra_table_rows(rows: pd.DataFrame, subject: Subject) -> list[list[text.Cell]]:
    """One table row per indicator (and subject): value, rank, group, peers' median and spread, trend."""
    table_rows = []
    for _, r in rows.iterrows():
        unit, dec = str(r["unit_of_measure"]), int(r["decimals"])

        rank = f"{int(r['rank'])} av {int(r['rank_of'])}" if text.present(r["rank"]) else "–"
        name = r["name"] if len(subject.scopes) == 1 else f"{r['name']} ({r['scope_name']})"
        table_rows.append(
            [
                text.text_cell(name),
                text.value_cell(r["value"], unit, dec),
                text.Cell(rank),  # «3 av 7»: the words, in Excel too (a bare 3 would lose the «av 7»)
                text.value_cell(r["group_value"], unit, dec),
                text.value_cell(r["peer_median"], unit, dec),
                text.text_cell(_between(r, "peer_q1", "peer_q3", unit, dec)),  # the chart's thick line
                text.text_cell(_between(r, "peer_min", "peer_max", unit, dec)),
                text.text_cell(r["trend"] if text.present_text(r["trend"]) else "–"),
            ]
        )
    return table_rows


def _between(r: pd.Series, low: str, high: str, unit: str, dec: int) -> str:
    """`12,1 % – 14,0 %`, or a dash when there is no spread."""
    if not text.present(r[low]):
        return "–"
    return f"{text.value_cell(r[low], unit, dec).text} – {text.value_cell(r[high], unit, dec).text}"


def _kostra_chart_rows(rows: pd.DataFrame) -> list[dict]:
    """The chart's points per indicator: the subject's value, the group's and the peers' spread."""
    return [
        {
            "name": r["name"],
            "subject": r["scope_name"],
            "value": text.number(r["value"]),
            "group_value": text.number(r["group_value"]),
            "peer_min": text.number(r["peer_min"]),
            "peer_q1": text.number(r["peer_q1"]),
            "peer_q3": text.number(r["peer_q3"]),
            "peer_max": text.number(r["peer_max"]),
        }
        for _, r in rows.iterrows()
    ]


def open_deviations(reader: Reader, unit_id: str, year: int, tertial: int | None) -> Section:
    """The unit's avvik open at the end of the period, overdue first."""
    end = queries.period_end(year, tertial)
    frame = reader.df(
        """
        SELECT deviation_id, category, severity, reported_on, due_on,
               CASE WHEN due_on < least($end, (SELECT as_of FROM deviations_as_of)) THEN
                    date_diff('day', due_on, least($end, (SELECT as_of FROM deviations_as_of))) END AS overdue
        FROM deviations
        WHERE unit_id = $unit AND reported_on < $end AND (closed_on IS NULL OR closed_on >= $end)
        ORDER BY overdue DESC NULLS LAST, reported_on
        """,
        {"unit": unit_id, "end": end},
    )
    rows = [
        [
            text.text_cell(r["deviation_id"]),
            text.text_cell(r["category"]),
            text.text_cell(r["severity"]),
            text.text_cell(format_date(r["reported_on"])),
            text.text_cell(format_date(r["due_on"]) if pd.notna(r["due_on"]) else "–"),
            text.value_cell(r["overdue"], "", 0, "red" if text.present(r["overdue"]) else None),
        ]
        for _, r in frame.iterrows()
    ]
    overdue = int(frame["overdue"].notna().sum()) if not frame.empty else 0
    para = (
        f"{len(frame)} avvik var åpne ved utgangen av perioden, {overdue} av dem over fristen."
        if len(frame)
        else "Ingen avvik var åpne ved utgangen av perioden."
    )
    return Section(
        heading="Åpne avvik",
        paragraphs=[para],
        tables=[
            Table(
                "Åpne avvik",
                ["Avvik", "Kategori", "Alvorlighet", "Meldt", "Frist", "Dager over frist"],
                rows,
                text.internal_source(["avvik"], queries.source_files(reader, year)),
                sheet="Åpne avvik",
            )
        ],
    )


def _kostra_source(rows: pd.DataFrame) -> str:
    """SSB's tables and vintage; a unit's own figure from another source (a manual figure) said apart."""
    refs = rows["source_ref"].fillna("").astype(str)
    from_ssb = refs.str.startswith("KOSTRA")
    ids = [r.split(":", 1)[-1].strip().split("/")[0] for r in refs[from_ssb]]
    vintages = [*rows.loc[from_ssb, "vintage"].dropna(), *rows["benchmark_vintage"].dropna()]
    line = text.kostra_source(ids, vintages)
    others = rows[~from_ssb & (refs != "")]
    for ref, vintage in dict.fromkeys(zip(others["source_ref"], others["vintage"].fillna(""), strict=True)):
        line += f". Enhetens tall: {ref}" + (f", {vintage}" if vintage else "")
    return line

"""The four focus-area pages (`/fokus/…`): queries on the warehouse's clean relations and pure builders.

Økonomi: budget vs actual year to date by unit, the monthly curve, the year-end forecast. Ansatte: sick leave
by unit against the same months last year; turnover, deltid, ufrivillig deltid, midlertidige; 10-FAKTOR per
unit against the kommune and all municipalities. Brukere: user survey dimensions per service and unit with
the national mean and interval. Interne prosesser: avvik and vedtak. Unit rows are limited to `visible` (from
dashboard.access); a held-back survey cell is «for få svar», never a number.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import plotly.graph_objects as go

from dashboard.analysis_tables import Table
from etl.norsk import MONTH_NAMES
from etl.store.warehouse import WarehouseReader

HELD_BACK = "for få svar"


def _units(ids: Iterable[str]) -> list[str]:
    return sorted(ids) or ["\u0000"]  # an empty IN list must still be valid SQL and match nothing


def newest_accounting_year(reader: WarehouseReader) -> int | None:
    """The newest year with anything booked."""
    frame = reader.df("SELECT max(year(period)) AS y FROM accounting WHERE actual <> 0")
    return None if frame.empty or pd.isna(frame["y"].iloc[0]) else int(frame["y"].iloc[0])


def budget_by_unit(reader: WarehouseReader, year: int, visible: Iterable[str]) -> Table:
    """Per unit: actual and budget over the booked months, the deviation, the year's budget and forecast."""
    frame = reader.df(
        """
        WITH booked AS (
            SELECT max(period) AS last FROM accounting WHERE year(period) = $year AND actual <> 0
        ),
        forecast_month AS (
            SELECT max(period) AS m FROM accounting WHERE year(period) = $year AND forecast IS NOT NULL
        )
        SELECT u.name AS unit,
               sum(a.actual) FILTER (WHERE a.period <= b.last) AS actual,
               sum(a.budget) FILTER (WHERE a.period <= b.last) AS budget,
               sum(a.budget) AS year_budget,
               sum(coalesce(a.forecast, a.annual_budget)) FILTER (WHERE a.period = f.m) AS forecast,
               count(DISTINCT a.period) AS months
        FROM accounting a
        JOIN units u USING (unit_id)
        CROSS JOIN booked b CROSS JOIN forecast_month f
        WHERE year(a.period) = $year AND a.unit_id IN $units
        GROUP BY u.name
        ORDER BY u.name
        """,
        {"year": year, "units": _units(visible)},
    )
    out = pd.DataFrame(
        {
            "Enhet": frame.get("unit", pd.Series(dtype=str)),
            "Regnskap hittil (kr)": frame.get("actual"),
            "Budsjett hittil (kr)": frame.get("budget"),
        }
    )
    if not frame.empty:
        out["Avvik (kr)"] = frame["actual"] - frame["budget"]
        out["Avvik (%)"] = 100 * out["Avvik (kr)"] / frame["budget"].abs().where(frame["budget"] != 0)
        full_year = frame["months"] == 12
        out["Årsbudsjett (kr)"] = frame["year_budget"].where(full_year)
        out["Prognose årsslutt (kr)"] = frame["forecast"]
        out["Prognoseavvik (kr)"] = frame["forecast"] - out["Årsbudsjett (kr)"]
    decimals = {c: 0 for c in out.columns if "(kr)" in c} | {"Avvik (%)": 1}
    return Table(f"Budsjett og regnskap hittil i {year} per enhet", out, decimals, f"budsjett-{year}")


def monthly_curve(reader: WarehouseReader, year: int, visible: Iterable[str]) -> Table:
    """Month by month for the units shown: actual and budget, and both accumulated through the year."""
    frame = reader.df(
        """
        SELECT month(period) AS m, sum(actual) AS actual, sum(budget) AS budget,
               max(CASE WHEN actual <> 0 THEN 1 ELSE 0 END) AS booked
        FROM accounting WHERE year(period) = $year AND unit_id IN $units
        GROUP BY m ORDER BY m
        """,
        {"year": year, "units": _units(visible)},
    )
    if frame.empty:
        return Table(f"Regnskap og budsjett per måned {year}", pd.DataFrame(columns=["Måned"]))
    last = frame.loc[frame["booked"] == 1, "m"].max()
    actual = frame["actual"].where(frame["m"] <= last)
    out = pd.DataFrame(
        {
            "Måned": [MONTH_NAMES[int(m) - 1] for m in frame["m"]],
            "Regnskap (kr)": actual,
            "Budsjett (kr)": frame["budget"],
            "Regnskap akkumulert (kr)": actual.cumsum().where(frame["m"] <= last),
            "Budsjett akkumulert (kr)": frame["budget"].cumsum(),
        }
    )
    return Table(f"Regnskap og budsjett per måned {year}", out, {c: 0 for c in out.columns if "(kr)" in c})


def curve_figure(curve: Table) -> go.Figure:
    """The accumulated actual against the accumulated budget through the year (graph_objects)."""
    fig = go.Figure(layout={"template": go.layout.Template()})
    frame = curve.frame
    for column, colour, dash in (
        ("Budsjett akkumulert (kr)", "#5f6b7a", "dash"),
        ("Regnskap akkumulert (kr)", "#17324d", "solid"),
    ):
        if column in frame:
            name = column.replace(" akkumulert (kr)", " akkumulert")
            fig.add_trace(
                go.Scatter(
                    x=list(frame["Måned"]),
                    y=list(frame[column]),
                    name=name,
                    mode="lines+markers",
                    line={"color": colour, "dash": dash, "width": 2},
                )
            )
    fig.update_layout(
        height=280,
        margin={"l": 120, "r": 10, "t": 10, "b": 40},
        separators=", ",
        legend={"orientation": "h", "y": -0.2},
        plot_bgcolor="#ffffff",
        paper_bgcolor="rgba(0,0,0,0)",
        # whole kroner with a space between thousands («500 000 000 kr»), never plotly's «500M»
        yaxis={"gridcolor": "#e6e9ee", "tickformat": ",.0f", "ticksuffix": " kr", "fixedrange": True},
        xaxis={"fixedrange": True, "type": "category"},
    )
    return fig


def sick_leave(reader: WarehouseReader, visible: Iterable[str]) -> Table:
    """Per unit, the newest year to date: sick leave in total, self-certified and doctor-certified, against
    the same months last year (percentages of possible days, summed before dividing)."""
    frame = reader.df(
        """
        WITH last AS (SELECT max(period) AS p FROM sick_leave),
        sums AS (
            SELECT s.unit_id, year(s.period) AS y,
                   sum(s.lost_days_self) AS self, sum(s.lost_days_doctor) AS doctor, sum(s.possible_days) AS possible
            FROM sick_leave s, last
            WHERE s.unit_id IN $units
              AND month(s.period) <= month(last.p) AND year(s.period) IN (year(last.p), year(last.p) - 1)
            GROUP BY ALL
        )
        SELECT u.name AS unit, (SELECT year(p) FROM last) AS y, (SELECT month(p) FROM last) AS m,
               100 * c.self / nullif(c.possible, 0) AS self_pct,
               100 * c.doctor / nullif(c.possible, 0) AS doctor_pct,
               100 * (c.self + c.doctor) / nullif(c.possible, 0) AS total_pct,
               100 * (p.self + p.doctor) / nullif(p.possible, 0) AS last_year_pct
        FROM units u
        JOIN sums c ON c.unit_id = u.unit_id AND c.y = (SELECT year(p) FROM last)
        LEFT JOIN sums p ON p.unit_id = u.unit_id AND p.y = c.y - 1
        ORDER BY u.name
        """,
        {"units": _units(visible)},
    )
    span = f"januar–{MONTH_NAMES[int(frame['m'].iloc[0]) - 1]} {int(frame['y'].iloc[0])}" if len(frame) else ""
    out = pd.DataFrame(
        {
            "Enhet": frame.get("unit"),
            "Egenmeldt (%)": frame.get("self_pct"),
            "Legemeldt (%)": frame.get("doctor_pct"),
            "Totalt (%)": frame.get("total_pct"),
            "Samme periode i fjor (%)": frame.get("last_year_pct"),
        }
    )
    if len(frame):
        out["Endring (%-poeng)"] = out["Totalt (%)"] - out["Samme periode i fjor (%)"]
    return Table(f"Sykefravær {span}".strip(), out, {c: 1 for c in out.columns if c != "Enhet"}, "sykefravaer")


STAFF_MEASURES = {
    "staff:employees": ("Ansatte", 0),
    "staff:fte": ("Årsverk", 1),
    "staff:turnover": ("Turnover (%)", 1),
    "staff:full_time_share": ("Heltid (%)", 1),
    "staff:involuntary_part_time_share": ("Ufrivillig deltid (%)", 1),
    "staff:temporary_share": ("Midlertidige (%)", 1),
}


def staff(reader: WarehouseReader, visible: Iterable[str], kommune: str) -> Table:
    """Per unit and for the kommune, the newest year: headcount, årsverk, turnover, heltid/deltid, midlertidige
    (the warehouse's own staff measures, so the figures are the scorecard's)."""
    frame = reader.df(
        """
        WITH m AS (
            SELECT * FROM measures_staff WHERE lower(source_ref) IN $measures AND period_type = 'year'
        ), y AS (SELECT max(period) AS p FROM m)
        SELECT CASE WHEN m.scope = 'kommune' THEN $kommune ELSE u.name END AS unit, m.scope,
               lower(m.source_ref) AS measure, m.value, year(m.period) AS year
        FROM m JOIN y ON m.period = y.p
        LEFT JOIN units u ON m.scope = 'enhet' AND u.unit_id = m.scope_code
        WHERE m.scope = 'kommune' OR m.scope_code IN $units
        """,
        {"measures": list(STAFF_MEASURES), "units": _units(visible), "kommune": kommune},
    )
    if frame.empty:
        return Table("Ansatte", pd.DataFrame(columns=["Enhet"]))
    wide = frame.pivot_table(index=["scope", "unit"], columns="measure", values="value", aggfunc="first").reset_index()
    wide = wide.sort_values(
        ["scope", "unit"], key=lambda s: s.map({"kommune": "0"}).fillna(s) if s.name == "scope" else s
    )
    out = pd.DataFrame({"Enhet": wide["unit"]})
    for measure, (label, _) in STAFF_MEASURES.items():
        out[label] = wide.get(measure)
    year = int(frame["year"].iloc[0])
    return Table(
        f"Ansatte, heltid og turnover {year}", out, {label: d for label, d in STAFF_MEASURES.values()}, "ansatte"
    )


def employee_survey(reader: WarehouseReader, visible: Iterable[str], kommune: str) -> Table:
    """10-FAKTOR, the newest year: each factor per unit, the kommune and the all-municipality mean; a unit held
    back for too few answers is «for få svar» in every cell, never a number."""
    frame = reader.df(
        """
        WITH y AS (SELECT max(year) AS y FROM employee_survey),
        held AS (
            SELECT DISTINCT scope_code AS unit_id FROM held_back, y
            WHERE source = 'medarbeiderundersøkelse' AND args IS NOT NULL AND scope = 'enhet' AND year(period) = y.y
        )
        SELECT e.factor, coalesce(u.name, $kommune) AS unit, e.unit_id, e.mean, e.benchmark_mean, e.year
        FROM employee_survey e JOIN y ON e.year = y.y
        LEFT JOIN units u USING (unit_id)
        WHERE e.unit_id IS NULL OR e.unit_id IN $units
        UNION ALL
        SELECT NULL, u.name, h.unit_id, NULL, NULL, (SELECT y FROM y)
        FROM held h JOIN units u USING (unit_id)
        WHERE h.unit_id IN $units AND h.unit_id NOT IN (SELECT DISTINCT unit_id FROM employee_survey, y
                                                       WHERE year = y.y AND unit_id IS NOT NULL)
        """,
        {"units": _units(visible), "kommune": kommune},
    )
    if frame.empty:
        return Table("10-FAKTOR", pd.DataFrame(columns=["Faktor"]))
    year = int(frame["year"].dropna().iloc[0])
    factors = sorted(f for f in frame["factor"].dropna().unique())
    bench = frame.dropna(subset=["factor"]).groupby("factor")["benchmark_mean"].first()
    out = pd.DataFrame({"Faktor": [f.replace("_", " ").capitalize() for f in factors]})
    out[kommune] = [_cell(frame, None, f) for f in factors]
    out["Alle kommuner"] = [bench.get(f) for f in factors]
    for unit_id, name in (
        frame.dropna(subset=["unit_id"])[["unit_id", "unit"]]
        .drop_duplicates()
        .sort_values("unit")
        .itertuples(index=False)
    ):
        out[name] = [_cell(frame, unit_id, f) for f in factors]
    decimals = {c: 1 for c in out.columns if c != "Faktor"}
    return Table(f"10-FAKTOR {year}: snitt per faktor (skala 1–5)", out, decimals, f"10-faktor-{year}")


def _cell(frame: pd.DataFrame, unit_id: str | None, factor: str) -> float | str:
    unit_rows = frame[frame["unit_id"].isna()] if unit_id is None else frame[frame["unit_id"] == unit_id]
    hit = unit_rows[unit_rows["factor"] == factor]
    if len(hit) and not pd.isna(hit["mean"].iloc[0]):
        return float(hit["mean"].iloc[0])
    return HELD_BACK if unit_id is not None else "–"


def user_survey(reader: WarehouseReader, visible: Iterable[str], kommune: str) -> Table:
    """The user surveys' newest year per service: every dimension for the kommune and each unit, with the
    confidence interval, n and the national mean; held-back units as «for få svar»."""
    frame = reader.df(
        """
        WITH y AS (SELECT service, max(year) AS y FROM user_survey GROUP BY service),
        shown AS (
            SELECT s.service, s.dimension, s.unit_id, coalesce(u.name, $kommune) AS unit, s.mean, s.ci_low,
                   s.ci_high, s.respondents, s.national_mean, s.year, NULL AS note
            FROM user_survey s JOIN y ON y.service = s.service AND y.y = s.year
            LEFT JOIN units u USING (unit_id)
            WHERE s.unit_id IS NULL OR s.unit_id IN $units
        ),
        held AS (
            SELECT h.args[1] AS service, h.args[2] AS dimension, h.scope_code AS unit_id, u.name AS unit,
                   year(h.period) AS year, h.reason AS note
            FROM held_back h JOIN units u ON u.unit_id = h.scope_code
            WHERE h.source = 'brukerundersøkelse' AND h.args IS NOT NULL AND h.scope = 'enhet'
              AND h.scope_code IN $units
        )
        SELECT * FROM shown
        UNION ALL BY NAME
        SELECT h.* FROM held h JOIN y ON y.service = h.service AND y.y = h.year
        ORDER BY service, dimension, unit_id NULLS FIRST, unit
        """,
        {"units": _units(visible), "kommune": kommune},
    )
    out = pd.DataFrame(
        {
            "Tjeneste": frame.get("service"),
            "Dimensjon": frame.get("dimension"),
            "År": frame["year"].map(lambda y: "" if pd.isna(y) else str(int(y))) if "year" in frame else None,
            "Gjelder": frame.get("unit"),
            "Snitt": frame.get("mean"),
            "Fra (95 %)": frame.get("ci_low"),
            "Til (95 %)": frame.get("ci_high"),
            "Antall svar": frame.get("respondents"),
            "Landssnitt": frame.get("national_mean"),
            "Merknad": frame.get("note").map(lambda n: HELD_BACK if isinstance(n, str) else "")
            if "note" in frame
            else None,
        }
    )
    decimals = {"Snitt": 1, "Fra (95 %)": 1, "Til (95 %)": 1, "Antall svar": 0, "Landssnitt": 1}
    return Table("Brukerundersøkelser, nyeste år per tjeneste", out, decimals, "brukerundersokelser")


def survey_figure(survey: Table, subject: str) -> go.Figure | None:
    """One service's dimensions for `subject` (the kommune or a unit): the mean with its 95 % interval as a
    bar, the national mean as a diamond beside it. None when the subject has no figure to draw."""
    frame = survey.frame
    if frame.empty or "Gjelder" not in frame:
        return None
    rows = frame[(frame["Gjelder"] == subject) & frame["Snitt"].notna()]
    if rows.empty:
        return None
    labels = [f"{service}: {dimension}" for service, dimension in zip(rows["Tjeneste"], rows["Dimensjon"], strict=True)]
    fig = go.Figure(layout={"template": go.layout.Template()})
    fig.add_trace(
        go.Scatter(
            x=list(rows["Snitt"]),
            y=labels,
            mode="markers",
            name=subject,
            marker={"color": "#17324d", "size": 9},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": list(rows["Til (95 %)"] - rows["Snitt"]),
                "arrayminus": list(rows["Snitt"] - rows["Fra (95 %)"]),
                "color": "#5f6b7a",
            },
        )
    )
    national = rows["Landssnitt"]
    if national.notna().any():
        fig.add_trace(
            go.Scatter(
                x=list(national),
                y=labels,
                mode="markers",
                name="Landssnitt",
                marker={"color": "#b45309", "symbol": "diamond-open", "size": 10, "line": {"width": 2}},
            )
        )
    fig.update_layout(
        height=120 + 28 * len(labels),
        margin={"l": 10, "r": 10, "t": 10, "b": 40},
        separators=", ",
        legend={"orientation": "h", "y": -0.08, "yanchor": "top"},
        plot_bgcolor="#ffffff",
        paper_bgcolor="rgba(0,0,0,0)",
        xaxis={"gridcolor": "#e6e9ee", "fixedrange": True, "title": {"text": "Snitt (skala 1–6 eller 1–5)"}},
        yaxis={"autorange": "reversed", "automargin": True, "fixedrange": True, "type": "category"},
    )
    return fig


def deviations_summary(reader: WarehouseReader, visible: Iterable[str]) -> Table:
    """Avvik per unit and category: open, open past the deadline, closed, and closed by the deadline."""
    frame = reader.df(
        """
        SELECT u.name AS unit, d.category,
               count(*) FILTER (WHERE d.closed_on IS NULL) AS open,
               count(o.deviation_id) AS overdue,
               count(d.closed_on) AS closed,
               count(*) FILTER (WHERE d.closed_on IS NOT NULL AND (d.due_on IS NULL OR d.closed_on <= d.due_on))
                   AS closed_on_time
        FROM deviations d JOIN units u USING (unit_id)
        LEFT JOIN deviations_overdue o USING (deviation_id)
        WHERE d.unit_id IN $units
        GROUP BY ALL ORDER BY u.name, d.category
        """,
        {"units": _units(visible)},
    )
    out = pd.DataFrame(
        {
            "Enhet": frame.get("unit"),
            "Kategori": frame.get("category"),
            "Åpne": frame.get("open"),
            "Åpne over frist": frame.get("overdue"),
            "Lukket": frame.get("closed"),
            "Lukket innen frist": frame.get("closed_on_time"),
        }
    )
    if len(frame):
        out["Lukket innen frist (%)"] = 100 * frame["closed_on_time"] / frame["closed"].where(frame["closed"] > 0)
    decimals = {"Åpne": 0, "Åpne over frist": 0, "Lukket": 0, "Lukket innen frist": 0, "Lukket innen frist (%)": 1}
    return Table("Avvik per enhet og kategori", out, decimals, "avvik")


def decisions(reader: WarehouseReader, visible: Iterable[str]) -> Table:
    """Every vedtak with its status, deadline and days overdue (vedtak for units not shown are left out)."""
    frame = reader.df(
        """
        SELECT d.case_no, d.committee, d.meeting_date, d.title, coalesce(u.name, '–') AS unit, d.due_on,
               d.status, o.days_overdue
        FROM decisions d LEFT JOIN units u USING (unit_id)
        LEFT JOIN decisions_overdue o USING (case_no)
        WHERE d.unit_id IS NULL OR d.unit_id IN $units
        ORDER BY o.days_overdue DESC NULLS LAST, d.meeting_date DESC
        """,
        {"units": _units(visible)},
    )
    fmt = lambda s: s.map(lambda v: "" if pd.isna(v) else pd.Timestamp(v).strftime("%d.%m.%Y"))  # noqa: E731
    out = pd.DataFrame(
        {
            "Saksnr": frame.get("case_no"),
            "Utvalg": frame.get("committee"),
            "Møtedato": fmt(frame["meeting_date"]) if len(frame) else None,
            "Tittel": frame.get("title"),
            "Ansvarlig enhet": frame.get("unit"),
            "Frist": fmt(frame["due_on"]) if len(frame) else None,
            "Status": frame.get("status"),
            "Dager over frist": frame.get("days_overdue"),
        }
    )
    return Table("Politiske vedtak: status og frister", out, {"Dager over frist": 0}, "vedtak")

"""Arbeidsgiverrapport: sick leave, årsverk and ansatte, turnover, heltid/deltid, midlertidige,
kjønnsbalanse, and 10-FAKTOR per factor and unit (held-back units as «for få svar»)."""

from __future__ import annotations

import pandas as pd

from dashboard.reports import charts, queries, text
from dashboard.reports.model import Chart, Section, Table
from dashboard.reports.queries import Reader
from dashboard.reports.request import ReportRequest, Subject
from etl.norsk import format_count

FACTORS = {
    "oppgavemotivasjon": "Oppgavemotivasjon",
    "mestringstro": "Mestringstro",
    "selvstendighet": "Selvstendighet",
    "bruk_av_kompetanse": "Bruk av kompetanse",
    "mestringsorientert_ledelse": "Mestringsorientert ledelse",
    "rolleklarhet": "Rolleklarhet",
    "relevant_kompetanseutvikling": "Relevant kompetanseutvikling",
    "fleksibilitetsvilje": "Fleksibilitetsvilje",
    "mestringsklima": "Mestringsklima",
    "nyttemotivasjon": "Nyttemotivasjon",
}
STAFF = [  # measure, column heading, decimals
    ("staff:employees", "Ansatte", 0),
    ("staff:fte", "Årsverk", 1),
    ("staff:turnover", "Turnover %", 1),
    ("staff:full_time_share", "Heltid %", 1),
    ("staff:involuntary_part_time_share", "Ufrivillig deltid %", 1),
    ("staff:temporary_share", "Midlertidige %", 1),
    ("staff:women_share", "Kvinner %", 0),
]


def sick_leave(
    reader: Reader, year: int, start_month: int = 1, end_month: int = 12, units: list[str] | None = None
) -> pd.DataFrame:
    """Sick leave per unit (`scope` enhet), for the kommune (`kommune`) and for `units` together (`units`, an
    area's total) in months of a year and the same months a year earlier: total, egenmeldt, legemeldt in % of
    possible days (sums of days, never means of %). A row only where the year itself has days."""
    return reader.df(
        """
        WITH rows AS (  -- the periods within the months (a quarter only whole), a unit's months before its quarters
            SELECT year(period) AS year, unit_id, possible_days, lost_days_self, lost_days_doctor FROM sick_leave s
            WHERE year(period) IN ($year, $year - 1) AND month(period) >= $m1
              AND period_after(period, period_type) <= make_date(year(period), $m2, 1) + INTERVAL 1 MONTH
              AND NOT (period_type = 'quarter' AND EXISTS (
                  SELECT 1 FROM sick_leave m WHERE m.period_type = 'month' AND m.unit_id IS NOT DISTINCT FROM s.unit_id
                    AND year(m.period) = year(s.period) AND month(m.period) BETWEEN $m1 AND $m2))
        ),
        scoped AS (
            SELECT year, 'enhet' AS scope, unit_id, sum(possible_days) AS p, sum(lost_days_self) AS s,
                   sum(lost_days_doctor) AS d
            FROM rows WHERE unit_id IS NOT NULL GROUP BY ALL
            UNION ALL
            SELECT year, 'kommune', NULL, sum(possible_days), sum(lost_days_self), sum(lost_days_doctor)
            FROM rows GROUP BY year
            UNION ALL
            SELECT year, 'units', NULL, sum(possible_days), sum(lost_days_self), sum(lost_days_doctor)
            FROM rows WHERE list_contains($units, unit_id) GROUP BY year
        )
        SELECT scope, unit_id,
               max((s + d) / nullif(p, 0) * 100) FILTER (WHERE year = $year) AS total,
               max(s / nullif(p, 0) * 100) FILTER (WHERE year = $year) AS self,
               max(d / nullif(p, 0) * 100) FILTER (WHERE year = $year) AS doctor,
               max((s + d) / nullif(p, 0) * 100) FILTER (WHERE year = $year - 1) AS last_year
        FROM scoped GROUP BY scope, unit_id
        HAVING count(*) FILTER (WHERE year = $year) > 0
        """,
        {"year": year, "m1": start_month, "m2": end_month, "units": units or []},
    )


def unit_rows(frame: pd.DataFrame, who: Subject, kommune: str) -> list[tuple[str, pd.Series]]:
    """The subject's units in order, then its total: the kommune's row in a whole-kommune report, the units'
    row (`scope` units) in an area's report; the total last, as the drafted text reads it."""
    out = []
    units = frame[frame["scope"] == "enhet"]
    for unit_id in who.unit_ids:
        match = units[units["unit_id"] == unit_id]
        if not match.empty:
            out.append((who.unit_names[unit_id], match.iloc[0]))
    if who.whole_kommune:
        total = frame[frame["scope"] == "kommune"]
        if not total.empty:
            out.append((f"{kommune} i alt", total.iloc[0]))
    else:  # the units listed together, where there are two or more
        together = frame[frame["scope"] == "units"]
        if not together.empty and len(out) > 1:
            out.append((f"{who.name} i alt", together.iloc[0]))
    return out


def sick_leave_section(
    reader: Reader,
    who: Subject,
    year: int,
    kommune: str,
    loaded: pd.DataFrame,
    months: tuple[int, int] = (1, 12),
    label: str = "",
) -> Section | None:
    """Sick leave per unit vs the same period last year, with a chart."""
    frame = sick_leave(reader, year, *months, units=who.unit_ids)
    rows = unit_rows(frame, who, kommune) if not frame.empty else []
    period = label or str(year)
    if not rows:
        return Section(heading="Sykefravær", paragraphs=[f"Det er ikke lastet sykefravær for {period}."])
    table_rows = [
        [
            text.text_cell(name),
            text.value_cell(r["total"], "%", 1),
            text.value_cell(r["self"], "%", 1),
            text.value_cell(r["doctor"], "%", 1),
            text.value_cell(r["last_year"], "%", 1),
            text.text_cell(text.change_text(text.number(r["total"]), text.number(r["last_year"]), "%", 1)),
        ]
        for name, r in rows
    ]
    name, first = rows[-1]
    para = _sick_sentence(name, first, period)
    source = text.internal_source(["sykefravær"], loaded)
    return Section(
        heading="Sykefravær",
        paragraphs=[para + " " + kostra_note(reader, year)],
        tables=[
            Table(
                f"Sykefravær {period}",
                ["Enhet", "Totalt", "Egenmeldt", "Legemeldt", "Året før", "Endring"],
                table_rows,
                source,
                sheet="Sykefravær",
            )
        ],
        charts=[
            Chart(
                f"Sykefravær totalt per enhet, {period}",
                charts.unit_bars(
                    [n for n, _ in rows], [text.number(r["total"]) for _, r in rows], None, "Sykefravær %"
                ),
                source,
            )
        ],
    )


def kostra_note(reader: Reader, year: int) -> str:
    """Sick leave against the KOSTRA group where the catalogue has a KOSTRA sick-leave figure, or saying not."""
    meta = queries.meta(reader)
    rows = queries.kostra(reader, [("kommune", meta.get("kommune_code", ""))], year)
    rows = rows[rows["name"].str.lower().str.contains("sykefravær")] if not rows.empty else rows
    if rows.empty:
        return "Katalogen har ingen KOSTRA-tall for sykefravær å sammenligne med KOSTRA-gruppen."
    return " ".join(text.kostra_sentence(r) for _, r in rows.iterrows())


def _sick_sentence(name: str, r: pd.Series, period: str) -> str:
    total, before = text.number(r["total"]), text.number(r["last_year"])
    sentence = f"Sykefraværet for {name} var {text.value_cell(total, '%', 1).text} i {period}"
    if total is not None and before is not None:
        diff = total - before
        if round(diff, 1) == 0:
            sentence += ", det samme som samme periode året før"
        else:
            word = "høyere" if diff > 0 else "lavere"
            sentence += f", {text.change_text(abs(diff), 0.0, '%', 1).lstrip('+')} {word} enn samme periode året før"
    self_text, doctor_text = text.value_cell(r["self"], "%", 1).text, text.value_cell(r["doctor"], "%", 1).text
    return sentence + f" (egenmeldt {self_text}, legemeldt {doctor_text})."


def staff_section(reader: Reader, who: Subject, year: int, kommune: str, loaded: pd.DataFrame) -> Section | None:
    """Årsverk, ansatte, turnover, heltid, ufrivillig deltid, midlertidige and kjønnsbalanse per unit."""
    frame = reader.df(
        "SELECT source_ref, scope, scope_code, value, numerator, denominator FROM measures_staff "
        "WHERE year(period) = $year",
        {"year": year},
    )
    if frame.empty:
        return None
    ours = frame[(frame["scope"] == "enhet") & frame["scope_code"].isin(who.unit_ids)]
    sums = ours.groupby("source_ref")[["value", "numerator", "denominator"]].sum(min_count=1)
    # the units together (an area's total): counts added up, shares from their summed numerators and denominators
    together = [
        {
            "source_ref": ref,
            "scope": "units",
            "scope_code": "",
            "value": v if pd.isna(d) else n / d * 100 if d else None,
        }
        for ref, v, n, d in zip(sums.index, sums["value"], sums["numerator"], sums["denominator"], strict=True)
    ]
    frame = pd.concat([frame[["source_ref", "scope", "scope_code", "value"]], pd.DataFrame(together)])
    wide = frame.pivot_table(index=["scope", "scope_code"], columns="source_ref", values="value").reset_index()
    wide["unit_id"] = [c if s == "enhet" else None for s, c in zip(wide["scope"], wide["scope_code"], strict=True)]
    rows = unit_rows(wide, who, kommune)
    if not rows:
        return None
    table_rows = [
        [text.text_cell(name)] + [text.value_cell(r.get(ref), "", dec) for ref, _, dec in STAFF] for name, r in rows
    ]
    name, total = rows[-1]
    para = (
        f"{name} hadde {text.value_cell(total.get('staff:employees'), '', 0).text} ansatte og "
        f"{text.value_cell(total.get('staff:fte'), '', 1).text} årsverk ved utgangen av {year}. Turnover var "
        f"{text.value_cell(total.get('staff:turnover'), '%', 1).text}, andelen i heltid "
        f"{text.value_cell(total.get('staff:full_time_share'), '%', 1).text}, ufrivillig deltid "
        f"{text.value_cell(total.get('staff:involuntary_part_time_share'), '%', 1).text}, midlertidige "
        f"{text.value_cell(total.get('staff:temporary_share'), '%', 1).text} og andelen kvinner "
        f"{text.value_cell(total.get('staff:women_share'), '%', 0).text}."
    )
    return Section(
        heading="Årsverk, ansatte, turnover, heltid og kjønnsbalanse",
        paragraphs=[para],
        tables=[
            Table(
                f"Ansatte og årsverk {year}",
                ["Enhet"] + [h for _, h, _ in STAFF],
                table_rows,
                text.internal_source(["personal"], loaded),
                sheet="Ansatte",
            )
        ],
    )


def tenfactor_section(reader: Reader, who: Subject, year: int, kommune: str, loaded: pd.DataFrame) -> Section | None:
    """10-FAKTOR per factor (rows) and unit (columns); a held-back unit says «for få svar», never a number."""
    values, total, held = _tenfactor_results(reader, year)
    if values.empty and held.empty:
        return None
    units = [
        u
        for u in who.unit_ids
        if (not values.empty and u in set(values["unit_id"])) or (not held.empty and u in set(held["unit_id"]))
    ]
    show_total = who.whole_kommune
    held_keys = {
        (None if u is None or u != u else u, r)
        for u, r in zip(held.get("unit_id", []), held.get("factor", []), strict=True)
    }
    rows = _tenfactor_rows(values, total, units, held_keys, show_total)
    columns = ["Faktor"] + [who.unit_names[u] for u in units] + ([kommune] if show_total else [])
    n_held = len({u for u, _ in held_keys if u in units})
    para = f"Tabellen viser snittet per faktor på skalaen 1–5 for {year}. Endringer på rundt ±0,1 er innenfor støyen. "
    para += (
        f"{format_count(n_held, 'enhet', 'enheter')} har for få svar til at resultatet kan vises («for få svar»)."
        if n_held
        else "Alle enhetene har nok svar til at resultatet kan vises."
    )
    return Section(
        heading="10-FAKTOR medarbeiderundersøkelse",
        paragraphs=[para],
        tables=[
            Table(
                f"10-FAKTOR {year} per faktor og enhet",
                columns,
                rows,
                text.internal_source(["medarbeiderundersøkelse"], loaded),
                sheet="10-FAKTOR",
            )
        ],
    )


def _tenfactor_results(reader: Reader, year: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The year's 10-FAKTOR means per unit and factor, the kommune's per factor, and the (unit, factor) pairs
    held back for too few answers."""
    values = reader.df(
        "SELECT unit_id, factor, mean FROM employee_survey WHERE year = $year AND unit_id IS NOT NULL", {"year": year}
    )
    total = reader.df(
        "SELECT args[1] AS factor, value FROM measures_employee_survey "
        "WHERE year(period) = $year AND scope = 'kommune'",
        {"year": year},
    )
    held = reader.df(
        "SELECT DISTINCT unit_id, args[1] AS factor FROM anonymity_held WHERE source = 'medarbeiderundersøkelse' "
        "AND year(period) = $year",
        {"year": year},
    )
    return values, total, held


def _tenfactor_rows(
    values: pd.DataFrame, total: pd.DataFrame, units: list[str], held_keys: set, show_total: bool
) -> list[list[text.Cell]]:
    """One row per factor: its mean per unit (or «for få svar»), then the kommune's when it is shown."""
    rows = []
    for factor, label in FACTORS.items():
        row = [text.text_cell(label)]
        for u in units:
            v = values[(values["unit_id"] == u) & (values["factor"] == factor)]["mean"]
            if (u, factor) in held_keys or v.empty:
                row.append(text.held_cell() if (u, factor) in held_keys else text.text_cell("–"))
            else:
                row.append(text.value_cell(v.iloc[0], "", 1))
        if show_total and (None, factor) in held_keys:
            row.append(text.held_cell())
        elif show_total:
            t = total[total["factor"] == factor]["value"] if not total.empty else total
            row.append(text.value_cell(t.iloc[0] if len(t) else None, "", 1))
        rows.append(row)
    return rows


def arbeidsgiverrapport(reader: Reader, request: ReportRequest, who: Subject) -> list[Section]:
    """The yearly employer report (AMU and formannskapet)."""
    kommune = queries.meta(reader).get("kommune_name", "Kommunen")
    loaded = queries.source_files(reader, request.year)
    parts = [
        sick_leave_section(reader, who, request.year, kommune, loaded),
        staff_section(reader, who, request.year, kommune, loaded),
        tenfactor_section(reader, who, request.year, kommune, loaded),
    ]
    return [p for p in parts if p is not None]

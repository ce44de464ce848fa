"""Styringshjulet (the governing document's yearly cycle, ch. 8.4) and the freshness of each source.

Pure functions of the warehouse's `source_coverage` (what each source covers and when it was loaded), the
settings (the due dates, `due_*`) and today's date: when each source is due this year and whether it has
arrived, is late or is stale, when each report is due, and per source whether its newest data is older than
its rhythm allows. Status is always a word, never a colour alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from dashboard.analysis_tables import Table
from etl.norsk import format_date
from etl.settings import Settings
from etl.spec import stored_specs
from etl.store.warehouse import WarehouseReader

STATE_TEXT = {"ok": "Kommet", "late": "Forsinket", "stale": "Utdatert", "waiting": "Ikke forfalt ennå"}
REPORT_TEXT = {"ok": "Fristen er passert", "waiting": "Kommende frist"}
TERTIAL_ENDS = ((4, 30), (8, 31), (12, 31))


@dataclass(frozen=True)
class Due:
    """One due date in the cycle: a source that should have arrived, or a report that should be made."""

    day: dt.date
    what: str
    kind: str  # "kilde" or "rapport"
    expects: str = ""
    state: str = "waiting"  # ok, late, stale, waiting
    latest: str = ""


def coverage(reader: WarehouseReader) -> pd.DataFrame:
    """What the warehouse holds of each source (`source_coverage`); empty before anything is loaded."""
    return reader.df("SELECT * FROM source_coverage ORDER BY kind, detail")


def day_of(text: str, year: int) -> dt.date:
    """`"15.03"` in a year → 15 March that year (29.02 falls back to 28.02)."""
    day, month = (int(x) for x in text.strip().split("."))
    try:
        return dt.date(year, month, day)
    except ValueError:
        return dt.date(year, month, 28)


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` earlier (clamped to the month's length)."""
    return (pd.Timestamp(day) - pd.DateOffset(months=months)).date()


def tertial_end_before(day: dt.date) -> dt.date:
    """The last tertial's end (30.04, 31.08, 31.12) before a day: what the accounts due then must cover."""
    ends = [dt.date(y, m, d) for y in (day.year - 1, day.year) for m, d in TERTIAL_ENDS]
    return max(e for e in ends if e < day)


def _state(have: dt.date | None, expected: dt.date, due: dt.date, today: dt.date, grace_months: int) -> str:
    if due > today:
        return "ok" if have is not None and have >= expected else "waiting"
    if have is not None and have >= expected:
        return "ok"
    if have is not None and have >= months_before(expected, grace_months):
        return "late"
    return "stale"


def _row(cov: pd.DataFrame, kind: str, detail: str | None = None) -> dict | None:
    rows = (
        cov[(cov["kind"] == kind) & ((cov["detail"] == detail) if detail else cov["detail"].isna())]
        if len(cov)
        else cov
    )
    return rows.iloc[0].to_dict() if len(rows) else None


def _date(value: object) -> dt.date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def _latest_text(row: dict | None) -> str:
    if row is None:
        return "aldri lastet"
    text = f"data til {format_date(_date(row['covered_to']))}"
    return f"{text} ({row['vintage']})" if isinstance(row.get("vintage"), str) else text


def source_dues(settings: Settings, cov: pd.DataFrame, today: dt.date) -> list[Due]:
    """Every source's due dates this year, each with whether what it should bring has arrived."""
    year, dues = today.year, []
    kostra = _row(cov, "kostra")
    kostra_to = _date(kostra["covered_to"]) if kostra else None
    final = kostra_to if kostra and str(kostra.get("vintage") or "").startswith("endelige") else None
    final = final or (dt.date(kostra_to.year - 1, 12, 31) if kostra_to else None)
    for text, label, have in (
        (settings.due_kostra_preliminary, "KOSTRA foreløpige tall", kostra_to),
        (settings.due_kostra_final, "KOSTRA endelige tall", final),
    ):
        due = day_of(text, year)
        expected = dt.date(year - 1, 12, 31)
        dues.append(
            Due(
                due,
                label,
                "kilde",
                f"tall for {year - 1}",
                _state(have, expected, due, today, 12),
                _latest_text(kostra),
            )
        )
    for kind, days, label, grace in (
        ("regnskap", settings.due_accounts, "Regnskap per tertial", 4),
        ("avvik", settings.due_deviations, "Uttrekk fra avvikssystemet", 4),
        ("vedtak", settings.due_decisions, "Uttrekk av vedtaksoppfølging", 6),
    ):
        row = _row(cov, kind)
        have = _date(row["covered_to"]) if row and kind == "regnskap" else _date(row["last_loaded_at"]) if row else None
        for text in days:
            due = day_of(text, year)
            expected = tertial_end_before(due)
            expects = (
                f"til og med {format_date(expected)}" if kind == "regnskap" else f"lastet etter {format_date(expected)}"
            )
            dues.append(Due(due, label, "kilde", expects, _state(have, expected, due, today, grace), _latest_text(row)))
    dues += _survey_dues(settings, cov, today)
    return sorted(dues, key=lambda d: (d.day, d.what))


def _survey_dues(settings: Settings, cov: pd.DataFrame, today: dt.date) -> list[Due]:
    year, dues = today.year, []
    services = [str(s) for s in cov.loc[cov["kind"] == "brukerundersøkelse", "detail"]] if len(cov) else []
    due = day_of(settings.due_user_surveys, year)
    for service in services or [None]:
        row = _row(cov, "brukerundersøkelse", service) if service else None
        have = _date(row["covered_to"]) if row else None
        label = f"Brukerundersøkelse {service}" if service else "Brukerundersøkelser"
        dues.append(
            Due(
                due,
                label,
                "kilde",
                f"svar fra {year}",
                _state(have, dt.date(year, 12, 31), due, today, 12),
                _latest_text(row),
            )
        )
    every = max(1, settings.employee_survey_every_years)
    row = _row(cov, "medarbeiderundersøkelse")
    have = _date(row["covered_to"]) if row else None
    due = day_of(settings.due_employee_survey, year)
    expected = dt.date(year - every + 1, 12, 31)
    expects = f"svar fra {year - every + 1} eller senere (hvert {every}. år)"
    dues.append(
        Due(
            due,
            "Medarbeiderundersøkelsen 10-FAKTOR",
            "kilde",
            expects,
            _state(have, expected, due, today, 12 * every),
            _latest_text(row),
        )
    )
    return dues


def report_dues(settings: Settings, today: dt.date) -> list[Due]:
    """The reports' due dates this year: tertialrapporter, tjenesterapporter, arbeidsgiverrapport, vedtak."""
    items: list[tuple[Iterable[str], str]] = [
        (settings.due_report_tertial, "Tertialrapport"),
        ((settings.due_report_services,), "Tjenesterapporter"),
        ((settings.due_report_employer,), "Arbeidsgiverrapport"),
        (settings.due_report_decisions, "Rapport om status for politiske vedtak"),
    ]
    dues = []
    for days, label in items:
        for n, text in enumerate(days, 1):
            due = day_of(text, today.year)
            what = f"{n}. {label.lower()}" if len(tuple(days)) > 1 and label == "Tertialrapport" else label
            dues.append(Due(due, what, "rapport", state="ok" if due <= today else "waiting"))
    return sorted(dues, key=lambda d: (d.day, d.what))


def cycle_table(dues: list[Due], year: int) -> Table:
    """The cycle as a table: due date, what, source or report, what it should bring, status, newest data."""
    frame = pd.DataFrame(
        {
            "Frist": [format_date(d.day) for d in dues],
            "Hva": [d.what for d in dues],
            "Type": ["Kilde" if d.kind == "kilde" else "Rapport" for d in dues],
            "Skal gi": [d.expects or "–" for d in dues],
            "Status": [(STATE_TEXT if d.kind == "kilde" else REPORT_TEXT)[d.state] for d in dues],
            "Siste data": [d.latest or "–" for d in dues],
        }
    )
    return Table(f"Styringshjulet {year}", frame, filename=f"styringshjul-{year}")


def freshness(cov: pd.DataFrame, today: dt.date) -> Table:
    """Per source: the period covered, when it was loaded, its vintage, and whether it is too old."""
    records = []
    for row in cov.to_dict("records") if len(cov) else []:
        kind, to = str(row["kind"]), _date(row["covered_to"])
        spec = stored_specs().get(kind)  # each kind's spec names it and says how old its data may be
        limit = spec.max_age_months if spec else 14
        stale = to is not None and to < months_before(today, limit)
        name = spec.freshness_label or spec.label if spec else kind
        label = name + (f": {row['detail']}" if isinstance(row.get("detail"), str) else "")
        loaded = pd.Timestamp(row["last_loaded_at"]) if not pd.isna(row["last_loaded_at"]) else None
        records.append(
            {
                "Kilde": label,
                "Fra": format_date(_date(row["covered_from"])),
                "Til": format_date(to),
                "Sist lastet": f"{format_date(loaded)} kl. {loaded:%H:%M}" if loaded is not None else "–",
                "Datagrunnlag": row["vintage"] if isinstance(row.get("vintage"), str) else "–",
                "Status": f"Utdatert: eldre enn {limit} måneder" if stale else "Oppdatert",
            }
        )
    columns = ["Kilde", "Fra", "Til", "Sist lastet", "Datagrunnlag", "Status"]
    return Table("Ferskhet per kilde", pd.DataFrame.from_records(records, columns=columns), filename="ferskhet")

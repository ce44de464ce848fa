"""Styringshjul and the Data page's pure parts: due dates and states, freshness, upload checks and names."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from dashboard import cycle_view
from dashboard import data_page_view as view
from etl.inbox import inbox_files
from etl.settings import Settings, load_settings
from etl.store.warehouse import WarehouseReader
from tests.helpers import query, write_csv


def coverage_of(kind: str, to: dt.date, loaded: dt.datetime, vintage: str | None = None, detail: str | None = None):
    return {
        "kind": kind,
        "detail": detail,
        "covered_from": dt.date(2021, 1, 1),
        "covered_to": to,
        "vintage": vintage,
        "last_loaded_at": loaded,
        "files": 1,
    }


def dues_by_name(settings: Settings, cov: pd.DataFrame, today: dt.date) -> dict[tuple[str, dt.date], str]:
    return {(d.what, d.day): d.state for d in cycle_view.source_dues(settings, cov, today)}


def test_accounts_are_on_time_late_or_stale_by_the_tertial_they_must_cover(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    today = dt.date(2026, 10, 1)
    states = lambda to: dues_by_name(  # noqa: E731
        settings, pd.DataFrame([coverage_of("regnskap", to, dt.datetime(2026, 9, 1))]), today
    )
    t2 = ("Regnskap per tertial", dt.date(2026, 9, 15))
    assert states(dt.date(2026, 8, 31))[t2] == "ok"
    assert states(dt.date(2026, 4, 30))[t2] == "late"  # one tertial behind
    assert states(dt.date(2025, 12, 31))[t2] == "stale"  # more than one behind
    assert states(dt.date(2026, 8, 31))[("Regnskap per tertial", dt.date(2026, 2, 15))] == "ok"


def test_kostra_final_figures_need_the_final_vintage(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    today = dt.date(2026, 7, 1)
    preliminary = pd.DataFrame(
        [coverage_of("kostra", dt.date(2025, 12, 31), dt.datetime(2026, 3, 20), "foreløpige tall per 15.03.2026")]
    )
    states = dues_by_name(settings, preliminary, today)
    assert states[("KOSTRA foreløpige tall", dt.date(2026, 3, 15))] == "ok"
    assert states[("KOSTRA endelige tall", dt.date(2026, 6, 15))] == "late"
    final = preliminary.assign(vintage="endelige tall per 15.06.2026")
    assert dues_by_name(settings, final, today)[("KOSTRA endelige tall", dt.date(2026, 6, 15))] == "ok"


def test_nothing_loaded_is_stale_once_due_and_waiting_before(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    states = dues_by_name(settings, pd.DataFrame(), dt.date(2026, 4, 1))
    assert states[("KOSTRA foreløpige tall", dt.date(2026, 3, 15))] == "stale"
    assert states[("KOSTRA endelige tall", dt.date(2026, 6, 15))] == "waiting"
    assert states[("Brukerundersøkelser", dt.date(2026, 12, 1))] == "waiting"


def test_due_dates_come_from_the_settings(tmp_path: Path) -> None:
    (tmp_path / "settings.toml").write_text('due_kostra_final = "20.06"\ndue_report_tertial = ["01.06"]\n')
    settings = load_settings(tmp_path)
    days = {d.what: d.day for d in cycle_view.source_dues(settings, pd.DataFrame(), dt.date(2026, 1, 1))}
    assert days["KOSTRA endelige tall"] == dt.date(2026, 6, 20)
    reports = cycle_view.report_dues(settings, dt.date(2026, 7, 1))
    assert [(d.what, d.day, d.state) for d in reports if "tertial" in d.what.lower()] == [
        ("Tertialrapport", dt.date(2026, 6, 1), "ok")
    ]


def test_freshness_on_the_demo_follows_the_warehouse(demo_dir: Path) -> None:
    reader = WarehouseReader(load_settings(demo_dir).current)
    cov = cycle_view.coverage(reader)
    table = cycle_view.freshness(cov, dt.date(2026, 2, 1)).frame
    last_month = query(demo_dir, "SELECT max(period) FROM accounting")[0][0]
    row = table[table["Kilde"] == "Regnskap"].iloc[0]
    assert row["Til"] == (pd.Timestamp(last_month) + pd.offsets.MonthEnd(0)).strftime("%d.%m.%Y")
    kostra = table[table["Kilde"] == "KOSTRA (SSB)"].iloc[0]
    vintage = query(demo_dir, "SELECT arg_max(vintage_text, year) FROM kostra_values")[0][0]
    assert kostra["Datagrunnlag"] == vintage
    late = cycle_view.freshness(cov, dt.date(2030, 1, 1)).frame
    assert late["Status"].str.startswith("Utdatert").all()
    # each source's name and age limit are its spec's `[freshness]`: 10-FAKTOR, every second year, may be 26
    # months old; sick leave 4
    from etl.spec import stored_specs

    specs = stored_specs()
    for kind, months in (("medarbeiderundersøkelse", 26), ("sykefravær", 4)):
        (to,) = query(demo_dir, "SELECT covered_to FROM source_coverage WHERE kind = ?", [kind])[0]
        label = specs[kind].freshness_label
        assert specs[kind].max_age_months == months and label
        just_in = cycle_view.freshness(cov, (pd.Timestamp(to) + pd.DateOffset(months=months)).date()).frame
        just_out = cycle_view.freshness(cov, (pd.Timestamp(to) + pd.DateOffset(months=months + 1)).date()).frame
        assert just_in[just_in["Kilde"] == label]["Status"].tolist() == ["Oppdatert"]
        assert just_out[just_out["Kilde"] == label]["Status"].tolist() == [f"Utdatert: eldre enn {months} måneder"]


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("../../etc/passwd.csv", "passwd.csv"),
        ("C:\\Users\\ola\\Sykefravær 2025.XLSX", "Sykefravær 2025.xlsx"),
        (".skjult.csv", "skjult.csv"),
        ("~$lås.xlsx", "lås.xlsx"),
        ("a<b>|c.csv", "a_b__c.csv"),
    ],
)
def test_uploaded_names_are_made_safe(name: str, stored: str) -> None:
    assert view.safe_name(name) == stored


def data_url(payload: bytes) -> str:
    return "data:application/octet-stream;base64," + base64.b64encode(payload).decode()


def test_uploads_are_checked_for_type_size_and_content() -> None:
    assert view.decode_upload(data_url(b"a;b\n1;2\n"), "tall.csv", 1) == ("tall.csv", b"a;b\n1;2\n")
    with pytest.raises(view.UploadRefused, match="ikke en filtype"):
        view.decode_upload(data_url(b"MZ"), "program.exe", 1)
    with pytest.raises(view.UploadRefused, match="større enn 0,001 MB|større enn 0.001 MB"):
        view.decode_upload(data_url(b"x" * 2000), "stor.csv", 0.001)
    with pytest.raises(view.UploadRefused, match="er tom"):
        view.decode_upload("data:text/csv;base64,", "tom.csv", 1)


def test_an_upload_never_overwrites_a_waiting_file(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = view.store_in_inbox(settings, "tall.csv", b"1")
    second = view.store_in_inbox(settings, "tall.csv", b"2")
    assert (first.name, second.name) == ("tall.csv", "tall-2.csv")
    assert first.read_bytes() == b"1" and second.read_bytes() == b"2"
    assert [p.name for p in inbox_files(settings)] == ["tall.csv", "tall-2.csv"]


def test_a_refused_upload_reports_what_the_loader_wrote(dd: Path) -> None:
    settings = load_settings(dd)
    bad = write_csv(dd / "x.csv", [["indikator_id", "periode", "verdi"], ["finnes_ikke", "2025", "1"]])
    path = view.store_in_inbox(settings, "tall.csv", bad.read_bytes())
    result = view.load_upload(settings, path)
    assert result.status == "rejected"
    (report,) = (dd / "rejected").glob("*.feil.txt")
    assert result.report == report.read_text(encoding="utf-8") and "finnes_ikke" in result.report
    assert view.refused_reports(settings) == [("tall.csv", result.report)]
    log = view.load_log(WarehouseReader(settings.current), settings).frame
    assert log.loc[log["Fil"] == "tall.csv", "Status"].tolist() == ["Avvist"]


def test_what_a_source_covers_ends_on_the_last_day_of_its_newest_period(demo_dir: Path) -> None:
    newest = {  # each relation's newest period, ended by hand here
        "indikatorverdier": "SELECT period, period_type FROM manual_values",
        "personal": "SELECT period, period_type FROM staff",
        "sykefravær": "SELECT period, period_type FROM sick_leave",
    }
    months = {"year": 12, "tertial": 4, "quarter": 3, "month": 1}
    for kind, sql in newest.items():
        rows = query(demo_dir, sql)
        assert rows, kind
        last = max((pd.Timestamp(p) + pd.DateOffset(months=months[t]) - pd.DateOffset(days=1)).date() for p, t in rows)
        (to,) = query(demo_dir, "SELECT covered_to FROM source_coverage WHERE kind = ?", [kind])[0]
        assert pd.Timestamp(to).date() == last, kind

"""Registers: avvik (free text read, never stored) and political decisions (titles stay literal text);
the share closed or carried out by the deadline, overdue counts and lists, and their exports."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from dashboard.export import export_bytes
from etl.store.warehouse import DUCKDB_CONFIG
from tests.helpers import columns_where, query, refuse, rounded, snapshot, write_csv, write_xlsx
from tests.helpers import load_ok as run

AVVIK_HEADER = ["avvik_id", "enhet_id", "kategori", "alvorlighet", "meldt_dato", "frist", "lukket_dato", "beskrivelse"]
VEDTAK_HEADER = ["saksnr", "utvalg", "møtedato", "tittel", "status", "ansvarlig_enhet", "frist", "iverksatt_dato"]
PERSONAL = "Pasient Ola Nordmann (f. 12.03.1941) falt på badet"
SCRIPT = "Innbyggerforslag om gatelys <script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://x","klikk her")'


def tertials(data_dir: Path, indicator: str) -> list[tuple]:
    return rounded(
        query(
            data_dir,
            "SELECT scope_code, strftime(period, '%Y-%m'), period_type, value, numerator, denominator "
            "FROM indicator_values WHERE indicator_id = ? ORDER BY scope_code, period",
            [indicator],
        )
    )


def export(data_dir: Path, what: str, fmt: str, *args: str | None) -> bytes:
    con = duckdb.connect(str(data_dir / "warehouse" / "current.duckdb"), read_only=True, config=DUCKDB_CONFIG)
    try:
        return export_bytes(con, what, fmt, *args)
    finally:
        con.close()


@pytest.fixture
def avvik(dd: Path) -> Path:
    rows = [
        ["Avviksregister – uttrekk"],
        ["Avviksnr", "Avdeling", "Type", "Alvorlighetsgrad", "Registrert", "Tidsfrist", "Lukket", "Hendelse"],
        ["A1", "Kyrksæterøra barnehage", "HMS", "Lav", "10.01.2025", "20.01.2025", "15.01.2025", PERSONAL],
        ["A2", "Kyrksæterøra barnehage", "Kvalitet", "Middels", "01.02.2025", "15.02.2025", "20.02.2025", ""],
        ["A3", "Kyrksæterøra barnehage", "Personvern", "Høy", "01.03.2025", "30.04.2025", "", "Brev til feil mottaker"],
        ["A5", "Kyrksæterøra barnehage", "HMS", "Lav", "01.03.2025", "10.03.2025", "10.05.2025", ""],
        ["A4", "Kyrksæterøra skole", "Vold og trusler", "Høy", "01.05.2025", "31.05.2025", "01.07.2025", ""],
    ]
    write_csv(dd / "inbox" / "avvik.csv", rows, encoding="cp1252")
    return dd


def test_avvik_load_and_free_text_is_never_stored(avvik):
    [result] = run(avvik).results
    assert (result.kind, result.rows) == ("avvik", 5)
    assert "kolonnen «beskrivelse» er lest, men lagres ikke: fritekst kan inneholde personopplysninger" in result.notes
    assert query(avvik, "SELECT deviation_id, unit_id, category, reported_on, due_on, closed_on FROM deviations "
                        "ORDER BY 1")[0] == ("A1", "E21", "HMS", dt.date(2025, 1, 10), dt.date(2025, 1, 20),
                                              dt.date(2025, 1, 15))  # fmt: skip
    # the description is in no column of any table or view of the warehouse
    assert columns_where(avvik, ("VARCHAR",), "{c} LIKE ? OR {c} LIKE ?", ["%Nordmann%", "%feil mottaker%"]) == []
    assert "description" not in {
        c
        for (c,) in query(
            avvik,
            "SELECT column_name FROM information_schema.columns WHERE table_name IN ('raw_deviations', 'deviations')",
        )
    }


def test_avvik_closed_by_deadline_and_open_overdue_per_tertial(avvik):
    run(avvik)
    # T1 2025: A1 in time; A2 and A5 late; A3 (due 30.04) never closed → 1 of 4 for E21 and the kommune
    # T2 2025: A4 (E31) closed a month late → 0 of 1
    assert tertials(avvik, "avvik_lukket") == [
        ("5055", "2025-01", "tertial", 25.0, 1.0, 4.0),
        ("5055", "2025-05", "tertial", 0.0, 0.0, 1.0),
        ("E21", "2025-01", "tertial", 25.0, 1.0, 4.0),
        ("E31", "2025-05", "tertial", 0.0, 0.0, 1.0),
    ]
    # open and past the deadline at the tertial's end: A5 on 30.04 (closed 10.05), A3 on 31.08;
    # every unit gets a count, 0 included, up to the tertial of the register's latest entry (T2)
    got = tertials(avvik, "avvik_forfalt")
    assert [r for r in got if r[0] in ("5055", "E21", "E41")] == [
        ("5055", "2025-01", "tertial", 1.0, None, None),
        ("5055", "2025-05", "tertial", 1.0, None, None),
        ("E21", "2025-01", "tertial", 1.0, None, None),
        ("E21", "2025-05", "tertial", 1.0, None, None),
        ("E41", "2025-01", "tertial", 0.0, None, None),
        ("E41", "2025-05", "tertial", 0.0, None, None),
    ]


def test_overdue_avvik_list_and_its_export(avvik):
    run(avvik)
    # judged as of the register's latest entry (01.07.2025), not the load date: an old extract cannot know
    # which of its open avvik were closed after it was made
    as_of = dt.date(2025, 7, 1)
    assert query(avvik, "SELECT deviation_id, unit_name, due_on, days_overdue FROM deviations_overdue") == [
        ("A3", "Kyrksæterøra barnehage", dt.date(2025, 4, 30), (as_of - dt.date(2025, 4, 30)).days)
    ]
    lines = export(avvik, "avvik_over_frist", "csv", "E21").decode("utf-8-sig").splitlines()
    assert lines == [
        "Avvik;Enhet;Kategori;Alvorlighet;Meldt;Frist;Dager over frist",
        f"A3;Kyrksæterøra barnehage;Personvern;Høy;01.03.2025;30.04.2025;{(as_of - dt.date(2025, 4, 30)).days}",
    ]
    assert export(avvik, "avvik_over_frist", "csv", "E31").decode("utf-8-sig").splitlines()[1:] == []


def test_avvik_with_excel_dates(dd):
    write_xlsx(
        dd / "inbox" / "avvik.xlsx",
        {
            "Avvik": [
                AVVIK_HEADER,
                ["B1", "E41", "HMS", None, dt.date(2025, 3, 3), dt.datetime(2025, 3, 17), 45736, None],
            ]
        },
    )
    run(dd)
    assert query(dd, "SELECT reported_on, due_on, closed_on FROM deviations") == [
        (dt.date(2025, 3, 3), dt.date(2025, 3, 17), dt.date(2025, 3, 20))  # 45736 is Excel's serial for 20.03.2025
    ]


def test_avvik_closed_before_it_was_reported_refuses_the_file(dd):
    f = write_csv(dd / "inbox" / "a.csv", [AVVIK_HEADER, ["C1", "E21", "HMS", "", "10.01.2025", "", "01.01.2025", ""]])
    refuse(dd, f, "rad 2, kolonne G (lukket_dato): avviket er lukket 01.01.2025, før det ble meldt 10.01.2025")


def test_avvik_without_a_unit_refuses_the_file(dd):
    f = write_csv(dd / "inbox" / "a.csv", [AVVIK_HEADER, ["C1", "", "HMS", "", "10.01.2025", "", "", "x"]])
    refuse(dd, f, "rad 2: raden sier ikke hvilken enhet tallene gjelder")


def test_avvik_with_an_impossible_date_refuses_the_file(dd):
    f = write_csv(dd / "inbox" / "a.csv", [AVVIK_HEADER, ["C1", "E21", "HMS", "", "31.02.2025", "", "", ""]])
    refuse(dd, f, "rad 2, kolonne E (meldt_dato): «31.02.2025» er ikke en gyldig dato", "dd.mm.åååå")


@pytest.fixture
def vedtak(dd: Path) -> Path:
    rows = [
        ["Heim kommune – oppfølging av politiske vedtak"],
        ["Uttrekk fra sakssystemet"],
        [],
        VEDTAK_HEADER,
        [
            "25/11",
            "Formannskapet",
            dt.date(2025, 1, 10),
            "Eierskapsmelding",
            "Iverksatt",
            "E21",
            dt.date(2025, 3, 31),
            None,
        ],
        ["25/12", "Kommunestyret", "10.01.2025", FORMULA, "Under arbeid", "Kyrksæterøra skole", "30.04.2025", None],
        ["25/20", "Kommunestyret", "10.02.2025", "Demensplan", "iverksatt", "E41", "30.06.2025", "15.07.2025"],
        ["25/21", "Hovedutvalg oppvekst", "10.02.2025", SCRIPT, "Ikke påbegynt", "", "31.08.2025", None],
        ["25/40", "Kommunestyret", "05.06.2025", "Klimaplan", "Pågår", "E41", "31.12.2099", None],
    ]
    write_xlsx(dd / "inbox" / "vedtaksoppfølging.xlsx", {"Vedtak": rows}, text_cells=True)
    return dd


def test_vedtak_statuses_are_mapped_and_titles_stay_literal(vedtak):
    run(vedtak)
    assert query(vedtak, "SELECT case_no, title, status, unit_id, done_on FROM decisions ORDER BY case_no") == [
        ("25/11", "Eierskapsmelding", "iverksatt", "E21", None),
        ("25/12", FORMULA, "pågår", "E31", None),
        ("25/20", "Demensplan", "iverksatt", "E41", dt.date(2025, 7, 15)),
        ("25/21", SCRIPT, "ikke startet", None, None),
        ("25/40", "Klimaplan", "pågår", "E41", None),
    ]


def test_vedtak_carried_out_by_the_deadline_per_tertial(vedtak):
    run(vedtak)
    # T1: 25/11 done, 25/12 not → 50 %. T2: 25/20 done two weeks late, 25/21 not started → 0 %.
    # 25/40 is not due yet (and beyond the register's latest entry): not counted.
    assert [r for r in tertials(vedtak, "vedtak_iverksatt")] == [
        ("5055", "2025-01", "tertial", 50.0, 1.0, 2.0),
        ("5055", "2025-05", "tertial", 0.0, 0.0, 2.0),
    ]  # vedtak_iverksatt is a kommune indicator (nivå = kommune): no unit rows


def test_overdue_vedtak_exports_keep_markup_and_formulas_as_text(vedtak):
    run(vedtak)
    assert [c for (c,) in query(vedtak, "SELECT case_no FROM decisions_overdue")] == ["25/12", "25/21"]
    text = export(vedtak, "vedtak_over_frist", "csv").decode("utf-8-sig")
    assert "'" + FORMULA.replace('"', '""') in text  # quoted by csv, and marked as text with an apostrophe
    assert SCRIPT in text and "&lt;" not in text
    wb = load_workbook(io.BytesIO(export(vedtak, "vedtak_over_frist", "xlsx")))
    cells = {c.value: c for row in wb.active.iter_rows() for c in row if isinstance(c.value, str)}
    assert cells[FORMULA].data_type == "s" and cells[SCRIPT].data_type == "s"
    dates = [c for row in wb.active.iter_rows() for c in row if isinstance(c.value, dt.datetime)]
    assert dates and all(c.number_format == "dd.mm.yyyy" for c in dates)


def overdue_counted_in_the_indicator(data_dir: Path) -> list[tuple]:
    """Each overdue decision with the kommune's vedtak_iverksatt of its deadline's tertial (None if none)."""
    return query(
        data_dir,
        """
        SELECT o.case_no, v.denominator - v.numerator AS not_done
        FROM decisions_overdue o
        LEFT JOIN indicator_values v ON v.indicator_id = 'vedtak_iverksatt' AND v.scope = 'kommune'
             AND v.period = tertial_start(o.due_on)
        ORDER BY o.case_no
        """,
    )


def test_the_overdue_list_and_the_indicator_judge_the_register_as_of_one_day(vedtak):
    # a deadline after the register's tertial (its latest entry is 15.07.2025, in the second tertial)
    extra = ["25/50", "Kommunestyret", "05.06.2025", "Hovedplan vann og avløp", "Pågår", "E41", "31.10.2025", None]
    path = vedtak / "inbox" / "vedtaksoppfølging.xlsx"
    wb = load_workbook(path)
    wb.active.append(extra)
    wb.save(path)
    run(vedtak)
    # every decision on the overdue list counts, not carried out, in its tertial of the indicator
    assert overdue_counted_in_the_indicator(vedtak) == [("25/12", 1.0), ("25/21", 2.0)]
    # the register is judged at the close of its tertial (01.09.2025): 25/50 was not yet overdue then, and the
    # register cannot know whether it was carried out by 31.10; it is neither listed nor counted
    as_of = dt.date(2025, 9, 1)
    assert query(vedtak, "SELECT as_of, last_entry FROM decisions_as_of") == [(as_of, dt.date(2025, 7, 15))]
    assert query(vedtak, "SELECT case_no, days_overdue FROM decisions_overdue") == [
        ("25/12", (as_of - dt.date(2025, 4, 30)).days),
        ("25/21", (as_of - dt.date(2025, 8, 31)).days),
    ]
    assert [r[1] for r in tertials(vedtak, "vedtak_iverksatt")] == ["2025-01", "2025-05"]


def test_a_fresh_vedtak_register_is_judged_on_the_day_it_is_loaded(dd):
    today = dt.date.today()
    rows = [
        VEDTAK_HEADER,
        ["25/1", "Kommunestyret", "10.01.2025", "Planstrategi", "Iverksatt", "E41", "31.12.2099", today],
        ["25/2", "Kommunestyret", "10.01.2025", "Finansreglement", "Pågår", "E41", today - dt.timedelta(days=1), None],
    ]
    write_xlsx(dd / "inbox" / "vedtak.xlsx", {"Vedtak": rows})
    run(dd)
    assert query(dd, "SELECT as_of FROM decisions_as_of") == [(today,)]
    assert query(dd, "SELECT case_no, days_overdue FROM decisions_overdue") == [("25/2", 1)]
    assert overdue_counted_in_the_indicator(dd) == [("25/2", 1.0)]


def test_unknown_vedtak_status_refuses_the_file(dd):
    f = write_csv(
        dd / "inbox" / "v.csv", [VEDTAK_HEADER, ["25/1", "Kommunestyret", "10.01.2025", "X", "Avlyst", "", "", ""]]
    )
    refuse(dd, f, "«Avlyst» er ikke en gyldig verdi for status (gyldige: iverksatt, pågår, ikke startet)")


def test_reloading_registers_changes_nothing(vedtak):
    run(vedtak)
    relations = ("decisions", "decisions_overdue", "indicator_values", "scorecard")
    before = snapshot(vedtak, relations)
    archived = next((vedtak / "archive").glob("*vedtaksoppfølging.xlsx"))
    (vedtak / "inbox" / "igjen.xlsx").write_bytes(archived.read_bytes())
    assert [r.status for r in run(vedtak).results] == ["unchanged"]
    assert snapshot(vedtak, relations) == before


def test_scorecard_csv_is_norwegian_excel_csv(vedtak):
    run(vedtak)
    data = export(vedtak, "målekort", "csv", "kommune", "5055")
    assert data.startswith("\ufeff".encode())
    header, *rows = data.decode("utf-8-sig").splitlines()
    assert header.startswith("Fokusområde;Indikator;Indikator-id;Gjelder;Periode;Verdi;Måleenhet;Mål;Status")
    first = rows[0].split(";")
    assert first[:9] == ["Interne prosesser", "Andel politiske vedtak iverksatt innen frist", "vedtak_iverksatt",
                         "Heim kommune", "1. tertial 2025", "50", "%", "85", "Rød"]  # fmt: skip
    assert rows[1].split(";")[5] == "0" and rows[1].split(";")[10] == "50"  # the previous value


def test_the_column_search_finds_text_that_is_there(avvik):
    run(avvik)
    hits = columns_where(avvik, ("VARCHAR",), "{c} LIKE ?", ["%HMS%"])
    assert ("deviations", "category") in hits and ("raw_deviations", "category") in hits

"""Reports (issue 9): built once per session through the real `bms report`, opened as a reader would open
them (python-docx, pypdf, openpyxl), and their numbers checked against the warehouse queried here."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from dashboard.cli import main as bms
from etl.norsk import FOCUS_AREAS, STATUS_LABELS, format_number, format_value
from tests.helpers import query

YEAR = 2025
# (name, kind, format, extra options): each built once for the whole session
BUILDS = {
    "tjeneste.docx": ("tjenesterapport", "docx", []),
    "tjeneste.pdf": ("tjenesterapport", "pdf", []),
    "tjeneste.xlsx": ("tjenesterapport", "xlsx", []),
    "oppvekst-2022.xlsx": ("tjenesterapport", "xlsx", ["--area", "oppvekst", "--year", "2022"]),
    "arbeidsgiver.docx": ("arbeidsgiverrapport", "docx", []),
    "tertial.xlsx": ("tertialrapport", "xlsx", ["--tertial", "2"]),
    "vedtak.xlsx": ("vedtaksrapport", "xlsx", []),
    "leder-E22-2022.docx": ("ledersamtale", "docx", ["--unit", "E22", "--year", "2022"]),
    "leder-E41.docx": ("ledersamtale", "docx", ["--unit", "E41"]),
    "tjeneste-t1.docx": ("tjenesterapport", "docx", ["--tertial", "1"]),
    "arbeidsgiver-oppvekst.docx": ("arbeidsgiverrapport", "docx", ["--area", "oppvekst"]),
    "arbeidsgiver-2026.docx": ("arbeidsgiverrapport", "docx", ["--year", "2026"]),
}


@pytest.fixture(scope="session")
def reports(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every report the tests read, written once by the CLI over the demo installation."""
    out = tmp_path_factory.mktemp("reports")
    for name, (kind, fmt, extra) in BUILDS.items():
        year = [] if "--year" in extra else ["--year", str(YEAR)]
        args = ["report", kind, *year, *extra, "--format", fmt, "--output", str(out / name)]
        assert bms([*args, "--data-dir", str(demo_dir)]) == 0, name
    return {name: out / name for name in BUILDS}


def docx_tables(path: Path) -> list[list[list[str]]]:
    """Every table of a .docx as rows of cell texts (the heading row first)."""
    return [[[c.text for c in row.cells] for row in t.rows] for t in Document(str(path)).tables]


def sheet_rows(path: Path, sheet: str) -> list[list[object]]:
    """A sheet's rows below the title: the heading row, the data rows, then the blank and source lines."""
    return [list(r) for r in load_workbook(path)[sheet].iter_rows(min_row=2, values_only=True)]


def newest_kommune_values(demo_dir: Path, year: int) -> dict[str, tuple]:
    """Each indicator's figure for the year for the kommune, straight from the scorecard: the year's own row
    where there is one (sick leave over twelve months), else its newest period."""
    rows = query(
        demo_dir,
        """
        SELECT name, value, unit_of_measure, decimals, target, status FROM scorecard
        WHERE scope = 'kommune' AND year = ?
        QUALIFY row_number() OVER (
            PARTITION BY indicator_id ORDER BY period_type = 'year' DESC, period DESC, period_type) = 1
        """,
        [year],
    )
    return {r[0]: r[1:] for r in rows}


def test_word_report_has_cover_contents_headings_tables_charts_sources_and_page_numbers(reports, demo_dir):
    doc = Document(str(reports["tjeneste.docx"]))
    texts = [p.text for p in doc.paragraphs]
    assert "Tjenesterapport" in texts[:5] and any("DEMODATA" in t for t in texts[:6])
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings[:4] == list(FOCUS_AREAS)
    assert "Sammenligning med KOSTRA-gruppen og sammenligningskommunene" in headings
    body = doc.element.body.xml
    assert "TOC \\o" in body, "a table of contents field"
    assert "PAGE" in doc.sections[0].footer._element.xml, "page numbers in the footer"
    with zipfile.ZipFile(reports["tjeneste.docx"]) as z:  # Word spell-checks in bokmål, not English
        xml = z.read("word/styles.xml").decode() + z.read("word/document.xml").decode()
    languages = set(re.findall(r'<w:lang [^>]*w:val="([^"]+)"', xml))
    assert languages == {"nb-NO"} and "en-US" not in xml
    # real tables and the charts as pictures: a scorecard and the trend chart's numbers per focus area, KOSTRA
    assert len(doc.tables) == 9 and len(doc.inline_shapes) >= 5, "real tables and the charts as pictures"
    sources = [t for t in texts if t.startswith("Kilde:")]
    assert len(sources) == len(doc.tables) + len(doc.inline_shapes), "a source line under each table and chart"
    table_ids = {r[0] for r in query(demo_dir, "SELECT DISTINCT ref_args[1] FROM indicators WHERE source = 'KOSTRA'")}
    assert any(f"Kilde: SSB, KOSTRA, tabell {sorted(table_ids)[0]}" in s and "endelige tall per" in s for s in sources)
    sick_file, loaded = query(demo_dir, "SELECT file_name, loaded_at FROM load_log WHERE kind = 'sykefravær'")[0]
    assert any(f"sykefravær, fil {sick_file}, lastet {loaded:%d.%m.%Y %H:%M}" in s for s in sources)


def test_word_tables_show_the_warehouse_numbers_with_status(reports, demo_dir):
    expected = newest_kommune_values(demo_dir, YEAR)
    checked = 0
    scorecards = [t for t in docx_tables(reports["tjeneste.docx"]) if t[0][1] == "Periode"]
    assert len(scorecards) == 4
    for table in scorecards:
        assert table[0][:5] == ["Indikator", "Periode", "Verdi", "Mål", "Status"]
        for name, _period, value, target, status, *_ in table[1:]:
            if name not in expected:
                continue
            v, unit, dec, t, s = expected[name]
            assert value == format_value(v, unit, int(dec)), name
            assert target == format_value(t, unit, int(dec)), name
            assert status.startswith(STATUS_LABELS[s]), name
            checked += 1
    assert checked >= len(expected) - 1 >= 10


def test_a_years_report_states_the_years_sick_leave_and_a_tertials_no_figure_of_a_later_day(reports, demo_dir):
    def year_of_days(unit: str | None) -> float:  # from the clean relation's days, not from the scorecard
        where = "unit_id = ?" if unit else "unit_id IS NOT NULL OR unit_id IS NULL"
        ((lost, possible),) = query(
            demo_dir,
            f"SELECT sum(lost_days_self + lost_days_doctor), sum(possible_days) FROM sick_leave "
            f"WHERE year(period) = {YEAR} AND ({where})",
            [unit] if unit else None,
        )
        return lost / possible * 100

    def sick_leave_row(name: str) -> list[str]:
        rows = [r for t in docx_tables(reports[name]) for r in t if r[0] == "Sykefravær totalt"]
        assert rows, name
        return rows[0]

    for name, unit in (("tjeneste.docx", None), ("leder-E41.docx", "E41")):
        row = sick_leave_row(name)
        assert row[1] == str(YEAR) and row[2] == format_value(year_of_days(unit), "%", 1), name
    tertial = docx_tables(reports["tjeneste-t1.docx"])
    scorecards = [t for t in tertial if t[0][1] == "Periode"]
    periods = {r[1] for t in scorecards for r in t[1:] if r[1] and r[1] != "–"}
    assert len(scorecards) == 4 and periods and str(YEAR) not in periods, "no whole year in a report up to April"
    april = sick_leave_row("tjeneste-t1.docx")
    assert april[1] == f"april {YEAR}"
    # the trend's column for the year holds what the scorecard holds: April's sick leave, no yearly figure
    trends = {r[0]: r for t in tertial if t[0][1] == str(YEAR - 4) for r in t[1:]}
    assert trends["Sykefravær totalt"][-1] == april[2]
    yearly = [n for (n,) in query(demo_dir, "SELECT name FROM indicators WHERE frequency = 'år'")]
    shown = [trends[n][-1] for n in yearly if n in trends]
    assert shown and all(v == "–" for v in shown), shown


def test_kostra_table_shows_rank_group_and_median_from_the_warehouse(reports, demo_dir):
    table = docx_tables(reports["tjeneste.docx"])[-1]
    rows = query(
        demo_dir,
        "SELECT name, rank, rank_of, group_value, peer_median, peer_q1, peer_q3, unit_of_measure, decimals "
        "FROM kostra_comparison WHERE scope = 'kommune' AND year = ?",
        [YEAR],
    )
    assert len(table) - 1 == len(rows)
    by_name = {r[0]: r for r in table[1:]}
    for name, rank, rank_of, group, median, q1, q3, unit, dec in rows:
        assert by_name[name][2] == f"{rank} av {rank_of}"
        assert by_name[name][3] == format_value(group, unit, dec)
        assert by_name[name][4] == format_value(median, unit, dec)
        # the chart's middle half is in the table too
        assert by_name[name][5] == f"{format_value(q1, unit, dec)} – {format_value(q3, unit, dec)}"


def test_each_section_opens_with_a_drafted_paragraph_from_the_numbers(reports, demo_dir):
    doc = Document(str(reports["tjeneste.docx"]))
    text = "\n".join(p.text for p in doc.paragraphs)
    v, unit, dec, t, _ = newest_kommune_values(demo_dir, YEAR)["Sykefravær totalt"]
    before = query(
        demo_dir,
        "SELECT same_period_last_year FROM scorecard WHERE scope = 'kommune' AND "
        "indicator_id = 'sykefravaer' AND year = ? AND period_type = 'year'",
        [YEAR],
    )[0][0]
    word = "høyere" if v > before else "lavere"
    assert f"Sykefravær totalt var {format_value(v, unit, dec)} i {YEAR}, " in text
    assert f"{format_number(abs(v - before), dec)} prosentpoeng {word} enn året før" in text
    assert f"målet på {format_value(t, unit, dec)}" in text
    noisy = query(
        demo_dir,
        """
        SELECT name, value, same_period_last_year, change_noise, decimals FROM scorecard
        WHERE scope = 'kommune' AND year = ? AND change_noise IS NOT NULL AND same_period_last_year IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY indicator_id ORDER BY period DESC) = 1
        """,
        [YEAR],
    )
    assert noisy, "the demo has survey figures with a noise band"
    for name, value, before, noise, dec in noisy:
        within = "innenfor" if abs(value - before) <= noise + 1e-9 else "større enn"
        assert f"({within} støyen på ±{format_number(noise, max(dec, 1))})" in text, name
    statuses = query(demo_dir, "SELECT count(*) FROM indicators WHERE focus_area = 'Økonomi' AND level <> 'enhet'")
    assert f"Av {statuses[0][0]} indikatorer er" in text


def test_pdf_is_a4_with_page_numbers_and_selectable_text(reports):
    pdf = PdfReader(str(reports["tjeneste.pdf"]))
    assert len(pdf.pages) >= 6
    width, height = float(pdf.pages[0].mediabox.width), float(pdf.pages[0].mediabox.height)
    assert abs(width - 595.3) < 2 and abs(height - 841.9) < 2, "A4"
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert f"side 2 av {len(pdf.pages)}" in text
    for words in ("DEMODATA", "Innhold", *FOCUS_AREAS, "Kilde: SSB, KOSTRA, tabell", "Sykefravær totalt"):
        assert words in text, words


def test_excel_has_one_sheet_per_table_with_status_fills(reports, demo_dir):
    book = load_workbook(reports["tjeneste.xlsx"])
    areas = [sheet for area in FOCUS_AREAS for sheet in (area, f"{area} utvikling")]
    assert book.sheetnames == ["Om rapporten", *areas, "KOSTRA"]
    expected = newest_kommune_values(demo_dir, YEAR)
    fills = {"Grønn": "C8E6C9", "Gul": "FFE9A8", "Rød": "F5C2BD", "Grå": "E3E6EA"}
    seen = set()
    for area in FOCUS_AREAS:
        sheet = book[area]
        for row in sheet.iter_rows(min_row=3):
            if row[0].value in expected:
                label = str(row[4].value).split(" ")[0]
                assert row[4].fill.fgColor.rgb.endswith(fills[label]), row[0].value
                value = expected[row[0].value][0]
                assert row[2].value == pytest.approx(value), row[0].value  # the number itself, not text
                unit = expected[row[0].value][1]
                if unit in ("%", "kr"):  # shown with its unit, as in Word: «7,6 %», «12 300 kr»
                    assert row[2].number_format.endswith(f'" {unit}"'), (row[0].value, row[2].number_format)
                seen.add(label)
    assert {"Grønn", "Gul"} <= seen
    kostra = book["KOSTRA"]
    column = [c.value for c in kostra[2]].index("Rang")
    ranks = [r[column].value for r in kostra.iter_rows(min_row=3) if isinstance(r[column].value, str)]
    assert ranks and all(re.fullmatch(r"\d+ av \d+|–", v) for v in ranks), ranks[:5]


def test_held_back_survey_units_say_for_few_answers_and_show_no_number(reports, demo_dir):
    held = query(
        demo_dir,
        "SELECT h.scope_code, i.name FROM held_back h JOIN indicators i USING (indicator_id) "
        "WHERE h.scope = 'enhet' AND year(h.period) = 2022",
    )
    assert held, "the demo holds a unit back in 2022"
    names = dict(query(demo_dir, "SELECT unit_id, name FROM units"))
    rows = sheet_rows(reports["oppvekst-2022.xlsx"], "Brukere")
    area_units = {r[0] for r in query(demo_dir, "SELECT name FROM units WHERE service_area = 'oppvekst'")}
    listed = {r[1] for r in rows[1:] if r and r[1]}
    assert listed and listed <= area_units, "an area's report lists only the area's units"
    for unit_id, indicator in held:
        row = next(r for r in rows if r[0] == indicator and r[1] == names[unit_id])
        assert row[3] == "for få svar" and row[2] == "–"
        assert not any(isinstance(c, (int, float)) for c in row[3:5])
    leader = Document(str(reports["leder-E22-2022.docx"]))
    cells = [[c.text for c in r.cells] for t in leader.tables for r in t.rows]
    held_rows = [r for r in cells if r[0] in {i for u, i in held if u == "E22"}]
    assert held_rows and all(r[2] == "for få svar" and not re.search(r"\d", r[2] + r[4]) for r in held_rows)


def test_employer_report_sick_leave_per_unit_equals_the_warehouse(reports, demo_dir):
    doc = Document(str(reports["arbeidsgiver.docx"]))
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings == [
        "Sykefravær",
        "Årsverk, ansatte, turnover, heltid og kjønnsbalanse",
        "10-FAKTOR medarbeiderundersøkelse",
    ]
    rows = query(
        demo_dir,
        "SELECT u.name, sum(lost_days_self + lost_days_doctor) / sum(possible_days) * 100 "
        "FROM sick_leave s JOIN units u USING (unit_id) WHERE year(period) = ? GROUP BY u.name",
        [YEAR],
    )
    table = {r[0]: r for r in docx_tables(reports["arbeidsgiver.docx"])[0][1:]}
    for name, value in rows:
        assert table[name][1] == format_value(value, "%", 1), name
    factors = docx_tables(reports["arbeidsgiver.docx"])[2]
    assert len(factors) == 11 and factors[0][0] == "Faktor"


def test_an_areas_employer_report_speaks_of_the_area_and_a_year_without_sick_leave_says_so(reports, demo_dir):
    units = [u for (u,) in query(demo_dir, "SELECT unit_id FROM units WHERE lower(service_area) = 'oppvekst'")]
    assert len(units) > 1
    ((pct,),) = query(
        demo_dir,
        "SELECT sum(lost_days_self + lost_days_doctor) / sum(possible_days) * 100 FROM sick_leave "
        "WHERE year(period) = ? AND list_contains(?, unit_id)",
        [YEAR, units],
    )
    ((employees,),) = query(
        demo_dir,
        "SELECT sum(value) FROM measures_staff WHERE source_ref = 'staff:employees' AND scope = 'enhet' "
        "AND year(period) = ? AND list_contains(?, scope_code)",
        [YEAR, units],
    )
    text = "\n".join(p.text for p in Document(str(reports["arbeidsgiver-oppvekst.docx"])).paragraphs)
    assert f"Sykefraværet for Oppvekst i alt var {format_value(pct, '%', 1)} i {YEAR}" in text
    assert f"Oppvekst i alt hadde {format_number(employees, 0)} ansatte" in text
    tables = docx_tables(reports["arbeidsgiver-oppvekst.docx"])
    assert tables[0][-1][0] == "Oppvekst i alt" and tables[1][-1][0] == "Oppvekst i alt"
    empty = [p.text for p in Document(str(reports["arbeidsgiver-2026.docx"])).paragraphs]
    assert "Det er ikke lastet sykefravær for 2026." in empty
    assert not [t for t in empty if "var – i" in t or "(egenmeldt –" in t]


def test_tertial_report_puts_the_largest_deviations_first_with_the_warehouse_sums(reports, demo_dir):
    rows = sheet_rows(reports["tertial.xlsx"], "Økonomi per enhet")
    assert rows[0][:5] == ["Enhet", "Tjenesteområde", "Regnskap hittil", "Budsjett hittil", "Avvik kr"]
    data = [r for r in rows[1:] if r[0] and isinstance(r[4], (int, float))]
    deviations = [abs(r[4]) for r in data]
    assert deviations == sorted(deviations, reverse=True) and len(data) >= 5
    expected = dict(
        query(
            demo_dir,
            "SELECT u.name, sum(actual) - sum(budget) FROM accounting a JOIN units u "
            "USING (unit_id) WHERE year(period) = ? AND month(period) <= 8 GROUP BY u.name",
            [YEAR],
        )
    )
    for r in data:
        assert r[4] == pytest.approx(expected[r[0]])
    assert {"Sykefravær", "Avvik"} <= set(load_workbook(reports["tertial.xlsx"]).sheetnames)


def test_a_tertials_economy_counts_booked_months_judges_as_the_scorecard_and_totals_the_kommune(demo_copy):
    from dashboard.reports import ReportRequest, build_model, open_reader
    from etl.settings import load_settings
    from tests.helpers import load_ok, write_csv

    # 2026: a budget for every month, but only January–June booked
    ansvar = query(demo_copy, "SELECT min(ansvar), unit_id FROM ansvar_units GROUP BY unit_id ORDER BY 2 LIMIT 5")
    names = {name: unit for unit, name in query(demo_copy, "SELECT unit_id, name FROM units")}
    lines = [["periode", "ansvar", "art", "funksjon", "regnskap", "budsjett"]]
    for i, (code, _unit) in enumerate(ansvar[:4]):
        for month in range(1, 13):
            lines.append([f"2026-{month:02d}", code, "10100", "201", (100 + 10 * i) if month <= 6 else 0, 100])
    late = ansvar[4]  # a unit with lines only for January–May: still in the table, through May
    lines += [[f"2026-{month:02d}", late[0], "10100", "201", 120, 120] for month in range(1, 6)]
    write_csv(demo_copy / "inbox" / "regnskap_2026.csv", lines)
    load_ok(demo_copy)
    actual = {u: 6 * (100 + 10 * i) for i, (_c, u) in enumerate(ansvar[:4])} | {late[1]: 600}
    budget = dict.fromkeys(actual, 600)
    reader = open_reader(load_settings(demo_copy).current)
    for see in (None, lambda unit: unit == ansvar[0][1]):  # the rådmann, and a leader of one unit
        report = build_model(reader, ReportRequest("tertialrapport", 2026, "xlsx", tertial=2), may_see_unit=see)
        economy = report.sections[0]
        total = sum(actual.values()) - sum(budget.values())  # the kommune's, for whoever reads its report
        assert "til og med juni 2026" in economy.paragraphs[0]
        assert f"{format_value(total, 'kr', 0)} over budsjettet" in economy.paragraphs[0]
        status = dict(
            query(
                demo_copy,
                "SELECT u.name, arg_max(s.status, s.period) FROM scorecard s JOIN units u ON u.unit_id = s.scope_code "
                "WHERE s.indicator_id = 'budsjettavvik' AND s.period <= DATE '2026-06-01' AND s.year = 2026 "
                "GROUP BY u.name",
            )
        )
        rows = economy.tables[0].rows
        assert len(rows) == (len(ansvar) if see is None else 1)
        for row in rows:
            unit = names[row[0].text]
            assert (row[2].value, row[3].value) == (pytest.approx(actual[unit]), pytest.approx(budget[unit])), unit
            assert row[5].status == status[row[0].text], unit


def test_a_tertials_avvik_go_no_further_than_the_registers_extract(demo_dir):
    from dashboard.reports import ReportRequest, build_model, open_reader
    from etl.settings import load_settings

    ((as_of,),) = query(demo_dir, "SELECT as_of FROM deviations_as_of")
    tertial = (as_of.month - 1) // 4 + 1
    assert as_of.month not in (4, 8, 12), "the demo's extract should fall inside a tertial"
    reader = open_reader(load_settings(demo_dir).current)

    def avvik(year: int, t: int):
        report = build_model(reader, ReportRequest("tertialrapport", year, "xlsx", tertial=t))
        return next(s for s in report.sections if s.heading == "Avvik")

    section = avvik(as_of.year, tertial)
    assert f"fram til {as_of:%d.%m.%Y} (datoen for uttrekket)" in section.paragraphs[0]
    ((overdue,),) = query(
        demo_dir,
        "SELECT sum(value) FROM measures_deviations WHERE source_ref = 'deviations:open_overdue' "
        "AND scope = 'enhet' AND period = ?",
        [dt.date(as_of.year, 4 * tertial - 3, 1)],
    )
    assert sum(row[4].value for row in section.tables[0].rows) == overdue
    later = avvik(as_of.year + (tertial == 3), tertial % 3 + 1)
    assert later.tables == [] and f"per {as_of:%d.%m.%Y} og dekker ikke" in later.paragraphs[0]


def test_an_areas_report_lists_every_indicator_of_its_units_also_those_without_data(reports, demo_dir):
    book = load_workbook(reports["oppvekst-2022.xlsx"])
    listed = set()
    for area in FOCUS_AREAS:
        if area in book.sheetnames:
            for r in list(book[area].iter_rows(min_row=3, values_only=True)):
                if r[0] and r[1] and r[0] != "Kilde" and not str(r[0]).startswith("Kilde"):
                    listed.add((r[0], r[1]))
    expected = set(
        query(
            demo_dir,
            """
            SELECT i.name, u.name FROM (
                SELECT indicator_id, unit_id FROM indicator_units
                UNION SELECT indicator_id, scope_code FROM scorecard WHERE scope = 'enhet' AND year = 2022
            ) e JOIN indicators i USING (indicator_id) JOIN units u USING (unit_id)
            WHERE u.service_area = 'oppvekst'
            """,
        )
    )
    assert listed == expected  # a unit's indicator without figures shows as «ingen data», as in its own report


def test_a_source_line_names_the_file_a_typed_in_figure_came_from_not_its_catalogue_source(reports, demo_dir):
    ((name,),) = query(demo_dir, "SELECT name FROM indicators WHERE indicator_id = 'barn_per_arsverk'")
    files = {
        r.split("(", 1)[1].rstrip(")")
        for (r,) in query(
            demo_dir,
            "SELECT DISTINCT source_ref FROM indicator_values WHERE indicator_id = 'barn_per_arsverk' "
            "AND scope = 'enhet' AND year(period) = 2022",
        )
    }
    assert files and all(not f.startswith("KOSTRA") for f in files)
    book = load_workbook(reports["oppvekst-2022.xlsx"])
    sheet = next(book[a] for a in FOCUS_AREAS if a in book.sheetnames and name in [c.value for c in book[a]["A"]])
    line = [c.value for c in sheet["A"] if isinstance(c.value, str) and c.value.startswith("Kilde")][-1]
    assert all(f in line for f in files) and "13502" not in line, line  # an area's report: unit figures only


def test_the_trend_charts_numbers_are_a_table_with_each_years_own_figure(reports, demo_dir):
    trends = [t for t in docx_tables(reports["tjeneste.docx"]) if t[0][1] == str(YEAR - 4)]
    assert len(trends) >= 3 and all(t[0] == ["Indikator", *map(str, range(YEAR - 4, YEAR + 1))] for t in trends)
    row = next(r for t in trends for r in t if r[0] == "Sykefravær totalt")
    by_year = dict(
        query(
            demo_dir,
            "SELECT year(period), sum(lost_days_self + lost_days_doctor) / sum(possible_days) * 100 "
            "FROM sick_leave WHERE year(period) BETWEEN ? AND ? GROUP BY 1",
            [YEAR - 4, YEAR],
        )
    )
    assert row[1:] == [format_value(by_year.get(y), "%", 1) for y in range(YEAR - 4, YEAR + 1)]


def test_a_tertials_sick_leave_takes_only_periods_inside_it_and_a_units_months_before_its_quarters(dd):
    from dashboard.reports import ReportRequest, build_model, open_reader
    from etl.settings import load_settings
    from tests.helpers import load_ok, write_csv

    header = ["periode", "enhet_id", "mulige_dagsverk", "tapte_dagsverk_egenmeldt", "tapte_dagsverk_legemeldt"]
    rows = [header]
    rows += [[f"2024-{m:02d}", "E21", 100, 5, 5] for m in range(1, 13)]  # by month: 10 %
    rows += [["2024K1", "E31", 300, 30, 30], ["2024K2", "E31", 300, 60, 60]]  # by quarter: Q1 20 %, Q2 40 %
    rows += [["2024K1", "E21", 300, 90, 90]]  # E21's quarter beside its months: not counted twice
    write_csv(dd / "inbox" / "sykefravær.csv", rows)
    load_ok(dd)
    report = build_model(
        open_reader(load_settings(dd).current), ReportRequest("tertialrapport", 2024, "xlsx", tertial=1)
    )
    table = next(t for s in report.sections if s.heading == "Sykefravær" for t in s.tables)
    got = {row[0].text: row[1].value for row in table.rows}
    names = dict(query(dd, "SELECT unit_id, name FROM units"))
    assert got[names["E21"]] == pytest.approx(10.0)  # January–April, its months only
    assert got[names["E31"]] == pytest.approx(20.0)  # Q1 only: Q2 runs past April
    kommune = next(v for k, v in got.items() if k.endswith("i alt"))
    assert kommune == pytest.approx((40 + 60) / (400 + 300) * 100)


def test_a_sheet_name_is_one_excel_takes_even_when_cut_or_numbered():
    from dashboard.export import sheet_name

    assert sheet_name("a" * 30 + "'b") == "a" * 30  # cut to 31 characters, no ' left at its end
    taken: set[str] = set()
    names = [sheet_name("b" * 40, taken) for _ in range(120)]
    assert len(set(names)) == 120 and max(map(len, names)) == 31 and names[-1].endswith(" 120")


def test_decisions_report_groups_by_committee_with_overdue_first(reports, demo_dir):
    book = load_workbook(reports["vedtak.xlsx"])
    committees = [r[0] for r in query(demo_dir, "SELECT DISTINCT committee FROM decisions ORDER BY 1")]
    assert book.sheetnames[1:] == [c[:31] for c in committees]
    overdue = dict(query(demo_dir, "SELECT case_no, days_overdue FROM decisions_overdue"))
    for name in book.sheetnames[1:]:
        rows = [r for r in sheet_rows(reports["vedtak.xlsx"], name)[1:] if r[1]]
        days = [r[6] for r in rows]
        late = [d for d in days if isinstance(d, (int, float))]
        assert days[: len(late)] == sorted(late, reverse=True), "overdue first, most overdue on top"
        for r in rows:
            assert r[6] == overdue.get(r[1], "–") or (r[6] == "–" and r[1] not in overdue)


def test_leader_report_has_room_for_keep_and_improve_points(reports):
    doc = Document(str(reports["leder-E22-2022.docx"]))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert "Åpne avvik" in headings and "Bevaringspunkter" in headings and "Forbedringspunkter" in headings
    assert "Vinjeøra barnehage – 2022" in [p.text for p in doc.paragraphs[:5]]


def test_a_year_without_data_says_so_in_norwegian(demo_dir, tmp_path, capsys):
    out = tmp_path / "tom.docx"
    assert bms(["report", "tjenesterapport", "--year", "2019", "--output", str(out), "--data-dir", str(demo_dir)]) == 0
    assert "Det finnes ingen data for 2019 i datavarehuset." in [p.text for p in Document(str(out)).paragraphs]
    code = bms(
        [
            "report",
            "tjenesterapport",
            "--year",
            "2025",
            "--area",
            "havbruk",
            "--output",
            str(out),
            "--data-dir",
            str(demo_dir),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "Fant ikke tjenesteområdet «havbruk»" in err and "Traceback" not in err

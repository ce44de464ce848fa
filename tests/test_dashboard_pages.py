"""The unit, service-area and indicator pages without a browser: tables, matrix, bands, peers and the
downloads and CSV API over the demo warehouse (numbers checked against the warehouse, queried here)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dash
import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook

from dashboard import access, components, indicator_view, tables, unit_view
from dashboard.app import create_app
from dashboard.export import STATUS_FILLS, ExportColumn, sheet_name
from dashboard.indicator_figures import history_figure, status_bands
from etl.load import load
from etl.norsk import STATUS_LABELS, format_period
from etl.settings import load_settings
from etl.store.warehouse import DUCKDB_CONFIG
from tests.helpers import app_client


def walk(node: Any) -> Iterator[Any]:
    """Every component in a tree, depth first."""
    if isinstance(node, list | tuple):
        for child in node:
            yield from walk(child)
    elif node is not None and not isinstance(node, str | int | float):
        yield node
        yield from walk(getattr(node, "children", None))


def text(node: Any) -> str:
    """The visible text of a component tree."""
    if node is None or isinstance(node, str | int | float):
        return "" if node is None else str(node)
    if isinstance(node, list | tuple):
        return "".join(text(c) for c in node)
    return text(getattr(node, "children", None))


def by_class(tree: Any, name: str) -> list[Any]:
    return [c for c in walk(tree) if name in (getattr(c, "className", None) or "").split()]


def query(demo_dir: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(load_settings(demo_dir).current.resolve()), read_only=True, config=DUCKDB_CONFIG) as con:
        return con.execute(sql, params or []).fetchall()


def rows_of(answer) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))


# ---------------------------------------------------------------- pure functions


def test_table_cells_read_as_norwegian_and_missing_is_a_dash() -> None:
    row = {"value": -0.04, "decimals": 1, "period": dt.date(2025, 5, 1), "period_type": "tertial", "n": None}
    assert tables.cell_text(row, ExportColumn("value", "Verdi", "number", "row")) == "0,0"
    assert tables.cell_text(row, ExportColumn("period", "Periode", "period")) == "2. tertial 2025"
    assert tables.cell_text(row, ExportColumn("n", "Antall svar", "number", 0)) == "–"


def test_data_table_has_caption_header_scope_status_text_and_download_links() -> None:
    frame = pd.DataFrame([{"name": "Sykefravær", "status": "red", "status_reason": None}])
    cols = (ExportColumn("name", "Indikator"), ExportColumn("status", "Status", "status"))
    tree = tables.data_table(frame, cols, "Tallene", ("indikator", {"id": "sykefravaer", "enhet": None}))
    assert "Tallene" in text(tree) and STATUS_LABELS["red"] in text(tree)
    hrefs = [a.href for a in by_class(tree, "bms-download")]
    assert hrefs == ["/eksport/indikator.csv?id=sykefravaer", "/eksport/indikator.xlsx?id=sykefravaer"]
    empty = tables.data_table(frame.iloc[0:0], cols, "Tallene", empty_text="Ingen åpne avvik.")
    assert "Ingen åpne avvik." in text(empty)


def test_area_slug_and_lookup_are_forgiving_about_case_and_letters() -> None:
    units = pd.DataFrame({"service_area": ["helse og mestring", "oppvekst"]})
    assert unit_view.area_slug("Helse og mestring") == "helse-og-mestring"
    assert unit_view.find_area(units, "helse-og-mestring") == "helse og mestring"
    assert unit_view.find_area(units, "Oppvekst") == "oppvekst"
    assert unit_view.find_area(units, "teknisk") is None


def test_matrix_puts_units_across_and_says_status_in_words() -> None:
    base = {
        "focus_area": "Ansatte",
        "name": "Sykefravær",
        "unit_of_measure": "%",
        "decimals": 1,
        "period": dt.date(2025, 12, 1),
        "period_type": "month",
        "status_reason": None,
    }
    frame = pd.DataFrame(
        [
            {**base, "indicator_id": "sf", "unit_id": "E1", "unit_name": "A", "value": 9.7, "status": "red"},
            {
                **base,
                "indicator_id": "sf",
                "unit_id": "E2",
                "unit_name": "B",
                "value": None,
                "status": "grey",
                "status_reason": "for få svar",
            },
            {
                **base,
                "indicator_id": "tf",
                "name": "Trivsel",
                "unit_id": "E1",
                "unit_name": "A",
                "value": 4.0,
                "status": "green",
            },
        ]
    )
    shown = text(unit_view.matrix_table(frame, "Matrise"))
    assert "9,7\u00a0%" in shown and "Rød" in shown and "for få svar" in shown and "ikke målt" in shown


def test_status_bands_follow_direction_and_relative_tolerance() -> None:
    assert status_bands(10, 1, 3, "høyere", "absolutt", 0, 20) == [(9, 20, "green"), (7, 9, "yellow"), (0, 7, "red")]
    assert status_bands(10, 1, 3, "lavere", "absolutt", 0, 20) == [
        (0, 11, "green"),
        (11, 13, "yellow"),
        (13, 20, "red"),
    ]
    assert status_bands(200, 5, 10, "lavere", "relativ", 0, 400)[0] == (0, 210, "green")
    assert {s for *_, s in status_bands(10, 1, 3, "intervall", None, 0, 20)} == {"green", "yellow", "red"}


def test_history_figure_draws_target_bands_and_survey_intervals() -> None:
    fig = history_figure(
        [dt.date(2024, 1, 1), dt.date(2025, 1, 1)],
        [4.2, 4.5],
        targets=[4.4, 4.4],
        band=(4.4, 0.1, 0.5, "høyere", "absolutt"),
        ci=([4.0, 4.3], [4.4, 4.7]),
    )
    assert [t.name for t in fig.data] == ["Verdi", "Mål"]
    assert list(fig.data[0].error_y.array) == pytest.approx([0.2, 0.2])
    assert len(fig.layout.shapes) == 3


def test_a_held_back_unit_never_gets_a_number() -> None:
    held = {"value": None, "status": "grey", "status_reason": "for få svar", "unit_of_measure": "", "decimals": 1}
    assert indicator_view.unit_value_text(held) == "for få svar"
    assert indicator_view.unit_value_text({**held, "value": 4.8}) == "for få svar"
    assert indicator_view.unit_value_text({**held, "status": "green", "status_reason": None, "value": 4.8}) == "4,8"


def test_card_links_to_its_indicator_page_and_shows_the_kostra_group() -> None:
    row = {
        "indicator_id": "gruppestorrelse",
        "name": "Gruppestørrelse",
        "scope": "enhet",
        "scope_code": "E31",
        "value": 15.9,
        "unit_of_measure": "",
        "decimals": 1,
        "status": "red",
        "group_name": "KOSTRA-gruppe 2",
        "group_value": 12.1,
    }
    card = components.indicator_card(row)
    link = by_class(card, "bms-name")[0]
    assert link.href == "/indikator/gruppestorrelse?enhet=E31"
    assert "KOSTRA-gruppe 2: 12,1" in text(card)
    kommune = components.indicator_card({**row, "scope": "kommune", "scope_code": "5055", "group_value": None})
    assert by_class(kommune, "bms-name")[0].href == "/indikator/gruppestorrelse"
    assert "KOSTRA-gruppe" not in text(kommune)


# ---------------------------------------------------------------- over the demo warehouse


@pytest.fixture(scope="module")
def client(demo_dir: Path):
    return app_client(create_app(demo_dir))


def test_scorecard_excel_keeps_the_status_colours_as_fills(client, demo_dir: Path) -> None:
    answer = client.get("/eksport/malekort.xlsx?enhet=E42")
    assert answer.status_code == 200
    ws = load_workbook(io.BytesIO(answer.data)).active
    header = [c.value for c in ws[3]]
    status_col = header.index("Status") + 1
    seen = 0
    for row in ws.iter_rows(min_row=4):
        cell = row[status_col - 1]
        status = {v: k for k, v in STATUS_LABELS.items()}[cell.value]
        assert cell.fill.start_color.rgb.endswith(STATUS_FILLS[status].start_color.rgb[-6:])
        seen += 1
    assert seen == query(demo_dir, "SELECT count(*) FROM scorecard WHERE scope = 'enhet' AND scope_code = 'E42'")[0][0]


def test_every_focus_table_downloads_as_excel_and_csv_whatever_its_title(client) -> None:
    from dashboard import downloads

    keys = [k for k in downloads.TABLES if k.startswith("fokus-")]
    assert len(keys) >= 8
    for key in keys:
        answer = client.get(f"/eksport/{key}.xlsx")
        assert answer.status_code == 200, key
        book = load_workbook(io.BytesIO(answer.data))
        assert book.active.max_row > 1 and not set(book.active.title) & set("[]:*?/\\"), key
        assert client.get(f"/eksport/{key}.csv").status_code == 200, key
    assert sheet_name("10-FAKTOR 2025: snitt per faktor [a/b]*?") == "10-FAKTOR 2025- snitt per fakto"


def test_where_the_numbers_come_from_names_the_files_the_shown_figures_came_from(demo_dir: Path) -> None:
    from etl.store.warehouse import WarehouseReader

    reader = WarehouseReader(load_settings(demo_dir).current)

    def named(indicator: str, scopes: list[tuple[str, str]]) -> tuple[set[str], set[str]]:
        ind = query(demo_dir, "SELECT indicator_id, source FROM indicators WHERE indicator_id = ?", [indicator])[0]
        got = indicator_view.provenance(reader, {"indicator_id": ind[0], "source": ind[1]}, scopes)
        return set(got["files"]["file_name"]), set(got["kostra"]["table_id"])

    def typed_in(indicator: str, scope: str) -> set[str]:  # the files the figures themselves name
        refs = query(
            demo_dir,
            "SELECT DISTINCT source_ref FROM indicator_values WHERE indicator_id = ? AND scope = ?",
            [indicator, scope],
        )
        return {r.split("(", 1)[1].rstrip(")") for (r,) in refs if r.startswith("manuelt registrert (")}

    units = [u for (u,) in query(demo_dir, "SELECT DISTINCT scope_code FROM indicator_values WHERE scope = 'enhet'")]
    # a unit's barnehage staffing is typed in: its file, and no SSB table it was not read from
    assert typed_in("barn_per_arsverk", "enhet")
    assert named("barn_per_arsverk", [("enhet", "E21")]) == (typed_in("barn_per_arsverk", "enhet"), set())
    files, tables = named("barn_per_arsverk", [("kommune", "5055")])
    assert tables == {"13502"} and not files & typed_in("barn_per_arsverk", "enhet")
    # a figure typed in for the kommune and its units: only the file that holds it
    scopes = [("kommune", "5055")] + [("enhet", u) for u in units]
    assert named("grunnskolepoeng", scopes) == (typed_in("grunnskolepoeng", "kommune"), set())
    # the unit page's sources say the same: E21's staffing figures are typed in, none came from KOSTRA
    sources = unit_view.scope_sources(reader, "enhet", "E21").set_index("source")
    assert sources.loc["manuell", "indicators"] >= 1 and sources.loc["KOSTRA", "indicators"] == 0


def test_api_scorecard_filters_by_unit_year_and_focus_area(client, demo_dir: Path) -> None:
    rows = rows_of(client.get("/api/scorecard.csv?unit=E21&year=2025&focus_area=Ansatte"))
    expected = query(
        demo_dir,
        """SELECT count(*) FROM scorecard WHERE scope = 'enhet' AND scope_code = 'E21' AND year(period) = 2025
           AND focus_area = 'Ansatte'""",
    )[0][0]
    assert len(rows) == expected > 0
    assert {r["Fokusområde"] for r in rows} == {"Ansatte"} and {r["Gjelder"] for r in rows} == {
        "Kyrksæterøra barnehage"
    }
    assert client.get("/api/scorecard.csv?year=i%20fjor").status_code == 400
    # a unit and a focus area as people write them; an unknown one is refused, never an empty file
    answer = client.get("/api/scorecard.csv?unit=e21&year=2025&focus_area=ansatte")
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8" and len(rows_of(answer)) == expected
    same = rows_of(client.get("/api/indicator_values.csv?unit=kommune&focus_area=interne-prosesser"))
    assert same == rows_of(client.get("/api/indicator_values.csv?unit=kommune&focus_area=Interne%20prosesser"))
    assert same
    for odd, said in (("unit=E99", "Fant ingen enhet med koden «E99»"), ("focus_area=penger", "Ukjent fokusområde")):
        answer = client.get(f"/api/scorecard.csv?{odd}")
        assert answer.status_code == 400 and said in answer.get_data(as_text=True), odd
    for odd in ("%C2%B2", "%D9%A3"):  # «²» and Arabic-Indic «٣» count as digits to str.isdigit
        answer = client.get(f"/api/scorecard.csv?year={odd}")
        assert answer.status_code == 400 and "er ikke et årstall" in answer.get_data(as_text=True)


def test_api_never_gives_a_held_back_survey_value(client, demo_dir: Path) -> None:
    held = query(demo_dir, "SELECT indicator_id, scope_code, period FROM held_back WHERE scope = 'enhet'")
    assert held
    rows = rows_of(client.get("/api/indicator_values.csv"))
    given = {(r["Indikator-id"], r["Gjelder"], r["Periode"]) for r in rows}
    names = dict(query(demo_dir, "SELECT unit_id, name FROM units"))
    for iid, unit, period in held:
        assert (iid, names[unit], format_period(period, "year")) not in given


def test_an_indicators_download_says_why_a_held_back_period_has_no_figure(client, demo_dir: Path) -> None:
    held = query(
        demo_dir,
        "SELECT indicator_id, scope_code, period, period_type, reason FROM held_back WHERE scope = 'enhet' "
        "ORDER BY ALL LIMIT 1",
    )
    assert held
    indicator, unit, period, period_type, reason = held[0]
    rows = rows_of(client.get(f"/eksport/indikator.csv?id={indicator}&enhet={unit}"))
    row = next(r for r in rows if r["Periode"] == format_period(period, period_type))
    assert row["Verdi"] == "" and row["Status"] == "Grå" and row["Merknad"] == reason


def test_downloads_and_api_ask_access_and_answer_403(client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(access, "may_see_unit", lambda unit_id: unit_id != "E21")
    assert client.get("/eksport/malekort.csv?enhet=E21").status_code == 403
    assert client.get("/api/scorecard.csv?unit=E21").status_code == 403
    assert client.get("/eksport/malekort.csv?enhet=E22").status_code == 200
    assert client.get("/eksport/finnes-ikke.csv").status_code == 404


def test_pages_explain_an_unknown_address_or_refused_access_in_norwegian(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(demo_dir)
    pages = {p["module"].rsplit(".", 1)[-1]: p["layout"] for p in dash.page_registry.values()}
    with app.server.test_request_context("/"):
        assert "Fant ikke enheten" in text(pages["unit"](unit_id="E99"))
        assert "Fant ikke indikatoren" in text(pages["indicator"](indicator_id="finnes_ikke"))
        assert "Fant ikke tjenesteområdet" in text(pages["service_area"](area="finnes-ikke"))
        assert "Fant ikke enheten" in text(pages["indicator"](indicator_id="sykefravaer", enhet="E99"))
        monkeypatch.setattr(access, "may_see_unit", lambda unit_id: False)
        assert "Ingen tilgang" in text(pages["unit"](unit_id="E21"))
        assert "Ingen tilgang" in text(pages["indicator"](indicator_id="sykefravaer", enhet="E21"))


def test_every_app_gets_the_callbacks_its_pages_register(demo_dir: Path) -> None:
    first, second = create_app(demo_dir), create_app(demo_dir)
    for app in (first, second):
        assert any("overview-body.children" in key for key in app.callback_map)
    assert "/indikator/<indicator_id>" in {p.get("path_template") for p in dash.page_registry.values()}


def test_definition_lists_purpose_formula_source_owner_direction_target_frequency_and_noise() -> None:
    ind = {
        "description": "Tapte dagsverk.",
        "formula": "tapt / mulig × 100",
        "source": "sykefravær",
        "source_ref": "sick_leave:total",
        "owner": "HR-sjef",
        "direction": "lavere",
        "frequency": "måned",
        "noise": None,
        "comparison": None,
        "min_n": 3,
        "unit_of_measure": "%",
        "decimals": 1,
    }
    targets = pd.DataFrame(
        [{"period": dt.date(2025, 1, 1), "target": 7.0, "green": 0.0, "red": 1.5, "tolerance": "absolutt"}]
    )
    shown = text(indicator_view.definition_list(ind, targets))
    for part in (
        "Tapte dagsverk.",
        "tapt / mulig × 100",
        "sykefravær (sick_leave:total)",
        "HR-sjef",
        "Lavere er bedre",
        "7,0\u00a0% (2025)",
        "rød mer enn 1,5 %-poeng",
        "måned",
        "ikke oppgitt",
    ):
        assert part in shown, part


def test_peers_table_has_the_subject_each_peer_and_the_regions_in_their_roles() -> None:
    row = {
        "value": 1.7,
        "status_symbol": None,
        "decimals": 1,
        "group_code": "EKG02",
        "county_code": "EKA50",
        "country_code": "EAKUO",
        "peers": [
            {"code": "5056", "name": "Hitra", "value": 6.4, "status_symbol": None},
            {"code": "5014", "name": "Frøya", "value": None, "status_symbol": ".."},
        ],
        "regions": [
            {"code": "EKG02", "name": "KOSTRA-gruppe 2", "value": 1.5, "status_symbol": None},
            {"code": "EKA50", "name": "Trøndelag", "value": 2.0, "status_symbol": None},
            {"code": "EAKUO", "name": "Landet uten Oslo", "value": 1.8, "status_symbol": None},
        ],
    }
    frame = indicator_view.peers_frame(row, "Heim")
    assert list(zip(frame["name"], frame["role"], strict=True)) == [
        ("Heim", "valgt"),
        ("Hitra", "sammenligningskommune"),
        ("Frøya", "sammenligningskommune"),
        ("KOSTRA-gruppe 2", "KOSTRA-gruppe"),
        ("Trøndelag", "fylket"),
        ("Landet uten Oslo", "landet uten Oslo"),
    ]
    assert frame.loc[frame["name"] == "Frøya", "status_symbol"].item() == ".."


def table_rows(tree: Any, table_id: str) -> list[list[str]]:
    """The body rows of the table with this id, as the texts of their cells."""
    table = next(c for c in walk(tree) if getattr(c, "id", None) == table_id)
    body = next(c for c in walk(table) if type(c).__name__ == "Tbody")
    return [[text(cell) for cell in row.children] for row in body.children]


def test_unit_page_lists_the_warehouse_open_avvik_overdue_vedtak_and_sources(demo_dir: Path) -> None:
    app = create_app(demo_dir)
    layout = next(p["layout"] for p in dash.page_registry.values() if p["module"].endswith(".unit"))
    with app.server.test_request_context("/"):
        page = layout(unit_id="E42")
    open_ids = [
        i
        for (i,) in query(
            demo_dir,
            "SELECT deviation_id FROM deviations WHERE unit_id = 'E42' "
            "AND closed_on IS NULL ORDER BY due_on, deviation_id",
        )
    ]
    assert open_ids and [r[0] for r in table_rows(page, "unit-deviations")] == open_ids
    overdue = [
        c for (c,) in query(demo_dir, "SELECT case_no FROM decisions_overdue WHERE unit_id = 'E42' ORDER BY due_on")
    ]
    assert overdue and [r[0] for r in table_rows(page, "unit-decisions")] == overdue
    sources = query(
        demo_dir,
        """SELECT i.source, max(v.period), arg_max(v.period_type, v.period) FROM indicator_values v
           JOIN indicators i USING (indicator_id) WHERE v.scope = 'enhet' AND v.scope_code = 'E42'
           GROUP BY i.source ORDER BY i.source""",
    )
    shown = {r[0]: r[2] for r in table_rows(page, "unit-sources")}
    for source, last, period_type in sources:
        assert shown[source] == format_period(last, period_type)


@pytest.mark.parametrize(
    "table,query_string",
    [
        ("malekort", "enhet=E21"),
        ("indikator", "id=sykefravaer&enhet=E21"),
        ("indikator-enheter", "id=sykefravaer"),
        ("indikator-kostra", "id=netto_driftsresultat"),
        ("apne-avvik", "enhet=E42"),
        ("vedtak-over-frist", "enhet=E42"),
        ("kilder", "enhet=E42"),
        ("tjenesteomrade", "omrade=oppvekst"),
    ],
)
def test_every_page_table_downloads_as_csv_and_excel(client, table: str, query_string: str) -> None:
    answer = client.get(f"/eksport/{table}.csv?{query_string}")
    assert answer.status_code == 200 and answer.headers["Content-Disposition"].endswith(f"{table}.csv")
    assert len(rows_of(answer)) > 0
    excel = client.get(f"/eksport/{table}.xlsx?{query_string}")
    assert excel.status_code == 200
    assert load_workbook(io.BytesIO(excel.data)).active.max_row >= 4


def test_an_indicator_the_catalogue_does_not_measure_for_a_unit_says_so_not_that_figures_are_late(
    demo_dir: Path,
) -> None:
    app = create_app(demo_dir)
    pages = {p["module"].rsplit(".", 1)[-1]: p["layout"] for p in dash.page_registry.values()}
    ((other,),) = query(  # a unit the nursing-home survey is not measured for, and one it is
        demo_dir,
        "SELECT min(unit_id) FROM units WHERE unit_id NOT IN "
        "(SELECT unit_id FROM indicator_units WHERE indicator_id = 'tilfredshet_sykehjem')",
    )
    ((own,),) = query(demo_dir, "SELECT min(unit_id) FROM indicator_units WHERE indicator_id = 'tilfredshet_sykehjem'")
    with app.server.test_request_context("/"):
        assert indicator_view.NOT_MEASURED in text(pages["indicator"](indicator_id="tilfredshet_sykehjem", enhet=other))
        page = text(pages["indicator"](indicator_id="tilfredshet_sykehjem", enhet=own))
        assert indicator_view.NOT_MEASURED not in page and "ennå" not in page.split("Utvikling")[1][:200]


def test_with_only_the_catalogue_loaded_pages_say_what_is_missing(data_dir: Path) -> None:
    load(load_settings(data_dir))
    app = create_app(data_dir)
    pages = {p["module"].rsplit(".", 1)[-1]: p["layout"] for p in dash.page_registry.values()}
    with app.server.test_request_context("/"):
        indicator = text(pages["indicator"](indicator_id="sykefravaer"))
        assert "Ingen tall for denne indikatoren her ennå." in indicator
        assert "Ingen fil fra kilden «sykefravær» er lastet ennå" in indicator
        assert "Fant ikke enheten" in text(pages["unit"](unit_id="E21"))
    assert rows_of(app_client(app).get("/api/scorecard.csv")) == []


def test_unit_heading_names_the_leader_and_says_which_column_to_fill_when_the_file_has_none() -> None:
    unit = {"unit_id": "E21", "name": "Kyrksæterøra barnehage", "service_area": "oppvekst", "service": "barnehage"}
    named = text(
        unit_view.unit_heading({**unit, "leader": "Kari Hansen, styrer", "area_head": "Kommunalsjef oppvekst"})
    )
    assert "Leder: Kari Hansen, styrer" in named and "Kommunalsjef: Kommunalsjef oppvekst" in named
    missing = text(unit_view.unit_heading({**unit, "leader": None, "area_head": float("nan")}))
    assert "Leder: ikke oppgitt (fyll ut kolonnen «leder» i enhetsfila)" in missing
    assert "Kommunalsjef: ikke oppgitt (fyll ut kolonnen «kommunalsjef» i enhetsfila)" in missing

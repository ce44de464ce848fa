"""dashboard.notebook: the helpers the notebooks import, checked against the warehouse they read."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dashboard import notebook as nb
from tests.helpers import query


@pytest.fixture(scope="module")
def wh(demo_dir):
    return nb.reader(demo_dir)


def test_the_data_folder_is_bms_data_dir_when_set(demo_dir, monkeypatch):
    monkeypatch.setenv("BMS_DATA_DIR", str(demo_dir))
    assert nb.data_dir() == demo_dir.resolve()


def test_without_bms_data_dir_a_fresh_demo_installation_is_built_in_a_temporary_folder(monkeypatch):
    monkeypatch.delenv("BMS_DATA_DIR", raising=False)
    folder = nb.data_dir()
    assert folder != Path("data").resolve() and "heim-demo-" in str(folder)
    assert query(folder, "SELECT count(*) FROM load_log WHERE origin = 'demo' AND status = 'loaded'")[0][0] > 0
    assert nb.data_dir() == folder  # built once per process


def test_a_folder_with_nothing_published_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="Ingen publisert datavarehus"):
        nb.reader(tmp_path)


def test_relations_count_the_rows_of_every_table_and_view(demo_dir, wh):
    listing = nb.relations(wh).set_index("relation")
    names = {t for (t,) in query(demo_dir, "SELECT table_name FROM information_schema.tables")}
    assert set(listing.index) == names
    for name in ("scorecard", "load_log", "units", "raw_accounting"):
        assert listing.loc[name, "rows"] == query(demo_dir, f"SELECT count(*) FROM {name}")[0][0]
    assert "vintage" in listing.loc["indicator_values", "columns"].split(", ")


def test_origin_names_the_value_and_the_files_it_came_from(demo_dir, wh):
    found = nb.origin(wh, "trivsel_skole", "E31")
    period, value, source = query(
        demo_dir,
        "SELECT period, value, source_ref FROM indicator_values WHERE indicator_id = 'trivsel_skole' "
        "AND scope_code = 'E31' ORDER BY period DESC LIMIT 1",
    )[0]
    row = found["value"].iloc[0]
    assert (row["period"].date(), row["value"], row["source_ref"]) == (period, value, source)
    files = {f for (f,) in query(demo_dir, "SELECT DISTINCT _file FROM raw_manual_values")}
    assert files <= set(found["files"]["file_name"]) and set(found["files"]["kind"]) == {"indikatorverdier"}


def test_the_kostra_summary_keeps_rank_and_status_symbols(demo_dir, wh):
    comparison = nb.kostra_comparison(wh)
    summary = nb.kostra_summary(comparison).set_index("indikator")
    for name, year, rank, rank_of in query(
        demo_dir,
        "SELECT name, year, rank, rank_of FROM kostra_comparison WHERE scope = 'kommune' "
        "QUALIFY year = max(year) OVER (PARTITION BY indicator_id)",
    ):
        assert summary.loc[name, "år"] == year and summary.loc[name, "plass"] == f"{rank} av {rank_of}"
    peer, year, symbol = query(
        demo_dir,
        "SELECT m.name, v.year, v.status FROM kostra_values v JOIN municipalities m ON m.code = v.region_code "
        "WHERE v.contents_code = 'KOSKG210000' AND v.status IS NOT NULL",
    )[0]
    row = comparison[(comparison.indicator_id == "disposisjonsfond") & (comparison.year == year)].iloc[0]
    bars = nb.peers_figure(row).data[0]
    at = list(bars.x).index(peer)
    assert bars.y[at] is None and bars.text[at] == symbol


def test_the_trend_figure_draws_the_kommunes_figures_and_marks_a_symbol(wh):
    comparison = nb.kostra_comparison(wh, ["gruppestorrelse"])
    figure = nb.kostra_trend_figure(comparison, "gruppestorrelse")
    line = next(t for t in figure.data if t.name == comparison["scope_name"].iloc[0])
    assert list(line.y) == list(comparison["value"])
    hidden = comparison.assign(value=None, status_symbol=":")  # as if SSB had suppressed every year
    assert [a.text for a in nb.kostra_trend_figure(hidden, "gruppestorrelse").layout.annotations].count(
        f"{comparison['scope_name'].iloc[0]}: «:»"
    ) == len(comparison)


def test_shown_writes_norwegian_numbers_or_the_symbol():
    assert nb.shown(1234.56, 1) == "1\u00a0234,6"
    assert nb.shown(None, 1, "..") == ".." and nb.shown(float("nan"), 1, ":") == ":"


def test_a_new_indicator_with_values_and_a_target_reaches_the_scorecard(demo_copy):
    nb.add_indicator(
        demo_copy,
        {"id": "ny_test", "navn": "Ny testindikator", "fokusområde": "Økonomi", "retning": "høyere",
         "måleenhet": "%", "kilde": "manuell", "nivå": "kommune", "mål": "50", "grønn": "0", "rød": "10"},
    )  # fmt: skip
    nb.write_csv(demo_copy / "inbox" / "v.csv", [{"indikator_id": "ny_test", "periode": 2025, "verdi": 41.5}])
    nb.write_csv(demo_copy / "inbox" / "m.csv", [{"indikator_id": "ny_test", "år": 2025, "mål": 40}])
    summary = nb.load_files(demo_copy)
    assert not summary.rejected and summary.version is not None
    assert query(demo_copy, "SELECT value, target, status FROM scorecard_latest WHERE indicator_id = 'ny_test'") == [
        (41.5, 40.0, "green")
    ]


def test_an_unknown_catalogue_column_is_refused_before_the_file_is_touched(demo_copy):
    before = (demo_copy / "balansehandbok.csv").read_bytes()
    with pytest.raises(ValueError, match="Ukjente kolonner i katalogen: farge"):
        nb.add_indicator(demo_copy, {"id": "x", "farge": "blå"})
    assert (demo_copy / "balansehandbok.csv").read_bytes() == before


def test_service_area_figures_and_their_excel_file(demo_dir, wh, tmp_path):
    figures = nb.service_area_figures(wh, "helse og mestring")
    units = {u for (u,) in query(demo_dir, "SELECT unit_id FROM units WHERE service_area = 'helse og mestring'")}
    assert set(figures.loc[figures.scope == "enhet", "scope_code"]) == units
    kommune = figures[figures.scope == "kommune"]
    assert set(kommune.indicator_id) <= set(figures.loc[figures.scope == "enhet", "indicator_id"])
    expected = query(
        demo_dir,
        "SELECT count(*) FROM scorecard_latest WHERE scope = 'enhet' AND scope_code IN "
        "(SELECT unit_id FROM units WHERE service_area = 'helse og mestring')",
    )[0][0]
    assert (figures.scope == "enhet").sum() == expected
    path = nb.write_excel(figures, tmp_path / "r.xlsx", "Tjenesterapport")
    back = pd.read_excel(path, engine="calamine", skiprows=2)
    assert list(back["Gjelder"]) == list(figures["scope_name"])
    assert ((back["Verdi"] - figures["value"]).abs().fillna(0) < 1e-9).all()


def test_the_ssb_client_fetches_a_table_from_a_server_and_keeps_its_symbols(data_dir):
    from tests.ssb_server import SsbReplay, make_table

    regions = {"5055": "Heim", "5014": "Frøya"}
    table = make_table(
        "12870",
        regions,
        {"KOSx": ("x", "prosent", 1)},
        [2024, 2025],
        lambda c, r, y: None if r == "5014" and y == 2025 else y - 2000 + 0.5,
        status=lambda c, r, y: ":" if r == "5014" and y == 2025 else None,
    )
    with SsbReplay(tables={"12870": table}) as server:
        client = nb.ssb_client(data_dir, base_url=server.url)
        doc, _, asked = client.v2_data(
            "12870", {"KOKkommuneregion0000": list(regions), "ContentsCode": ["KOSx"], "Tid": ["2024", "2025"]}
        )
    assert asked["url"].startswith(server.url)
    cells = nb.ssb_cells(doc).set_index(["region_code", "year"])
    assert cells.loc[("5055", 2025), "value"] == 25.5 and cells.loc[("5014", 2024), "value"] == 24.5
    assert pd.isna(cells.loc[("5014", 2025), "value"]) and cells.loc[("5014", 2025), "status"] == ":"

"""Sammenligning's pure builders and queries, on the demo warehouse: ranks, symbols, judgements, export."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import comparison_view as view
from dashboard.analysis_tables import table_bytes
from etl.settings import load_settings
from etl.store.warehouse import WarehouseReader
from tests.helpers import query


@pytest.fixture(scope="module")
def reader(demo_dir: Path) -> WarehouseReader:
    return WarehouseReader(load_settings(demo_dir).current)


def _text(component: object) -> str:
    """All text in a Dash component tree."""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return "".join(_text(c) for c in component)
    children = getattr(component, "children", None)
    return _text(children) if children is not None else ""


def test_ranks_among_the_configured_peers_are_the_etls_own(reader: WarehouseReader, demo_dir: Path) -> None:
    for year in view.years(reader):
        shown = {r.indicator_id: (r.rank, r.rank_of) for r in view.ranks(reader, year, "valgte").itertuples()}
        etl = query(
            demo_dir,
            "SELECT indicator_id, rank, rank_of FROM kostra_comparison WHERE scope = 'kommune' AND year = ?",
            [year],
        )
        assert shown == {iid: (rank, of) for iid, rank, of in etl}


def test_a_peer_set_holds_only_its_kommuner(reader: WarehouseReader, demo_dir: Path) -> None:
    year = view.years(reader)[0]
    county = query(demo_dir, "SELECT county_code FROM municipalities WHERE code = '5055'")[0][0]
    in_county = {
        c
        for (c,) in query(
            demo_dir, "SELECT code FROM municipalities WHERE kind = 'kommune' AND county_code = ?", [county]
        )
    }
    codes = set(view.peer_rows(reader, year, "fylke")["code"])
    assert codes and codes <= in_county - {"5055"}
    peers = set(query(demo_dir, "SELECT value FROM meta WHERE key = 'peers'")[0][0].split(","))
    assert set(view.peer_rows(reader, year, "valgte")["code"]) == peers


def test_a_symbol_is_shown_with_its_meaning_never_as_zero() -> None:
    cell = view.value_cell(None, "..", None, "%", 1)
    assert _text(cell) == ".. (tallgrunnlag mangler)"
    assert _text(view.value_cell(None, "…", None, "%", 1)) == "… (oppgave mangler foreløpig)"
    assert _text(view.value_cell(0.0, None, None, "%", 1)) == "0,0\u00a0%"
    assert _text(view.value_cell(None, None, None, "%", 1)) == "–"


def test_better_and_worse_follow_the_direction() -> None:
    assert view.judgement("høyere", 5.0, 6.0, None, 1) == "bedre"
    assert view.judgement("lavere", 5.0, 6.0, None, 1) == "dårligere"
    assert view.judgement("lavere", 5.0, 5.04, None, 1) == "likt"  # as shown, rounded to the decimals
    assert view.judgement("intervall", 5.0, 6.0, 6.2, 1) == "bedre"
    assert view.judgement("høyere", 5.0, None, None, 1) is None
    cell = view.judged_cell(6.0, None, None, "bedre", "%", 1, "Heim")
    assert cell.to_plotly_json()["props"]["data-judgement"] == "bedre"
    assert "▲ bedre enn Heim" in _text(cell)  # text and icon, not colour alone
    assert "▼ dårligere enn Heim" in _text(view.judged_cell(4.0, None, None, "dårligere", "%", 1, "Heim"))
    assert "= likt som Heim" in _text(view.judged_cell(5.0, None, None, "likt", "%", 1, "Heim"))


def test_rank_text() -> None:
    assert view.rank_text(3, 7) == "3. av 7"
    assert view.rank_text(None, None) == "ingen plass (mangler tall)"


def test_the_export_has_every_cell_and_keeps_symbols_as_symbols(reader: WarehouseReader, demo_dir: Path) -> None:
    symbol, year, code = query(
        demo_dir,
        "SELECT status_symbol, year(period), scope_code FROM indicator_values "
        "WHERE scope = 'region' AND status_symbol IS NOT NULL LIMIT 1",
    )[0]
    rows, peers = view.comparison_rows(reader, year), view.peer_rows(reader, year, "valgte")
    table = view.export_table(rows, peers, view.ranks(reader, year, "valgte"), "Heim", year)
    columns = view.matrix_columns(rows, pd.DataFrame(columns=["code", "name"]))
    assert len(table.frame) == len(rows) * (1 + len(peers) / len(rows) + len(columns))
    text = table_bytes(table, "csv").decode("utf-8-sig")
    assert f"{symbol} ({view.symbol_meaning(symbol)})" in text
    with_symbol = table.frame[table.frame["SSB-tegn"].notna()]
    assert with_symbol["Verdi"].isna().all()
    # the year is a label: «2024», never «2 024» as a number with a thousands space would be
    assert set(table.frame["År"]) == {str(year)} and f";{year};" in text


def test_the_trend_has_the_kommune_group_and_country(reader: WarehouseReader) -> None:
    year = view.years(reader)[0]
    trend = view.trend_rows(reader, year)
    one = trend[trend["indicator_id"] == trend["indicator_id"].iloc[0]]
    fig = go.Figure(view.trend_figure(one, "Heim"))  # a valid figure: plotly's validators check it
    assert [t.name for t in fig.data] == ["Heim", str(one["group_name"].iloc[0]), "Landet uten Oslo"]
    assert list(fig.data[0].y) == list(one["value"])
    table = view.trend_table(one, "Heim")
    assert list(table.frame["Heim"]) == list(one["value"]) and len(table.frame) == 5

"""Sammenligning (KOSTRA benchmarking): the queries and the pure builders behind `/sammenligning`.

The matrix is indicators × municipalities for one year: the kommune, each kommune of the chosen peer set,
its KOSTRA group, its county and the country without Oslo, every cell marked better / worse / equal to the
kommune given the indicator's direction (colour *and* an arrow and a word). SSB's status symbols stay
symbols with their meaning beside them, never 0. The kommune's rank among the peer set is computed in SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from dash import html

from dashboard.analysis_tables import Table
from etl.norsk import format_value
from etl.store.warehouse import WarehouseReader

PEER_SETS = {
    "valgte": "De valgte sammenligningskommunene",
    "kostragruppe": "Kommunene i samme KOSTRA-gruppe",
    "fylke": "Alle kommunene i fylket",
}
PEER_SET_COLUMN = {"valgte": "in_peers", "kostragruppe": "in_group", "fylke": "in_county"}
DEFAULT_PEER_SET = "valgte"
# (icon, the words before the kommune's name): «bedre enn Heim», but «likt som Heim»
JUDGEMENT_TEXT = {"bedre": ("▲", "bedre enn"), "dårligere": ("▼", "dårligere enn"), "likt": ("=", "likt som")}
# SSB's symbols as users meet them; `…` is how `...` is often typeset
SYMBOL_MEANINGS = {
    ".": "ikke mulig å oppgi tall",
    "..": "tallgrunnlag mangler",
    "...": "oppgave mangler foreløpig",
    "…": "oppgave mangler foreløpig",
    ":": "vises ikke av konfidensialitetshensyn",
    "-": "null",
}
LINE_COLOURS = {"kommune": "#17324d", "group": "#b35900", "country": "#5f6b7a"}


def years(reader: WarehouseReader) -> list[int]:
    """The years the kommune has a KOSTRA comparison for, newest first."""
    frame = reader.df("SELECT DISTINCT year FROM kostra_benchmark ORDER BY year DESC")
    return [int(y) for y in frame["year"]] if not frame.empty else []


def comparison_rows(reader: WarehouseReader, year: int) -> pd.DataFrame:
    """The kommune's comparison row per indicator for a year (value, group, county, country …)."""
    return reader.df(
        """
        SELECT c.*, i.sort_order, cm.name AS county_name, xm.name AS country_name
        FROM kostra_benchmark c
        JOIN indicators i USING (indicator_id)
        LEFT JOIN dashboard_region_names cm ON cm.code = c.county_code
        LEFT JOIN dashboard_region_names xm ON xm.code = c.country_code
        WHERE c.year = $year
        ORDER BY i.sort_order, c.indicator_id
        """,
        {"year": year},
    )


def peer_rows(reader: WarehouseReader, year: int, peer_set: str) -> pd.DataFrame:
    """The peer set's kommuner with their figure or SSB symbol per indicator, and how each compares."""
    column = PEER_SET_COLUMN[peer_set]  # a fixed column name from our own map, never user text
    return reader.df(
        f"""
        SELECT indicator_id, code, name, value, status_symbol, status_meaning, vs_home
        FROM kostra_peer_values
        WHERE year = $year AND {column}
        ORDER BY name, code
        """,
        {"year": year},
    )


def ranks(reader: WarehouseReader, year: int, peer_set: str) -> pd.DataFrame:
    """The kommune's place per indicator among the peer set's kommuner with a figure (1 = best)."""
    column = PEER_SET_COLUMN[peer_set]
    return reader.df(
        f"""
        SELECT c.indicator_id,
               CASE WHEN c.value IS NOT NULL THEN
                   1 + count(p.code) FILTER (WHERE p.vs_home = 'bedre') END AS rank,
               CASE WHEN c.value IS NOT NULL THEN 1 + count(p.value) END AS rank_of
        FROM kostra_benchmark c
        LEFT JOIN kostra_peer_values p
          ON p.indicator_id = c.indicator_id AND p.year = c.year AND p.{column}
        WHERE c.year = $year
        GROUP BY c.indicator_id, c.value
        """,
        {"year": year},
    )


def trend_rows(reader: WarehouseReader, year: int) -> pd.DataFrame:
    """The kommune, its KOSTRA group and the country over the five years up to `year`, per indicator."""
    return reader.df(
        """
        SELECT indicator_id, name, unit_of_measure, decimals, year, value, status_symbol,
               group_code, group_name, group_value, group_status_symbol, country_code, country_value
        FROM kostra_benchmark
        WHERE year BETWEEN $year - 4 AND $year
        ORDER BY indicator_id, year
        """,
        {"year": year},
    )


def rank_text(rank: Any, rank_of: Any) -> str:
    """`3. av 7`, or `ingen plass` when the kommune has no figure."""
    if rank is None or pd.isna(rank):
        return "ingen plass (mangler tall)"
    return f"{int(rank)}. av {int(rank_of)}"


def symbol_meaning(symbol: str | None, meaning: str | None = None) -> str:
    """What one of SSB's symbols means, in Norwegian."""
    return meaning or SYMBOL_MEANINGS.get(symbol or "", "ingen tall")


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and pd.isna(value)) and value is not pd.NA


def value_cell(value: Any, symbol: Any, meaning: Any, unit: str, decimals: int) -> list[Any]:
    """A figure, or SSB's symbol with its meaning (never a 0); `–` when there is neither."""
    if _present(value):
        return [format_value(float(value), unit, decimals)]
    if _present(symbol):
        text = symbol_meaning(str(symbol), meaning if _present(meaning) else None)
        return [
            html.Abbr(str(symbol), title=text, className="bms-ssb-symbol"),
            html.Span(f" ({text})", className="bms-symbol-text"),
        ]
    return ["–"]


def judged_cell(value: Any, symbol: Any, meaning: Any, judgement: Any, unit: str, decimals: int, name: str) -> html.Td:
    """A peer or region cell: the figure, and an arrow and word saying better/worse than the kommune."""
    parts = value_cell(value, symbol, meaning, unit, decimals)
    attrs: dict[str, Any] = {}
    if _present(judgement) and judgement in JUDGEMENT_TEXT:
        icon, word = JUDGEMENT_TEXT[judgement]
        parts += [html.Br(), html.Span(f"{icon} {word} {name}", className="bms-judgement")]
        attrs["data-judgement"] = judgement
    return html.Td(parts, className="bms-cmp-cell", **attrs)


def judgement(direction: str, value: Any, other: Any, target: Any, decimals: int) -> str | None:
    """`other` against the kommune's `value` given the direction (as shown; `intervall`: closer to target)."""
    if not (_present(value) and _present(other)):
        return None

    def score(x: float) -> float:
        x = round(float(x), decimals)
        if direction == "høyere":
            return x
        if direction == "lavere":
            return -x
        return -abs(x - float(target)) if _present(target) else float("nan")

    a, b = score(other), score(value)
    if a != a or b != b:
        return None
    return "bedre" if a > b + 1e-9 else "dårligere" if a < b - 1e-9 else "likt"


def matrix_columns(rows: pd.DataFrame, peers: pd.DataFrame) -> list[tuple[str, str, str]]:
    """The matrix's columns after the kommune: (code, name, kind) for each peer, the group, county, country."""
    cols = [(str(c), str(n), "peer") for c, n in peers[["code", "name"]].drop_duplicates().itertuples(index=False)]
    if not rows.empty:
        first = rows.iloc[0]
        for code, name, kind in (
            (first["group_code"], first["group_name"], "group"),
            (first["county_code"], first.get("county_name"), "county"),
            (first["country_code"], first.get("country_name"), "country"),
        ):
            if _present(code):
                cols.append((str(code), str(name) if _present(name) else str(code), kind))
    return cols


def _region_figure(row: Mapping[str, Any], kind: str) -> tuple[Any, Any]:
    if kind == "group":
        return row.get("group_value"), row.get("group_status_symbol")
    return row.get(f"{kind}_value"), None


def matrix(rows: pd.DataFrame, peers: pd.DataFrame, rank_frame: pd.DataFrame, kommune: str) -> html.Div:
    """The indicators × municipalities matrix with the kommune's rank, as an accessible table."""
    columns = matrix_columns(rows, peers)
    by_peer = {(r.indicator_id, str(r.code)): r for r in peers.itertuples(index=False)}
    rank_by = {r.indicator_id: r for r in rank_frame.itertuples(index=False)}
    head = html.Tr(
        [html.Th("Indikator", scope="col"), html.Th(kommune, scope="col"), html.Th(f"{kommune}s plass", scope="col")]
        + [html.Th(name, scope="col", **{"data-kind": kind}) for _, name, kind in columns]
    )
    body = []
    for row in rows.to_dict("records"):
        unit, decimals, iid = row["unit_of_measure"] or "", int(row["decimals"] or 0), row["indicator_id"]
        rank = rank_by.get(iid)
        cells: list[Any] = [
            html.Th(row["name"], scope="row"),
            html.Td(
                value_cell(row["value"], row["status_symbol"], row["status_meaning"], unit, decimals),
                className="bms-home",
            ),
            html.Td(rank_text(rank.rank if rank else None, rank.rank_of if rank else None), className="bms-rank"),
        ]
        for code, _name, kind in columns:
            if kind == "peer":
                p = by_peer.get((iid, code))
                value, symbol, meaning, judged = (
                    (p.value, p.status_symbol, p.status_meaning, p.vs_home) if p else (None, None, None, None)
                )
            else:
                value, symbol = _region_figure(row, kind)
                meaning = None
                judged = judgement(row["direction"], row["value"], value, row["target"], decimals)
            cells.append(judged_cell(value, symbol, meaning, judged, unit, decimals, kommune))
        body.append(html.Tr(cells, **{"data-indicator": iid}))
    return html.Div(
        html.Table(
            [
                html.Caption(f"{kommune} sammenlignet med andre kommuner og regioner"),
                html.Thead(head),
                html.Tbody(body),
            ],
            className="table table-sm bms-table bms-cmp-matrix",
            id="cmp-matrix",
        ),
        className="bms-table-wrap",
        tabIndex="0",
        role="region",
        **{"aria-label": "Sammenligningstabell"},
    )


def symbols_legend(rows: pd.DataFrame, peers: pd.DataFrame) -> html.Div | None:
    """The SSB symbols that occur on the page, each with its meaning."""
    seen = {str(s) for s in [*rows.get("status_symbol", []), *peers.get("status_symbol", [])] if _present(s)}
    seen |= {str(s) for s in rows.get("group_status_symbol", []) if _present(s)}
    if not seen:
        return None
    return html.Div(
        [html.H2("Tegn fra SSB", className="h6")]
        + [html.P([html.Strong(s), f": {symbol_meaning(s)}"], className="mb-0") for s in sorted(seen)],
        className="bms-symbols",
        id="cmp-symbols",
    )


def export_table(rows: pd.DataFrame, peers: pd.DataFrame, rank_frame: pd.DataFrame, kommune: str, year: int) -> Table:
    """The matrix in long form for CSV/Excel: one row per indicator and municipality or region."""
    records: list[dict[str, Any]] = []
    ranked = {r.indicator_id: r for r in rank_frame.itertuples(index=False)}
    for row in rows.to_dict("records"):
        r = ranked.get(row["indicator_id"])
        base = {"Indikator": row["name"], "År": str(year), "Måleenhet": row["unit_of_measure"]}
        records.append(
            {
                **base,
                "Kommune/region": kommune,
                "Verdi": row["value"],
                "SSB-tegn": row["status_symbol"],
                "Sammenlignet med " + kommune: None,
                f"{kommune}s plass": rank_text(r.rank, r.rank_of) if r else None,
            }
        )
        for p in peers[peers["indicator_id"] == row["indicator_id"]].itertuples(index=False):
            records.append(
                {
                    **base,
                    "Kommune/region": p.name,
                    "Verdi": p.value,
                    "SSB-tegn": p.status_symbol,
                    "Sammenlignet med " + kommune: p.vs_home,
                }
            )
        for _code, name, kind in matrix_columns(rows, pd.DataFrame(columns=["code", "name"])):
            value, symbol = _region_figure(row, kind)
            judged = judgement(row["direction"], row["value"], value, row["target"], int(row["decimals"] or 0))
            records.append(
                {
                    **base,
                    "Kommune/region": name,
                    "Verdi": value,
                    "SSB-tegn": symbol,
                    "Sammenlignet med " + kommune: judged,
                }
            )
    frame = pd.DataFrame.from_records(records)
    if not frame.empty:
        frame["Verdi"] = pd.to_numeric(frame["Verdi"], errors="coerce")
        frame["SSB-tegn"] = frame["SSB-tegn"].map(lambda s: f"{s} ({symbol_meaning(s)})" if _present(s) else None)
    return Table(f"KOSTRA-sammenligning {year}", frame, {"Verdi": 1}, f"sammenligning-{year}")


def trend_table(trend: pd.DataFrame, kommune: str) -> Table:
    """One indicator's five years as numbers: the kommune, its KOSTRA group and the country."""
    group = next((str(g) for g in trend["group_name"] if _present(g)), "KOSTRA-gruppen")
    frame = pd.DataFrame(
        {
            "År": trend["year"].astype(str),
            kommune: trend["value"],
            group: trend["group_value"],
            "Landet uten Oslo": trend["country_value"],
        }
    )
    decimals = int(trend["decimals"].iloc[0] or 0) if not trend.empty else 1
    name = str(trend["name"].iloc[0]) if not trend.empty else ""
    return Table(f"{name}: utvikling", frame, {kommune: decimals, group: decimals, "Landet uten Oslo": decimals})


def trend_figure(trend: pd.DataFrame, kommune: str) -> dict[str, Any]:
    """Five years of one indicator: the kommune against its KOSTRA group and the country.

    A plain figure dict, as the sparklines are: six of these as `go.Figure` cost ~10 ms each to build and
    validate, most of the page callback; `dcc.Graph` draws the dict the same way."""
    group = next((str(g) for g in trend["group_name"] if _present(g)), "KOSTRA-gruppen")
    years = [str(y) for y in trend["year"]]
    data = [
        {
            "type": "scatter",
            "x": years,
            "y": [None if not _present(v) else v for v in trend[column]],
            "name": label,
            "mode": "lines+markers",
            "line": {"color": colour, "dash": dash, "width": 2},
            "connectgaps": False,
        }
        for label, column, colour, dash in (
            (kommune, "value", LINE_COLOURS["kommune"], "solid"),
            (group, "group_value", LINE_COLOURS["group"], "dash"),
            ("Landet uten Oslo", "country_value", LINE_COLOURS["country"], "dot"),
        )
    ]
    layout = {
        "template": {},  # no template: plotly.js's plain look, as the empty `go.layout.Template()` gave
        "height": 220,
        "margin": {"l": 40, "r": 10, "t": 10, "b": 30},
        "legend": {"orientation": "h", "y": -0.25},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "#ffffff",
        "xaxis": {"type": "category", "fixedrange": True},
        "yaxis": {"fixedrange": True, "gridcolor": "#e6e9ee", "separatethousands": True},
        "separators": ", ",
    }
    return {"data": data, "layout": layout}

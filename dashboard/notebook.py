"""Helpers for the analysts' notebooks (`notebooks/`): finding the data folder, reading the published warehouse
through the project's own reader, and the few steps a notebook needs that the rest of the project has no
function for. Every calculation stays in `etl/sql/`; these only select, arrange and draw what it computed.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from dashboard.cli import main as bms
from dashboard.export import SCORECARD, to_xlsx
from etl.load import LoadSummary, load
from etl.norsk import format_number, format_plain_number
from etl.settings import CATALOGUE_FILE, load_settings
from etl.spec import stored_specs
from etl.ssb.client import SsbClient
from etl.ssb.fetch import make_client
from etl.ssb.jsonstat import kostra_frame
from etl.store.warehouse import WarehouseReader

_demo_cache: dict[str, Path] = {}


def data_dir() -> Path:
    """The data folder a notebook works on: `BMS_DATA_DIR`, else a fresh demo installation in a temporary folder."""
    given = os.environ.get("BMS_DATA_DIR")
    if given:
        return Path(given).resolve()
    if "demo" not in _demo_cache:
        _demo_cache["demo"] = demo_installation(Path(tempfile.mkdtemp(prefix="heim-demo-")) / "data")
    return _demo_cache["demo"]


def demo_installation(root: Path) -> Path:
    """Build the bundled demo installation in `root` with `bms demo` and return the folder."""
    if bms(["demo", "--data-dir", str(root)]) != 0:
        raise RuntimeError(f"bms demo feilet i {root}")
    return root


def reader(folder: Path) -> WarehouseReader:
    """The project's read-only reader on a data folder's published warehouse (`warehouse/current.duckdb`),
    opened at once so that `version_path` names the version it reads."""
    wh = WarehouseReader(load_settings(folder).current)
    cur = wh.cursor()
    if cur is None:
        raise FileNotFoundError(f"Ingen publisert datavarehus i {folder}. Kjør bms load eller bms demo først.")
    cur.close()
    return wh


def relations(wh: WarehouseReader) -> pd.DataFrame:
    """Every table and view of the warehouse: name, kind (tabell/visning), rows and columns."""
    listing = wh.df(
        """
        SELECT t.table_name AS relation,
               CASE t.table_type WHEN 'VIEW' THEN 'visning' ELSE 'tabell' END AS type,
               string_agg(c.column_name, ', ' ORDER BY c.ordinal_position) AS columns
        FROM information_schema.tables t
        JOIN information_schema.columns c ON c.table_schema = t.table_schema AND c.table_name = t.table_name
        WHERE t.table_schema = 'main'
        GROUP BY t.table_name, t.table_type
        ORDER BY starts_with(relation, 'raw_'), relation
        """
    )
    listing.insert(2, "rows", [int(wh.df(f'SELECT count(*) AS n FROM "{r}"')["n"].iloc[0]) for r in listing.relation])
    return listing


def origin(wh: WarehouseReader, indicator_id: str, scope_code: str | None = None) -> dict[str, pd.DataFrame]:
    """Where an indicator's newest figure came from: its `indicator_values` row (source, vintage) and the
    files of its kind in `load_log`, newest first. `scope_code` defaults to the kommune."""
    code = scope_code or wh.df("SELECT value FROM meta WHERE key = 'kommune_code'")["value"].iloc[0]
    value = wh.df(
        """
        SELECT indicator_id, scope, scope_code, period, period_type, value, n, source_ref, vintage
        FROM indicator_values WHERE indicator_id = $id AND scope_code = $code
        ORDER BY period DESC LIMIT 1
        """,
        {"id": indicator_id, "code": code},
    )
    source = wh.df("SELECT source FROM indicators WHERE indicator_id = $id", {"id": indicator_id})
    kinds = {s.catalogue_source: s.kind for s in stored_specs().values() if s.catalogue_source}
    kind = kinds.get(source["source"].iloc[0], "") if len(source) else ""
    files = wh.df(
        """
        SELECT file_name, kind, rows, status, loaded_at, origin, version FROM load_log
        WHERE kind = $kind AND status = 'loaded' ORDER BY loaded_at DESC, file_name
        """,
        {"kind": kind},
    )
    return {"value": value, "files": files}


def kostra_comparison(wh: WarehouseReader, indicator_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """The kommune's KOSTRA comparison (`kostra_comparison`) for some indicators (default all), by year."""
    return wh.df(
        """
        SELECT * FROM kostra_comparison
        WHERE scope = 'kommune' AND ($ids IS NULL OR list_contains($ids, indicator_id))
        ORDER BY indicator_id, year
        """,
        {"ids": list(indicator_ids) if indicator_ids is not None else None},
    )


def shown(value: float | None, decimals: int | None, symbol: str | None = None) -> str:
    """A figure as Norwegians read it, or SSB's status symbol where there is no figure (never a 0)."""
    if value is None or pd.isna(value):
        return symbol or ""
    return format_number(float(value), int(decimals) if decimals is not None and not pd.isna(decimals) else 1)


def kostra_summary(comparison: pd.DataFrame) -> pd.DataFrame:
    """One line per indicator for its newest year: the kommune's figure (or symbol), rank among the peers,
    against the group and the peers, and the five-year trend, in Norwegian."""
    newest = comparison.sort_values("year").groupby("indicator_id", sort=False).tail(1)
    rows = []
    for _, r in newest.iterrows():
        rows.append(
            {
                "indikator": r["name"],
                "år": int(r["year"]),
                "verdi": shown(r["value"], r["decimals"], r["status_symbol"]),
                "måleenhet": r["unit_of_measure"],
                "plass": f"{int(r['rank'])} av {int(r['rank_of'])}" if pd.notna(r["rank"]) else "",
                "kostragruppe": shown(r["group_value"], r["decimals"], r["group_status_symbol"]),
                "mot gruppa": r["vs_group"] or "",
                "mot sammenligningskommunene": r["vs_peers"] or "",
                "trend": r["trend"] or "",
                "datagrunnlag": r["vintage"] or "",
            }
        )
    return pd.DataFrame(rows)


def peers(row: Mapping) -> pd.DataFrame:
    """The peers of one comparison row (code, name, value, status_symbol, kostra_group, same_group)."""
    items = row["peers"]
    items = json.loads(items) if isinstance(items, str) else list(items if items is not None else [])
    return pd.DataFrame([dict(p) for p in items])


def kostra_trend_figure(comparison: pd.DataFrame, indicator_id: str) -> go.Figure:
    """The kommune's years against its KOSTRA group, the peers' median (with their middle half) and the country;
    a year where SSB has a status symbol instead of a figure is marked with the symbol."""
    d = comparison[comparison["indicator_id"] == indicator_id].sort_values("year")
    fig = go.Figure(layout={"template": "plotly_white"})
    fig.add_trace(go.Scatter(x=d["year"], y=d["peer_q3"], line={"width": 0}, showlegend=False, hoverinfo="skip"))
    fig.add_trace(
        go.Scatter(
            x=d["year"],
            y=d["peer_q1"],
            fill="tonexty",
            line={"width": 0},
            name="sammenligningskommunene (midtre halvdel)",
        )
    )
    for col, name, dash in (
        ("peer_median", "sammenligningskommunene (median)", "dot"),
        ("group_value", "KOSTRA-gruppa", "dash"),
        ("country_value", "landet uten Oslo", "dashdot"),
    ):
        fig.add_trace(go.Scatter(x=d["year"], y=d[col], name=name, line={"dash": dash}))
    kommune = d["scope_name"].iloc[0] if len(d) else "kommunen"
    fig.add_trace(go.Scatter(x=d["year"], y=d["value"], name=kommune, mode="lines+markers", line={"width": 3}))
    for _, r in d[d["value"].isna() & d["status_symbol"].notna()].iterrows():
        fig.add_annotation(x=r["year"], y=r["peer_median"], text=f"{kommune}: «{r['status_symbol']}»", showarrow=True)
    name = d["name"].iloc[0] if len(d) else indicator_id
    unit = d["unit_of_measure"].iloc[0] if len(d) else ""
    fig.update_layout(title=name, yaxis_title=unit, xaxis={"dtick": 1}, separators=", ", legend={"orientation": "h"})
    return fig


def peers_figure(row: Mapping) -> go.Figure:
    """One year's figures for the kommune and each peer as bars; a peer with a status symbol shows the symbol."""
    p = peers(row)
    names = [str(row["scope_name"]), *p["name"].astype(str)] if len(p) else [str(row["scope_name"])]
    values = [row["value"], *p["value"]] if len(p) else [row["value"]]
    symbols = [row["status_symbol"], *p["status_symbol"]] if len(p) else [row["status_symbol"]]
    text = [shown(v, row["decimals"], s) for v, s in zip(values, symbols, strict=True)]
    colours = ["#3d5a80"] + ["#98c1d9"] * (len(names) - 1)
    fig = go.Figure(go.Bar(x=names, y=[None if pd.isna(v) else v for v in values], text=text, marker_color=colours))
    fig.update_traces(textposition="outside")
    fig.update_layout(
        title=f"{row['name']} {int(row['year'])}", template="plotly_white", yaxis_title=row["unit_of_measure"]
    )
    if pd.notna(row.get("group_value")):
        fig.add_hline(y=row["group_value"], line_dash="dash", annotation_text="KOSTRA-gruppa")
    return fig


def scratch_copy(source: Path, target: Path) -> Path:
    """A private copy of a data folder (the warehouse symlink kept) to try changes on."""
    shutil.copytree(source, target, symlinks=True)
    return target


def add_indicator(folder: Path, indicator: Mapping[str, object]) -> None:
    """Append one indicator (Norwegian column names as in `balansehandbok.csv`) to a data folder's catalogue."""
    path = folder / CATALOGUE_FILE
    text = path.read_text(encoding="utf-8-sig")
    header = next(csv.reader([text.splitlines()[0]], delimiter=";"))
    unknown = set(indicator) - set(header)
    if unknown:
        raise ValueError(f"Ukjente kolonner i katalogen: {', '.join(sorted(unknown))}. Kjente: {', '.join(header)}")
    with path.open("a", encoding="utf-8", newline="") as f:
        if not text.endswith("\n"):
            f.write("\r\n")
        csv.writer(f, delimiter=";", lineterminator="\r\n").writerow([indicator.get(h, "") for h in header])


def write_csv(path: Path, rows: Iterable[Mapping[str, object]]) -> Path:
    """A CSV as Norwegian Excel writes it (`;`, UTF-8), columns in the order the first row names them."""
    rows = list(rows)
    header = list(dict.fromkeys(k for r in rows for k in r))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, delimiter=";", lineterminator="\r\n")
        out.writerow(header)
        out.writerows([[_csv_value(r.get(h)) for h in header] for r in rows])
    return path


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return format_plain_number(value)
    return str(value)


def load_files(folder: Path, paths: Sequence[Path] | None = None) -> LoadSummary:
    """Load the inbox of a data folder (or the named files) with the project's loader, as `bms load` does."""
    return load(load_settings(folder), [Path(p) for p in paths] if paths is not None else None)


def service_areas(wh: WarehouseReader) -> list[str]:
    """The service areas (tjenesteområder) of the current units."""
    return list(wh.df("SELECT DISTINCT service_area FROM units ORDER BY 1")["service_area"].dropna())


def service_area_figures(wh: WarehouseReader, area: str) -> pd.DataFrame:
    """The tjenesterapport's figures for one service area: the newest scorecard row of every indicator for each
    of its units, and the kommune's for the same indicators, with the unit's name in `scope_name`."""
    return wh.df(
        """
        WITH area_units AS (SELECT unit_id, name FROM units WHERE lower(service_area) = lower($area)),
        area_rows AS (
            SELECT s.*, u.name AS scope_name FROM scorecard_latest s
            JOIN area_units u ON s.scope = 'enhet' AND s.scope_code = u.unit_id
        )
        SELECT * FROM area_rows
        UNION ALL BY NAME
        SELECT s.*, coalesce((SELECT value FROM meta WHERE key = 'kommune_name') || ' kommune', s.scope_code)
               AS scope_name
        FROM scorecard_latest s
        WHERE s.scope = 'kommune' AND s.indicator_id IN (SELECT indicator_id FROM area_rows)
        ORDER BY sort_order, indicator_id, scope DESC, scope_name
        """,
        {"area": area},
    )


def write_excel(frame: pd.DataFrame, path: Path, title: str) -> Path:
    """The figures as an .xlsx with the scorecard export's Norwegian columns and number formats."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(to_xlsx(frame, SCORECARD, "Tjenesterapport", title))
    return path


def ssb_client(folder: Path, base_url: str | None = None) -> SsbClient:
    """The project's SSB client as `bms fetch` makes it for a data folder (rate limit, retries), optionally
    against another address (a mirror, or the tests' local SSB server)."""
    return make_client(load_settings(folder, ssb_base_url=base_url), progress=print)


def ssb_cells(doc: dict) -> pd.DataFrame:
    """An SSB json-stat2 answer as one row per cell, read as a load reads it (codes, value, status symbol)."""
    return kostra_frame(doc)

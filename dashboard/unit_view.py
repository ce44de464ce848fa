"""The unit page (`/enhet/<id>`) and the service-area page (`/tjenesteomrade/<area>`): queries on the
published warehouse and components as pure functions of their results. The pages are thin over these."""

from __future__ import annotations

from typing import Any

import pandas as pd
from dash import dcc, html

from dashboard import data
from dashboard.anonymity import hide_small_n
from dashboard.components import present, scorecard_grid, serialised_cards, service_area_label, status_badge
from dashboard.export import DECISIONS_OVERDUE, DEVIATIONS_OVERDUE, ExportColumn
from dashboard.tables import data_table
from etl.norsk import FOCUS_AREAS, format_period, format_value
from etl.store.warehouse import WarehouseReader

SOURCES = (
    ExportColumn("source", "Kilde"),
    ExportColumn("first_period", "Fra", "period"),
    ExportColumn("last_period", "Til og med", "period"),
    ExportColumn("indicators", "Indikatorer med tall", "number", 0),
    ExportColumn("coverage", "Merknad"),
)
# The unit's own page: the unit is known, so the kommune-wide lists' unit column is left out (and the vedtak
# comment, which the page has no room for); the same headers and formats as the kommune-wide exports.
OPEN_DEVIATIONS = tuple(c for c in DEVIATIONS_OVERDUE if c.field != "unit_name")
OVERDUE_DECISIONS = tuple(c for c in DECISIONS_OVERDUE if c.field not in ("unit_name", "comment"))
MATRIX = (
    ExportColumn("focus_area", "Fokusområde"),
    ExportColumn("name", "Indikator"),
    ExportColumn("unit_name", "Enhet"),
    ExportColumn("period", "Periode", "period"),
    ExportColumn("value", "Verdi", "number", "row"),
    ExportColumn("unit_of_measure", "Måleenhet"),
    ExportColumn("target", "Mål", "number", "row"),
    ExportColumn("status", "Status", "status"),
    ExportColumn("status_reason", "Merknad til status"),
)
_FOLD = str.maketrans({"ø": "o", "æ": "ae", "å": "a", " ": "-"})


def area_slug(area: str) -> str:
    """`helse og mestring` → `helse-og-mestring` (the address of its page)."""
    return area.strip().lower().translate(_FOLD)


def find_area(units: pd.DataFrame, slug: str) -> str | None:
    """The service area whose slug (or name) is `slug`, or None."""
    if units.empty:
        return None
    for area in units["service_area"].dropna().unique():
        if area_slug(str(area)) == area_slug(slug):
            return str(area)
    return None


def unit_row(reader: WarehouseReader, unit_id: str) -> dict[str, Any] | None:
    """One current unit (unit_id, name, service_area, service, leader, area_head), or None if unknown."""
    frame = reader.df(
        "SELECT unit_id, name, service_area, service, leader, area_head FROM units WHERE unit_id = $id",
        {"id": unit_id},
    )
    return frame.iloc[0].to_dict() if not frame.empty else None


def scope_sources(reader: WarehouseReader, scope: str, code: str) -> pd.DataFrame:
    """What a scope has of each source: the periods covered and how many indicators have figures."""
    frame = reader.df(
        "SELECT * FROM dashboard_scope_sources WHERE scope = $scope AND scope_code = $code ORDER BY source",
        {"scope": scope, "code": code},
    )
    if not frame.empty:
        frame["coverage"] = [None if present(p) else "Ingen tall fra denne kilden ennå" for p in frame["last_period"]]
    return frame


def open_deviations(reader: WarehouseReader, unit_id: str) -> pd.DataFrame:
    """The unit's open avvik (not closed), oldest deadline first, with days past the deadline."""
    return reader.df(
        """
        SELECT d.deviation_id, d.unit_id, u.name AS unit_name, d.category, d.severity, d.reported_on, d.due_on,
               CASE WHEN d.due_on < a.as_of THEN date_diff('day', d.due_on, a.as_of) END AS days_overdue
        FROM deviations d CROSS JOIN deviations_as_of a LEFT JOIN units u USING (unit_id)
        WHERE d.closed_on IS NULL AND d.unit_id = $id
        ORDER BY d.due_on, d.deviation_id
        """,
        {"id": unit_id},
    )


def overdue_decisions(reader: WarehouseReader, unit_id: str) -> pd.DataFrame:
    """The unit's political decisions past their deadline and not carried out."""
    return reader.df("SELECT * FROM decisions_overdue WHERE unit_id = $id ORDER BY due_on", {"id": unit_id})


def area_matrix(reader: WarehouseReader, area: str, unit_ids: set[str]) -> pd.DataFrame:
    """The newest value of every indicator for each of the area's (visible) units, one row per pair."""
    frame = reader.df(
        """
        SELECT s.*, u.name AS unit_name, u.unit_id, i.min_n
        FROM scorecard_latest s JOIN units u ON s.scope = 'enhet' AND u.unit_id = s.scope_code
        LEFT JOIN indicators i ON i.indicator_id = s.indicator_id
        WHERE u.service_area = $area AND (u.valid_to IS NULL OR u.valid_to >= current_date)
        ORDER BY coalesce(list_position($areas, s.focus_area), 99), s.sort_order, u.name
        """,
        {"area": area, "areas": list(FOCUS_AREAS)},
    )
    return hide_small_n(frame[frame["unit_id"].isin(unit_ids)]) if not frame.empty else frame


def scorecard_parts(reader: WarehouseReader, scope: str, code: str) -> tuple[Any, list[dict[str, Any]]]:
    """A scope's scorecard grid and its rows, built once per published version and shared by every request
    that may see the scope (the caller checks that first): read-only, see `data.per_version`."""

    def build() -> tuple[Any, list[dict[str, Any]]]:
        rows = data.scorecard(reader, scope, code)
        grid = serialised_cards(scorecard_grid(rows, data.trends(reader, scope, code)))
        return grid, rows.to_dict("records") if not rows.empty else []

    return data.per_version(reader, ("scorecard", scope, code), build)


def _named(unit: dict[str, Any], field: str, column: str) -> str:
    """A person named in the units file, or what to do when its column is empty."""
    value = unit.get(field)
    return str(value) if present(value) else f"ikke oppgitt (fyll ut kolonnen «{column}» i enhetsfila)"


def unit_heading(unit: dict[str, Any]) -> html.Div:
    """The unit's name, its service area (a link to the area page), service, its leader and the area's head."""
    area = unit.get("service_area")
    facts: list[Any] = []
    if present(area):
        facts += ["Tjenesteområde: ", dcc.Link(service_area_label(area), href=f"/tjenesteomrade/{area_slug(area)}")]
    if present(unit.get("service")):
        facts += [" · Tjeneste: ", service_area_label(unit["service"])]
    facts += [" · Leder: ", _named(unit, "leader", "leder")]
    facts += [" · Kommunalsjef: ", _named(unit, "area_head", "kommunalsjef"), f" · Enhet {unit['unit_id']}"]
    return html.Div(
        [html.H1(f"Målekart for {unit['name']}"), html.P(facts, className="bms-lead", id="unit-facts")],
        className="bms-page-head-text",
    )


def matrix_cell(row: dict[str, Any]) -> html.Td:
    """One cell of the matrix: the value (or «for få svar») and the status as text and colour."""
    unit = row.get("unit_of_measure") or ""
    decimals = int(row["decimals"]) if present(row.get("decimals")) else 1
    shown = format_value(row["value"], unit, decimals) if present(row.get("value")) else "–"
    reason = row.get("status_reason") if present(row.get("status_reason")) else None
    period = format_period(pd.Timestamp(row["period"]).date(), row["period_type"]) if present(row.get("period")) else ""
    return html.Td(
        [html.Span(shown, className="bms-matrix-value"), status_badge(str(row.get("status") or "grey"), reason)],
        title=period,
        **{"data-unit": row["unit_id"], "data-indicator": row["indicator_id"], "data-status": row.get("status")},
    )


def matrix_table(frame: pd.DataFrame, caption: str) -> html.Div:
    """Indicators down, units across: each cell the newest value and its status (text, icon and colour)."""
    if frame.empty:
        return html.P("Ingen enheter med tall i dette tjenesteområdet.", className="bms-empty")
    units = frame[["unit_id", "unit_name"]].drop_duplicates().sort_values("unit_name")
    head = html.Thead(
        html.Tr(
            [html.Th("Indikator", scope="col")]
            + [
                html.Th(dcc.Link(name, href=f"/enhet/{uid}"), scope="col")
                for uid, name in zip(units["unit_id"], units["unit_name"], strict=True)
            ]
        )
    )
    rows = []
    for iid, group in frame.groupby("indicator_id", sort=False):
        cells = {r["unit_id"]: r for r in group.to_dict("records")}
        name = group["name"].iloc[0]
        rows.append(
            html.Tr(
                [html.Th(dcc.Link(name, href=f"/indikator/{iid}"), scope="row")]
                + [matrix_cell(cells[u]) if u in cells else html.Td("ikke målt") for u in units["unit_id"]]
            )
        )
    table = html.Table([html.Caption(caption), head, html.Tbody(rows)], className="table table-sm bms-matrix")
    return html.Div(table, className="table-responsive", id="area-matrix")


def sources_table(frame: pd.DataFrame, params: dict[str, str | None]) -> html.Div:
    """What the scope has of each source, with download links."""
    return data_table(frame, SOURCES, "Datagrunnlag per kilde", ("kilder", params), table_id="unit-sources")


def deviations_table(frame: pd.DataFrame, unit_id: str) -> html.Div:
    """The unit's open avvik."""
    return data_table(
        frame,
        OPEN_DEVIATIONS,
        f"Åpne avvik ({len(frame)})",
        ("apne-avvik", {"enhet": unit_id}),
        table_id="unit-deviations",
        empty_text="Enheten har ingen åpne avvik i siste uttrekk fra avvikssystemet.",
    )


def decisions_table(frame: pd.DataFrame, unit_id: str) -> html.Div:
    """The unit's overdue political decisions."""
    return data_table(
        frame,
        OVERDUE_DECISIONS,
        f"Vedtak over frist ({len(frame)})",
        ("vedtak-over-frist", {"enhet": unit_id}),
        table_id="unit-decisions",
        empty_text="Enheten har ingen politiske vedtak over frist.",
    )

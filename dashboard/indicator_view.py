"""The indicator page (`/indikator/<id>?enhet=…`): queries on the published warehouse and components as pure
functions of their results: definition, history, units, KOSTRA peers and where every number comes from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from dash import dcc, html

from dashboard.anonymity import hide_small_n
from dashboard.components import DIRECTION_TEXT, present
from dashboard.export import ExportColumn
from dashboard.indicator_figures import history_figure, peers_figure
from dashboard.tables import data_table
from etl.norsk import format_count, format_date, format_number, format_value
from etl.store.warehouse import WarehouseReader

HISTORY = (
    ExportColumn("period", "Periode", "period"),
    ExportColumn("value", "Verdi", "number", "row"),
    ExportColumn("target", "Mål", "number", "row"),
    ExportColumn("status", "Status", "status"),
    ExportColumn("status_reason", "Merknad"),  # why a row is grey: «for få svar», «mangler mål» …
    ExportColumn("n", "Antall svar", "number", 0),
    ExportColumn("ci_low", "Konfidensintervall fra", "number", 2),
    ExportColumn("ci_high", "Konfidensintervall til", "number", 2),
    ExportColumn("vintage", "Datagrunnlag"),
)
UNITS = (
    ExportColumn("unit_name", "Enhet"),
    ExportColumn("period", "Periode", "period"),
    ExportColumn("value_text", "Verdi"),
    ExportColumn("n", "Antall svar", "number", 0),
    ExportColumn("status", "Status", "status"),
)
PEERS = (
    ExportColumn("name", "Kommune eller region"),
    ExportColumn("role", "Rolle"),
    ExportColumn("value", "Verdi", "number", "row"),
    ExportColumn("status_symbol", "SSB-symbol"),
)
CHART_CONFIG = {"displayModeBar": False, "responsive": True}


def definition(reader: WarehouseReader, indicator_id: str) -> dict[str, Any] | None:
    """The catalogue entry of one indicator, or None if the catalogue has no such id."""
    frame = reader.df("SELECT * FROM indicators WHERE indicator_id = $id", {"id": indicator_id})
    return frame.iloc[0].to_dict() if not frame.empty else None


def history(reader: WarehouseReader, indicator_id: str, scope: str, code: str) -> pd.DataFrame:
    """Every period of the indicator for one scope (its newest period type), held-back periods with no value."""
    return _history(reader, indicator_id, scope, code).pipe(hide_small_n)


def _history(reader: WarehouseReader, indicator_id: str, scope: str, code: str) -> pd.DataFrame:
    return reader.df(
        """
        WITH rows AS (
            SELECT period, period_type, value, target, green, red, tolerance, status, status_reason, n, ci_low,
                   ci_high, vintage, source_ref, decimals, unit_of_measure, scope,
                   (SELECT min_n FROM indicators WHERE indicator_id = $id) AS min_n
            FROM scorecard WHERE indicator_id = $id AND scope = $scope AND scope_code = $code
            UNION ALL BY NAME
            SELECT h.period, h.period_type, 'grey' AS status, h.reason AS status_reason, i.decimals,
                   i.unit_of_measure
            FROM held_back h JOIN indicators i USING (indicator_id)
            WHERE h.indicator_id = $id AND h.scope = $scope AND h.scope_code = $code
        )
        SELECT * FROM rows
        WHERE period_type = (SELECT arg_max(period_type, period) FROM rows)
        ORDER BY period
        """,
        {"id": indicator_id, "scope": scope, "code": code},
    )


def by_unit(reader: WarehouseReader, indicator_id: str, unit_ids: set[str]) -> pd.DataFrame:
    """The newest value per (visible) unit; a held-back unit has status grey, «for få svar» and no value."""
    frame = reader.df(
        """
        SELECT s.*, u.name AS unit_name, i.min_n FROM scorecard_latest s
        JOIN units u ON s.scope = 'enhet' AND u.unit_id = s.scope_code
        LEFT JOIN indicators i ON i.indicator_id = s.indicator_id
        WHERE s.indicator_id = $id ORDER BY u.service_area, u.name
        """,
        {"id": indicator_id},
    )
    if frame.empty:
        return frame
    frame = hide_small_n(frame[frame["scope_code"].isin(unit_ids)]).copy()  # the anonymity rule at the edge
    frame["value_text"] = [unit_value_text(r) for r in frame.to_dict("records")]
    return frame


def unit_value_text(row: dict[str, Any]) -> str:
    """A unit's value as shown, or why there is none (`for få svar`): a held-back unit never gets a number."""
    if present(row.get("status_reason")) and row.get("status") == "grey" and not present(row.get("value")):
        return str(row["status_reason"])
    if row.get("status_reason") in ("for få svar", "skjult av personvernhensyn"):
        return str(row["status_reason"])
    if present(row.get("value")):
        return format_value(row["value"], row.get("unit_of_measure") or "", int(row.get("decimals") or 0))
    return "–"


def comparison(reader: WarehouseReader, indicator_id: str, scope: str, code: str) -> dict[str, Any] | None:
    """The newest KOSTRA comparison row (rank, group, county, country, peers), or None."""
    frame = reader.df(
        """SELECT * FROM dashboard_kostra_comparison WHERE indicator_id = $id AND scope = $scope AND scope_code = $code
           AND value IS NOT NULL ORDER BY year DESC LIMIT 1""",
        {"id": indicator_id, "scope": scope, "code": code},
    )
    return frame.iloc[0].to_dict() if not frame.empty else None


def peers_frame(row: dict[str, Any], subject: str) -> pd.DataFrame:
    """Heim, each peer, the KOSTRA group, the county and the country as rows (name, role, value, symbol)."""
    items = [{"name": subject, "role": "valgt", "value": row["value"], "status_symbol": row["status_symbol"]}]
    for p in row.get("peers") if row.get("peers") is not None else []:
        items.append(
            {
                "name": p["name"] or p["code"],
                "role": "sammenligningskommune",
                "value": p["value"],
                "status_symbol": p["status_symbol"],
            }
        )
    roles = {
        row.get("group_code"): "KOSTRA-gruppe",
        row.get("county_code"): "fylket",
        row.get("country_code"): "landet uten Oslo",
    }
    for r in row.get("regions") if row.get("regions") is not None else []:
        items.append(
            {
                "name": r["name"] or r["code"],
                "role": roles.get(r["code"], "region"),
                "value": r["value"],
                "status_symbol": r["status_symbol"],
            }
        )
    frame = pd.DataFrame(items)
    frame["decimals"] = int(row["decimals"])
    frame["period_type"] = "year"
    return frame


NOT_MEASURED = "Indikatoren måles ikke her: katalogen sier hvilke enheter den gjelder (nivå og gjelder)."


def provenance(reader: WarehouseReader, ind: dict[str, Any], scopes: list[tuple[str, str]]) -> dict[str, pd.DataFrame]:
    """Where the numbers on the page come from (the scope's and the listed units' figures): the files loaded for
    the catalogue source and, for KOSTRA, the SSB table queried, when a figure was computed from them; and the
    `indikatorverdier` files whose typed-in figures are shown (a manual figure names its file)."""
    used = reader.df(
        "SELECT DISTINCT manual_file(source_ref) AS manual, manual_file(source_ref) IS NULL AS computed "
        "FROM indicator_values WHERE indicator_id = $id AND source_ref IS NOT NULL "
        "AND list_contains($keys, scope || '/' || scope_code)",
        {"id": ind["indicator_id"], "keys": [f"{s}/{c}" for s, c in scopes]},
    )
    manual = {str(f) for f in used["manual"].dropna()}
    computed = bool(used["computed"].any())
    # the catalogue source's files and SSB table only where a shown figure was computed from them
    files = reader.df(
        "SELECT * FROM dashboard_source_files WHERE $computed AND source = $s",
        {"computed": computed, "s": ind["source"]},
    )
    kostra = reader.df(
        "SELECT * FROM dashboard_kostra_sources WHERE $computed AND indicator_id = $id",
        {"computed": computed, "id": ind["indicator_id"]},
    )
    if not kostra.empty and not files.empty:  # only the SSB table this indicator is read from
        files = files[files["file_name"].isin(set(kostra["file"]))]
    typed = reader.df(
        "SELECT 'manuell' AS source, file_name, kind, rows, loaded_at, origin FROM load_log "
        "WHERE status = 'loaded' AND list_contains($names, file_name) ORDER BY loaded_at DESC, file_name",
        {"names": sorted(manual)},
    )
    if not typed.empty:
        files = typed if files.empty else pd.concat([files, typed], ignore_index=True)
    return {"files": files.drop_duplicates(subset=["file_name", "loaded_at"]), "kostra": kostra}


def definition_list(ind: dict[str, Any], targets: pd.DataFrame) -> html.Dl:
    """Purpose, formula, source, owner, direction, target and thresholds, frequency and noise."""
    unit, decimals = ind.get("unit_of_measure") or "", int(ind.get("decimals") or 0)
    target_text = "ikke satt"
    last = targets.dropna(subset=["target"]).iloc[-1] if not targets.empty and targets["target"].notna().any() else None
    if last is not None:
        kind = "% av målet" if last.get("tolerance") == "relativ" else ("%-poeng" if unit == "%" else unit or "")
        green = (
            "grønn når målet er nådd"
            if not last["green"]
            else f"grønn innenfor {format_number(last['green'], decimals)} {kind} fra målet"
        )
        target_text = (
            f"{format_value(last['target'], unit, decimals)} ({last['period'].year}); {green}, "
            f"rød mer enn {format_number(last['red'], decimals)} {kind} fra målet"
        )
    items = [
        ("Hva den måler", ind.get("description")),
        ("Formel", ind.get("formula")),
        ("Kilde", " ".join(x for x in (ind.get("source"), ind.get("source_ref") and f"({ind['source_ref']})") if x)),
        ("Eier", ind.get("owner")),
        ("Retning", DIRECTION_TEXT.get(ind.get("direction") or "", ind.get("direction"))),
        ("Mål og grenser", target_text),
        ("Frekvens", ind.get("frequency")),
        ("Støy", format_number(ind["noise"], 2) if present(ind.get("noise")) else "ikke oppgitt"),
        ("Sammenlignes med", ind.get("comparison") if present(ind.get("comparison")) else "–"),
        ("Minste antall svar", str(int(ind["min_n"])) if present(ind.get("min_n")) else "–"),
    ]
    children: list[Any] = []
    for term, text in items:
        children += [html.Dt(term), html.Dd(str(text) if present(text) else "–")]
    return html.Dl(children, className="bms-definition", id="indicator-definition")


def applies(reader: WarehouseReader, ind: dict[str, Any], scope: str, code: str) -> bool:
    """True when the catalogue measures the indicator (its entry, `definition`) for the scope (`nivå` and
    `gjelder`)."""
    if scope != "enhet":
        return ind.get("level") in ("kommune", "begge")
    found = reader.df(
        "SELECT count(*) AS n FROM indicator_units WHERE indicator_id = $id AND unit_id = $code",
        {"id": ind["indicator_id"], "code": code},
    )
    return int(found["n"].iloc[0]) > 0


def history_section(
    frame: pd.DataFrame,
    ind: dict[str, Any],
    params: dict[str, str | None],
    applies: Callable[[], bool] = lambda: True,
) -> html.Div:
    """The chart (with target, bands and intervals) and the same numbers as a table; where the catalogue does
    not measure the indicator for the scope (`applies`, asked only then) and nothing came anyway, it says so
    (no figure is not late)."""
    if frame.empty or frame["value"].isna().all():
        missing = "Ingen tall for denne indikatoren her ennå." if applies() else NOT_MEASURED
        chart: Any = html.P(missing, className="bms-empty")
    else:
        known = frame.dropna(subset=["target"])
        band = None
        if not known.empty and present(known.iloc[-1]["green"]):
            last = known.iloc[-1]
            band = (last["target"], last["green"], last["red"], ind["direction"], last["tolerance"])
        has_ci = frame["ci_low"].notna().any() if "ci_low" in frame else False
        fig = history_figure(
            list(frame["period"]),
            [_num(v) for v in frame["value"]],
            targets=[_num(v) for v in frame["target"]],
            band=band,
            ci=([_num(v) for v in frame["ci_low"]], [_num(v) for v in frame["ci_high"]]) if has_ci else None,
            y_title=ind.get("unit_of_measure") or "",
            yearly=frame["period_type"].iloc[-1] == "year",
        )
        chart = html.Figure(
            [
                dcc.Graph(figure=fig, config=CHART_CONFIG, className="bms-chart"),
                html.Figcaption("Tallene i grafen står i tabellen under.", className="visually-hidden"),
            ],
            className="bms-figure",
        )
    table = data_table(frame, HISTORY, "Tallene over tid", ("indikator", params), table_id="indicator-history")
    return html.Div([chart, table])


def _num(value: Any) -> float | None:
    return float(value) if present(value) else None


def units_section(frame: pd.DataFrame, indicator_id: str) -> html.Div:
    """The newest value per unit; held-back units read «for få svar»."""
    return data_table(
        frame,
        UNITS,
        "Per enhet (siste tall)",
        ("indikator-enheter", {"id": indicator_id}),
        table_id="indicator-units",
        empty_text="Indikatoren måles ikke per enhet.",
    )


def peers_section(row: dict[str, Any] | None, subject: str, params: dict[str, str | None]) -> html.Div:
    """Heim among its peers, group, county and country for the newest year, with rank and the table."""
    if row is None:
        return html.P("Ingen KOSTRA-sammenligning for denne indikatoren her ennå.", className="bms-empty")
    frame = peers_frame(row, subject)
    unit, decimals = row.get("unit_of_measure") or "", int(row["decimals"])
    lead = [
        f"{row['year']}: {subject} {format_value(row['value'], unit, decimals)}",
        f", rangert {int(row['rank'])} av {int(row['rank_of'])} blant sammenligningskommunene"
        if present(row.get("rank"))
        else "",
        f". {row['group_name']}: {format_value(row['group_value'], unit, decimals)}"
        if present(row.get("group_value"))
        else "",
        f". Datagrunnlag: {row['vintage']}." if present(row.get("vintage")) else ".",
    ]
    fig = peers_figure(list(frame["name"]), [_num(v) for v in frame["value"]], subject, unit)
    return html.Div(
        [
            html.P("".join(lead), id="indicator-rank"),
            html.Figure(dcc.Graph(figure=fig, config=CHART_CONFIG, className="bms-chart"), className="bms-figure"),
            data_table(
                frame, PEERS, f"Sammenligning {row['year']}", ("indikator-kostra", params), table_id="indicator-peers"
            ),
        ]
    )


def provenance_section(sources: dict[str, pd.DataFrame], ind: dict[str, Any]) -> html.Div:
    """File names and load times, or the SSB table, query and vintage."""
    items: list[Any] = []
    for r in sources["kostra"].to_dict("records"):
        regions = ", ".join(r["regions"]) if r.get("regions") is not None else ""
        items.append(
            html.Li(
                f"SSB-tabell {r['table_id']} ({r['contents_label']}), spørring: ContentsCode = {r['contents_code']}, "
                f"regioner {regions}, år {r['first_year']}–{r['last_year']}; {r['vintage']}; "
                f"hentet fra fila {r['file']}, oppdatert hos SSB {format_date(pd.Timestamp(r['updated']))}."
            )
        )
    for r in sources["files"].to_dict("records"):
        stamp = pd.Timestamp(r["loaded_at"])
        items.append(
            html.Li(
                f"Fila {r['file_name']} ({r['kind']}, {format_count(int(r['rows']), 'rad', 'rader')}), lastet "
                f"{format_date(stamp)} kl. {stamp:%H:%M}."
            )
        )
    if not items:
        return html.P(
            f"Ingen fil fra kilden «{ind['source']}» er lastet ennå. Legg fila i data/inbox/ og kjør «bms load».",
            className="bms-empty",
            id="indicator-sources",
        )
    return html.Ul(items, id="indicator-sources", className="bms-sources")

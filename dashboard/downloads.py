"""Downloads of every table on the pages (`/eksport/<table>.csv|xlsx`) and the CSV API for Excel and Power BI
(`/api/scorecard.csv`, `/api/indicator_values.csv`). All through dashboard.export; every route asks
dashboard.access; held-back survey values never appear (the relations hold none, and the filter is applied
once more here)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable

import flask
import pandas as pd
from werkzeug.datastructures import MultiDict

from dashboard import access, data, export, indicator_view, unit_view
from etl.norsk import FOCUS_AREAS, format_date
from etl.store.warehouse import WarehouseReader

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
Table = tuple[pd.DataFrame, tuple[export.ExportColumn, ...], str]

# A unit figure resting on fewer answers than the indicator's minimum is never given out.
_VISIBLE = "NOT (v.scope = 'enhet' AND v.n IS NOT NULL AND v.n < i.min_n)"


class Refused(Exception):
    """A download the user may not have (answered 403) or that cannot be made (404 with a reason)."""

    def __init__(self, status: int, text: str):
        super().__init__(text)
        self.status, self.text = status, text


def _scope(reader: WarehouseReader, args: MultiDict) -> tuple[str, str]:
    """The scope asked for (`enhet=E21`, or the kommune), checked with dashboard.access."""
    unit = args.get("enhet") or args.get("unit")
    if unit and unit != data.KOMMUNE:
        if not access.may_see_unit(unit):
            raise Refused(403, "Du har ikke tilgang til denne enheten.")
        return "enhet", unit
    if not access.may_see_kommune():
        raise Refused(403, "Du har ikke tilgang til tallene for hele kommunen.")
    return "kommune", data.kommune_code(reader, data.current_settings())


def _with_cursor(reader: WarehouseReader, read: Callable, *args: str | None) -> pd.DataFrame:
    cur = reader.cursor()
    if cur is None:
        raise Refused(503, "Ingen data er lastet ennå. Kjør «bms demo» eller legg filer i data/inbox/.")
    try:
        return read(cur, *args)
    finally:
        cur.close()


def _scorecard(reader: WarehouseReader, args: MultiDict) -> Table:
    scope, code = _scope(reader, args)
    return _with_cursor(reader, export.scorecard_frame, scope, code), export.SCORECARD, "Målekort"


def _indicator(reader: WarehouseReader, args: MultiDict) -> Table:
    scope, code = _scope(reader, args)
    frame = indicator_view.history(reader, args.get("id", ""), scope, code)
    return frame, indicator_view.HISTORY, f"Indikator {args.get('id', '')}"


def _indicator_units(reader: WarehouseReader, args: MultiDict) -> Table:
    visible = access.visible_unit_ids(set(data.units(reader)["unit_id"]))
    frame = indicator_view.by_unit(reader, args.get("id", ""), visible)
    return frame, indicator_view.UNITS, f"Enheter {args.get('id', '')}"


def _indicator_kostra(reader: WarehouseReader, args: MultiDict) -> Table:
    scope, code = _scope(reader, args)
    row = indicator_view.comparison(reader, args.get("id", ""), scope, code)
    name = data.meta(reader).get("kommune_name", "Kommunen") if scope == "kommune" else code
    frame = indicator_view.peers_frame(row, name) if row else pd.DataFrame()
    return frame, indicator_view.PEERS, f"KOSTRA {args.get('id', '')}"


def _unit_table(read: Callable, columns: tuple[export.ExportColumn, ...], label: str) -> Callable:
    def table(reader: WarehouseReader, args: MultiDict) -> Table:
        scope, code = _scope(reader, args)
        if scope != "enhet":
            raise Refused(404, "Tabellen finnes bare for én enhet: legg til ?enhet=<enhets-id>.")
        return read(reader, code), columns, label

    return table


def _sources(reader: WarehouseReader, args: MultiDict) -> Table:
    scope, code = _scope(reader, args)
    return unit_view.scope_sources(reader, scope, code), unit_view.SOURCES, "Datagrunnlag"


def _area(reader: WarehouseReader, args: MultiDict) -> Table:
    area = args.get("omrade", "")
    if not access.may_see_area(area):
        raise Refused(403, "Du har ikke tilgang til dette tjenesteområdet.")
    frame = unit_view.area_matrix(reader, area, access.visible_unit_ids(set(data.units(reader)["unit_id"])))
    return frame, unit_view.MATRIX, f"Tjenesteområde {area}"


TABLES: dict[str, Callable[[WarehouseReader, MultiDict], Table]] = {
    "malekort": _scorecard,
    "indikator": _indicator,
    "indikator-enheter": _indicator_units,
    "indikator-kostra": _indicator_kostra,
    "apne-avvik": _unit_table(unit_view.open_deviations, unit_view.OPEN_DEVIATIONS, "Åpne avvik"),
    "vedtak-over-frist": _unit_table(unit_view.overdue_decisions, unit_view.OVERDUE_DECISIONS, "Vedtak over frist"),
    "kilder": _sources,
    "tjenesteomrade": _area,
}


def _send(frame: pd.DataFrame, columns: tuple[export.ExportColumn, ...], label: str, fmt: str, name: str):
    if fmt == "csv":
        content, mimetype = export.to_csv(frame, columns), CSV
    else:
        title = f"{label} (eksportert {format_date(dt.date.today())})"
        content, mimetype = export.to_xlsx(frame, columns, label, title), XLSX
    return flask.send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=f"{name}.{fmt}")


def api_scorecard(reader: WarehouseReader, args: MultiDict) -> pd.DataFrame:
    """Scorecard rows, filtered by `unit` (a unit id or `kommune`), `year` and `focus_area`; access applied."""
    return _api_frame(reader, "scorecard", "v.*", args)


def api_indicator_values(reader: WarehouseReader, args: MultiDict) -> pd.DataFrame:
    """Indicator values with name and unit of measure, filtered like the scorecard; access applied."""
    return _api_frame(reader, "indicator_values", "v.*, i.name, i.unit_of_measure, i.focus_area, i.decimals", args)


def _api_unit(reader: WarehouseReader, unit: str | None) -> str | None:
    """The unit id asked for as the warehouse spells it (`e21` is E21), `kommune`, or None; an unknown one
    refused in Norwegian (an empty file would look like a unit without figures)."""
    if not unit or unit.strip().lower() == data.KOMMUNE:
        return data.KOMMUNE if unit else None
    known = {u.lower(): u for u in reader.df("SELECT unit_id FROM units")["unit_id"]}
    if unit.strip().lower() not in known:
        raise Refused(400, f"Fant ingen enhet med koden «{unit}». Bruk en enhetskode (unit=E21) eller unit=kommune.")
    return known[unit.strip().lower()]


def _api_focus(focus: str | None) -> str | None:
    """The focus area asked for by name (`Økonomi`, letter case aside) or as in the page's address (`okonomi`)."""
    if not focus:
        return None
    names = {**{n.lower(): n for n in FOCUS_AREAS}, **data.FOCUS_PAGES}
    if focus.strip().lower() not in names:
        raise Refused(400, f"Ukjent fokusområde «{focus}». Velg et av: {', '.join(FOCUS_AREAS)}.")
    return names[focus.strip().lower()]


def _api_frame(reader: WarehouseReader, relation: str, columns: str, args: MultiDict) -> pd.DataFrame:
    unit, year = _api_unit(reader, args.get("unit")), args.get("year")
    focus = _api_focus(args.get("focus_area"))
    if unit and unit != data.KOMMUNE and not access.may_see_unit(unit):
        raise Refused(403, "Du har ikke tilgang til denne enheten.")
    if unit == data.KOMMUNE and not access.may_see_kommune():
        raise Refused(403, "Du har ikke tilgang til tallene for hele kommunen.")
    if year is not None and not (year.strip().isascii() and year.strip().isdigit()):
        raise Refused(400, f"«{year}» er ikke et årstall. Bruk for eksempel year=2025.")
    frame = reader.df(
        f"""
        SELECT {columns},
               CASE WHEN v.scope = 'enhet' THEN coalesce(u.name, v.scope_code)
                    ELSE (SELECT value FROM meta WHERE key = 'kommune_name') || ' kommune' END AS scope_name
        FROM {relation} v JOIN indicators i USING (indicator_id)
        LEFT JOIN units u ON v.scope = 'enhet' AND u.unit_id = v.scope_code
        WHERE v.scope IN ('kommune', 'enhet') AND {_VISIBLE}
          AND ($unit IS NULL OR (v.scope = 'kommune' AND $unit = 'kommune') OR v.scope_code = $unit)
          AND ($year IS NULL OR year(v.period) = $year::INTEGER)
          AND ($focus IS NULL OR i.focus_area = $focus)
        ORDER BY v.scope, v.scope_code, i.sort_order, v.period
        """,
        {"unit": unit, "year": year, "focus": focus},
    )
    if frame.empty:
        return frame
    visible = access.visible_unit_ids(set(frame.loc[frame["scope"] == "enhet", "scope_code"]))
    keep = frame["scope_code"].isin(visible) | ((frame["scope"] == "kommune") & access.may_see_kommune())
    return frame[keep]


def add_routes(server: flask.Flask) -> None:
    """Register the download and API routes on the Flask server."""

    def refused(e: Refused) -> flask.Response:
        return flask.Response(e.text, status=e.status, mimetype="text/plain; charset=utf-8")

    @server.route("/eksport/<table>.<fmt>")
    def download(table: str, fmt: str) -> flask.Response:
        """One page table as CSV or Excel."""
        if table not in TABLES or fmt not in ("csv", "xlsx"):
            return refused(Refused(404, f"Ukjent tabell «{table}.{fmt}». Last ned fra lenkene under tabellene."))
        try:
            frame, columns, label = TABLES[table](data.current_reader(), flask.request.args)
        except Refused as e:
            return refused(e)
        return _send(frame, columns, label, fmt, table)

    apis = {
        "scorecard": (api_scorecard, export.SCORECARD),
        "indicator_values": (api_indicator_values, export.INDICATOR_VALUES),
    }

    @server.route("/api/<name>.csv")
    def api_csv(name: str) -> flask.Response:
        """`/api/scorecard.csv` and `/api/indicator_values.csv` (filters `unit`, `year`, `focus_area`)."""
        if name not in apis:
            flask.abort(404)
        query, columns = apis[name]
        try:
            frame = query(data.current_reader(), flask.request.args)
        except Refused as e:
            return refused(e)
        access.audit("API lastet ned", flask.request.path, flask.request.query_string.decode()[:200])
        return flask.Response(export.to_csv(frame, columns), content_type=CSV)  # its charset once

"""Downloads of what people wrote: tiltak and vurderinger as .xlsx or CSV, for the units the user may see.

Written with `dashboard.export` (text cells are always text in .xlsx; in CSV a text starting with `=`, `+`, `-` or
`@` gets an apostrophe), so a `=HYPERLINK(…)` or `<script>` someone typed stays literal in a spreadsheet.
"""

from __future__ import annotations

import io

import flask
import pandas as pd

from dashboard import access, data, dialogue_store
from dashboard.export import ExportColumn, to_csv, to_xlsx
from dashboard.store import current_store

TILTAK_COLUMNS = (
    ExportColumn("unit_id", "Enhet-id"),
    ExportColumn("unit_name", "Enhet"),
    ExportColumn("action", "Tiltak"),
    ExportColumn("indicators_text", "Indikatorer"),
    ExportColumn("owner", "Ansvarlig"),
    ExportColumn("deadline", "Frist", "date"),
    ExportColumn("status", "Status"),
    ExportColumn("overdue_text", "Forfalt"),
    ExportColumn("changed_by", "Sist endret av"),
    ExportColumn("changed_at", "Sist endret"),
)
VURDERING_COLUMNS = (
    ExportColumn("unit_id", "Enhet-id"),
    ExportColumn("unit_name", "Enhet"),
    ExportColumn("indicator_id", "Indikator-id"),
    ExportColumn("period", "Periode"),
    ExportColumn("text", "Vurdering"),
    ExportColumn("changed_by", "Skrevet av"),
    ExportColumn("changed_at", "Sist endret"),
)
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _visible_units() -> tuple[set[str], dict[str, str]]:
    units = data.units(data.current_reader())
    names = dict(zip(units["unit_id"], units["name"], strict=True)) if not units.empty else {}
    return access.visible_unit_ids(set(names)), names


def tiltak_frame() -> pd.DataFrame:
    """The visible units' current tiltak, one row each."""
    ids, names = _visible_units()
    rows = dialogue_store.list_tiltak(current_store(), ids)
    for r in rows:
        r["unit_name"] = names.get(r["unit_id"], r["unit_id"])
        r["indicators_text"] = ", ".join(r["indicator_list"])
        r["overdue_text"] = "ja" if r["overdue"] else "nei"
    return pd.DataFrame(rows, columns=[c.field for c in TILTAK_COLUMNS])


def vurdering_frame() -> pd.DataFrame:
    """The visible units' current vurderinger, one row each."""
    ids, names = _visible_units()
    rows = dialogue_store.all_vurderinger(current_store(), ids)
    for r in rows:
        r["unit_name"] = names.get(r["unit_id"], r["unit_id"])
    return pd.DataFrame(rows, columns=[c.field for c in VURDERING_COLUMNS])


def add_routes(server: flask.Flask) -> None:
    """`/eksport/dialog/tiltak.<fmt>` and `/eksport/dialog/vurderinger.<fmt>` (fmt csv or xlsx)."""

    @server.route("/eksport/dialog/<what>.<fmt>")
    def dialogue_export(what: str, fmt: str) -> flask.Response:
        kinds = {
            "tiltak": (tiltak_frame, TILTAK_COLUMNS, "Tiltak"),
            "vurderinger": (vurdering_frame, VURDERING_COLUMNS, "Vurderinger"),
        }
        if what not in kinds or fmt not in MIMETYPES:
            flask.abort(404)
        read, columns, label = kinds[what]
        frame = read()
        content = to_csv(frame, columns) if fmt == "csv" else to_xlsx(frame, columns, label, label)
        return flask.send_file(
            io.BytesIO(content), mimetype=MIMETYPES[fmt], as_attachment=True, download_name=f"{what}.{fmt}"
        )

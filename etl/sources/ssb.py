"""SSB documents as tables of a kind: json-stat2 answers (KOSTRA) and Klass JSON (codes, groups, changes).

`etl.reader.read_file` hands every JSON file here. A document fetched by `bms fetch` has the query that
fetched it beside it (`<name>.query.json`): the table number, and for Klass the date and classification
asked for, which the answer itself does not repeat.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from etl.errors import FileRejected, Problem
from etl.norsk import format_number
from etl.reader import Table
from etl.sources.jsonstat import JsonStatError, is_dataset, kostra_frame, table_id
from etl.sources.klass import changes_frame, codes_frame, correspondence_frame
from etl.spec import load_specs, ssb_specs

FETCH_AGAIN = "Hent svaret på nytt med «bms fetch kostra», eller last det ned fra SSB som json-stat2."


def sidecar(path: Path) -> Path:
    """Where the query that fetched a cached answer is kept: `<name>.query.json` beside it."""
    return path.with_name(f"{path.stem}.query.json")


def _query(path: Path) -> dict:
    try:
        q = json.loads(sidecar(path).read_text(encoding="utf-8"))
        return q if isinstance(q, dict) else {}
    except (OSError, ValueError):
        return {}


def _reject(path: Path, message: str, fix: str = FETCH_AGAIN) -> FileRejected:
    return FileRejected(path.name, [Problem(message, fix)])


def read_document(path: Path, doc: object) -> list[Table]:
    """The tables an SSB JSON document holds, or FileRejected saying what the JSON is not."""
    query = _query(path)
    if (
        isinstance(doc, dict)
        and doc.get("class") in ("bundle", "collection")
        or (isinstance(doc, dict) and "dataset" in doc)
    ):
        raise _reject(path, "fila er json-stat i et eldre format (samling av datasett), ikke json-stat2")
    if is_dataset(doc):
        return [_kostra(path, doc, query)]
    if isinstance(doc, dict) and "correspondenceItems" in doc:
        frame = correspondence_frame(doc, query.get("targetClassificationId"), query.get("date"))
        return [Table(ssb_specs()["kostragrupper"], None, frame, notes=[f"{len(frame)} kommuner med gruppe"])]
    if isinstance(doc, dict) and "codeChanges" in doc:
        frame = changes_frame(doc)
        return [Table(ssb_specs()["kommuneendringer"], None, frame, notes=[f"{len(frame)} kodeendringer"])]
    if isinstance(doc, dict) and isinstance(doc.get("codes"), list):
        frame = codes_frame(doc)
        bad = frame[~frame["code"].fillna("").str.fullmatch(r"\d{2}(\d{2})?")]
        if len(bad):
            raise _reject(
                path,
                f"kodelisten fra Klass har koder som verken er kommune- eller fylkesnummer («{bad['code'].iloc[0]}»)",
                "Last ned kommuner (klassifikasjon 131) eller fylker (104).",
            )
        return [Table(load_specs()["klass"], None, frame, notes=[f"{len(frame)} koder"])]
    raise _reject(
        path,
        "fila er JSON, men verken et json-stat2-svar fra SSB eller en kodeliste fra Klass",
        "Bruk Excel- eller CSV-maler for egne tall; KOSTRA hentes med «bms fetch kostra».",
    )


def _kostra(path: Path, doc: dict, query: dict) -> Table:
    fallback = query.get("table") or (m[1] if (m := re.match(r"(\d{5})", path.name)) else None)
    try:
        frame = kostra_frame(doc, fallback)
    except JsonStatError as e:
        raise _reject(path, f"json-stat2-svaret kan ikke leses: {e}") from None
    if frame.empty:
        raise _reject(path, "json-stat2-svaret har ingen celler")
    if not (table_id(doc) or fallback):
        raise _reject(path, "fant ikke tabellnummeret i svaret (extension.px.tableid eller «12134:» i label)")
    return Table(ssb_specs()["kostra"], None, frame, notes=[_summary(frame)])


def _summary(frame: pd.DataFrame) -> str:
    """`tabell 12134: 150 celler, 7 regioner, 2021–2025, 3 uten tall (.. 1, : 2)`."""
    table = frame["table_id"].iloc[0]
    years = frame["year"].dropna()
    span = f", {years.min()}–{years.max()}" if len(years) else ""
    regions = frame["region_code"].nunique()
    symbols = frame["status"].value_counts().sort_index()
    missing = int(frame["value"].isna().sum())
    marks = ", ".join(f"{s} {format_number(int(n))}" for s, n in symbols.items() if n)
    text = f"tabell {table}: {format_number(len(frame))} celler, {regions} regioner{span}"
    return text + (f", {format_number(missing)} uten tall ({marks})" if missing else "")

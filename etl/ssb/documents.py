"""SSB documents as tables of a kind: json-stat2 answers (KOSTRA) and Klass JSON (codes, groups, changes).

`etl.read.reader.read_file` hands every JSON file here. A document fetched by `bms fetch` has the query that
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
from etl.read.table import Table
from etl.spec import load_specs, ssb_specs
from etl.ssb.jsonstat import JsonStatError, kostra_frame, looks_like_dataset, table_id
from etl.ssb.klass import changes_frame, codes_frame, correspondence_frame

FETCH_AGAIN = (
    "Fila er ikke slik SSB sendte den (endret for hånd, avkortet eller laget av et annet program?). Hent svaret "
    "på nytt med «bms fetch kostra», eller last ned tabellen fra statistikkbanken som json-stat2, og legg fila "
    "uendret i innboksen."
)
FETCH_KOSTRA = "Tallene hentes med «bms fetch kostra» (tabellene i balansehåndboka), som lagrer og laster svarene selv."
# Klass answers cached by `bms fetch` are named after their query: `131-112_correspondsAt_2024-01-01.json`.
_KLASS_DATE = re.compile(r"correspondsAt_(\d{4}-\d{2}-\d{2})")


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


def _not_data(path: Path, doc: object) -> FileRejected | None:
    """SSB JSON that is not an answer with figures (metadata, a saved query, an error), said as what it is."""
    if not isinstance(doc, dict):
        return None
    return _a_query(path, doc) or _not_figures(path, doc)


def _a_query(path: Path, doc: dict) -> FileRejected | None:
    """A saved query to SSB's statistics bank or PxWebApi v2 instead of its answer."""
    if "queryObj" in doc or ("query" in doc and isinstance(doc.get("response"), dict)):
        name = doc.get("tableIdForQuery") or ""
        return _reject(
            path,
            f"fila er en lagret spørring fra SSBs statistikkbank («API-spørring for denne tabellen»"
            f"{', tabell ' + str(name) if name else ''}), ikke svaret med tallene",
            f"Kjør spørringen med «bms fetch kostra --query {path.name}»: den henter svaret fra SSB og laster det.",
        )
    if "selection" in doc and isinstance(doc["selection"], list) and "dimension" not in doc:
        return _reject(
            path,
            "fila er en spørring til SSBs PxWebApi v2 («selection»), ikke svaret med tallene",
            "Send spørringen til SSB og lagre svaret som json-stat2, eller la «bms fetch kostra» hente tabellen. "
            + FETCH_KOSTRA,
        )
    return None


def _not_figures(path: Path, doc: dict) -> FileRejected | None:
    """SSB's metadata, table information or an error message instead of figures."""
    try:
        table = table_id(doc)
    except AttributeError:  # an «extension» that is not an object: the dataset reader says so
        table = None
    of = f" for tabell {table}" if table else ""
    if "variables" in doc and "title" in doc and "value" not in doc:
        return _reject(
            path,
            f"fila er metadata{of} fra SSBs PxWebApi v0 (variablene og kodene i tabellen «{doc.get('title')}»), "
            "ikke tall",
            "Metadata lastes ikke. " + FETCH_KOSTRA,
        )
    if "variableNames" in doc or ("firstPeriod" in doc and "lastPeriod" in doc):
        name = doc.get("id") if isinstance(doc.get("id"), str) else table
        return _reject(
            path,
            f"fila er tabellinformasjon{' for tabell ' + name if name else ''} fra SSBs PxWebApi v2 "
            f"(/tables/{name or '…'}: navn, perioder, når den ble oppdatert), ikke tall",
            "Tabellinformasjon lastes ikke. " + FETCH_KOSTRA,
        )
    if looks_like_dataset(doc) and doc.get("value") == [] and isinstance(doc.get("dimension"), dict):
        return _reject(
            path,
            f"fila er metadata{of} fra SSBs PxWebApi v2 (/metadata: dimensjonene og kodene, «value» er tom), ikke tall",
            "Metadata lastes ikke. " + FETCH_KOSTRA,
        )
    if "title" in doc and ("status" in doc or "type" in doc) and "dimension" not in doc:
        return _reject(
            path,
            f"fila er en feilmelding fra SSB («{doc.get('title')}»), ikke et svar med tall",
            "Rett spørringen (tabellnummer og koder) og hent svaret på nytt. " + FETCH_KOSTRA,
        )
    return None


def _records(path: Path, doc: dict, key: str) -> None:
    if not isinstance(doc[key], list) or not all(isinstance(i, dict) for i in doc[key]):
        raise _reject(
            path,
            f"«{key}» i svaret fra Klass skal være en liste med objekter",
            "Hent svaret på nytt med «bms fetch klass», eller last det ned fra Klass uendret.",
        )


def read_document(path: Path, doc: object) -> list[Table]:
    """The tables an SSB JSON document holds, or FileRejected saying what the JSON is and is not.

    Whatever the document holds, a broken one is refused as that one file with a Norwegian reason: the
    readers check what they rely on, and anything they did not foresee is refused here too, never raised
    past the load (where it would stop the other files)."""
    try:
        return _read_document(path, doc)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as e:
        raise _reject(
            path,
            f"fila har innhold leseren for SSB-svar ikke forventer ({type(e).__name__}: {str(e)[:200]})",
            FETCH_AGAIN + " Meld feilen om fila kom rett fra SSB.",
        ) from None


def _read_document(path: Path, doc: object) -> list[Table]:
    query = _query(path)
    if (
        isinstance(doc, dict)
        and doc.get("class") in ("bundle", "collection")
        or (isinstance(doc, dict) and "dataset" in doc)
    ):
        raise _reject(path, "fila er json-stat i et eldre format (samling av datasett), ikke json-stat2")
    if (refused := _not_data(path, doc)) is not None:
        raise refused
    if isinstance(doc, dict) and looks_like_dataset(doc):
        return [_kostra(path, doc, query)]
    if isinstance(doc, dict) and "correspondenceItems" in doc:
        _records(path, doc, "correspondenceItems")
        as_of = query.get("date") or (m[1] if (m := _KLASS_DATE.search(path.name)) else None)
        frame = correspondence_frame(doc, query.get("targetClassificationId"), as_of)
        return [Table(ssb_specs()["kostragrupper"], None, frame, notes=[f"{len(frame)} kommuner med gruppe"])]
    if isinstance(doc, dict) and "codeChanges" in doc:
        _records(path, doc, "codeChanges")
        frame = changes_frame(doc)
        return [Table(ssb_specs()["kommuneendringer"], None, frame, notes=[f"{len(frame)} kodeendringer"])]
    if isinstance(doc, dict) and isinstance(doc.get("codes"), list):
        _records(path, doc, "codes")
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

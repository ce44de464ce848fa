"""Small builders for input files as analysts produce them (Excel with title blocks, Latin-1 CSV …)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import duckdb
from openpyxl import Workbook

from etl.warehouse import DUCKDB_CONFIG

UNITS_HEADER = ["enhet_id", "enhet", "tjenesteområde", "tjeneste", "ansvar"]
UNITS = [
    ["E21", "Kyrksæterøra barnehage", "oppvekst", "barnehage", "2100"],
    ["E31", "Kyrksæterøra skole", "oppvekst", "skole", "0310, 0311"],
    ["E41", "Hjemmetjenesten", "helse og mestring", "hjemmetjenester", "4100"],
]


def catalogue_size() -> int:
    """How many indicators the default catalogue (data/balansehandbok.csv) holds."""
    from etl.settings import BUNDLED_DATA, CATALOGUE_FILE

    lines = (BUNDLED_DATA / CATALOGUE_FILE).read_text(encoding="utf-8-sig").splitlines()
    return sum(1 for line in lines[1:] if line.strip())


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]], text_cells: bool = False) -> Path:
    """An .xlsx with one sheet per entry; `text_cells` stores every string as text (never a formula)."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        if text_cells:
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str):
                        cell.data_type = "s"
    wb.properties.created = dt.datetime(2025, 1, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_csv(path: Path, rows: list[list[object]], encoding: str = "utf-8", delimiter: str = ";") -> Path:
    """A CSV in the given encoding and separator, as Excel or a fagsystem writes it."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def units_file(folder: Path, name: str = "enheter.xlsx") -> Path:
    """A units file with a title block above the header, as exported from the HR system."""
    return write_xlsx(folder / name, {"Enheter": [["Heim kommune – enheter"], [], UNITS_HEADER, *UNITS]})


def query(data_dir: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows from the published warehouse of a data folder, read-only, as a notebook would."""
    con = duckdb.connect(str(data_dir / "warehouse" / "current.duckdb"), read_only=True, config=DUCKDB_CONFIG)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def snapshot(
    data_dir: Path,
    relations: tuple[str, ...] = ("units", "indicators", "targets", "manual_values", "indicator_values", "scorecard"),
) -> dict:
    """Every row of the data relations, sorted: to compare two warehouses for equality."""
    return {r: sorted(map(repr, query(data_dir, f"SELECT * FROM {r}"))) for r in relations}


def rounded(rows: list[tuple], digits: int = 6) -> list[tuple]:
    """Query rows with every float rounded, to compare computed figures with hand-worked ones."""
    return [tuple(round(v, digits) if isinstance(v, float) else v for v in row) for row in rows]

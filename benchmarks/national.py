"""A seeded national-scale installation: every kommune's KOSTRA figures as SSB-shaped json-stat2, a large
municipality's ledger as one Excel workbook, 40 units, and the demo's surveys and registers.

Full scale: ~390 regions (357 kommuner, the KOSTRA groups, the counties, the country) × 15 years × 280 KOSTRA
contents ≈ 1,6 M cells in 20 tables, and 60 months × 50 ansvar × 167 art/funksjon ≈ 500 000 ledger lines.
The files are written once per scale and seed under `benchmarks/out/` and reused.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import python_calamine
from openpyxl import Workbook

from benchmarks.measure import bms
from etl.cli import DEMO_DIR

OUT = Path(__file__).resolve().parent / "out"
YEARS = list(range(2011, 2026))
# The catalogue's KOSTRA references (table → contents) are in the generated tables, so the comparison runs.
CATALOGUE_KOSTRA = {
    "12134": ["KOSAGD230000", "KOSKG210000", "KOSKG320000"],
    "12255": ["KOSgrstr20000"],
    "13502": ["KOSandel150000", "KOSbarnaav0000"],
}
REGIONS_FIXED = ["5055", "5056", "5014", "5059", "1576", "1566", "5061", "EKG02", "EKA50", "EAKUO"]


@dataclass(frozen=True)
class Scale:
    """How big the generated installation is."""

    name: str
    kommuner: int  # besides the fixed ones
    contents: int  # KOSTRA contents codes in all
    per_table: int
    art_funksjon: int  # ledger lines per ansvar and month
    new_units: int = 29


FULL = Scale("full", kommuner=357, contents=280, per_table=14, art_funksjon=167)
QUICK = Scale("quick", kommuner=60, contents=28, per_table=14, art_funksjon=4)


@dataclass(frozen=True)
class Files:
    """The generated files of one scale."""

    folder: Path
    kostra: list[Path]
    ledger: Path
    units: Path
    small: Path  # one small indikatorverdier file, for an incremental load
    kostra_cells: int
    ledger_rows: int


def regions(scale: Scale) -> list[str]:
    """Region codes: the fixed ones Heim's comparison needs, more kommuner, groups and counties."""
    more = [f"{4000 + i:04d}" for i in range(scale.kommuner)]
    groups = [f"EKG{i:02d}" for i in range(1, 18) if i != 2]
    counties = [f"EKA{i:02d}" for i in (3, 11, 15, 18, 31, 32, 33, 34, 39, 40, 42, 46, 55, 56)]
    return list(dict.fromkeys(REGIONS_FIXED + more + groups + counties + ["EAK"]))


def kostra_tables(scale: Scale) -> dict[str, list[str]]:
    """Table id → contents codes: the catalogue's tables first (filled up), then made-up ones."""
    tables = {t: list(c) for t, c in CATALOGUE_KOSTRA.items()}
    n = sum(len(c) for c in tables.values())
    for t in tables:
        while len(tables[t]) < scale.per_table and n < scale.contents:
            tables[t].append(f"KOSbench{t}{len(tables[t]):02d}")
            n += 1
    i = 0
    while n < scale.contents:
        table = f"9{i:04d}"
        tables[table] = [f"KOSbench{table}{j:02d}" for j in range(min(scale.per_table, scale.contents - n))]
        n += len(tables[table])
        i += 1
    return tables


def jsonstat(table: str, region_codes: list[str], contents: list[str], rng: np.random.Generator) -> dict:
    """One whole table as SSB's json-stat2 (region × contents × year), 2 % of cells suppressed with a symbol."""
    dims = {"KOKkommuneregion0000": region_codes, "ContentsCode": contents, "Tid": [str(y) for y in YEARS]}
    n = len(region_codes) * len(contents) * len(YEARS)
    values = np.round(rng.gamma(4.0, 12.0, n), 1).astype(object)
    hidden = rng.choice(n, n // 50, replace=False)
    values[hidden] = None
    status = {str(int(i)): (":" if i % 3 else ".") for i in hidden}
    dimension = {
        d: {"label": d, "category": {"index": {c: i for i, c in enumerate(codes)}, "label": {c: c for c in codes}}}
        for d, codes in dims.items()
    }
    dimension["ContentsCode"]["category"]["unit"] = {c: {"base": "prosent", "decimals": 1} for c in contents}
    return {
        "version": "2.0",
        "class": "dataset",
        "label": f"{table}: benchmark, etter region, statistikkvariabel og år",
        "source": "Statistisk sentralbyrå",
        "updated": "2026-06-15T06:00:00Z",
        "id": list(dims),
        "size": [len(c) for c in dims.values()],
        "dimension": dimension,
        "value": values.tolist(),
        "status": status,
        "role": {"time": ["Tid"], "metric": ["ContentsCode"]},
        "extension": {"px": {"tableid": table, "decimals": 1}},
    }


def demo_units() -> list[list[object]]:
    """The demo's units file rows (header first), read as they stand."""
    rows = python_calamine.CalamineWorkbook.from_path(DEMO_DIR / "enheter" / "enheter.xlsx").get_sheet_by_index(0)
    data = rows.to_python()
    start = next(i for i, r in enumerate(data) if r and r[0] == "enhet_id")
    return [list(r) for r in data[start:] if r and r[0]]


def write_units(path: Path, scale: Scale) -> list[str]:
    """40 units: the demo's eleven and more, each with its ansvar codes; returns every ansvar code."""
    header, *rows = demo_units()
    for i in range(scale.new_units):
        rows.append([f"E{60 + i}", f"Enhet {60 + i}", "oppvekst", "skole", f"{6000 + i * 10}", "Kommunalsjef"])
    wb = Workbook()
    ws = wb.active
    ws.title = "Enheter"
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return [code.strip() for r in rows for code in str(r[4]).split(",") if code.strip()]


def write_ledger(path: Path, ansvar: list[str], scale: Scale, rng: np.random.Generator) -> int:
    """Five years of monthly ledger lines for every ansvar × art × funksjon, one sheet; returns the rows."""
    combos = [(f"{10000 + 37 * i:05d}", f"{201 + i % 40:03d}") for i in range(scale.art_funksjon)]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Regnskap")
    ws.append(["periode", "ansvar", "art", "funksjon", "regnskap", "budsjett"])
    rows = 0
    for year in range(2021, 2026):
        for month in range(1, 13):
            budget = np.round(rng.gamma(2.0, 20000.0, len(ansvar) * len(combos)), 0)
            actual = np.round(budget * rng.normal(1.0, 0.08, budget.size), 0)
            k = 0
            for a in ansvar:
                for art, funksjon in combos:
                    ws.append([f"{year}{month:02d}", a, art, funksjon, float(actual[k]), float(budget[k])])
                    k += 1
            rows += k
    wb.save(path)
    return rows


def generate(scale: Scale, seed: int = 5055) -> Files:
    """Write (or reuse) the generated files of a scale and seed."""
    folder = OUT / f"{scale.name}-{seed}"
    done = folder / "done.json"
    if done.exists():
        facts = json.loads(done.read_text())
        return Files(
            folder,
            sorted((folder / "kostra").glob("*.json")),
            folder / "regnskap.xlsx",
            folder / "enheter.xlsx",
            folder / "indikatorverdier.csv",
            facts["kostra_cells"],
            facts["ledger_rows"],
        )
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "kostra").mkdir(parents=True)
    rng = np.random.default_rng(seed)
    codes = regions(scale)
    cells = 0
    for table, contents in kostra_tables(scale).items():
        doc = jsonstat(table, codes, contents, rng)
        (folder / "kostra" / f"{table}.json").write_text(json.dumps(doc), encoding="utf-8")
        cells += len(doc["value"])
    ansvar = write_units(folder / "enheter.xlsx", scale)
    rows = write_ledger(folder / "regnskap.xlsx", ansvar, scale, rng)
    (folder / "indikatorverdier.csv").write_text(
        "indikator_id;periode;verdi\r\ntrivsel_skole;2025;4,4\r\n", encoding="utf-8"
    )
    done.write_text(json.dumps({"kostra_cells": cells, "ledger_rows": rows}))
    return generate(scale, seed)


def base_installation(files: Files, target: Path) -> Path:
    """The demo installation with the 40 units loaded: the starting point of every ledger load."""
    made = bms(["demo", "--data-dir", str(target)])[2] == 0
    if not made or bms(["load", "--data-dir", str(target), str(files.units)])[2] != 0:
        raise RuntimeError(f"kunne ikke bygge grunninstallasjonen i {target}")
    return target

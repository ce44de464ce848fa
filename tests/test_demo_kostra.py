"""The demo's KOSTRA and Klass files: read by the real readers (no bridge any more), complete for every
KOSTRA indicator in the catalogue, and Heim's figures the same as the generator's bridge says."""

from __future__ import annotations

import csv
import json

from openpyxl import load_workbook

from etl.cli import DEMO_DIR, demo_files
from etl.settings import BUNDLED_DATA, Settings
from tests.helpers import query

YEARS = range(2021, 2026)


def kostra_indicators() -> dict[str, str]:
    with (BUNDLED_DATA / "balansehandbok.csv").open(encoding="utf-8-sig") as f:
        return {r["id"]: r["kilde_ref"] for r in csv.DictReader(f, delimiter=";") if r["kilde"] == "KOSTRA"}


def test_kostra_and_klass_files_are_read_and_the_kostra_bridge_is_not():
    names = {p.relative_to(DEMO_DIR).as_posix() for p in demo_files()}
    assert {"kostra/12134.json", "kostra/12255.json", "kostra/13502.json"} <= names
    assert "klass/131_codesAt_2026-01-01.csv" in names and "indikatorverdier/bro_kostra.xlsx" not in names
    for p in (DEMO_DIR / "kostra").glob("*.json"):
        assert "DEMODATA" in json.loads(p.read_text(encoding="utf-8"))["label"]


def test_every_kostra_indicator_has_heim_the_peers_the_group_the_county_and_the_country(demo_dir):
    regions = {"5055", "EKG02", "EKA50", "EAKUO", *Settings(data_dir=demo_dir).peers}
    assert len(kostra_indicators()) == 6
    for indicator, ref in kostra_indicators().items():
        rows = query(
            demo_dir,
            "SELECT scope_code, year(period), value, status_symbol, source_ref, vintage FROM indicator_values "
            "WHERE indicator_id = ? AND scope IN ('kommune', 'region')",
            [indicator],
        )
        assert {(r[0], r[1]) for r in rows} == {(c, y) for c in regions for y in YEARS}, indicator
        assert {r[4] for r in rows} == {f"KOSTRA: {ref}"}
        assert {r[5] for r in rows} == {"endelige tall per 15.06.2026"}
        assert all((value is None) == (symbol is not None) for _, _, value, symbol, *_ in rows), indicator
    missing = query(
        demo_dir, "SELECT indicator_id, scope_code, status_symbol FROM indicator_values WHERE value IS NULL ORDER BY 1"
    )
    assert missing == [
        ("dekningsgrad_barnehage", "5061", ":"),
        ("disposisjonsfond", "1576", ".."),
        ("gruppestorrelse", "5014", "."),
    ]


def test_heims_kostra_figures_equal_the_bridges(demo_dir):
    sheet = load_workbook(DEMO_DIR / "indikatorverdier" / "bro_kostra.xlsx", read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows.index(next(r for r in rows if r and r[0] == "indikator_id"))
    bridge = {(r[0], int(r[2])): r[3] for r in rows[header + 1 :] if r[0] and r[1] is None}
    assert {i for i, _ in bridge} == set(kostra_indicators())
    got = dict(
        ((i, y), v)
        for i, y, v in query(
            demo_dir,
            "SELECT indicator_id, year(period), value FROM indicator_values WHERE scope = 'kommune' "
            "AND source_ref LIKE 'KOSTRA:%'",
        )
    )
    assert got == bridge

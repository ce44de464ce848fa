"""The KOSTRA comparison on the demo installation, checked against the demo's own SSB and Klass files read
independently here: rank, group (SSB's own figure, from the group Klass names), spread, differences,
better/worse by direction, trend, missing cells, the unit-level twin and the vintage."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from etl.cli import DEMO_DIR
from etl.settings import Settings
from tests.helpers import query
from tests.ssb_world import membership_spans

PEERS = list(Settings(data_dir=DEMO_DIR).peers)
COLUMNS = (
    "value, rank, rank_of, peer_count, group_code, group_value, county_value, country_value, peer_min, peer_q1, "
    "peer_median, peer_q3, peer_max, diff_group, diff_group_pct, vs_group, vs_peers, trend, change_5y, vintage"
)


def cell(table: str, contents: str, region: str, year: int) -> float | None:
    """One figure from a demo json-stat2 file, by walking its dimensions the slow way."""
    doc = json.loads((DEMO_DIR / "kostra" / f"{table}.json").read_text(encoding="utf-8"))
    want = {"ContentsCode": contents, "KOKkommuneregion0000": region, "Tid": str(year)}
    flat = 0
    for d, size in zip(doc["id"], doc["size"], strict=True):
        flat = flat * size + doc["dimension"][d]["category"]["index"][want[d]]
    return doc["value"][flat]


def klass_group(code: str, year: int) -> str:
    doc = json.loads((DEMO_DIR / "klass" / f"131-112_correspondsAt_{year}-01-01.json").read_text(encoding="utf-8"))
    return next(i["targetCode"] for i in doc["correspondenceItems"] if i["sourceCode"] == code)


def row(demo_dir, indicator: str, year: int, scope_code: str = "5055") -> dict:
    names = [c.strip() for c in COLUMNS.split(",")]
    [values] = query(
        demo_dir,
        f"SELECT {COLUMNS} FROM kostra_comparison WHERE indicator_id = ? AND year = ? AND scope_code = ?",
        [indicator, year, scope_code],
    )
    return dict(zip(names, values, strict=True))


@pytest.mark.parametrize(
    ("indicator", "table", "contents", "higher_is_better"),
    [("netto_driftsresultat", "12134", "KOSAGD230000", True), ("langsiktig_gjeld", "12134", "KOSKG320000", False)],
)
def test_heims_place_among_the_peers_follows_from_ssbs_figures(demo_dir, indicator, table, contents, higher_is_better):
    got = row(demo_dir, indicator, 2025)
    heim = cell(table, contents, "5055", 2025)
    peers = [cell(table, contents, p, 2025) for p in PEERS]
    better = [p for p in peers if (p > heim if higher_is_better else p < heim)]
    group = klass_group("5055", 2025)
    assert got["value"] == heim and got["rank"] == 1 + len(better) and got["rank_of"] == 7
    assert got["group_code"] == group == "EKG02"  # read from the demo's Klass file
    assert got["group_value"] == cell(table, contents, group, 2025) != pytest.approx(np.mean(peers))
    assert got["county_value"] == cell(table, contents, "EKA50", 2025)
    assert got["country_value"] == cell(table, contents, "EAKUO", 2025)
    q = np.quantile(peers, [0, 0.25, 0.5, 0.75, 1])
    spread = [got[k] for k in ("peer_min", "peer_q1", "peer_median", "peer_q3", "peer_max")]
    assert spread == pytest.approx(q)
    assert got["diff_group"] == pytest.approx(heim - got["group_value"])
    assert got["diff_group_pct"] == pytest.approx(100 * (heim - got["group_value"]) / abs(got["group_value"]))
    heim_better = heim > got["group_value"] if higher_is_better else heim < got["group_value"]
    assert got["vs_group"] == ("bedre" if heim_better else "dårligere")
    history = [cell(table, contents, "5055", y) for y in range(2021, 2026)]
    slope = np.polyfit(range(2021, 2026), history, 1)[0]
    improving = slope > 0 if higher_is_better else slope < 0
    assert got["trend"] == ("bedring" if improving else "forverring")
    assert got["change_5y"] == pytest.approx(heim - history[0])
    assert got["vintage"] == "endelige tall per 15.06.2026"


def test_a_suppressed_peer_cell_stays_missing_and_out_of_the_spread(demo_dir):
    got = row(demo_dir, "disposisjonsfond", 2025)  # Aure (1576) has ".." for 2025 in the demo
    assert got["peer_count"] == 5 and got["rank_of"] == 6
    [peers] = query(
        demo_dir,
        "SELECT peers FROM kostra_comparison WHERE indicator_id = 'disposisjonsfond' AND year = 2025 "
        "AND scope_code = '5055'",
    )[0]
    aure = next(p for p in peers if p["code"] == "1576")
    assert aure["value"] is None and aure["status_symbol"] == ".." and aure["name"] == "Aure"
    assert {p["code"] for p in peers} == set(PEERS)
    others = [cell("12134", "KOSKG210000", p, 2025) for p in PEERS if p != "1576"]
    assert got["peer_min"] == min(others) and got["peer_max"] == max(others)


def test_peers_groups_are_read_by_year(demo_dir):
    [(peers_2023,), (peers_2025,)] = query(
        demo_dir,
        "SELECT peers FROM kostra_comparison WHERE indicator_id = 'netto_driftsresultat' AND scope_code = '5055' "
        "AND year IN (2023, 2025) ORDER BY year",
    )
    orkland = {p["code"]: (p["kostra_group"], p["same_group"]) for p in peers_2023}["5059"]
    assert orkland == (klass_group("5059", 2023), False) == ("EKG08", False)
    assert {p["code"]: p["kostra_group"] for p in peers_2025}["5059"] == klass_group("5059", 2025) == "EKG07"
    assert {p["code"]: p["same_group"] for p in peers_2025}["5056"] is True  # Hitra is in Heim's group


def test_the_unit_level_twin_compares_each_barnehage_with_the_same_peers(demo_dir):
    kommune = row(demo_dir, "barn_per_arsverk", 2025)
    units = {u: row(demo_dir, "barn_per_arsverk", 2025, u) for u in ("E21", "E22")}
    peers = [cell("13502", "KOSbarnaav0000", p, 2025) for p in PEERS]
    for unit in units.values():
        assert [unit[k] for k in ("peer_min", "peer_median", "peer_max", "group_value")] == [
            kommune[k] for k in ("peer_min", "peer_median", "peer_max", "group_value")
        ]
        assert unit["rank"] == 1 + sum(p < round(unit["value"], 1) for p in peers)  # fewer children per adult
    # Heim's KOSTRA figure is its barnehager's children over their årsverk (weighted), not a mean of ratios
    [(children, fte, mean_of_ratios)] = query(
        demo_dir,
        "SELECT sum(numerator), sum(denominator), avg(value) FROM indicator_values "
        "WHERE indicator_id = 'barn_per_arsverk' AND scope = 'enhet' AND year(period) = 2025",
    )
    assert kommune["value"] == round(children / fte, 1) != round(mean_of_ratios, 1)


def test_the_demos_klass_files_give_one_sound_span_per_group(demo_dir):
    spans = membership_spans(demo_dir)
    assert spans["5055"] == [("EKG02", dt.date(2020, 1, 1), None)]
    assert spans["5059"] == [("EKG08", dt.date(2020, 1, 1), dt.date(2024, 1, 1)), ("EKG07", dt.date(2024, 1, 1), None)]
    assert all(len(s) == 1 for code, s in spans.items() if code != "5059")

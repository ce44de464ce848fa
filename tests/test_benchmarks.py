"""The benchmark suite's own parts: the generated national data is what SSB and the readers accept, the HTTP
benchmark posts callbacks the real app answers, and the RESULT line carries every key the issue names."""

from __future__ import annotations

import json

import numpy as np

from benchmarks import national, serving
from benchmarks.__main__ import LABELS, result_line
from benchmarks.measure import percentile
from dashboard.app import create_app
from etl.ssb.jsonstat import read_jsonstat
from tests.helpers import app_client

TINY = national.Scale("tiny", kommuner=5, contents=9, per_table=4, art_funksjon=2)


def test_the_generated_kostra_tables_hold_the_catalogues_references_and_read_clean():
    tables = national.kostra_tables(TINY)
    assert sum(map(len, tables.values())) == TINY.contents
    for table, contents in national.CATALOGUE_KOSTRA.items():
        assert set(contents) <= set(tables[table])
    codes = national.regions(TINY)
    assert set(national.REGIONS_FIXED) <= set(codes) and len(codes) == len(set(codes))
    doc = national.jsonstat("12134", codes, tables["12134"], np.random.default_rng(1))
    cells = read_jsonstat(doc)
    assert len(cells) == len(codes) * len(tables["12134"]) * len(national.YEARS)
    hidden = cells[cells["value"].isna()]
    assert len(hidden) == len(doc["status"]) > 0 and set(hidden["status"]) <= {":", "."}


def test_the_page_callbacks_the_http_benchmark_posts_are_answered_by_the_app(demo_dir):
    client = app_client(create_app(demo_dir))
    deps = client.get("/_dash-dependencies").get_json()
    pages = next(d for d in deps if "_pages_content.children" in d["output"])
    for search, shown in (("", "Heim kommune"), ("?enhet=E21", "Kyrksæterøra barnehage")):
        body = serving.callback_body(pages, {"_pages_location.pathname": "/", "_pages_location.search": search})
        answer = client.post("/_dash-update-component", json=body)
        text = json.dumps(answer.get_json(), ensure_ascii=False)
        assert answer.status_code == 200 and shown in text and serving.FAILED_TEXT not in text


def test_the_result_line_names_every_figure_and_says_na_for_what_was_not_measured():
    line = result_line({"excel_vs_raw_read": 1.5, "refresh_errors": 0, "report_s": None})
    keys = dict(item.split("=") for item in line.removeprefix("RESULT ").split())
    required = {"excel_vs_raw_read", "excel_speedup_vs_openpyxl", "jsonstat_speedup_vs_pyjstat", "callback_p95_ms"}
    required |= {"callback_p95_ms_8users", "callback_vs_sql", "refresh_errors", "rebuild_s", "incremental_s"}
    required |= {"load_peak_mb", "rss_mb", "first_load_kb", "report_s"}
    assert line.startswith("RESULT ") and set(keys) == required == set(LABELS)
    assert keys["excel_vs_raw_read"] == "1.5" and keys["refresh_errors"] == "0" and keys["report_s"] == "na"


def test_percentiles_interpolate():
    assert percentile([10, 20, 30, 40, 50], 50) == 30 and percentile([10, 20], 95) == 19.5
    assert np.isnan(percentile([], 95))


def test_the_peak_memory_of_bms_is_its_own_not_the_benchmark_processes(demo_dir):
    """Linux reckons a child's peak from the image it was forked from: `bms` started straight from a benchmark
    holding 800 MB read 800 MB whatever it used. Through the launcher it reads its own (a status: under 400)."""
    from benchmarks.measure import bms

    ballast = np.ones(100_000_000)  # 800 MB in this process
    seconds, peak_mb, code = bms(["status", "--data-dir", str(demo_dir)])
    assert code == 0 and seconds > 0
    assert 50 < peak_mb < 400, peak_mb
    del ballast

#!/usr/bin/env python3
"""One tjenesterapport (Word) on the demo installation: how long each step takes. Goal: under 5 s in all.

    .venv/bin/python benchmarks/report_speed.py [--data-dir DIR] [--format docx|pdf|xlsx] [--repeat 3]

Builds the demo into a temporary folder unless `--data-dir` names one with a published warehouse. Reports
the best of `--repeat` runs for the model (warehouse queries and text), the charts (one Chromium for all,
through kaleido) and the writer, and the total. Not a test: numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard.cli import main as bms  # noqa: E402
from dashboard.reports import ReportRequest, build_model, open_reader, write  # noqa: E402
from dashboard.reports.charts import browser, render  # noqa: E402
from dashboard.reports.queries import Reader  # noqa: E402

GOAL_SECONDS = 5.0


def one_run(reader: Reader, request: ReportRequest) -> dict[str, float]:
    """Time the three steps of one report."""
    t0 = time.perf_counter()
    with browser():  # as build_report does: the browser starts while the queries run
        report = build_model(reader, request)
        t1 = time.perf_counter()
        if request.fmt != "xlsx":
            render(report)
        t2 = time.perf_counter()
        content = write(report, request.fmt)
        t3 = time.perf_counter()
    assert content, "the report is empty"
    return {"modell": t1 - t0, "diagrammer": t2 - t1, "skriving": t3 - t2, "totalt": t3 - t0}


def main() -> int:
    """Run the benchmark and print the best time of each step."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", type=Path)
    p.add_argument("--format", default="docx", choices=("docx", "pdf", "xlsx"))
    p.add_argument("--year", type=int, default=2025)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir
        if data_dir is None:
            data_dir = Path(tmp) / "data"
            assert bms(["demo", "--data-dir", str(data_dir)]) == 0
        reader = open_reader(data_dir / "warehouse" / "current.duckdb")
        request = ReportRequest("tjenesterapport", args.year, args.format)
        runs = [one_run(reader, request) for _ in range(args.repeat)]
    best = {k: min(r[k] for r in runs) for k in runs[0]}
    for step, seconds in best.items():
        print(f"{step:12} {seconds:6.2f} s")
    load = os.getloadavg()[0]
    print(f"Maskinlast (1 min): {load:.1f} på {os.cpu_count()} kjerner; over 1 per kjerne blir tidene for høye.")
    verdict = "innenfor" if best["totalt"] < GOAL_SECONDS else "OVER"
    print(f"Én tjenesterapport ({args.format}): {best['totalt']:.2f} s, {verdict} målet på {GOAL_SECONDS:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

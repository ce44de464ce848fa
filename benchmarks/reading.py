"""Reading files: `bms load` of the ledger workbook against a bare calamine read and an openpyxl-based read,
and the json-stat2 reader against pyjstat, each baseline in the same run."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import python_calamine

from benchmarks.jsonstat_reader import answer
from benchmarks.measure import bms, median_time
from benchmarks.national import Files
from etl.ssb.jsonstat import decode, kostra_frame, read_jsonstat


def excel(files: Files, base: Path, repeat: int, openpyxl_repeat: int = 1) -> dict[str, float]:
    """`bms load` of the ledger into a copy of the base installation, against reading the same workbook bare."""
    loads, peaks = [], []
    for _ in range(max(1, repeat)):
        with tempfile.TemporaryDirectory(prefix="bms-bench-") as tmp:
            folder = Path(tmp) / "data"
            shutil.copytree(base, folder, symlinks=True)
            seconds, peak, code = bms(["load", "--data-dir", str(folder), str(files.ledger)])
            if code != 0:
                raise RuntimeError(f"bms load av {files.ledger.name} feilet (kode {code})")
            loads.append(seconds)
            peaks.append(peak)
    load_s = float(np.median(loads))

    def calamine() -> int:
        return len(python_calamine.CalamineWorkbook.from_path(files.ledger).get_sheet_by_index(0).to_python())

    raw_s, rows = median_time(calamine, repeat)
    openpyxl_s, frame = median_time(lambda: pd.read_excel(files.ledger, engine="openpyxl"), openpyxl_repeat)
    assert rows - 1 == len(frame) == files.ledger_rows
    return {
        "ledger_rows": files.ledger_rows,
        "ledger_load_s": load_s,
        "ledger_raw_s": raw_s,
        "ledger_openpyxl_s": openpyxl_s,
        "excel_vs_raw_read": load_s / raw_s,
        "excel_speedup_vs_openpyxl": openpyxl_s / load_s,
        "ledger_peak_mb": max(peaks),
    }


def jsonstat(cells: int, repeat: int) -> dict[str, float]:
    """The project's json-stat2 reader and its loader frame against pyjstat on one generated answer."""
    from pyjstat import pyjstat  # dev dependency

    text = answer(cells)
    ours, frame = median_time(lambda: read_jsonstat(decode(text)), repeat)
    rows, kostra = median_time(lambda: kostra_frame(decode(text)), repeat)
    theirs, other = median_time(lambda: pyjstat.Dataset.read(text).write("dataframe", naming="id"), repeat)
    assert len(frame) == len(other) == len(kostra)
    assert np.isclose(np.nansum(frame["value"]), np.nansum(other["value"].astype(float)))
    return {
        "jsonstat_cells": len(frame),
        "jsonstat_ours_s": ours,
        "jsonstat_kostra_frame_s": rows,
        "jsonstat_pyjstat_s": theirs,
        "jsonstat_speedup_vs_pyjstat": theirs / ours,
        "jsonstat_frame_speedup_vs_pyjstat": theirs / rows,
    }

#!/usr/bin/env python3
"""The hand-written json-stat2 reader against pyjstat, on a generated 1 000 000-cell KOSTRA-like answer.

    .venv/bin/python benchmarks/jsonstat_reader.py [--cells 1000000] [--repeat 3]

Both start from the same JSON text (as it arrives from SSB) and end with one row per cell with codes,
value and status: ours decodes it with `etl.ssb.jsonstat.decode` (orjson), pyjstat with `json.loads`; ours
through `json.loads` is printed too. Median of `--repeat` runs, every ratio from the same run; prints the
times and the ratios. Not a test: numbers depend on the machine. pyjstat is a dev dependency only.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from etl.ssb.jsonstat import decode, kostra_frame, read_jsonstat  # noqa: E402


def answer(cells: int, seed: int = 5055) -> str:
    """A json-stat2 answer shaped like KOSTRA table 12367: regions × contents × art × years, 3 % suppressed."""
    r = np.random.default_rng(seed)
    years = [str(y) for y in range(2015, 2025)]
    contents = [f"KOS{i:02d}0000" for i in range(10)]
    arts = [f"AGD{i}" for i in range(20)]
    regions = [f"{i:04d}" for i in range(max(1, cells // (len(years) * len(contents) * len(arts))))]
    dims = {"KOKkommuneregion0000": regions, "ContentsCode": contents, "KOKart0000": arts, "Tid": years}
    n = int(np.prod([len(c) for c in dims.values()]))
    values = np.round(r.normal(1000, 300, n), 1).tolist()
    status = {}
    for i in r.choice(n, n * 3 // 100, replace=False).tolist():
        values[i] = None
        status[str(i)] = ":" if i % 2 else "."
    dimension = {
        d: {"label": d, "category": {"index": {c: i for i, c in enumerate(codes)}, "label": {c: c for c in codes}}}
        for d, codes in dims.items()
    }
    dimension["ContentsCode"]["category"]["unit"] = {c: {"base": "1000 kr", "decimals": 0} for c in contents}
    doc = {
        "version": "2.0",
        "class": "dataset",
        "label": "99999: benchmark",
        "updated": "2026-06-15T06:00:00Z",
        "id": list(dims),
        "size": [len(c) for c in dims.values()],
        "dimension": dimension,
        "value": values,
        "status": status,
        "role": {"time": ["Tid"], "metric": ["ContentsCode"]},
    }
    return json.dumps(doc)


def median(run, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cells", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from pyjstat import pyjstat  # dev dependency

    text = answer(args.cells)
    print(f"json-stat2-svar: {len(text) / 1e6:.1f} MB, {args.cells:_} celler".replace("_", " "))
    ours, frame = median(lambda: read_jsonstat(decode(text)), args.repeat)
    rows, kostra = median(lambda: kostra_frame(decode(text)), args.repeat)
    stdlib, _ = median(lambda: read_jsonstat(json.loads(text)), args.repeat)
    theirs, other = median(lambda: pyjstat.Dataset.read(text).write("dataframe", naming="id"), args.repeat)
    assert len(frame) == len(other) == len(kostra) == args.cells
    assert np.isclose(np.nansum(frame["value"]), np.nansum(other["value"].astype(float)))
    print(f"  decode + read_jsonstat             : {ours:6.3f} s")
    print(f"  decode + kostra_frame              : {rows:6.3f} s  (kostra_values-rader med dims, enhet, år)")
    print(f"  json.loads + read_jsonstat         : {stdlib:6.3f} s")
    print(f"  pyjstat 2.4 Dataset → DataFrame    : {theirs:6.3f} s")
    print(f"  forhold pyjstat / read_jsonstat    : {theirs / ours:6.1f}×")
    print(f"  forhold pyjstat / kostra_frame     : {theirs / rows:6.1f}×")
    print(f"  forhold pyjstat / json.loads-veien : {theirs / stdlib:6.1f}×")


if __name__ == "__main__":
    main()

"""The benchmark suite: `python -m benchmarks` (national scale, several minutes) or `--quick` (under 3 minutes).

Generates (once, seeded) a national-scale installation, then measures reading, loading, rebuilding and serving
it, each against its baseline in the same run so the ratios hold on a busy machine. Prints a table and, as the
last line, `RESULT key=value …`. Results are also written to `benchmarks/out/result-<scale>.json`.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import building, reading, serving
from benchmarks.measure import ROOT, bms
from benchmarks.national import FULL, OUT, QUICK, base_installation, generate

UNIT = "E21"
LABELS = {
    "excel_vs_raw_read": "bms load av regnskapsarbeidsboka / ren calamine-lesing (×, lavere er bedre)",
    "excel_speedup_vs_openpyxl": "openpyxl-basert lesing / bms load (×, høyere er bedre)",
    "jsonstat_speedup_vs_pyjstat": "pyjstat / vår json-stat2-leser (×, høyere er bedre)",
    "callback_p95_ms": "sidecallback p95, 1 bruker (ms)",
    "callback_p95_ms_8users": "sidecallback p95, 8 brukere samtidig (ms)",
    "callback_vs_sql": "callback / SQL-en den kjører (×)",
    "refresh_errors": "feilede forespørsler mens datavarehuset bygges 5 ganger under last",
    "rebuild_s": "full ombygging fra rålageret (s)",
    "incremental_s": "bms load av én liten fil på den nasjonale installasjonen (s)",
    "load_peak_mb": "høyeste minnebruk under lasting (MB)",
    "rss_mb": "minne i en dashbordarbeider etter kjøringen (MB)",
    "first_load_kb": "første sidevisning i Chromium, over nettet (kB)",
    "report_s": "én tjenesterapport (s)",
}


def machine() -> str:
    """The machine the figures come from: CPU model and cores, memory, Python."""
    model = next(
        (ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines() if "model name" in ln),
        platform.processor() or "ukjent CPU",
    )
    mem = next(
        (int(ln.split()[1]) / 1024 / 1024 for ln in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in ln),
        0,
    )
    return f"{model}, {os.cpu_count()} kjerner, {mem:.0f} GB, Python {platform.python_version()}"


def report_s(folder: Path) -> float | None:
    """One tjenesterapport through `bms report` (None if it failed)."""
    target = folder.parent / "tjenesterapport.docx"
    seconds, _, code = bms(
        ["report", "tjenesterapport", "--data-dir", str(folder), "--year", "2025", "--area", "oppvekst"]
        + ["--format", "docx", "--output", str(target)]
    )
    if code != 0:
        _say(f"bms report tjenesterapport feilet (kode {code}); report_s er ikke målt")
        return None
    return seconds


def run(quick: bool, seed: int, repeat: int, workdir: Path) -> dict[str, object]:
    """Every measurement on one generated installation; returns the figures by key."""
    scale = QUICK if quick else FULL
    # `bms demo` gives its demo accounts this password where the dashboard has logins; the benchmark signs in
    os.environ.setdefault("BMS_DEMO_PASSWORD", f"benchmark-{seed}")
    r: dict[str, object] = {"scale": scale.name, "seed": seed, "repeat": repeat, "machine": machine()}
    # this code's bytecode, as an installed program has it: where PYTHONDONTWRITEBYTECODE is set (as on this
    # project's machines) Python never writes it, and every `bms` would compile its modules again (0,05 s)
    if not all(compileall.compile_dir(ROOT / package, quiet=1) for package in ("etl", "dashboard")):
        _say("kunne ikke skrive bytekoden for etl/ og dashboard/: hver bms-kjøring tar med kompileringen (0,05 s)")
    start = time.perf_counter()
    files = generate(scale, seed)
    r.update(kostra_cells=files.kostra_cells, ledger_rows=files.ledger_rows, generate_s=time.perf_counter() - start)
    _say(f"genererte {files.kostra_cells} KOSTRA-celler og {files.ledger_rows} regnskapslinjer")
    base = base_installation(files, workdir / "base" / "data")
    r.update(reading.excel(files, base, repeat))
    _say("excel ferdig")
    r.update(reading.jsonstat(200_000 if quick else 1_000_000, repeat))
    _say("json-stat ferdig")
    national = workdir / "national" / "data"
    shutil.copytree(base, national, symlinks=True)
    _load(national, [files.ledger])
    r["kostra_load_s"], r["kostra_peak_mb"] = _load(national, files.kostra)
    r["load_peak_mb"] = max(float(r["ledger_peak_mb"]), float(r["kostra_peak_mb"]))
    r["rebuild_s"] = building.rebuild(national, repeat)
    r["incremental_s"] = building.incremental(national, files.small, repeat)
    _say("lasting og ombygging ferdig")
    server = serving.start(national, workdir / "serve.log")
    try:
        r.update(serving.callbacks(server.url, UNIT, 12 if quick else 60, 3 if quick else 15))
        r["sql_ms"] = serving.sql_time(national, UNIT, repeat)
        r["callback_vs_sql"] = (float(r["callback_p50_ms"])) / float(r["sql_ms"])
        _say("callbacks ferdig")
        r.update(serving.refresh(server.url, national, files.small, UNIT))
        _say("oppfrisking under last ferdig")
        r.update(serving.first_load(server.url))
        r["rss_mb"] = serving.worker_rss(server)
    finally:
        serving.stop(server)
    r["report_s"] = report_s(national)
    return r


def _load(folder: Path, paths: list[Path]) -> tuple[float, float]:
    seconds, peak, code = bms(["load", "--data-dir", str(folder), *map(str, paths)])
    if code != 0:
        raise RuntimeError(f"bms load i {folder} feilet (kode {code})")
    return seconds, peak


def _say(text: str) -> None:
    print(f"  … {text}", file=sys.stderr, flush=True)


def _fmt(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def table(r: dict[str, object]) -> str:
    """The figures as a readable table: the headline keys first, the details after."""
    width = max(map(len, r))
    lines = [f"Maskin: {r['machine']}", f"Skala: {r['scale']} (frø {r['seed']}, median av {r['repeat']})", ""]
    for key in LABELS:
        lines.append(f"{key:<{width}}  {_fmt(r.get(key)):>10}  {LABELS[key]}")
    lines.append("")
    lines += [f"{k:<{width}}  {_fmt(v):>10}" for k, v in r.items() if k not in LABELS and k != "machine"]
    return "\n".join(lines)


def result_line(r: dict[str, object]) -> str:
    """`RESULT key=value …` with every headline figure (`na` where not measured)."""
    return "RESULT " + " ".join(f"{k}={_fmt(r.get(k)) if r.get(k) is not None else 'na'}" for k in LABELS)


def main(argv: list[str] | None = None) -> int:
    """Run the suite and print the table and the RESULT line."""
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    p.add_argument("--quick", action="store_true", help="en nedskalert installasjon (under 3 minutter)")
    p.add_argument("--seed", type=int, default=5055)
    p.add_argument("--repeat", type=int, help="gjentakelser per måling (standard 3, med --quick 1)")
    args = p.parse_args(argv)
    repeat = args.repeat or (1 if args.quick else 3)
    with tempfile.TemporaryDirectory(prefix="bms-bench-") as tmp:
        r = run(args.quick, args.seed, repeat, Path(tmp))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"result-{r['scale']}.json").write_text(json.dumps(r, indent=2, ensure_ascii=False), encoding="utf-8")
    print(table(r))
    print(result_line(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())

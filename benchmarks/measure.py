"""Timing and memory helpers: medians, the `bms` command in a child process with its peak memory, and the
resident memory of a process tree (a dashboard's gunicorn workers)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent


def median_time(run: Callable[[], T], repeat: int) -> tuple[float, T]:
    """The median wall time of `repeat` runs (seconds) and the last run's result."""
    times, result = [], None
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result  # type: ignore[return-value]


# Linux counts in a child's peak memory (ru_maxrss) the memory image it was forked from, that is the parent's:
# this big benchmark process would set the floor of every `bms` figure. A small launcher process starts `bms`
# and reports its true peak, since `bms` is forked from the launcher's small image instead, and its wall time
# from start to exit (the launcher's own start, 0,02-0,05 s, is not `bms`'s).
LAUNCHER = """
import os, subprocess, sys, time
start = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss, time.perf_counter() - start)
"""


def bms(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Run `bms ARGS` in a child process: wall seconds, its peak resident memory (MB) and exit code."""
    done = subprocess.run(
        [sys.executable, "-S", "-c", LAUNCHER, sys.executable, "-m", "dashboard.cli", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=True,
    )
    code, peak_kb, seconds = done.stdout.split()
    return float(seconds), int(peak_kb) / 1024, int(code)


def children(pid: int) -> list[int]:
    """Every descendant of a process (from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        kids = parents.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def rss_mb(pid: int) -> float:
    """A process's resident memory now (MB), 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0–100) by linear interpolation; nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)

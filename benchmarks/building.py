"""Building the warehouse: a full rebuild from the published raw store, and one small file on top."""

from __future__ import annotations

from pathlib import Path

from benchmarks.measure import bms, median_time
from etl.settings import load_settings
from etl.store.warehouse import BUILD_FACTS, WarehouseReader, build, published


def rebuild(folder: Path, repeat: int) -> float:
    """Seconds to rebuild everything from the published version's raw store with no new rows (median): every
    raw row copied and every relation built (`reuse=False`), as after an upgrade."""
    settings = load_settings(folder)

    def once() -> None:
        reader = WarehouseReader(settings.current)
        facts = reader.df("SELECT key, value FROM meta").itertuples(index=False)
        meta = {k: v for k, v in facts if k not in BUILD_FACTS}
        del reader
        previous = published(settings.current)
        build(settings.warehouse_dir, settings.current, [], [], meta, settings.keep_versions, previous, reuse=False)

    seconds, _ = median_time(once, repeat)
    return seconds


def incremental(folder: Path, small: Path, repeat: int) -> float:
    """Seconds for `bms load` of one small file on the installation (median; each time new content)."""
    times = []
    for i in range(max(1, repeat)):
        variant = folder.parent / f"incremental-{i}-{small.name}"
        variant.write_text(small.read_text(encoding="utf-8").replace("4,4", f"4,{i % 9 + 1}2"), encoding="utf-8")
        seconds, _, code = bms(["load", "--data-dir", str(folder), str(variant)])
        if code != 0:
            raise RuntimeError(f"bms load av {variant.name} feilet (kode {code})")
        times.append(seconds)
    return sorted(times)[len(times) // 2]

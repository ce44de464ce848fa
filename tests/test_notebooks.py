"""The analysts' notebooks run top to bottom on the demo installation (their own checks against the warehouse
included), quickly, without touching the installation, and are committed without outputs."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.helpers import query

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def test_there_are_at_least_four_notebooks_in_norwegian():
    assert len(NOTEBOOKS) >= 4
    for path in NOTEBOOKS:
        first = nbformat.read(path, as_version=4).cells[0]
        assert first.cell_type == "markdown" and first.source.startswith("# "), path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_a_notebook_runs_top_to_bottom_on_the_demo_installation(path, demo_dir, monkeypatch):
    monkeypatch.setenv("BMS_DATA_DIR", str(demo_dir))
    before = os.path.realpath(demo_dir / "warehouse" / "current.duckdb")
    files_before = query(demo_dir, "SELECT count(*) FROM load_log")
    book = nbformat.read(path, as_version=4)
    start = time.monotonic()
    NotebookClient(
        book, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK_DIR)}}
    ).execute()
    took = time.monotonic() - start
    assert took < 60, f"{path.name} brukte {took:.0f} s"
    errors = [o for c in book.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    # every code cell ran, and the notebook read the installation it was given, never wrote to it
    assert all(c.execution_count for c in book.cells if c.cell_type == "code")
    shown = "".join(o.get("text", "") for c in book.cells if c.cell_type == "code" for o in c.outputs)
    if "Datamappe:" in shown:
        assert f"Datamappe: {demo_dir}" in shown
    assert os.path.realpath(demo_dir / "warehouse" / "current.duckdb") == before
    assert query(demo_dir, "SELECT count(*) FROM load_log") == files_before


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebooks_are_committed_without_outputs(path):
    raw = json.loads(path.read_text(encoding="utf-8"))
    for cell in raw["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name}: tøm utdataene (Kernel → Restart and Clear Outputs)"
            assert cell.get("execution_count") is None, f"{path.name}: tøm utdataene"

"""Shared fixtures: real data folders with real DuckDB warehouses, built through the real CLI."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.cli import main as bms
from etl.settings import Settings, load_settings
from tests.helpers import FreshWarehouse

FIXTURES = Path(__file__).parent / "fixtures"
SSB_FIXTURES = FIXTURES / "ssb"  # real SSB answers; where each came from: SOURCES.md there


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An initialised, empty data folder (default catalogue and settings, nothing loaded)."""
    root = tmp_path / "data"
    assert bms(["init", "--data-dir", str(root)]) == 0
    return root


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return load_settings(data_dir)


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the whole demo installation loaded (built once per test session)."""
    root = tmp_path_factory.mktemp("demo") / "data"
    assert bms(["demo", "--data-dir", str(root)]) == 0
    return root


@pytest.fixture
def demo_copy(demo_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the demo data folder, for tests that load more files into it."""
    root = tmp_path / "demo"
    shutil.copytree(demo_dir, root, symlinks=True)
    return root


@pytest.fixture
def fresh_db() -> Iterator[FreshWarehouse]:
    """A warehouse in memory, for a test of one SQL view that need not pay for a load (see FreshWarehouse)."""
    db = FreshWarehouse()
    yield db
    db.con.close()


@pytest.fixture
def dd(data_dir: Path) -> Path:
    """A data folder with the catalogue and units E21 (barnehage, ansvar 2100), E31 (skole, 0310 and 0311)
    and E41 (hjemmetjenester, 4100) published."""
    from tests.helpers import load_ok, units_file

    units_file(data_dir / "inbox")
    load_ok(data_dir)
    return data_dir

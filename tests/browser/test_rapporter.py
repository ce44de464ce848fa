"""The Rapporter page: a user picks a report and gets the same file as `bms report` writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from dashboard.cli import main as bms
from tests.helpers import query

pytestmark = pytest.mark.browser


def tables(path: Path) -> dict[str, list[tuple]]:
    """Every sheet's cell values (what the report says), to compare two builds made at different times."""
    book = load_workbook(path)
    return {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}


def test_the_page_downloads_the_same_report_as_the_cli(page: Page, dash_url: str, demo_dir: Path, tmp_path: Path):
    year = query(demo_dir, "SELECT max(year) FROM scorecard WHERE scope = 'kommune' AND period_type = 'year'")[0][0]
    page.goto(f"{dash_url}/rapporter")
    expect(page.get_by_role("heading", name="Rapporter")).to_be_visible()
    page.get_by_text("Excel (.xlsx)").click()
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="Lag rapport").click()
    download = info.value
    assert download.suggested_filename == f"tjenesterapport-{year}.xlsx"
    from_page = tmp_path / "side.xlsx"
    download.save_as(from_page)
    expect(page.get_by_role("status").filter(has_text="Rapporten er laget")).to_be_visible()

    from_cli = tmp_path / "cli.xlsx"
    assert (
        bms(
            [
                "report",
                "tjenesterapport",
                "--year",
                str(year),
                "--format",
                "xlsx",
                "--output",
                str(from_cli),
                "--data-dir",
                str(demo_dir),
            ]
        )
        == 0
    )
    assert tables(from_page) == tables(from_cli)
    assert len(tables(from_page)) == 10  # «Om rapporten», each focus area and its trend's numbers, KOSTRA


def test_a_report_for_an_area_without_data_says_so_and_shows_no_trace(page: Page, dash_url: str):
    page.goto(f"{dash_url}/rapporter")
    page.locator("#rap-kind").click()
    page.get_by_role("option", name="Ledersamtale").click()
    page.get_by_role("button", name="Lag rapport").click()
    status = page.get_by_role("status").filter(has_text="Ledersamtalen gjelder én enhet")
    expect(status).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Traceback")).to_have_count(0)

"""The Data page in real Chromium, on a private copy of the demo served by its own server: an analyst uploads
a refused file and reads why, then a good one and sees the overview card's number change."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from etl.norsk import format_value
from tests.browser.a11y import axe_violations, screenshot
from tests.browser.conftest import serve
from tests.helpers import query, write_xlsx

pytestmark = pytest.mark.browser

HEADER = ["indikator_id", "periode", "verdi"]


def card_value(data_dir: Path, indicator: str) -> tuple[str, float]:
    """The kommune card's value for an indicator as the warehouse holds it, formatted as the card shows it."""
    value, unit, decimals = query(
        data_dir,
        "SELECT value, unit_of_measure, decimals FROM scorecard_latest WHERE scope = 'kommune' AND indicator_id = ?",
        [indicator],
    )[0]
    return format_value(value, unit, decimals), value


def test_analyst_uploads_a_refused_file_then_a_good_one(page: Page, demo_copy: Path, tmp_path: Path) -> None:
    indicator = "grunnskolepoeng"  # a manual (indikatorverdier) indicator on the kommune's scorecard
    (year,) = query(
        demo_copy,
        "SELECT max(year(period)) FROM indicator_values WHERE indicator_id = ? AND scope = 'kommune'",
        [indicator],
    )[0]
    before_text, before = card_value(demo_copy, indicator)
    bad = write_xlsx(
        tmp_path / "upload" / "nye tall (feil).xlsx",
        {"Tall": [HEADER, ["finnes_ikke", str(year + 1), 12.5]]},
    )
    good = write_xlsx(
        tmp_path / "upload" / "grunnskolepoeng.xlsx", {"Tall": [HEADER, [indicator, str(year + 1), before + 2.3]]}
    )
    manual_rows = query(demo_copy, "SELECT count(*) FROM manual_values")[0][0]

    with serve(demo_copy) as url:
        page.goto(url + "/")
        expect(page.locator(f'[data-indicator="{indicator}"] .bms-value')).to_have_text(before_text, timeout=30_000)

        page.goto(url + "/data")
        expect(page.locator("#data-refused")).to_contain_text("Ingen filer er avvist", timeout=30_000)
        assert axe_violations(page) == []
        page.locator("#data-upload input[type=file]").set_input_files(str(bad))
        report = page.locator("#data-upload-report")
        expect(report).to_contain_text("finnes_ikke", timeout=60_000)
        refused = sorted((demo_copy / "rejected").glob("*.feil.txt"))
        assert len(refused) == 1 and refused[0].name.endswith("_nye tall _feil_.xlsx.feil.txt")
        assert report.inner_text().strip() == refused[0].read_text(encoding="utf-8").strip()
        expect(page.locator("#data-refused")).to_contain_text("nye tall _feil_.xlsx")
        # nothing of it was loaded
        assert query(demo_copy, "SELECT count(*) FROM manual_values")[0][0] == manual_rows
        assert card_value(demo_copy, indicator) == (before_text, before)
        screenshot(page, "data-avvist")

        page.locator("#data-upload input[type=file]").set_input_files(str(good))
        expect(page.locator("#data-upload-result")).to_contain_text("er lastet og publisert", timeout=60_000)
        after_text, after = card_value(demo_copy, indicator)
        assert after != before and after_text != before_text
        expect(page.locator("#data-log")).to_contain_text("grunnskolepoeng.xlsx")
        assert axe_violations(page) == []
        screenshot(page, "data")

        page.goto(url + "/")
        expect(page.locator(f'[data-indicator="{indicator}"] .bms-value')).to_have_text(after_text, timeout=30_000)


def test_a_file_of_the_wrong_type_never_reaches_the_inbox(page: Page, demo_copy: Path, tmp_path: Path) -> None:
    exe = tmp_path / "program.exe"
    exe.write_bytes(b"MZ not a spreadsheet")
    with serve(demo_copy) as url:
        page.goto(url + "/data")
        expect(page.locator("#data-log")).to_be_visible(timeout=30_000)
        page.locator("#data-upload input[type=file]").set_input_files(str(exe))
        expect(page.locator("#data-upload-result")).to_contain_text("er ikke en filtype Heim BMS leser", timeout=30_000)
    assert not list((demo_copy / "inbox").iterdir())

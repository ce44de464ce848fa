"""Accessibility and screenshots for the browser tests: axe-core (WCAG 2.1 AA) and a picture of each page."""

from __future__ import annotations

from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"  # git-ignored
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def axe_violations(page: Page) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page as shown, one line each (empty when none)."""
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(400)  # let Bootstrap's colour transitions finish: axe judges what is painted
    result = Axe().run(page, options=WCAG_AA)
    return [f"{v['id']}: {v['help']} {[n['target'] for n in v['nodes']][:5]}" for v in result.response["violations"]]


def screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot kept as a test artefact in tests/artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path

"""The focus-area pages and Styringshjul in real Chromium: numbers from the warehouse, axe-core clean,
usable at 1366×768 and tablet width, a screenshot of each, and a Norwegian explanation when nothing is loaded."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from etl.norsk import format_number
from tests.browser.a11y import axe_violations, screenshot
from tests.helpers import query

pytestmark = pytest.mark.browser

PAGES = {
    "/fokus/okonomi": "#fokus-budsjett-table",
    "/fokus/ansatte": "#fokus-10faktor-table",
    "/fokus/brukere": "#fokus-brukere-table",
    "/fokus/interne-prosesser": "#fokus-vedtak-table",
    "/arshjul": "#cycle-table",
    "/sammenligning": "#cmp-matrix",
    "/data": "#data-log",
}


@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_is_accessible_and_fits(page: Page, dash_url: str, path: str) -> None:
    """axe-core on the laptop screen (as for the detail pages); both screens fit, each with a screenshot."""
    for width, height, suffix in ((1366, 768, ""), (820, 1180, "-nettbrett")):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(dash_url + path)
        expect(page.locator(PAGES[path])).to_be_visible(timeout=30_000)
        if not suffix:
            assert axe_violations(page) == [], path
        # the page itself never scrolls sideways; wide tables scroll inside their own box
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (path, width)
        screenshot(page, path.strip("/").replace("/", "-") + suffix)


def test_the_economy_page_shows_the_warehouse_numbers(page: Page, dash_url: str, demo_dir: Path) -> None:
    (year,) = query(demo_dir, "SELECT max(year(period)) FROM accounting WHERE actual <> 0")[0]
    (last,) = query(demo_dir, "SELECT max(period) FROM accounting WHERE year(period) = ? AND actual <> 0", [year])[0]
    ((name, actual),) = query(
        demo_dir,
        "SELECT u.name, sum(actual) FROM accounting JOIN units u USING (unit_id) WHERE unit_id = 'E21' "
        "AND year(period) = ? AND period <= ? GROUP BY u.name",
        [year, last],
    )
    page.goto(dash_url + "/fokus/okonomi")
    row = page.locator("#fokus-budsjett-table tr", has=page.locator("th", has_text=name))
    expect(row).to_contain_text(format_number(actual, 0), timeout=30_000)
    # the chart's numbers are in a table too
    expect(page.locator("#fokus-maned-table")).to_contain_text("desember")
    # the chart's axis in whole kroner as Norwegians write them («400 000 000 kr»), never plotly's «400M»
    ticks = page.locator(".ytick text")
    expect(ticks.first).to_be_visible()
    labels = ticks.evaluate_all("els => els.map(e => e.textContent)")
    assert labels and all(re.fullmatch(r"\d{1,3}(\s\d{3})* kr", t.replace("\u2212", "-")) for t in labels), labels


def test_the_brukere_page_draws_the_kommunes_survey_means(page: Page, dash_url: str, demo_dir: Path) -> None:
    (dimensions,) = query(
        demo_dir,
        "WITH y AS (SELECT service, max(year) AS y FROM user_survey GROUP BY service) "
        "SELECT count(*) FROM user_survey s JOIN y ON y.service = s.service AND y.y = s.year WHERE unit_id IS NULL",
    )[0]
    page.goto(dash_url + "/fokus/brukere")
    chart = page.locator("#fokus-brukere div[role=img]")  # the chart, not the table's sort icons (svg role=img)
    expect(chart).to_have_attribute("aria-label", re.compile("snitt per tjeneste og dimensjon"), timeout=30_000)
    # one marker per dimension for the kommune, one for the national mean
    expect(chart.locator(".scatterlayer .trace").first.locator(".point")).to_have_count(dimensions)
    expect(chart.locator(".legendtext", has_text="Landssnitt")).to_be_visible()


def test_the_vedtak_table_sorts_and_filters(page: Page, dash_url: str, demo_dir: Path) -> None:
    (overdue,) = query(demo_dir, "SELECT count(*) FROM decisions_overdue")[0]
    (started,) = query(demo_dir, "SELECT count(*) FROM decisions WHERE status = 'pågår'")[0]
    page.goto(dash_url + "/fokus/interne-prosesser")
    grid = page.locator("#fokus-vedtak-table")
    expect(grid).to_be_visible(timeout=30_000)
    status_filter = grid.locator('.dash-filter[data-dash-column="Status"] input[type=text]')
    status_filter.fill("pågår")
    status_filter.press("Enter")
    expect(grid.locator("tbody tr td[data-dash-column='Status']")).to_have_count(started, timeout=30_000)
    assert overdue > 0
    # a number column filters by number: «> 30» keeps 32 and 100, where text would have «32» < «100»
    (late,) = query(demo_dir, "SELECT count(*) FROM decisions_overdue WHERE days_overdue > 30")[0]
    status_filter.fill("")
    status_filter.press("Enter")
    days_filter = grid.locator('.dash-filter[data-dash-column="Dager over frist"] input[type=text]')
    days_filter.fill("> 30")
    days_filter.press("Enter")
    cells = grid.locator("tbody tr td[data-dash-column='Dager over frist']")
    expect(cells).to_have_count(late, timeout=30_000)
    shown = [int(t.replace("\u00a0", "").replace(" ", "")) for t in cells.all_inner_texts()]
    assert 0 < late < overdue and min(shown) > 30 and max(shown) >= 100


def test_cycle_page_says_when_kostra_came(page: Page, dash_url: str, demo_dir: Path) -> None:
    (vintage,) = query(demo_dir, "SELECT arg_max(vintage_text, year) FROM kostra_values")[0]
    page.goto(dash_url + "/arshjul")
    row = page.locator("#cycle-table tr", has=page.locator("td", has_text="KOSTRA endelige tall"))
    expect(row).to_contain_text(vintage, timeout=30_000)
    expect(row).to_contain_text("Kommet")


def test_pages_explain_when_nothing_is_loaded(page: Page, empty_url: str) -> None:
    for path in PAGES:
        page.goto(empty_url + path)
        expect(page.locator(".bms-page")).to_contain_text("Ingen data", timeout=30_000)
        expect(page.locator("body")).not_to_contain_text("Traceback")

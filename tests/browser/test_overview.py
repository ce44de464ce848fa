"""The overview page in real Chromium: the numbers on the cards are the warehouse's numbers, in Norwegian."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import Page, expect

from dashboard import data, unit_view
from dashboard.components import DEMO_TEXT, NO_DATA_TEXT
from etl.norsk import FOCUS_AREAS, STATUS_LABELS, format_date, format_value
from etl.settings import load_settings
from etl.store.warehouse import DUCKDB_CONFIG, WarehouseReader

pytestmark = pytest.mark.browser

SCREENSHOT = Path("/tmp/overview.png")
READ_CARDS = """els => els.map(e => ({
    id: e.dataset.indicator,
    value: e.querySelector('.bms-value').textContent,
    target: e.querySelector('.bms-target').textContent,
    status: e.querySelector('.bms-status').dataset.status,
    label: e.querySelector('.bms-status').textContent,
}))"""


def expected_cards(demo_dir: Path, scope: str, code: str) -> dict[str, dict[str, str]]:
    """The warehouse's newest values for a scope, queried independently and formatted with etl.norsk."""
    path = load_settings(demo_dir).current.resolve()
    with duckdb.connect(str(path), read_only=True, config=DUCKDB_CONFIG) as con:
        rows = con.execute(
            """
            SELECT indicator_id, value, target, unit_of_measure, decimals, status
            FROM scorecard_latest WHERE scope = ? AND scope_code = ?""",
            [scope, code],
        ).fetchall()
    return {
        iid: {
            "value": format_value(value, unit, decimals),
            "target": f"Mål {format_value(target, unit, decimals)}" if target is not None else "Mål mangler",
            "status": status,
        }
        for iid, value, target, unit, decimals, status in rows
    }


def shown_cards(page: Page) -> dict[str, dict[str, str]]:
    cards = page.eval_on_selector_all(".bms-indicator", READ_CARDS)
    for card in cards:  # the status is text as well as colour
        assert STATUS_LABELS[card["status"]] in card["label"], card
    return {c.pop("id"): {k: c[k] for k in ("value", "target", "status")} for c in cards}


def open_overview(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator(".bms-indicator").first).to_be_visible()


def test_every_kommune_indicator_shows_the_warehouse_numbers(page: Page, dash_url: str, demo_dir: Path) -> None:
    open_overview(page, dash_url)
    expect(page.locator("#overview-title h1")).to_have_text("Målekart for Heim kommune")
    expected = expected_cards(demo_dir, "kommune", "5055")
    assert len(expected) >= 20
    assert shown_cards(page) == expected

    panels = page.locator("[data-focus-area]")
    assert panels.evaluate_all("els => els.map(e => e.dataset.focusArea)") == list(FOCUS_AREAS)
    for area in FOCUS_AREAS:
        expect(page.locator(f'[data-focus-area="{area}"] h2')).to_have_text(area)

    expect(page.locator("#bms-demo-banner")).to_have_text(DEMO_TEXT)
    expect(page.locator("#bms-demo-banner")).to_be_visible()
    expect(page.locator(".navbar")).to_contain_text("Heim BMS – balansert målstyring")
    expect(page.locator(".navbar")).to_contain_text("Heim kommune")

    meta = data.meta(WarehouseReader(load_settings(demo_dir).current))
    built = data.built_at(meta)
    assert built is not None
    expect(page.locator("#bms-footer")).to_have_text(
        f"Data oppdatert {format_date(built)} kl. {built:%H:%M}, versjon {meta['version']}"
    )

    page.locator("img.bms-spark-graph").first.wait_for()
    page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_picking_a_unit_shows_its_numbers_and_keeps_the_address(page: Page, dash_url: str, demo_dir: Path) -> None:
    open_overview(page, dash_url)
    page.locator("#bms-unit").click()
    page.get_by_role("option", name="Kyrksæterøra barnehage").click()
    expect(page.locator("#overview-title h1")).to_have_text("Målekart for Kyrksæterøra barnehage")
    expected = expected_cards(demo_dir, "enhet", "E21")
    assert expected
    assert shown_cards(page) == expected
    expect(page).to_have_url(re.compile(r"\?enhet=E21$"))

    page.reload()  # the address alone brings the same unit back
    expect(page.locator("#overview-title h1")).to_have_text("Målekart for Kyrksæterøra barnehage")
    expect(page.locator("#bms-unit")).to_contain_text("Kyrksæterøra barnehage")
    assert shown_cards(page) == expected

    page.locator("#bms-unit").click()
    page.get_by_role("option", name=re.compile("^Hele kommunen")).click()
    expect(page.locator("#overview-title h1")).to_have_text("Målekart for Heim kommune")
    expect(page).to_have_url(dash_url + "/")


def test_unknown_unit_in_the_address_falls_back_to_the_kommune(page: Page, dash_url: str) -> None:
    open_overview(page, dash_url + "/?enhet=E99")
    expect(page.locator("#overview-title h1")).to_have_text("Målekart for Heim kommune")
    expect(page.get_by_role("status")).to_contain_text("Fant ingen enhet med koden «E99»")


def test_no_console_errors_no_failed_or_external_requests(page: Page, dash_url: str, problems: list[str]) -> None:
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url))
    open_overview(page, dash_url)
    sparks = page.locator("img.bms-spark-graph")
    sparks.first.wait_for()
    # every sparkline is a picture the browser drew (an SVG), and the overview never fetches plotly.js
    assert page.evaluate("[...document.querySelectorAll('img.bms-spark-graph')].every(i => i.naturalWidth > 0)")
    assert sparks.count() > 10 and not [u for u in fetched if "plotly" in u]
    page.locator("#bms-unit").click()
    page.get_by_role("option", name="Heim helsetun").click()
    expect(page.locator("#overview-title h1")).to_have_text("Målekart for Heim helsetun")
    page.goto(dash_url + "/finnes-ikke")
    expect(page.locator("h1")).to_have_text("Fant ikke siden")
    page.wait_for_load_state("networkidle")
    assert problems == []


def test_a_request_that_fails_on_the_page_counts_but_one_the_page_left_behind_does_not(
    page: Page, dash_url: str, problems: list[str]
) -> None:
    held: list[object] = []
    page.route("**/held-by-the-test", lambda route: held.append(route))  # never answered: it stays in flight
    page.route("**/refused-by-the-test", lambda route: route.abort("aborted"))

    def wait_until(seen: list) -> None:
        for _ in range(200):
            if seen:
                return
            page.wait_for_timeout(50)

    open_overview(page, dash_url)
    page.evaluate("() => { fetch('/held-by-the-test').catch(() => null); }")  # not awaited
    wait_until(held)
    assert held, "the held request should be in flight before the page is left"
    page.goto(dash_url + "/finnes-ikke")  # Chromium cancels the held request: the browser left, not a fault
    expect(page.locator("h1")).to_have_text("Fant ikke siden")
    page.wait_for_load_state("networkidle")
    assert problems == []
    page.evaluate("fetch('/refused-by-the-test').catch(() => null)")
    wait_until(problems)
    assert problems == [f"requestfailed: {dash_url}/refused-by-the-test net::ERR_ABORTED"]


def test_a_failing_callback_shows_a_norwegian_alert_and_no_trace(
    page: Page, dash_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("intern detalj som ikke skal vises")

    # the server runs in this process; the scorecard is built once per published version (an earlier test has
    # built it), so break the step every overview callback takes
    monkeypatch.setattr(unit_view, "scorecard_parts", broken)
    page.goto(dash_url)
    alert = page.locator("#bms-error")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("Siden kunne ikke oppdateres.")
    body = page.locator("body").inner_text()
    assert "intern detalj" not in body and "Traceback" not in body


def test_before_anything_is_loaded_the_page_says_what_to_do(page: Page, empty_url: str, problems: list[str]) -> None:
    page.goto(empty_url)
    expect(page.locator("#bms-no-data")).to_contain_text(NO_DATA_TEXT)
    expect(page.locator("#bms-footer")).to_have_text("Ingen data er publisert ennå.")
    expect(page.locator("#bms-demo-banner")).to_have_count(0)
    assert problems == []

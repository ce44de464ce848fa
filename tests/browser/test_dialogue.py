"""Logins and the leaders' own words in real Chromium: a leader's day and the rådmann's ledersamtale."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from dashboard.store import AppStore
from tests.browser.conftest import log_in
from tests.helpers import ensure_account, query

pytestmark = pytest.mark.browser

VURDERING = '<script>window.hacked = 1</script> =HYPERLINK("http://x","klikk") **ikke fet**'
TILTAK = "<b>Ukentlig</b> oppfølging av langtidsfravær =SUM(A1)"


def watch(page: Page) -> list[str]:
    """Console errors (a CSP refusal shows here), page errors and dialogs a script might open."""
    seen: list[str] = []
    page.on("console", lambda msg: seen.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda err: seen.append(f"pageerror: {err}"))
    page.on("dialog", lambda d: (seen.append(f"dialog: {d.message}"), d.dismiss()))
    return seen


def test_a_leader_logs_in_writes_and_finds_it_again(anonymous_page: Page, dash_url: str, demo_dir: Path) -> None:
    page = anonymous_page
    problems = watch(page)
    password = ensure_account(AppStore.for_data_dir(demo_dir), "test-leder-E21", "leder", ["E21"])
    name = query(demo_dir, "SELECT name FROM units WHERE unit_id = 'E21'")[0][0]
    page.goto(dash_url)
    expect(page).to_have_url(re.compile(r"/login\?neste="))
    expect(page.locator("#login-demo")).to_contain_text("demoinstallasjon")
    page.fill("#username", "test-leder-E21")
    page.fill("#password", password)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"\?enhet=E21$"))  # lands on the own unit
    expect(page.locator("#overview-title h1")).to_have_text(f"Målekart for {name}")
    options = page.locator("#bms-unit")
    options.click()
    shown = " ".join(page.get_by_role("option").all_inner_texts())
    others = [n for (n,) in query(demo_dir, "SELECT name FROM units WHERE unit_id <> 'E21'") if n != name]
    assert name in shown and "Hele kommunen" in shown
    assert not [n for n in others if n in shown]  # no other unit to pick
    page.keyboard.press("Escape")

    card = page.locator(".bms-vurdering").first
    indicator = card.get_attribute("data-indicator")
    card.locator("summary").click()
    card.locator("textarea").fill(VURDERING)
    card.get_by_role("button", name="Lagre vurdering").click()
    expect(card.locator("[role=status]")).to_have_text("Lagret.")
    expect(card.locator(".bms-vurdering-tekst")).to_have_text(VURDERING)  # literal, not run

    page.get_by_role("link", name="Tiltak").first.click()
    expect(page.locator("h1")).to_have_text("Tiltak i virksomhetsplanene")
    page.fill("#tiltak-action", TILTAK)
    page.fill("#tiltak-owner", "Enhetsleder")
    page.fill("#tiltak-deadline", "01.02.2020")
    page.click("#tiltak-save")
    expect(page.locator("#tiltak-message")).to_have_text("Tiltaket er lagret.")
    row = page.locator("tr", has_text="Ukentlig")
    expect(row.locator(".bms-tiltak-action")).to_have_text(TILTAK)
    expect(row).to_have_attribute("data-overdue", "ja")
    expect(row).to_contain_text("Forfalt")

    page.click("#bms-logout")
    expect(page.locator("body")).to_contain_text("Du er logget ut")
    page.goto(f"{dash_url}/tiltak")
    expect(page).to_have_url(re.compile(r"/login"))

    log_in(page, dash_url, "test-leder-E21", password)
    expect(page).to_have_url(re.compile(r"\?enhet=E21$"))
    saved = page.locator(f'.bms-vurdering[data-indicator="{indicator}"] .bms-vurdering-tekst')
    expect(saved).to_have_text(VURDERING)
    # the same vurdering beside the card on the unit page and on the indicator page for the unit
    page.goto(f"{dash_url}/enhet/E21")
    expect(page.locator(f'.bms-vurdering[data-indicator="{indicator}"] .bms-vurdering-tekst')).to_have_text(VURDERING)
    page.goto(f"{dash_url}/indikator/{indicator}?enhet=E21")
    expect(page.locator(".bms-vurdering .bms-vurdering-tekst")).to_have_text(VURDERING)
    page.goto(f"{dash_url}/tiltak")
    expect(page.locator(".bms-tiltak-action", has_text="Ukentlig")).to_have_text(TILTAK)
    assert page.evaluate("window.hacked") is None
    assert problems == []


def test_the_radmann_writes_the_ledersamtale_and_the_leader_reads_it(
    page: Page, page_as, dash_url: str, demo_dir: Path
) -> None:
    problems = watch(page)
    page.goto(f"{dash_url}/ledersamtale?enhet=E21&aar=2025")
    expect(page.locator("h1")).to_have_text("Ledersamtale")
    page.fill("#ls-keep", "Godt arbeidsmiljø\nStabil bemanning")
    page.fill("#ls-improve", "<i>Sykefravær</i> må ned")
    page.click("#ls-save")
    expect(page.locator("#ls-message")).to_have_text("Ledersamtalen er lagret.")
    snapshot = page.locator("#ls-snapshot table tbody tr")
    count = query(demo_dir, "SELECT count(*) FROM scorecard_latest WHERE scope = 'enhet' AND scope_code = 'E21'")
    expect(snapshot).to_have_count(count[0][0])  # the scorecard of this moment, kept beside the points
    assert problems == []

    leader = page_as("leder", ["E21"])
    leader.goto(f"{dash_url}/ledersamtale?enhet=E21&aar=2025")
    expect(leader.locator("#ls-keep-text")).to_have_text("Godt arbeidsmiljø\nStabil bemanning")
    expect(leader.locator("#ls-improve-text")).to_have_text("<i>Sykefravær</i> må ned")
    expect(leader.locator("#ls-save")).to_have_count(0)  # the leader reads; the rådmann writes

    page.goto(f"{dash_url}/revisjon")
    expect(page.locator("#audit-table")).to_contain_text("ledersamtale lagret")
    expect(page.locator("#audit-table")).to_contain_text("innlogget")

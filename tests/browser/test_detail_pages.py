"""The unit, service-area and indicator pages in real Chromium: journeys, numbers against the warehouse,
the CSV API against the page, axe-core on every page, keyboard use, and screenshots kept as artefacts."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import duckdb
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from etl.norsk import STATUS_LABELS, format_period, format_value
from etl.settings import load_settings
from etl.store.warehouse import DUCKDB_CONFIG

pytestmark = pytest.mark.browser

ARTEFACTS = Path(__file__).parent / "artefacts"
SIZES = {"laptop": (1366, 768), "tablet": (768, 1024)}
NEGATIVE_ZERO = re.compile(r"[−-]0(,0+)?(?![,\d])")
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def query(demo_dir: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Ask the published demo warehouse directly (independently of the dashboard's own queries)."""
    with duckdb.connect(str(load_settings(demo_dir).current.resolve()), read_only=True, config=DUCKDB_CONFIG) as con:
        return con.execute(sql, params or []).fetchall()


def shot(page: Page, name: str) -> None:
    ARTEFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(200)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def shown_number(text: str) -> float:
    """`−2,5 %` → -2.5; `1 813 242 kr` → 1813242."""
    cleaned = re.sub(r"[^\d,\-]", "", text.replace("\u2212", "-"))
    return float(cleaned.replace(",", "."))


def test_unit_leader_opens_own_unit_sees_a_red_indicator_and_reads_its_page(
    page: Page, dash_url: str, demo_dir: Path
) -> None:
    unit_id, unit_name, iid, name = query(
        demo_dir,
        """SELECT u.unit_id, u.name, s.indicator_id, s.name FROM scorecard_latest s
           JOIN units u ON s.scope = 'enhet' AND u.unit_id = s.scope_code
           WHERE s.status = 'red' ORDER BY u.unit_id, s.sort_order LIMIT 1""",
    )[0]
    page.goto(f"{dash_url}/?enhet={unit_id}")
    page.get_by_role("link", name=re.compile("^Åpne enhetssiden")).click()
    expect(page).to_have_url(f"{dash_url}/enhet/{unit_id}")
    expect(page.locator("h1")).to_have_text(f"Målekart for {unit_name}")
    area, leader, head = query(
        demo_dir, "SELECT service_area, leader, area_head FROM units WHERE unit_id = ?", [unit_id]
    )[0]
    expect(page.locator("#unit-facts")).to_contain_text(f"Leder: {leader}")
    expect(page.locator("#unit-facts")).to_contain_text(f"Kommunalsjef: {head}")
    expect(page.locator("#unit-facts")).to_contain_text(area[:1].upper() + area[1:])

    card = page.locator(f'#unit-scorecard [data-indicator="{iid}"]')
    expect(card.locator(".bms-status")).to_contain_text(STATUS_LABELS["red"])
    shot(page, "enhet")
    card.get_by_role("link", name=name).click()
    expect(page).to_have_url(f"{dash_url}/indikator/{iid}?enhet={unit_id}")
    expect(page.locator("h1")).to_have_text(name)

    description, source = query(demo_dir, "SELECT description, source FROM indicators WHERE indicator_id = ?", [iid])[0]
    expect(page.locator("#indicator-definition")).to_contain_text(description)
    history = query(
        demo_dir,
        """SELECT period, period_type, value, unit_of_measure, decimals FROM scorecard
           WHERE indicator_id = ? AND scope = 'enhet' AND scope_code = ? ORDER BY period""",
        [iid, unit_id],
    )
    rows = page.locator("#indicator-history tbody tr")
    expect(rows).to_have_count(len(history))
    period, ptype, value, _unit, decimals = history[-1]
    last = rows.last.locator("td")
    expect(last.nth(0)).to_have_text(format_period(period, ptype))
    expect(last.nth(1)).to_have_text(format_value(value, "", decimals))
    files = [f for (f,) in query(demo_dir, "SELECT file_name FROM dashboard_source_files WHERE source = ?", [source])]
    assert files
    for file_name in files:
        expect(page.locator("#indicator-sources")).to_contain_text(file_name)
    page.locator(".bms-chart .main-svg").first.wait_for()
    shot(page, "indikator-enhet")


def test_csv_api_returns_what_the_unit_page_shows(page: Page, dash_url: str, demo_dir: Path) -> None:
    page.goto(f"{dash_url}/enhet/E21")
    expect(page.locator("#unit-scorecard .bms-indicator").first).to_be_visible()
    cards = page.eval_on_selector_all(
        "#unit-scorecard .bms-indicator",
        "els => els.map(e => ({id: e.dataset.indicator, value: e.querySelector('.bms-value').textContent,"
        " meta: e.querySelector('.bms-meta').textContent}))",
    )
    assert cards
    answer = page.request.get(f"{dash_url}/api/scorecard.csv?unit=E21")
    assert answer.ok
    rows = list(csv.DictReader(io.StringIO(answer.text().lstrip("\ufeff")), delimiter=";"))
    compared = 0
    for card in cards:
        if card["value"] == "–":
            continue
        period = card["meta"].split(" · ")[0]
        match = [r for r in rows if r["Indikator-id"] == card["id"] and r["Periode"] == period]
        assert len(match) == 1, card
        assert float(match[0]["Verdi"].replace(",", ".")) == pytest.approx(shown_number(card["value"]))
        compared += 1
    assert compared >= 10


def test_service_area_matrix_has_every_unit_and_the_warehouse_status(page: Page, dash_url: str, demo_dir: Path) -> None:
    expected = query(
        demo_dir,
        """SELECT s.scope_code, s.indicator_id, s.status, s.value, s.unit_of_measure, s.decimals
           FROM scorecard_latest s JOIN units u ON s.scope = 'enhet' AND u.unit_id = s.scope_code
           WHERE u.service_area = 'oppvekst'""",
    )
    page.goto(f"{dash_url}/tjenesteomrade/oppvekst")
    expect(page.locator("#area-matrix td[data-unit]").first).to_be_visible()
    cells = page.eval_on_selector_all(
        "#area-matrix td[data-unit]",
        "els => els.map(e => [e.dataset.unit, e.dataset.indicator, e.dataset.status,"
        " e.querySelector('.bms-matrix-value').textContent, e.querySelector('.bms-status').textContent])",
    )
    shown = {(u, i): (s, v, label) for u, i, s, v, label in cells}
    assert set(shown) == {(u, i) for u, i, *_ in expected}
    for unit, iid, status, value, measure, decimals in expected:
        s, v, label = shown[(unit, iid)]
        assert s == status and STATUS_LABELS[status] in label  # status as text, not colour alone
        assert v == (format_value(value, measure or "", decimals) if value is not None else "–")
    shot(page, "tjenesteomrade")


def test_kostra_indicator_shows_heim_among_its_peers_with_rank_and_source(
    page: Page, dash_url: str, demo_dir: Path
) -> None:
    year, rank, rank_of, group_name, peers, vintage = query(
        demo_dir,
        """SELECT year, rank, rank_of, group_name, [p.name FOR p IN peers], vintage FROM kostra_comparison
           WHERE indicator_id = 'netto_driftsresultat' AND scope = 'kommune' ORDER BY year DESC LIMIT 1""",
    )[0]
    page.goto(f"{dash_url}/indikator/netto_driftsresultat")
    expect(page.locator("#indicator-rank")).to_contain_text(f"rangert {rank} av {rank_of}")
    expect(page.locator("#indicator-rank")).to_contain_text(group_name)
    for name in peers:
        expect(page.locator("#indicator-peers")).to_contain_text(name)
    expect(page.locator("#indicator-peers")).to_contain_text("Landet uten Oslo")
    table, contents = query(
        demo_dir,
        "SELECT table_id, contents_code FROM dashboard_kostra_sources WHERE indicator_id = 'netto_driftsresultat'",
    )[0]
    expect(page.locator("#indicator-sources")).to_contain_text(f"SSB-tabell {table}")
    expect(page.locator("#indicator-sources")).to_contain_text(contents)
    expect(page.locator("#indicator-sources")).to_contain_text(vintage)
    assert str(year) in page.locator("#indicator-rank").text_content()
    page.locator(".bms-chart .main-svg").first.wait_for()
    shot(page, "indikator-kostra")


def test_a_held_back_survey_period_reads_for_faa_svar_and_no_number(page: Page, dash_url: str, demo_dir: Path) -> None:
    iid, unit, period = query(
        demo_dir,
        """SELECT indicator_id, scope_code, period FROM held_back WHERE scope = 'enhet' AND reason = 'for få svar'
           AND indicator_id IS NOT NULL ORDER BY indicator_id, scope_code, period LIMIT 1""",
    )[0]
    page.goto(f"{dash_url}/indikator/{iid}?enhet={unit}")
    row = page.locator("#indicator-history tbody tr", has_text=format_period(period, "year"))
    expect(row).to_contain_text("for få svar")
    expect(row.locator("td").nth(1)).to_have_text("–")
    api = page.request.get(f"{dash_url}/api/indicator_values.csv?unit={unit}").text()
    periods = [
        r["Periode"]
        for r in csv.DictReader(io.StringIO(api.lstrip("\ufeff")), delimiter=";")
        if r["Indikator-id"] == iid
    ]
    assert periods and format_period(period, "year") not in periods


PAGES = {
    "oversikt": "/",
    "oversikt-enhet": "/?enhet=E21",
    "enhet": "/enhet/E42",
    "tjenesteomrade": "/tjenesteomrade/helse-og-mestring",
    "indikator": "/indikator/sykefravaer",
    "indikator-kostra": "/indikator/barn_per_arsverk?enhet=E21",
    "indikator-undersokelse": "/indikator/tilfredshet_barnehage?enhet=E22",
    "ukjent-enhet": "/enhet/E99",
    "ukjent-indikator": "/indikator/finnes_ikke",
    "ukjent-omrade": "/tjenesteomrade/finnes-ikke",
}


def test_axe_finds_no_violations_and_pages_fit_laptop_and_tablet(
    page: Page, dash_url: str, problems: list[str]
) -> None:
    axe = Axe()
    reports = []
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        for name, path in PAGES.items():
            page.goto(dash_url + path)
            page.locator("#_pages_content .bms-page").first.wait_for(timeout=20_000)
            page.wait_for_load_state("networkidle")
            if size == "laptop":
                results = axe.run(page, options=WCAG_21_AA)
                if results.violations_count:
                    reports.append(f"{path}: {results.generate_report()}")
            body = page.locator("body").inner_text()
            assert not NEGATIVE_ZERO.search(body), f"{path} shows a signed zero"
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{path} is {overflow} px wider than a {size} screen"
            shot(page, f"{name}-{size}")
    assert reports == []
    assert problems == []


def test_keyboard_alone_reaches_a_card_and_opens_its_indicator(page: Page, dash_url: str) -> None:
    page.goto(f"{dash_url}/enhet/E21")
    expect(page.locator("#unit-facts")).to_be_visible()
    first = page.locator("#unit-scorecard .bms-indicator a.bms-name").first
    expect(first).to_be_visible()
    target = first.get_attribute("href")
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href')") == target:
            break
    else:
        pytest.fail("Tab never reached the first indicator link")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(target) + "$"))
    expect(page.locator("#indicator-definition")).to_be_visible()


def test_pages_before_anything_is_loaded_say_what_to_do(page: Page, empty_url: str, problems: list[str]) -> None:
    for path in ("/enhet/E21", "/tjenesteomrade/oppvekst", "/indikator/sykefravaer"):
        page.goto(empty_url + path)
        expect(page.locator("#bms-no-data")).to_contain_text("Ingen data er lastet ennå")
        expect(page.locator("body")).not_to_contain_text("Traceback")
    assert page.request.get(empty_url + "/api/scorecard.csv").ok
    assert problems == []


def test_kommune_cards_link_to_their_page_and_show_the_kostra_group(page: Page, dash_url: str, demo_dir: Path) -> None:
    expected = query(
        demo_dir,
        """SELECT s.indicator_id, c.group_name, c.group_value, s.unit_of_measure, s.decimals
           FROM scorecard_latest s JOIN kostra_comparison c ON c.indicator_id = s.indicator_id
            AND c.scope = s.scope AND c.scope_code = s.scope_code AND c.year = year(s.period)
           WHERE s.scope = 'kommune' AND c.group_value IS NOT NULL""",
    )
    assert expected
    page.goto(dash_url)
    for iid, group, value, unit, decimals in expected:
        card = page.locator(f'[data-indicator="{iid}"]')
        expect(card.locator(".bms-group")).to_have_text(f"{group}: {format_value(value, unit or '', decimals)}")
        expect(card.locator("a.bms-name")).to_have_attribute("href", f"/indikator/{iid}")
    assert page.locator(".bms-group").count() == len(expected)


DIALOGUE_AND_REPORT_PAGES = ("/tiltak", "/ledersamtale?enhet=E21", "/revisjon", "/rapporter")


def test_axe_finds_no_violations_on_the_dialogue_report_and_login_pages(
    page: Page, anonymous_page: Page, dash_url: str
) -> None:
    axe = Axe()
    reports = []
    for path in DIALOGUE_AND_REPORT_PAGES:
        page.goto(dash_url + path)
        page.locator("#_pages_content .bms-page").first.wait_for(timeout=20_000)
        page.wait_for_load_state("networkidle")
        results = axe.run(page, options=WCAG_21_AA)
        if results.violations_count:
            reports.append(f"{path}: {results.generate_report()}")
    anonymous_page.goto(dash_url + "/login")
    expect(anonymous_page.locator("form")).to_be_visible()
    results = axe.run(anonymous_page, options=WCAG_21_AA)
    if results.violations_count:
        reports.append(f"/login: {results.generate_report()}")
    assert not reports, "\n\n".join(reports)

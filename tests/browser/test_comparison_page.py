"""Sammenligning in real Chromium: the rådmann changes year and peer set and sees the kommune's rank change;
every rank is checked against the warehouse, computed here from the KOSTRA figures themselves."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.a11y import axe_violations, screenshot
from tests.helpers import query

pytestmark = pytest.mark.browser


def expected_ranks(demo_dir: Path, year: int, peer_set: str) -> dict[str, str]:
    """The kommune's place per indicator: 1 + the kommuner of the set with a better figure (as shown)."""
    kommune = query(demo_dir, "SELECT value FROM meta WHERE key = 'kommune_code'")[0][0]
    county = query(demo_dir, "SELECT county_code FROM municipalities WHERE code = ?", [kommune])[0][0]
    group = query(
        demo_dir,
        "SELECT kostra_group FROM kostra_group_membership WHERE code = ? AND coalesce(valid_from, DATE '1900-01-01')"
        " <= make_date(?, 1, 1) AND (valid_to IS NULL OR make_date(?, 1, 1) < valid_to)",
        [kommune, year, year],
    )[0][0]
    peers = query(demo_dir, "SELECT value FROM meta WHERE key = 'peers'")[0][0].split(",")
    rows = query(
        demo_dir,
        """
        SELECT v.indicator_id, v.scope, v.scope_code, v.value, i.direction, i.decimals, m.county_code, g.kostra_group
        FROM indicator_values v JOIN indicators i USING (indicator_id)
        LEFT JOIN municipalities m ON m.code = v.scope_code
        LEFT JOIN kostra_group_membership g ON g.code = v.scope_code
             AND coalesce(g.valid_from, DATE '1900-01-01') <= make_date(?, 1, 1)
             AND (g.valid_to IS NULL OR make_date(?, 1, 1) < g.valid_to)
        WHERE i.source = 'KOSTRA' AND v.period_type = 'year' AND year(v.period) = ?
          AND v.scope IN ('kommune', 'region') AND (v.scope = 'kommune' OR m.kind = 'kommune')
        """,
        [year, year, year],
    )
    member = {
        "valgte": lambda r: r[2] in peers,
        "fylke": lambda r: r[6] == county,
        "kostragruppe": lambda r: r[7] == group,
    }[peer_set]
    ranks = {}
    for iid in {r[0] for r in rows}:
        own = [r for r in rows if r[0] == iid and r[1] == "kommune"]
        others = [r for r in rows if r[0] == iid and r[1] == "region" and r[2] != kommune and member(r)]
        if not own or own[0][3] is None:
            continue
        sign = 1 if own[0][4] == "høyere" else -1
        mine = sign * round(own[0][3], own[0][5])
        with_value = [o for o in others if o[3] is not None]
        better = sum(1 for o in with_value if sign * round(o[3], o[5]) > mine + 1e-9)
        ranks[iid] = f"{better + 1}. av {len(with_value) + 1}"
    return ranks


RANKS_ARE = (
    "exp => [...document.querySelectorAll('#cmp-matrix tbody tr')]"
    ".every(r => r.querySelector('.bms-rank').innerText === exp[r.dataset.indicator])"
)


def shown_ranks(page: Page) -> dict[str, str]:
    return dict(
        page.eval_on_selector_all(
            "#cmp-matrix tbody tr",
            "rows => rows.map(r => [r.dataset.indicator, r.querySelector('.bms-rank').innerText])",
        )
    )


def test_radmann_changes_year_and_peer_set_and_sees_the_rank_change(page: Page, dash_url: str, demo_dir: Path) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(dash_url + "/sammenligning")
    expect(page.locator("#cmp-matrix")).to_be_visible()
    years = [
        y
        for (y,) in query(
            demo_dir, "SELECT DISTINCT year FROM kostra_comparison WHERE scope = 'kommune' ORDER BY 1 DESC"
        )
    ]
    newest = years[0]
    assert shown_ranks(page) == expected_ranks(demo_dir, newest, "valgte")
    # the ETL's own comparison (configured peers) says the same
    etl = dict(
        (iid, f"{rank}. av {of}")
        for iid, rank, of in query(
            demo_dir,
            "SELECT indicator_id, rank, rank_of FROM kostra_comparison WHERE scope = 'kommune' AND year = ?",
            [newest],
        )
    )
    assert shown_ranks(page) == etl
    assert axe_violations(page) == []
    screenshot(page, "sammenligning")

    before = shown_ranks(page)
    page.get_by_label("Alle kommunene i fylket").check()
    expected = expected_ranks(demo_dir, newest, "fylke")
    assert expected != before  # the demo's county set ranks the kommune differently
    expect(page.locator("#cmp-heading")).to_contain_text("alle kommunene i fylket")
    page.wait_for_function(
        RANKS_ARE,
        arg=expected,
    )
    assert shown_ranks(page) == expected

    # an earlier year where the county's kommuner rank the kommune otherwise
    older = next(y for y in years[1:] if expected_ranks(demo_dir, y, "fylke") != expected)
    page.get_by_label("År", exact=True).select_option(str(older))
    expect(page.locator("#cmp-heading")).to_contain_text(str(older))
    expected_older = expected_ranks(demo_dir, older, "fylke")
    page.wait_for_function(
        RANKS_ARE,
        arg=expected_older,
    )
    assert shown_ranks(page) == expected_older != expected

    # SSB's symbols are symbols with their meaning, never 0
    symbols = query(
        demo_dir,
        "SELECT status_symbol, year(period) FROM indicator_values WHERE scope = 'region' AND status_symbol IS NOT NULL",
    )
    assert symbols
    symbol, year = symbols[0]
    page.get_by_label("År", exact=True).select_option(str(year))
    page.get_by_label("De valgte sammenligningskommunene").check()
    expect(page.locator("#cmp-heading")).to_contain_text(f"{year}: de valgte")
    expect(page.locator("#cmp-matrix abbr.bms-ssb-symbol").first).to_have_text(symbol)
    expect(page.locator("#cmp-symbols")).to_contain_text(symbol)
    assert axe_violations(page) == []

    # keyboard: the year picker and the peer-set radios are reachable with Tab
    page.locator("#cmp-year").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "radio"


def test_unknown_year_and_peer_set_in_the_address_are_explained(page: Page, dash_url: str) -> None:
    page.goto(dash_url + "/sammenligning?ar=1999&utvalg=verden")
    status = page.get_by_role("status")
    expect(status.first).to_contain_text("ingen sammenligning for året «1999»")
    expect(page.locator("body")).to_contain_text("Ukjent utvalg «verden»")
    expect(page.locator("#cmp-matrix")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Traceback")


def test_the_comparison_downloads_as_csv_and_excel(page: Page, dash_url: str, demo_dir: Path) -> None:
    newest = query(demo_dir, "SELECT max(year) FROM kostra_comparison WHERE scope = 'kommune'")[0][0]
    csv = page.request.get(f"{dash_url}/eksport/sammenligning.csv?ar={newest}&utvalg=fylke")
    assert csv.ok
    text = csv.body().decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Indikator;År;Måleenhet;Kommune/region;Verdi")
    xlsx = page.request.get(f"{dash_url}/eksport/sammenligning.xlsx?ar={newest}&utvalg=fylke")
    assert xlsx.ok and xlsx.body()[:2] == b"PK"

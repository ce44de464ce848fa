"""The dashboard's components and figures as pure functions, and the app shell's routes, without a browser."""

from __future__ import annotations

import datetime as dt
import importlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from dashboard import components
from dashboard.app import create_app
from dashboard.figures import sparkline
from etl.norsk import FOCUS_AREAS
from tests.helpers import app_client


def walk(node: Any) -> Iterator[Any]:
    """Every component in a tree, depth first."""
    if isinstance(node, list | tuple):
        for child in node:
            yield from walk(child)
        return
    if node is None or isinstance(node, str | int | float):
        return
    yield node
    yield from walk(getattr(node, "children", None))


def text(node: Any) -> str:
    """The visible text of a component tree, as the browser would concatenate it."""
    if node is None:
        return ""
    if isinstance(node, str | int | float):
        return str(node)
    if isinstance(node, list | tuple):
        return "".join(text(c) for c in node)
    return text(getattr(node, "children", None))


def by_class(tree: Any, name: str) -> list[Any]:
    return [c for c in walk(tree) if name in (getattr(c, "className", None) or "").split()]


def one(tree: Any, name: str) -> Any:
    found = by_class(tree, name)
    assert len(found) == 1, f"expected one .{name}, found {len(found)}"
    return found[0]


def attr(component: Any, name: str) -> Any:
    return component.to_plotly_json()["props"].get(name)


ROW = {
    "indicator_id": "sykefravaer",
    "name": "Sykefravær totalt",
    "focus_area": "Ansatte",
    "scope": "kommune",
    "scope_code": "5055",
    "unit_of_measure": "%",
    "decimals": 1,
    "direction": "lavere",
    "value": 6.6489,
    "target": 7.0,
    "status": "green",
    "status_reason": None,
    "previous_value": 6.25,
    "previous_period": pd.Timestamp("2024-01-01"),
    "period": pd.Timestamp("2025-01-01"),
    "period_type": "year",
    "vintage": "SSB 2025, endelige tall",
    "n": None,
    "description": "Legemeldt og egenmeldt fravær.",
    "formula": "fraværsdagsverk / avtalte dagsverk × 100",
    "source": "HR",
    "source_ref": "hr:sick_leave",
    "comparison": None,
}


def test_card_shows_the_value_target_and_status_as_users_read_them() -> None:
    card = components.indicator_card(ROW)
    assert attr(card, "data-indicator") == "sykefravaer"
    assert text(one(card, "bms-value")) == "6,6\u00a0%"
    assert text(one(card, "bms-target")) == "Mål 7,0\u00a0%"
    status = one(card, "bms-status")
    assert attr(status, "data-status") == "green"
    assert text(status) == "Status: Grønn"  # a text label, not colour alone
    assert text(one(card, "bms-meta")) == "2025 · SSB 2025, endelige tall"
    assert text(one(card, "bms-change")) == "▲ 0,4\u00a0%-poeng"
    assert attr(one(card, "bms-change"), "title") == "Endring fra 2024"


def test_card_hover_text_holds_definition_formula_source_and_direction() -> None:
    hover = attr(one(components.indicator_card(ROW), "bms-name"), "title")
    assert "Legemeldt og egenmeldt fravær." in hover
    assert "Formel: fraværsdagsverk / avtalte dagsverk × 100" in hover
    assert "Kilde: HR (hr:sick_leave)" in hover
    assert "Lavere er bedre." in hover


def test_grey_row_shows_the_reason_and_no_number() -> None:
    row = {**ROW, "value": None, "status": "grey", "status_reason": "for få svar", "previous_value": None, "n": 2}
    card = components.indicator_card(row)
    assert text(one(card, "bms-value")) == "–"
    assert text(one(card, "bms-status")) == "Status: Gråfor få svar"
    assert text(one(card, "bms-status-reason")) == "for få svar"
    assert attr(one(card, "bms-status"), "data-status") == "grey"
    assert not by_class(card, "bms-change")
    assert "n\u00a0=\u00a02" in text(one(card, "bms-meta"))


def test_missing_row_in_the_view_reads_as_no_data() -> None:
    row = {
        "indicator_id": "x",
        "name": "Uten tall",
        "focus_area": "Brukere",
        "unit_of_measure": "%",
        "decimals": 1,
        "value": float("nan"),
        "target": None,
        "status": "grey",
        "status_reason": "ingen data",
        "period": pd.NaT,
        "period_type": None,
    }
    card = components.indicator_card(row)
    assert text(one(card, "bms-target")) == "Mål mangler"
    assert text(one(card, "bms-meta")) == "Ingen tall for denne indikatoren ennå"
    assert "ingen data" in text(one(card, "bms-status"))


def test_other_units_of_measure_show_next_to_the_value() -> None:
    row = {**ROW, "unit_of_measure": "skår (1–5)", "value": 4.29, "target": 4.4, "previous_value": 4.22, "n": 436}
    card = components.indicator_card(row)
    assert text(one(card, "bms-value")) == "4,3"
    assert text(one(card, "bms-unit")) == "skår (1–5)"
    assert text(one(card, "bms-target")) == "Mål 4,4"
    assert text(one(card, "bms-change")) == "▲ 0,1"


@pytest.mark.parametrize(
    ("value", "previous", "unit", "decimals", "expected"),
    [
        (7.69, 8.31, "%", 1, "▼ 0,6\u00a0%-poeng"),
        (7_162_676.0, 6_534_797.0, "kr", 0, "▲ 627\u00a0879\u00a0kr"),
        (4.61, 4.58, "skår (1–5)", 1, "► uendret"),  # equal as shown, so unchanged
        (11.0, 11.0, "antall", 0, "► uendret"),
        (5.0, None, "%", 1, None),
    ],
)
def test_change_is_the_difference_of_the_shown_values(value, previous, unit, decimals, expected) -> None:
    assert components.change_text(value, previous, unit, decimals) == expected


def test_unknown_status_falls_back_to_grey() -> None:
    badge = components.status_badge("purple")
    assert attr(badge, "data-status") == "grey"
    assert text(badge).endswith("Grå")


def test_grid_has_the_four_focus_areas_in_order_even_when_one_is_empty() -> None:
    rows = pd.DataFrame([ROW, {**ROW, "indicator_id": "budsjett", "focus_area": "Økonomi", "status": "red"}])
    trend = pd.DataFrame(
        {
            "indicator_id": ["sykefravaer"] * 3,
            "value": [7.2, 6.9, 6.6],
            "period": pd.to_datetime(["2023-01-01", "2024-01-01", "2025-01-01"]),
        }
    )
    grid = components.scorecard_grid(rows, trend)
    panels = [c for c in walk(grid) if attr(c, "data-focus-area")]
    assert [attr(p, "data-focus-area") for p in panels] == list(FOCUS_AREAS)
    assert text(one(panels[2], "bms-empty")).startswith("Ingen indikatorer")
    assert text(one(panels[0], "bms-summary")) == "Rød 1"
    sparks = [c for c in walk(grid) if type(c).__name__ == "Img" and "bms-spark-graph" in (c.className or "")]
    assert len(sparks) == 1  # only the indicator with a trend of two or more values


def test_grid_never_hides_a_row_with_an_unknown_focus_area() -> None:
    grid = components.scorecard_grid(pd.DataFrame([{**ROW, "focus_area": "Samfunn"}]), pd.DataFrame())
    areas = [attr(c, "data-focus-area") for c in walk(grid) if attr(c, "data-focus-area")]
    assert areas == [*FOCUS_AREAS, "Samfunn"]


def test_unit_options_put_the_kommune_first_and_group_units_by_service_area() -> None:
    units = pd.DataFrame(
        {
            "unit_id": ["E10", "E21", "E22"],
            "service": ["adm", "barnehage", "barnehage"],
            "name": ["Rådmannens stab", "Kyrksæterøra barnehage", "Vinjeøra barnehage"],
            "service_area": ["administrasjon", "oppvekst", "oppvekst"],
        }
    )
    options = components.unit_options(units, "Heim")
    assert options[0] == {"label": "Hele kommunen (Heim)", "value": "kommune", "search": "hele kommunen"}
    assert [(o["label"], o.get("disabled", False)) for o in options[1:]] == [
        ("ADMINISTRASJON", True),
        ("Rådmannens stab", False),
        ("OPPVEKST", True),
        ("Kyrksæterøra barnehage", False),
        ("Vinjeøra barnehage", False),
    ]


def test_sparkline_is_an_svg_line_with_a_gap_the_newest_value_in_its_colour_and_the_target() -> None:
    from xml.etree import ElementTree

    ns = {"s": "http://www.w3.org/2000/svg"}
    svg = ElementTree.fromstring(sparkline(["2022", "2023", "2024", "2025"], [1.0, 2.0, None, 3.0], 2.0, "red"))
    lines = [p.get("points").split() for p in svg.findall("s:polyline", ns)]
    assert [len(points) for points in lines] == [2, 1]  # the missing 2024 is a gap, never bridged
    ys = {v: float(pt.split(",")[1]) for v, pt in zip((1.0, 2.0, 3.0), [*lines[0], *lines[1]], strict=True)}
    assert ys[3.0] < ys[2.0] < ys[1.0]  # higher values higher up (SVG's y grows downwards)
    (target,) = svg.findall("s:line", ns)
    assert float(target.get("y1")) == ys[2.0] and target.get("stroke-dasharray")
    (point,) = svg.findall("s:path", ns)
    assert point.get("stroke") == "#c0392b" and point.get("d").startswith(f"M100 {ys[3.0]:g}")
    flat = ElementTree.fromstring(sparkline(["2024", "2025"], [float("nan"), 2.0]))
    assert flat.findall("s:line", ns) == [] and len(flat.findall("s:polyline", ns)) == 1
    assert components.svg_data_uri("<svg/>").startswith("data:image/svg+xml;base64,")


def test_freshness_line() -> None:
    assert components.freshness_text(dt.datetime(2026, 11, 28, 5, 12, 40), "3") == (
        "Data oppdatert 28.11.2026 kl. 05:12, versjon 3"
    )
    assert components.freshness_text(None, None) == "Ingen data er publisert ennå."


# ---------------------------------------------------------------- the app shell (Flask level)


def test_create_app_reads_nothing_until_a_page_is_served(demo_dir: Path) -> None:
    app = create_app(demo_dir)
    assert app.server.config["BMS_READER"].version_path is None
    assert app.title == "Heim BMS"
    assert not app.server.debug


def test_wsgi_server_uses_bms_data_dir(demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BMS_DATA_DIR", str(demo_dir))
    import dashboard.wsgi

    module = importlib.reload(dashboard.wsgi)
    try:
        assert module.server.config["BMS_SETTINGS"].data_dir == demo_dir.resolve()
        assert any(t.name == "bms-warmup" and t.is_alive() for t in threading.enumerate())  # the worker's warm-up
    finally:
        module.stop_warming.set()


def test_template_download_and_unknown_kind(demo_dir: Path) -> None:
    client = app_client(create_app(demo_dir))
    ok = client.get("/maler/enheter.xlsx")
    assert ok.status_code == 200
    assert ok.data[:2] == b"PK"  # an xlsx is a zip
    assert "mal-enheter.xlsx" in ok.headers["Content-Disposition"]
    missing = client.get("/maler/tull.xlsx")
    assert missing.status_code == 404
    assert "Ukjent filtype «tull»" in missing.get_data(as_text=True)


def test_server_error_is_a_norwegian_page_without_a_trace(demo_dir: Path) -> None:
    app = create_app(demo_dir)

    def boom() -> str:
        raise RuntimeError("hemmelig detalj")

    app.server.add_url_rule("/test-feil", "test_feil", boom)
    response = app_client(app).get("/test-feil")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Noe gikk galt" in body
    assert "Traceback" not in body and "hemmelig detalj" not in body


def test_no_bootstrap_from_a_cdn(demo_dir: Path) -> None:
    html = app_client(create_app(demo_dir)).get("/").get_data(as_text=True)
    assert '<html lang="nb">' in html
    assert "/assets/bootstrap.min.css" in html
    assert html.index("bootstrap.min.css") < html.index("bms.css")  # ours overrides Bootstrap
    assert "cdn" not in html.lower() and "https://" not in html


def test_headings_name_the_kommune_or_the_unit_and_its_service() -> None:
    assert text(components.scorecard_heading("Heim kommune", "x")[0]) == "Målekart for Heim kommune"
    assert components.unit_lead("E31", "oppvekst", "skole") == "Oppvekst · Skole · enhet E31"
    assert components.unit_lead("E10", "administrasjon", "administrasjon") == "Administrasjon · enhet E10"
    assert components.unit_lead("E99", None, None) == "enhet E99"


def test_a_survey_change_within_the_noise_says_so() -> None:
    survey = {
        **ROW,
        "unit_of_measure": "skår (1–5)",
        "value": 4.32,
        "previous_value": 4.25,
        "n": 436,
        "change_noise": 0.134,
        "change_within_noise": True,
    }
    change = one(components.indicator_card(survey), "bms-change")
    assert text(change) == "▲ 0,1 · innenfor støyen"
    assert attr(change, "title") == "Endring fra 2024: mindre enn usikkerheten (±0,13), så den er trolig ikke reell."
    real = one(components.indicator_card({**survey, "value": 4.6, "change_within_noise": False}), "bms-change")
    assert text(real) == "▲ 0,4"

"""The dashboard's cache per published version: results and page parts equal what the warehouse gives, a new
publish is read at once, a request never changes what the next one gets, and the access rules still decide
who gets what (issue 10)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from dashboard import data
from dashboard.app import create_app
from dashboard.cli import main as bms
from etl.settings import load_settings
from etl.store.warehouse import WarehouseReader
from tests.dash_calls import call
from tests.helpers import app_client, query, signed_in_client


@pytest.fixture(scope="module")
def app(demo_dir: Path):
    return create_app(demo_dir)


def unit_page(client, unit_id: str) -> tuple[int, str]:
    """The unit page as the pages router sends it: status and text (non-ASCII letters as they are)."""
    answer = call(
        client, "_pages_content", {"_pages_location.pathname": f"/enhet/{unit_id}", "_pages_location.search": ""}
    )
    text = json.dumps(answer.get_json(), ensure_ascii=False) if answer.is_json else answer.get_data(as_text=True)
    return answer.status_code, text


def test_cached_results_are_the_warehouse_results_and_each_caller_gets_a_copy(demo_dir: Path) -> None:
    current = load_settings(demo_dir).current
    cached, plain = data.CachedReader(current), WarehouseReader(current)
    first = data.scorecard(cached, "enhet", "E21")
    pd.testing.assert_frame_equal(first, data.scorecard(plain, "enhet", "E21"))
    first["name"] = "endret av en side"
    again = data.scorecard(cached, "enhet", "E21")
    pd.testing.assert_frame_equal(again, data.scorecard(plain, "enhet", "E21"))


def test_a_new_publish_is_read_at_once_and_parts_are_built_once_per_version(demo_copy: Path) -> None:
    reader = data.CachedReader(load_settings(demo_copy).current, check_every=0)
    builds: list[str] = []

    def part() -> str:
        builds.append(data.meta(reader)["version"])
        return builds[-1]

    before = data.meta(reader)["version"]
    assert data.per_version(reader, ("part",), part) == data.per_version(reader, ("part",), part) == before
    assert bms(["rebuild", "--data-dir", str(demo_copy)]) == 0
    after = data.meta(reader)["version"]
    assert after != before
    assert data.per_version(reader, ("part",), part) == after and builds == [before, after]


def test_shared_parts_never_carry_one_users_panels_to_another(app, demo_dir: Path) -> None:
    leader = signed_in_client(app, "test-leder-E21", "leder", ["E21"])
    chief = signed_in_client(app, "test-kommunalsjef-oppvekst", "kommunalsjef", ["oppvekst"])
    first = unit_page(leader, "E21")
    seen = unit_page(chief, "E21")
    again = unit_page(leader, "E21")
    assert first[0] == seen[0] == again[0] == 200
    assert "vurdering-input" in first[1] and "vurdering-input" not in seen[1]  # the form is the leader's only
    cards = first[1].count('"bms-card-with-vurdering"')
    assert cards > 0 and seen[1].count('"bms-card-with-vurdering"') == again[1].count('"bms-card-with-vurdering"')
    assert again[1].count('"bms-card-with-vurdering"') == cards  # panels are added per request, never kept
    assert again[1] == first[1]


def test_a_page_another_user_has_opened_is_still_refused_to_a_leader(app, demo_dir: Path) -> None:
    other = query(demo_dir, "SELECT name FROM units WHERE unit_id = 'E31'")[0][0]
    status, text = unit_page(app_client(app), "E31")  # the rådmann: now built for this version
    assert status == 200 and other in text
    leader = signed_in_client(app, "test-leder-E21", "leder", ["E21"])
    status, text = unit_page(leader, "E31")
    assert other not in text and "vurdering" not in text
    crafted = call(leader, "overview-body", {"bms-unit.value": "E31"})
    assert crafted.status_code == 403 and other not in crafted.get_data(as_text=True)

"""The dashboard's cache per published version: results and page parts equal what the warehouse gives, a new
publish is read at once, a request never changes what the next one gets, and the access rules still decide
who gets what (issue 10)."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from dashboard import comparison_view, data, warmup
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


def test_a_part_asked_for_by_many_requests_at_once_is_built_once(demo_dir: Path) -> None:
    reader = data.CachedReader(load_settings(demo_dir).current)
    started, release = threading.Event(), threading.Event()
    builds: list[int] = []

    def part() -> list[int]:
        builds.append(1)
        started.set()
        release.wait(30)
        return [len(builds)]

    got: list[object] = []
    first = threading.Thread(target=lambda: got.append(data.per_version(reader, ("slow",), part)))
    first.start()
    assert started.wait(30)
    others = [threading.Thread(target=lambda: got.append(data.per_version(reader, ("slow",), part))) for _ in range(5)]
    for t in others:
        t.start()
    release.set()
    for t in [first, *others]:
        t.join(30)
    assert builds == [1] and len(got) == 6 and all(g is got[0] for g in got)


def test_a_failed_build_is_not_waited_for_and_is_tried_again(demo_dir: Path) -> None:
    reader = data.CachedReader(load_settings(demo_dir).current)
    calls: list[int] = []

    def broken() -> str:
        calls.append(1)
        raise RuntimeError("feil i bygging")

    with pytest.raises(RuntimeError):
        data.per_version(reader, ("broken",), broken)
    assert data.per_version(reader, ("broken",), lambda: "bygd") == "bygd" and calls == [1]


def _waiting(threads: list[threading.Thread]) -> bool:
    """Whether every one of the threads is blocked waiting (its innermost frame a `wait`)."""
    frames = sys._current_frames()
    return all(t.ident in frames and frames[t.ident].f_code.co_name == "wait" for t in threads)


@pytest.mark.parametrize("outcome", ["error", "not kept"])
def test_requests_waiting_for_a_build_get_its_error_or_its_value_without_building_again(
    demo_dir: Path, outcome: str
) -> None:
    """What the one build gives goes to every request that waited for it: its error (not a build each, one
    after the other), and its value also when it is not kept (a new version was published meanwhile)."""
    reader = data.CachedReader(load_settings(demo_dir).current)
    started, release = threading.Event(), threading.Event()
    builds: list[int] = []

    def part() -> str:
        builds.append(1)
        started.set()
        release.wait(30)
        if outcome == "error":
            raise RuntimeError("feil i bygging")
        reader._target = Path("ny-versjon.duckdb")  # as if a publish was followed while it built
        return "bygd"

    got: list[object] = []

    def ask() -> None:
        try:
            got.append(data.per_version(reader, ("part",), part))
        except RuntimeError as e:
            got.append(str(e))

    first = threading.Thread(target=ask)
    first.start()
    assert started.wait(30)
    others = [threading.Thread(target=ask) for _ in range(4)]
    for t in others:
        t.start()
    assert _wait_for(lambda: _waiting(others), 30)  # the others wait for the first build
    release.set()
    for t in [first, *others]:
        t.join(30)
    expected = "feil i bygging" if outcome == "error" else "bygd"
    assert builds == [1] and got == [expected] * 5, (builds, got)


def test_a_build_that_asks_for_its_own_part_builds_it_instead_of_waiting_for_itself(demo_dir: Path) -> None:
    reader = data.CachedReader(load_settings(demo_dir).current)
    got: list[object] = []
    asking = threading.Thread(
        target=lambda: got.append(data.per_version(reader, ("n",), lambda: data.per_version(reader, ("n",), lambda: 1)))
    )
    asking.start()
    asking.join(30)
    assert not asking.is_alive() and got == [1]
    assert data.per_version(reader, ("n",), lambda: 2) == 1  # kept, and nothing left waiting


def _kept_without_building(server, reader: data.CachedReader, key: tuple) -> object | None:
    """The part the cache holds for `key` now (None: it would have to be built)."""

    class NotBuilt(Exception):
        pass

    def not_built() -> None:
        raise NotBuilt  # nothing is kept for a build that fails

    with server.app_context():
        try:
            return data.per_version(reader, key, not_built)
        except NotBuilt:
            return None


def _wait_for(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_worker_builds_the_overview_and_comparison_before_anyone_asks_and_after_each_publish(
    demo_copy: Path,
) -> None:
    server = create_app(demo_copy).server
    reader = server.config[data.READER_KEY]
    kommune = load_settings(demo_copy).kommune_code
    scorecard = ("scorecard", "kommune", kommune)
    assert _kept_without_building(server, reader, scorecard) is None  # nothing built before the thread runs
    stop = warmup.start(server, every=0.05)
    try:
        _warmed_before_and_after_a_publish(server, reader, demo_copy, kommune, scorecard)
    finally:
        stop.set()


def _warmed_before_and_after_a_publish(server, reader, demo_copy: Path, kommune: str, scorecard: tuple) -> None:
    assert _wait_for(lambda: _kept_without_building(server, reader, scorecard) is not None)
    with server.app_context():
        year = comparison_view.years(reader)[0]
        kommune_name = data.meta(reader)["kommune_name"]
    comparison = ("comparison", year, "valgte", kommune_name)
    assert _wait_for(lambda: _kept_without_building(server, reader, comparison) is not None)
    # what it built is what a request would build
    with server.app_context():
        plain = WarehouseReader(reader.current)
        grid, records = _kept_without_building(server, reader, scorecard)  # type: ignore[misc]
        expected = data.scorecard(plain, "kommune", kommune)
        assert len(records) == len(expected) > 0
        built = pd.DataFrame(records)
        for column in ("indicator_id", "period", "value", "status", "target"):
            pd.testing.assert_series_equal(built[column], expected[column], check_dtype=False)
    before = reader.version_path
    assert bms(["rebuild", "--data-dir", str(demo_copy)]) == 0
    # the new version's parts are built with no request asking for them
    assert _wait_for(lambda: reader.version_path != before and _kept_without_building(server, reader, scorecard))

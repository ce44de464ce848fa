"""Logins and roles on the real Flask server: one test per rule of issue 8 (who may see what, sessions,
throttling, CSRF, cookies and headers, the anonymity rule at the edge)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import duckdb
import pytest

from dashboard import accounts
from dashboard.app import create_app
from dashboard.store import STORE_KEY
from etl.settings import load_settings
from etl.store.warehouse import DUCKDB_CONFIG
from tests.dash_calls import call
from tests.helpers import TEST_PASSWORD, app_client, ensure_account, query, signed_in_client


@pytest.fixture(scope="module")
def app(demo_dir: Path):
    return create_app(demo_dir)


def unit_name(demo_dir: Path, unit_id: str) -> str:
    return query(demo_dir, "SELECT name FROM units WHERE unit_id = ?", [unit_id])[0][0]


def body(response) -> str:
    """What a response says, with JSON decoded (Dash escapes non-ASCII letters)."""
    if response.is_json:
        return json.dumps(response.get_json(), ensure_ascii=False)
    return response.get_data(as_text=True)


def form_login(client, username: str, password: str, **extra):
    """Log in through the form as a browser would (GET for the token, then POST)."""
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token, **extra})


def test_only_the_login_is_open(app) -> None:
    client = app.server.test_client()
    page = client.get("/?enhet=E21")
    assert page.status_code == 302 and page.headers["Location"] == "/login?neste=%2F%3Fenhet%3DE21"
    for path in ("/_dash-layout", "/_dash-dependencies", "/eksport/dialog/tiltak.xlsx", "/maler/enheter.xlsx"):
        assert client.get(path).status_code == 401, path
    assert client.post("/_dash-update-component", json={}).status_code == 401
    login = client.get("/login")
    assert login.status_code == 200 and 'name="username"' in login.get_data(as_text=True)
    assert "demoinstallasjon" in login.get_data(as_text=True)  # the demo says it is one
    assert client.get("/assets/bootstrap.min.css").status_code == 200


def test_a_leader_lands_on_the_own_unit_and_is_audited(app) -> None:
    store = app.server.config[STORE_KEY]
    ensure_account(store, "test-leder-E21", "leder", ["E21"])
    client = app.server.test_client()
    assert form_login(client, "test-leder-E21", "feil passord").status_code == 401
    ok = form_login(client, "test-leder-E21", TEST_PASSWORD)
    assert ok.status_code == 302 and ok.headers["Location"] == "/?enhet=E21"
    actions = [r["action"] for r in store.rows("SELECT action FROM audit WHERE username = 'test-leder-E21'")]
    assert "innlogging mislyktes" in actions and "innlogget" in actions


def test_a_leader_never_gets_another_units_figures(app, demo_dir: Path) -> None:
    leader = signed_in_client(app, "test-leder-E21", "leder", ["E21"])
    other, own = unit_name(demo_dir, "E31"), unit_name(demo_dir, "E21")
    for path in ("/?enhet=E31", "/?unit=E31", "/enhet/E31", "/tiltak?enhet=E31", "/ledersamtale?enhet=E31"):
        response = leader.get(path)
        assert response.status_code == 403, path
        assert other not in body(response)
    crafted = call(leader, "overview-body", {"bms-unit.value": "E31"})
    assert crafted.status_code == 403 and other not in body(crafted)
    mine = call(leader, "overview-body", {"bms-unit.value": "E21"})
    assert mine.status_code == 200 and own in body(mine)
    # the pages router with a crafted address: no figures of E31 either
    routed = call(leader, "_pages_content", {"_pages_location.pathname": "/", "_pages_location.search": "?enhet=E31"})
    assert routed.status_code in (200, 403) and other not in body(routed)
    # writes for another unit: refused, nothing stored
    key = "andel_sykefravaer|E31|2025-01-01"
    write = call(
        leader,
        "vurdering-text",
        {
            "vurdering-input.value": "Skrevet for feil enhet",
            "vurdering-save.id": {"type": "vurdering-save", "key": key},
        },
        {"key": key},
    )
    assert write.status_code == 403
    add = call(
        leader,
        "tiltak-list",
        {
            "tiltak-unit.value": "E31",
            "tiltak-action.value": "Tiltak for feil enhet",
            "tiltak-new-status.value": "planlagt",
        },
        changed="tiltak-save.n_clicks",
    )
    assert add.status_code == 403
    samtale = call(leader, "ls-message", {"ls-unit.value": "E21", "ls-year.value": 2025, "ls-keep.value": "x"})
    assert samtale.status_code == 403  # the ledersamtale is the rådmann's to write
    store = app.server.config[STORE_KEY]
    assert not store.rows("SELECT * FROM vurderinger WHERE text = 'Skrevet for feil enhet'")
    assert not store.rows("SELECT * FROM tiltak WHERE action = 'Tiltak for feil enhet'")
    assert leader.get("/revisjon").status_code == 403  # the audit log is not the leader's


def test_a_kommunalsjef_sees_the_own_service_area_only(app, demo_dir: Path) -> None:
    chief = signed_in_client(app, "test-kommunalsjef-oppvekst", "kommunalsjef", ["oppvekst"])
    areas = dict(query(demo_dir, "SELECT unit_id, service_area FROM units"))
    for unit_id, area in areas.items():
        expected = 200 if area == "oppvekst" else 403
        assert call(chief, "overview-body", {"bms-unit.value": unit_id}).status_code == expected, unit_id


def test_a_session_is_worthless_after_logout(app) -> None:
    ensure_account(app.server.config[STORE_KEY], "test-leder-E21", "leder", ["E21"])
    client = app.server.test_client()
    form_login(client, "test-leder-E21", TEST_PASSWORD)
    cookie = client.get_cookie("bms_session").value
    csrf = client.get_cookie("_csrf_token").value
    assert client.get("/_dash-layout").status_code == 200
    deps = client.get("/_dash-dependencies").get_json()
    assert client.post("/logout", data={"csrf_token": csrf}).headers["Location"] == "/login?utlogget=1"
    replay = app.server.test_client()
    replay.set_cookie("bms_session", cookie)
    assert replay.get("/_dash-layout").status_code == 401
    assert replay.get("/").status_code == 302
    assert (
        call(replay, "overview-body", {"bms-unit.value": "E21"}, headers={"X-CSRFToken": csrf}, deps=deps).status_code
        == 401
    )


def test_failed_logins_are_slowed_then_refused(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BMS_LOGIN_ACCOUNT_LIMIT", "4")
    monkeypatch.setenv("BMS_LOGIN_ADDRESS_LIMIT", "6")
    monkeypatch.setenv("BMS_LOGIN_SLOW_AFTER", "2")
    monkeypatch.setenv("BMS_LOGIN_DELAY_SECONDS", "1.5")
    app = create_app(demo_copy)
    store = app.server.config[STORE_KEY]
    with store.tx() as con:  # start from no failures, whatever other tests left in the copied store
        con.execute("DELETE FROM login_failures")
    ensure_account(store, "test-leder-E21", "leder", ["E21"])
    client = app.server.test_client()
    took = []
    for _ in range(4):
        start = time.monotonic()
        assert form_login(client, "test-leder-E21", "gjett-igjen").status_code == 401
        took.append(time.monotonic() - start)
    assert took[3] >= 1.5 and took[3] > min(took[:3])  # the fourth try waited (one failure over × 1.5 s)
    blocked = form_login(client, "test-leder-E21", TEST_PASSWORD)  # even the right password, while cooling
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert "For mange mislykkede forsøk" in blocked.get_data(as_text=True)
    # per address: other names from the same address are refused once the address limit is reached
    for name in ("ukjent-1", "ukjent-2"):  # each slowed too (by the address's failures)
        form_login(client, name, "x")
    assert form_login(client, "ukjent-3", "x").status_code == 429


def test_cookie_flags_and_security_headers(app, demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ensure_account(app.server.config[STORE_KEY], "test-radmann", "radmann")
    client = app.server.test_client()
    response = form_login(client, "test-radmann", TEST_PASSWORD)
    session_cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("bms_session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie and "Secure" not in session_cookie
    page = client.get("/")
    csp = page.headers["Content-Security-Policy"]
    script_src = next(d for d in csp.split("; ") if d.startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'sha256-" in script_src
    assert "frame-ancestors 'none'" in csp
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"

    monkeypatch.setenv("BMS_SECURE_COOKIES", "1")  # behind HTTPS
    secure_app = create_app(demo_copy)
    ensure_account(secure_app.server.config[STORE_KEY], "test-radmann", "radmann")
    secure = form_login(secure_app.server.test_client(), "test-radmann", TEST_PASSWORD)
    assert all("Secure" in c for c in secure.headers.getlist("Set-Cookie"))


def test_csrf_is_required_on_every_writing_request(app) -> None:
    client = app_client(app)
    deps = client.get("/_dash-dependencies").get_json()
    del client.environ_base["HTTP_X_CSRFTOKEN"]
    assert len(deps) >= 6
    for dep in deps:  # every callback, the writing ones (vurdering, tiltak, ledersamtale, uploads) included
        body = {"output": dep["output"], "outputs": [], "inputs": [], "state": [], "changedPropIds": []}
        assert client.post("/_dash-update-component", json=body).status_code == 403, dep["output"]
        wrong = client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": "gjettet"})
        assert wrong.status_code == 403
    assert client.post("/logout").status_code == 403
    anonymous = app.server.test_client()
    anonymous.get("/login")
    refused = anonymous.post("/login", data={"username": "test-radmann", "password": TEST_PASSWORD})
    assert refused.status_code == 400 and "bms_session" not in str(refused.headers.getlist("Set-Cookie"))


def test_no_unit_survey_value_below_the_minimum_leaves_the_server(demo_copy: Path) -> None:
    """Whatever the warehouse holds (here: a unit value forced below min_n) and whatever the role."""
    path = load_settings(demo_copy).current.resolve()
    with duckdb.connect(str(path), config=DUCKDB_CONFIG) as con:
        iid, unit, min_n = con.execute(
            "SELECT s.indicator_id, s.scope_code, i.min_n FROM scorecard s JOIN indicators i USING (indicator_id) "
            "WHERE s.scope = 'enhet' AND s.n IS NOT NULL AND s.value IS NOT NULL ORDER BY s.period DESC LIMIT 1"
        ).fetchone()
        con.execute(
            "UPDATE scorecard SET value = 987654.321, n = ? WHERE scope = 'enhet' AND scope_code = ? "
            "AND indicator_id = ?",
            [min_n - 1, unit, iid],
        )
        for table in ("indicator_values", "scorecard_latest"):  # scorecard_latest is a table of its own
            con.execute(
                f"UPDATE {table} SET value = 987654.321, n = ? WHERE scope = 'enhet' AND scope_code = ? "
                "AND indicator_id = ?",
                [min_n - 1, unit, iid],
            )
        [area] = con.execute("SELECT service_area FROM units WHERE unit_id = ?", [unit]).fetchone()
    app = create_app(demo_copy)
    for client in (app_client(app), signed_in_client(app, f"test-leder-{unit}", "leder", [unit])):
        shown = body(call(client, "overview-body", {"bms-unit.value": unit}))
        assert f'"data-indicator":"{iid}"' in shown.replace(" ", "")  # the card is there, without the figure
        unit_page = body(
            call(client, "_pages_content", {"_pages_location.pathname": f"/enhet/{unit}", "_pages_location.search": ""})
        )
        assert unit in unit_page
        pages = [
            body(call(client, "_pages_content", {"_pages_location.pathname": path, "_pages_location.search": search}))
            for path, search in ((f"/indikator/{iid}", f"?enhet={unit}"), (f"/tjenesteomrade/{area}", ""))
        ]
        downloads = [
            client.get(f"/api/scorecard.csv?unit={unit}").get_data(as_text=True),
            client.get(f"/api/indicator_values.csv?unit={unit}").get_data(as_text=True),
            client.get(f"/eksport/malekort.csv?enhet={unit}").get_data(as_text=True),
        ]
        for text in [shown, unit_page, *pages, *downloads]:
            assert not any(v in text for v in ("987654", "987 654", "987\u00a0654", "987654,3")), text[:300]
    with app.server.test_request_context():
        from dashboard import anonymity, data

        frame = data.scorecard(data.current_reader(), "enhet", unit)
        row = frame[frame["indicator_id"] == iid].iloc[0]
        assert row["value"] is None and row["status"] == "grey"
        assert anonymity.hide_small_n(frame).equals(frame)


def test_users_command_and_demo_accounts(data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    import io

    from dashboard.admin import demo_accounts
    from dashboard.cli import main as bms
    from dashboard.store import AppStore

    monkeypatch.setattr("sys.stdin", io.StringIO("et-langt-passord\n"))
    assert (
        bms(
            [
                "users",
                "add",
                "kari",
                "--role",
                "leder",
                "--scope",
                "E21",
                "--password-stdin",
                "--data-dir",
                str(data_dir),
            ]
        )
        == 0
    )
    store = AppStore.for_data_dir(data_dir)
    assert accounts.authenticate(store, "kari", "et-langt-passord").scopes == ("E21",)
    monkeypatch.setattr("sys.stdin", io.StringIO("kort\n"))
    assert bms(["users", "set-password", "kari", "--password-stdin", "--data-dir", str(data_dir)]) == 2
    assert (
        bms(["users", "set-role", "kari", "--role", "kommunalsjef", "--scope", "oppvekst", "--data-dir", str(data_dir)])
        == 0
    )
    assert accounts.authenticate(store, "kari", "et-langt-passord").role == "kommunalsjef"
    assert bms(["users", "disable", "kari", "--data-dir", str(data_dir)]) == 0
    assert accounts.authenticate(store, "kari", "et-langt-passord") is None
    capsys.readouterr()
    assert bms(["users", "list", "--data-dir", str(data_dir)]) == 0
    listed = capsys.readouterr().out
    assert "kari" in listed and "sperret" in listed
    assert "et-langt-passord" not in (data_dir / "app" / "bms.sqlite").read_bytes().decode("latin-1")

    monkeypatch.setenv("BMS_DEMO_PASSWORD", "demo")
    demo_accounts(load_settings(data_dir), [("E21", "oppvekst"), ("E41", "helse og mestring")])
    for name in ("radmann", "analytiker", "kommunalsjef-oppvekst", "kommunalsjef-helse-og-mestring", "leder-E21"):
        assert accounts.authenticate(store, name, "demo") is not None, name
    monkeypatch.delenv("BMS_DEMO_PASSWORD")
    demo_accounts(load_settings(data_dir), [("E21", "oppvekst"), ("E52", "teknisk")])
    printed = capsys.readouterr().out
    password = re.search(r"vises bare nå\): (\S+)", printed).group(1)
    assert accounts.authenticate(store, "leder-E52", password) is not None
    assert accounts.authenticate(store, "leder-E21", password) is None  # existing accounts keep theirs


def test_a_session_expires_when_left_idle(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BMS_IDLE_MINUTES", "0.02")  # 1.2 seconds
    app = create_app(demo_copy)
    ensure_account(app.server.config[STORE_KEY], "test-radmann", "radmann")
    client = app.server.test_client()
    form_login(client, "test-radmann", TEST_PASSWORD)
    assert client.get("/_dash-layout").status_code == 200
    time.sleep(1.5)
    assert client.get("/_dash-layout").status_code == 401
    assert client.get("/tiltak").headers["Location"].startswith("/login")


def test_downloads_and_writes_are_in_the_audit_log_for_the_radmann_only(app) -> None:
    store = app.server.config[STORE_KEY]
    radmann = app_client(app)
    assert radmann.get("/eksport/dialog/tiltak.xlsx").status_code == 200
    last = store.rows("SELECT * FROM audit ORDER BY id DESC LIMIT 1")[0]
    expected = ("test-radmann", "nedlasting", "/eksport/dialog/tiltak.xlsx")
    assert (last["username"], last["action"], last["target"]) == expected
    assert radmann.get("/revisjon").status_code == 200
    table = body(call(radmann, "audit-list", {"audit-filter.value": "nedlasting"}))
    assert "/eksport/dialog/tiltak.xlsx" in table
    analyst = signed_in_client(app, "test-analytiker", "analytiker")
    assert analyst.get("/revisjon").status_code == 200
    chief = signed_in_client(app, "test-kommunalsjef-oppvekst", "kommunalsjef", ["oppvekst"])
    assert chief.get("/revisjon").status_code == 403
    assert call(chief, "audit-list", {"audit-filter.value": ""}).status_code == 403


def test_a_leaders_unfiltered_downloads_hold_only_the_own_unit(demo_dir: Path) -> None:
    """No filter in the address: the CSV API and the area-wide downloads still give a leader only the own unit."""
    import csv
    import io

    app = create_app(demo_dir)
    units = {row[0]: row[1] for row in query(demo_dir, "SELECT unit_id, name FROM units")}
    own = "E21"
    client = signed_in_client(app, f"test-leder-{own}", "leder", [own])
    others = {name for uid, name in units.items() if uid != own}
    for url in ("/api/scorecard.csv", "/api/indicator_values.csv", "/eksport/dialog/tiltak.csv"):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
        shown = {cell for row in rows[1:] for cell in row}
        assert not shown & others, (url, sorted(shown & others)[:3])
    rows = list(
        csv.reader(io.StringIO(client.get("/api/scorecard.csv").get_data(as_text=True).lstrip("\ufeff")), delimiter=";")
    )
    assert any(units[own] in row for row in rows[1:]), "the own unit's rows are there"


def test_every_role_may_ask_the_api_for_the_kommune_by_name(demo_dir):
    """`?unit=kommune`, as the README gives it: the whole kommune's rows for a leader and a kommunalsjef too
    (every role sees the kommune's own scorecard), and still no other unit's; a refused unit is one line."""
    import csv
    import io

    app = create_app(demo_dir)
    kommune = query(demo_dir, "SELECT value FROM meta WHERE key = 'kommune_name'")[0][0] + " kommune"
    for role, scopes in (("leder", ["E21"]), ("kommunalsjef", ["oppvekst"])):
        client = signed_in_client(app, f"test-{role}", role, scopes)
        response = client.get("/api/scorecard.csv?unit=kommune&year=2025")
        assert response.status_code == 200, (role, response.status_code)
        rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
        assert rows and {r["Gjelder"] for r in rows} == {kommune}, (role, {r["Gjelder"] for r in rows})
        refused = client.get("/api/scorecard.csv?unit=E41")
        assert refused.status_code == 403 and refused.get_data(as_text=True) == "Ingen tilgang.", role


def test_after_login_only_a_path_on_this_site_is_followed(app) -> None:
    ensure_account(app.server.config[STORE_KEY], "test-leder-E21", "leder", ["E21"])
    for target in ("/\t/example.org/x", "/\n/example.org/x", "/ /example.org", "//example.org", "/\\example.org"):
        client = app.server.test_client()
        where = form_login(client, "test-leder-E21", TEST_PASSWORD, neste=target).headers["Location"]
        assert where.startswith("/") and not where.startswith("//") and "example.org" not in where, repr(target)
    client = app.server.test_client()
    assert form_login(client, "test-leder-E21", TEST_PASSWORD, neste="/enhet/E21").headers["Location"] == "/enhet/E21"


def test_a_new_password_ends_the_sessions_whatever_case_the_name_is_typed_in(demo_copy: Path) -> None:
    app = create_app(demo_copy)
    store = app.server.config[STORE_KEY]
    ensure_account(store, "test-leder-E31", "leder", ["E31"])
    client = app.server.test_client()
    form_login(client, "test-leder-E31", TEST_PASSWORD)
    assert client.get("/api/scorecard.csv?unit=E31").status_code == 200
    accounts.set_password(store, "TEST-LEDER-E31", "Et-nytt-passord-42")
    assert client.get("/api/scorecard.csv?unit=E31").status_code == 401


def test_attempts_sent_at_once_are_each_counted_and_a_long_name_is_cut(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setenv("BMS_LOGIN_ACCOUNT_LIMIT", "3")
    monkeypatch.setenv("BMS_LOGIN_ADDRESS_LIMIT", "100")
    monkeypatch.setenv("BMS_LOGIN_SLOW_AFTER", "100")
    app = create_app(demo_copy)
    store = app.server.config[STORE_KEY]
    with store.tx() as con:
        con.execute("DELETE FROM login_failures")
    ensure_account(store, "test-leder-E21", "leder", ["E21"])
    with ThreadPoolExecutor(8) as pool:
        codes = list(
            pool.map(lambda _: form_login(app.server.test_client(), "test-leder-E21", "feil").status_code, range(16))
        )
    assert sorted(set(codes)) == [401, 429] and codes.count(401) <= 3, codes  # never more guesses than the limit
    huge = "x" * 400_000
    assert form_login(app.server.test_client(), huge, "feil").status_code == 401
    names = [r["username"] for r in store.rows("SELECT username FROM login_failures")]
    audited = [r["target"] for r in store.rows("SELECT * FROM audit WHERE action = 'innlogging mislyktes'")]
    assert max(map(len, names + audited)) <= 200


def test_an_unknown_name_costs_one_password_hash_as_a_known_one_does(demo_copy: Path, monkeypatch) -> None:
    import hashlib

    store = create_app(demo_copy).server.config[STORE_KEY]
    ensure_account(store, "test-leder-E21", "leder", ["E21"])
    accounts.authenticate(store, "finnes-ikke-0", "x")  # the hash no password matches is made once
    real, runs = hashlib.scrypt, []
    monkeypatch.setattr(hashlib, "scrypt", lambda *a, **k: runs.append(1) or real(*a, **k))
    for name in ("test-leder-E21", "finnes-ikke-1", "finnes-ikke-2"):
        runs.clear()
        assert accounts.authenticate(store, name, "feil-passord") is None
        assert len(runs) == 1, name


def test_the_application_store_and_its_backup_are_for_the_owner_only(demo_copy: Path, tmp_path: Path) -> None:
    store = create_app(demo_copy).server.config[STORE_KEY]
    copy = store.backup(tmp_path / "kopi.sqlite")
    for path in (store.path, copy):
        assert path.stat().st_mode & 0o777 == 0o600, path


def test_a_leader_asking_the_api_for_an_unknown_unit_learns_no_more_than_no_access(app) -> None:
    leader = signed_in_client(app, "test-leder-E21", "leder", ["E21"])
    radmann = signed_in_client(app, "test-radmann", "radmann")
    # the address rule (security._unit_in_address) answers before the API looks the code up
    assert leader.get("/api/scorecard.csv?unit=E99").status_code == 403  # as for a unit that exists
    assert leader.get("/api/scorecard.csv?unit=E22").status_code == 403
    assert leader.get("/api/scorecard.csv?unit=e21").status_code == 200  # the own unit, as typed
    assert radmann.get("/api/scorecard.csv?unit=E99").status_code == 400

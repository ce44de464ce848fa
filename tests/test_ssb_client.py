"""The SSB client against a local server that answers and refuses the way SSB does. Time is a test clock
(an injected clock and sleep), so waiting for SSB's rate limits costs nothing."""

from __future__ import annotations

import json
import socket

import pytest
import requests

from etl.ssb.client import KLASS_CSV, RateLimiter, SsbClient, SsbError
from tests.ssb_world import PEERS, SAMI_NAMES, replay, truth

SELECTION = {"KOKkommuneregion0000": ["5055", "EAKUO"], "ContentsCode": ["KOSAGD230000"], "Tid": ["2024", "2025"]}


class Clock:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def client(server, clock: Clock | None = None, **kw) -> SsbClient:
    clock = clock or Clock()
    return SsbClient(server.url, clock=clock, sleep=clock.sleep, wall=lambda: 1_800_000_000.0, **kw)


def values(doc: dict) -> dict:
    """{(region, year): value} from a small answer (regions × one content × years), read the slow way."""
    regions = list(doc["dimension"]["KOKkommuneregion0000"]["category"]["index"])
    years = list(doc["dimension"]["Tid"]["category"]["index"])
    return {(r, int(y)): doc["value"][i * len(years) + j] for i, r in enumerate(regions) for j, y in enumerate(years)}


def test_metadata_then_a_short_query_as_get():
    with replay() as server:
        c = client(server)
        meta, _ = c.v2_metadata("12134")
        assert meta["value"] == [] and "EKG05" in meta["dimension"]["KOKkommuneregion0000"]["category"]["index"]
        doc, raw, request = c.v2_data("12134", SELECTION)
    assert request["method"] == "GET" and "valueCodes" in request["url"]
    assert [s.path.rsplit("/", 1)[-1] for s in server.log] == ["metadata", "data"]
    assert values(doc) == {(r, y): truth("KOSAGD230000", r, y) for r in ("5055", "EAKUO") for y in (2024, 2025)}
    assert raw.startswith(b"{")


def test_a_long_query_goes_as_post_because_ssb_answers_404_to_long_urls():
    extra = [f"{9000 + i}" for i in range(450)]  # 450 kommuner: a GET URL of some 2 400 characters
    long = {**SELECTION, "KOKkommuneregion0000": ["5055", *extra]}
    with replay() as server:
        _grow_regions(server.tables["12134"], extra)
        forced_get = client(server, max_url=100_000)  # as if the client did not know SSB's URL limit
        with pytest.raises(SsbError, match="SSB fant ikke data fra tabell 12134 \\(HTTP 404\\)"):
            forced_get.v2_data("12134", long)
        doc, _, request = client(server).v2_data("12134", long)
    assert len(server.log[0].raw_target) > 2_100 and server.log[0].method == "GET"
    assert request["method"] == "POST" and server.log[-1].method == "POST"
    assert doc["size"][0] == 451 and values(doc)[("5055", 2025)] == truth("KOSAGD230000", "5055", 2025)


def _grow_regions(doc: dict, codes: list[str]) -> None:
    """Add regions (with no figures) to a whole table, keeping it a valid json-stat2 dataset."""
    from tests.ssb_server import make_table

    region = doc["dimension"]["KOKkommuneregion0000"]["category"]
    contents = doc["dimension"]["ContentsCode"]["category"]
    years = [int(y) for y in doc["dimension"]["Tid"]["category"]["index"]]
    grown = make_table(
        "12134",
        {**region["label"], **{c: f"Kommune {c}" for c in codes}},
        {
            c: (contents["label"][c], contents["unit"][c]["base"], contents["unit"][c]["decimals"])
            for c in contents["index"]
        },
        years,
        truth,
    )
    doc.clear()
    doc.update(grown)


def test_repeated_codes_are_sent_once_since_ssb_answers_500_with_an_empty_body_to_them():
    twice = {**SELECTION, "KOKkommuneregion0000": ["5055", "EAKUO", "5055", "EAKUO"], "Tid": ["2025", "2025"]}
    with replay() as server:
        doc, _, request = client(server).v2_data("12134", twice)
        assert request["url"].count("5055") == 1
        post = client(server, max_url=10).v2_data("12134", twice)[2]
    assert post["body"]["selection"][0]["valueCodes"] == ["5055", "EAKUO"]
    assert values(doc) == {
        ("5055", 2025): truth("KOSAGD230000", "5055", 2025),
        ("EAKUO", 2025): truth("KOSAGD230000", "EAKUO", 2025),
    }


def test_a_refused_query_says_what_ssb_said_in_norwegian():
    with replay() as server, pytest.raises(SsbError) as e:
        client(server).v2_data("12134", {**SELECTION, "ContentsCode": ["KOSFINNESIKKE"]})
    assert "SSB avviste spørringen (data fra tabell 12134), HTTP 400: «Non-existent value»" in str(e.value)
    assert "kilde_ref" in str(e.value)


def test_a_500_with_an_empty_body_is_explained():
    with replay() as server:
        server.fail(500, times=-1)
        with pytest.raises(SsbError, match="intern feil uten forklaring \\(HTTP 500\\).*samme kode står to ganger"):
            client(server).v2_data("12134", SELECTION)
    assert len(server.log) == 1  # not retried: SSB gives the same answer again


def test_429_waits_as_long_as_retry_after_says_then_succeeds():
    clock = Clock()
    with replay() as server:
        server.fail(429, {"Retry-After": "7", "x-ratelimit-policy": "30;w=60s", "x-ratelimit-remaining": "0"})
        doc, _, _ = client(server, clock).v2_data("12134", SELECTION)
    assert len(server.log) == 2 and doc["value"]
    assert clock.slept == [7.0]


def test_429_without_retry_after_waits_out_the_announced_window():
    clock = Clock()
    with replay() as server:
        server.fail(429, {"x-ratelimit-policy": "30;w=60s", "x-ratelimit-remaining": "0"})
        client(server, clock).v2_data("12134", SELECTION)
    assert clock.slept == [60.0]


def test_503_is_retried_with_growing_waits_and_given_up_with_a_clear_message():
    clock = Clock()
    with replay() as server:
        server.fail(503, times=2)
        doc, _, _ = client(server, clock, backoff=2.0).v2_data("12134", SELECTION)
        assert doc["value"] and clock.slept == [2.0, 4.0]
        server.fail(503, times=-1)
        with pytest.raises(SsbError, match="utilgjengelig akkurat nå \\(HTTP 503\\).*hentes ikke på nytt"):
            client(server, clock, retries=3).v2_data("12134", SELECTION)


def _closed_port() -> int:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_refused_connection_fails_fast_with_one_quick_retry_and_names_the_cache_folder(tmp_path):
    port = _closed_port()
    clock = Clock()
    c = SsbClient(
        f"http://127.0.0.1:{port}", retries=5, backoff=2.0, clock=clock, sleep=clock.sleep, cache_dir=tmp_path / "k"
    )
    with pytest.raises(SsbError) as e:
        c.v2_metadata("12134")
    assert str(e.value) == (
        f"Får ikke kontakt med SSB (http://127.0.0.1:{port}): tilkoblingen ble avvist. Sjekk at adressen stemmer og "
        f"at tjenesten der kjører. Det som alt er hentet, ligger i {tmp_path / 'k'} og hentes ikke på nytt når du "
        "kjører kommandoen igjen."
    )
    assert c.requests == 2 and clock.slept == [1.0]  # not 2 + 4 + 8 + 16 + 32 s


class Unresolvable:
    """A session for a host name that does not resolve, shaped as requests raises it (DNS is not a test's job)."""

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}
        self.calls = 0

    def request(self, method, url, **kw):
        import urllib3.exceptions

        self.calls += 1
        cause = urllib3.exceptions.NameResolutionError(
            "data.ssb.no", None, socket.gaierror(-2, "Name or service not known")
        )
        raise requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, url, cause))


def test_an_unknown_host_fails_fast_and_suggests_a_mirror_only_when_none_was_given():
    clock = Clock()
    session = Unresolvable()
    c = SsbClient(retries=5, backoff=2.0, clock=clock, sleep=clock.sleep, session=session)
    with pytest.raises(SsbError) as e:
        c.v2_metadata("12134")
    assert str(e.value).startswith(
        "Får ikke kontakt med SSB (https://data.ssb.no): fant ikke adressen (ingen DNS/nett?). Sjekk nettverket "
        "(og eventuell proxy), eller pek på et speil med --base-url."
    )
    assert session.calls == 2 and clock.slept == [1.0]
    mirror = SsbClient("http://speil.example:8080", clock=clock, sleep=clock.sleep, session=Unresolvable())
    with pytest.raises(SsbError) as e:
        mirror.v2_metadata("12134")
    assert "Sjekk at adressen stemmer og at tjenesten der kjører." in str(e.value)
    assert "--base-url" not in str(e.value)


class TimesOut:
    """A session whose first `n` requests time out, then answers through a real one."""

    def __init__(self, n: int) -> None:
        self.headers: dict[str, str] = {}
        self.left = n
        self.real = requests.Session()

    def request(self, *args, **kw):
        if self.left:
            self.left -= 1
            raise requests.ReadTimeout("Read timed out. (read timeout=60)")
        return self.real.request(*args, **kw)


def test_timeouts_are_still_retried_with_growing_waits():
    clock = Clock()
    with replay() as server:
        c = client(server, clock, backoff=2.0, retries=5, session=TimesOut(3))
        doc, _, _ = c.v2_data("12134", SELECTION)
        assert doc["value"] and clock.slept == [2.0, 4.0, 8.0]
        with pytest.raises(SsbError, match="svaret kom ikke i tide"):
            client(server, Clock(), retries=2, session=TimesOut(10)).v2_metadata("12134")


def test_the_limiter_never_lets_more_than_30_requests_into_any_minute():
    clock = Clock()
    limiter = RateLimiter(30, clock=clock, sleep=clock.sleep)
    sent = []
    for _ in range(95):
        limiter.wait()
        sent.append(clock.now)
    for i, t in enumerate(sent):
        assert sum(t <= u < t + 60 for u in sent[i:]) <= 30
    assert sent[29] == sent[0]  # the first 30 go at once
    assert sent[30] == pytest.approx(sent[0] + 60) and sent[-1] == pytest.approx(sent[0] + 180)


def test_the_client_paces_its_requests_and_adopts_a_stricter_policy():
    clock = Clock()
    with replay() as server:
        c = client(server, clock)
        for _ in range(31):
            c.v2_metadata("12134")
        assert clock.now - 1000 == pytest.approx(60)  # the 31st waited for the first to leave the window
        server.fail(200, {"x-ratelimit-policy": "10;w=60s"}, b"{}", when=lambda s: True, times=1)
        c.v2_metadata("12134")
    assert (c.limiter.per_minute, c.limiter.window) == (10, 60.0)


def test_v0_posts_item_filters_and_gets_the_same_cells():
    with replay() as server:
        c = client(server)
        meta, _ = c.v0_metadata("12134")
        doc, _, request = c.v0_data("12134", SELECTION)
    assert [v["code"] for v in meta["variables"]] == ["KOKkommuneregion0000", "ContentsCode", "Tid"]
    assert server.log[-1].method == "POST" and server.log[-1].path == "/api/v0/no/table/12134"
    assert server.log[-1].body == {
        "query": [
            {"code": "KOKkommuneregion0000", "selection": {"filter": "item", "values": ["5055", "EAKUO"]}},
            {"code": "ContentsCode", "selection": {"filter": "item", "values": ["KOSAGD230000"]}},
            {"code": "Tid", "selection": {"filter": "item", "values": ["2024", "2025"]}},
        ],
        "response": {"format": "json-stat2"},
    }
    assert request["body"] == server.log[-1].body
    assert values(doc)[("5055", 2025)] == truth("KOSAGD230000", "5055", 2025)


def test_klass_csv_comes_as_ssb_sends_it_in_latin_1():
    with replay() as server:
        raw = client(server).klass("classifications/131/codesAt", {"date": "2026-01-01"}, "text/csv")
    assert server.log[0].headers.get("Accept") == "text/csv"
    assert "Frøya".encode("iso-8859-1") in raw and "Frøya".encode() not in raw
    assert all(p in raw.decode("iso-8859-1") for p in PEERS)


def test_klass_csv_is_asked_for_in_utf_8_so_sami_names_arrive_exact():
    with replay() as server:
        raw = client(server).klass("classifications/131/codesAt", {"date": "2026-01-01"}, KLASS_CSV)
    assert server.log[0].headers.get("Accept") == "text/csv; charset=UTF-8"
    text = raw.decode("utf-8")
    assert all(f'"{code}",,"1","{name}"' in text for code, name in SAMI_NAMES.items()) and "?" not in text


def test_every_request_says_who_asks_even_on_a_session_that_has_its_own_user_agent():
    with replay() as server:
        client(server, session=requests.Session()).v2_metadata("12134")
        client(server).klass("classifications/104/codesAt", {"date": "2026-01-01"}, KLASS_CSV)
    agents = [s.headers.get("User-Agent", "") for s in server.log]
    assert len(agents) == 2 and all(a.startswith("heim-bms/") and "python-requests/" not in a for a in agents)


def test_a_json_stat_answer_with_a_byte_order_mark_is_read():
    with replay() as server:
        meta, _ = client(server).v2_metadata("12134")
        server.fail(200, body=b"\xef\xbb\xbf" + json.dumps(meta, ensure_ascii=False).encode("utf-8"))
        again, raw = client(server).v2_metadata("12134")
    assert raw.startswith(b"\xef\xbb\xbf") and again == meta


def test_a_klass_404_speaks_of_the_classification_and_date_not_of_a_table_number():
    with replay() as server, pytest.raises(SsbError) as e:
        client(server).klass("classifications/999/codesAt", {"date": "2026-01-01"})
    message = str(e.value)
    assert e.value.status == 404 and "SSB fant ikke Klass classifications/999/codesAt (HTTP 404)" in message
    assert "ssb.no/klass" in message and "tabellnummer" not in message and "statbank" not in message

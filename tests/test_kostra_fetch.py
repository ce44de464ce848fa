"""`bms fetch kostra` / `bms fetch klass` end to end: the real client against a local SSB, answers cached
under data/kostra/, loaded into the warehouse, and what a user sees on the way."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from dashboard.cli import main
from tests.conftest import SSB_FIXTURES
from tests.helpers import query
from tests.ssb_server import make_table
from tests.ssb_world import (
    PEERS,
    REGIONS,
    SAMI_NAMES,
    klass_codes_text,
    membership_spans,
    quick_settings,
    replay,
    truth,
)

KOSTRA_INDICATORS = {
    "netto_driftsresultat": "KOSAGD230000",
    "disposisjonsfond": "KOSKG210000",
    "langsiktig_gjeld": "KOSKG320000",
    "dekningsgrad_barnehage": "KOSandel150000",
    "barn_per_arsverk": "KOSbarnaav0000",
    "gruppestorrelse": "KOSgrstr20000",
}
YEARS = range(2021, 2026)


@pytest.fixture
def fetch_dir(data_dir: Path) -> Path:
    quick_settings(data_dir)
    return data_dir


def fetch(data_dir: Path, server, *args: str) -> int:
    return main(["fetch", *args, "--data-dir", str(data_dir), "--base-url", server.url])


def values(data_dir: Path, indicator: str) -> dict:
    rows = query(
        data_dir,
        "SELECT scope_code, year(period), value, status_symbol FROM indicator_values WHERE indicator_id = ?",
        [indicator],
    )
    return {(code, year): (value, symbol) for code, year, value, symbol in rows}


def cells_of(seen) -> int:
    """How many cells a GET data request asked for, from its valueCodes."""
    n = 1
    for key, codes in seen.params.items():
        if key.startswith("valueCodes["):
            n *= len(codes.split(","))
    return n


def expected(contents: str, regions: list[str]) -> dict:
    from tests.ssb_world import status

    return {(r, y): (truth(contents, r, y), status(contents, r, y)) for r in regions for y in YEARS}


def test_fetch_brings_every_kostra_indicator_for_heim_its_group_peers_county_and_country(fetch_dir, capsys):
    with replay() as server:
        assert fetch(fetch_dir, server, "kostra") == 0
    out, err = capsys.readouterr()
    # the group is EKG05 because Klass says so (the demo data's EKG02 appears nowhere here)
    wanted = ["5055", "EKG05", "EKA50", "EAKUO", *PEERS]
    for indicator, contents in KOSTRA_INDICATORS.items():
        assert values(fetch_dir, indicator) == expected(contents, wanted), indicator
    assert query(fetch_dir, "SELECT DISTINCT scope FROM indicator_values WHERE scope_code = '5055'") == [("kommune",)]
    # metadata first, then Klass, then data; progress on stderr, the summary on stdout
    kinds = [s.path.split("/")[-1] if "pxwebapi" in s.path else "klass" for s in server.log]
    assert kinds[:3] == ["metadata"] * 3 and kinds[-3:] == ["data"] * 3 and "klass" in kinds[3:-3]
    assert "henter metadata for tabell 12134" in err and "[1/3] tabell 12134: henter 150 celler" in err
    assert f"Hentet 11 svar fra SSB; 0 lå allerede i {fetch_dir / 'kostra'} og" in out
    assert "lastet   12134-" in out and "Publiserte datavarehus versjon" in out


def test_raw_answers_are_cached_with_their_query_and_updated_stamp(fetch_dir):
    with replay() as server:
        assert fetch(fetch_dir, server, "kostra") == 0
        sent = {s.raw_target for s in server.data_requests()}
    answers = sorted((fetch_dir / "kostra" / "12134").glob("12134-*.json"))
    answers = [a for a in answers if not a.name.endswith(".query.json") and "metadata" not in a.name]
    assert len(answers) == 1
    q = json.loads(answers[0].with_name(answers[0].stem + ".query.json").read_text(encoding="utf-8"))
    assert q["updated"] == "2026-06-15T06:00:00Z" and q["method"] == "GET" and q["cells"] == 150
    assert q["url"].replace("[", "%5B").replace("]", "%5D").endswith(next(t for t in sent if "12134" in t))
    assert q["selection"]["ContentsCode"] == ["KOSAGD230000", "KOSKG210000", "KOSKG320000"]
    assert json.loads(answers[0].read_bytes())["id"] == ["KOKkommuneregion0000", "ContentsCode", "Tid"]
    cached = (fetch_dir / "kostra" / "klass" / "131_codesAt_2026-01-01.csv").read_bytes()
    assert cached == klass_codes_text("131").encode("utf-8")  # asked for, and kept, in UTF-8


def test_an_interrupted_fetch_continues_without_fetching_again_what_is_cached(fetch_dir, capsys):
    quick_settings(fetch_dir, ssb_max_cells=40, ssb_retries=1)  # 10 regions × 1 content × 5 years = 50 > 40
    with replay() as server:
        state = {"data": 0}

        def after_four(seen) -> bool:
            if seen.path.endswith("/data"):
                state["data"] += 1
            return state["data"] > 4

        server.fail(503, when=after_four, times=-1)  # SSB goes down for its 08:00 update
        assert fetch(fetch_dir, server, "kostra") == 2
        first = server.data_requests()
    err = capsys.readouterr().err
    assert "Feil: SSB er utilgjengelig akkurat nå (HTTP 503)" in err and "hentes ikke på nytt" in err
    with replay() as server:
        assert fetch(fetch_dir, server, "kostra") == 0
        second = server.data_requests()
    got_through = {s.raw_target for s in first[:4]}
    assert got_through.isdisjoint(s.raw_target for s in second)  # what came through was not asked for again
    assert sum(map(cells_of, first[:4] + second)) == 10 * 5 * 6  # and together they are everything
    assert "allerede hentet" in capsys.readouterr().err
    assert values(fetch_dir, "netto_driftsresultat") == expected(
        "KOSAGD230000", ["5055", "EKG05", "EKA50", "EAKUO", *PEERS]
    )


def test_queries_are_split_to_stay_under_the_cell_limit(fetch_dir):
    quick_settings(fetch_dir, ssb_max_cells=40)
    with replay(max_cells=40) as server:  # the server refuses anything bigger, like SSB above 800 000
        assert fetch(fetch_dir, server, "kostra") == 0
        cells = [cells_of(s) for s in server.data_requests()]
    assert max(cells) <= 40 and sum(cells) == 10 * 5 * (3 + 2 + 1)  # 10 regions, 5 years, 6 contents
    assert len(values(fetch_dir, "langsiktig_gjeld")) == 10 * 5


def test_loading_works_offline_from_the_cache(fetch_dir, tmp_path):
    with replay() as server:
        assert fetch(fetch_dir, server, "kostra") == 0
    before = query(fetch_dir, "SELECT * FROM kostra_values ORDER BY ALL")
    fresh = tmp_path / "kopi"
    assert main(["init", "--data-dir", str(fresh)]) == 0
    shutil.copytree(fetch_dir / "kostra", fresh / "kostra")
    shutil.copy(fetch_dir / "settings.toml", fresh / "settings.toml")
    assert main(["load", "--data-dir", str(fresh)]) == 0  # no server running
    after = query(fresh, "SELECT * FROM kostra_values ORDER BY ALL")
    assert [r[:-1] for r in after] == [r[:-1] for r in before] and len(after) == 300
    assert query(fresh, "SELECT kostra_group FROM municipalities WHERE code = '5055'") == [("EKG05",)]
    assert main(["load", "--data-dir", str(fresh)]) == 0  # read once: nothing new the second time


def test_the_groups_are_read_from_klass_per_year(fetch_dir):
    groups = {"5055": [("EKG05", "2020-01-01", "2024-01-01"), ("EKG07", "2024-01-01", None)]}
    with replay(groups=groups) as server:
        assert fetch(fetch_dir, server, "kostra") == 0
        sent = server.data_requests()[0].params["valueCodes[KOKkommuneregion0000]"].split(",")
    assert "EKG05" in sent and "EKG07" in sent and "EKG02" not in sent
    rows = query(
        fetch_dir,
        "SELECT year, group_code, group_value FROM kostra_comparison "
        "WHERE indicator_id = 'netto_driftsresultat' AND scope = 'kommune' ORDER BY year",
    )
    assert rows == [
        (y, g, truth("KOSAGD230000", g, y)) for y, g in zip(YEARS, ["EKG05"] * 3 + ["EKG07"] * 2, strict=True)
    ]
    # five yearly answers, each repeating Klass's validity: one span per group, no empty or doubled spans
    spans = membership_spans(fetch_dir)
    assert spans["5055"] == [("EKG05", dt.date(2020, 1, 1), dt.date(2024, 1, 1)), ("EKG07", dt.date(2024, 1, 1), None)]


def test_group_membership_after_a_fetch_is_one_span_per_group_and_kommune(fetch_dir):
    with replay() as server:
        assert fetch(fetch_dir, server, "kostra") == 0
    assert len(list((fetch_dir / "kostra" / "klass").glob("131-112_correspondsAt_*.query.json"))) == 5
    spans = membership_spans(fetch_dir)
    assert spans == {
        "5055": [("EKG05", dt.date(2020, 1, 1), None)],
        **{p: [("EKG02", dt.date(2020, 1, 1), None)] for p in PEERS},
    }


def test_a_renumbered_peer_keeps_its_history_through_klass(fetch_dir):
    quick_settings(fetch_dir, peers=["3101"])
    changes = [("3001", "Halden", "3101", "Halden", "2024-01-01")]
    with replay(changes=changes) as server:
        assert fetch(fetch_dir, server, "kostra") == 0
        sent = server.data_requests()[0].params["valueCodes[KOKkommuneregion0000]"].split(",")
    assert "3001" in sent and "3101" in sent
    halden = {y: v for (code, y), (v, _) in values(fetch_dir, "netto_driftsresultat").items() if code == "3101"}
    assert halden == {y: truth("KOSAGD230000", "3001" if y < 2024 else "3101", y) for y in YEARS}
    assert query(fetch_dir, "SELECT name, valid_to FROM municipalities WHERE code = '3001'")[0][1].isoformat() == (
        "2023-12-31"
    )


def test_the_v0_api_asks_with_post_bodies_and_gives_the_same_figures(fetch_dir):
    quick_settings(fetch_dir, ssb_api="v0")
    with replay() as server:
        assert fetch(fetch_dir, server, "kostra") == 0
        posts = [s for s in server.log if s.path.startswith("/api/v0/") and s.method == "POST"]
        gets = [s for s in server.log if s.path.startswith("/api/v0/") and s.method == "GET"]
    assert len(gets) == 3 and len(posts) == 3
    body = next(p.body for p in posts if p.path.endswith("12255"))
    assert body["response"] == {"format": "json-stat2"}
    assert {q["code"]: q["selection"]["filter"] for q in body["query"]} == dict.fromkeys(
        ["KOKkommuneregion0000", "ContentsCode", "Tid"], "item"
    )
    assert values(fetch_dir, "gruppestorrelse") == expected(
        "KOSgrstr20000", ["5055", "EKG05", "EKA50", "EAKUO", *PEERS]
    )


def test_a_bookmarked_v0_query_from_ssbs_web_pages_runs_and_loads(fetch_dir):
    path = SSB_FIXTURES / "ssb_v0_query_export_07459.json"  # real: "API-spørring for denne tabellen"
    export = json.loads(path.read_text(encoding="utf-8"))
    codes = {"Region": ["0", "0301"], "Alder": ["000", "001"], "ContentsCode": ["Personer1"], "Tid": ["2024", "2025"]}
    table = {
        "class": "dataset",
        "label": "07459: Befolkning, etter region, alder, statistikkvariabel og år",
        "updated": "2026-02-20T07:00:00Z",
        "id": list(codes),
        "size": [len(c) for c in codes.values()],
        "dimension": {
            d: {
                "label": d.lower(),
                "category": {"index": {c: i for i, c in enumerate(cs)}, "label": {c: c for c in cs}},
            }
            for d, cs in codes.items()
        },
        "value": [float(i) for i in range(16)],
        "status": {},
        "role": {"time": ["Tid"], "metric": ["ContentsCode"]},
    }
    with replay() as server:
        server.tables["07459"] = table
        assert (
            main(["fetch", "kostra", "--query", str(path), "--data-dir", str(fetch_dir), "--base-url", server.url]) == 0
        )
        [post] = server.data_requests()
    assert post.path == "/api/v0/no/table/07459" and post.body == export["queryObj"]
    rows = query(
        fetch_dir,
        "SELECT region_code, dims->>'Alder', year, value FROM kostra_values WHERE table_id = '07459' ORDER BY ALL",
    )
    # Region 0 (vs:Landet), every age (an empty vs: list), every year: cells 0–3 of the table, row-major
    assert rows == [("0", "000", 2024, 0.0), ("0", "000", 2025, 1.0), ("0", "001", 2024, 2.0), ("0", "001", 2025, 3.0)]


def test_unreachable_ssb_is_a_norwegian_line_and_exit_code_2(fetch_dir, tmp_path, capsys):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    elsewhere = tmp_path / "annen-datamappe"
    assert main(["init", "--data-dir", str(elsewhere)]) == 0
    quick_settings(elsewhere, ssb_retries=5, ssb_backoff_seconds=2.0)  # a refused connection must not wait 62 s
    capsys.readouterr()
    code = main(["fetch", "kostra", "--data-dir", str(elsewhere), "--base-url", f"http://127.0.0.1:{port}"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"Feil: Får ikke kontakt med SSB (http://127.0.0.1:{port}): tilkoblingen ble avvist.")
    assert "Sjekk at adressen stemmer og at tjenesten der kjører." in last and "--base-url" not in last
    assert f"ligger i {elsewhere / 'kostra'} og hentes ikke på nytt" in last and "data/kostra/" not in last
    assert err.count("venter 1 s og prøver igjen") == 1  # one quick retry, not five growing waits


def test_a_content_code_ssb_no_longer_has_is_reported_and_the_rest_fetched(fetch_dir, capsys):
    catalogue = fetch_dir / "balansehandbok.csv"
    catalogue.write_bytes(catalogue.read_bytes().replace(b"12255/KOSgrstr20000", b"12255/KOSgrstr10000"))
    with replay() as server:
        assert fetch(fetch_dir, server, "kostra") == 1
    out = capsys.readouterr().out
    assert "merk: tabell 12255 har ikke innholdskoden KOSgrstr10000" in out
    assert len(values(fetch_dir, "netto_driftsresultat")) == 50 and values(fetch_dir, "gruppestorrelse") == {}


def test_every_catalogue_code_is_checked_against_the_metadata_before_anything_else(fetch_dir, capsys):
    catalogue = fetch_dir / "balansehandbok.csv"
    catalogue.write_bytes(catalogue.read_bytes().replace(b"12134/KOSKG320000", b"12134/KOSfinnesikke0"))
    with replay() as server:
        assert fetch(fetch_dir, server, "kostra") == 1
        paths = [seen.path for seen in server.log]
    out = capsys.readouterr().out
    assert (
        "indikatoren langsiktig_gjeld har kilde_ref 12134/KOSfinnesikke0, men SSBs tabell 12134 har ingen "
        "innholdskode KOSfinnesikke0" in out
    ), out
    # the metadata of every catalogue table was read before Klass or any data was asked for
    first_other = next(i for i, p in enumerate(paths) if "metadata" not in p and "/api/v0/no/table/" not in p)
    assert all("klass" not in p and not p.endswith("/data") for p in paths[:first_other])
    assert values(fetch_dir, "langsiktig_gjeld") == {} and values(fetch_dir, "netto_driftsresultat")


def test_fetch_klass_alone_loads_municipalities_counties_and_groups(fetch_dir):
    with replay() as server:
        assert fetch(fetch_dir, server, "klass") == 0
        assert all("klass" in s.path for s in server.log)
    rows = query(
        fetch_dir,
        "SELECT code, name, county_code, county_name, kostra_group FROM municipalities WHERE code IN ('5055', '5014')",
    )
    assert sorted(rows) == [
        ("5014", "Frøya", "50", "Trøndelag - Trööndelage", "EKG02"),
        ("5055", "Heim", "50", "Trøndelag - Trööndelage", "EKG05"),
    ]
    assert REGIONS["EKA50"] == query(fetch_dir, "SELECT name FROM municipalities WHERE code = 'EKA50'")[0][0]
    sami = dict(query(fetch_dir, "SELECT code, name FROM municipalities WHERE code IN ('1853', '5610')"))
    assert sami == SAMI_NAMES  # not «Evená??i»: the code list came in UTF-8


def test_a_year_klass_has_no_kostra_grouping_for_is_reported_and_the_fetch_goes_on(fetch_dir, capsys):
    quick_settings(fetch_dir, kostra_years="2019-2025")
    with replay() as server:
        # Klass has no 131 → 112 correspondence before 2020 and answers 404, as the real one does
        server.fail(
            404,
            body=json.dumps({"error": "Not Found", "message": "no correspondence table found"}).encode(),
            when=lambda s: s.path.endswith("/correspondsAt") and s.params.get("date", "") < "2020",
            times=-1,
        )
        assert fetch(fetch_dir, server, "kostra") == 0
        asked = {s.params.get("date") for s in server.log if s.path.endswith("/correspondsAt")}
    out = capsys.readouterr().out
    assert "2019-01-01" in asked and "Klass har ingen KOSTRA-gruppering (131 → 112) for 2019-01-01" in out
    assert "fant ikke KOSTRA-gruppen" not in out
    got = dict(
        query(
            fetch_dir,
            "SELECT year(period), value FROM indicator_values "
            "WHERE indicator_id = 'netto_driftsresultat' AND scope_code = '5055'",
        )
    )
    assert got == {y: truth("KOSAGD230000", "5055", y) for y in range(2019, 2026)}
    groups = dict(
        query(
            fetch_dir,
            "SELECT year, group_code FROM kostra_comparison "
            "WHERE indicator_id = 'netto_driftsresultat' AND scope = 'kommune'",
        )
    )
    assert groups[2019] is None and {groups[y] for y in range(2020, 2026)} == {"EKG05"}


@pytest.mark.parametrize("api", ["v2", "v0"])
def test_march_figures_are_preliminary_until_ssb_publishes_the_june_revision(fetch_dir, capsys, api):
    quick_settings(fetch_dir, ssb_api=api)
    with replay(updated="2026-03-13T07:00:00Z") as server:  # 08:00 Norwegian time
        assert fetch(fetch_dir, server, "kostra") == 0
    vintage = dict(
        query(
            fetch_dir,
            "SELECT year(period), vintage FROM indicator_values WHERE indicator_id = 'netto_driftsresultat' "
            "AND scope_code = '5055'",
        )
    )
    assert vintage[2025] == "foreløpige tall per 13.03.2026" and vintage[2024] == "endelige tall per 13.03.2026"
    shown = query(fetch_dir, "SELECT vintage FROM scorecard_latest WHERE indicator_id = 'netto_driftsresultat'")
    assert shown == [("foreløpige tall per 13.03.2026",)]
    assert main(["status", "--data-dir", str(fetch_dir)]) == 0
    assert "tabell 12134: 2021–2025, foreløpige tall per 13.03.2026 for 2025" in capsys.readouterr().out
    with replay(updated="2026-03-13T07:00:00Z") as server:  # nothing new at SSB: nothing fetched again
        assert fetch(fetch_dir, server, "kostra") == 0
    assert "Hentet 0 svar fra SSB" in capsys.readouterr().out
    with replay(updated="2026-06-15T06:00:00Z") as server:  # the table was updated since: fetched again
        assert fetch(fetch_dir, server, "kostra") == 0
    out, err = capsys.readouterr()
    assert "Hentet 3 svar fra SSB" in out
    if api == "v0":  # v0 metadata has no `updated`: a one-cell data answer says it
        assert "tabell 12134: spør SSB når tabellen sist ble oppdatert" in err
    assert query(
        fetch_dir,
        "SELECT DISTINCT vintage_text FROM kostra_values WHERE year = 2025 AND region_code = '5055'",
    ) == [("endelige tall per 15.06.2026",)]
    assert query(
        fetch_dir,
        "SELECT DISTINCT vintage FROM indicator_values WHERE indicator_id = 'netto_driftsresultat' "
        "AND year(period) = 2025 AND scope_code = '5055'",
    ) == [("endelige tall per 15.06.2026",)]


def test_changed_peers_in_the_settings_rebuild_the_comparison_without_new_files(fetch_dir, capsys):
    with replay() as server:
        assert fetch(fetch_dir, server, "kostra") == 0
    quick_settings(fetch_dir, peers=["5056", "5014"])
    capsys.readouterr()
    assert main(["load", "--data-dir", str(fetch_dir)]) == 0
    assert "Publiserte datavarehus versjon" in capsys.readouterr().out
    rows = query(
        fetch_dir,
        "SELECT peer_count, [p.code FOR p IN peers] FROM kostra_comparison WHERE indicator_id = 'langsiktig_gjeld' "
        "AND year = 2025 AND scope = 'kommune'",
    )
    assert rows == [(2, ["5014", "5056"])]


def test_a_reference_to_another_dimension_fetches_and_matches_only_that_code(fetch_dir):
    catalogue = fetch_dir / "balansehandbok.csv"
    row = (
        "netto_laanegjeld;Netto lånegjeld per innbygger;Økonomi;Netto lånegjeld i kroner per innbygger.;;lavere;kr;0;"
        "KOSTRA;12137/KOSbelopprinnb0000:KOKartkap0000=KG31;kommune;;;;Økonomisjef;;;;;år;\r\n"
    )
    catalogue.write_bytes(catalogue.read_bytes() + row.encode("utf-8"))
    table = make_table(
        "12137",
        REGIONS,
        {"KOSbelopprinnb0000": ("Beløp per innbygger (kr)", "kr", 0)},
        list(range(2019, 2026)),
        lambda c, r, y, KOKartkap0000: 1000.0 * y + (31 if KOKartkap0000 == "KG31" else 32),  # noqa: N803
        extra={"KOKartkap0000": ["KG31", "KG32"]},
    )
    with replay() as server:
        server.tables["12137"] = table
        assert fetch(fetch_dir, server, "kostra") == 0
        [request] = [s for s in server.data_requests() if "12137" in s.path]
    assert request.params["valueCodes[KOKartkap0000]"] == "KG31"
    got = values(fetch_dir, "netto_laanegjeld")
    assert len(got) == 50 and got[("5055", 2025)] == (2_025_031.0, None)


def test_a_peer_given_by_its_older_number_is_compared_under_todays_and_an_unknown_one_is_named(fetch_dir, capsys):
    quick_settings(fetch_dir, peers=["3001", "5012", "5056"])  # Halden's old number, Snillfjord (gone 2020), Hitra
    changes = [("3001", "Halden", "3101", "Halden", "2024-01-01")]
    with replay(changes=changes) as server:
        assert fetch(fetch_dir, server, "kostra") == 0
        sent = server.data_requests()[0].params["valueCodes[KOKkommuneregion0000]"].split(",")
    out = capsys.readouterr().out
    assert "3001" in sent and "3101" in sent
    [(peers, peer_count)] = query(
        fetch_dir,
        "SELECT [p.code FOR p IN peers], peer_count FROM kostra_comparison WHERE indicator_id = 'langsiktig_gjeld' "
        "AND year = 2025 AND scope = 'kommune'",
    )
    assert peers == ["3101", "5056"] and peer_count == 2  # Halden under today's number, not vanished
    renumbered = (
        "sammenligningskommune 3001 (Halden) har fått nytt kommunenummer og sammenlignes som 3101 (Halden); "
        "skriv 3101 i peers i settings.toml"
    )
    unknown = "sammenligningskommune 5012 er ikke et kommunenummer i bruk i dag ifølge Klass"
    assert f"merk: {renumbered}" in out and unknown in out  # in the load summary
    assert main(["status", "--data-dir", str(fetch_dir)]) == 0
    status = capsys.readouterr().out
    assert f"Merk:\n  {renumbered}\n  {unknown}" in status


def test_rank_of_is_empty_when_heim_has_no_figure(fetch_dir, monkeypatch):
    from tests import ssb_world

    monkeypatch.setitem(ssb_world.SUPPRESSED, ("KOSKG320000", "5055", 2023), ":")
    with replay() as server:
        assert fetch(fetch_dir, server, "kostra") == 0
    rows = query(
        fetch_dir,
        "SELECT year, value, status_symbol, rank, rank_of, peer_count FROM kostra_comparison "
        "WHERE indicator_id = 'langsiktig_gjeld' AND scope = 'kommune' AND year IN (2023, 2024) ORDER BY year",
    )
    assert rows[0] == (2023, None, ":", None, None, 6)
    assert rows[1][4] == 7 and rows[1][3] is not None


def test_metadata_ssb_cannot_have_meant_is_a_norwegian_line_not_a_crash(fetch_dir, capsys):
    broken = json.dumps({"class": "dataset", "id": ["Tid"], "size": [2], "dimension": {}, "value": []}).encode()
    with replay() as server:
        server.fail(200, body=broken, when=lambda s: s.path.endswith("/metadata"), times=-1)
        assert fetch(fetch_dir, server, "kostra") == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("Feil: SSB svarte med metadata for tabell 12134 (v2) som ikke kan leses: dimensjonen «Tid»")


def test_an_old_number_ssbs_tables_still_name_but_klass_cannot_map_is_named_too(fetch_dir, capsys):
    quick_settings(fetch_dir, peers=["3001", "5056"])  # no change list: 3001 is only in SSB's table (with ".")
    with replay() as server:
        assert fetch(fetch_dir, server, "kostra") == 0
    assert query(fetch_dir, "SELECT count(*) > 0 FROM kostra_values WHERE region_code = '3001'") == [(True,)]
    out = capsys.readouterr().out
    assert "merk: sammenligningskommune 3001 (Halden (2020-2023)) er ikke et kommunenummer i bruk i dag" in out

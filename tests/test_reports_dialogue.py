"""Reports with what people wrote (issue 9 with the dialogue store): the leaders' vurderinger, the tiltak with
their status and the ledersamtale's points appear in the report, and the role rules decide which units."""

from __future__ import annotations

from pathlib import Path

from docx import Document

from dashboard import dialogue_store
from dashboard.cli import main as bms
from dashboard.store import AppStore
from tests.dash_calls import call
from tests.helpers import query, signed_in_client

YEAR = 2025


def test_vurderinger_tiltak_and_ledersamtale_points_fill_the_report(demo_copy: Path, tmp_path: Path):
    store = AppStore.for_data_dir(demo_copy)
    period = query(
        demo_copy,
        "SELECT max(period) FROM scorecard WHERE scope = 'enhet' AND scope_code = 'E41' "
        "AND indicator_id = 'sykefravaer' AND year = ?",
        [YEAR],
    )[0][0]
    dialogue_store.save_vurdering(
        store, "sykefravaer", "E41", str(period), "Fraværet går ned etter nærværsarbeidet.", "test-radmann"
    )
    dialogue_store.add_tiltak(
        store,
        "E41",
        "Nærværsprosjekt i hjemmetjenesten",
        ["sykefravaer"],
        "Enhetsleder",
        "31.12.2026",
        "pågår",
        "test-radmann",
    )
    dialogue_store.save_ledersamtale(
        store, "E41", YEAR, "Godt samarbeid i turnus", "Flere i heltid", [], "test-radmann"
    )
    out = tmp_path / "leder.docx"
    assert (
        bms(
            [
                "report",
                "ledersamtale",
                "--year",
                str(YEAR),
                "--unit",
                "E41",
                "--output",
                str(out),
                "--data-dir",
                str(demo_copy),
            ]
        )
        == 0
    )
    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert "Sykefravær totalt, Hjemmetjenesten: Fraværet går ned etter nærværsarbeidet. (test-radmann" in text
    action = "Nærværsprosjekt i hjemmetjenesten – pågår (Hjemmetjenesten; ansvarlig Enhetsleder; frist 31.12.2026)"
    assert action in text
    assert "Godt samarbeid i turnus" in text and "Flere i heltid" in text
    assert "ikke tilgjengelige ennå" not in text


def test_a_leader_cannot_download_another_units_report(demo_dir: Path):
    from dashboard.app import create_app

    app = create_app(demo_dir)
    client = signed_in_client(app, "test-leder-E21", "leder", ["E21"])
    values = {
        "rap-make.n_clicks": 1,
        "rap-kind.value": "ledersamtale",
        "rap-year.value": YEAR,
        "rap-tertial.value": "",
        "rap-area.value": "",
        "rap-format.value": "xlsx",
    }
    refused = call(client, "rap-download.data", {**values, "rap-unit.value": "E22"})
    assert refused.status_code == 200 and "ikke tilgang" in refused.get_data(as_text=True)
    assert '"filename"' not in refused.get_data(as_text=True)
    own = call(client, "rap-download.data", {**values, "rap-unit.value": "E21"})
    assert '"filename": "ledersamtale-2025-e21.xlsx"' in own.get_data(as_text=True).replace('":"', '": "')


def test_a_leaders_whole_kommune_decisions_report_lists_only_what_the_leader_may_see(demo_dir: Path):
    """The vedtaksrapport for the whole kommune, asked for by a leader: the vedtak of the leader's unit and those
    of no unit, as the dashboard's vedtak table shows them, never another unit's."""
    import base64
    import io

    from openpyxl import load_workbook

    from dashboard.app import create_app

    client = signed_in_client(create_app(demo_dir), "test-leder-E21", "leder", ["E21"])
    values = {
        "rap-make.n_clicks": 1,
        "rap-kind.value": "vedtaksrapport",
        "rap-year.value": YEAR,
        "rap-tertial.value": "",
        "rap-area.value": "",
        "rap-unit.value": "",
        "rap-format.value": "xlsx",
    }
    got = call(client, "rap-download.data", values).get_json()["response"]["rap-download"]["data"]
    book = load_workbook(io.BytesIO(base64.b64decode(got["content"])))
    names = dict(query(demo_dir, "SELECT unit_id, name FROM units"))
    listed = set()
    for sheet in book.sheetnames[1:]:
        rows = list(book[sheet].iter_rows(min_row=2, values_only=True))
        column = rows[0].index("Ansvarlig enhet")
        listed |= {r[column] for r in rows[1:] if r[1]}
    assert listed and listed <= {names["E21"], "–"}, listed
    every = {n for (n,) in query(demo_dir, "SELECT DISTINCT u.name FROM decisions d JOIN units u USING (unit_id)")}
    assert len(every) > 1  # the demo has other units' vedtak: the report left them out

"""The json-stat2 reader against SSB's real answers: every cell, value and status symbol as SSB sent it.

Expected cells are computed here the slow, obvious way (itertools.product over the categories in index
order, the flat index counting up row-major), never through the reader's own arithmetic."""

from __future__ import annotations

import copy
import json
import math
from itertools import product

import pytest

from etl.errors import FileRejected
from etl.load import load
from etl.read.reader import read_file
from etl.settings import load_settings
from etl.ssb.jsonstat import kostra_frame, read_jsonstat
from tests.conftest import SSB_FIXTURES
from tests.helpers import query

FIXTURES = {
    "12367": "ksanalyse_12367_regnskap_jsonstat2.json",
    "12191": "ksanalyse_12191_kommunehelse_jsonstat2.json",
    "08655": "ksanalyse_08655_byggekostnad_jsonstat2.json",
}


def fixture(table: str) -> dict:
    return json.loads((SSB_FIXTURES / FIXTURES[table]).read_text(encoding="utf-8"))


def slow_cells(doc: dict) -> set[tuple]:
    """(codes in `id` order…, value, status) for every cell, the obvious way."""
    ordered = []
    for d in doc["id"]:
        index = doc["dimension"][d]["category"]["index"]
        ordered.append(sorted(index, key=index.get) if isinstance(index, dict) else list(index))
    status = doc.get("status") or {}
    out = set()
    for i, combo in enumerate(product(*ordered)):
        value = doc["value"][i]
        out.add((*combo, value, status.get(str(i))))
    return out


def read_cells(doc: dict) -> set[tuple]:
    frame = read_jsonstat(doc)
    rows = zip(*(frame[d].astype(str) for d in doc["id"]), frame["value"], frame["status"], strict=True)
    return {
        (*codes, None if math.isnan(v) else (int(v) if float(v).is_integer() else v), None if s != s else s)
        for *codes, v, s in rows
    }


@pytest.mark.parametrize("table", ["12367", "12191"])
def test_the_reader_reproduces_ssbs_real_kostra_answers_cell_for_cell(table):
    doc = fixture(table)
    expected = slow_cells(doc)
    assert len(expected) == math.prod(doc["size"])
    assert read_cells(doc) == expected


def test_the_real_answers_hold_nulls_and_status_symbols_that_stay_missing():
    doc = fixture("12367")
    frame = read_jsonstat(doc)
    assert frame["value"].isna().sum() == sum(v is None for v in doc["value"]) == 485
    assert frame["status"].value_counts().to_dict() == {".": 400, ":": 85}
    assert not (frame["value"].notna() & frame["status"].notna()).any()  # a symbol is never a number (0)


def test_category_index_as_array_sparse_values_and_status_as_a_list_read_the_same():
    doc = fixture("12191")
    variant = copy.deepcopy(doc)
    for d in variant["id"]:  # index as an array of codes instead of an object
        index = variant["dimension"][d]["category"]["index"]
        variant["dimension"][d]["category"]["index"] = sorted(index, key=index.get)
    variant["value"] = {str(i): v for i, v in enumerate(doc["value"]) if v is not None}  # sparse object
    variant["status"] = [doc["status"].get(str(i)) for i in range(len(doc["value"]))]  # one entry per cell
    assert read_cells(variant) == read_cells(doc)


def test_kostra_rows_carry_table_region_year_units_other_dimensions_and_updated():
    frame = kostra_frame(fixture("12367"))
    assert set(frame["table_id"]) == {"12367"}
    assert set(frame["region_code"]) == {"EAK", "EAKUO", "3001", "EKG16", "EKG17"}
    assert set(frame["unit"]) == {"1000 kr"} and set(frame["decimals"]) == {0}
    assert set(frame["updated"]) == {"2021-06-13T22:00:00Z"}
    row = frame[(frame["region_code"] == "3001") & (frame["time_code"] == "2019")].iloc[0]
    assert row["region_name"] == "Halden" and row["year"] == 2019
    assert json.loads(row["dims"]) == {"KOKregnskapsomfa0000": "A", "KOKfunksjon0000": "100", "KOKart0000": "AGD4"}
    assert row["dims_key"] == "KOKregnskapsomfa0000=A,KOKfunksjon0000=100,KOKart0000=AGD4"
    # 12191 puts the contents first; the region is still found, and there are no other dimensions
    other = kostra_frame(fixture("12191"))
    assert set(other["dims"]) == {"{}"} and "3039" in set(other["region_code"])
    assert set(other["unit"]) >= {"antall", "årsverk"}


def test_a_monthly_table_without_regions_keeps_its_month_codes_and_labels():
    frame = kostra_frame(fixture("08655"))
    assert frame["region_code"].isna().all()
    assert list(frame["time_code"].unique()[:2]) == ["1978M01", "1978M02"] and frame["year"].min() == 1978
    assert "Byggjekostnadsindeks" in set(frame["contents_label"])  # nynorsk label as SSB wrote it
    assert frame["status"].value_counts().to_dict() == {"..": 25}


def test_a_broken_answer_is_refused_with_a_norwegian_reason(tmp_path):
    doc = fixture("12191")
    doc["value"] = doc["value"][:-1]
    path = tmp_path / "12191.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(FileRejected) as e:
        read_file(path, 10**8, 10**8)
    assert "«value» har 134 verdier, men dimensjonene gir 135 celler" in e.value.report()
    other = tmp_path / "annet.json"
    other.write_text('{"hei": 1}', encoding="utf-8")
    with pytest.raises(FileRejected, match="verken et json-stat2-svar fra SSB eller en kodeliste fra Klass") as e:
        read_file(other, 10**8, 10**8)


def test_real_answers_dropped_in_the_inbox_load_into_kostra_values_with_their_symbols(data_dir):
    for table in ("12367", "12191"):
        (data_dir / "inbox" / FIXTURES[table]).write_bytes((SSB_FIXTURES / FIXTURES[table]).read_bytes())
    assert not load(load_settings(data_dir)).rejected
    counts = dict(query(data_dir, "SELECT table_id, count(*) FROM kostra_values GROUP BY 1"))
    assert counts == {"12367": 1250, "12191": 135}
    symbols = query(
        data_dir,
        "SELECT status, count(*), count(value), any_value(status_meaning) FROM kostra_values "
        "WHERE table_id = '12367' AND status IS NOT NULL GROUP BY 1 ORDER BY 1",
    )
    assert symbols == [(".", 400, 0, "ikke mulig å oppgi tall"), (":", 85, 0, "vises ikke av konfidensialitetshensyn")]
    halden = query(
        data_dir,
        "SELECT value, dims->>'KOKfunksjon0000', vintage, vintage_text FROM kostra_values WHERE table_id = '12367' "
        "AND region_code = '3001' AND year = 2020 AND dims_key = 'KOKregnskapsomfa0000=A,KOKfunksjon0000=120,"
        "KOKart0000=AGD4'",
    )
    # Halden (3001, a kommune from 2020) is the third region: position (2, 0, 2, 0, 0, 4), counted row-major
    doc, flat = fixture("12367"), 0
    for position, size in zip((2, 0, 2, 0, 0, 4), doc["size"], strict=True):
        flat = flat * size + position
    assert doc["value"][flat] == 100195
    assert halden == [(100195.0, "120", "endelige", "endelige tall per 14.06.2021")]


def _set(path: str, value: object):
    """A change to a fixture: set the member at a dotted path (`dimension.Tid.category.index`)."""

    def change(doc: dict) -> None:
        *parents, last = path.split(".")
        for key in parents:
            doc = doc[key]
        doc[last] = value

    return change


def _drop(path: str):
    def change(doc: dict) -> None:
        *parents, last = path.split(".")
        for key in parents:
            doc = doc[key]
        del doc[last]

    return change


def _index_12191(doc: dict) -> dict:
    return doc["dimension"]["ContentsCode"]["category"]["index"]


# (fixture, change, what the refusal must say): every assumption the reader makes, broken one at a time.
BROKEN = {
    "status key not a cell number": ("12191", _set("status", {"x": "."}), "«status» har nøkkelen «x», som ikke er"),
    "status key negative": ("12191", _set("status", {"-1": "."}), "«status» har nøkkelen «-1»"),
    "status key not whole": ("12191", _set("status", {"1.5": ":"}), "«status» har nøkkelen «1.5»"),
    "status key beyond the cells": ("12191", _set("status", {"135": "."}), "cellenummer (0–134)"),
    "status symbol not text": ("12191", _set("status", {"0": 1}), "et symbol skal være tekst"),
    "status list of the wrong length": ("12191", _set("status", [".", ".", "."]), "«status» har 3 oppføringer"),
    "status a number": ("12191", _set("status", 5), "«status» skal være et objekt, en liste eller ett symbol"),
    "sparse value beyond the cells": ("12191", _set("value", {"0": 1, "500": 2}), "«value» har nøkkelen «500»"),
    "sparse value key not a number": ("12191", _set("value", {"a": 1}), "«value» har nøkkelen «a»"),
    "value as text": ("12191", lambda d: d["value"].__setitem__(2, "12"), 'ikke er et tall i celle 2: "12"'),
    "value true": ("12191", lambda d: d["value"].__setitem__(4, True), "ikke er et tall i celle 4: true"),
    "value an object": ("12191", lambda d: d["value"].__setitem__(4, {"v": 1}), "ikke er et tall i celle 4"),
    "value NaN": ("12191", lambda d: d["value"].__setitem__(4, float("nan")), "NaN eller Infinity"),
    "value Infinity": ("12367", lambda d: d["value"].__setitem__(0, float("inf")), "NaN eller Infinity"),
    "value too short": ("12191", lambda d: d["value"].pop(), "«value» har 134 verdier, men dimensjonene gir 135"),
    "value not a list": ("12191", _set("value", "1 2 3"), "«value» skal være en liste eller et objekt"),
    "value missing": ("12191", _drop("value"), "«value» (tallene) mangler"),
    "id missing": ("12191", _drop("id"), "«id» mangler"),
    "size missing": ("12367", _drop("size"), "«size» mangler"),
    "dimension missing": ("12191", _drop("dimension"), "«dimension» (beskrivelsen av dimensjonene) mangler"),
    "id a string": ("12191", _set("id", "Tid"), "«id» skal være en liste med navnene på dimensjonene"),
    "id twice": ("12191", _set("id", ["ContentsCode", "ContentsCode", "Tid"]), "«ContentsCode» står flere ganger"),
    "size and id of different length": ("12191", _set("size", [5, 9]), "«id» har 3 dimensjoner, men «size» har 2"),
    "size not whole numbers": ("12191", _set("size", ["5", 9, 3]), "«size» skal være en liste med hele tall"),
    "size zero": ("12191", _set("size", [0, 9, 3]), "«ContentsCode» har «size» 0"),
    "size not matching the categories": ("12191", _set("size", [6, 9, 3]), "har 5 kategorier, men «size» sier 6"),
    "dimension not described": ("12191", _drop("dimension.Tid"), "«Tid» er nevnt i «id», men ikke beskrevet"),
    "category missing": ("12367", _drop("dimension.KOKart0000.category"), "«KOKart0000» mangler «category»"),
    "index position twice": (
        "12191",
        lambda d: _index_12191(d).update(KOShjemmebesokjo0000=0),
        "ugyldig posisjon for kategorien «KOShjemmebesokjo0000» (0)",
    ),
    "index position out of range": (
        "12191",
        lambda d: _index_12191(d).update(KOSavtalehjemler0001=9),
        "posisjonene skal være 0–4, hver én gang",
    ),
    "index position as text": ("12191", lambda d: _index_12191(d).update(KOSavtalehjemler0001="0"), '("0")'),
    "index list with a code twice": (
        "12367",
        _set("dimension.Tid.category.index", ["2015", "2016", "2017", "2019", "2019"]),
        "«Tid» har kategorien «2019» flere ganger",
    ),
    "index list with a null": (
        "12367",
        _set("dimension.Tid.category.index", ["2015", None, "2017", "2019", "2020"]),
        "«Tid» har en kategori som ikke er en kode: null",
    ),
    "index a string": ("12191", _set("dimension.Tid.category.index", "2018"), "skal være en liste eller et objekt"),
    "labels a list": ("12191", _set("dimension.Tid.category.label", ["2018"]), "«category.label» skal være et objekt"),
    "decimals as text": (
        "12191",
        _set("dimension.ContentsCode.category.unit.KOSergoaarsverk0000.decimals", "1"),
        'antall desimaler for «KOSergoaarsverk0000» er "1", ikke et helt tall',
    ),
    "unit not an object": ("12191", _set("dimension.ContentsCode.category.unit", "antall"), "«category.unit»"),
    "updated not a time": ("12191", _set("updated", "i går"), '«updated» er "i går", ikke et tidspunkt'),
    "updated a number": ("12367", _set("updated", 20210613), "«updated» er 20210613"),
    "updated an impossible date": ("12191", _set("updated", "2021-13-45T00:00:00Z"), '«updated» er "2021-13-45'),
    "role a string": ("12191", _set("role", "Tid"), "«role» skal være et objekt"),
    "extension a list": ("12367", _set("extension", []), "«extension» skal være et objekt"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_every_broken_variant_of_a_real_answer_is_refused_saying_what_is_wrong(tmp_path, case):
    table, change, says = BROKEN[case]
    doc = fixture(table)
    change(doc)
    path = tmp_path / f"{table}.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(FileRejected) as e:
        read_file(path, 10**8, 10**8)
    report = e.value.report()
    assert says in report, report
    assert "json-stat2-svaret kan ikke leses" in report and "Hent svaret på nytt med «bms fetch kostra»" in report


def test_a_document_describing_more_cells_than_the_reader_takes_is_refused_before_any_is_made(tmp_path, monkeypatch):
    from etl.ssb import jsonstat

    monkeypatch.setattr(jsonstat, "MAX_CELLS", 100)  # 135 cells in 12191; a sparse «value» costs nothing to write
    doc = fixture("12191")
    doc["value"] = {}
    path = tmp_path / "12191.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(FileRejected, match="dimensjonene gir 135 celler; leseren tar høyst 100"):
        read_file(path, 10**8, 10**8)


def test_random_damage_to_a_real_answer_is_read_or_refused_never_a_crash(tmp_path):
    """Seeded fuzzing: replace one member anywhere in the document with a value of another JSON type."""
    import random

    rng = random.Random(5055)
    junk = [None, True, -1, 0, 10**30, 1.5, "", ".", "x", [], [None], {}, {"0": "."}, {"-3": 1}]

    def members(node: object, path: tuple = ()):
        yield path
        if isinstance(node, dict):
            for k, v in node.items():
                yield from members(v, (*path, k))
        elif isinstance(node, list):
            for i, v in enumerate(node[:8]):
                yield from members(v, (*path, i))

    for table in ("12191", "12367"):
        paths = [p for p in members(fixture(table)) if p]
        for _ in range(150):
            doc = fixture(table)
            *parents, last = rng.choice(paths)
            node = doc
            for key in parents:
                node = node[key]
            node[last] = rng.choice(junk)
            path = tmp_path / f"{table}.json"
            path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
            try:
                read_file(path, 10**8, 10**8)
            except FileRejected as e:
                assert "Slik retter du det" in e.report()


def test_broken_answers_are_refused_one_by_one_and_the_rest_of_the_batch_loads(data_dir, capsys):
    from dashboard.cli import main

    inbox = data_dir / "inbox"
    for i, case in enumerate(["status key not a cell number", "sparse value beyond the cells", "updated not a time"]):
        table, change, _ = BROKEN[case]
        doc = fixture(table)
        change(doc)
        (inbox / f"{i}_ødelagt_{table}.json").write_text(json.dumps(doc), encoding="utf-8")
    for table in ("12367", "12191"):
        (inbox / FIXTURES[table]).write_bytes((SSB_FIXTURES / FIXTURES[table]).read_bytes())
    assert main(["load", "--data-dir", str(data_dir)]) == 1  # refused files: 1, never 3 (an unexpected fault)
    out = capsys.readouterr().out
    assert out.count("AVVIST") == 3 and "Publiserte datavarehus versjon" in out
    reports = sorted((data_dir / "rejected").glob("*.feil.txt"))
    assert [r.name.split("_", 1)[1] for r in reports] == [
        "0_ødelagt_12191.json.feil.txt",
        "1_ødelagt_12191.json.feil.txt",
        "2_ødelagt_12191.json.feil.txt",
    ]
    assert "«status» har nøkkelen «x»" in reports[0].read_text(encoding="utf-8")
    counts = dict(query(data_dir, "SELECT table_id, count(*) FROM kostra_values GROUP BY 1"))
    assert counts == {"12367": 1250, "12191": 135}
    assert not list(inbox.iterdir())


@pytest.mark.parametrize(
    ("name", "says", "fix"),
    [
        (
            "ssb_v2_metadata_05300_redacted.json",
            "metadata for tabell 05300 fra SSBs PxWebApi v2",
            "Metadata lastes ikke. Tallene hentes med «bms fetch kostra»",
        ),
        ("ssb_v0_table_metadata_05300.json", "metadata fra SSBs PxWebApi v0", "Metadata lastes ikke."),
        ("ssb_v2_table_05300.json", "tabellinformasjon for tabell 05300 fra SSBs PxWebApi v2", "«bms fetch kostra»"),
        (
            "ssb_v0_query_export_07459.json",
            "en lagret spørring fra SSBs statistikkbank («API-spørring for denne tabellen», tabell 07459)",
            "Kjør spørringen med «bms fetch kostra --query ssb_v0_query_export_07459.json»",
        ),
    ],
)
def test_ssb_json_that_holds_no_figures_is_refused_as_what_it_is(tmp_path, name, says, fix):
    path = tmp_path / name
    path.write_bytes((SSB_FIXTURES / name).read_bytes())
    with pytest.raises(FileRejected) as e:
        read_file(path, 10**8, 10**8)
    assert says in e.value.report() and fix in e.value.report()

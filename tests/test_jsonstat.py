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
from etl.loader import load
from etl.reader import read_file
from etl.settings import load_settings
from etl.sources.jsonstat import kostra_frame, read_jsonstat
from tests.conftest import SHARED_SSB
from tests.helpers import query

FIXTURES = {
    "12367": "ksanalyse_12367_regnskap_jsonstat2.json",
    "12191": "ksanalyse_12191_kommunehelse_jsonstat2.json",
    "08655": "ksanalyse_08655_byggekostnad_jsonstat2.json",
}


def fixture(table: str) -> dict:
    return json.loads((SHARED_SSB / FIXTURES[table]).read_text(encoding="utf-8"))


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
        (data_dir / "inbox" / FIXTURES[table]).write_bytes((SHARED_SSB / FIXTURES[table]).read_bytes())
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

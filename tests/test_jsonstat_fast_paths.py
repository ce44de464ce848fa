"""The json-stat2 reader's vectorised paths (issue 10) against the obvious way: decoding with or without a
byte-order mark, status symbols sparse or one per cell, many symbols, wide and single-category dimensions,
sparse keys checked all at once."""

from __future__ import annotations

import json
import re
from itertools import product

import numpy as np
import pytest

from etl.ssb.jsonstat import JsonStatError, decode, kostra_frame, read_jsonstat
from tests.conftest import SSB_FIXTURES
from tests.test_jsonstat import FIXTURES


def small(sizes: list[int], value: object = None, status: object = None) -> dict:
    """A dataset with dimensions A, B, … of the given sizes, codes `A0`, `A1`, … as arrays."""
    ids = [chr(ord("A") + i) for i in range(len(sizes))]
    n = int(np.prod(sizes))
    return {
        "id": ids,
        "size": sizes,
        "dimension": {
            d: {"category": {"index": [f"{d}{i}" for i in range(s)]}} for d, s in zip(ids, sizes, strict=True)
        },
        "value": list(range(n)) if value is None else value,
        "status": status,
    }


@pytest.mark.parametrize("table", list(FIXTURES))
def test_decode_reads_what_json_loads_reads_with_or_without_a_byte_order_mark(table):
    text = (SSB_FIXTURES / FIXTURES[table]).read_text(encoding="utf-8")
    expected = json.loads(text)
    assert decode(text) == expected
    assert decode("\ufeff" + text) == expected
    assert decode(("\ufeff" + text).encode("utf-8")) == expected
    assert decode(text.encode("utf-8")) == expected


@pytest.mark.parametrize(
    ("number", "says"),
    [("NaN", "NaN eller Infinity"), ("Infinity", "NaN eller Infinity"), ("1e400", "NaN eller Infinity"),
     ("1" + "0" * 400, "for stort")],
)  # fmt: skip
def test_what_orjson_refuses_reaches_the_reader_as_json_loads_reads_it(number, says):
    text = json.dumps(small([2])).replace('"value": [0, 1]', f'"value": [0, {number}]')
    with pytest.raises(JsonStatError, match=says):
        read_jsonstat(decode(text))  # type: ignore[arg-type]


def test_invalid_json_still_raises_json_decode_error():
    with pytest.raises(json.JSONDecodeError):
        decode('\ufeff{"id": [')


def expected_status(n: int, sparse: dict[int, str | None]) -> list[str | None]:
    return [sparse.get(i) or None for i in range(n)]


@pytest.mark.parametrize("symbols", [3, 200])  # 200 symbols: codes no longer fit in int8
def test_status_sparse_or_one_per_cell_reads_every_cell_as_the_obvious_way(symbols):
    n = 600
    rng = np.random.default_rng(symbols)
    sparse: dict[int, str | None] = {int(i): f"s{i % symbols}" for i in rng.choice(n, 400, replace=False)}
    sparse[int(next(i for i in range(n) if i not in sparse))] = ""  # "" and null mean no symbol
    sparse[int(next(i for i in range(n) if i not in sparse))] = None
    expected = expected_status(n, sparse)
    for status in ({str(k): v for k, v in sparse.items()}, [sparse.get(i) for i in range(n)]):
        frame = read_jsonstat(small([300, 2], status=status))
        assert [None if s != s else s for s in frame["status"]] == expected
        assert list(frame["status"].cat.categories) == sorted({s for s in sparse.values() if s})


def test_one_symbol_for_every_cell_and_no_symbols():
    assert set(read_jsonstat(small([4, 3], status=":"))["status"]) == {":"}
    assert set(read_jsonstat(small([4, 3], status=[":"]))["status"]) == {":"}
    for none in (None, {}, [], "", [None], [""]):
        assert read_jsonstat(small([4, 3], status=none))["status"].isna().all()


def test_wide_and_single_category_dimensions_get_each_cells_codes_as_the_obvious_way():
    sizes = [3, 1, 200, 2]  # 200 categories: codes in int16
    doc = small(sizes)
    frame = read_jsonstat(doc)
    expected = list(product(*(doc["dimension"][d]["category"]["index"] for d in doc["id"])))
    assert list(zip(*(frame[d].astype(str) for d in doc["id"]), strict=True)) == expected
    assert list(frame["value"]) == list(range(len(expected)))
    kostra = kostra_frame(doc, "99999")
    assert list(kostra["dims_key"].astype(str)) == [
        ",".join(f"{d}={c}" for d, c in zip("ABCD", e, strict=True)) for e in expected
    ]


@pytest.mark.parametrize("key", ["", "+1", " 1", "1 ", "-0", "0x1", "12"])
def test_sparse_keys_checked_all_at_once_still_name_the_first_bad_one(key):
    for member in ("value", "status"):
        doc = small([3, 4], value={"0": 1, key: 2, "3": 4} if member == "value" else None)
        if member == "status":
            doc["status"] = {"0": ".", key: ":", "3": "."}
        with pytest.raises(JsonStatError, match=re.escape(f"«{member}» har nøkkelen «{key}»")):
            read_jsonstat(doc)


def test_sparse_values_and_status_land_in_their_cells():
    doc = small([3, 4], value={"11": 7.5, "0": 1, "05": 2}, status={"10": ":", "0": "."})
    frame = read_jsonstat(doc)
    assert [None if v != v else v for v in frame["value"]] == [1, None, None, None, None, 2] + [None] * 5 + [7.5]
    assert [None if s != s else s for s in frame["status"]] == ["."] + [None] * 9 + [":", None]


@pytest.mark.parametrize("text", ['["a\\ud800b"]', '"\\udc00"', '{"x": 1e400}', "[NaN, -Infinity]"])
def test_what_orjson_refuses_decodes_as_json_loads_decodes_it(text):
    expected = json.loads(text)
    assert repr(decode(text)) == repr(expected)  # repr: nan != nan
    assert repr(decode(("\ufeff" + text).encode("utf-8", "surrogatepass"))) == repr(expected)

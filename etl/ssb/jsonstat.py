"""Read any json-stat2 dataset (SSB's PxWebApi v0 and v2 answers) into a long table, one row per cell.

Written by hand rather than with pyjstat: pyjstat generates the frame's rows one by one in Python (a
recursive generator over the categories) and drops the status symbols, more than 10× slower on a 1 million-
cell answer (benchmarks/jsonstat_reader.py). json-stat2 is row-major (the last dimension varies fastest), so
each dimension's category positions are its categories repeated for the cells of the dimensions after it,
tiled for those before it (`np.repeat`, `np.tile`, in the codes' own small integer type). Labels, units and
other dimensions are looked up once per category and indexed, never built per cell; sparse keys and status
symbols are checked and placed a whole member at a time, not a Python loop per cell. `decode` reads the
JSON text with orjson, which takes a third of the time `json.loads` does on a large answer.

Nothing in a document is taken on trust: every member the reader uses is checked first (`id`, `size`,
`dimension`, category positions, `value` and `status` keys and types, units, `role`, `extension`,
`updated`), and anything wrong raises JsonStatError naming it in Norwegian, so a broken file is refused
as that one file and never stops a load (the checks cost ~0.04 s per million cells).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass, field
from itertools import product

import numpy as np
import orjson
import pandas as pd

# Dimension ids that hold the region in SSB tables (KOSTRA uses KOKkommuneregion0000 and the like).
_REGION_ID = re.compile(r"(KOK\w*region\d*|Region)", re.IGNORECASE)
# Klass classifications of regions: 131 kommuner, 104 fylker, 231 KOSTRA's region list.
_REGION_KLASS = re.compile(r"classification:klass:(131|104|231)\b")


class JsonStatError(ValueError):
    """A document that is not a readable json-stat2 dataset; the message is Norwegian and names what is wrong."""


# A cap on the cells one document may describe: SSB answers at most 800 000 cells per request, and a sparse
# `value` could otherwise ask for billions of cells from a few bytes.
MAX_CELLS = 10_000_000
_CELL_KEY = re.compile(r"\d+")
_NUMBER_TYPES = (int, float, type(None))  # what json.loads gives for JSON numbers and null (bool is not int here)
# `updated` as DuckDB casts it to TIMESTAMPTZ: a date, optionally a time and an offset (SSB: 2026-06-15T06:00:00Z).
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?")


@dataclass(frozen=True)
class Dimension:
    """One dimension of a dataset: its codes in the dataset's order, their labels and (for contents) units."""

    id: str
    label: str
    codes: list[str]
    labels: list[str]
    units: dict[str, dict] = field(default_factory=dict)


def decode(text: str | bytes) -> object:
    """A JSON answer as Python objects, read as the standard library reads it, ~3× faster on a json-stat2 answer.

    orjson decodes the million numbers of a large answer in a third of the time `json.loads` takes (which
    is most of reading one). A byte-order mark (SSB's answers may start with one) is dropped first, as
    `utf-8-sig` does. What orjson refuses (NaN, Infinity, a number beyond a double, a lone surrogate, invalid
    JSON) goes to `json.loads`, so such a document is read, checked and refused exactly as before, and
    invalid JSON still raises `json.JSONDecodeError`."""
    text = text.removeprefix(b"\xef\xbb\xbf") if isinstance(text, bytes) else text.removeprefix("\ufeff")
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def is_dataset(doc: object) -> bool:
    """A json-stat2 dataset (what PxWebApi answers with `json-stat2`), as opposed to any other JSON."""
    return isinstance(doc, dict) and all(k in doc for k in ("id", "size", "dimension")) and "value" in doc


def looks_like_dataset(doc: object) -> bool:
    """Meant as a json-stat2 dataset, even if broken: `class: dataset`, or two of its own members."""
    if not isinstance(doc, dict):
        return False
    return doc.get("class") == "dataset" or sum(k in doc for k in ("id", "size", "dimension", "value")) >= 2


def _show(value: object, width: int = 40) -> str:
    """A value as it stands in the JSON (text in quotes), shortened."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_code(value: object) -> bool:
    return isinstance(value, str) or _is_int(value)


def dimensions(doc: dict) -> list[Dimension]:
    """The dataset's dimensions in `id` order; `category.index` may be an object or an array.

    Checks everything it relies on (JsonStatError otherwise): `id` a list of distinct names, `size` as many
    whole numbers ≥ 1, every dimension described, its categories distinct and as many as `size` says."""
    ids, sizes, described = _declared(doc)
    dims = []
    for dim_id, size in zip(ids, sizes, strict=True):
        spec = described.get(dim_id)
        if not isinstance(spec, dict):
            raise JsonStatError(f"dimensjonen «{dim_id}» er nevnt i «id», men ikke beskrevet i «dimension»")
        dims.append(_dimension(dim_id, size, spec))
    return dims


def _declared(doc: dict) -> tuple[list[str], list[int], dict]:
    """The document's `id`, `size` and `dimension`, checked to be distinct names, whole numbers and an object."""
    if not isinstance(doc, dict):
        raise JsonStatError("svaret er ikke et JSON-objekt")
    for key, what in (("id", "navnene på dimensjonene"), ("size", "antall kategorier per dimensjon")):
        if key not in doc:
            raise JsonStatError(f"«{key}» mangler ({what})")
    ids, sizes = doc["id"], doc["size"]
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
        raise JsonStatError(f"«id» skal være en liste med navnene på dimensjonene, men er {_show(ids)}")
    if len(set(ids)) != len(ids):
        twice = next(i for i in ids if ids.count(i) > 1)
        raise JsonStatError(f"dimensjonen «{twice}» står flere ganger i «id»")
    if not isinstance(sizes, list) or not all(_is_int(s) for s in sizes):
        raise JsonStatError(f"«size» skal være en liste med hele tall (antall kategorier), men er {_show(sizes)}")
    if len(ids) != len(sizes):
        raise JsonStatError(f"«id» har {len(ids)} dimensjoner, men «size» har {len(sizes)} tall")
    described = doc.get("dimension")
    if not isinstance(described, dict):
        raise JsonStatError("«dimension» (beskrivelsen av dimensjonene) mangler eller er ikke et objekt")
    return ids, sizes, described


def _dimension(dim_id: str, size: int, spec: dict) -> Dimension:
    """One described dimension, its categories checked to be distinct and as many as `size` says."""
    if size < 1:
        raise JsonStatError(f"dimensjonen «{dim_id}» har «size» {size}; hver dimensjon må ha minst én kategori")
    category = spec.get("category")
    if not isinstance(category, dict):
        raise JsonStatError(f"dimensjonen «{dim_id}» mangler «category» (kategoriene)")
    index, labels = category.get("index"), category.get("label", {})
    if not isinstance(labels, dict):
        raise JsonStatError(f"dimensjonen «{dim_id}»: «category.label» skal være et objekt kode → tekst")
    codes = _codes(dim_id, index, labels)
    if len(codes) != size:
        raise JsonStatError(f"dimensjonen «{dim_id}» har {len(codes)} kategorier, men «size» sier {size}")
    if len(set(codes)) != len(codes):
        twice = next(c for c in codes if codes.count(c) > 1)
        raise JsonStatError(f"dimensjonen «{dim_id}» har kategorien «{twice}» flere ganger")
    return Dimension(
        id=dim_id,
        label=str(spec.get("label", dim_id)),
        codes=codes,
        labels=[str(labels.get(c, c)) for c in codes],
        units=_units(dim_id, category.get("unit")),
    )


def _codes(dim_id: str, index: object, labels: dict) -> list[str]:
    """The category codes in position order from `category.index` (array, object, or absent)."""
    if index is None:  # json-stat allows a single category to omit its index
        return [str(c) for c in labels]
    if isinstance(index, list):
        if not all(_is_code(c) for c in index):
            bad = next(c for c in index if not _is_code(c))
            raise JsonStatError(f"dimensjonen «{dim_id}» har en kategori som ikke er en kode: {_show(bad)}")
        return [str(c) for c in index]
    if not isinstance(index, dict):
        raise JsonStatError(f"dimensjonen «{dim_id}»: «category.index» skal være en liste eller et objekt")
    codes: list[str | None] = [None] * len(index)
    for code, pos in index.items():
        if not _is_int(pos) or not 0 <= pos < len(index) or codes[pos] is not None:
            raise JsonStatError(
                f"dimensjonen «{dim_id}» har en ugyldig posisjon for kategorien «{code}» ({_show(pos)}); "
                f"posisjonene skal være 0–{len(index) - 1}, hver én gang"
            )
        codes[pos] = str(code)
    return codes  # type: ignore[return-value]


def _units(dim_id: str, units: object) -> dict[str, dict]:
    """`category.unit`: code → {base, decimals}; decimals a whole number 0–15 when given."""
    if units is None:
        return {}
    if not isinstance(units, dict) or not all(isinstance(u, dict) for u in units.values()):
        raise JsonStatError(f"dimensjonen «{dim_id}»: «category.unit» skal være et objekt kode → {{base, decimals}}")
    for code, unit in units.items():
        decimals = unit.get("decimals")
        if decimals is not None and not (_is_int(decimals) and 0 <= decimals <= 15):
            raise JsonStatError(
                f"dimensjonen «{dim_id}»: antall desimaler for «{code}» er {_show(decimals)}, ikke et helt tall 0–15"
            )
        if unit.get("base") is not None and not isinstance(unit["base"], str):
            raise JsonStatError(f"dimensjonen «{dim_id}»: enheten for «{code}» er {_show(unit['base'])}, ikke tekst")
    return units


def _cell(key: object, n: int, member: str) -> int:
    """A sparse key as a cell number, or JsonStatError saying it is none."""
    if isinstance(key, str) and _CELL_KEY.fullmatch(key) and int(key) < n:
        return int(key)
    raise JsonStatError(f"«{member}» har nøkkelen «{key}», som ikke er et cellenummer (0–{n - 1})")


def _cells(keys: list[str], n: int, member: str) -> np.ndarray:
    """Sparse keys as cell numbers, checked all at once: non-empty, ASCII digits only, each below `n`.

    Joining the keys tests every character in one C call instead of one regular expression per key; a key
    that fails is found again by `_cell`, which names it."""
    try:
        joined = "".join(keys)
    except TypeError:  # a key that is not text
        joined = "-"
    if not (all(keys) and joined.isascii() and joined.isdigit()) and keys:  # all(): no key is ""
        for key in keys:
            _cell(key, n, member)
    cells = list(map(int, keys))
    if cells and max(cells) >= n:
        _cell(keys[next(i for i, c in enumerate(cells) if c >= n)], n, member)
    return np.array(cells, dtype=np.int64)


def _values(raw: object, n: int) -> np.ndarray:
    """The values as floats (null → NaN). Only JSON numbers and null: text, true/false, NaN or Infinity
    (which Python's json accepts, JSON does not) are refused, never read as a number."""
    if isinstance(raw, dict):  # sparse form: flat index -> value
        keys = _cells(list(raw), n, "value")
        items = list(raw.values())
    elif isinstance(raw, list):
        if len(raw) != n:
            raise JsonStatError(f"«value» har {len(raw)} verdier, men dimensjonene gir {n} celler")
        keys, items = None, raw
    else:
        raise JsonStatError(f"«value» skal være en liste eller et objekt med tall, men er {_show(raw)}")
    if not set(map(type, items)) <= set(_NUMBER_TYPES):
        i, bad = next((i, v) for i, v in enumerate(items) if type(v) not in _NUMBER_TYPES)
        cell = keys[i] if keys is not None else i
        raise JsonStatError(f"«value» har noe som ikke er et tall i celle {cell}: {_show(bad)}")
    numbers = _floats(items)
    if keys is None:
        return numbers
    out = np.full(n, np.nan)
    out[keys] = numbers
    return out


def _floats(items: list) -> np.ndarray:
    """JSON numbers and nulls as floats, null → NaN; a NaN or Infinity that was sent as such is refused.

    Only the cells that came out NaN are looked at again (to be null), not every cell."""
    try:
        numbers = np.array(items, dtype=float)
    except OverflowError:
        raise JsonStatError("«value» har et tall som er for stort") from None
    missing = np.flatnonzero(np.isnan(numbers)).tolist()
    if np.isinf(numbers).any() or [items[i] for i in missing].count(None) != len(missing):
        raise JsonStatError("«value» har NaN eller Infinity, som ikke er gyldige tall i JSON (bruk null)")
    return numbers


def _status(raw: object, n: int) -> pd.Categorical:
    """Status symbols per cell as a categorical; cells without a symbol are missing (-1).

    `status` may be one symbol for every cell (a string, or a list of one), a list with one entry per cell,
    or an object cell number → symbol; a symbol is text, and null or "" means none."""
    if raw is None or raw == {} or raw == [] or raw == "":
        return _no_status(n)
    if isinstance(raw, list) and len(raw) == 1:
        raw = raw[0] if raw[0] is not None else ""
        if raw == "":
            return _no_status(n)
    if isinstance(raw, str):
        return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[raw])
    if isinstance(raw, dict):
        return _symbols(_cells(list(raw), n, "status"), list(raw.values()), n)
    if isinstance(raw, list):
        if len(raw) != n:
            raise JsonStatError(f"«status» har {len(raw)} oppføringer, men dimensjonene gir {n} celler")
        return _symbols(None, raw, n)
    raise JsonStatError(f"«status» skal være et objekt, en liste eller ett symbol, men er {_show(raw)}")


def _no_status(n: int) -> pd.Categorical:
    return pd.Categorical.from_codes(np.full(n, -1, dtype=np.int8), categories=[])


def _symbols(cells: np.ndarray | None, symbols: list, n: int) -> pd.Categorical:
    """The symbols of the given cells (every cell when `cells` is None) as a categorical of sorted symbols.

    One pass in C per step (types, distinct symbols, their positions), never a Python loop per cell."""
    if not set(map(type, symbols)) <= {str, type(None)}:
        i, bad = next((i, s) for i, s in enumerate(symbols) if not isinstance(s, (str, type(None))))
        cell = cells[i] if cells is not None else i
        raise JsonStatError(f"«status» for celle {cell} er {_show(bad)}; et symbol skal være tekst som «..»")
    categories = sorted(set(symbols) - {None, ""})
    if len(categories) > np.iinfo(np.int16).max:
        raise JsonStatError(f"«status» har {len(categories)} ulike symboler; SSB bruker en håndfull («.», «..», «:» …)")
    dtype = np.int8 if len(categories) < 2**7 else np.int16
    position: dict[str | None, int] = {s: i for i, s in enumerate(categories)} | {None: -1, "": -1}
    of_items = np.fromiter(map(position.__getitem__, symbols), dtype=dtype, count=len(symbols))
    if cells is None:
        return pd.Categorical.from_codes(of_items, categories=categories)
    codes = np.full(n, -1, dtype=dtype)
    codes[cells] = of_items
    return pd.Categorical.from_codes(codes, categories=categories)


def _check_members(doc: dict) -> None:
    """The members read besides the cube: `role`, `extension`, `updated`, `label`."""
    role = doc.get("role")
    if role is not None and (
        not isinstance(role, dict)
        or not all(isinstance(v, list) and all(isinstance(d, str) for d in v) for v in role.values())
    ):
        raise JsonStatError("«role» skal være et objekt med lister av dimensjonsnavn (time, metric, geo)")
    extension = doc.get("extension")
    if extension is not None and (not isinstance(extension, dict) or not isinstance(extension.get("px", {}), dict)):
        raise JsonStatError("«extension» skal være et objekt")
    updated = doc.get("updated")
    if updated is not None:
        ok: object = isinstance(updated, str) and _TIMESTAMP.fullmatch(updated.strip())
        try:
            ok = ok and dt.datetime.fromisoformat(updated.strip().replace("Z", "+00:00").replace(" ", "T", 1))
        except ValueError:
            ok = False
        if not ok:
            raise JsonStatError(
                f"«updated» er {_show(updated)}, ikke et tidspunkt som 2026-06-15T06:00:00Z "
                "(når SSB oppdaterte tabellen)"
            )


def _code_dtype(categories: int) -> type[np.signedinteger]:
    """The integer type pandas keeps a categorical's codes in for that many categories: made so, never cast."""
    return np.int8 if categories < 2**7 else np.int16 if categories < 2**15 else np.int32


def _positions(dims: list[Dimension], n: int) -> list[np.ndarray]:
    """Each dimension's category position per cell, row-major (the last dimension varies fastest).

    A dimension's positions are its categories each repeated `stride` times (the cells of the dimensions
    after it), that block tiled for the cells of the dimensions before it: no division per cell."""
    out, stride = [], n
    for d in dims:
        size = len(d.codes)
        stride //= size
        block = np.repeat(np.arange(size, dtype=_code_dtype(size)), stride)
        out.append(np.tile(block, n // (size * stride)))
    return out


def _cube(doc: dict) -> tuple[list[Dimension], int, np.ndarray, pd.Categorical]:
    """The checked dataset: dimensions, number of cells, values and status symbols (JsonStatError if broken)."""
    if not isinstance(doc, dict):
        raise JsonStatError("svaret er ikke et JSON-objekt")
    dims = dimensions(doc)
    n = math.prod(len(d.codes) for d in dims)
    if n > MAX_CELLS:
        raise JsonStatError(
            f"dimensjonene gir {format(n, ',').replace(',', ' ')} celler; leseren tar høyst "
            f"{format(MAX_CELLS, ',').replace(',', ' ')} (SSB sender høyst 800 000 per spørring)"
        )
    if "value" not in doc:
        raise JsonStatError("«value» (tallene) mangler")
    values = _values(doc["value"], n)
    status = _status(doc.get("status"), n)
    _check_members(doc)
    return dims, n, values, status


def read_jsonstat(doc: dict) -> pd.DataFrame:
    """Every cell of a json-stat2 dataset: one categorical column of codes per dimension, `value`, `status`."""
    dims, n, values, status = _cube(doc)
    clash = [d.id for d in dims if d.id in ("value", "status")]
    if clash:
        raise JsonStatError(f"en dimensjon heter «{clash[0]}», som leseren bruker om tallene selv")
    positions = zip(dims, _positions(dims, n), strict=True)
    columns: dict[str, object] = {d.id: pd.Categorical.from_codes(pos, categories=d.codes) for d, pos in positions}
    columns["value"] = values
    columns["status"] = status
    return pd.DataFrame(columns, copy=False)


def _role(doc: dict, role: str, ids: list[str], default: str) -> str | None:
    named = (doc.get("role") or {}).get(role) or []
    found = [d for d in named if d in ids]
    return found[0] if found else (default if default in ids else None)


def region_dimension(doc: dict, ids: list[str]) -> str | None:
    """The dimension holding regions: a KOK…region or Region id, or one described by a Klass region list."""
    for dim_id in ids:
        if _REGION_ID.fullmatch(dim_id):
            return dim_id
    for dim_id in ids:
        if _REGION_KLASS.search(json.dumps(doc["dimension"][dim_id].get("link", {}))):
            return dim_id
    return None


def table_id(doc: dict) -> str | None:
    """SSB's table number: `extension.px.tableid`, else the `12134:` prefix of the label."""
    px = (doc.get("extension") or {}).get("px") or {}
    if px.get("tableid"):
        return str(px["tableid"])
    m = re.match(r"\s*(\d{5})\s*:", str(doc.get("label", "")))
    return m[1] if m else None


def _take(labels: list, codes: np.ndarray) -> pd.Categorical:
    """`labels[codes]` as a categorical: one small lookup list, never a Python object per cell."""
    positions, uniques = pd.factorize(pd.Series(labels, dtype=object), use_na_sentinel=True)
    dtype = _code_dtype(len(uniques))
    if len(uniques) == len(labels) and codes.dtype == dtype and (positions == np.arange(len(labels))).all():
        return pd.Categorical.from_codes(codes, categories=list(uniques))  # distinct labels: the codes are theirs
    return pd.Categorical.from_codes(positions.astype(dtype)[codes], categories=list(uniques))


def _const(value: object, n: int) -> pd.Categorical:
    return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8) if value is not None else np.full(n, -1), [value or ""])


def _ints(values: list[int | None], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    lookup = np.array([v if v is not None else 0 for v in values], dtype=np.int64)
    return pd.arrays.IntegerArray(lookup[codes], np.array([v is None for v in values], dtype=bool)[codes])


def _other_dims(others: list[Dimension], positions: list[np.ndarray], n: int) -> tuple[pd.Categorical, pd.Categorical]:
    """The `dims` and `dims_key` columns: each combination of the other dimensions' codes built once, then indexed."""
    if not others:
        return _const("{}", n), _const("", n)
    ids = [d.id for d in others]
    combos = list(product(*(d.codes for d in others)))
    flat = np.ravel_multi_index(positions, [len(d.codes) for d in others])
    as_json = _take([json.dumps(dict(zip(ids, c, strict=True)), ensure_ascii=False) for c in combos], flat)
    as_key = _take([",".join(f"{d}={v}" for d, v in zip(ids, c, strict=True)) for c in combos], flat)
    return as_json, as_key


def kostra_frame(doc: dict, table: str | None = None) -> pd.DataFrame:
    """A dataset as `kostra_values` rows: table, contents, region and time as columns, other dimensions in `dims`.

    `dims` is a JSON object of the other dimensions' codes and `dims_key` the same as `id=code` pairs in
    dimension order, built once per combination of those dimensions and then indexed, never per cell.
    `table` names the table when the document does not."""
    checked, n, values, status = _cube(doc)
    dims = {d.id: d for d in checked}
    positions = dict(zip(dims, _positions(checked, n), strict=True))
    ids = list(dims)
    metric = _role(doc, "metric", ids, "ContentsCode")
    time = _role(doc, "time", ids, "Tid")
    region = region_dimension(doc, ids)
    none = np.full(n, -1, dtype=np.int64)

    def codes_of(dim_id: str | None) -> np.ndarray:
        return none if dim_id is None else positions[dim_id]

    def lookup(dim_id: str | None, per_code) -> list:
        return [per_code(code, i) for i, code in enumerate(dims[dim_id].codes)] if dim_id else []

    def column(dim_id: str | None, per_code) -> pd.Categorical:
        return _take(lookup(dim_id, per_code), codes_of(dim_id)) if dim_id else _const(None, n)

    units = dims[metric].units if metric else {}
    others = [d for d in ids if d not in (metric, time, region)]
    out: dict[str, object] = {
        "table_id": _const(table_id(doc) or table, n),
        "contents_code": column(metric, lambda code, _: code),
        "contents_label": column(metric, lambda _, i: dims[metric].labels[i]),  # type: ignore[index]  # metric set
        "region_code": column(region, lambda code, _: code),
        "region_name": column(region, lambda _, i: dims[region].labels[i]),  # type: ignore[index]  # region set
        "time_code": column(time, lambda code, _: code),
        "year": _ints(lookup(time, lambda code, _: int(code[:4]) if code[:4].isdigit() else None), codes_of(time))
        if time
        else _ints([None], np.zeros(n, dtype=np.int64)),
        "unit": column(metric, lambda code, _: (units.get(code) or {}).get("base")),
        "decimals": _ints(lookup(metric, lambda code, _: (units.get(code) or {}).get("decimals")), codes_of(metric))
        if metric
        else _ints([None], np.zeros(n, dtype=np.int64)),
    }
    out["dims"], out["dims_key"] = _other_dims([dims[d] for d in others], [codes_of(d) for d in others], n)
    out["value"] = values
    out["status"] = status
    out["updated"] = _const(doc.get("updated"), n)
    out["_row"] = np.arange(1, n + 1, dtype=np.int64)
    return pd.DataFrame(out, copy=False)

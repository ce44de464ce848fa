"""Read any json-stat2 dataset (SSB's PxWebApi v0 and v2 answers) into a long table, one row per cell.

Written by hand rather than with pyjstat: pyjstat generates the frame's rows one by one in Python (a
recursive generator over the categories) and drops the status symbols, about 15× slower on a 1 million-
cell answer (benchmarks/jsonstat_reader.py: ~0.15 s here against ~2.4 s). json-stat2 is row-major (the
last dimension varies fastest), so each dimension's category position is `(cell // stride) % size`: a
few numpy operations per dimension, whatever the dimension order. Labels, units and other dimensions are
looked up once per category and indexed, never built per cell.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from itertools import product

import numpy as np
import pandas as pd

# Dimension ids that hold the region in SSB tables (KOSTRA uses KOKkommuneregion0000 and the like).
_REGION_ID = re.compile(r"(KOK\w*region\d*|Region)", re.IGNORECASE)
# Klass classifications of regions: 131 kommuner, 104 fylker, 231 KOSTRA's region list.
_REGION_KLASS = re.compile(r"classification:klass:(131|104|231)\b")


class JsonStatError(ValueError):
    """A document that is not a readable json-stat2 dataset; the message is Norwegian."""


@dataclass(frozen=True)
class Dimension:
    """One dimension of a dataset: its codes in the dataset's order, their labels and (for contents) units."""

    id: str
    label: str
    codes: list[str]
    labels: list[str]
    units: dict[str, dict] = field(default_factory=dict)


def is_dataset(doc: object) -> bool:
    """A json-stat2 dataset (what PxWebApi answers with `json-stat2`), as opposed to any other JSON."""
    return isinstance(doc, dict) and all(k in doc for k in ("id", "size", "dimension")) and "value" in doc


def dimensions(doc: dict) -> list[Dimension]:
    """The dataset's dimensions in `id` order; `category.index` may be an object or an array."""
    ids, sizes = doc.get("id"), doc.get("size")
    if not isinstance(ids, list) or not isinstance(sizes, list) or len(ids) != len(sizes):
        raise JsonStatError("«id» og «size» mangler eller har ulik lengde")
    dims = []
    for dim_id, size in zip(ids, sizes, strict=True):
        spec = doc["dimension"].get(dim_id)
        if not isinstance(spec, dict):
            raise JsonStatError(f"dimensjonen «{dim_id}» er nevnt i «id», men ikke beskrevet")
        category = spec.get("category", {})
        index, labels = category.get("index"), category.get("label", {})
        if index is None:  # json-stat allows a single category to omit its index
            codes = [str(c) for c in labels]
        elif isinstance(index, list):
            codes = [str(c) for c in index]
        else:
            codes = [""] * len(index)
            for code, pos in index.items():
                if not isinstance(pos, int) or not 0 <= pos < len(index):
                    raise JsonStatError(f"dimensjonen «{dim_id}» har en ugyldig posisjon for kategorien «{code}»")
                codes[pos] = str(code)
        if len(codes) != size:
            raise JsonStatError(f"dimensjonen «{dim_id}» har {len(codes)} kategorier, men «size» sier {size}")
        dims.append(
            Dimension(
                id=dim_id,
                label=str(spec.get("label", dim_id)),
                codes=codes,
                labels=[str(labels.get(c, c)) for c in codes],
                units=category.get("unit") or {},
            )
        )
    return dims


def _values(raw: object, n: int) -> np.ndarray:
    if isinstance(raw, dict):  # sparse form: flat index -> value
        out = np.full(n, np.nan)
        if raw:
            idx = np.fromiter((int(k) for k in raw), dtype=np.int64, count=len(raw))
            out[idx] = np.array(list(raw.values()), dtype=float)
        return out
    try:
        out = np.array(raw, dtype=float)  # null -> NaN
    except (TypeError, ValueError):
        raise JsonStatError("«value» inneholder noe som ikke er tall") from None
    if out.shape != (n,):
        raise JsonStatError(f"«value» har {out.size} verdier, men dimensjonene gir {n} celler")
    return out


def _status(raw: object, n: int) -> pd.Categorical:
    """Status symbols per cell as a categorical; cells without a symbol are missing (-1)."""
    codes = np.full(n, -1, dtype=np.int16)
    if raw is None or raw == {} or raw == []:
        return pd.Categorical.from_codes(codes, categories=[])
    if isinstance(raw, str):
        return pd.Categorical.from_codes(np.zeros(n, dtype=np.int16), categories=[raw])
    items = raw.items() if isinstance(raw, dict) else enumerate(raw)
    by_symbol: dict[str, list[int]] = {}
    for k, symbol in items:
        if symbol is not None and symbol != "":
            by_symbol.setdefault(str(symbol), []).append(int(k))
    symbols = sorted(by_symbol)
    for i, symbol in enumerate(symbols):
        positions = np.array(by_symbol[symbol], dtype=np.int64)
        if positions.size and (positions.min() < 0 or positions.max() >= n):
            raise JsonStatError("«status» peker på en celle som ikke finnes")
        codes[positions] = i
    return pd.Categorical.from_codes(codes, categories=symbols)


def read_jsonstat(doc: dict) -> pd.DataFrame:
    """Every cell of a json-stat2 dataset: one categorical column of codes per dimension, `value`, `status`."""
    if not is_dataset(doc):
        raise JsonStatError("dette er ikke et json-stat2-datasett (mangler «id», «size», «dimension» eller «value»)")
    dims = dimensions(doc)
    n = int(np.prod([len(d.codes) for d in dims], dtype=np.int64)) if dims else 0
    cells = np.arange(n, dtype=np.int64)
    columns: dict[str, object] = {}
    stride = n
    for d in dims:
        stride //= len(d.codes)
        columns[d.id] = pd.Categorical.from_codes((cells // stride) % len(d.codes), categories=d.codes)
    columns["value"] = _values(doc["value"], n)
    columns["status"] = _status(doc.get("status"), n)
    return pd.DataFrame(columns)


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
    return pd.Categorical.from_codes(positions[codes], categories=list(uniques))


def _const(value: object, n: int) -> pd.Categorical:
    return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8) if value is not None else np.full(n, -1), [value or ""])


def _ints(values: list[int | None], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    lookup = np.array([v if v is not None else 0 for v in values], dtype=np.int64)
    return pd.arrays.IntegerArray(lookup[codes], np.array([v is None for v in values], dtype=bool)[codes])


def kostra_frame(doc: dict, table: str | None = None) -> pd.DataFrame:
    """A dataset as `kostra_values` rows: table, contents, region and time as columns, other dimensions in `dims`.

    `dims` is a JSON object of the other dimensions' codes and `dims_key` the same as `id=code` pairs in
    dimension order, built once per combination of those dimensions and then indexed, never per cell.
    `table` names the table when the document does not."""
    cells = read_jsonstat(doc)
    dims = {d.id: d for d in dimensions(doc)}
    ids = list(dims)
    metric = _role(doc, "metric", ids, "ContentsCode")
    time = _role(doc, "time", ids, "Tid")
    region = region_dimension(doc, ids)
    n = len(cells)
    none = np.full(n, -1, dtype=np.int64)

    def codes_of(dim_id: str | None) -> np.ndarray:
        return none if dim_id is None else np.asarray(cells[dim_id].cat.codes, dtype=np.int64)

    def lookup(dim_id: str | None, per_code) -> list:
        return [per_code(code, i) for i, code in enumerate(dims[dim_id].codes)] if dim_id else []

    def column(dim_id: str | None, per_code) -> pd.Categorical:
        return _take(lookup(dim_id, per_code), codes_of(dim_id)) if dim_id else _const(None, n)

    units = dims[metric].units if metric else {}
    others = [d for d in ids if d not in (metric, time, region)]
    out: dict[str, object] = {
        "table_id": _const(table_id(doc) or table, n),
        "contents_code": column(metric, lambda code, _: code),
        "contents_label": column(metric, lambda _, i: dims[metric].labels[i]),
        "region_code": column(region, lambda code, _: code),
        "region_name": column(region, lambda _, i: dims[region].labels[i]),
        "time_code": column(time, lambda code, _: code),
        "year": _ints(lookup(time, lambda code, _: int(code[:4]) if code[:4].isdigit() else None), codes_of(time))
        if time
        else _ints([None], np.zeros(n, dtype=np.int64)),
        "unit": column(metric, lambda code, _: (units.get(code) or {}).get("base")),
        "decimals": _ints(lookup(metric, lambda code, _: (units.get(code) or {}).get("decimals")), codes_of(metric))
        if metric
        else _ints([None], np.zeros(n, dtype=np.int64)),
    }
    if others:
        combos = list(product(*(dims[d].codes for d in others)))
        flat = np.ravel_multi_index([codes_of(d) for d in others], [len(dims[d].codes) for d in others])
        out["dims"] = _take([json.dumps(dict(zip(others, c, strict=True)), ensure_ascii=False) for c in combos], flat)
        out["dims_key"] = _take([",".join(f"{d}={v}" for d, v in zip(others, c, strict=True)) for c in combos], flat)
    else:
        out["dims"] = _const("{}", n)
        out["dims_key"] = _const("", n)
    out["value"] = cells["value"]
    out["status"] = cells["status"]
    out["updated"] = _const(doc.get("updated"), n)
    out["_row"] = np.arange(1, n + 1, dtype=np.int64)
    return pd.DataFrame(out)

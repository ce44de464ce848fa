"""A local stand-in for data.ssb.no, for tests: PxWebApi v2 and v0 and Klass, answering in SSB's shapes.

It holds whole tables as json-stat2 documents and answers a selection by cutting the table with
itertools.product (its own slow, independent path). It refuses like SSB does: 404 for a GET URL over
~2 100 characters, 500 with an empty body for a repeated code, 400 with a JSON body whose `title` says
why (unknown variable or value, missing variable, too many cells), and plays scripted faults (429 with
rate-limit headers, 503, 500). Every request is logged. Runs in a thread on 127.0.0.1, port 0.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import product
from urllib.parse import parse_qsl, urlsplit

MAX_URL = 2_100


@dataclass
class Seen:
    """One request as the server saw it."""

    method: str
    path: str
    params: dict[str, str]
    body: object
    raw_target: str
    headers: dict[str, str]


@dataclass
class Fault:
    status: int
    headers: dict[str, str]
    body: bytes
    when: Callable[[Seen], bool]
    times: int


def make_table(
    table: str,
    regions: dict[str, str],
    contents: dict[str, tuple[str, str, int]],
    years: list[int],
    value: Callable[..., float | None],
    status: Callable[..., str | None] = lambda *_, **__: None,
    order: tuple[str, ...] | None = None,
    updated: str = "2026-06-15T06:00:00Z",
    extra: dict[str, list[str]] | None = None,
) -> dict:
    """A whole KOSTRA table as SSB's json-stat2: regions {code: name}, contents {code: (label, unit, decimals)},
    and `extra` dimensions (after the region) whose codes `value` and `status` get as keyword arguments."""
    extra = extra or {}
    order = order or ("KOKkommuneregion0000", *extra, "ContentsCode", "Tid")
    codes = {"KOKkommuneregion0000": list(regions), "ContentsCode": list(contents), "Tid": [str(y) for y in years]}
    codes.update(extra)
    labels = {
        "KOKkommuneregion0000": regions,
        "ContentsCode": {c: v[0] for c, v in contents.items()},
        "Tid": {str(y): str(y) for y in years},
        **{d: {c: c for c in cs} for d, cs in extra.items()},
    }
    names = {"KOKkommuneregion0000": "region", "ContentsCode": "statistikkvariabel", "Tid": "år"}
    dimension = {}
    for d in order:
        dimension[d] = {
            "label": names.get(d, d),
            "category": {"index": {c: i for i, c in enumerate(codes[d])}, "label": labels[d]},
        }
    dimension["ContentsCode"]["category"]["unit"] = {c: {"base": v[1], "decimals": v[2]} for c, v in contents.items()}
    dimension["KOKkommuneregion0000"]["link"] = {
        "describedby": [{"extension": {"KOKkommuneregion0000": "urn:ssb:classification:klass:231"}}]
    }
    values, statuses = [], {}
    for i, combo in enumerate(product(*(codes[d] for d in order))):
        cell = dict(zip(order, combo, strict=True))
        args = (cell["ContentsCode"], cell["KOKkommuneregion0000"], int(cell["Tid"]))
        more = {d: cell[d] for d in extra}
        values.append(value(*args, **more))
        if (symbol := status(*args, **more)) is not None:
            statuses[str(i)] = symbol
    return {
        "version": "2.0",
        "class": "dataset",
        "label": f"{table}: testtabell, etter region, statistikkvariabel og år",
        "source": "Statistisk sentralbyrå",
        "updated": updated,
        "id": list(order),
        "size": [len(codes[d]) for d in order],
        "dimension": dimension,
        "value": values,
        "status": statuses,
        "role": {"time": ["Tid"], "metric": ["ContentsCode"]},
        "extension": {"px": {"infofile": "None", "tableid": table, "decimals": 1}},
    }


def _codes(doc: dict, dim: str) -> list[str]:
    index = doc["dimension"][dim]["category"]["index"]
    return list(index) if isinstance(index, list) else sorted(index, key=index.get)


def cut(doc: dict, selection: dict[str, list[str]]) -> dict:
    """The part of a table a selection asks for, categories in the table's order, as SSB answers."""
    ids = doc["id"]
    full = {d: _codes(doc, d) for d in ids}
    keep = {d: [c for c in full[d] if d not in selection or c in selection[d]] for d in ids}
    values, statuses = [], {}
    strides = [1] * len(ids)
    for k in range(len(ids) - 2, -1, -1):
        strides[k] = strides[k + 1] * len(full[ids[k + 1]])
    for i, combo in enumerate(product(*(keep[d] for d in ids))):
        source = sum(full[d].index(c) * strides[k] for k, (d, c) in enumerate(zip(ids, combo, strict=True)))
        values.append(doc["value"][source])
        if str(source) in doc.get("status", {}):
            statuses[str(i)] = doc["status"][str(source)]
    dimension = {}
    for d in ids:
        category = doc["dimension"][d]["category"]
        sub = {
            "index": {c: i for i, c in enumerate(keep[d])},
            "label": {c: category["label"][c] for c in keep[d]},
        }
        if "unit" in category:
            sub["unit"] = {c: category["unit"][c] for c in keep[d]}
        dimension[d] = {**doc["dimension"][d], "category": sub}
    return {**doc, "size": [len(keep[d]) for d in ids], "dimension": dimension, "value": values, "status": statuses}


def v2_metadata(doc: dict) -> dict:
    """The table's metadata as PxWebApi v2 gives it: json-stat2 with an empty `value`."""
    dimension = {
        d: {**spec, "extension": {"elimination": False, "show": "value", "codelists": []}}
        for d, spec in doc["dimension"].items()
    }
    return {**doc, "dimension": dimension, "value": [], "status": {}}


def v0_metadata(doc: dict) -> dict:
    """The table's metadata as PxWebApi v0 gives it: title and variables with values and texts."""
    variables = []
    for d in doc["id"]:
        codes = _codes(doc, d)
        var = {
            "code": d,
            "text": doc["dimension"][d]["label"],
            "values": codes,
            "valueTexts": [doc["dimension"][d]["category"]["label"][c] for c in codes],
        }
        if d == "Tid":
            var["time"] = True
        variables.append(var)
    return {"title": doc["label"], "variables": variables}


@dataclass
class SsbReplay:
    """The server: `tables` {id: whole json-stat2}, `klass` {(classification, operation): answer}."""

    tables: dict[str, dict] = field(default_factory=dict)
    klass: dict[tuple[str, str], Callable[[Seen], tuple[str, bytes]]] = field(default_factory=dict)
    max_cells: int = 800_000
    log: list[Seen] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)

    def __enter__(self) -> SsbReplay:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                replay._handle(self, None)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                replay._handle(self, body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def fail(
        self,
        status: int,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        when: Callable[[Seen], bool] = lambda _: True,
        times: int = 1,
    ) -> None:
        """Answer the next `times` matching requests with this status instead (times=-1: always)."""
        self.faults.append(Fault(status, headers or {}, body, when, times))

    def data_requests(self) -> list[Seen]:
        """The requests for data (not metadata, not Klass)."""
        return [
            s for s in self.log if s.path.endswith("/data") or (s.path.startswith("/api/v0/") and s.method == "POST")
        ]

    # ------------------------------------------------------------------ answering
    def _handle(self, h: BaseHTTPRequestHandler, body: object) -> None:
        parts = urlsplit(h.path)
        seen = Seen(h.command, parts.path, dict(parse_qsl(parts.query)), body, h.path, dict(h.headers))
        self.log.append(seen)
        for fault in self.faults:
            if fault.times != 0 and fault.when(seen):
                fault.times -= 1 if fault.times > 0 else 0
                return self._send(h, fault.status, fault.body, "application/json", fault.headers)
        status, payload, ctype = self._answer(seen)
        self._send(h, status, payload, ctype, {"x-ratelimit-policy": "30;w=60s", "x-ratelimit-remaining": "29"})

    def _send(self, h: BaseHTTPRequestHandler, status: int, payload: bytes, ctype: str, headers: dict) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(payload)))
        for k, v in headers.items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(payload)

    def _answer(self, seen: Seen) -> tuple[int, bytes, str]:
        path = seen.path.rstrip("/").split("/")
        if seen.path.startswith("/api/klass/v1/classifications/"):
            answer = self.klass.get((path[5], path[6]))
            if answer is None:
                return (
                    404,
                    json.dumps({"error": "not found", "message": "ingen slik ressurs"}).encode(),
                    "application/json",
                )
            ctype, payload = answer(seen)  # the request whole: Klass answers as its Accept header asks
            return 200, payload, ctype
        if seen.path.startswith("/api/pxwebapi/v2/tables/"):
            if len(seen.raw_target) > MAX_URL:
                return 404, b"<html><body>Not Found</body></html>", "text/html"
            doc = self.tables.get(path[5])
            if doc is None:
                return 404, b"", "text/plain"
            if path[6] == "metadata":
                return 200, json.dumps(v2_metadata(doc), ensure_ascii=False).encode(), "application/json"
            if seen.method == "POST":
                selection = {s["variableCode"]: s["valueCodes"] for s in seen.body["selection"]}
            else:
                selection = {
                    k[len("valueCodes[") : -1]: v.split(",")
                    for k, v in seen.params.items()
                    if k.startswith("valueCodes[")
                }
            return self._data(doc, selection)
        if seen.path.startswith("/api/v0/no/table/"):
            doc = self.tables.get(path[5])
            if doc is None:
                return 404, b"", "text/plain"
            if seen.method == "GET":
                return 200, json.dumps(v0_metadata(doc), ensure_ascii=False).encode(), "application/json"
            body = seen.body
            if (
                not isinstance(body, dict)
                or body.get("response", {}).get("format") != "json-stat2"
                or not all({"code", "selection"} <= set(q) for q in body.get("query", []))
            ):
                return 400, b"Bad request: the query is not a PxWebApi v0 query", "text/plain"
            selection = {
                q["code"]: q["selection"]["values"] or _codes(doc, q["code"])
                for q in body["query"]
                if q["selection"].get("filter") != "all"
            }
            return self._data(doc, selection, mandatory=False)
        return 404, b"", "text/plain"

    def _data(self, doc: dict, selection: dict[str, list[str]], mandatory: bool = True) -> tuple[int, bytes, str]:
        def refuse(title: str) -> tuple[int, bytes, str]:
            body = {"type": "Parameter error", "title": title, "status": 400}
            if title == "Too many cells selected":
                body["detail"] = title
            return 400, json.dumps(body).encode(), "application/json"

        for var, codes in selection.items():
            if var not in doc["id"]:
                return refuse("Non-existent variable")
            if len(codes) != len(set(codes)):
                return 500, b"", "text/plain"  # SSB: a repeated code answers 500 with an empty body
            if any(c not in _codes(doc, var) for c in codes):
                return refuse("Non-existent value")
        if mandatory and any(d not in selection for d in doc["id"]):
            return refuse("Missing selection for mandantory variable")
        n = 1
        for d in doc["id"]:
            n *= len(selection.get(d, _codes(doc, d)))
        if n > self.max_cells:
            return refuse("Too many cells selected")
        return 200, json.dumps(cut(doc, selection), ensure_ascii=False).encode("utf-8"), "application/json"

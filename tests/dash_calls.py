"""Calling a Dash callback over HTTP as the renderer does: found in the app's own dependency list."""

from __future__ import annotations

import json
from typing import Any


def _concrete(spec_id: str, ids: dict[str, Any]) -> tuple[Any, str]:
    """A dependency's id with wildcards filled in from `ids`, and its name (`type` for pattern ids)."""
    if not spec_id.startswith("{"):
        return spec_id, spec_id
    pattern = json.loads(spec_id)
    return {k: (ids[k] if isinstance(v, list) else v) for k, v in pattern.items()}, pattern.get("type", "")


def _key(cid: Any, prop: str) -> str:
    text = json.dumps(cid, sort_keys=True, separators=(",", ":")) if isinstance(cid, dict) else cid
    return f"{text}.{prop}"


def payload(
    deps: list[dict], output_part: str, values: dict[str, Any], ids: dict | None = None, changed: str = ""
) -> dict:
    """The request body for the callback whose output names `output_part`; `values` by `name.property`."""
    ids = ids or {}
    dep = next(d for d in deps if output_part in d["output"])

    def arg(spec: dict) -> dict:
        cid, name = _concrete(spec["id"], ids)
        return {"id": cid, "property": spec["property"], "value": values.get(f"{name}.{spec['property']}")}

    parts = (
        [p for p in dep["output"].strip(".").split("...") if p] if dep["output"].startswith("..") else [dep["output"]]
    )
    outs = []
    for part in parts:
        raw_id, prop = part.rsplit(".", 1)
        outs.append({"id": _concrete(raw_id, ids)[0], "property": prop})
    inputs = [arg(i) for i in dep["inputs"]]
    first = next((i for i in inputs if changed and _key(i["id"], i["property"]).endswith(changed)), inputs[0])
    return {
        "output": dep["output"],
        "outputs": outs if dep["output"].startswith("..") else outs[0],
        "inputs": inputs,
        "state": [arg(s) for s in dep.get("state", [])],
        "changedPropIds": [_key(first["id"], first["property"])],
    }


def call(client, output_part: str, values: dict[str, Any], ids: dict | None = None, changed: str = "", **kw):
    """POST one callback with a Flask test client (or a requests.Session with `base=`)."""
    base, deps = kw.pop("base", ""), kw.pop("deps", None)
    if deps is None:
        got = client.get(f"{base}/_dash-dependencies")
        deps = got.get_json() if hasattr(got, "get_json") else got.json()
    body = payload(deps, output_part, values, ids, changed)
    return client.post(f"{base}/_dash-update-component", json=body, **kw)

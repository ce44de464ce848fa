"""The dashboard answers compressed when the browser accepts it: the first page load is mostly plotly.js and
the callbacks' JSON, both of which shrink several times with gzip."""

from __future__ import annotations

import gzip
import json
import re

from dashboard.app import create_app
from tests.helpers import app_client

PAGE_CALLBACK = {
    "output": ".._pages_content.children..._pages_store.data..",
    "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
    "inputs": [
        {"id": "_pages_location", "property": "pathname", "value": "/"},
        {"id": "_pages_location", "property": "search", "value": ""},
    ],
    "changedPropIds": ["_pages_location.pathname"],
    "state": [],
}


def test_scripts_and_callbacks_are_sent_gzipped_to_a_browser_that_accepts_it(demo_dir):
    client = app_client(create_app(demo_dir))
    index = client.get("/", headers={"Accept-Encoding": "gzip"})
    scripts = re.findall(r'src="(/_dash-component-suites/[^"]+)"', gzip.decompress(index.data).decode())
    assert index.headers["Content-Encoding"] == "gzip" and scripts
    biggest = max(scripts, key=lambda s: len(client.get(s).data))
    plain, packed = client.get(biggest), client.get(biggest, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data and len(packed.data) * 3 < len(plain.data)
    answer = client.post("/_dash-update-component", json=PAGE_CALLBACK, headers={"Accept-Encoding": "gzip"})
    assert answer.status_code == 200 and answer.headers["Content-Encoding"] == "gzip"
    page = json.loads(gzip.decompress(answer.data))
    assert "_pages_content" in page["response"] and len(answer.data) * 3 < len(json.dumps(page))

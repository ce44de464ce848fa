"""The Data page's upload travels as a Dash callback: a signed-in user's callback may carry a file as large as
`max_upload_mb` allows (as base64), while an anonymous request keeps the small `max_request_mb` limit."""

from __future__ import annotations

import json
from pathlib import Path

from dashboard.app import create_app
from tests.helpers import app_client

THREE_MB = 3_000_000


def _callback_body(size: int) -> bytes:
    """A Dash callback request for the Data page's upload, carrying `size` bytes of base64 file content."""
    content = "data:text/csv;base64," + "A" * size
    body = {
        "output": "..data-upload-result.children...data-content.children..",
        "outputs": [
            {"id": "data-upload-result", "property": "children"},
            {"id": "data-content", "property": "children"},
        ],
        "inputs": [{"id": "data-upload", "property": "contents", "value": content}],
        "changedPropIds": ["data-upload.contents"],
        "state": [{"id": "data-upload", "property": "filename", "value": "stor.csv"}],
    }
    return json.dumps(body).encode()


def test_a_signed_in_upload_over_the_request_limit_reaches_the_page(demo_copy: Path) -> None:
    app = create_app(demo_copy)
    body = _callback_body(THREE_MB)
    assert len(body) > app.server.config["BMS_SETTINGS"].max_request_mb * 1_000_000
    signed_in = app_client(app).post("/_dash-update-component", data=body, content_type="application/json")
    assert signed_in.status_code != 413, signed_in.get_data(as_text=True)[:300]
    anonymous = app.server.test_client().post("/_dash-update-component", data=body, content_type="application/json")
    assert anonymous.status_code == 413
    assert "for stor" in anonymous.get_data(as_text=True)


def test_an_upload_is_in_the_audit_log(demo_copy: Path) -> None:
    from dashboard.store import AppStore

    app = create_app(demo_copy)
    response = app_client(app).post(
        "/_dash-update-component", data=_callback_body(4_000), content_type="application/json"
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    line = AppStore.for_data_dir(demo_copy).one(
        "SELECT username, action, target, detail FROM audit WHERE action = 'opplasting' ORDER BY at DESC LIMIT 1"
    )
    assert line is not None
    assert (line["username"], line["target"], line["detail"]) == ("test-radmann", "stor.csv", "avvist")

"""The app factory: `create_app(data_dir)` builds the Dash app over one data folder's published warehouse.

Nothing reads the warehouse at import or build time: the reader opens its connection lazily (after any
gunicorn fork), and the shell and pages are `layout()` functions evaluated per request.
"""

from __future__ import annotations

import html as html_text
import io
import logging
import re
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
import flask
from dash import _callback, dcc, html

from dashboard import access, components, data, dialogue, downloads, guards, login_page, security
from etl.errors import BmsError
from etl.settings import load_settings
from etl.templates import template_bytes

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
BOOTSTRAP = "bootstrap.min.css"
ERROR_ID = "bms-error"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CALLBACK_ERROR_TEXT = (
    "Noe gikk galt da siden skulle oppdateres. Prøv igjen om litt. "
    "Hvis feilen kommer tilbake, meld fra til den som drifter Heim BMS."
)


def create_app(data_dir: str | Path | None = None) -> dash.Dash:
    """The dashboard for a data folder (default `BMS_DATA_DIR` or `./data`); debug is always off."""
    settings = load_settings(data_dir)
    app = dash.Dash(
        "dashboard",
        use_pages=True,
        pages_folder=str(HERE / "pages"),
        assets_folder=str(HERE / "assets"),
        # Bootstrap is linked first (below) so that bms.css, loaded after it, can override it.
        assets_ignore=f"^{re.escape(BOOTSTRAP)}$",
        serve_locally=True,
        compress=True,  # gzip through flask-compress: plotly.min.js and the callbacks' JSON shrink 3–8×
        title="Heim BMS",
        update_title=None,
        suppress_callback_exceptions=True,  # the pages' components exist only once a page is shown
        on_error=_on_callback_error,
    )
    app.config.external_stylesheets = [app.get_asset_url(BOOTSTRAP)]
    app.index_string = app.index_string.replace("<html>", '<html lang="nb">', 1)  # Norwegian for screen readers
    app.server.config[data.READER_KEY] = data.CachedReader(settings.current)
    app.server.config[data.SETTINGS_KEY] = settings
    app.layout = shell
    _claim_page_callbacks(app)
    dialogue.register_callbacks(app)  # the leaders' own words: the vurdering panel's callback, the dialogue exports
    _add_routes(app.server)
    downloads.add_routes(app.server)
    guards.install(app.server, settings)
    security.install(app, settings)  # last: every route above and Dash's own now need a login
    login_page.add_routes(app.server)  # /login and /logout: open to all (security.OPEN_PATHS)
    return app


def shell() -> html.Div:
    """The frame around every page: navbar, demo banner, error slot, page, and the data freshness line."""
    reader, settings = data.current_reader(), data.current_settings()
    try:
        meta, demo = data.meta(reader), data.is_demo(reader)
    except Exception:  # a damaged warehouse must not take the frame down; the page will say more
        log.exception("Kunne ikke lese meta fra datavarehuset")
        meta, demo = {}, False
    links = [
        (page["name"], page["relative_path"])
        for page in dash.page_registry.values()
        if not page["module"].endswith("not_found_404") and not page.get("path_template") and _page_allowed(page)
    ]
    return html.Div(
        [
            components.navbar(meta.get("kommune_name") or settings.kommune_name, links),
            components.demo_banner() if demo else None,
            _user_bar(),
            dbc.Container(
                [
                    dbc.Alert(id=ERROR_ID, is_open=False, color="danger", dismissable=True, className="mt-3"),
                    dash.page_container,
                ],
                fluid="xxl",
                tag="main",
                className="bms-main",
            ),
            components.footer(data.built_at(meta), meta.get("version")),
        ],
        className="bms-shell",
    )


def _page_allowed(page: dict) -> bool:
    """A page lists itself for some roles only with `allowed=<function>` in its register_page call."""
    allowed = page.get("allowed")
    return allowed() if callable(allowed) else True


def _user_bar() -> html.Div | None:
    """Who is signed in, in which role, and the logout button (a POST form with the CSRF token)."""
    user = access.current_user()
    if user is None:
        return None
    return html.Div(
        html.Form(
            [
                html.Span(f"Innlogget som {user.username} ({ROLE_NAMES.get(user.role, user.role)})", id="bms-user"),
                dcc.Input(type="hidden", name="csrf_token", value=flask.g.get("csrf") or ""),
                html.Button("Logg ut", type="submit", id="bms-logout", className="btn btn-sm btn-outline-dark"),
            ],
            method="POST",
            action="/logout",
            className="d-flex gap-3 align-items-center justify-content-end",
        ),
        className="bms-userbar container-xxl py-1 small",
    )


ROLE_NAMES = {"radmann": "rådmann", "kommunalsjef": "kommunalsjef", "leder": "leder", "analytiker": "analytiker"}


def _claim_page_callbacks(app: dash.Dash) -> None:
    """Take the callbacks the pages just registered (at import, into Dash's global list) for this app.

    Dash moves them only at an app's first request; a second app built in the same process before that
    (tests, the CLI) would otherwise take this app's callbacks as well as its own."""
    for key in list(_callback.GLOBAL_CALLBACK_MAP):
        app.callback_map[key] = _callback.GLOBAL_CALLBACK_MAP.pop(key)
    app._callback_list.extend(_callback.GLOBAL_CALLBACK_LIST)
    _callback.GLOBAL_CALLBACK_LIST.clear()
    app._inline_scripts.extend(_callback.GLOBAL_INLINE_SCRIPTS)
    _callback.GLOBAL_INLINE_SCRIPTS.clear()


def _on_callback_error(err: Exception) -> None:
    """Any failing callback: log the trace on the server, show the user a Norwegian alert and no trace.

    A request for what the user may not see (`access.Forbidden`) is answered 403, with nothing in it."""
    if isinstance(err, access.Forbidden):
        flask.abort(403)
    log.error("Feil i en callback", exc_info=err)
    dash.set_props(
        ERROR_ID, {"is_open": True, "children": [html.Strong("Siden kunne ikke oppdateres. "), CALLBACK_ERROR_TEXT]}
    )


def _message_page(title: str, text: str) -> str:
    return (
        f'<!doctype html><html lang="nb"><head><meta charset="utf-8"><title>{html_text.escape(title)} – '
        f'Heim BMS</title><link rel="stylesheet" href="/assets/{BOOTSTRAP}"></head><body class="p-5">'
        f'<h1 class="h3">{html_text.escape(title)}</h1><p>{html_text.escape(text)}</p>'
        '<p><a href="/">Tilbake til oversikten</a></p></body></html>'
    )


def _add_routes(server: flask.Flask) -> None:
    @server.route("/maler/<kind>.xlsx")
    def excel_template(kind: str) -> flask.Response:
        """An empty Excel template for one input kind, generated from its spec."""
        try:
            content = template_bytes(kind)
        except BmsError as e:
            return flask.Response(_message_page("Fant ikke malen", str(e)), status=404, mimetype="text/html")
        return flask.send_file(io.BytesIO(content), mimetype=XLSX, as_attachment=True, download_name=f"mal-{kind}.xlsx")

    @server.errorhandler(500)
    def server_error(err: Exception) -> tuple[str, int]:
        # Flask has already logged the trace; the user gets a plain Norwegian page without it.
        return _message_page(
            "Noe gikk galt",
            "Siden kunne ikke vises på grunn av en feil på serveren. "
            "Prøv igjen om litt, og meld fra til den som drifter Heim BMS hvis feilen "
            "kommer tilbake.",
        ), 500

"""Logins on the Flask server under Dash: the login page, sessions, CSRF, throttling and security headers.

`install(app, settings)` puts a `before_request` in front of every route: only `/login` and the files the
login page uses are open; an unauthenticated page request goes to the login, anything else (Dash callbacks,
`/api/…`, downloads) gets 401. Every request that writes (any method but GET/HEAD/OPTIONS) must carry the
session's CSRF token: the login form as a hidden field, Dash's own POSTs as the `X-CSRFToken` header, which
the Dash renderer copies from the `_csrf_token` cookie set here.
"""

from __future__ import annotations

import html
import os
import secrets
import time
from pathlib import Path
from urllib.parse import quote

import dash
import flask
from werkzeug.wrappers import Response as BaseResponse

from dashboard import access, accounts, data
from dashboard.store import STORE_KEY, AppStore, current_store, store_path
from etl.settings import Settings

AUTH_KEY = "BMS_AUTH_SETTINGS"
CSRF_COOKIE = "_csrf_token"
CSRF_HEADER = "X-CSRFToken"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
OPEN_PATHS = ("/login", "/assets/bootstrap.min.css", "/assets/bms.css")
UNIT_PARAMS = ("enhet", "unit", "enhet_id", "unit_id")

AUTH_FIELDS = (
    "secure_cookies",
    "session_hours",
    "idle_minutes",
    "login_account_limit",
    "login_address_limit",
    "login_cooldown_seconds",
    "login_slow_after",
    "login_delay_seconds",
)


def auth_settings(settings: Settings) -> dict[str, object]:
    """The login settings (defined and validated with the others in etl/settings.py)."""
    return {name: getattr(settings, name) for name in AUTH_FIELDS}


def secret_key(data_dir: Path) -> str:
    """The key that signs session cookies, kept in the data folder (made once, readable only by the owner)."""
    path = store_path(data_dir).parent / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another worker may be writing it this very moment
            if text := path.read_text(encoding="ascii").strip():
                return text
            time.sleep(0.05)
        raise
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(secrets.token_hex(32))
    return path.read_text(encoding="ascii").strip()


def install(app: dash.Dash, settings: Settings) -> None:
    """Require a login for every route of the app, with CSRF checks, throttled logins and security headers."""
    server = app.server
    conf = auth_settings(settings)
    server.config[STORE_KEY] = AppStore.for_data_dir(settings.data_dir)
    server.config[AUTH_KEY] = conf
    server.secret_key = secret_key(settings.data_dir)
    server.config.update(
        SESSION_COOKIE_NAME="bms_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(conf["secure_cookies"]),
        PERMANENT_SESSION_LIFETIME=float(conf["session_hours"]) * 3600,  # type: ignore[arg-type]
    )
    server.before_request(_sign_in_and_guard)
    server.register_error_handler(403, _forbidden)
    server.after_request(lambda response: _headers(app, response))


def _sign_in_and_guard() -> BaseResponse | None:
    """Who is asking, and whether they may ask at all (the login, CSRF and the unit in the address)."""
    flask.g.user, flask.g.csrf = None, flask.session.get("csrf")
    token = flask.session.get("sid")
    if token:
        conf = flask.current_app.config[AUTH_KEY]
        found = accounts.session_user(current_store(), token, float(conf["idle_minutes"]) * 60)
        if found:
            flask.g.user, flask.g.csrf = found
    path = flask.request.path
    if path in OPEN_PATHS:
        return None
    if flask.g.user is None:
        if _is_page_request():
            target = flask.request.full_path.rstrip("?")
            return flask.redirect(f"/login?neste={quote(target, safe='')}")
        return flask.Response("Du må logge inn først.", status=401, mimetype="text/plain")
    if flask.request.method not in SAFE_METHODS and not _csrf_ok():
        return flask.Response("Skjemaet er utløpt eller ugyldig. Last siden på nytt.", 403, mimetype="text/plain")
    return _page_rule() or _unit_in_address()


def _page_rule() -> flask.Response | None:
    """A Dash page registered with `allowed=<function>` answers 403 to users that function refuses."""
    for page in dash.page_registry.values():
        if page.get("path") == flask.request.path and callable(page.get("allowed")) and not page["allowed"]():
            return flask.Response(forbidden_page(), status=403, mimetype="text/html")
    return None


def _is_page_request() -> bool:
    path = flask.request.path
    last = path.rsplit("/", 1)[-1]
    return flask.request.method == "GET" and not path.startswith(("/_", "/api/", "/assets/")) and "." not in last


def _csrf_ok() -> bool:
    """The request carries the session's CSRF token (a form field or Dash's header)."""
    expected = flask.g.get("csrf")
    given = flask.request.headers.get(CSRF_HEADER) or flask.request.form.get("csrf_token")
    return bool(expected and given and secrets.compare_digest(str(expected), str(given)))


def _unit_in_address() -> flask.Response | None:
    """A unit named in the address (`?enhet=`, `?unit=`, `/enhet/<id>`) that the user may not see: 403."""
    asked = [flask.request.args.get(p) for p in UNIT_PARAMS]
    parts = flask.request.path.strip("/").split("/")
    if len(parts) >= 2 and parts[0] == "enhet":
        asked.append(parts[1])
    for unit in filter(None, asked):
        if unit == data.KOMMUNE and access.may_see_kommune():
            continue  # the whole kommune (`?unit=kommune`), which every role sees
        if not access.may_see_unit(unit):
            return _forbidden(PermissionError(unit))
    return None


def _forbidden(_err: Exception) -> flask.Response:
    """Every 403 in Norwegian: a page for browsers, a line for callbacks and APIs."""
    if _is_page_request():
        return flask.Response(forbidden_page(), status=403, mimetype="text/html")
    return flask.Response("Ingen tilgang.", status=403, mimetype="text/plain")


def forbidden_page() -> str:
    """The answer to a request for a unit or page the user may not see (no data, no hint of any)."""
    return (
        '<!doctype html><html lang="nb"><head><meta charset="utf-8"><title>Ingen tilgang – Heim BMS</title>'
        '<link rel="stylesheet" href="/assets/bootstrap.min.css"></head><body class="p-5">'
        '<h1 class="h3">Ingen tilgang</h1><p>Du har ikke tilgang til dette. Spør rådmannen om du mener du '
        'burde ha det.</p><p><a href="/">Til forsiden</a></p></body></html>'
    )


def _csp(app: dash.Dash) -> str:
    """A Content-Security-Policy Dash works under: its own scripts, the hashes of its inline ones, no framing."""
    if "BMS_CSP" not in app.server.config:
        hashes = " ".join(h if h.startswith("'") else f"'{h}'" for h in app.csp_hashes())
        app.server.config["BMS_CSP"] = "; ".join(
            [
                "default-src 'self'",
                f"script-src 'self' {hashes}",
                "style-src 'self' 'unsafe-inline'",  # Dash and plotly set style attributes
                "img-src 'self' data: blob:",
                "font-src 'self' data:",
                "connect-src 'self'",
                "worker-src 'self' blob:",
                "object-src 'none'",
                "base-uri 'self'",
                "form-action 'self'",
                "frame-ancestors 'none'",
            ]
        )
    return app.server.config["BMS_CSP"]


def _headers(app: dash.Dash, response: flask.Response) -> flask.Response:
    """Security headers on every answer, and the CSRF cookie the Dash renderer sends back as a header."""
    response.headers["Content-Security-Policy"] = _csp(app)
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if not flask.request.path.startswith(("/assets/", "/_dash-component-suites/")):
        response.headers.setdefault("Cache-Control", "no-store")  # figures are not left in shared caches
    csrf = flask.g.get("csrf")
    if csrf and flask.request.cookies.get(CSRF_COOKIE) != csrf:
        response.set_cookie(
            CSRF_COOKIE,
            csrf,
            samesite="Strict",
            secure=bool(flask.current_app.config[AUTH_KEY]["secure_cookies"]),
            httponly=False,  # the Dash renderer reads it to send X-CSRFToken
        )
    user = flask.g.get("user")
    if user and "attachment" in response.headers.get("Content-Disposition", ""):
        access.audit("nedlasting", flask.request.path, flask.request.query_string.decode("utf-8", "replace"))
    return response


def escape(text: object) -> str:
    """Text for HTML, escaped."""
    return html.escape(str(text), quote=True)

"""What the dashboard's server refuses before any page code runs: bodies over the size limit (uploads have their
own, larger limit) and asset paths that name no asset, each answered with a short status and one log line."""

from __future__ import annotations

import html
import logging

import flask
from dash.exceptions import DependencyException
from werkzeug.exceptions import RequestEntityTooLarge

from etl.settings import Settings

log = logging.getLogger(__name__)

# Routes that take a file from the browser: their bodies may be as large as `max_upload_mb` allows.
UPLOAD_PREFIXES = ("/last-opp",)
# The Data page's upload (dcc.Upload) reaches the server as a Dash callback carrying the file as base64 (4 bytes
# for every 3): for a signed-in user, callbacks may carry that much. Anyone else keeps `max_request_mb`.
CALLBACK_PATH = "/_dash-update-component"
BASE64_GROWTH = 4 / 3


def body_limit(settings: Settings, path: str, signed_in: bool = False) -> int:
    """The largest body, in bytes, a request to `path` may carry (more for uploads by a signed-in user)."""
    megabytes = settings.max_request_mb
    if path.startswith(UPLOAD_PREFIXES):
        megabytes = settings.max_upload_mb
    elif signed_in and path == CALLBACK_PATH:
        megabytes = max(settings.max_request_mb, settings.max_upload_mb * BASE64_GROWTH + 1)
    return int(megabytes * 1_000_000)


def _signed_in() -> bool:
    """A session cookie the server signed with a session id in it (read from the cookie, not the body; whether the
    session is still valid is checked later, by dashboard.security)."""
    try:
        return bool(flask.session.get("sid"))
    except RuntimeError:  # no secret key: an app without logins
        return False


def _plain(title: str, text: str, status: int) -> flask.Response:
    page = (
        f'<!doctype html><html lang="nb"><head><meta charset="utf-8"><title>{html.escape(title)} – Heim BMS</title>'
        f"</head><body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    )
    return flask.Response(page, status=status, mimetype="text/html", headers={"Connection": "close"})


def install(server: flask.Flask, settings: Settings) -> None:
    """Add the body limits and the answers for refused requests to the dashboard's Flask server."""

    @server.before_request
    def limit_body() -> flask.Response | None:
        limit = body_limit(settings, flask.request.path, _signed_in())
        flask.request.max_content_length = limit  # also bounds a body sent without Content-Length
        if (flask.request.content_length or 0) > limit:
            raise RequestEntityTooLarge()
        return None

    @server.errorhandler(RequestEntityTooLarge)
    def too_large(_: Exception) -> flask.Response:
        limit = body_limit(settings, flask.request.path, _signed_in()) / 1_000_000
        log.warning("Avviste en forespørsel på %s over grensen %g MB", flask.request.path, limit)
        return _plain(
            "Forespørselen er for stor",
            f"Serveren tar imot høyst {limit:g} MB her. Del opp fila, eller be den som drifter Heim BMS om å øke "
            "max_request_mb (eller max_upload_mb for opplastinger) i settings.toml.",
            413,
        )

    @server.errorhandler(DependencyException)
    def unknown_asset(_: Exception) -> flask.Response:
        log.warning("Fant ikke ressursen %s (404)", flask.request.path[:200])
        return _plain("Fant ikke siden", "Adressen peker ikke på noe i dashbordet.", 404)

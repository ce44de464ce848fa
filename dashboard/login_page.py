"""`/login` and `/logout`: a plain Norwegian HTML form (no Dash, so it works before anyone is signed in)."""

from __future__ import annotations

import secrets
import time
import urllib.parse

import flask
from werkzeug.wrappers import Response as BaseResponse

from dashboard import access, accounts, data
from dashboard.security import AUTH_KEY, escape
from dashboard.store import current_store

NAME_LIMIT = 200  # characters of a typed username that are kept
DEMO_NOTE = (
    "Dette er en demoinstallasjon med oppdiktede tall. Demokontoene er radmann, analytiker, "
    "kommunalsjef-&lt;område&gt; og leder-&lt;enhet&gt; (for eksempel leder-E21); passordet ble skrevet ut "
    "da bms demo kjørte (eller er BMS_DEMO_PASSWORD)."
)


def add_routes(server: flask.Flask) -> None:
    """Register the login and logout routes on the Flask server."""
    server.add_url_rule("/login", "bms_login", login, methods=["GET", "POST"])
    server.add_url_rule("/logout", "bms_logout", logout, methods=["POST"])


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site (never `//host` or a full URL) may follow a login. No control character or
    space either: browsers and Werkzeug drop a tab or newline, and `/<tab>/host` would become `//host`."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urllib.parse.urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def _form_token() -> str:
    if not flask.session.get("csrf"):
        flask.session["csrf"] = secrets.token_urlsafe(32)
    return flask.session["csrf"]


def login() -> BaseResponse | tuple[str, int] | str:
    """Show the form (GET), or check the name and password, throttled per account and address (POST)."""
    if flask.request.method == "GET":
        return _page(flask.request.args.get("neste"))
    form = flask.request.form
    # no account has a longer name; the cut keeps what a stranger types out of the throttle and audit tables
    username, password = form.get("username", "").strip()[:NAME_LIMIT], form.get("password", "")
    target = form.get("neste")
    expected = flask.session.get("csrf")
    if not expected or not secrets.compare_digest(str(expected), form.get("csrf_token", "")):
        return _page(target, "Skjemaet var utløpt. Prøv å logge inn på nytt.", status=400)
    store, conf = current_store(), flask.current_app.config[AUTH_KEY]
    address = flask.request.remote_addr or "ukjent"
    # the attempt is counted before its password is checked, so that attempts sent at once count each other
    attempt = accounts.record_failure(store, username, address)
    by_account, by_address = accounts.recent_failures(store, username, address, float(conf["login_cooldown_seconds"]))
    if by_account > int(conf["login_account_limit"]) or by_address > int(conf["login_address_limit"]):
        accounts.forget_failure(store, attempt)  # refused unchecked: it does not lengthen the lock
        store.audit(username, "innlogging sperret", username, "for mange mislykkede forsøk", address)
        minutes = max(1, round(float(conf["login_cooldown_seconds"]) / 60))
        response = flask.make_response(
            _page(target, f"For mange mislykkede forsøk. Vent {minutes} minutter og prøv igjen.", status=429)
        )
        response.headers["Retry-After"] = str(int(float(conf["login_cooldown_seconds"])))
        return response
    over = max(by_account, by_address) - 1 - int(conf["login_slow_after"])
    if over > 0:
        time.sleep(min(5.0, over * float(conf["login_delay_seconds"])))
    user = accounts.authenticate(store, username, password)
    if user is None:
        store.audit(username or None, "innlogging mislyktes", username, "", address)
        return _page(target, "Feil brukernavn eller passord.", status=401, username=username)
    accounts.clear_failures(store, username)
    token, csrf = accounts.start_session(store, user, address, float(conf["session_hours"]) * 3600)
    flask.session.clear()  # a new session after login: nothing carried over from before
    flask.session.permanent = True
    flask.session["sid"], flask.session["csrf"] = token, csrf
    flask.g.user, flask.g.csrf = user, csrf
    store.audit(user.username, "innlogget", user.username, accounts.ROLE_LABELS[user.role], address)
    wanted = _safe_next(target)
    return flask.redirect(wanted if wanted and wanted != "/" else access.home_path())


def logout() -> BaseResponse:
    """End the session on the server (its cookie is worthless afterwards) and go back to the login."""
    token = flask.session.get("sid")
    user = flask.g.get("user")
    if token:
        accounts.end_session(current_store(), token)
    if user:
        current_store().audit(user.username, "logget ut", user.username, "", flask.request.remote_addr)
    flask.session.clear()
    flask.g.user, flask.g.csrf = None, None
    response = flask.redirect("/login?utlogget=1")
    response.delete_cookie("_csrf_token")
    return response


def _is_demo() -> bool:
    try:
        return data.is_demo(data.current_reader())
    except Exception:  # an unreadable warehouse must not stop anyone from logging in
        return False


def _page(target: str | None, error: str | None = None, status: int = 200, username: str = "") -> tuple[str, int]:
    """The login form as HTML (every value escaped)."""
    notes = []
    if flask.request.args.get("utlogget"):
        notes.append('<div class="alert alert-success" role="status">Du er logget ut.</div>')
    if error:
        notes.append(f'<div class="alert alert-danger" role="alert" id="login-error">{escape(error)}</div>')
    if _is_demo():
        notes.append(f'<div class="alert alert-warning" id="login-demo">{DEMO_NOTE}</div>')
    next_field = f'<input type="hidden" name="neste" value="{escape(t)}">' if (t := _safe_next(target)) else ""
    body = f"""<!doctype html>
<html lang="nb"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Logg inn – Heim BMS</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/bootstrap.min.css"></head>
<body class="bg-light"><main class="container py-5" style="max-width: 30rem">
<h1 class="h3 mb-4">Heim BMS – logg inn</h1>
{"".join(notes)}
<form method="post" action="/login" class="card card-body" id="login-form">
<input type="hidden" name="csrf_token" value="{escape(_form_token())}">{next_field}
<label class="form-label" for="username">Brukernavn</label>
<input class="form-control mb-3" id="username" name="username" autocomplete="username" required
 value="{escape(username)}" autofocus>
<label class="form-label" for="password">Passord</label>
<input class="form-control mb-3" id="password" name="password" type="password" autocomplete="current-password"
 required>
<button class="btn btn-primary" type="submit">Logg inn</button>
</form></main></body></html>"""
    return body, status

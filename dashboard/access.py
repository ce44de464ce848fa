"""Who may see what: the one place every page, callback, download, report and `/api/…` route asks.

Every caller that shows or returns data for a unit, a service area or the kommune calls these functions on
the server, for the request being served (`dashboard.security` signs the user in before any of them run).
Roles: `radmann` sees and writes everything; `analytiker` sees all data and has the data page (uploads,
catalogue) but writes no dialogue; `kommunalsjef` sees the units of the named service areas; `leder` sees
and writes for the named units. Every role sees the kommune's own scorecard (it is published in the annual
report anyway). Outside a served request (the `bms` command, a report rendered in-process) everything is
allowed.
"""

from __future__ import annotations

from typing import Any

import flask

from dashboard import data
from dashboard.accounts import User
from dashboard.store import current_store


class Forbidden(Exception):
    """The current user may not see what was asked for (answered as 403, or as an empty result)."""


def current_user() -> User | None:
    """The signed-in user of the request being served (None when nobody is signed in)."""
    return flask.g.get("user") if flask.has_request_context() else None


def _trusted() -> bool:
    """Outside a served request: the operator at the command line, or code rendering a page in-process.

    Every request the server answers passes `dashboard.security`'s before_request first, which sets
    `g.user` (to None when nobody is signed in); only a context no request went through lacks it."""
    return not flask.has_request_context() or "user" not in flask.g


def _role() -> str | None:
    user = current_user()
    return user.role if user else None


def _unit_areas() -> dict[str, str]:
    """unit_id -> service area of the published warehouse, once per request."""
    if "bms_unit_areas" not in flask.g:
        units = data.units(data.current_reader())
        flask.g.bms_unit_areas = (
            {str(u): str(a) for u, a in zip(units["unit_id"], units["service_area"], strict=True)}
            if not units.empty
            else {}
        )
    return flask.g.bms_unit_areas


def _same(a: str | None, b: str | None) -> bool:
    return (a or "").strip().casefold() == (b or "").strip().casefold()


def visible_unit_ids(all_unit_ids: set[str]) -> set[str]:
    """The unit ids (of `all_unit_ids`) the current user may see."""
    return {u for u in all_unit_ids if may_see_unit(u)}


def may_see_unit(unit_id: str) -> bool:
    """True when the current user may see one unit's figures."""
    if _trusted():
        return True
    user = current_user()
    if user is None:
        return False
    if user.role in ("radmann", "analytiker"):
        return True
    if user.role == "leder":
        return any(_same(unit_id, u) for u in user.scopes)
    if user.role == "kommunalsjef":
        area = _unit_areas().get(str(unit_id))
        return area is not None and any(_same(area, a) for a in user.scopes)
    return False


def may_see_area(area: str) -> bool:
    """True when the current user may see a service area (its units side by side)."""
    if _trusted() or _role() in ("radmann", "analytiker"):
        return True
    user = current_user()
    return bool(user and user.role == "kommunalsjef" and any(_same(area, a) for a in user.scopes))


def may_see_kommune() -> bool:
    """True when the current user may see the whole kommune's figures."""
    return _trusted() or current_user() is not None


def may_use_data_page() -> bool:
    """True when the current user may see loaded/refused files and upload new ones (analysts, rådmann)."""
    return _trusted() or _role() in ("radmann", "analytiker")


def may_write_unit(unit_id: str) -> bool:
    """True when the current user may write vurderinger and tiltak for a unit (its leader, the rådmann)."""
    user = current_user()
    if user is None:
        return False
    return user.role == "radmann" or (user.role == "leder" and any(_same(unit_id, u) for u in user.scopes))


def may_write_ledersamtale(unit_id: str) -> bool:
    """True when the current user may write a unit's ledersamtale points (the rådmann)."""
    return _role() == "radmann"


def may_see_audit() -> bool:
    """True when the current user may read the audit log (rådmann, analysts)."""
    return _role() in ("radmann", "analytiker")


def home_path() -> str:
    """Where the current user lands after logging in: a leader on the own unit, others on the overview."""
    user = current_user()
    if user and user.role == "leder" and user.scopes:
        return f"/?enhet={user.scopes[0]}"
    return "/"


def require_unit(unit_id: str) -> None:
    """Raise Forbidden unless the current user may see the unit."""
    if not may_see_unit(unit_id):
        raise Forbidden(unit_id)


def require_area(area: str) -> None:
    """Raise Forbidden unless the current user may see the service area."""
    if not may_see_area(area):
        raise Forbidden(area)


def abort_unless(allowed: bool) -> None:
    """In a Flask route: answer 403 unless allowed."""
    if not allowed:
        flask.abort(403)


def audit(action: str, target: str = "", detail: str = "") -> None:
    """Write one line to the audit log for the current user (uploads, downloads, writes, account changes)."""
    user: Any = current_user()
    address = flask.request.remote_addr if flask.has_request_context() else None
    current_store().audit(user.username if user else None, action, target, detail, address)

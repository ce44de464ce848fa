"""Who may see what: the one place every page, callback, download, report and `/api/…` route asks.

Every caller that shows or returns data for a unit, a service area or the kommune calls these functions on
the server, for the request being served. Today every request may see everything; the logins issue (#8)
fills in the rules (roles `radmann`, `kommunalsjef`, `leder`, `analytiker`) here without changing callers.
"""

from __future__ import annotations

import flask


class Forbidden(Exception):
    """The current user may not see what was asked for (answered as 403, or as an empty result)."""


def visible_unit_ids(all_unit_ids: set[str]) -> set[str]:
    """The unit ids (of `all_unit_ids`) the current user may see."""
    return set(all_unit_ids)


def may_see_unit(unit_id: str) -> bool:
    """True when the current user may see one unit's figures."""
    return True


def may_see_area(area: str) -> bool:
    """True when the current user may see a service area (its units side by side)."""
    return True


def may_see_kommune() -> bool:
    """True when the current user may see the whole kommune's figures."""
    return True


def may_use_data_page() -> bool:
    """True when the current user may see loaded/refused files and upload new ones (analysts, rådmann)."""
    return True


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

"""What a page says instead of a traceback: no warehouse, unknown unit or indicator, refused access."""

from __future__ import annotations

from dash import dcc, html

from dashboard.components import no_data_alert


def message(title: str, text: str, todo: str, kind: str = "warning") -> html.Div:
    """A Norwegian explanation and what to do, with a way back to the overview."""
    return html.Div(
        html.Div(
            [
                html.H1(title, className="h4"),
                html.P(text),
                html.P(todo, className="mb-2"),
                dcc.Link("Til oversikten", href="/"),
            ],
            className=f"alert alert-{kind} bms-message",
            role="status",
        ),
        className="bms-page",
    )


def no_data() -> html.Div:
    """Nothing published yet."""
    return html.Div(no_data_alert(), className="bms-page")


def unknown_unit(unit_id: str) -> html.Div:
    """An address with a unit id the warehouse does not know."""
    return message(
        "Fant ikke enheten",
        f"Det finnes ingen enhet med koden «{unit_id}» i enhetsfilen som er lastet.",
        "Velg enheten fra oversikten, eller be en analytiker laste en oppdatert enhetsfil.",
    )


def unknown_area(area: str) -> html.Div:
    """An address with a service area no unit belongs to."""
    return message(
        "Fant ikke tjenesteområdet",
        f"Ingen enhet hører til tjenesteområdet «{area}».",
        "Velg en enhet fra oversikten og følg lenken til tjenesteområdet dens.",
    )


def unknown_indicator(indicator_id: str) -> html.Div:
    """An address with an indicator id that is not in the catalogue."""
    return message(
        "Fant ikke indikatoren",
        f"Balansehåndboken har ingen indikator med id «{indicator_id}».",
        "Åpne indikatoren fra et kort på oversikten, eller be en analytiker legge den inn i balansehåndboken.",
    )


def refused() -> html.Div:
    """The current user may not see this."""
    return message(
        "Ingen tilgang",
        "Du har ikke tilgang til disse tallene.",
        "Be rådmannen eller en analytiker om tilgang hvis du trenger dem.",
        kind="secondary",
    )

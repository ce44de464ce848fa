"""The focus-area pages' sections: each table of dashboard.focus_view with its heading, downloads and, where
there is one, its chart with the numbers beside it. Every table and download asks dashboard.access which units
the user may see; the kommune's own rows need `may_see_kommune`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dash_table, dcc, html
from dash.dash_table.Format import Format, Group, Scheme

from dashboard import access, data
from dashboard import analysis_tables as tables
from dashboard import focus_view as view
from dashboard.components import no_data_alert

NOT_ALLOWED = "Du har ikke tilgang til tall for noen enheter. Be en administrator om tilgang hvis du trenger dem."


def _visible() -> set[str]:
    units = data.units(data.current_reader())
    return access.visible_unit_ids(set(units["unit_id"])) if "unit_id" in units else set()


def _kommune() -> str:
    reader, settings = data.current_reader(), data.current_settings()
    return f"{data.meta(reader).get('kommune_name') or settings.kommune_name} kommune"


def _without_kommune(table: tables.Table, column: str) -> tables.Table:
    """Drop the kommune's row or column unless the user may see the whole kommune."""
    if access.may_see_kommune():
        return table
    frame = table.frame
    frame = frame.drop(columns=[_kommune()]) if _kommune() in frame.columns else frame[frame[column] != _kommune()]
    return tables.Table(table.title, frame, table.decimals, table.filename)


def _budget(_args: Mapping[str, str]) -> tables.Table:
    year = view.newest_accounting_year(data.current_reader())
    if year is None:
        return tables.Table("Budsjett", pd.DataFrame({"Merknad": ["Ingen regnskap er lastet ennå."]}))
    return view.budget_by_unit(data.current_reader(), year, _visible())


def _curve(_args: Mapping[str, str]) -> tables.Table:
    year = view.newest_accounting_year(data.current_reader())
    if year is None:
        return tables.Table("Måned", pd.DataFrame({"Merknad": ["Ingen regnskap er lastet ennå."]}))
    return view.monthly_curve(data.current_reader(), year, _visible())


BUILDERS: dict[str, Callable[[Mapping[str, str]], tables.Table]] = {
    "fokus-budsjett": _budget,
    "fokus-maned": _curve,
    "fokus-sykefravaer": lambda _a: view.sick_leave(data.current_reader(), _visible()),
    "fokus-ansatte": lambda _a: _without_kommune(view.staff(data.current_reader(), _visible(), _kommune()), "Enhet"),
    "fokus-10faktor": lambda _a: _without_kommune(
        view.employee_survey(data.current_reader(), _visible(), _kommune()), "Faktor"
    ),
    "fokus-brukere": lambda _a: _without_kommune(
        view.user_survey(data.current_reader(), _visible(), _kommune()), "Gjelder"
    ),
    "fokus-avvik": lambda _a: view.deviations_summary(data.current_reader(), _visible()),
    "fokus-vedtak": lambda _a: view.decisions(data.current_reader(), _visible()),
}
for _key, _builder in BUILDERS.items():
    tables.register(_key, _builder)


def _section(
    key: str, intro: str | None = None, chart: Any = None, grid: bool = False, table: tables.Table | None = None
) -> html.Section:
    table = table if table is not None else BUILDERS[key]({})
    shown = filterable_table(table, f"{key}-table") if grid else tables.html_table(table, f"{key}-table")
    if table.frame.empty or list(table.frame.columns) == ["Merknad"]:
        shown = html.P(
            "Ingen tall å vise ennå: kilden er ikke lastet. Legg fila i data/inbox/ eller last den opp på Data-siden."
        )
    return html.Section(
        [
            html.H2(table.title, className="h4 mt-4", id=f"{key}-title"),
            html.P(intro) if intro else None,
            chart,
            shown,
            tables.download_links(key, {}, table.title.lower()),
        ],
        **{"aria-labelledby": f"{key}-title"},
    )


def filterable_table(table: tables.Table, table_id: str) -> html.Div:
    """A sortable, filterable table (Dash DataTable) with Norwegian number formats."""
    frame = table.frame
    columns = []
    for name in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[name])
        # text ignores case; a number column must not, or DataTable compares «> 30» as text («32» < «100»)
        column: dict[str, Any] = {
            "name": str(name),
            "id": str(name),
            "type": "numeric" if numeric else "text",
            "filter_options": {"case": "sensitive" if numeric else "insensitive"},
        }
        if numeric:
            column["format"] = Format(
                precision=table.decimals.get(name, 0),
                scheme=Scheme.fixed,
                group=Group.yes,
                group_delimiter=" ",
                decimal_delimiter=",",
            )
        columns.append(column)
    return html.Div(
        [
            html.P(
                "Klikk på en kolonneoverskrift for å sortere. Skriv i feltet under overskriften for å filtrere "
                "(for eksempel «pågår» eller «> 30»).",
                className="bms-meta",
            ),
            dash_table.DataTable(
                id=table_id,
                data=frame.astype(object).where(frame.notna(), None).to_dict("records"),
                columns=columns,
                sort_action="native",
                filter_action="native",
                filter_options={"placeholder_text": "Filtrer …"},
                page_action="none",
                style_table={"overflowX": "auto", "maxHeight": "36rem", "overflowY": "auto"},
                style_cell={"fontFamily": "inherit", "fontSize": "0.9rem", "textAlign": "left", "whiteSpace": "normal"},
                style_header={"fontWeight": "600", "backgroundColor": "#eef0f3", "color": "#1f2933"},
            ),
        ],
        className="bms-grid-wrap",
    )


def _figure(figure: Any, label: str) -> html.Div:
    return html.Div(
        dcc.Graph(figure=figure, config={"displayModeBar": False, "staticPlot": True}),
        role="img",
        **{"aria-label": f"{label}. Tallene står i tabellen under."},
    )


def economy() -> list[Any]:
    """Budget vs actual by unit, the monthly curve with its numbers, and the year-end forecast."""
    curve = _curve({})
    chart = _figure(view.curve_figure(curve), "Linjediagram: regnskap og budsjett akkumulert gjennom året")
    return [
        _section("fokus-budsjett", "Regnskap mot budsjett for de bokførte månedene. Positivt avvik er merforbruk."),
        _section("fokus-maned", None, chart, table=curve),
    ]


def staff() -> list[Any]:
    """Sick leave against last year, heltid/deltid/turnover, and 10-FAKTOR per unit."""
    return [
        _section(
            "fokus-sykefravaer", "Tapte dagsverk i prosent av mulige dagsverk, hittil i år mot samme måneder i fjor."
        ),
        _section(
            "fokus-ansatte", "Ved utgangen av året. Turnover er sluttede i prosent av gjennomsnittlig antall ansatte."
        ),
        _section("fokus-10faktor", "Enheter med for få svar vises som «for få svar», aldri som tall."),
    ]


def users() -> list[Any]:
    """The user surveys per service and unit: the kommune's dimensions as a chart, every row in the table."""
    table = BUILDERS["fokus-brukere"]({})
    figure = view.survey_figure(table, _kommune()) if access.may_see_kommune() else None
    chart = (
        _figure(figure, f"Punktdiagram: {_kommune()}s snitt per tjeneste og dimensjon med intervall og landssnitt")
        if figure is not None
        else None
    )
    return [
        _section(
            "fokus-brukere",
            "Snitt med 95 % konfidensintervall og landssnitt. «for få svar» betyr at tallet holdes tilbake "
            "for å verne dem som svarte.",
            chart,
            grid=True,
            table=table,
        )
    ]


def processes() -> list[Any]:
    """Avvik by unit and category, and vedtak with status and deadlines."""
    return [
        _section("fokus-avvik", "Åpne avvik over frist er åpne avvik der fristen er passert.", grid=True),
        _section("fokus-vedtak", "Vedtak som ikke er iverksatt innen fristen, står øverst.", grid=True),
    ]


SECTIONS = {"okonomi": economy, "ansatte": staff, "brukere": users, "interne-prosesser": processes}


def focus_layout(slug: str) -> html.Div:
    """A focus-area page: links to the four areas, then the area's sections (or a Norwegian explanation)."""
    area = data.FOCUS_PAGES[slug]
    nav = html.Nav(
        dbc.Nav(
            [
                dbc.NavItem(dbc.NavLink(name, href=f"/fokus/{key}", active=key == slug))
                for key, name in data.FOCUS_PAGES.items()
            ],
            pills=True,
        ),
        **{"aria-label": "Fokusområder"},
        className="mb-3",
    )
    head = [html.H1(f"Fokusområde: {area}"), nav]
    reader = data.current_reader()
    if not data.is_published(reader):
        return html.Div([*head, no_data_alert()], className="bms-page")
    if not _visible() and not access.may_see_kommune():
        return html.Div([*head, dbc.Alert(NOT_ALLOWED, color="warning")], className="bms-page")
    return html.Div([*head, *SECTIONS[slug]()], className="bms-page", id=f"fokus-{slug}")

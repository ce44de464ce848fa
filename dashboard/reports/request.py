"""What a report is asked for (kind, year, tertial, area, unit, format) and whom it is about."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from dashboard.reports import queries
from dashboard.reports.queries import Reader
from etl.errors import BmsError

KINDS = {
    "tjenesterapport": "Tjenesterapport",
    "arbeidsgiverrapport": "Arbeidsgiverrapport",
    "tertialrapport": "Tertialrapport",
    "vedtaksrapport": "Rapportering vedtak",
    "ledersamtale": "Ledersamtale",
}
FORMATS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class ReportRequest:
    """One report to make: kind, year, optional tertial / service area / unit, and the file format."""

    kind: str
    year: int
    fmt: str = "docx"
    tertial: int | None = None
    area: str | None = None
    unit: str | None = None

    def file_name(self) -> str:
        """A file name saying what the report is: `tjenesterapport-2025-oppvekst.docx`."""
        parts = [self.kind, str(self.year)]
        if self.tertial:
            parts.append(f"t{self.tertial}")
        for part in (self.area, self.unit):
            if part:
                parts.append("".join(c if c.isalnum() else "-" for c in part.lower()))
        return "-".join(parts) + f".{self.fmt}"


@dataclass
class Subject:
    """Whom a report is about: its name, the scopes (kommune or units) and the units it may list."""

    name: str
    scopes: list[tuple[str, str, str]]  # (scope, scope_code, display name)
    unit_ids: list[str]
    unit_names: dict[str, str]
    dialogue_scope: tuple[str, str] | None
    indicator_filter: set[str] | None = None

    @property
    def whole_kommune(self) -> bool:
        """Whether the report is the whole kommune's (not an area's or a unit's)."""
        return self.dialogue_scope is not None and self.dialogue_scope[0] == "kommune"


def check(request: ReportRequest) -> None:
    """Refuse an unknown kind, format or tertial in Norwegian."""
    if request.kind not in KINDS:
        raise BmsError(f"Ukjent rapport «{request.kind}». Velg en av: {', '.join(KINDS)}.")
    if request.fmt not in FORMATS:
        raise BmsError(f"Ukjent format «{request.fmt}». Velg docx, pdf eller xlsx.")
    if request.tertial is not None and request.tertial not in (1, 2, 3):
        raise BmsError("Tertialet må være 1, 2 eller 3.")
    if request.kind == "ledersamtale" and not request.unit:
        raise BmsError("Ledersamtalen gjelder én enhet: oppgi enheten, for eksempel --unit E21.")


def subject(reader: Reader, request: ReportRequest, may_see_unit: Callable[[str], bool] | None = None) -> Subject:
    """Resolve the area or unit asked for against the warehouse's units; only units the caller may see."""
    units = queries.units(reader)
    meta = queries.meta(reader)
    kommune_name, kommune_code = meta.get("kommune_name", "Kommunen"), meta.get("kommune_code", "")
    if may_see_unit is not None and not units.empty:
        units = units[[may_see_unit(u) for u in units["unit_id"]]]
    names = dict(zip(units["unit_id"], units["name"], strict=True)) if not units.empty else {}
    if request.unit:
        if request.unit not in names:
            raise BmsError(
                f"Fant ingen enhet med koden «{request.unit}». Se enhetene i dashbordet eller i enheter-fila."
            )
        name = names[request.unit]
        return Subject(name, [("enhet", request.unit, name)], [request.unit], names, ("enhet", request.unit))
    if request.area:
        chosen = units[units["service_area"].str.lower() == request.area.lower()] if not units.empty else units
        if chosen.empty:
            areas = ", ".join(sorted(set(units["service_area"]))) if not units.empty else "ingen"
            raise BmsError(f"Fant ikke tjenesteområdet «{request.area}». Tjenesteområdene er: {areas}.")
        ids = list(chosen["unit_id"])
        area = str(chosen["service_area"].iloc[0])
        return Subject(
            area[:1].upper() + area[1:],
            [("enhet", u, names[u]) for u in ids],
            ids,
            names,
            None,
            _area_indicators(reader, area, set(chosen["service"].dropna())),
        )
    return Subject(
        kommune_name, [("kommune", kommune_code, kommune_name)], list(names), names, ("kommune", kommune_code)
    )


def _area_indicators(reader: Reader, area: str, services: set[str]) -> set[str]:
    frame = reader.df("SELECT indicator_id, applies_to FROM indicators WHERE applies_to IS NOT NULL")
    wanted = {area.lower(), *(s.lower() for s in services)}
    keep = set()
    for ind, applies in zip(frame.get("indicator_id", []), frame.get("applies_to", []), strict=True):
        if not pd.isna(applies) and wanted & {a.strip().lower() for a in str(applies).split(",")}:
            keep.add(ind)
    return keep

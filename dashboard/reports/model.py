"""The report model: what a report says, independent of the file format it is written to.

Builders turn warehouse data into a `Report`; the writers (`docx`, `pdf`, `xlsx`) turn a `Report` into bytes.
Every cell carries its text as users read it (Norwegian formatting) and, where it is a number, the number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

HELD_BACK = "for få svar"  # what a survey cell held back for anonymity says, never a number


@dataclass
class Cell:
    """One table cell: the text shown, the number behind it (if any) and a status colour (if any)."""

    text: str
    value: float | None = None
    status: str | None = None  # green / yellow / red / grey
    decimals: int = 0  # how the number is shown (Excel keeps the full number with this display format)
    unit: str = ""  # the unit of measure shown after the number (`%`, `kr`), in Excel's display format too


@dataclass
class Table:
    """A real table: a title, column headings, rows of cells, and the source line under it."""

    title: str
    columns: list[str]
    rows: list[list[Cell]]
    source: str
    sheet: str = ""  # the Excel sheet name (≤ 31 characters); the title when blank

    @property
    def wide(self) -> bool:
        """Too many columns for a portrait page: Word and PDF turn its page to landscape."""
        return len(self.columns) > 9


@dataclass
class Chart:
    """A chart as a plotly figure, rendered to PNG once per report, with its source line."""

    title: str
    figure: Any  # a plotly figure (a dict of data and layout, or a Figure)
    source: str
    png: bytes = b""


@dataclass
class Assessment:
    """A leader's vurdering of an indicator or area (from the application store)."""

    author: str
    text: str
    written: str = ""
    indicator: str = ""
    unit: str = ""


@dataclass
class Action:
    """A tiltak with its status (from the application store)."""

    title: str
    status: str
    responsible: str = ""
    due: str = ""
    unit: str = ""


@dataclass
class Section:
    """A chapter: a heading, the drafted paragraphs, tables and charts, and room for what people add."""

    heading: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    level: int = 1
    # Filled by `dialogue.fill_dialogue` when the application store holds them; None = not available.
    assessments: list[Assessment] | None = None
    actions: list[Action] | None = None
    scope: tuple[str, str] | None = None  # (scope, scope_code) the vurderinger and tiltak belong to
    focus_area: str | None = None
    blank_points: list[str] = field(default_factory=list)  # headings with ruled room to write (ledersamtale)
    filled_points: dict[str, str] = field(default_factory=dict)  # what was already written under them
    # (indicator_id, unit_id or kommune code, the period's first day and the day after it, as ISO dates) of the
    # section's rows: a vurdering of any period the row's figure covers belongs to it (a year's sick leave: its months)
    indicators: list[tuple[str, str, str, str]] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # indicator and unit ids → names, for the vurderinger
    year: int | None = None


@dataclass
class Report:
    """A whole report: cover facts and sections."""

    kind: str
    title: str
    kommune: str
    period: str
    subject: str
    demo: bool
    made_at: dt.datetime
    sections: list[Section] = field(default_factory=list)
    empty_message: str | None = None  # set when there is nothing to report (said in Norwegian instead)

    def footer(self) -> str:
        """`Tjenesterapport – Heim – 2025 – DEMODATA`: what each page's footer says."""
        return " – ".join(p for p in (self.title, self.subject, self.period, "DEMODATA" if self.demo else "") if p)

    def tables(self) -> list[Table]:
        """Every table of the report, in order."""
        return [t for s in self.sections for t in s.tables]

    def charts(self) -> list[Chart]:
        """Every chart of the report, in order."""
        return [c for s in self.sections for c in s.charts]

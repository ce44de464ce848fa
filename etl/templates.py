"""Downloadable Excel templates, generated from the same specs the reader uses."""

from __future__ import annotations

import io
from typing import cast

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from etl.errors import BmsError
from etl.spec import EXAMPLE_COLUMN, EXAMPLE_MARK, Spec, load_specs
from etl.spec.types import TYPES


def template_bytes(kind: str) -> bytes:
    """An .xlsx for `kind`: a data sheet with the headers and one example row, and an explanation sheet."""
    specs = load_specs()
    if kind not in specs:
        raise BmsError(f"Ukjent filtype «{kind}». Kjente filtyper: {', '.join(specs)}.")
    spec = specs[kind]
    wb = Workbook()
    data = cast(Worksheet, wb.active)  # a new workbook's one sheet
    data.title = spec.kind.capitalize()
    bold = Font(bold=True)
    for j, col in enumerate(spec.columns, 1):
        head = data.cell(row=1, column=j, value=col.name)
        head.font = bold
        if col.required:
            head.fill = PatternFill("solid", fgColor="FFF2CC")
        example = data.cell(row=2, column=j, value=col.example or None)
        example.data_type = "s"  # text stays text: codes keep leading zeros, nothing is a formula
        data.column_dimensions[get_column_letter(j)].width = max(12, len(col.name) + 4)
    # the example row is marked, so the template dropped in as it is (or with rows added) never loads it
    marker = len(spec.columns) + 1
    data.cell(row=1, column=marker, value=EXAMPLE_COLUMN).font = Font(italic=True)
    data.cell(row=2, column=marker, value=EXAMPLE_MARK).font = Font(italic=True)
    data.column_dimensions[get_column_letter(marker)].width = len(EXAMPLE_MARK) + 2
    _explanation(wb, spec)
    wb.properties.creator = "Heim BMS"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _explanation(wb: Workbook, spec: Spec) -> None:
    sheet = wb.create_sheet("Forklaring")
    sheet.append([spec.label])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([spec.description])
    sheet.append(
        [
            "Gule kolonner må fylles ut. Overskriftene kan stå under en tittel (innen de 15 første radene). "
            "Arket «Forklaring» leses ikke inn."
        ]
    )
    sheet.append(
        [
            f"Rad 2 er et eksempel: den er merket i kolonnen «{EXAMPLE_COLUMN}» og leses aldri inn. Skriv dine "
            "rader under den (la kolonnen være tom), eller slett eksempelraden."
        ]
    )
    sheet.append([])
    sheet.append(["Kolonne", "Påkrevd", "Type", "Godtatte varianter av overskriften", "Gyldige verdier", "Forklaring"])
    for cell in sheet[6]:
        cell.font = Font(bold=True)
    for col in spec.columns:
        allowed = ", ".join(dict.fromkeys(col.values.values()))
        sheet.append(
            [
                col.name,
                "ja" if col.required else "nei",
                TYPES[col.type].label,
                ", ".join(col.aliases),
                allowed,
                col.description,
            ]
        )
    for letter, width in zip("ABCDEF", (22, 9, 30, 40, 30, 80), strict=True):
        sheet.column_dimensions[letter].width = width

"""Downloadable Excel templates, generated from the same specs the reader uses."""

from __future__ import annotations

import io
from typing import cast

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from etl.errors import BmsError
from etl.spec import Spec, load_specs

TYPE_LABELS = {
    "code": "kode (tekst, ledende nuller beholdes)",
    "text": "tekst",
    "integer": "helt tall",
    "number": "tall (desimalkomma)",
    "year": "årstall",
    "date": "dato (dd.mm.åååå)",
    "period": "periode (2025, 2025-03, 2025T1, 2025K1)",
    "enum": "en av de gyldige verdiene",
    "codelist": "koder skilt med komma",
}


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
    sheet.append([])
    sheet.append(["Kolonne", "Påkrevd", "Type", "Godtatte varianter av overskriften", "Gyldige verdier", "Forklaring"])
    for cell in sheet[5]:
        cell.font = Font(bold=True)
    for col in spec.columns:
        allowed = ", ".join(dict.fromkeys(col.values.values()))
        sheet.append(
            [
                col.name,
                "ja" if col.required else "nei",
                TYPE_LABELS[col.type],
                ", ".join(col.aliases),
                allowed,
                col.description,
            ]
        )
    for letter, width in zip("ABCDEF", (22, 9, 30, 40, 30, 80), strict=True):
        sheet.column_dimensions[letter].width = width

"""The report's tables as an Excel workbook (openpyxl): one sheet per table, numbers as numbers, status
colours as cell fills, the source line under each table."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from dashboard.export import sheet_name
from dashboard.reports.model import Report

FILLS = {
    s: PatternFill("solid", fgColor=c)
    for s, c in {"green": "C8E6C9", "yellow": "FFE9A8", "red": "F5C2BD", "grey": "E3E6EA"}.items()
}
HEADER_FILL = PatternFill("solid", fgColor="3D5A80")


def to_xlsx(report: Report) -> bytes:
    """The report's tables as .xlsx bytes (a sheet saying so when there is no data)."""
    wb = Workbook()
    wb.remove(wb.worksheets[0])
    taken: set[str] = set()
    about = wb.create_sheet(sheet_name("Om rapporten", taken))
    for row in (
        [f"{report.title} – {report.subject}"],
        [report.period],
        [f"{report.kommune} kommune"],
        ["DEMODATA – tallene er oppdiktet" if report.demo else ""],
        [report.empty_message or ""],
    ):
        about.append(row)
    about["A1"].font = Font(bold=True, size=14)
    for table in report.tables():
        ws = wb.create_sheet(sheet_name(table.sheet or table.title, taken))
        ws.append([table.title])
        ws["A1"].font = Font(bold=True)
        ws.append(table.columns)
        for cell in ws[2]:
            cell.font, cell.fill = Font(bold=True, color="FFFFFF"), HEADER_FILL
        for cells in table.rows:
            ws.append([c.value if c.value is not None else c.text for c in cells])
            for cell, source in zip(ws[ws.max_row], cells, strict=True):
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula: a title starting with "=" stays the literal text
                if source.status in FILLS:
                    cell.fill = FILLS[source.status]
                if source.value is not None:  # the number as the report shows it, its unit quoted (a bare % scales)
                    unit = f'" {source.unit}"' if source.unit else ""
                    cell.number_format = "#,##0" + ("." + "0" * source.decimals if source.decimals else "") + unit
        ws.append([])
        ws.append([table.source])
        for i, heading in enumerate(table.columns, start=1):
            width = max([len(heading)] + [len(r[i - 1].text) for r in table.rows]) + 2
            ws.column_dimensions[get_column_letter(i)].width = min(60, width)
        ws.freeze_panes = "A3"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

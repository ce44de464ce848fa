"""Reports for the politicians and the leaders: warehouse data → report model → .docx / .pdf / .xlsx bytes.

Pure functions of the warehouse, shared by `bms report` and the Rapporter page:
    build_report(reader, ReportRequest("tjenesterapport", 2025, "docx", area="oppvekst")) -> bytes
"""

from dashboard.reports.build import build_model, build_report, open_reader, write
from dashboard.reports.request import FORMATS, KINDS, ReportRequest

__all__ = ["FORMATS", "KINDS", "ReportRequest", "build_model", "build_report", "open_reader", "write"]

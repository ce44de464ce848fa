"""The report as an editable Word document (python-docx): cover, table of contents, headings, real tables,
charts as PNG, source lines, page numbers."""

from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from dashboard.reports.model import Action, Assessment, Report, Section, Table
from etl.norsk import format_date

FILLS = {"green": "C8E6C9", "yellow": "FFE9A8", "red": "F5C2BD", "grey": "E3E6EA"}
SOURCE_COLOUR = RGBColor(0x55, 0x5F, 0x6B)
DIALOGUE_MISSING = "Vurderinger og tiltak fra dialogmodulen er ikke tilgjengelige ennå; skriv dem inn her."


def _field(paragraph, instruction: str, placeholder: str = "") -> None:
    """A Word field (PAGE, TOC …) as fldChar begin / instrText / separate / text / end."""
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    begin.set(qn("w:dirty"), "true")
    run._r.append(begin)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    paragraph.add_run()._r.append(instr)
    sep = OxmlElement("w:fldChar")
    sep.set(qn("w:fldCharType"), "separate")
    paragraph.add_run()._r.append(sep)
    paragraph.add_run(placeholder)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    paragraph.add_run()._r.append(end)


def _shade(cell, colour: str) -> None:
    props = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), colour)
    props.append(shd)


def _source(doc, text: str) -> None:
    p = doc.add_paragraph(style="Caption")
    run = p.add_run(text)
    run.font.size = Pt(8)
    run.font.color.rgb = SOURCE_COLOUR


def _cover(doc, report: Report) -> None:
    doc.add_paragraph(report.kommune + " kommune", style="Subtitle")
    doc.add_paragraph(report.title, style="Title")
    doc.add_paragraph(" – ".join(p for p in (report.subject, report.period) if p), style="Subtitle")
    if report.demo:
        p = doc.add_paragraph()
        run = p.add_run("DEMODATA – tallene er oppdiktet og skal ikke brukes")
        run.bold, run.font.size, run.font.color.rgb = True, Pt(16), RGBColor(0xC0, 0x39, 0x2B)
    doc.add_paragraph(f"Laget {format_date(report.made_at)} kl. {report.made_at:%H:%M} fra Heim BMS.")
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    doc.add_paragraph("Innhold", style="TOC Heading" if "TOC Heading" in [s.name for s in doc.styles] else None)
    _field(
        doc.add_paragraph(),
        'TOC \\o "1-2" \\h \\z \\u',
        "Høyreklikk og velg «Oppdater felt» for å vise innholdsfortegnelsen.",
    )
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _orient(doc, landscape: bool) -> None:
    """Make what follows landscape or portrait: a new section on a new page when the orientation changes
    (headers and footers carry on)."""
    current = doc.sections[-1].orientation == WD_ORIENT.LANDSCAPE
    if current == landscape:
        return
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    long_side, short_side = max(section.page_width, section.page_height), min(section.page_width, section.page_height)
    section.page_width, section.page_height = (long_side, short_side) if landscape else (short_side, long_side)


def _table(doc, table: Table) -> None:
    doc.add_paragraph(table.title, style="Heading 3")
    t = doc.add_table(rows=1, cols=len(table.columns))
    t.style = "Light Grid Accent 1"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, heading in zip(t.rows[0].cells, table.columns, strict=True):
        cell.text = heading
    for row in table.rows:
        cells = t.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = value.text
            if value.value is not None:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if value.status in FILLS:
                _shade(cell, FILLS[value.status])
    for row in t.rows:
        for cell in row.cells:
            for p in cell.paragraphs:
                for run in p.runs:
                    run.font.size = Pt(8.5)
    if not table.rows:
        doc.add_paragraph("Ingen rader for perioden.")
    _source(doc, table.source)


def assessment_label(section: Section, a: Assessment) -> str:
    """`Sykefravær totalt, Heim helsetun`: what a vurdering is about."""
    return ", ".join(x for x in (section.names.get(a.indicator, a.indicator), section.names.get(a.unit, a.unit)) if x)


def action_text(section: Section, t: Action) -> str:
    """`Tiltak – pågår (Heim helsetun; ansvarlig Kari; frist 31.12.2026)`."""
    extra = "; ".join(
        x
        for x in (
            section.names.get(t.unit, t.unit),
            t.responsible and f"ansvarlig {t.responsible}",
            t.due and f"frist {t.due}",
        )
        if x
    )
    return f"{t.title} – {t.status}" + (f" ({extra})" if extra else "")


def _dialogue(doc, section: Section) -> None:
    if section.scope is None or section.focus_area is None:
        return
    doc.add_paragraph("Vurdering", style="Heading 3")
    if section.assessments is None and section.actions is None:
        doc.add_paragraph(DIALOGUE_MISSING)
        return
    for a in section.assessments or []:
        p = doc.add_paragraph()
        p.add_run(assessment_label(section, a) + ": ").bold = True
        p.add_run(f"{a.text} ({a.author}{', ' + a.written if a.written else ''})")
    if not section.assessments:
        doc.add_paragraph("Ingen vurdering er skrevet ennå.")
    doc.add_paragraph("Tiltak", style="Heading 3")
    for t in section.actions or []:
        doc.add_paragraph(action_text(section, t), style="List Bullet")
    if not section.actions:
        doc.add_paragraph("Ingen tiltak er registrert.")


def _section(doc, section: Section) -> None:
    _orient(doc, landscape=False)
    doc.add_heading(section.heading, level=section.level)
    for text in section.paragraphs:
        doc.add_paragraph(text)
    for table in section.tables:
        _orient(doc, landscape=table.wide)
        _table(doc, table)
    if section.charts or section.blank_points or (section.scope and section.focus_area):
        _orient(doc, landscape=False)  # only when something follows: a report never ends on an empty page
    for chart in section.charts:
        doc.add_paragraph(chart.title, style="Heading 3")
        doc.add_picture(io.BytesIO(chart.png), width=Cm(16.5))
        _source(doc, chart.source)
    _dialogue(doc, section)
    for heading in section.blank_points:
        doc.add_paragraph(heading, style="Heading 3")
        if section.filled_points.get(heading):
            doc.add_paragraph(section.filled_points[heading])
        for _ in range(5):
            doc.add_paragraph("_" * 80)


# The settings that follow w:updateFields in the schema's sequence (Word checks the order).
AFTER_UPDATE_FIELDS = (
    "hdrShapeDefaults",
    "footnotePr",
    "endnotePr",
    "compat",
    "docVars",
    "rsids",
    "mathPr",
    "attachedSchema",
    "themeFontLang",
    "clrSchemeMapping",
    "doNotIncludeSubdocsInStats",
    "doNotAutoCompressPictures",
    "forceUpgrade",
    "captions",
    "readModeInkLockDown",
    "smartTagType",
    "schemaLibrary",
    "shapeDefaults",
    "doNotEmbedSmartTags",
    "decimalSymbol",
    "listSeparator",
)


def _update_fields_on_open(doc) -> None:
    """Word offers to fill the table of contents on opening (w:updateFields, at its place in settings)."""
    settings = doc.settings.element
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    for child in settings:
        if child.tag.rsplit("}", 1)[-1] in AFTER_UPDATE_FIELDS:
            child.addprevious(update)
            return
    settings.append(update)


def _proofing_language(doc: object, language: str) -> None:
    """The language Word spell-checks the text in: python-docx's template says en-US in its document defaults
    and in every style that names one, so every `w:lang` is set (the core property alone is not read)."""
    styles = doc.styles.element  # type: ignore[attr-defined]
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    if rpr.find(qn("w:lang")) is None:
        rpr.append(OxmlElement("w:lang"))
    for lang in styles.iter(qn("w:lang")):
        lang.set(qn("w:val"), language)
        lang.set(qn("w:eastAsia"), language)


def to_docx(report: Report) -> bytes:
    """The report as .docx bytes."""
    doc = Document()
    doc.core_properties.title = f"{report.title} {report.subject} {report.period}"
    doc.core_properties.language = "nb-NO"
    _proofing_language(doc, "nb-NO")
    doc.styles["Normal"].font.name = "Calibri"
    doc.styles["Normal"].font.size = Pt(10.5)
    page = doc.sections[0]
    page.page_height, page.page_width = Cm(29.7), Cm(21.0)
    page.left_margin = page.right_margin = Cm(2.2)
    _cover(doc, report)
    if report.empty_message:
        doc.add_heading("Ingen data", level=1)
        doc.add_paragraph(report.empty_message)
    for section in report.sections:
        _section(doc, section)
    footer = doc.sections[0].footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(f"{report.footer()} – side ")
    _field(footer, "PAGE", "1")
    _update_fields_on_open(doc)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()

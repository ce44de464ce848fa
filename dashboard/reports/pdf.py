"""The report as a PDF: an HTML rendering of the same model, laid out on A4 by weasyprint (text selectable,
page numbers, a table of contents with page numbers)."""

from __future__ import annotations

import base64
import html
from pathlib import Path

from dashboard.reports.docx import DIALOGUE_MISSING, action_text, assessment_label
from dashboard.reports.model import Report, Section, Table
from etl.norsk import format_date

CSS = Path(__file__).with_name("report.css")


def _e(text: object) -> str:
    return html.escape(str(text))


def _table(table: Table) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in table.columns)
    body = []
    for row in table.rows:
        cells = []
        for cell in row:
            classes = " ".join(c for c in ("num" if cell.value is not None else "", cell.status or "") if c)
            cells.append(f'<td class="{classes}">{_e(cell.text)}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    empty = "" if table.rows else "<p>Ingen rader for perioden.</p>"
    wide = ' class="wide"' if table.wide else ""  # a landscape page of its own
    return (
        f"<div{wide}><h3>{_e(table.title)}</h3><table><thead><tr>{head}</tr></thead>"
        f'<tbody>{"".join(body)}</tbody></table>{empty}<p class="source">{_e(table.source)}</p></div>'
    )


def _dialogue(section: Section) -> str:
    if section.scope is None or section.focus_area is None:
        return ""
    if section.assessments is None and section.actions is None:
        return f"<h3>Vurdering</h3><p>{_e(DIALOGUE_MISSING)}</p>"
    out = ["<h3>Vurdering</h3>"]
    out += [
        f"<p><strong>{_e(assessment_label(section, a))}:</strong> {_e(a.text)} ({_e(a.author)}"
        f"{', ' + _e(a.written) if a.written else ''})</p>"
        for a in section.assessments or []
    ] or ["<p>Ingen vurdering er skrevet ennå.</p>"]
    out.append("<h3>Tiltak</h3>")
    items = [f"<li>{_e(action_text(section, t))}</li>" for t in section.actions or []]
    out.append(f"<ul>{''.join(items)}</ul>" if items else "<p>Ingen tiltak er registrert.</p>")
    return "".join(out)


def _section(i: int, section: Section) -> str:
    parts = [f'<h2 id="s{i}">{_e(section.heading)}</h2>']
    parts += [f"<p>{_e(p)}</p>" for p in section.paragraphs]
    parts += [_table(t) for t in section.tables]
    for chart in section.charts:
        data = base64.b64encode(chart.png).decode("ascii")
        parts.append(
            f'<h3>{_e(chart.title)}</h3><img src="data:image/png;base64,{data}" alt="{_e(chart.title)}">'
            f'<p class="source">{_e(chart.source)}</p>'
        )
    parts.append(_dialogue(section))
    for heading in section.blank_points:
        written = section.filled_points.get(heading)
        parts.append(f"<h3>{_e(heading)}</h3>" + (f"<p>{_e(written)}</p>" if written else ""))
        parts.append(f'<div class="lines">{"<p></p>" * 6}</div>')
    return "".join(parts)


def _footer_css(footer: str) -> str:
    quoted = footer.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ")
    return f'@page {{ @bottom-center {{ content: "{quoted} – side " counter(page) " av " counter(pages); }} }}'


def to_html(report: Report) -> str:
    """The report as one HTML document (what the PDF is laid out from)."""
    demo = '<p class="demo">DEMODATA – tallene er oppdiktet og skal ikke brukes</p>' if report.demo else ""
    footer = report.footer()
    toc = "".join(f'<li><a href="#s{i}">{_e(s.heading)}</a></li>' for i, s in enumerate(report.sections))
    body = "".join(_section(i, s) for i, s in enumerate(report.sections))
    if report.empty_message:
        body = f'<h2 id="s-empty">Ingen data</h2><p>{_e(report.empty_message)}</p>' + body
    return (
        f'<!doctype html><html lang="nb"><head><meta charset="utf-8"><title>{_e(footer)}</title></head><body>'
        f"<style>{_footer_css(footer)}</style>"
        f'<section class="cover"><p class="kommune">{_e(report.kommune)} kommune</p><h1>{_e(report.title)}</h1>'
        f'<p class="subject">{_e(report.subject)} – {_e(report.period)}</p>{demo}'
        f"<p>Laget {format_date(report.made_at)} kl. {report.made_at:%H:%M} fra Heim BMS.</p></section>"
        f'<section class="toc"><h2 style="page-break-before: avoid">Innhold</h2><ul>{toc}</ul></section>'
        f"{body}</body></html>"
    )


def to_pdf(report: Report) -> bytes:
    """The report as PDF bytes (A4)."""
    # imported here: weasyprint (and its Pango) is heavy and only a PDF needs it
    from weasyprint import CSS as WeasyCSS  # type: ignore[import-untyped]
    from weasyprint import HTML

    return HTML(string=to_html(report)).write_pdf(stylesheets=[WeasyCSS(filename=str(CSS))])

"""Norwegian text for the reports: cells, source lines and the drafted paragraphs (deterministic templates).

The paragraphs state only what the numbers show (change, target, KOSTRA position, noise); causes are the
leaders' to write.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import pandas as pd

from dashboard.data import MANUAL_REF
from dashboard.reports.model import HELD_BACK, Cell
from etl.norsk import STATUS_LABELS, format_date, format_number, format_value


def present(value: object) -> bool:
    """True for a real number (not None, NaN or pandas NA)."""
    if value is None or value is pd.NA:
        return False
    try:
        return not math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def number(value: object) -> float | None:
    """The value as a float, or None."""
    return float(value) if present(value) else None  # type: ignore[arg-type]


def value_cell(value: object, unit: str = "", decimals: int = 0, status: str | None = None) -> Cell:
    """A number cell as users read it (`7,7 %`), keeping the number for tests and Excel."""
    v = number(value)
    shown = format_value(v, unit, decimals)
    return Cell(shown, v, status, decimals, unit if shown.endswith(unit) and unit else "")


def text_cell(text: object, status: str | None = None) -> Cell:
    """A text cell."""
    return Cell("" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text), None, status)


def held_cell() -> Cell:
    """A survey cell held back for anonymity: the words, never a number."""
    return Cell(HELD_BACK, None, "grey")


def status_cell(status: str, reason: object = None) -> Cell:
    """The traffic light in words (`Grønn`, `Grå – for få svar`), coloured."""
    label = STATUS_LABELS.get(status, "Grå")
    return Cell(f"{label} – {reason}" if present_text(reason) and status == "grey" else label, None, status)


def present_text(text: object) -> bool:
    """True for a non-empty string."""
    return isinstance(text, str) and text.strip() != ""


def change_text(value: float | None, before: float | None, unit: str, decimals: int) -> str:
    """A change as `+0,6 prosentpoeng`, `−12 kr`, or `–` when either side is missing."""
    if value is None or before is None:
        return "–"
    diff = value - before
    sign = "+" if round(diff, decimals) > 0 else ""
    if unit == "%":
        return f"{sign}{format_number(diff, decimals)} prosentpoeng"
    return sign + format_value(diff, unit, decimals)


def _amount(diff: float, unit: str, decimals: int) -> str:
    if unit == "%":
        return f"{format_number(abs(diff), decimals)} prosentpoeng"
    return format_value(abs(diff), unit, decimals)


def indicator_sentence(row: pd.Series, kommune: str, year: int) -> str:
    """One sentence on an indicator: value, change from a year earlier (noise), status against the target."""
    name, unit, dec = str(row["name"]), str(row["unit_of_measure"]), int(row["decimals"])
    if bool(row.get("held")):
        return f"{name}: resultatet vises ikke fordi det er for få svar."
    value = number(row.get("value"))
    if value is None:
        return f"{name}: ingen data for {year}."
    text = f"{name} var {format_value(value, unit, dec)} i {row['period_label']}"
    before = number(row.get("last_year"))
    if before is not None:
        diff = value - before
        if round(diff, dec) == 0:
            text += ", det samme som året før"
        else:
            text += f", {_amount(diff, unit, dec)} {'høyere' if diff > 0 else 'lavere'} enn året før"
        noise = number(row.get("change_noise"))
        if noise is not None:
            within = "innenfor" if abs(diff) <= noise + 1e-9 else "større enn"
            text += f" ({within} støyen på ±{format_number(noise, max(dec, 1))})"
    target = number(row.get("target"))
    if target is not None:
        relation = "på" if round(value - target, dec) == 0 else ("over" if value > target else "under")
        text += f", {relation} målet på {format_value(target, unit, dec)}"
        text += f" (status {STATUS_LABELS.get(str(row['status']), 'Grå').lower()})"
    return text + "."


def status_summary(statuses: Iterable[str]) -> str:
    """`Av 7 indikatorer er 3 grønne, 2 gule og 1 rød; 1 er grå (mangler data, mål eller nok svar).`"""
    counts = {s: 0 for s in ("green", "yellow", "red", "grey")}
    for s in statuses:
        counts[s if s in counts else "grey"] += 1
    total = sum(counts.values())
    parts = [
        f"{counts['green']} {'grønn' if counts['green'] == 1 else 'grønne'}",
        f"{counts['yellow']} {'gul' if counts['yellow'] == 1 else 'gule'}",
        f"{counts['red']} {'rød' if counts['red'] == 1 else 'røde'}",
    ]
    text = f"Av {total} {'indikator' if total == 1 else 'indikatorer'} er {parts[0]}, {parts[1]} og {parts[2]}"
    if counts["grey"]:
        text += f"; {counts['grey']} er grå (mangler data, mål eller nok svar)"
    return text + "."


def kostra_sentence(row: pd.Series) -> str:
    """A KOSTRA position: value, rank among the peers, the group's value and the peers' median."""
    unit, dec = str(row["unit_of_measure"]), int(row["decimals"])
    value = number(row.get("value"))
    if value is None:
        return f"{row['name']}: SSB har ikke tall for {row['scope_name']} i {row['year']}."
    text = f"{row['name']}: {row['scope_name']} hadde {format_value(value, unit, dec)} i {row['year']}"
    if present(row.get("rank")):
        text += f", nummer {int(row['rank'])} av {int(row['rank_of'])} blant sammenligningskommunene (1 er best)"
    judge = {"bedre": "bedre enn", "dårligere": "dårligere enn", "likt": "likt med"}
    group = number(row.get("group_value"))
    if group is not None and present_text(row.get("vs_group")):
        name = row.get("group_name") if present_text(row.get("group_name")) else "KOSTRA-gruppen"
        text += f"; det er {judge[row['vs_group']]} {name} ({format_value(group, unit, dec)})"
    median = number(row.get("peer_median"))
    if median is not None and present_text(row.get("vs_peers")):
        text += (
            f" og {judge[row['vs_peers']]} medianen blant sammenligningskommunene ({format_value(median, unit, dec)})"
        )
    if present_text(row.get("trend")):
        text += f". Utviklingen de siste årene er {row['trend']}"
    return text + "."


def kostra_source(table_ids: Iterable[str], vintages: Iterable[str]) -> str:
    """`Kilde: SSB, KOSTRA, tabell 12134 og 13502, endelige tall per 15.06.2026`."""
    tables = sorted({t for t in table_ids if t})
    vint = sorted({v for v in vintages if present_text(v)})
    text = "Kilde: SSB, KOSTRA"
    if tables:
        text += f", tabell {join(tables)}"
    if vint:
        text += f", {join(vint)}"
    return text


SOURCE_LABELS = {"manuell": "manuelt registrerte tall"}


def source_key(source: str, ref_args: Sequence[str] | None, indicator_id: object) -> str:
    """The `source_files` key of an indicator row: its source, narrowed to a survey's service (the first
    argument of its kilde_ref, `indicators.ref_args`) or a manual figure's indicator."""
    if source == "brukerundersøkelse" and ref_args is not None and len(ref_args) > 0:
        return f"{source}:{ref_args[0]}"
    if source == "manuell":
        return f"manuell:{indicator_id}"
    return source


def internal_source(keys: Iterable[str], files: pd.DataFrame) -> str:
    """`Kilde: sykefravær, fil sykefravaer_2025.xlsx, lastet 29.11.2026 20:30` for each internal source."""
    by_label: dict[str, list[str]] = {}
    for key in dict.fromkeys(k for k in keys if k and k != "KOSTRA"):
        source = key.split(":")[0]
        found = by_label.setdefault(SOURCE_LABELS.get(source, source), [])
        rows = files[files["key"].str.lower() == key.lower()] if not files.empty else files  # letter case aside
        for name, at in zip(rows.get("file_name", []), rows.get("loaded_at", []), strict=True):
            text = f"fil {name}, lastet {format_date(at)} {at:%H:%M}"
            if text not in found:
                found.append(text)
    parts = [
        f"{label}, " + "; ".join(found) if found else f"{label} (ingen fil for perioden)"
        for label, found in by_label.items()
    ]
    return "Kilde: " + "; ".join(parts) if parts else ""


def sources_line(frame: pd.DataFrame, files: pd.DataFrame) -> str:
    """The source line under a table of indicator rows (`source`, `source_ref`, `ref_args`, `vintage`)."""
    if frame.empty:
        return ""
    # a figure typed in (its source_ref names its file) is the manual file's, whatever the catalogue's source
    typed = frame["source_ref"].fillna("").astype(str).str.startswith(MANUAL_REF)
    kostra = frame[(frame["source"] == "KOSTRA") & ~typed & frame["source_ref"].notna()]  # the rows with a figure
    lines = []
    if not kostra.empty:
        ids = [str(a[0]) for a in kostra["ref_args"]]
        lines.append(kostra_source(ids, kostra["vintage"].dropna().astype(str)))
    internal = frame[((frame["source"] != "KOSTRA") | typed) & frame["value"].notna()]
    keys = [
        source_key("manuell" if m else str(s), r, i)
        for s, r, i, m in zip(
            internal["source"], internal["ref_args"], internal["indicator_id"], typed[internal.index], strict=True
        )
    ]
    line = internal_source(keys, files)
    if line:
        lines.append(line.removeprefix("Kilde: ") if lines else line)
    return "; ".join(lines)


def join(items: list[str]) -> str:
    """`a, b og c`."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " og " + items[-1]

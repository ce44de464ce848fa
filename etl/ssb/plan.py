"""What to ask SSB for: the catalogue's KOSTRA references, the regions and years, split into requests.

Pure functions of the catalogue, the settings, Klass's facts and a table's metadata, so the plan can be
tested without a network. A catalogue `kilde_ref` names a table and a content code, and the codes of any
other dimension the figure needs: `12134/KOSAGD230000`, `12137/KOSbelopprinnb0000:KOKartkap0000=KG31`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field

from etl.errors import BmsError
from etl.ssb.jsonstat import dimensions, region_dimension

REF = re.compile(r"^\s*(\d{5})/([A-Za-z0-9_]+)(?::(.+))?\s*$")
NEWEST_YEARS = 5  # the default span: the trend over five years


@dataclass(frozen=True)
class KostraRef:
    """One catalogue figure: table, content code and the codes of other dimensions."""

    table: str
    contents: str
    dims: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, text: str) -> KostraRef | None:
        """`12134/KOSAGD230000` or `12137/KOSbelop…:KOKartkap0000=KG31,…`; None when it is not a KOSTRA ref."""
        m = REF.match(str(text or ""))
        if not m:
            return None
        pairs = tuple(tuple(p.split("=", 1)) for p in (m[3] or "").split(",") if "=" in p)
        return cls(m[1], m[2], tuple((d.strip(), c.strip()) for d, c in pairs))


@dataclass
class TableMeta:
    """A table's dimensions as SSB's metadata lists them (v2 json-stat2 or v0 variables)."""

    table: str
    codes: dict[str, list[str]]
    region: str | None
    time: str | None
    contents: str | None
    eliminable: set[str] = field(default_factory=set)
    updated: str | None = None

    @classmethod
    def from_v2(cls, table: str, doc: dict) -> TableMeta:
        dims = dimensions(doc)
        ids = [d.id for d in dims]
        roles = doc.get("role") or {}
        elim = {d for d in ids if ((doc["dimension"][d].get("extension") or {}).get("elimination"))}
        return cls(
            table,
            {d.id: d.codes for d in dims},
            region_dimension(doc, ids),
            next(iter(roles.get("time") or []), "Tid" if "Tid" in ids else None),
            next(iter(roles.get("metric") or []), "ContentsCode" if "ContentsCode" in ids else None),
            elim,
            doc.get("updated"),
        )

    @classmethod
    def from_v0(cls, table: str, doc: dict) -> TableMeta:
        variables = doc.get("variables") or []
        codes = {v["code"]: [str(c) for c in v.get("values", [])] for v in variables}
        time = next((v["code"] for v in variables if v.get("time")), "Tid" if "Tid" in codes else None)
        region = next((c for c in codes if re.fullmatch(r"(KOK\w*region\d*|Region)", c, re.IGNORECASE)), None)
        elim = {v["code"] for v in variables if v.get("elimination")}
        return cls(table, codes, region, time, "ContentsCode" if "ContentsCode" in codes else None, elim)


def parse_years(items: tuple[str, ...]) -> list[int]:
    """`("2021-2025",)` or `("2021", "2023")` → sorted years; empty → []. Refuses anything else."""
    years: set[int] = set()
    for item in items:
        m = re.fullmatch(r"\s*(\d{4})\s*(?:[-–]\s*(\d{4}))?\s*", str(item))
        if not m or (m[2] and int(m[2]) < int(m[1])):
            raise BmsError(
                f"Innstillingen kostra_years har ugyldig verdi «{item}». Skriv årstall, for eksempel "
                '"2021-2025" eller ["2021", "2022"].'
            )
        years.update(range(int(m[1]), int(m[2] or m[1]) + 1))
    return sorted(years)


def choose_years(meta: TableMeta, wanted: list[int]) -> list[str]:
    """The time codes to ask for: the wanted years the table has, or its five newest years."""
    codes = meta.codes.get(meta.time or "", [])
    if wanted:
        return [c for c in codes if c[:4].isdigit() and int(c[:4]) in wanted]
    return sorted(codes, key=lambda c: c)[-NEWEST_YEARS:]


def regions_for(
    kommune: str,
    peers: tuple[str, ...],
    comparison: tuple[str, ...],
    groups: dict[int, str],
    county: str | None,
    predecessors: dict[str, list[str]],
    years: list[int],
) -> list[str]:
    """Heim, its KOSTRA group for each year, the peers, the comparison regions, and the older numbers of
    renumbered kommuner (so their history comes along), each once."""
    out = [kommune]
    for token in comparison:
        t = token.strip()
        if t.lower() == "kostragruppe":
            out += [groups[y] for y in sorted(groups) if not years or y in years]
        elif t.lower() == "fylke":
            if county:
                out.append(f"EKA{county}")
        elif t:
            out.append(t.upper() if t[:1].isalpha() else t)
    out += list(peers)
    for code in [kommune, *peers]:
        out += predecessors.get(code, [])
    return list(dict.fromkeys(out))


def selection_for(
    meta: TableMeta, refs: list[KostraRef], regions: list[str], years: list[int], optional: frozenset[str] = frozenset()
) -> tuple[dict[str, list[str]], list[str]]:
    """The selection for one table (dimension → codes, in the table's dimension order) and notes about
    what the table does not have (`optional` regions, older kommune numbers, may be missing unremarked).
    Empty selection when nothing can be asked for."""
    notes: list[str] = []
    contents = list(dict.fromkeys(r.contents for r in refs))
    have = set(meta.codes.get(meta.contents or "", []))
    missing = [c for c in contents if c not in have]
    if missing:
        notes.append(
            f"tabell {meta.table} har ikke innholdskoden {', '.join(missing)} (SSB kan ha byttet den ut); "
            "sjekk kilde_ref i balansehåndboka"
        )
    chosen: dict[str, list[str]] = {}
    for dim, codes in meta.codes.items():
        if dim == meta.contents:
            chosen[dim] = [c for c in contents if c in have]
        elif dim == meta.region:
            present = set(codes)
            absent = [r for r in regions if r not in present and r not in optional]
            chosen[dim] = [r for r in regions if r in present]
            if absent:
                notes.append(f"tabell {meta.table} har ikke regionene {', '.join(absent)}")
        elif dim == meta.time:
            chosen[dim] = choose_years(meta, years)
        else:
            named = list(dict.fromkeys(c for r in refs for d, c in r.dims if d == dim and c in codes))
            if named:
                chosen[dim] = named
            elif dim not in meta.eliminable:
                chosen[dim] = list(codes)  # SSB requires a choice: take all (counted in the cell limit)
    if any(not chosen.get(d) for d in (meta.contents, meta.region, meta.time) if d):
        return {}, notes + [f"tabell {meta.table}: ingenting å hente"]
    return chosen, notes


def cells(selection: dict[str, list[str]]) -> int:
    """How many cells a selection gives (SSB counts empty cells too)."""
    return math.prod(len(codes) for codes in selection.values()) if selection else 0


def split(selection: dict[str, list[str]], max_cells: int) -> list[dict[str, list[str]]]:
    """Selections of at most `max_cells` cells each, cutting the dimension with the most codes first."""
    if max_cells < 1:
        raise BmsError(f"Innstillingen ssb_max_cells må være minst 1 (SSB tillater 800 000), ikke {max_cells}.")
    if cells(selection) <= max_cells:
        return [selection]
    dim = max(selection, key=lambda d: len(selection[d]))  # has two codes or more, since cells > 1
    codes = selection[dim]
    parts = min(len(codes), math.ceil(cells(selection) / max_cells))
    size = math.ceil(len(codes) / parts)
    out = []
    for i in range(0, len(codes), size):
        out += split({**selection, dim: codes[i : i + size]}, max_cells)
    return out


def default_klass_date(setting: str, today: dt.date | None = None) -> str:
    """The date municipalities are listed at: the setting, or 1 January this year."""
    if setting:
        try:
            return dt.date.fromisoformat(setting).isoformat()
        except ValueError:
            raise BmsError(
                f"Innstillingen klass_date har ugyldig verdi «{setting}». Skriv en dato som 2025-01-01."
            ) from None
    return dt.date((today or dt.date.today()).year, 1, 1).isoformat()

"""The SSB the tests talk to: KOSTRA tables with every region Heim's comparison needs, and Klass answering
with the real Latin-1 code lists from tests/fixtures/ssb plus KOSTRA groups and code changes set per test.

Cell values follow `truth()`, a formula the tests use to know what a figure must be without reading the
answers back through the code under test.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from pathlib import Path

from tests.conftest import SSB_FIXTURES
from tests.ssb_server import Seen, SsbReplay, make_table

YEARS = [2019, 2020, 2021, 2022, 2023, 2024, 2025]
PEERS = ["5056", "5014", "5059", "1576", "1566", "5061"]
REGIONS = {
    "5055": "Heim",
    "5056": "Hitra",
    "5014": "Frøya",
    "5059": "Orkland",
    "1576": "Aure",
    "1566": "Surnadal",
    "5061": "Rindal",
    "5001": "Trondheim - Tråante",
    "3001": "Halden (2020-2023)",
    "3101": "Halden",
    **{f"EKG{g:02d}": f"KOSTRA-gruppe {g}" for g in range(1, 18)},
    "EKA15": "Møre og Romsdal",
    "EKA50": "Trøndelag - Trööndelage",
    "EAK": "Landet",
    "EAKUO": "Landet uten Oslo",
}
TABLES = {
    "12134": {
        "KOSAGD230000": ("Netto driftsresultat i prosent av brutto driftsinntekter", "prosent", 1),
        "KOSKG210000": ("Disposisjonsfond i prosent av brutto driftsinntekter", "prosent", 1),
        "KOSKG320000": ("Langsiktig gjeld i prosent av brutto driftsinntekter", "prosent", 1),
        "KOSAG110000": ("Frie inntekter i kroner per innbygger", "kr", 0),
    },
    "12255": {"KOSgrstr20000": ("Gruppestørrelse 2, 1.-10. årstrinn", "antall", 1)},
    "13502": {
        "KOSandel150000": ("Andel barn 1-5 år i barnehage", "prosent", 1),
        "KOSbarnaav0000": ("Barn korrigert for alder per årsverk til grunnbemanning", "antall", 1),
    },
}
SUPPRESSED = {("KOSAGD230000", "1576", 2024): ":", ("KOSgrstr20000", "5014", 2025): "."}


def truth(contents: str, region: str, year: int) -> float | None:
    """The figure SSB has for a cell (None where a status symbol stands instead)."""
    if (contents, region, year) in SUPPRESSED:
        return None
    if region == "3001" and year >= 2024 or region == "3101" and year < 2024:
        return None  # Halden's number changed on 1 January 2024
    return round((zlib.crc32(f"{contents}|{region}|{year}".encode()) % 2000) / 10, 1)


def status(contents: str, region: str, year: int) -> str | None:
    if (contents, region, year) in SUPPRESSED:
        return SUPPRESSED[contents, region, year]
    if region == "3001" and year >= 2024 or region == "3101" and year < 2024:
        return "."
    return None


def tables(updated: str = "2026-06-15T06:00:00Z") -> dict[str, dict]:
    """Whole tables: 13502 lists the contents first, like some real KOSTRA tables."""
    out = {}
    for table, contents in TABLES.items():
        order = ("ContentsCode", "KOKkommuneregion0000", "Tid") if table == "13502" else None
        out[table] = make_table(table, REGIONS, contents, YEARS, truth, status, order=order, updated=updated)
    return out


# Names with Sámi letters outside Latin-1, which Klass's ISO-8859-1 export (the fixture) turned into «?»,
# as Klass 131 gives them in UTF-8.
SAMI_NAMES = {"1853": "Evenes - Evenášši", "5610": "Kárášjohka - Karasjok"}
KLASS_FIXTURES = {"131": "klass131_kommuner_2024_latin1.csv", "104": "klass104_fylker_2024_latin1.csv"}


def klass_codes_text(classification: str) -> str:
    """Klass's code list (131 kommuner, 104 fylker) as text, every name exact."""
    text = (SSB_FIXTURES / KLASS_FIXTURES[classification]).read_bytes().decode("iso-8859-1")
    for code, name in SAMI_NAMES.items():
        damaged = name.encode("iso-8859-1", errors="replace").decode("iso-8859-1")
        text = text.replace(f'"{code}",,"1","{damaged}"', f'"{code}",,"1","{name}"')
    return text


class Klass:
    """Klass's answers: the real 131/104 lists, KOSTRA groups per kommune and date, and code changes."""

    def __init__(self, groups: dict[str, list[tuple[str, str, str | None]]], changes: list[tuple] = ()):
        self.groups = groups  # kommune -> [(group, valid from, valid to or None)]
        self.changes = list(changes)  # (old, old name, new, new name, date)

    def codes(self, classification: str) -> Callable[[Seen], tuple[str, bytes]]:
        """The code list as Klass sends it: UTF-8 when the Accept header asks for it, else ISO-8859-1, where
        a letter Latin-1 lacks becomes «?» (the real export in tests/fixtures/ssb was made that way)."""
        text = klass_codes_text(classification)

        def answer(seen: Seen) -> tuple[str, bytes]:
            if "charset=utf-8" in seen.headers.get("Accept", "").replace(" ", "").lower():
                return "text/csv;charset=UTF-8", text.encode("utf-8")
            return "text/csv;charset=ISO-8859-1", text.encode("iso-8859-1", errors="replace")

        return answer

    def corresponds_at(self, seen: Seen) -> tuple[str, bytes]:
        day = seen.params["date"]
        items = [
            {
                "sourceCode": code,
                "sourceName": REGIONS.get(code, code),
                "sourceShortName": "",
                "targetCode": group,
                "targetName": f"KOSTRA-gruppe {int(group[3:])}",
                "targetShortName": "",
                "validFrom": start,
                "validTo": end,
            }
            for code, spans in self.groups.items()
            for group, start, end in spans
            if start <= day and (end is None or day < end)
        ]
        return "application/json", json.dumps({"correspondenceItems": items}, ensure_ascii=False).encode()

    def changes_answer(self, seen: Seen) -> tuple[str, bytes]:
        params = seen.params
        items = [
            {
                "oldCode": o,
                "oldName": on,
                "oldShortName": "",
                "newCode": n,
                "newName": nn,
                "newShortName": "",
                "changeOccurred": d,
            }
            for o, on, n, nn, d in self.changes
            if params["from"] <= d < params["to"]
        ]
        return "application/json", json.dumps({"codeChanges": items}, ensure_ascii=False).encode()

    def routes(self) -> dict:
        return {
            ("131", "codesAt"): self.codes("131"),
            ("104", "codesAt"): self.codes("104"),
            ("131", "correspondsAt"): self.corresponds_at,
            ("131", "changes"): self.changes_answer,
        }


HEIM_IN_EKG05 = {
    "5055": [("EKG05", "2020-01-01", None)],
    **{p: [("EKG02", "2020-01-01", None)] for p in PEERS},
}


def replay(groups: dict | None = None, changes: list[tuple] = (), updated: str = "2026-06-15T06:00:00Z", **kw):
    """A server with the standard tables and Klass (Heim in EKG05 unless told otherwise)."""
    return SsbReplay(tables=tables(updated), klass=Klass(groups or HEIM_IN_EKG05, changes).routes(), **kw)


def quick_settings(data_dir: Path, **extra: object) -> None:
    """Settings for tests: no real waiting, fixed dates and years."""
    values = {
        "ssb_requests_per_minute": 100000,
        "ssb_backoff_seconds": 0.001,
        "klass_date": "2026-01-01",
        "kostra_years": "2021-2025",
        **extra,
    }
    lines = [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    settings = data_dir / "settings.toml"
    text = settings.read_text(encoding="utf-8")
    for k in (line.split(" =")[0] for line in lines):
        text = "\n".join(ln for ln in text.splitlines() if not ln.startswith(f"{k} ="))
    settings.write_text(text + "\n" + "\n".join(lines) + "\n", encoding="utf-8")


def membership_spans(data_dir: Path) -> dict[str, list[tuple]]:
    """kostra_group_membership as {kommune: [(group, from, to)…]} in time order, after checking that every
    kommune's spans are sound: none empty or repeated, none overlapping, each starting where the one
    before ended (only the first may be open to the past, only the last open to the future)."""
    from tests.helpers import query

    rows = query(
        data_dir,
        "SELECT code, kostra_group, valid_from, valid_to FROM kostra_group_membership "
        "ORDER BY code, valid_from NULLS FIRST",
    )
    spans: dict[str, list[tuple]] = {}
    for code, group, start, end in rows:
        spans.setdefault(code, []).append((group, start, end))
    for code, items in spans.items():
        for i, (group, start, end) in enumerate(items):
            assert start is None or end is None or start < end, (code, items)
            assert start is not None or i == 0, (code, items)
            assert end is not None or i == len(items) - 1, (code, items)
            if i:
                assert items[i - 1][2] == start, (code, items)  # contiguous, never overlapping
                assert items[i - 1][0] != group, (code, items)  # a repeated group would be one span
    return spans

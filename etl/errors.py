"""The project's error types: one for a refused file (with every problem in it), one for everything else."""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass, field

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_QUOTED = re.compile(r"«([^«»]{81,})»")
LONGEST_MESSAGE = 1_000


def readable(text: str) -> str:
    """A message as a person can read it: control characters written out (`E10\\u0007`, not an invisible
    bell), a quoted value over 80 characters cut with its length said, and the whole at most 1 000."""
    text = _CONTROL.sub(lambda m: f"\\u{ord(m[0]):04x}", text)
    text = _QUOTED.sub(lambda m: f"«{m[1][:60]}… ({len(m[1])} tegn)»", text)
    return text if len(text) <= LONGEST_MESSAGE else text[: LONGEST_MESSAGE - 1] + "…"


class BmsError(Exception):
    """A failure the user can act on; its message is Norwegian and says what to do."""


class NoReadableWarehouse(BmsError):
    """Every version of the warehouse is damaged or gone: nothing is loaded, and the files wait in the inbox
    until `bms rebuild` has run."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an input file, located as precisely as the file allows."""

    message: str
    fix: str
    sheet: str | None = None
    row: int | None = None  # the row number as the user sees it in Excel or a text editor
    column: str | None = None  # "C (ansvar)" style: letter and header

    def __post_init__(self) -> None:
        # values from a file are echoed in messages: show control characters, never a 600 KB report
        for name in ("message", "fix", "sheet", "column"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, readable(value))

    def location(self) -> str:
        """Where the problem is, in Norwegian: `ark «Ark1», rad 7, kolonne C (ansvar)`."""
        parts = []
        if self.sheet:
            parts.append(f"ark «{self.sheet}»")
        if self.row is not None:
            parts.append(f"rad {self.row}")
        if self.column:
            parts.append(f"kolonne {self.column}")
        return ", ".join(parts)


@dataclass
class FileRejected(BmsError):
    """A file refused whole; `problems` lists everything found, not just the first."""

    file_name: str
    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        first = self.problems[0] if self.problems else Problem("ukjent feil", "")
        more = f" (og {len(self.problems) - 1} problem til)" if len(self.problems) > 1 else ""
        where = first.location()
        return f"{self.file_name}: {where + ': ' if where else ''}{first.message}{more}"

    def report(self, max_problems: int = 200) -> str:
        """The full Norwegian error report written beside a rejected file."""
        lines = [
            f"Fila «{self.file_name}» ble avvist og er ikke lastet inn. Ingenting fra den er lagret.",
            f"Fant {len(self.problems)} problem{'er' if len(self.problems) != 1 else ''}:",
            "",
        ]
        for i, p in enumerate(self.problems[:max_problems], 1):
            where = p.location()
            lines.append(f"{i}. {where + ': ' if where else ''}{p.message}")
            if p.fix:
                lines.append(f"   Slik retter du det: {p.fix}")
        if len(self.problems) > max_problems:
            lines.append(f"… og {len(self.problems) - max_problems} problemer til av samme slag.")
        lines += ["", "Rett fila og legg den i innboksen (data/inbox/) på nytt."]
        return "\n".join(lines)


_ENVIRONMENT = {
    errno.EROFS: "Kan ikke skrive til {where}: den er skrivebeskyttet. Gi Heim BMS skrivetilgang til datamappa, "
    "eller velg en annen med --data-dir (eller BMS_DATA_DIR).",
    errno.EACCES: "Heim BMS har ikke tilgang til {where}. Gi brukeren som kjører bms lese- og skrivetilgang til "
    "datamappa (for eksempel med chown eller chmod), eller velg en annen med --data-dir.",
    errno.ENOSPC: "Det er ikke plass på disken for {where}. Frigjør plass og prøv igjen; det publiserte "
    "datavarehuset er ikke endret.",
    errno.ENAMETOOLONG: "Filnavnet er for langt for filsystemet ({where}). Gi fila et kortere navn.",
    errno.ENOENT: "Fant ikke {where}: den ble flyttet eller slettet underveis. Legg fila i innboksen på nytt.",
    errno.ENOTDIR: "Heim BMS trenger en mappe der {where} ligger. Flytt det som ligger der, eller "
    "velg en annen datamappe med --data-dir.",
}
_SAME = {errno.EPERM: errno.EACCES, errno.EDQUOT: errno.ENOSPC, errno.EFBIG: errno.ENOSPC, errno.EEXIST: errno.ENOTDIR}
_IN_TEXT = (  # DuckDB reports the same faults as text in its IOException
    ("no space left", errno.ENOSPC),
    ("file too large", errno.ENOSPC),
    ("disk quota", errno.ENOSPC),
    ("read-only file system", errno.EROFS),
    ("permission denied", errno.EACCES),
)


def environment_message(exc: BaseException) -> str | None:
    """A Norwegian line saying what to do about a fault of the machine rather than of a file (a read-only or
    full disk, missing permissions, a name too long), or None when `exc` is no such fault."""
    code = getattr(exc, "errno", None)
    text = str(exc).lower()
    if not isinstance(code, int) or code not in _ENVIRONMENT and code not in _SAME:
        code = next((c for needle, c in _IN_TEXT if needle in text), None)
    if code is None:
        if isinstance(exc, OSError):
            where = f"«{exc.filename}»" if exc.filename else "datamappa"
            return (
                f"Kunne ikke lese eller skrive {where} ({exc.strerror or exc}). Sjekk at datamappa er tilgjengelig og "
                "at disken er i orden, og prøv igjen."
            )
        return None
    filename = getattr(exc, "filename", None)
    where = f"«{filename}»" if filename else "datamappa"
    return _ENVIRONMENT[_SAME.get(code, code)].format(where=where)

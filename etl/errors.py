"""The project's error types: one for a refused file (with every problem in it), one for everything else."""

from __future__ import annotations

import errno
from dataclasses import dataclass, field


class BmsError(Exception):
    """A failure the user can act on; its message is Norwegian and says what to do."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an input file, located as precisely as the file allows."""

    message: str
    fix: str
    sheet: str | None = None
    row: int | None = None  # the row number as the user sees it in Excel or a text editor
    column: str | None = None  # "C (ansvar)" style: letter and header

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

"""The project's error types: one for a refused file (with every problem in it), one for everything else."""

from __future__ import annotations

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

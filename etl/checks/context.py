"""What a load already knows when it checks a file: units, ansvar codes and indicators from the published
warehouse plus the files accepted so far. What a kind teaches is declared in its spec (`teaches`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from etl.norsk import KOMMUNE_WORDS, normalise_header
from etl.read.table import Table

_SCALE = re.compile(r"\((\d+)\s*[–-]\s*(\d+)\)")


@dataclass
class Context:
    """Units and indicators known from the published warehouse plus the files accepted so far."""

    units: dict[str, str] = field(default_factory=dict)  # unit_id -> name
    ansvar: dict[str, str] = field(default_factory=dict)  # ansvar code -> unit_id
    indicators: dict[str, int | None] = field(default_factory=dict)  # indicator_id -> min_n
    sources: dict[str, str] = field(default_factory=dict)  # indicator_id -> source kind (the catalogue's kilde)
    source_refs: dict[str, str] = field(default_factory=dict)  # indicator_id -> kilde_ref
    scales: dict[str, tuple[float, float]] = field(default_factory=dict)  # indicator_id -> score scale
    default_min_n: int = 3
    kommune_name: str = ""

    def learn(self, table: Table) -> None:
        """Add what a newly accepted table teaches (its spec's `teaches`): units and ansvar, or indicators."""
        if table.spec.teaches == "units":
            self._learn_units(table)
        elif table.spec.teaches == "indicators":
            f = table.frame
            self.indicators.update(
                (i, None if pd.isna(n) else int(n)) for i, n in zip(f["indicator_id"], f["min_n"], strict=True)
            )
            self.sources.update(zip(f["indicator_id"], f["source"], strict=True))
            self.source_refs.update(zip(f["indicator_id"], f["source_ref"], strict=True))
            self.learn_scales(zip(f["indicator_id"], f["unit_of_measure"], strict=True))

    def _learn_units(self, table: Table) -> None:
        f = table.frame
        self.units.update(zip(f["unit_id"], f["name"], strict=True))
        for col in (c for c in table.spec.columns if c.owns == "ansvar"):
            listed = set(f["unit_id"])
            self.ansvar = {code: uid for code, uid in self.ansvar.items() if uid not in listed}
            for uid, codes in zip(f["unit_id"], f[col.field], strict=True):
                self.ansvar.update((code, uid) for code in (codes if isinstance(codes, list) else []))

    def learn_scales(self, pairs) -> None:
        """Remember the score scale of indicators measured as `skår (1–5)` and the like."""
        for indicator_id, unit in pairs:
            m = _SCALE.search(str(unit or ""))
            if m:
                self.scales[indicator_id] = (float(m[1]), float(m[2]))
            else:
                self.scales.pop(indicator_id, None)

    def min_n(self, indicator_id: str | None) -> int:
        """The anonymity minimum for an indicator's unit-level results."""
        explicit = self.indicators.get(indicator_id or "")
        # the settings' minimum is a floor: the catalogue can raise it for an indicator, never lower it
        return max(explicit, self.default_min_n) if explicit is not None else self.default_min_n

    def min_n_for_source(self, source: str) -> int:
        """The anonymity minimum for a source's unit rows: the strictest of the indicators it feeds."""
        fed = [self.min_n(i) for i, s in self.sources.items() if s == source]
        return max(fed, default=self.default_min_n)

    def is_kommune(self, value: object) -> bool:
        """A unit cell that names the whole kommune ("Heim kommune", "Hele kommunen", "Totalt")."""
        names = {*KOMMUNE_WORDS, self.kommune_name, f"{self.kommune_name} kommune"}
        return normalise_header(value) in {normalise_header(n) for n in names if n}

"""What every reader hands on: the parsed rows of one sheet or document of a known kind."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from etl.spec import Spec


@dataclass
class Table:
    """The parsed rows of one sheet of a known kind: English field names, typed values, `_row` numbers."""

    spec: Spec
    sheet: str | None
    frame: pd.DataFrame
    ignored_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

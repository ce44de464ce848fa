"""The anonymity rule at the edge: survey figures behind fewer answers than the minimum never leave the server.

The warehouse already holds such figures back; `hide_small_n` applies the rule again to every frame a page,
callback or download takes from it, whatever the role (it is no question of who may see what, so it lives apart
from `dashboard.access`).
"""

from __future__ import annotations

import pandas as pd


def hide_small_n(frame: pd.DataFrame) -> pd.DataFrame:
    """The anonymity rule again at the edge: a unit row with fewer answers than its minimum loses every figure.

    Whatever the role and whatever the warehouse holds, a survey value behind fewer than `min_n` answers never
    leaves the server for a unit. Rows need `scope`, `n` and `min_n`; frames without them pass unchanged."""
    if frame.empty or not {"scope", "n", "min_n"} <= set(frame.columns):
        return frame
    small = (frame["scope"] == "enhet") & frame["n"].notna() & frame["min_n"].notna() & (frame["n"] < frame["min_n"])
    if not small.any():
        return frame
    frame = frame.copy()
    figures = [c for c in frame.columns if c in FIGURE_COLUMNS]
    for col in figures:
        frame[col] = frame[col].astype("object").where(~small, None)
    if "status" in frame:
        frame.loc[small, "status"] = "grey"
    if "status_reason" in frame:
        frame.loc[small, "status_reason"] = "for få svar"
    return frame


# The columns that carry (or let one work out) a figure: blanked where too few answered.
FIGURE_COLUMNS = (
    "value",
    "numerator",
    "denominator",
    "previous_value",
    "same_period_last_year",
    "ci_low",
    "ci_high",
    "change_noise",
    "mean",
    "n",
)

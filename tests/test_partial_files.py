"""A survey file replaces its whole year (and service): one that would thereby remove the published figures of
units it leaves out is refused whole unless the analyst says so with `bms load --erstatt-hele FIL`. Files
written the way the portals export them, loaded through `bms load`, checked in the warehouse and the report."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.cli import main as bms
from tests.helpers import query, snapshot, write_xlsx

USER_HEADER = ["år", "tjeneste", "enhet_id", "enhet", "dimensjon", "snitt", "antall_svar", "skala_maks"]
TF_HEADER = ["år", "enhet_id", "faktor", "snitt", "antall_svar"]
UNITS = {"brukerundersøkelse": ("E21", "E22"), "medarbeiderundersøkelse": ("E21", "E31")}
RELATION = {"brukerundersøkelse": "user_survey", "medarbeiderundersøkelse": "employee_survey"}


def survey(kind: str, figures: dict[str | None, tuple[str, int]]) -> dict[str, list[list[object]]]:
    """A portal export of 2024: unit (None for the kommune) → (mean, answers)."""
    if kind == "brukerundersøkelse":
        rows = [[2024, "barnehage", u, "Heim kommune" if u is None else None, "Helhetsvurdering", m, n, 5]
                for u, (m, n) in figures.items()]  # fmt: skip
        return {"Resultater": [USER_HEADER, *rows]}
    return {"Ark1": [TF_HEADER, *[[2024, u, "Mestringstro", m, n] for u, (m, n) in figures.items()]]}


def bms_load(data_dir: Path, capsys, *args: str, code: int = 0) -> str:
    """`bms load` with `args`: what it printed (asserting its exit code)."""
    capsys.readouterr()
    got = bms(["load", "--data-dir", str(data_dir), *args])
    seen = capsys.readouterr()
    assert got == code, seen.out + seen.err
    return seen.out


def stored(data_dir: Path, kind: str) -> list[tuple]:
    """The survey rows in force, as the warehouse holds them: unit, mean, answers."""
    return query(data_dir, f"SELECT unit_id, mean, respondents FROM {RELATION[kind]} ORDER BY unit_id NULLS FIRST")


@pytest.fixture(params=list(UNITS))
def published(request, dd: Path, capsys) -> tuple[Path, str]:
    """A data folder where a kind's 2024 survey is published for the kommune and two units (n 20 and 10)."""
    kind = request.param
    if kind == "brukerundersøkelse":
        units = [["enhet_id", "enhet", "tjenesteområde", "tjeneste"], ["E22", "Vinjeøra barnehage", "oppvekst",
                                                                        "barnehage"]]  # fmt: skip
        write_xlsx(dd / "inbox" / "enheter.xlsx", {"Enheter": units})
    first, second = UNITS[kind]
    write_xlsx(dd / "inbox" / "2024.xlsx", survey(kind, {None: ("4,5", 30), first: ("4,6", 20), second: ("4,3", 10)}))
    bms_load(dd, capsys)
    assert [u for u, *_ in stored(dd, kind)] == [None, first, second]
    return dd, kind


def test_a_survey_file_that_leaves_out_a_unit_with_figures_is_refused_whole(published, capsys):
    dd, kind = published
    first, second = UNITS[kind]
    before, rows_before = snapshot(dd), stored(dd, kind)
    write_xlsx(dd / "inbox" / "rettet.xlsx", survey(kind, {None: ("4,4", 30), first: ("4,7", 20)}))
    out = bms_load(dd, capsys, code=1)
    assert "AVVIST" in out and "rettet.xlsx" in out and second in out, out
    assert snapshot(dd) == before and stored(dd, kind) == rows_before  # nothing of it is loaded
    [report] = (dd / "rejected").glob("*.feil.txt")
    text = report.read_text(encoding="utf-8")
    assert "publiserte tall for enheter den ikke har med" in text and second in text, text
    assert f"Legg radene for {second} til i fila" in text and "bms load --erstatt-hele" in text, text
    assert first not in text.split("Slik retter du det")[1], text  # only the unit that would lose its figures


def test_the_analyst_may_let_a_survey_file_replace_the_whole_year(published, capsys):
    """The fix the refusal names: `bms load --erstatt-hele` on the refused file loads it, and says what went."""
    dd, kind = published
    first, second = UNITS[kind]
    write_xlsx(dd / "inbox" / "rettet.xlsx", survey(kind, {None: ("4,4", 30), first: ("4,7", 20)}))
    bms_load(dd, capsys, code=1)
    [refused] = [p for p in (dd / "rejected").iterdir() if p.name.endswith("_rettet.xlsx")]
    out = bms_load(dd, capsys, "--erstatt-hele", str(refused))
    assert stored(dd, kind) == [(None, 4.4, 30), (first, 4.7, 20)]
    scope = "2024, barnehage" if kind == "brukerundersøkelse" else "2024"
    assert f"erstatter {scope} (3 rader før → 2 rader nå); tallene for {second} er ikke med i fila og fjernes" in out
    assert query(dd, "SELECT status FROM load_log WHERE file_name = ? ORDER BY loaded_at", [refused.name]) == [
        ("loaded",)
    ]
    # the archive replays the same way: a rebuild keeps the analyst's choice
    after = snapshot(dd, (RELATION[kind], "indicator_values"))
    capsys.readouterr()
    assert bms(["rebuild", "--data-dir", str(dd)]) == 0, capsys.readouterr().out
    assert snapshot(dd, (RELATION[kind], "indicator_values")) == after


def test_a_complete_re_export_loads_without_the_flag(published, capsys):
    dd, kind = published
    first, second = UNITS[kind]
    export = survey(kind, {None: ("4,4", 31), first: ("4,5", 20), second: ("4,2", 11)})
    write_xlsx(dd / "inbox" / "ny eksport.xlsx", export)
    out = bms_load(dd, capsys)
    assert stored(dd, kind) == [(None, 4.4, 31), (first, 4.5, 20), (second, 4.2, 11)]
    assert "(3 rader før → 3 rader nå)" in out and "fjernes" not in out, out


def test_a_unit_held_back_before_may_be_left_out(dd, capsys):
    """A unit whose figure was only ever held back (too few answers) has no figure to lose."""
    kind = "medarbeiderundersøkelse"
    write_xlsx(dd / "inbox" / "a.xlsx", survey(kind, {None: ("4,5", 32), "E21": ("4,6", 20), "E31": ("4,3", 10),
                                                       "E41": ("3,0", 2)}))  # fmt: skip
    bms_load(dd, capsys)
    assert query(dd, "SELECT mean FROM raw_employee_survey WHERE unit_id = 'E41'") == [(None,)]  # a marker only
    write_xlsx(dd / "inbox" / "b.xlsx", survey(kind, {None: ("4,4", 30), "E21": ("4,5", 20), "E31": ("4,2", 10)}))
    out = bms_load(dd, capsys)
    assert stored(dd, kind) == [(None, 4.4, 30), ("E21", 4.5, 20), ("E31", 4.2, 10)]
    assert "(4 rader før → 3 rader nå)" in out and "fjernes" not in out, out

"""No number that reveals a person: the subtraction rule holds over everything published for an indicator and
period, whatever file or source each figure came from, and the settings' minimum is a floor.

Every test loads through `bms load` (dashboard.cli.main) and asserts on the published warehouse and the load report."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.cli import main as bms
from tests.helpers import query, units_file, write_xlsx

USER_HEADER = ["år", "tjeneste", "enhet_id", "enhet", "dimensjon", "snitt", "antall_svar", "skala_maks"]
TF_HEADER = ["år", "enhet_id", "faktor", "snitt", "antall_svar"]
MANUAL_HEADER = ["indikator_id", "enhet_id", "periode", "verdi", "antall_svar"]
KINDERGARTENS = [("E22", "Vinjeøra barnehage"), ("E23", "Heimsvingen barnehage")]


def load(data_dir: Path, capsys) -> str:
    """`bms load` on the data folder's inbox: the printed load report (asserting that nothing was refused)."""
    capsys.readouterr()
    code = bms(["load", "--data-dir", str(data_dir)])
    seen = capsys.readouterr()
    out = seen.out
    assert code == 0, out + seen.err
    return out


def load_survey(dd: Path, capsys, cells: dict[str | None, tuple[str, int]]) -> str:
    """A barnehage user survey for 2024, Helhetsvurdering: unit (None: the kommune) → (mean, n), loaded."""
    rows = [[2024, "barnehage", unit, None if unit else "Heim kommune", "Helhetsvurdering", mean, n, 5]
            for unit, (mean, n) in cells.items()]  # fmt: skip
    write_xlsx(dd / "inbox" / "foreldreundersøkelsen.xlsx", {"Resultater": [USER_HEADER, *rows]})
    return load(dd, capsys)


def load_manual(dd: Path, capsys, *rows: list) -> str:
    """An indikatorverdier file of `rows` (indicator, unit, year, value, n), loaded."""
    write_xlsx(dd / "inbox" / "manuelle tall.xlsx", {"Verdier": [MANUAL_HEADER, *rows]})
    return load(dd, capsys)


def with_kindergartens(data_dir: Path) -> None:
    rows = [[uid, name, "oppvekst", "barnehage"] for uid, name in KINDERGARTENS]
    write_xlsx(data_dir / "inbox" / "flere enheter.xlsx", {"Enheter": [["enhet_id", "enhet", "tjenesteområde",
                                                                        "tjeneste"], *rows]})  # fmt: skip


def published(data_dir: Path, indicator: str) -> dict[str, tuple[float, int]]:
    """What indicator_values publishes for an indicator in 2024: scope code → (value, n)."""
    rows = query(
        data_dir,
        "SELECT scope_code, value, n FROM indicator_values WHERE indicator_id = ? AND year(period) = 2024",
        [indicator],
    )
    return {code: (value, n) for code, value, n in rows}


def assert_unsolvable(data_dir: Path, min_n: int = 3) -> None:
    """For every indicator × period with a unit held back or left out: the kommune's published n less the
    published units' n is none or at least the minimum, and no unit below the minimum is published."""
    for indicator, period, k_n, units_n, smallest in query(
        data_dir,
        "SELECT indicator_id, period, any_value(n) FILTER (WHERE scope = 'kommune'), "
        "coalesce(sum(n) FILTER (WHERE scope = 'enhet'), 0), min(n) FILTER (WHERE scope = 'enhet') "
        "FROM indicator_values WHERE indicator_id IN (SELECT indicator_id FROM indicators "
        "WHERE source IN ('brukerundersøkelse', 'medarbeiderundersøkelse') OR indicator_id = 'trivsel_skole') "
        "GROUP BY ALL",
    ):
        assert smallest is None or smallest >= min_n, (indicator, period, smallest)
        if k_n is not None:
            assert k_n - units_n == 0 or k_n - units_n >= min_n, (indicator, period, k_n, units_n)


def test_a_manual_figure_cannot_undo_a_held_back_survey_unit(dd, capsys):
    """Kommune 4,5 (n = 28), E21 4,6 (n = 26), E22 2 answers: a later manual figure for E21 alone would give
    (28·4,5 − 26·4,6)/2 = 3,2 for E22. The rule holds over every source published for the indicator."""
    with_kindergartens(dd)
    load_survey(dd, capsys, {None: ("4,5", 28), "E21": ("4,6", 26), "E22": ("3,2", 2)})
    assert published(dd, "tilfredshet_barnehage") == {"5055": (4.5, 28)}
    report = load_manual(dd, capsys, ["tilfredshet_barnehage", "E21", 2024, "4,6", 26])
    assert published(dd, "tilfredshet_barnehage") == {"5055": (4.5, 28)}  # E21's manual figure is held back
    assert query(dd, "SELECT scope_code, reason FROM held_back WHERE indicator_id = 'tilfredshet_barnehage' "
                     "ORDER BY 1") == [("E21", "skjult av personvernhensyn"), ("E22", "for få svar")]  # fmt: skip
    assert "tilfredshet_barnehage" in report and "E21" in report and "personvern" in report, report
    assert query(dd, "SELECT count(*) FROM scorecard WHERE indicator_id = 'tilfredshet_barnehage' "
                     "AND scope_code = 'E21' AND value IS NOT NULL") == [(0,)]  # fmt: skip
    assert_unsolvable(dd)
    # nor in the relations a notebook reads: the manual figure is held back at the source, the survey's cells too
    assert query(dd, "SELECT unit_id FROM manual_values WHERE indicator_id = 'tilfredshet_barnehage'") == []
    survey = "SELECT unit_id, respondents FROM user_survey WHERE year = 2024 AND dimension = 'Helhetsvurdering'"
    assert query(dd, survey) == [(None, 28)]


def test_a_manual_kommune_figure_cannot_undo_what_a_survey_published_either(dd, capsys):
    """The other way round: the survey gives the kommune (n = 56) from E21 (26) and E23 (30) and leaves E22
    out; a manual kommune figure from another report counts E22's 2 answers too (n = 58), which beside the
    survey's kommune figure alone gives E22's mean, (58·4,52 − 56·4,56)/2. Of two kommune figures that close
    the larger is held back in every relation; the survey's figures stay as they were."""
    with_kindergartens(dd)
    load_survey(dd, capsys, {None: ("4,56", 56), "E21": ("4,6", 26), "E23": ("4,5", 30)})
    assert set(published(dd, "tilfredshet_barnehage")) == {"5055", "E21", "E23"}
    load_manual(dd, capsys, ["tilfredshet_barnehage", None, 2024, "4,52", 58])
    survey = "SELECT unit_id, respondents FROM user_survey WHERE year = 2024 AND dimension = 'Helhetsvurdering'"
    assert sorted(query(dd, survey), key=str) == [("E21", 26), ("E23", 30), (None, 56)]
    assert query(dd, "SELECT count(*) FROM manual_values WHERE indicator_id = 'tilfredshet_barnehage'") == [(0,)]
    assert published(dd, "tilfredshet_barnehage") == {"5055": (4.56, 56), "E21": (4.6, 26), "E23": (4.5, 30)}
    assert_unsolvable(dd)


def test_two_kommune_figures_far_enough_apart_and_one_of_few_answers_without_units_are_both_kept(dd, capsys):
    """Nothing is held back that shows no one: a manual kommune figure of 2 answers beside a survey's kommune
    figure of 40, with no unit anywhere, gives the mean of 38 answers."""
    load_survey(dd, capsys, {None: ("4,5", 40)})
    load_manual(dd, capsys, ["tilfredshet_barnehage", None, 2024, "3,9", 2])
    assert query(dd, "SELECT count(*) FROM anonymity_held") == [(0,)]
    assert query(dd, "SELECT value, n FROM manual_values WHERE indicator_id = 'tilfredshet_barnehage'") == [(3.9, 2)]


def test_a_kommune_figure_without_n_keeps_shielding_a_held_back_unit_when_its_neighbour_comes_again(dd, capsys):
    """Kommune 4,06 without n, E31 4,0 (n = 28), E32 4,9 (n = 2), E33 4,2 (n = 30): the load holds E32 back
    and E31 with it. A later file with E31 alone must not publish it beside the kommune figure, which would
    give E32's mean once its n is known or guessed (the only n below the minimum that gives a mean on the
    scale); E33, whose answers the shield already covers, stays published."""
    units = [["enhet_id", "enhet", "tjenesteområde", "tjeneste"], ["E32", "Halsa skole", "oppvekst", "skole"],
             ["E33", "Heimsvingen skole", "oppvekst", "skole"]]  # fmt: skip
    write_xlsx(dd / "inbox" / "enheter.xlsx", {"Enheter": units})
    first = [
        MANUAL_HEADER,
        ["trivsel_skole", None, 2024, "4,06", None],
        ["trivsel_skole", "E31", 2024, "4,0", 28],
        ["trivsel_skole", "E32", 2024, "4,9", 2],
        ["trivsel_skole", "E33", 2024, "4,2", 30],
    ]
    write_xlsx(dd / "inbox" / "elevundersøkelsen.xlsx", {"Verdier": first})
    load(dd, capsys)
    assert published(dd, "trivsel_skole") == {"5055": (4.06, None), "E33": (4.2, 30)}
    write_xlsx(dd / "inbox" / "elevundersøkelsen E31.xlsx", {"Verdier": [MANUAL_HEADER, first[2]]})
    load(dd, capsys)
    assert published(dd, "trivsel_skole") == {"5055": (4.06, None), "E33": (4.2, 30)}  # E31 held again
    assert query(dd, "SELECT scope_code, reason FROM held_back WHERE indicator_id = 'trivsel_skole' ORDER BY 1") == [
        ("E31", "skjult av personvernhensyn"),
        ("E32", "for få svar"),
    ]
    # nor does any relation a notebook reads publish E31 beside the kommune figure
    assert query(dd, "SELECT unit_id FROM manual_values WHERE indicator_id = 'trivsel_skole' ORDER BY 1") == [
        ("E33",),
        (None,),
    ]


@pytest.mark.parametrize("kind", ["brukerundersøkelse", "medarbeiderundersøkelse", "indikatorverdier"])
def test_a_file_that_leaves_the_small_unit_out_hides_what_would_show_it(dd, capsys, kind):
    """A portal leaves out the unit with two answers but keeps the kommune total: kommune n = 28 and one unit
    with n = 26 would give the mean of the two answers no row stands for."""
    if kind == "brukerundersøkelse":
        rows = [USER_HEADER, [2024, "barnehage", None, "Heim kommune", "Helhetsvurdering", "4,5", 28, 5],
                [2024, "barnehage", "E21", None, "Helhetsvurdering", "4,6", 26, 5]]  # fmt: skip
        indicator = "tilfredshet_barnehage"
    elif kind == "medarbeiderundersøkelse":
        rows = [TF_HEADER, [2024, None, "Mestringstro", "4,5", 28], [2024, "E21", "Mestringstro", "4,6", 26]]
        indicator = query(dd, "SELECT indicator_id FROM indicators WHERE source_ref = 'employee_survey:mestringstro'")
        indicator = indicator[0][0] if indicator else None
    else:
        rows = [MANUAL_HEADER, ["trivsel_skole", None, 2024, "4,5", 28], ["trivsel_skole", "E31", 2024, "4,6", 26]]
        indicator = "trivsel_skole"
    write_xlsx(dd / "inbox" / "undersøkelse.xlsx", {"Ark1": rows})
    report = load(dd, capsys)
    assert "svar som ingen enhet i fila står for, færre enn minstegrensen 3" in report, report
    assert "2 svar" not in report, report  # never how many answered in a held-back cell
    raw = {"brukerundersøkelse": "raw_user_survey", "medarbeiderundersøkelse": "raw_employee_survey",
           "indikatorverdier": "raw_manual_values"}[kind]  # fmt: skip
    value = "value" if kind == "indikatorverdier" else "mean"
    # the unit's figure is stored only as a marker: no value anywhere in the warehouse
    assert query(dd, f"SELECT {value} FROM {raw} WHERE unit_id IS NOT NULL") == [(None,)]
    if indicator:
        assert list(published(dd, indicator)) == ["5055"]
    assert_unsolvable(dd)


def test_the_same_gap_across_two_files_is_closed_in_the_warehouse(dd, capsys):
    """The kommune row in one file, the unit row in a later one: the warehouse applies the rule to both."""
    write_xlsx(dd / "inbox" / "a.xlsx", {"Verdier": [MANUAL_HEADER, ["trivsel_skole", None, 2024, "4,5", 28]]})
    load(dd, capsys)
    write_xlsx(dd / "inbox" / "b.xlsx", {"Verdier": [MANUAL_HEADER, ["trivsel_skole", "E31", 2024, "4,6", 26]]})
    report = load(dd, capsys)
    assert list(published(dd, "trivsel_skole")) == ["5055"]
    assert query(dd, "SELECT scope_code, reason FROM held_back WHERE indicator_id = 'trivsel_skole'") == [
        ("E31", "skjult av personvernhensyn")
    ]
    assert "trivsel_skole" in report and "E31" in report, report
    assert_unsolvable(dd)


def test_a_catalogue_min_n_below_the_settings_minimum_never_lowers_it(dd, capsys):
    catalogue = dd / "balansehandbok.csv"
    lines = catalogue.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(";")
    at = header.index("min_n")
    for i, line in enumerate(lines):
        if line.startswith("tilfredshet_barnehage;"):
            cells = line.split(";")
            cells[at] = "1"
            lines[i] = ";".join(cells)
    catalogue.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    write_xlsx(dd / "inbox" / "f.xlsx", {"Resultater": [
        USER_HEADER, [2024, "barnehage", "E21", None, "Helhetsvurdering", "4,9", 2, 5]]})  # fmt: skip
    report = load(dd, capsys)
    assert query(dd, "SELECT min_n FROM indicators WHERE indicator_id = 'tilfredshet_barnehage'") == [(3,)]
    assert "E21" not in published(dd, "tilfredshet_barnehage")
    assert "min_n 1 for tilfredshet_barnehage er under minstegrensen 3 i innstillingene" in report, report


# ---------------------------------------------------------------- property: nothing can be solved for


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A data folder with the catalogue and four kindergartens (E21–E23, E25) published."""
    root = tmp_path_factory.mktemp("privacy") / "data"
    assert bms(["init", "--data-dir", str(root)]) == 0
    units_file(root / "inbox")
    rows = [[uid, name, "oppvekst", "barnehage"] for uid, name in [*KINDERGARTENS, ("E25", "Liabø barnehage")]]
    write_xlsx(root / "inbox" / "b.xlsx", {"Enheter": [["enhet_id", "enhet", "tjenesteområde", "tjeneste"], *rows]})
    assert bms(["load", "--data-dir", str(root)]) == 0
    return root


UNITS = ["E21", "E22", "E23", "E25"]
group = st.fixed_dictionaries(
    {
        "n": st.lists(st.integers(0, 30), min_size=4, max_size=4),  # each unit's true number of answers
        "in_file": st.lists(st.booleans(), min_size=4, max_size=4),  # portals leave units out
        "kommune_row": st.booleans(),
        "unstated": st.integers(0, 4),  # answers that named no unit: in the kommune total only
        "manual": st.lists(st.booleans(), min_size=4, max_size=4),  # a later manual figure for the unit
        "manual_kommune": st.booleans(),
        "min_n": st.integers(1, 6),
    }
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=group)
def test_no_published_figure_lets_a_held_back_one_be_solved_for(base, case):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "data"
        shutil.copytree(base, root, symlinks=True)
        (root / "settings.toml").write_text(f"min_n = {case['min_n']}\n", encoding="utf-8")
        n = dict(zip(UNITS, case["n"], strict=True))
        total = sum(n.values()) + case["unstated"]
        rows = [USER_HEADER]
        if case["kommune_row"] and total:
            rows.append([2024, "barnehage", None, "Hele kommunen", "Helhetsvurdering", "4,1", total, 5])
        rows += [[2024, "barnehage", u, None, "Helhetsvurdering", "4,3", n[u], 5]
                 for u, keep in zip(UNITS, case["in_file"], strict=True) if keep]  # fmt: skip
        if len(rows) > 1:
            write_xlsx(root / "inbox" / "survey.xlsx", {"Resultater": rows})
        manual = [[ "tilfredshet_barnehage", u, 2024, "4,3", n[u]]
                  for u, keep in zip(UNITS, case["manual"], strict=True) if keep]  # fmt: skip
        if case["manual_kommune"] and total:
            manual.append(["tilfredshet_barnehage", None, 2024, "4,1", total])
        if manual:
            write_xlsx(root / "inbox" / "verdier.xlsx", {"Verdier": [MANUAL_HEADER, *manual]})
        assert bms(["load", "--data-dir", str(root)]) in (0, 1)
        floor = max(case["min_n"], 3)  # the catalogue's min_n for the indicator is 3
        shown = published(root, "tilfredshet_barnehage")
        units = {u: v for u, v in shown.items() if u != "5055"}
        for u, (_, k) in units.items():
            assert k is not None and k >= floor and k == n[u], (u, k)
        if "5055" in shown and units:
            # the answers no published unit stands for: everything else that fed the kommune figure (none or
            # fewer than none when the sources disagree, e.g. a kommune figure computed from a file's one unit
            # beside a manual figure for another: then there is nothing to solve for)
            left = shown["5055"][1] - sum(k for _, k in units.values())
            assert left <= 0 or left >= floor, (shown, case)


def test_a_manual_kommune_figure_of_too_few_answers_beside_a_held_back_unit_is_held_back(dd, capsys):
    """A manual kommune figure resting on 2 answers, beside a survey unit held back for its 2 answers, could be
    that unit's mean: it is held back in every relation."""
    with_kindergartens(dd)
    load_survey(dd, capsys, {None: ("4,52", 58), "E21": ("4,6", 26), "E22": ("3,2", 2), "E23": ("4,5", 30)})
    load_manual(dd, capsys, ["tilfredshet_barnehage", None, 2024, "3,2", 2])
    assert query(dd, "SELECT count(*) FROM manual_values WHERE indicator_id = 'tilfredshet_barnehage'") == [(0,)]
    assert published(dd, "tilfredshet_barnehage")["5055"] == (4.52, 58)  # the survey's kommune figure stays
    assert_unsolvable(dd)

"""Planning what to ask SSB for: catalogue references, years, regions, selections and cell-limit splits."""

from __future__ import annotations

from itertools import product

import pytest

from etl.errors import BmsError
from etl.ssb.plan import KostraRef, TableMeta, cells, choose_years, parse_years, regions_for, selection_for, split


def meta(**codes: list[str]) -> TableMeta:
    return TableMeta("12137", codes, "KOKkommuneregion0000", "Tid", "ContentsCode", eliminable={"KOKkjoenn0000"})


def test_catalogue_references_name_table_contents_and_other_dimensions():
    assert KostraRef.parse("12134/KOSAGD230000") == KostraRef("12134", "KOSAGD230000")
    assert KostraRef.parse(" 12137/KOSbelopprinnb0000:KOKartkap0000=KG31 ") == KostraRef(
        "12137", "KOSbelopprinnb0000", (("KOKartkap0000", "KG31"),)
    )
    assert KostraRef.parse("sick_leave:total") is None and KostraRef.parse("") is None


def test_years_from_the_settings_or_the_five_newest_the_table_has():
    assert parse_years(("2021-2023", "2025")) == [2021, 2022, 2023, 2025]
    assert parse_years(()) == []
    with pytest.raises(BmsError, match="Innstillingen kostra_years har ugyldig verdi «2025-2021»"):
        parse_years(("2025-2021",))
    m = meta(Tid=[str(y) for y in range(2015, 2026)])
    assert choose_years(m, []) == ["2021", "2022", "2023", "2024", "2025"]
    assert choose_years(m, [2014, 2016, 2025]) == ["2016", "2025"]


def test_regions_resolve_the_group_per_year_the_county_and_literal_codes_each_once():
    got = regions_for(
        "5055",
        ("5056", "5055", "3101"),
        ("kostragruppe", "fylke", "eakuo", "EAK"),
        {2023: "EKG02", 2024: "EKG05", 2025: "EKG05"},
        "50",
        {"3101": ["3001"], "5055": []},
        [2024, 2025],
    )
    assert got == ["5055", "EKG05", "EKA50", "EAKUO", "EAK", "5056", "3101", "3001"]


def test_a_selection_takes_named_codes_for_other_dimensions_and_all_of_a_mandatory_unnamed_one():
    m = meta(
        KOKkommuneregion0000=["5055", "EAKUO", "0301"],
        KOKartkap0000=["KG31", "KG32"],
        KOKkjoenn0000=["1", "2"],
        KOKalder0000=["a", "b", "c"],
        ContentsCode=["KOSbelopprinnb0000", "KOSandel0000"],
        Tid=["2024", "2025"],
    )
    refs = [KostraRef.parse("12137/KOSbelopprinnb0000:KOKartkap0000=KG31"), KostraRef.parse("12137/KOSgammel0000")]
    selection, notes = selection_for(m, refs, ["5055", "EAKUO", "9999", "3001"], [2025], frozenset({"3001"}))
    assert selection == {
        "KOKkommuneregion0000": ["5055", "EAKUO"],
        "KOKartkap0000": ["KG31"],
        "KOKalder0000": ["a", "b", "c"],  # SSB requires a choice: all of them
        "ContentsCode": ["KOSbelopprinnb0000"],
        "Tid": ["2025"],
    }  # KOKkjoenn0000 can be left out (elimination)
    assert notes == [
        "tabell 12137 har ikke innholdskoden KOSgammel0000 (SSB kan ha byttet den ut); "
        "sjekk kilde_ref i balansehåndboka",
        "tabell 12137 har ikke regionene 9999",  # 3001 is an older number: its absence is expected
    ]


def test_splits_cover_every_cell_once_and_stay_under_the_limit():
    selection = {"r": [f"{i:04d}" for i in range(37)], "c": ["a", "b", "c"], "t": [str(y) for y in range(2015, 2026)]}
    parts = split(selection, 100)
    assert max(cells(p) for p in parts) <= 100
    covered = [cell for p in parts for cell in product(*p.values())]
    assert sorted(covered) == sorted(product(*selection.values()))
    assert split(selection, 10_000) == [selection]
    assert split({"r": ["x"], "c": ["a", "b", "c"]}, 1) == [{"r": ["x"], "c": [c]} for c in "abc"]
    with pytest.raises(BmsError, match="Innstillingen ssb_max_cells må være minst 1"):
        split(selection, 0)

"""Klass's real CSV exports (ISO-8859-1, `,` or `;`, short rows) load as municipalities and counties;
kommune-number changes come from Klass's change list."""

from __future__ import annotations

import datetime as dt
import json
import shutil

from etl.load import load
from etl.settings import load_settings
from tests.conftest import SSB_FIXTURES
from tests.helpers import query
from tests.ssb_world import membership_spans

KOMMUNER_2024 = "klass131_kommuner_2024_latin1.csv"
KOMMUNER_2020 = "klass131_kommuner_2020_latin1.csv"
FYLKER_2024 = "klass104_fylker_2024_latin1.csv"


def drop(data_dir, *names: str) -> None:
    for name in names:
        shutil.copy(SSB_FIXTURES / name, data_dir / "inbox" / name)
    summary = load(load_settings(data_dir))
    assert not summary.rejected, [r.message for r in summary.rejected]


def test_the_real_latin1_exports_load_as_municipalities_with_counties(data_dir):
    drop(data_dir, KOMMUNER_2024, FYLKER_2024)
    kinds = query(data_dir, "SELECT kind, count(*) FROM municipalities GROUP BY 1 ORDER BY 1")
    assert dict(kinds)["kommune"] == 357 and dict(kinds)["fylke"] == 15  # "Uoppgitt" (9999, 99) left out
    assert query(data_dir, "SELECT count(*) = count(DISTINCT code) FROM municipalities") == [(True,)]
    rows = query(
        data_dir,
        "SELECT code, name, county_code, county_name FROM municipalities WHERE code IN ('5055', '5014', '0301', '1820')"
        " ORDER BY code",
    )
    assert rows == [
        ("0301", "Oslo", "03", "Oslo"),
        ("1820", "Alstahaug", "18", "Nordland - Nordlánnda"),
        ("5014", "Frøya", "50", "Trøndelag - Trööndelage"),
        ("5055", "Heim", "50", "Trøndelag - Trööndelage"),
    ]
    # Sámi letters outside Latin-1 arrive from Klass as "?", and are kept as Klass wrote them
    assert query(data_dir, "SELECT name FROM municipalities WHERE code = '1853'") == [("Evenes - Evená??i",)]
    assert query(data_dir, "SELECT name FROM municipalities WHERE code = 'EKA50'") == [("Trøndelag - Trööndelage",)]


def test_the_2020_export_with_semicolons_and_short_rows_loads_too(data_dir):
    drop(data_dir, KOMMUNER_2020)
    assert query(data_dir, "SELECT count(*) FROM municipalities WHERE kind = 'kommune'") == [(356,)]
    assert query(data_dir, "SELECT name FROM municipalities WHERE code = '5055'") == [("Heim",)]
    assert query(data_dir, "SELECT code FROM municipalities WHERE name = 'Ålesund'") == [("1507",)]


def test_changes_end_old_numbers_and_map_renumbered_kommuner(data_dir):
    changes = {
        "codeChanges": [
            {
                "oldCode": "3001",
                "oldName": "Halden",
                "newCode": "3101",
                "newName": "Halden",
                "changeOccurred": "2024-01-01",
            },
            {
                "oldCode": "5011",
                "oldName": "Hemne",
                "newCode": "5055",
                "newName": "Heim",
                "changeOccurred": "2020-01-01",
            },
            {
                "oldCode": "1571",
                "oldName": "Halsa",
                "newCode": "5055",
                "newName": "Heim",
                "changeOccurred": "2020-01-01",
            },
            {
                "oldCode": "0101",
                "oldName": "Halden",
                "newCode": "3001",
                "newName": "Halden",
                "changeOccurred": "2020-01-01",
            },
        ]
    }
    (data_dir / "inbox" / "endringer.json").write_text(json.dumps(changes), encoding="utf-8")
    drop(data_dir, KOMMUNER_2024)
    mapped = dict(query(data_dir, "SELECT old_code, current_code FROM municipality_code_map"))
    assert mapped == {"3001": "3101", "0101": "3101"}  # renumbered, followed through; a merger is not mapped
    rows = query(
        data_dir,
        "SELECT code, name, valid_from, valid_to, current_code FROM municipalities WHERE code IN ('3001', '3101', "
        "'5011') ORDER BY code",
    )
    assert rows == [
        ("3001", "Halden", dt.date(2020, 1, 1), dt.date(2023, 12, 31), "3101"),
        ("3101", "Halden", dt.date(2024, 1, 1), None, "3101"),
        ("5011", "Hemne", None, dt.date(2019, 12, 31), "5011"),
    ]


def _corresponds_at(data_dir, day: str, items: list[tuple]) -> None:
    """A correspondsAt answer as `bms fetch klass` caches it (named by its date), dropped in the inbox."""
    doc = {
        "correspondenceItems": [
            {"sourceCode": code, "sourceName": code, "targetCode": group, "targetName": f"KOSTRA-gruppe {group[3:]}"}
            | ({"validFrom": start, "validTo": end} if start or end else {})
            for code, group, start, end in items
        ]
    }
    name = f"131-112_correspondsAt_{day}.json"
    (data_dir / "inbox" / name).write_text(json.dumps(doc), encoding="utf-8")


def test_group_spans_from_answers_without_validity_hold_from_each_answers_date_to_the_next(data_dir):
    for day, group in (("2021-01-01", "EKG05"), ("2022-01-01", "EKG05"), ("2023-01-01", "EKG07")):
        _corresponds_at(data_dir, day, [("5055", group, None, None), ("5056", "EKG02", None, None)])
    drop(data_dir)
    spans = membership_spans(data_dir)
    assert spans == {
        "5055": [("EKG05", None, dt.date(2023, 1, 1)), ("EKG07", dt.date(2023, 1, 1), None)],
        "5056": [("EKG02", None, None)],
    }


def test_an_answer_fetched_before_a_regrouping_does_not_outlast_it(data_dir):
    _corresponds_at(data_dir, "2021-01-01", [("5055", "EKG05", "2020-01-01", None)])  # as Klass said in 2021
    _corresponds_at(
        data_dir,
        "2025-01-01",
        [("5055", "EKG05", "2020-01-01", "2024-01-01"), ("5055", "EKG07", "2024-01-01", None)],
    )
    _corresponds_at(data_dir, "2022-01-01", [("5055", "EKG05", "2020-01-01", "2020-01-01")])  # empty: ignored
    drop(data_dir)
    assert membership_spans(data_dir)["5055"] == [
        ("EKG05", dt.date(2020, 1, 1), dt.date(2024, 1, 1)),
        ("EKG07", dt.date(2024, 1, 1), None),
    ]

"""A formula you can find: a catalogue indicator's `kilde_ref` names its measure literally, so grepping the
reference finds the SQL that computes it (issue #12); the catalogue's reference is parsed once, in
12_indicators.sql, and the measures are matched by its parts."""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SQL = ROOT / "etl" / "sql"
CATALOGUE = ROOT / "data" / "balansehandbok.csv"


def sql_without_comments(path: Path) -> str:
    """The file's SQL with its `--` comments taken out (a comment may mention a measure, never define it)."""
    return "\n".join(line.split("--", 1)[0] for line in path.read_text(encoding="utf-8").splitlines())


def files_quoting(literal: str) -> list[str]:
    """The etl/sql files in which `'literal'` occurs as a quoted SQL text (letter case aside)."""
    pattern = re.compile("'" + re.escape(literal) + "'", re.IGNORECASE)
    return sorted(p.name for p in SQL.glob("*.sql") if pattern.search(sql_without_comments(p)))


def catalogue() -> list[dict[str, str]]:
    with CATALOGUE.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f, delimiter=";"))


def test_every_catalogue_reference_names_a_measure_quoted_in_exactly_one_sql_file():
    checked = 0
    for row in catalogue():
        source, ref = row["kilde"], row["kilde_ref"]
        if source == "manuell":  # a figure typed in, from an `indikatorverdier` file: no measure computes it
            continue
        if source == "KOSTRA":  # <table>/<contents>[:<dim>=<code>,…]: the cells of SSB's table, as measures
            assert re.fullmatch(r"\d+/[^/:]+(:[^=,]+=[^=,]+(,[^=,]+=[^=,]+)*)?", ref), (row["id"], ref)
            defining = [
                p.name
                for p in SQL.glob("*.sql")
                if re.search(r"CREATE (VIEW|TABLE) measures_kostra\b", sql_without_comments(p))
            ]
            assert defining == ["36_measures_kostra.sql"], defining
            words = set(re.findall(r"\w+", sql_without_comments(SQL / defining[0])))
            assert {"table_id", "contents_code", "dim_codes"} <= words
            checked += 1
            continue
        # <measure>:<arg>[/<arg>]: a fixed measure is named whole (sick_leave:total), a parameterised one by
        # the name before the colon (user_survey for user_survey:barnehage/Helhetsvurdering)
        whole, family = files_quoting(ref), files_quoting(ref.split(":", 1)[0])
        assert bool(whole) != bool(family), (row["id"], ref, whole, family)
        assert len(whole or family) == 1, (row["id"], ref, whole or family)
        if family:  # the parameterised measure's SQL names it as a measure, and takes no glued reference
            text = sql_without_comments(SQL / family[0])
            name = ref.split(":", 1)[0]
            assert re.search(rf"'{re.escape(name)}'\s+AS\s+measure", text, re.IGNORECASE), (row["id"], family)
        checked += 1
    assert checked > 20


def test_no_sql_file_glues_a_measure_reference_together():
    for path in sorted(SQL.glob("*.sql")):
        text = sql_without_comments(path)
        assert not re.search(r"'[a-z_]+:'\s*\|\|", text), path.name  # 'user_survey:' || service …
        assert not re.search(r"\|\|\s*'/'\s*\|\|", text), path.name  # … || '/' || dimension, table || '/' || code


def catalogue_row(n: int, indicator_id: str, source: str, ref: str) -> dict:
    """A raw catalogue row with what the build needs."""
    return {
        "indicator_id": indicator_id,
        "name": indicator_id,
        "focus_area": "Brukere",
        "direction": "høyere",
        "unit_of_measure": "skår",
        "source": source,
        "source_ref": ref,
        "_row": n,
    }


def test_the_catalogue_reference_is_parsed_into_parts_and_matched_by_them_letter_case_aside(fresh_db):
    indicators = [
        ("a", "brukerundersøkelse", "USER_SURVEY:Barnehage/helhetsvurdering"),
        ("b", "brukerundersøkelse", "user_survey:barnehage/Informasjon/medvirkning"),  # a '/' in the dimension
        ("c", "medarbeiderundersøkelse", "employee_survey:Mestringstro"),
        ("d", "KOSTRA", "12134/kosagd230000"),
        ("e", "KOSTRA", "13502/KOSandel150000:alder=1-5,kjonn=0"),
        ("f", "sykefravær", "sick_leave:total"),
    ]
    fresh_db.add("raw_indicators", [catalogue_row(n, *row) for n, row in enumerate(indicators)])
    fresh_db.build()
    assert fresh_db.query("SELECT indicator_id, ref_measure, ref_args FROM indicators ORDER BY 1") == [
        ("a", "user_survey", ["barnehage", "helhetsvurdering"]),
        ("b", "user_survey", ["barnehage", "informasjon/medvirkning"]),
        ("c", "employee_survey", ["mestringstro"]),
        ("d", None, ["12134", "kosagd230000"]),
        ("e", None, ["13502", "kosandel150000", "alder=1-5", "kjonn=0"]),
        ("f", "sick_leave", ["total"]),
    ]


def test_a_survey_measure_reaches_the_indicator_its_reference_names_and_no_other(fresh_db):
    indicators = [
        ("helhet", "User_Survey:barnehage/HELHETSVURDERING"),
        ("info", "user_survey:barnehage/Informasjon/medvirkning"),
        ("annen", "other_survey:barnehage/Helhetsvurdering"),  # another measure: no value
    ]
    fresh_db.add(
        "raw_indicators", [catalogue_row(n, i, "brukerundersøkelse", r) for n, (i, r) in enumerate(indicators)]
    )
    fresh_db.add(
        "raw_user_survey",
        [
            {"year": 2024, "service": "barnehage", "unit_id": None, "dimension": d, "mean": m, "respondents": 40}
            for d, m in (("Helhetsvurdering", 4.5), ("Informasjon/medvirkning", 4.1))
        ],
    )
    fresh_db.build()
    year = dt.date(2024, 1, 1)
    assert fresh_db.query("SELECT indicator_id, scope, period, value, source_ref FROM indicator_values ORDER BY 1") == [
        ("helhet", "kommune", year, 4.5, "brukerundersøkelse: User_Survey:barnehage/HELHETSVURDERING"),
        ("info", "kommune", year, 4.1, "brukerundersøkelse: user_survey:barnehage/Informasjon/medvirkning"),
    ]


def test_every_held_back_survey_cell_is_listed_also_where_no_indicator_reads_it(fresh_db):
    """The Brukere page says «for få svar» per dimension from `held_back`: cells no catalogue indicator reads
    must each keep their own row (they share an empty indicator id)."""
    rows = [
        {"year": 2024, "service": "barnehage", "unit_id": unit, "dimension": d, "mean": 4.0, "respondents": n}
        for d in ("Trivsel", "Informasjon")
        for unit, n in ((None, 40), ("E21", 2), ("E22", 38))
    ]
    fresh_db.add("raw_user_survey", rows)
    fresh_db.build()
    held = fresh_db.query(
        "SELECT scope_code, args, reason FROM held_back WHERE indicator_id IS NULL AND scope = 'enhet' ORDER BY 1, 2"
    )
    assert held == [
        ("E21", ["barnehage", "Informasjon"], "for få svar"),
        ("E21", ["barnehage", "Trivsel"], "for få svar"),
        ("E22", ["barnehage", "Informasjon"], "skjult av personvernhensyn"),
        ("E22", ["barnehage", "Trivsel"], "skjult av personvernhensyn"),
    ]


def test_a_held_back_cell_names_its_source_once_on_the_scorecard(fresh_db):
    fresh_db.add(
        "raw_indicators",
        [
            {
                **catalogue_row(0, "helhet", "brukerundersøkelse", "user_survey:barnehage/Helhetsvurdering"),
                "level": "begge",
            }
        ],
    )
    fresh_db.add(
        "raw_user_survey",
        [
            {"year": 2024, "service": "barnehage", "unit_id": unit, "dimension": "Helhetsvurdering", "mean": 4.0,
             "respondents": n}
            for unit, n in ((None, 40), ("E22", 38))
        ],
    )  # fmt: skip
    # a unit's figure typed in with 38 answers: 40 less 38 would give the rest away, so it is held back (in the
    # survey cell's group, 16_anonymity.sql), named as a manual figure's cell is: by its indicator
    fresh_db.add(
        "raw_manual_values",
        [{"indicator_id": "helhet", "unit_id": "E21", "period": dt.date(2024, 1, 1), "period_type": "year",
          "value": 4.1, "n": 38}],
    )  # fmt: skip
    fresh_db.build()
    held = fresh_db.query("SELECT scope_code, source_ref FROM held_back WHERE indicator_id = 'helhet' ORDER BY 1")
    assert held == [("E21", "helhet"), ("E22", "user_survey:barnehage/Helhetsvurdering")]
    refs = fresh_db.query(
        "SELECT scope_code, source_ref FROM scorecard_latest WHERE scope = 'enhet' AND value IS NULL ORDER BY 1"
    )
    assert refs == [
        ("E21", "brukerundersøkelse: helhet"),
        ("E22", "brukerundersøkelse: user_survey:barnehage/Helhetsvurdering"),
    ]


def test_a_new_kinds_measures_and_coverage_are_found_by_their_names(fresh_db, tmp_path, monkeypatch):
    """A new source's SQL file only names its views `measures_…` and `coverage_…`: indicator_values and the
    Data page's source_coverage gather them (the `-- gather` lines), with no list to extend."""
    from etl.store import warehouse

    sql = tmp_path / "sql"
    shutil.copytree(warehouse.SQL_DIR, sql)
    (sql / "27_complaints.sql").write_text(
        "CREATE VIEW measures_complaints AS SELECT 'complaints:answered' AS source_ref, 'kommune' AS scope, "
        "kommune_code() AS scope_code, DATE '2025-01-01' AS period, 'tertial' AS period_type, 80.0 AS value;\n"
        "CREATE VIEW coverage_complaints AS SELECT 'klager' AS kind, NULL::VARCHAR AS detail, "
        "DATE '2025-01-01' AS covered_from, DATE '2025-04-30' AS covered_to, NULL::VARCHAR AS vintage;\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(warehouse, "SQL_DIR", sql)
    fresh_db.add("raw_indicators", [catalogue_row(0, "klager_svart", "klager", "complaints:answered")])
    fresh_db.build()
    assert fresh_db.query("SELECT indicator_id, value FROM indicator_values") == [("klager_svart", 80.0)]
    assert fresh_db.query("SELECT kind, covered_to FROM source_coverage") == [("klager", dt.date(2025, 4, 30))]


PATIENT_SURVEY = """
kind = "pasientundersøkelse"
label = "Pasientundersøkelse"
raw_table = "raw_patient_survey"
relation = "patient_survey"
scope = ["year"]
key = ["year", "unit_id", "question"]
order = 50

[anonymity]
survey = true
n = "respondents"
unit = "unit_id"
period = "year"
value = "mean"

[feeds]
scale_default = 5

[[columns]]
name = "år"
field = "year"
type = "year"
required = true

[[columns]]
name = "enhet_id"
field = "unit_id"
type = "code"

[[columns]]
name = "spørsmål"
field = "question"
type = "text"
required = true

[[columns]]
name = "snitt"
field = "mean"
type = "number"

[[columns]]
name = "antall svar"
field = "respondents"
type = "integer"
"""


def test_a_new_survey_kind_is_held_back_at_build_from_its_spec_alone(monkeypatch):
    """A survey kind's cells under the anonymity rule come from its spec's [anonymity] (the key without the
    unit and the period, its `period` and `value`): 16_anonymity.sql lists no kind, so a new survey needs
    no SQL of its own for the warehouse to hold its small units back, and those that would reveal them."""
    from etl.spec import parse_spec, stored_specs
    from etl.store import warehouse
    from tests.helpers import FreshWarehouse

    specs = {**stored_specs(), "pasientundersøkelse": parse_spec(PATIENT_SURVEY)}
    monkeypatch.setattr(warehouse, "stored_specs", lambda: specs)
    db = FreshWarehouse(min_n="5")
    year = dt.date(2025, 1, 1).year
    db.add(
        "raw_patient_survey",
        [{"year": year, "unit_id": None, "question": "Trygghet", "mean": 4.2, "respondents": 30},
         {"year": year, "unit_id": "E41", "question": "Trygghet", "mean": 3.1, "respondents": 3},
         {"year": year, "unit_id": "E42", "question": "Trygghet", "mean": 4.3, "respondents": 27},
         {"year": year, "unit_id": "E41", "question": "Ventetid", "mean": 3.9, "respondents": 12},
         {"year": year, "unit_id": "E42", "question": "Ventetid", "mean": 4.0, "respondents": 18}],
    )  # fmt: skip
    db.build()
    held = db.query(
        "SELECT args, unit_id, reason FROM anonymity_held WHERE source = 'pasientundersøkelse' ORDER BY unit_id"
    )
    # E41 has 3 answers; E42's 27 of the kommune's 30 would give E41's mean by subtraction
    assert held == [(["Trygghet"], "E41", "for få svar"), (["Trygghet"], "E42", "skjult av personvernhensyn")]
    db.con.close()


def test_a_kind_under_the_anonymity_rule_must_declare_its_cells():
    """A spec with `[anonymity] n` but no `period` (or `value`) is refused when specs are read, so no kind can
    be under the rule at load and escape it in the warehouse."""
    from etl.spec import parse_spec

    without_period = PATIENT_SURVEY.replace('period = "year"\n', "")
    with pytest.raises(ValueError, match="anonymity.period"):
        parse_spec(without_period)
    not_a_survey = PATIENT_SURVEY.replace("survey = true\n", "")
    with pytest.raises(ValueError, match="anonymity.indicator"):
        parse_spec(not_a_survey)


def test_no_sql_file_names_another_kind():
    """What is special about a kind is declared in its spec: a SQL file spells no kind's name but that of the
    kind whose relation it is named after (the file that makes the relation, its measures and coverage)."""
    from etl.spec import stored_specs
    from etl.store.warehouse import SQL_DIR

    specs = stored_specs().values()
    for path in sorted(SQL_DIR.glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        named = {s.kind for s in specs if f"'{s.kind}'" in text and not path.stem.endswith(f"_{s.relation}")}
        assert not named, f"{path.name} names the kinds {sorted(named)}: declare what it needs in their specs"


def test_manual_values_leave_out_what_the_build_holds_back_again():
    """A manual unit figure stored when the minimum was lower is held back at the next build, and so is the
    neighbour whose figure would give it away: neither is in `manual_values`, the clean relation."""
    from tests.helpers import FreshWarehouse

    db = FreshWarehouse(min_n="10")
    db.add("raw_indicators", [{**catalogue_row(0, "trygghet", "indikatorverdier", ""), "level": "begge"}])
    db.add(
        "raw_manual_values",
        [{"indicator_id": "trygghet", "unit_id": unit, "period": dt.date(2024, 1, 1), "period_type": "year",
          "value": value, "n": n}
         for unit, value, n in ((None, 4.0, 60), ("E21", 3.0, 6), ("E22", 4.1, 24), ("E31", 4.2, 30))],
    )  # fmt: skip
    db.build()
    assert db.query("SELECT unit_id, reason FROM anonymity_held ORDER BY unit_id") == [
        ("E21", "for få svar"),
        ("E22", "skjult av personvernhensyn"),
    ]
    assert db.query("SELECT unit_id FROM manual_values ORDER BY unit_id NULLS FIRST") == [(None,), ("E31",)]
    db.con.close()


def test_a_kind_that_is_not_a_survey_keys_its_cells_by_the_indicator_alone():
    """The build names a held-back cell of a kind that is not a survey by its indicator: a key with more in it
    than the indicator, the unit and the period would map such cells to no indicator, so the spec is refused."""
    from etl.spec import parse_spec

    manual = (Path(__file__).resolve().parent.parent / "etl" / "spec" / "manual_values.toml").read_text(
        encoding="utf-8"
    )
    parse_spec(manual)  # as shipped
    wider = manual.replace(
        'key = ["indicator_id", "unit_id", "period"]', 'key = ["indicator_id", "unit_id", "period", "comment"]'
    )
    with pytest.raises(ValueError, match="by the indicator alone"):
        parse_spec(wider)


def test_the_shared_python_of_the_load_and_the_store_names_no_kind():
    """What is special about a kind is a key in its spec: the load, the checks and the store never compare
    with a kind's name or raw table (as `if kind == "enheter"` in the checks, or the store's KOSTRA order did)."""
    import ast

    from etl.spec import stored_specs

    root = Path(__file__).resolve().parent.parent / "etl"
    names = {s.kind for s in stored_specs().values()} | {s.raw_table for s in stored_specs().values()}
    files = [
        root / "load.py",
        root / "inbox.py",
        *sorted((root / "store").glob("*.py")),
        *sorted((root / "checks").glob("*.py")),
    ]
    found = [
        f"{path.relative_to(root)}:{node.lineno} {node.value!r}"
        for path in files
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and node.value in names
    ]
    assert not found, "declare it in the kind's spec instead:\n" + "\n".join(found)

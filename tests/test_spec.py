"""The kind specs are data that analysts and developers edit: check they are consistent."""

from __future__ import annotations

import pytest

from etl.norsk import normalise_header
from etl.spec import SPEC_DIR, load_specs, parse_spec, stored_specs
from etl.spec.types import TYPES
from tests.helpers import query

SPECS = list(load_specs().values())


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.kind)
def test_headers_and_aliases_name_one_column_each(spec):
    seen: dict[str, str] = {}
    for col in spec.columns:
        for key in col.header_keys:
            assert key not in seen, f"«{key}» names both {seen[key]} and {col.name} in {spec.kind}"
            seen[key] = col.name


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.kind)
def test_keys_scope_and_checks_refer_to_real_fields(spec):
    fields = {c.field for c in spec.columns}
    assert set(spec.key) <= fields and set(spec.scope) <= fields
    assert spec.required, "a kind needs at least one required column to be recognised"
    for check in spec.checks:
        assert all(spec.column_by_name(n) for n in check.columns)
    for col in spec.columns:
        assert col.type in TYPES and col.description, f"{spec.kind}.{col.name} needs a type and a description"


def test_kinds_are_told_apart_by_their_required_headers():
    required = {s.kind: frozenset(normalise_header(c.name) for c in s.required) for s in SPECS}
    assert len(set(required.values())) == len(required)
    assert len({s.raw_table for s in SPECS}) == len(SPECS)


def test_kinds_whose_rows_are_parts_of_one_figure_declare_the_fields_to_add():
    # amounts, days and head counts add up; means, scores and registers do not
    assert {s.kind for s in SPECS if s.duplicates == "sum"} == {"regnskap", "sykefravær", "personal"}
    for spec in (s for s in SPECS if s.duplicates == "sum"):
        numbers = {c.field for c in spec.columns if c.type in ("number", "integer")} - set(spec.key)
        assert set(spec.sum_fields) == numbers, spec.kind
    text = (SPEC_DIR / "accounting.toml").read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="not a number field outside the key"):
        parse_spec(text.replace('sum = ["actual"', 'sum = ["ansvar", "actual"'))
    with pytest.raises(ValueError, match="must list every number field outside the key; missing \\['actual'\\]"):
        parse_spec(text.replace('sum = ["actual", ', "sum = ["))
    with pytest.raises(ValueError, match="same_key must be one of"):
        parse_spec(text.replace('same_key = "sum"', 'same_key = "merge"'))


def test_each_kind_is_declared_in_a_file_named_after_the_relation_it_feeds_which_the_warehouse_has(demo_dir):
    files = {p.stem for p in SPEC_DIR.rglob("*.toml")}
    relations = {s.relation for s in stored_specs().values()}
    assert relations == files and len(files) == len(stored_specs())
    views = {name for (name,) in query(demo_dir, "SELECT table_name FROM information_schema.tables")}
    assert relations <= views

"""Templates come from the reader's own specs, so a filled-in template is always read as its kind."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from etl.errors import BmsError
from etl.read.reader import read_file
from etl.spec import load_specs
from etl.templates import template_bytes


@pytest.mark.parametrize("kind", list(load_specs()))
def test_template_round_trips_through_the_reader(kind, tmp_path):
    path = tmp_path / f"mal_{kind}.xlsx"
    path.write_bytes(template_bytes(kind))
    [table] = read_file(path, 10**7, 10**8, ("forklaring",))
    assert table.spec.kind == kind and len(table.frame) == 1


@pytest.mark.parametrize("kind", list(load_specs()))
def test_template_explains_every_column(kind):
    spec = load_specs()[kind]
    wb = load_workbook(io.BytesIO(template_bytes(kind)))
    data, help_sheet = wb.worksheets
    assert [c.value for c in data[1]] == [c.name for c in spec.columns]
    explained = {row[0]: row for row in help_sheet.iter_rows(min_row=6, values_only=True)}
    for col in spec.columns:
        assert explained[col.name][1] == ("ja" if col.required else "nei")
        assert explained[col.name][5] == col.description


def test_template_cells_are_text_never_formulas():
    wb = load_workbook(io.BytesIO(template_bytes("enheter")))
    assert all(c.data_type == "s" for c in wb.worksheets[0][2] if c.value is not None)


def test_unknown_template_kind():
    with pytest.raises(BmsError, match="Ukjent filtype «lønn»"):
        template_bytes("lønn")

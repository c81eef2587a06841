"""The dashboard's charts drawn once and kept in the cohort's report cache
(``<course dir>/.report-cache/chart-*.json``), each under a digest of everything it is drawn from: its
function, the frames and words given to it, the code that draws it and matplotlib's version. The
same data gives the same chart, byte for byte (``charts.PNG_METADATA``), so a kept chart is the one
that would be drawn; data that changed has another digest, and is drawn anew.

Drawing a chart takes about a second whatever the cohort's size; the first showing of a module's
page drew three. Kept charts are readable by the grader only, like the rest of the cache.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd

from ...grading.file_cache import CACHE_DIR, write_private
from . import charts
from .charts import Chart

KEEP = 400  # charts kept at most; the least recently drawn or shown go first
PREFIX = "chart-"
_CODE = hashlib.sha256(Path(charts.__file__).read_bytes()).hexdigest()


class ChartCache:
    """Charts of the cohort at ``course_dir`` (None: every chart drawn, none kept)."""

    def __init__(self, course_dir: Path | None):
        self.folder = Path(course_dir) / CACHE_DIR if course_dir is not None else None

    def draw(self, function: Callable[..., Chart | None], *args: Any) -> Chart | None:
        """``function(*args)``: the kept chart if there is one for these arguments, else drawn now
        and kept."""
        if self.folder is None:
            return function(*args)
        digest = hashlib.sha256()
        for part in (_CODE, matplotlib.__version__, function.__qualname__, *args):
            digest.update(_fingerprint(part))
        path = self.folder / f"{PREFIX}{digest.hexdigest()}.json"
        try:
            kept = json.loads(path.read_text(encoding="ascii"))
            path.touch()  # shown again: kept longer
            return None if kept["png"] is None else Chart(base64.b64decode(kept["png"]), kept["alt"])
        except (OSError, ValueError, KeyError, TypeError):
            pass  # not drawn yet, or unreadable: drawn again
        chart = function(*args)
        data = {"png": None}
        if chart is not None:
            data = {"png": base64.b64encode(chart.png).decode("ascii"), "alt": chart.alt}
        try:
            write_private(path, lambda fh: fh.write(json.dumps(data, ensure_ascii=True).encode("ascii")))
            self._prune()
        except OSError:
            pass  # a folder the dashboard cannot write to: the chart is shown, not kept
        return chart

    def _prune(self) -> None:
        assert self.folder is not None
        kept = sorted(self.folder.glob(f"{PREFIX}*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for path in kept[KEEP:]:
            path.unlink(missing_ok=True)


def _fingerprint(value: Any) -> bytes:
    """Bytes that differ whenever ``value`` (a frame, a mapping, words, numbers) differs."""
    if isinstance(value, pd.DataFrame):
        head = repr((list(value.columns), [str(t) for t in value.dtypes], len(value))).encode()
        return head + value.to_csv(index=True, lineterminator="\n").encode("utf-8", "surrogatepass")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = sorted((f.name, _fingerprint(getattr(value, f.name))) for f in dataclasses.fields(value))
        return repr(fields).encode()
    if isinstance(value, dict):
        return repr(sorted((repr(k), repr(v)) for k, v in value.items())).encode("utf-8", "surrogatepass")
    return repr(value).encode("utf-8", "surrogatepass") + b"\0"

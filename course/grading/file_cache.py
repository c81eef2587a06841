"""What the tutor's report derives from each file of a cohort, kept between reports: one cache file
per module and kind of file (answers, verdicts, timestamps) in ``<course dir>/.report-cache/``.

A large cohort holds hundreds of thousands of small files (10,000 trainees x 8 modules: about
444,000 answers files); reading, parsing and validating each on every report took minutes. Each
file's result is kept with the file's name, size and modification time (nanoseconds) and with the
``salt`` it was derived with (for answers files: a digest of the module's grading key as
released). A report stats every file and re-reads only the ones whose name, size or time differs
from the cache, or that are new; files gone from the folder are gone from the next cache. So the
cache is never trusted over the files: the files are still listed and stat'ed each time.

A cache file is written whole beside its final name and moved into place (never half-written),
readable by its owner only (the grader: the cohort's folder is theirs, as is the gradebook; a
trainee must not read others' answers in it). One that cannot be read, or of another format
version or salt, is ignored and rebuilt. Stored with numpy (no pickle: loading it runs no code).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import stat
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

CACHE_DIR = ".report-cache"  # hidden: nbgrader and the course's walks skip dot folders
VERSION = 1
MODE = 0o600
LONG = 256  # a text column with a longer value is stored packed (UTF-8 and lengths), not fixed-width

Key = tuple[int, int, int]  # (size, mtime_ns, ctime_ns)


def salt_of(data: Any) -> str:
    """A digest of JSON-able ``data`` (e.g. a module's grading keys as released)."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def file_key(info: os.stat_result) -> Key | None:
    """The cache key of a regular file's ``lstat``; None for anything else (a symlink, a folder):
    those are judged afresh each time."""
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns) if stat.S_ISREG(info.st_mode) else None


class FileCache:
    """One module's results of one kind of file: ``fields`` are text, int or float columns, ``ragged``
    int columns hold a list per file (e.g. the decisions of an answers file). ``course_dir`` None:
    nothing is read or written.

    :meth:`get` gives a file's kept fields when its key matches; :meth:`put` records a row derived
    now; :meth:`lists` gives this run's ragged columns. Rows are kept in the order they are got or
    put, which is the order of the walk; files not seen in this run are dropped when :meth:`save`
    writes the cache again."""

    def __init__(
        self,
        course_dir: Path | None,
        module: str,
        kind: str,
        salt: str,
        fields: Sequence[tuple[str, type]],
        ragged: Sequence[str] = (),
    ):
        # None: nothing read or written (every file judged afresh).
        self.path = Path(course_dir) / CACHE_DIR / f"{_safe(module)}.{kind}.npz" if course_dir else None
        self.salt, self.fields, self.ragged = salt, list(fields), list(ragged)
        self._old: dict[str, tuple[Key, int]] = {}  # name -> (key, row in the columns read)
        self._rows: list[tuple] = []  # the fields of each row read
        self._lists: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # ragged: (values, offsets)
        # This run's rows, in the order got or put: each file's name, key and fields.
        self.names: list[str] = []
        self.keys: list[Key | None] = []
        self.values: list[tuple] = []
        self._sources: list[int] = []  # each row's ragged lists: its row read (>= 0) or -1 - n: _new[n]
        self._new: list[tuple] = []  # the ragged lists of the rows put in this run
        self.reused = self.changed = 0
        self._load()

    def _load(self) -> None:
        if self.path is None:
            return
        try:
            with np.load(self.path, allow_pickle=False) as stored:
                arrays = {name: stored[name] for name in stored.files}
            meta = json.loads(str(arrays["meta"]))
            if meta != {"version": VERSION, "salt": self.salt}:
                return
            names = _texts(arrays, "name")
            sizes, times, changes = (arrays[k].tolist() for k in ("size", "mtime", "ctime"))
            columns = [
                _texts(arrays, name) if kind is str else arrays[name].tolist() for name, kind in self.fields
            ]
            lists = {}
            for name in self.ragged:
                lengths = arrays[f"{name}.lengths"]
                offsets = np.concatenate([[0], np.cumsum(lengths)])
                if len(lengths) != len(names) or offsets[-1] != len(arrays[name]):
                    raise ValueError(
                        f"{name}: {len(lengths)} lists of {offsets[-1]} values for {len(names)} files"
                    )
                lists[name] = (arrays[name], offsets)
            keys = zip(sizes, times, changes, strict=True)
            old = dict(zip(names, zip(keys, range(len(names)), strict=True), strict=True))
            rows = list(zip(*columns, strict=True)) if columns else [()] * len(names)
            if len(rows) != len(names):
                return
        except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, EOFError):
            return  # unreadable or of another shape: rebuilt from the files
        self._old, self._rows, self._lists = old, rows, lists

    def get(self, name: str, key: Key | None) -> tuple | None:
        """The fields kept for file ``name`` if its key is ``key``, recorded for this run; else None."""
        found = self._old.get(name) if key is not None else None
        if found is None or found[0] != key:
            return None
        i = found[1]
        row = self._rows[i]
        self.names.append(name)
        self.keys.append(key)
        self.values.append(row)
        self._sources.append(i)
        self.reused += 1
        return row

    def put(self, name: str, key: Key | None, row: tuple) -> None:
        """Record ``row`` (the fields, then each ragged list) derived now from file ``name``. A file
        without a key (not a regular file) is recorded for this run but never kept."""
        width = len(self.fields)
        self.names.append(name)
        self.keys.append(key)
        self.values.append(tuple(row[:width]))
        self._sources.append(-1 - len(self._new))
        self._new.append(row[width:])
        self.changed += 1

    def lists(self, name: str, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """This run's ragged column ``name`` (of ``rows`` only, if given): the values, each row's
        after the other's, and where each row's begin (then the end)."""
        sources = np.array(self._sources, dtype=np.int64)
        if rows is not None:
            sources = sources[rows]
        old_values, old_offsets = self._lists.get(name, (np.zeros(0, np.int64), np.zeros(1, np.int64)))
        at = self.ragged.index(name)
        new = [np.asarray(lists[at], dtype=np.int64) for lists in self._new]
        new_values = np.concatenate(new) if new else np.zeros(0, np.int64)
        new_offsets = np.concatenate([[0], np.cumsum([len(n) for n in new], dtype=np.int64)])
        values = np.concatenate([old_values, new_values])
        # Where each row's values begin and how many, in ``values``: kept rows (sources >= 0) in
        # the part read, rows put now (-1 - their number) after it.
        old, new = sources >= 0, sources < 0
        begin, end = np.zeros(len(sources), np.int64), np.zeros(len(sources), np.int64)
        begin[old], end[old] = old_offsets[sources[old]], old_offsets[sources[old] + 1]
        mine = -1 - sources[new]
        begin[new], end[new] = new_offsets[mine] + len(old_values), new_offsets[mine + 1] + len(old_values)
        counts = end - begin
        before = np.cumsum(counts) - counts
        picked = np.repeat(begin - before, counts) + np.arange(int(counts.sum()), dtype=np.int64)
        return values[picked], np.concatenate([[0], np.cumsum(counts)])

    def save(self) -> None:
        """Write this run's rows (regular files only) if anything differs from the cache read."""
        kept = np.array([k is not None for k in self.keys], dtype=bool)
        if self.path is None or (not self.changed and int(kept.sum()) == len(self._old)):
            return
        rows = np.flatnonzero(kept).tolist()
        meta = json.dumps({"version": VERSION, "salt": self.salt})
        arrays: dict[str, np.ndarray] = {"meta": np.array(meta)}
        _put_texts(arrays, "name", [self.names[i] for i in rows])
        keys = np.array([self.keys[i] for i in rows], dtype=np.int64).reshape(len(rows), 3)
        arrays["size"], arrays["mtime"], arrays["ctime"] = keys[:, 0], keys[:, 1], keys[:, 2]
        for at, (name, kind) in enumerate(self.fields):
            values = [self.values[i][at] for i in rows]
            if kind is str:
                _put_texts(arrays, name, values)
            else:
                arrays[name] = np.array(values, dtype=np.float64 if kind is float else np.int64)
        for name in self.ragged:
            values, offsets = self.lists(name, np.flatnonzero(kept))
            arrays[name], arrays[f"{name}.lengths"] = values, np.diff(offsets)
        # A cohort folder this user cannot write to: the report stands, nothing is kept.
        with contextlib.suppress(OSError):
            write_private(self.path, lambda fh: np.savez(fh, **arrays))


def write_private(path: Path, write: Callable[[Any], None]) -> None:
    """Write ``path`` through ``write(file)`` whole or not at all, readable by its owner only."""
    path.parent.mkdir(mode=0o700, exist_ok=True)
    partial = path.with_name(f".{path.name}.{secrets.token_hex(6)}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, MODE)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _safe(module: str) -> str:
    """A module id as part of a file name (ids are slugs; anything else is spelt out)."""
    return module if module.replace("-", "").replace("_", "").isalnum() else salt_of(module)[:16]


def _put_texts(arrays: dict[str, np.ndarray], name: str, values: list[str]) -> None:
    """A text column: fixed-width where every value is short, else packed as UTF-8 and lengths."""
    if max(map(len, values), default=0) <= LONG:
        arrays[name] = np.array(values, dtype=f"U{max(max(map(len, values), default=1), 1)}")
        return
    arrays[f"{name}.packed"] = np.frombuffer("".join(values).encode("utf-8", "surrogatepass"), dtype=np.uint8)
    arrays[f"{name}.lengths"] = np.array([len(v) for v in values], dtype=np.int64)


def _texts(arrays: dict[str, np.ndarray], name: str) -> list[str]:
    if name in arrays:
        return arrays[name].tolist()
    text = arrays[f"{name}.packed"].tobytes().decode("utf-8", "surrogatepass")
    ends = np.cumsum(arrays[f"{name}.lengths"]).tolist()
    return [text[start:end] for start, end in zip([0, *ends[:-1]], ends, strict=True)]

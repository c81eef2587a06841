"""Saving a trainee's answers for one scenario, as JSON beside the notebook (the writer of the
answers document; ``course.documents`` defines it and reads it).

Voila never saves the notebook and autograde re-runs it, so this file is what gets submitted,
collected and graded. It is data only: it is parsed, validated and never executed.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from ..documents import Answers, ScenarioData, answers_path, parse_answers

HIDDEN_PREFIX = ".answers-"  # the app's own files beside the answers: its temp files and lock
STALE_TEMP_SECONDS = 60  # a temp file this old was left by a killed writer, never one in flight


def lock_path(folder: Path, scenario_id: str) -> Path:
    return folder / f"{HIDDEN_PREFIX}{scenario_id}.lock"


def read_saved(folder: Path, scenario_id: str) -> bytes | None:
    """The answers file exactly as it is on disk, or ``None`` if there is none."""
    try:
        return answers_path(folder, scenario_id).read_bytes()
    except FileNotFoundError:
        return None


def read_answers(folder: Path, scenario: ScenarioData) -> Answers | None:
    """The saved answers, or ``None`` if the trainee has not started this scenario."""
    saved = read_saved(folder, scenario["id"])
    return None if saved is None else parse_answers(saved, scenario)


@contextmanager
def answers_lock(folder: Path, scenario_id: str) -> Iterator[None]:
    """Hold the scenario's lock while reading and saving, so that the kernels of several tabs
    take turns. Not re-entrant: a second hold from the same process waits for ever."""
    folder.mkdir(parents=True, exist_ok=True)
    # Opened for writing: NFS (home folders on a hub) emulates flock with write locks. The file is
    # never removed, so every kernel locks the same one.
    with open(lock_path(folder, scenario_id), "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield  # closing the file releases the lock, as does the process dying


def set_aside(folder: Path, scenario_id: str) -> Path:
    """Move an answers file that no longer fits its scenario out of the way, keeping it."""
    path = answers_path(folder, scenario_id)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    kept = path.with_name(f"{scenario_id}.answers-{stamp}.invalid.json")
    os.replace(path, kept)
    return kept


def _remove_stale_temps(folder: Path, scenario_id: str) -> None:
    """Remove this scenario's temp files left by a writer killed mid-save. Only old ones: a
    younger one may be another kernel's save in flight."""
    too_old = time.time() - STALE_TEMP_SECONDS
    for tmp in folder.glob(f"{HIDDEN_PREFIX}{scenario_id}.*.tmp"):
        with suppress(FileNotFoundError):  # another save removed it first
            if tmp.stat().st_mtime < too_old:
                tmp.unlink()


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable. Best effort: some file systems refuse to sync a folder."""
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def save_answers(folder: Path, answers: Answers) -> Path:
    """Write atomically and durably, so that neither a killed process nor a power cut leaves a
    half file to be graded: the whole text goes to a temp file, synced, then renamed over."""
    answers.updated = datetime.now(UTC).isoformat(timespec="seconds")
    data = answers.to_json().encode("utf-8")  # first: text that cannot be written leaves no file
    path = answers_path(folder, answers.scenario)
    folder.mkdir(parents=True, exist_ok=True)  # a learner's own folder starts empty
    _remove_stale_temps(folder, answers.scenario)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f"{HIDDEN_PREFIX}{answers.scenario}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())  # the content is on disk before the name points at it
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_folder(folder)
    return path

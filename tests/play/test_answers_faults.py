"""The answers file under faults: a writer killed mid-save, a power cut, text no UTF-8 can hold."""

from __future__ import annotations

import fcntl
import json
import os
import random
import select
import signal
import stat
import subprocess
import sys
import time
from dataclasses import replace
from fnmatch import fnmatch
from pathlib import Path

import pytest

from course.build.compose import public_scenario
from course.documents import Answers, InvalidAnswers, answers_path, parse_answers
from course.play.answers import STALE_TEMP_SECONDS, answers_lock, lock_path, read_answers, save_answers

from ..conftest import best_path

REPO = Path(__file__).resolve().parents[2]
KILL_ROUNDS = 40  # at least, and more until the kills are seen to land all over the loop...
KILL_BUDGET_SECONDS = 90  # ...but never for longer than this

# Saves two different answers alternately, for ever, once it has said so.
WRITER = """
import json, sys
from pathlib import Path
from course.documents import Answers
from course.play.answers import save_answers
folder = Path(sys.argv[1])
first, second = (Answers(**json.loads(text)) for text in sys.argv[2:4])
print("saving", flush=True)
while True:
    save_answers(folder, first)
    save_answers(folder, second)
"""

# Holds the scenario's answers lock until its standard input closes.
HOLDER = """
import sys
from pathlib import Path
from course.play.answers import answers_lock
with answers_lock(Path(sys.argv[1]), sys.argv[2]):
    print("locked", flush=True)
    sys.stdin.read()
"""


@pytest.fixture
def scenario(course):
    return course.module("05-must-not").scenarios[0]


def start(script: str, *args: str, stdin: int | None = None) -> subprocess.Popen:
    """A Python child running ``script``, once it has printed its first line (it is ready)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *args], cwd=REPO, stdin=stdin, stdout=subprocess.PIPE, text=True
    )
    ready, _, _ = select.select([proc.stdout], [], [], 60)
    if not ready:
        proc.kill()
        raise AssertionError("the child process did not start within 60 s")
    assert proc.stdout.readline().strip() in ("saving", "locked")
    return proc


def temp_files(folder: Path) -> list[Path]:
    return sorted(folder.glob(".answers-*.tmp"))


def test_a_writer_killed_at_any_moment_leaves_one_whole_answers_file(tmp_path, scenario):
    """SIGKILL lands anywhere in a tight loop of saves: the file is always one whole save."""
    public, path = public_scenario(scenario), best_path(scenario)
    # Two valid answers that differ in every field the trainee gives; long enough that a write
    # takes a while.
    first = Answers(scenario.id, path[:1], "First reflection. " * 150, policy_version="v1")
    second = Answers(scenario.id, path, "Second, longer reflection. " * 140, policy_version="v2")
    whole = [replace(a, updated="") for a in (first, second)]
    save_answers(tmp_path, first)  # the file exists before the first kill
    rng = random.Random(1729)  # varied moments, the same each run
    mid_save = rounds = 0
    found: set[str] = set()  # which of the two saves the file held after each kill
    temps: set[Path] = set()
    began = time.monotonic()

    def enough() -> bool:
        return rounds >= KILL_ROUNDS and mid_save > 0 and len(found) == 2

    while not enough() and time.monotonic() - began < KILL_BUDGET_SECONDS:
        writer = start(WRITER, str(tmp_path), first.to_json(), second.to_json())
        time.sleep(rng.uniform(0, 0.04))  # only to vary where the kill lands: it has started
        writer.send_signal(signal.SIGKILL)
        assert writer.wait(timeout=30) == -signal.SIGKILL  # killed while saving, not crashed
        writer.stdout.close()
        rounds += 1

        saved = read_answers(tmp_path, public)  # raises InvalidAnswers on a broken or empty file
        assert saved is not None, f"round {rounds}: the answers file is gone"
        assert replace(saved, updated="") in whole, f"round {rounds}: the file is neither save"
        found.add(saved.policy_version)
        left = set(temp_files(tmp_path))
        mid_save += bool(left - temps)  # this kill left a temp file: it landed mid-save
        temps = left
        assert all(fnmatch(p.name, f".answers-{scenario.id}.*.tmp") for p in left)  # named for it
    # Proof the kills landed all over the loop: mid-save, and after each of the two saves.
    assert rounds >= KILL_ROUNDS, f"only {rounds} kills in {KILL_BUDGET_SECONDS} s"
    assert mid_save > 0, f"none of {rounds} kills landed mid-save"
    assert found == {"v1", "v2"}, f"after {rounds} kills the file only ever held {found}"
    print(f"{rounds} kills in {time.monotonic() - began:.1f} s, {mid_save} mid-save")


def test_temp_files_of_a_killed_writer_are_removed_by_a_later_save_but_not_young_ones(tmp_path, scenario):
    sid = scenario.id
    old = time.time() - STALE_TEMP_SECONDS - 5
    names = {
        "stale": f".answers-{sid}.k1ll3d.tmp",
        "in flight": f".answers-{sid}.wr1t1ng.tmp",  # another kernel's save, still going
        "another scenario's": f".answers-{sid}-more.k1ll3d.tmp",  # its id starts with ours
        "of an older version": ".answers-abcd1234.tmp",  # not known to be this scenario's
    }
    for kind, name in names.items():
        (tmp_path / name).write_text("{")
        if kind != "in flight":
            os.utime(tmp_path / name, (old, old))
    save_answers(tmp_path, Answers(sid, best_path(scenario)[:1]))
    left = {p.name for p in temp_files(tmp_path)}
    assert left == {names["in flight"], names["another scenario's"], names["of an older version"]}
    # Every temp file the app makes is one .gitignore already ignores.
    patterns = (REPO / ".gitignore").read_text().split()
    assert all(any(fnmatch(name, p) for p in patterns) for name in names.values())


def test_a_save_is_synced_to_disk_before_and_after_the_rename(tmp_path, scenario, monkeypatch):
    """Durable as well as atomic: the content is synced before the name points at it, and the
    folder (which holds the name) after."""
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("sync folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "sync file")
        real_fsync(fd)

    def rename(src, dst) -> None:
        events.append("rename")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", rename)
    save_answers(tmp_path, Answers(scenario.id, best_path(scenario)[:1]))
    assert events == ["sync file", "rename", "sync folder"]


def test_a_save_that_fails_leaves_the_old_file_and_no_temp_file(tmp_path, scenario, monkeypatch):
    save_answers(tmp_path, Answers(scenario.id, best_path(scenario)[:1], "kept"))

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space"):
        save_answers(tmp_path, Answers(scenario.id, best_path(scenario), "lost"))
    assert read_answers(tmp_path, public_scenario(scenario)).reflection == "kept"
    assert temp_files(tmp_path) == []


def test_the_answers_lock_excludes_other_processes_until_let_go(tmp_path, scenario):
    holder = start(HOLDER, str(tmp_path), scenario.id, stdin=subprocess.PIPE)
    try:
        with open(lock_path(tmp_path, scenario.id), "a") as fh:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            holder.stdin.close()  # the holder lets go and ends
            assert holder.wait(timeout=30) == 0
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)  # now free
    finally:
        holder.kill()
        holder.stdout.close()
    with answers_lock(tmp_path, scenario.id):  # and the lock file stays, for every kernel to share
        assert lock_path(tmp_path, scenario.id).exists()
    assert not answers_path(tmp_path, scenario.id).exists()  # locking writes no answers


LONE = "\\ud800"  # as JSON text spells half a surrogate pair; json.loads accepts it


@pytest.mark.parametrize(
    "field",
    ["reflection", "updated", "policy_version", "scenario", "choice option", "choice key", "raw bytes"],
)
def test_a_lone_surrogate_anywhere_is_rejected_with_a_reason(scenario, field):
    good = json.loads(Answers(scenario.id, best_path(scenario)[:1], "fine").to_json())
    text: str | bytes
    if field == "raw bytes":  # UTF-8-encoded surrogate, which json.loads decodes from bytes too
        text = (
            json.dumps(good, ensure_ascii=False)
            .replace("fine", "fi\udc80ne")
            .encode("utf-8", "surrogatepass")
        )
    else:
        mark = "@@"
        if field == "choice option":
            good["choices"][0]["option"] = mark
        elif field == "choice key":
            good["choices"][0][mark] = "x"
        else:
            good[field] = mark
        text = json.dumps(good).replace(mark, f"x{LONE}")
    parsed = json.dumps(json.loads(text), ensure_ascii=False)
    assert any("\ud800" <= ch <= "\udfff" for ch in parsed)  # the input really carries one
    with pytest.raises(InvalidAnswers, match="not valid Unicode") as caught:
        parse_answers(text, public_scenario(scenario))
    str(caught.value).encode("utf-8")  # the reason itself can be logged or written anywhere


def test_a_file_with_a_lone_surrogate_reads_as_invalid_not_as_a_crash(tmp_path, scenario):
    path = answers_path(tmp_path, scenario.id)
    good = Answers(scenario.id, best_path(scenario)[:1], "ok").to_json()
    path.write_text(good.replace('"ok"', f'"o{LONE}k"'), encoding="utf-8")
    with pytest.raises(InvalidAnswers, match="not valid Unicode"):
        read_answers(tmp_path, public_scenario(scenario))

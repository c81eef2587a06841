"""Where trainees are real Unix users (JupyterHub), a submission is theirs by the file system's
record of who wrote it, not by the id in its name: one trainee submitting as another (nbgrader's
``--student``, the app's ``COURSE_TRAINEE_ID``) is refused and reported.

Needs root (CI runs as root): it creates two Unix users and gives each submission folder to the
user that wrote it, as the kernel records it when a trainee's own server writes into the
exchange."""

from __future__ import annotations

import os
import pwd
import subprocess
from pathlib import Path

import pytest

from ..cohort.conftest import gradebook_dump
from .conftest import MODULE, best, decisions, new_cohort, points, worst

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="creates Unix users: needs root (CI runs as root)"),
]
VICTIM, ATTACKER = "mipsec-victim", "mipsec-attacker"


@pytest.fixture(scope="module")
def unix_users():
    made = []
    for name in (VICTIM, ATTACKER):
        try:
            pwd.getpwnam(name)
        except KeyError:
            subprocess.run(
                ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True
            )
            made.append(name)
    yield {name: pwd.getpwnam(name).pw_uid for name in (VICTIM, ATTACKER)}
    for name in made:
        subprocess.run(["userdel", name], check=False)


def give(folder: Path, uid: int) -> None:
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in [dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)]:
            os.chown(name, uid, -1, follow_symlinks=False)


@pytest.mark.parametrize("configured", [True, None])
def test_a_submission_made_as_another_trainee_is_refused(tmp_path, course, unix_users, configured):
    """Checked when configured, and by default as soon as submissions belong to trainees' own
    Unix accounts (a hub left with the default is not left unchecked)."""
    cohort = new_cohort(tmp_path, course, [VICTIM, ATTACKER])
    with open(cohort.root / "nbgrader_config.py", "a", encoding="utf-8") as fh:
        fh.write(f"c.SafeCollect.check_owner = {configured}  # trainees are Unix users here\n")
    cohort.answer(VICTIM, best)
    give(cohort.submit(VICTIM), unix_users[VICTIM])
    cohort.answer(ATTACKER, worst)
    forged = cohort.submit(ATTACKER, as_id=VICTIM)  # newer: nbgrader's own collect would take it
    give(forged, unix_users[ATTACKER])

    collect = cohort.nbgrader("collect", "collect", "--update", MODULE)
    assert collect.returncode == 0, collect.stderr
    assert (
        f"Not collected: {forged.name}: submitted as {VICTIM} by the Unix user {ATTACKER}" in collect.stderr
    )
    assert cohort.nbgrader("autograde", "autograde", MODULE).returncode == 0
    cohort.gradebook = gradebook_dump(cohort.root)
    assert decisions(cohort, VICTIM) == {scn.id: points(cohort, VICTIM, scn) for scn in cohort.items}
    assert decisions(cohort, ATTACKER) == {}  # nothing of the attacker's was collected

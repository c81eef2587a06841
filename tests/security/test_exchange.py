"""The exchange: nobody's submission replaced by another's, no stated time trusted blindly, no
link followed, and one bad folder never stops the rest."""

from __future__ import annotations

import csv
import os
from datetime import datetime

import pytest
from nbgrader.api import Gradebook

from course.grading.collect import STAMP

from ..conftest import COURSE_ID
from .conftest import (
    BACKDATED,
    BAD_TIME,
    BYPASS,
    CROWD,
    DANGLING,
    ESCAPED_ID,
    FIFO,
    FUTURE,
    HARD_LINK,
    HONEST,
    LINK_FOLDER,
    LINKS,
    LINKS_EXTRA,
    MISMATCH,
    MODULE,
    NO_FEEDBACK_SECRET,
    NO_SECRET,
    SPARSE,
    STRANGER,
    ZONE,
    decisions,
    new_cohort,
    worst_points,
)

pytestmark = pytest.mark.slow

# Each refused inbound folder: whose it claims to be, and words of the reason the tutor is given.
REFUSED = {
    "h-best": "in the future",  # the forgery in h-best's name, dated 2099
    BACKDATED: "backdated, or changed after it was submitted",
    MISMATCH: "timestamp.txt says",
    LINKS: "is a symbolic link (links are never followed)",
    LINK_FOLDER: "not a folder (links are never followed)",
    HARD_LINK: "is a hard link",
    BAD_TIME: "is not a time as nbgrader writes it",
    SPARSE: "1,073,741,824 bytes",
    DANGLING: "is a symbolic link",
    FIFO: "is not a regular file",
    NO_SECRET: "no submission_secret.txt",
    CROWD: "holds more than 1000 files",
    ZONE: "is not a time as nbgrader writes it",
    STRANGER: "is not on the cohort's roster",
    r"\x1b[31mred": "is not <trainee>+<module>+<time>",
}


def refusals(cohort) -> list[str]:
    return [line for line in cohort.outputs["collect"].stderr.splitlines() if "Not collected:" in line]


@pytest.mark.parametrize(("claimed", "reason"), list(REFUSED.items()))
def test_each_bad_folder_is_set_aside_with_its_reason(attacked_cohort, claimed, reason):
    lines = [line for line in refusals(attacked_cohort) if f"Not collected: {claimed}+{MODULE}+" in line]
    assert len(lines) == 1 and reason in lines[0], refusals(attacked_cohort)
    # The tutors' command reports the same, without running anything again (the backdated copy
    # is tried only when the last submission before the due date is asked for).
    if claimed != BACKDATED:
        assert f"set aside {claimed}+{MODULE}+" in attacked_cohort.outputs["cohort collect"][1]


def test_nothing_else_is_refused_and_everyone_else_is_collected(attacked_cohort):
    assert len(refusals(attacked_cohort)) == len(REFUSED)
    submitted = sorted(p.name for p in (attacked_cohort.root / "submitted").iterdir())
    refused_only = set(REFUSED) - {"h-best", BACKDATED}  # those two have a good submission too
    assert STRANGER not in submitted and not refused_only & set(submitted)
    assert set(HONEST) | {BACKDATED, LINKS_EXTRA, NO_FEEDBACK_SECRET} <= set(submitted)
    assert FUTURE not in submitted  # its only submission was the forgery in h-best's name


def test_a_forged_future_folder_does_not_replace_the_victims_submission(attacked_cohort, honest_cohort):
    victim = {k: v for k, v in attacked_cohort.gradebook.items() if k[0] == "h-best"}
    assert victim == {k: v for k, v in honest_cohort.gradebook.items() if k[0] == "h-best"}


def test_backdating_does_not_make_a_late_submission_on_time(attacked_cohort):
    cohort = attacked_cohort
    assert decisions(cohort, BACKDATED) == {scn.id: worst_points(cohort, scn) for scn in cohort.items}
    with Gradebook(f"sqlite:///{cohort.root / 'gradebook.db'}", COURSE_ID) as gb:
        submission = gb.find_submission(MODULE, BACKDATED)
        assert submission.timestamp > datetime.combine(cohort.due, datetime.min.time())
        assert submission.total_seconds_late > 0


def test_ids_not_on_the_roster_are_never_graded_or_exported(attacked_cohort):
    cohort = attacked_cohort
    with Gradebook(f"sqlite:///{cohort.root / 'gradebook.db'}", COURSE_ID) as gb:
        students = {s.id for s in gb.students}
    assert STRANGER not in students and not any("red" in s for s in students)
    with open(cohort.root / "exports" / "grades.csv", encoding="utf-8-sig", newline="") as fh:
        exported = {row["student_id"] for row in csv.DictReader(fh)}
    assert STRANGER not in exported and exported <= students


def test_a_terminal_escape_in_an_id_never_reaches_the_tutors_terminal_raw(attacked_cohort):
    outputs = [p.stderr + p.stdout for p in attacked_cohort.outputs.values() if hasattr(p, "stderr")]
    outputs += [out[1] for out in attacked_cohort.outputs.values() if isinstance(out, tuple)]
    assert all("\x1b" not in text for text in outputs)
    assert any(r"\x1b[31mred" in text for text in outputs)
    assert ESCAPED_ID not in "".join(outputs)


def test_links_are_never_followed_into_another_trainees_work_or_the_key(attacked_cohort, course):
    """The stolen answers, the gradebook and the key stay where they are: not one byte of them
    is in an attacker's collected, graded or feedback files."""
    cohort = attacked_cohort
    key_texts = [o.feedback for scn in cohort.items for s in scn.steps for o in s.options]
    gradebook = (cohort.root / "gradebook.db").read_bytes()[:4096]
    stolen = f"Reflection by h-best on {cohort.items[0].id}."
    for trainee in (LINKS, LINKS_EXTRA, LINK_FOLDER, HARD_LINK):
        for tree in ("submitted", "autograded", "feedback"):
            folder = cohort.root / tree / trainee
            for dirpath, _, filenames in os.walk(folder):
                for name in filenames:
                    data = (cohort.root / dirpath / name).read_bytes()
                    text = data.decode("utf-8", "replace")
                    assert stolen not in text and data[:4096] != gradebook
                    if tree != "feedback":  # feedback rightly explains the trainee's own choices
                        assert not any(t in text for t in key_texts), (trainee, name)
    collected = sorted(p.name for p in (cohort.root / "submitted" / LINKS_EXTRA / MODULE).iterdir())
    assert not {"gradebook.db", "key.ipynb", "source"} & set(collected)
    assert "gradebook.db, key.ipynb, source" in cohort.outputs["collect"].stderr


def test_one_trainee_without_a_feedback_secret_stops_nobody_elses_feedback(attacked_cohort):
    cohort = attacked_cohort
    released = list((cohort.nbc.exchange / COURSE_ID / "feedback").glob("*.html"))
    pages = {p.name: len(list((p / MODULE).glob("*.html"))) for p in (cohort.root / "feedback").iterdir()}
    assert pages[HONEST[0]] == len(cohort.items) + 1  # the scenarios, the check and the reading
    # The submission put in by hand (BYPASS) has no secret either: both are reported, alone.
    assert len(released) == sum(pages.values()) - pages[NO_FEEDBACK_SECRET] - pages[BYPASS] > 0
    log = cohort.outputs["release_feedback"].stderr
    for trainee in (NO_FEEDBACK_SECRET, BYPASS):
        assert f"Feedback not released to {trainee}: FileNotFoundError" in log
    assert f"Releasing feedback for student '{HONEST[-1]}'" in log  # after it, alphabetically


def test_every_collected_timestamp_is_written_by_collect_in_nbgrader_s_utc_form(attacked_cohort):
    """Autograde, reports and the review cycle read timestamp.txt again: it is never the trainee's."""
    stamps = [p.read_text() for p in (attacked_cohort.root / "submitted").glob(f"*/{MODULE}/timestamp.txt")]
    assert len(stamps) >= len(HONEST) and all(STAMP.fullmatch(s) for s in stamps), stamps


def test_a_folder_swapped_for_a_link_after_its_checks_is_not_followed(tmp_path, course):
    """Between collect's checks of a folder and its copy, the trainee puts a link to another
    trainee's folder in its place: the copy opens the folder it checked, or nothing."""
    cohort = new_cohort(tmp_path, course, ["t-swap", "t-other"])
    cohort.answer("t-other")
    victim = cohort.submit("t-other")
    cohort.answer("t-swap")
    mine = cohort.submit("t-swap")
    collect = course_collect(cohort)
    collect.init_src()
    mine.rename(mine.with_name("elsewhere"))
    mine.symlink_to(victim, target_is_directory=True)
    collect.copy_files()
    refused = {r.folder: r.reason for r in collect.refused}
    assert "cannot be opened as a folder" in refused[mine.name]
    assert [c.student for c in collect.collected] == ["t-other"]
    assert not (cohort.root / "submitted" / "t-swap").exists()


def course_collect(cohort):
    """The cohort's collect, as nbgrader's own command builds it from the course's configuration."""
    from course.cohort.cycle import api

    nb = api(cohort.root)
    nb.coursedir.assignment_id = MODULE
    app = nb.exchange.Collect(coursedir=nb.coursedir, authenticator=nb.authenticator, parent=nb)
    app.update = True
    app.set_timestamp()
    return app

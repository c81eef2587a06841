"""The report cache (``course.grading.file_cache``): what the report derives from each answers file,
verdict and timestamp is kept in the cohort's ``.report-cache/`` and never trusted over the files.

Each test works on a copy of the synthetic cohort (real nbgrader collect and autograde, see
conftest), reports once so that the cache is written, changes the cohort's files as a trainee's
new submission or a hand on the tutor's disk would, and reports again. Expected decisions are
worked out from the authored scenarios (``test_choices.expected_rows``), never by the code under
test; a report read with no cache at all is the reference for every other table.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import stat
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from nbgrader.api import Gradebook

from course.cohort.choices import read_cohort_answers
from course.cohort.report import TABLES, CohortReport, cohort_report
from course.documents import Answers, answers_path
from course.grading.file_cache import CACHE_DIR, VERSION
from course.grading.gradebook import course_directory, submitted_folders
from course.grading.released import released_keys

from ..conftest import COURSE_ID
from .conftest import MODULE, TAMPERED, pick_path
from .test_choices import expected_rows, frame_rows

pytestmark = pytest.mark.slow
TODAY = date(2026, 12, 20)


def copy_of(cohort, folder: Path) -> Path:
    """A copy of the synthetic cohort in ``folder``, its configuration naming the copy."""
    root = folder / cohort.root.name
    shutil.copytree(cohort.root, root, symlinks=True)
    config = root / "nbgrader_config.py"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace(str(cohort.root), str(root)), encoding="utf-8")
    shutil.rmtree(root / CACHE_DIR, ignore_errors=True)
    return root


def fresh(root: Path) -> CohortReport:
    """The report read with no cache: every file read and judged now (the cache put back after)."""
    kept = root.parent / "kept-cache"
    shutil.move(root / CACHE_DIR, kept)
    try:
        return cohort_report(root, today=TODAY)
    finally:
        shutil.rmtree(root / CACHE_DIR, ignore_errors=True)
        shutil.move(kept, root / CACHE_DIR)


def assert_same(report: CohortReport, reference: CohortReport) -> None:
    for table in (*TABLES, "choices"):
        pd.testing.assert_frame_equal(getattr(report, table), getattr(reference, table), check_exact=True)


def answers_files(root: Path) -> dict[tuple[str, str], Path]:
    """(trainee, scenario) -> the valid answers file collected, per the tutor's disk."""
    found = {}
    for student, _module, folder in submitted_folders(course_directory(root)):
        for path in folder.glob("*.answers.json"):
            found[student, path.name.removesuffix(".answers.json")] = path
    return found


def cache_files(root: Path) -> list[Path]:
    return sorted((root / CACHE_DIR).glob("*.npz"))


@pytest.fixture
def cohort_copy(synthetic_cohort, tmp_path: Path) -> Path:
    root = copy_of(synthetic_cohort, tmp_path)
    cohort_report(root, today=TODAY)  # writes the cache
    return root


def test_a_report_from_the_cache_is_the_report_from_the_files_and_only_the_grader_reads_it(
    synthetic_cohort, cohort_copy: Path
) -> None:
    root = cohort_copy
    kinds = {p.name.split(".")[1] for p in cache_files(root)}
    assert kinds == {"answers", "verdicts", "timestamps", "gradebook"}
    stamps = {p: p.stat().st_mtime_ns for p in cache_files(root)}

    again = cohort_report(root, today=TODAY)

    assert {p: p.stat().st_mtime_ns for p in cache_files(root)} == stamps  # nothing changed, nothing written
    assert_same(again, fresh(root))
    assert len(again.choices) > 100 and len(again.invalid) == 1  # the cohort's one tampered file
    # The cohort's folder is the grader's: the cache is no more readable than the gradebook is,
    # and never by the group or others (it holds every trainee's answers).
    gradebook = stat.S_IMODE((root / "gradebook.db").stat().st_mode)
    folder = stat.S_IMODE((root / CACHE_DIR).stat().st_mode)
    assert folder == 0o700
    for path in cache_files(root):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0 and mode & ~gradebook == 0, (path.name, oct(mode), oct(gradebook))


def rewrite(path: Path, text: str) -> None:
    """Replace a collected file as collect does (a new file, not the same one written over)."""
    path.unlink()
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("change", ["changed", "added", "removed", "tampered"])
def test_a_changed_added_removed_or_tampered_answers_file_shows_in_the_next_report(
    synthetic_cohort, cohort_copy: Path, course, change: str
) -> None:
    cohort, root = synthetic_cohort, cohort_copy
    content = course.module(MODULE)
    scenarios = {s.id: s for s in content.items}
    before = cohort_report(root, today=TODAY)
    rows = frame_rows(before.choices)
    files = answers_files(root)
    rng = random.Random(f"cache {change}")
    if change == "added":  # a scenario the trainee had left out, handed in after all
        trainee, scenario = sorted(k for k in cohort.skipped if k[0] in cohort.submitters)[0]
        assert (trainee, scenario) not in files
    else:
        trainee, scenario = sorted(k for k in cohort.answered if k[0] != TAMPERED)[3]
    scn = scenarios[scenario]
    old = expected_rows(trainee, MODULE, scn, cohort.answered.get((trainee, scenario), []))
    assert set(old) <= set(rows)
    folder = root / "submitted" / trainee / MODULE
    path = answers_path(folder, scenario)
    new: list[tuple] = []
    if change in ("changed", "added"):
        choices = cohort.answered.get((trainee, scenario), [])
        while choices == cohort.answered.get((trainee, scenario), []):
            choices = pick_path(scn, rng, 0.5)
        text = Answers(scenario, choices, "Changed my mind.", policy_version="2026-06").to_json()
        if change == "added":
            path.write_text(text, encoding="utf-8")
        else:
            rewrite(path, text)
        new = expected_rows(trainee, MODULE, scn, choices)
    elif change == "removed":
        path.unlink()
    else:  # the same size and modification time, other content: only its change time tells
        info = path.stat()
        data = path.read_bytes()
        spoiled = data.replace(b'"choices"', b'"chosen!"', 1)
        assert len(spoiled) == len(data) and spoiled != data
        with path.open("r+b") as fh:
            fh.write(spoiled)
        os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
        assert path.stat().st_mtime_ns == info.st_mtime_ns and path.stat().st_size == info.st_size

    after = cohort_report(root, today=TODAY)

    assert frame_rows(after.choices) == sorted([r for r in rows if r not in set(old)] + new)
    invalid = {(r.student, r.scenario) for r in after.invalid.itertuples()}
    assert ((trainee, scenario) in invalid) == (change == "tampered")
    if change == "tampered":
        (reason,) = after.invalid.loc[after.invalid["student"] == trainee, "reason"]
        assert "fields are" in reason and "chosen!" in reason
    assert_same(after, fresh(root))


def test_an_unreadable_cache_is_rebuilt(cohort_copy: Path) -> None:
    root = cohort_copy
    reference = fresh(root)
    files = cache_files(root)
    files[0].write_bytes(b"not a cache")
    files[1].write_bytes(files[1].read_bytes()[:100])  # cut short
    files[2].unlink()

    again = cohort_report(root, today=TODAY)

    assert_same(again, reference)
    for path in cache_files(root):
        with np.load(path, allow_pickle=False) as stored:
            assert json.loads(str(stored["meta"]))["version"] == VERSION, path.name
    assert {p.name for p in cache_files(root)} == {p.name for p in files}


def poison(path: Path, meta: dict | None = None) -> None:
    """Say in an answers cache that every decision's option was shown first (a cache of other
    files might), and set its ``meta`` if given."""
    with np.load(path, allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    arrays["shown_at"] = np.ones_like(arrays["shown_at"])
    if meta is not None:
        arrays["meta"] = np.array(json.dumps(meta))
    with path.open("wb") as fh:
        np.savez(fh, **arrays)


def test_a_cache_written_for_other_keys_or_another_version_is_not_used(cohort_copy: Path) -> None:
    root = cohort_copy
    reference = fresh(root)
    (cache,) = (root / CACHE_DIR).glob(f"{MODULE}.answers.npz")
    with np.load(cache, allow_pickle=False) as stored:
        meta = json.loads(str(stored["meta"]))

    # Control: a poisoned cache of the right keys and version is what the report reads.
    poison(cache)
    misled = cohort_report(root, today=TODAY)
    assert (misled.choices["shown_at"] == 1).all() and not misled.choices.equals(reference.choices)

    for other in ({**meta, "salt": "0" * 64}, {**meta, "version": VERSION - 1}):
        poison(cache, other)
        assert_same(cohort_report(root, today=TODAY), reference)


def test_keys_released_again_judge_every_file_anew(synthetic_cohort, cohort_copy: Path) -> None:
    # The cache was written with the keys as released. Keys released again with an option added
    # before the others (the options numbered anew) and another option worth a point more must
    # give each decision its own option and points, as a report without a cache does.
    root = cohort_copy
    keys, unreadable = released_keys(root)
    before = read_cohort_answers(submitted_folders(course_directory(root)), keys, root, unreadable)
    scenario = sorted(keys[MODULE])[0]
    step = keys[MODULE][scenario]["scenario"]["steps"][0]
    option = min(step["options"], key=lambda o: o["points"])
    assert option["points"] + 1 <= max(o["points"] for o in step["options"])
    step["options"].insert(0, {**option, "id": "an-option-added-later"})
    option["points"] += 1
    at_step = (before.choices["scenario"] == scenario) & (before.choices["step"] == step["id"])
    chosen = at_step & (before.choices["option"] == option["id"])
    assert chosen.sum() > 0

    after = read_cohort_answers(submitted_folders(course_directory(root)), keys, root, unreadable)

    expected = before.choices.copy()
    expected.loc[chosen, "points"] += 1
    expected.loc[at_step, "options"] += 1
    pd.testing.assert_frame_equal(after.choices, expected, check_exact=True)
    fresh_read = read_cohort_answers(
        submitted_folders(course_directory(root)), keys, root, unreadable, keep=False
    )
    pd.testing.assert_frame_equal(after.choices, fresh_read.choices, check_exact=True)


def test_keep_false_reads_every_file_and_writes_no_cache(synthetic_cohort, tmp_path: Path) -> None:
    root = copy_of(synthetic_cohort, tmp_path)
    keys, unreadable = released_keys(root)
    read = read_cohort_answers(submitted_folders(course_directory(root)), keys, root, unreadable, keep=False)
    assert not (root / CACHE_DIR).exists()
    assert frame_rows(read.choices) == frame_rows(cohort_report(root, today=TODAY).choices)


def test_a_kept_chart_is_the_chart_drawn_and_other_data_draws_another(tmp_path: Path) -> None:
    # The dashboard's charts kept in the cache: a chart shown again comes from its file, with the
    # very bytes drawing it gives; a summary whose scores differ draws (and keeps) another chart.
    from course.cohort.dashboard.chart_cache import ChartCache
    from course.cohort.dashboard.charts import score_distribution
    from course.cohort.dashboard.select import ALL_MODULES

    charts = ChartCache(tmp_path)
    summary = pd.DataFrame({"student": ["a", "b", "c"], "overall": [0.12, 0.55, 0.93]})
    drawn = score_distribution(summary, ALL_MODULES, "")
    assert charts.draw(score_distribution, summary, ALL_MODULES, "") == drawn
    (kept,) = (tmp_path / CACHE_DIR).glob("chart-*.json")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    again = charts.draw(score_distribution, summary, ALL_MODULES, "")
    assert again == drawn and again is not drawn  # read back from the file
    other = summary.assign(overall=[0.12, 0.55, 0.35])
    changed = charts.draw(score_distribution, other, ALL_MODULES, "")
    assert changed == score_distribution(other, ALL_MODULES, "") and changed.png != drawn.png
    assert len(list((tmp_path / CACHE_DIR).glob("chart-*.json"))) == 2


def test_a_mark_saved_in_the_gradebook_shows_in_the_next_report(cohort_copy: Path) -> None:
    # The gradebook's records are kept while gradebook.db is unchanged; a tutor's mark writes it.
    root = cohort_copy
    before = cohort_report(root, today=TODAY)
    waiting = before.results[before.results["status"] == "awaiting-marking"].iloc[0]
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", COURSE_ID) as gb:
        notebook = gb.find_submission_notebook(waiting["scenario"], MODULE, waiting["student"])
        (grade,) = [g for g in notebook.grades if g.needs_manual_grade]
        grade.manual_score = grade.max_score  # as formgrader saves a mark
        grade.needs_manual_grade = False
        gb.db.commit()
        marked = grade.max_score

    after = cohort_report(root, today=TODAY)

    row = after.results[
        (after.results["student"] == waiting["student"]) & (after.results["scenario"] == waiting["scenario"])
    ].iloc[0]
    assert row["score"] == waiting["score"] + marked
    assert row["unmarked"] == 0 and row["status"] == "graded"
    assert_same(after, fresh(root))

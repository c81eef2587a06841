"""Two cohorts of one module through the real nbgrader commands, built once per session: one of
honest trainees only, and the same honest trainees with attackers beside them.

Every attacker is a trainee on the roster who does one thing a malicious trainee could do with
their own files and the shared exchange (nbgrader's inbound folder is writable by every local
account, and each submission folder in it is left mode 0777). Every payload that would run
writes a file into ``markers``: the tests assert that folder stays empty.

The attacked cohort goes through ``nbgrader collect/autograde/generate_feedback/
release_feedback`` as subprocesses (the course's plugins and preprocessors come from its
``nbgrader_config.py``, as for any tutor), then the tutors' ``course cohort`` verbs for their
reports and exports. The honest cohort is graded twice from the same collected gradebook: on a
quiet machine, and with both cores saturated by busy processes.
"""

from __future__ import annotations

import copy
import json
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import nbformat
import pytest
from nbformat import NotebookNode
from nbgrader.utils import compute_checksum

from course.documents import (
    DECISIONS_CELL,
    Answers,
    GradingKey,
    answers_path,
    grade_id,
    key_from_source,
    key_source,
)
from course.play.answers import save_answers
from course.play.exchange import submit_module

from ..cohort.conftest import cohort_cli, fetch, gradebook_dump
from ..conftest import COURSE_ID, NbgraderCourse, choices_of, make_nbgrader_course, walk_model

MODULE = "09-keeping-up-to-date"
HONEST = ("h-best", "h-worst", "h-mixed")
ESCAPED_ID = "\x1b[31mred"  # a terminal escape: must never reach the tutor's terminal raw
STRANGER = "stranger"  # not on the roster
BUSY_PROCESSES = 4  # on 2 cores: load average about 4-5 while the honest cohort is graded again


def pick_for(trainee: str, scn) -> list[dict[str, str]]:
    """The path a trainee takes: best, worst, or a seeded mix (from the authored model)."""
    rng = random.Random(f"{trainee}/{scn.id}")

    def pick(step):
        options = sorted(step.options, key=lambda o: o.points)
        return {"h-best": options[-1], "h-mixed": rng.choice(options)}.get(trainee, options[0])

    return choices_of(walk_model(scn, pick))


def stamp(moment: datetime) -> str:
    """A time as nbgrader's submit writes it into folder names and timestamp.txt."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f UTC")


@dataclass
class Cohort:
    nbc: NbgraderCourse
    items: list
    markers: Path
    due: date
    outputs: dict[str, subprocess.CompletedProcess | tuple[int, str]] = field(default_factory=dict)
    gradebook: dict = field(default_factory=dict)
    loaded_gradebook: dict = field(default_factory=dict)  # graded again under CPU load
    load_average: float = 0.0
    answered: dict[tuple[str, str], list[dict[str, str]]] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        return self.nbc.root

    @property
    def inbound(self) -> Path:
        return self.nbc.exchange / COURSE_ID / "inbound"

    def home(self, trainee: str) -> Path:
        return self.nbc.trainee_home(trainee)

    def folder(self, trainee: str) -> Path:
        return self.home(trainee) / MODULE

    def answer(self, trainee: str, pick: Callable | None = None) -> Path:
        """Fetch the module and answer every item, as the app saves answers."""
        home = self.home(trainee)
        if not self.folder(trainee).exists():
            fetch(home, MODULE)
        for scn in self.items:
            choices = (pick or pick_for)(trainee, scn)
            reflection = f"Reflection by {trainee} on {scn.id}." if scn.reflection else ""
            save_answers(self.folder(trainee), Answers(scn.id, choices, reflection, policy_version="2021-09"))
            self.answered[(trainee, scn.id)] = choices
        return self.folder(trainee)

    def submit(self, trainee: str, as_id: str | None = None) -> Path:
        """Submit through nbgrader's exchange (as the app does); the inbound folder made."""
        before = set(self.inbound.iterdir()) if self.inbound.exists() else set()
        submit_module(self.folder(trainee), as_id or trainee)
        (made,) = set(self.inbound.iterdir()) - before
        return made

    def nbgrader(self, name: str, *args: str) -> subprocess.CompletedProcess:
        proc = self.nbc.nbgrader(*args, check=False)
        self.outputs[name] = proc
        return proc


def roster_csv(path: Path, ids: list[str]) -> Path:
    path.write_text(
        "id,first_name,last_name,email\n" + "".join(f"{t},First,{t},{t}@example.org\n" for t in ids),
        encoding="utf-8",
    )
    return path


def new_cohort(tmp: Path, course, trainees: list[str]) -> Cohort:
    nbc = make_nbgrader_course(tmp, course)
    markers = tmp / "markers"
    markers.mkdir()
    cohort = Cohort(nbc, list(course.module(MODULE).items), markers, due=date.today() - timedelta(days=1))
    assert cohort_cli(nbc.root, "roster", str(roster_csv(tmp / "roster.csv", trainees)))[0] == 0
    assert cohort_cli(nbc.root, "release", MODULE, "--due", cohort.due.isoformat())[0] == 0
    return cohort


def payload(markers: Path, name: str) -> str:
    """Python that leaves a marker if it ever runs."""
    return f"open({str(markers / name)!r}, 'w').write('ran')\n"


@contextmanager
def busy_cpus(count: int = BUSY_PROCESSES, seconds: int = 600) -> Iterator[None]:
    """``count`` processes spinning on the CPU (each stops by itself after ``seconds``)."""
    spin = f"import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"
    procs = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(count)]
    try:
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def grade_twice(cohort: Cohort) -> None:
    """nbgrader autograde on a quiet machine; then again from the same collected gradebook with
    every core saturated, by the tutors' parallel command."""
    collected = (cohort.root / "gradebook.db").read_bytes()
    assert cohort.nbgrader("autograde", "autograde", MODULE).returncode == 0, cohort.outputs[
        "autograde"
    ].stderr
    cohort.gradebook = gradebook_dump(cohort.root)
    shutil.rmtree(cohort.root / "autograded")
    (cohort.root / "gradebook.db").write_bytes(collected)
    with busy_cpus():
        cohort.outputs["loaded"] = cohort_cli(cohort.root, "autograde", "--workers", "2")
        cohort.load_average = os.getloadavg()[0]
    cohort.loaded_gradebook = gradebook_dump(cohort.root)


@pytest.fixture(scope="session")
def honest_cohort(tmp_path_factory, course) -> Cohort:
    cohort = new_cohort(tmp_path_factory.mktemp("honest"), course, list(HONEST))
    for trainee in HONEST:
        cohort.answer(trainee)
        cohort.submit(trainee)
    assert cohort.nbgrader("collect", "collect", "--update", MODULE).returncode == 0
    grade_twice(cohort)
    return cohort


# Each attacker, by trainee id. Their payloads and expected results are in the tests.
PACKAGE = "a-package"  # a folder named course/ (the course's own package) beside the notebooks
SHADOWS = "a-shadows"  # files named like modules the grader or a kernel imports, answers as code
BYPASS = "a-bypass"  # course/ and links put straight into submitted/ (not through collect)
FUTURE = "a-future"  # a folder dated 2099 in an honest trainee's name
BACKDATED = "a-backdated"  # submitted late, then a copy dated before the due date
MISMATCH = "a-mismatch"  # timestamp.txt disagrees with the folder's name
LINKS = "a-links"  # an answers file that is a link to another trainee's answers
LINKS_EXTRA = "a-links-extra"  # links to the gradebook and the key, beside honest answers
LINK_FOLDER = "a-link-folder"  # the inbound folder itself a link to another's submission
HARD_LINK = "a-hard-link"  # an answers file hard-linked to another file
BAD_TIME = "a-bad-time"  # a time in the folder's name nobody can read
SPARSE = "a-sparse"  # a 1 GB sparse notebook
DANGLING = "a-dangling"  # a dangling link named as an answers file
FIFO = "a-fifo"  # a FIFO named as an answers file: a reader that follows it waits forever
NO_SECRET = "a-no-secret"  # a folder without nbgrader's submission_secret.txt
DELETED = "a-deleted"  # a notebook deleted before submitting
SURROGATE = "a-surrogate"  # a lone surrogate in a reflection
NO_FEEDBACK_SECRET = "a-feedback"  # graded, but its feedback folder lost submission_secret.txt
CROWD = "a-crowd"  # a submission folder of more files than any submission holds
BROKEN = "a-broken"  # a notebook that is not a notebook
ZONE = "a-zone"  # timestamp.txt naming a file as its time zone (dateutil would open it)
ORDERS = "a-orders"  # the order "shown" recorded as something no page could have shown
# The grading key, which the grader reads from nbgrader's gradebook (course.grading.released):
# each of these plays the worst path and puts a forged key (every option worth its step's full
# points, see forged_key) into their first item's notebook, or moves the key's cell.
FORGED_KEY = "a-forged-key"  # the decisions cell's source replaced by the forged key
FORGED_META = "a-forged-meta"  # the same, nbgrader's metadata kept and its checksum recomputed
FORGED_TWIN = "a-forged-twin"  # a second decisions cell (forged, valid checksum) after the released one
MOVED = "a-moved"  # the released decisions cell, untouched, moved below the reflection
ATTACKERS = (
    PACKAGE, SHADOWS, BYPASS, FUTURE, BACKDATED, MISMATCH, LINKS, LINKS_EXTRA, LINK_FOLDER, HARD_LINK,
    BAD_TIME, SPARSE, DANGLING, FIFO, NO_SECRET, DELETED, SURROGATE, NO_FEEDBACK_SECRET, CROWD,
    ZONE, BROKEN, ORDERS, FORGED_KEY, FORGED_META, FORGED_TWIN, MOVED,
)  # fmt: skip
SHADOW_NAMES = (
    "json.py",
    "sitecustomize.py",
    "usercustomize.py",
    "ipykernel_launcher.py",
    "os.py",
    "nbformat.py",
)


def worst(_trainee: str, scn) -> list[dict[str, str]]:
    return pick_for("worst", scn)


def best(_trainee: str, scn) -> list[dict[str, str]]:
    return pick_for("h-best", scn)


def plant_package(folder: Path, markers: Path, tag: str) -> None:
    """course/ as a package whose grader gives full marks and whose import leaves a marker."""
    package = folder / "course"
    for sub in ("", "grading", "play"):
        (package / sub).mkdir(parents=True, exist_ok=True)
        (package / sub / "__init__.py").write_text(payload(markers, f"{tag}-course{sub}"))
    (package / "grading" / "score.py").write_text(
        payload(markers, f"{tag}-score") + "def grade_scenario(key, folder=None):\n    return 999\n"
    )
    (package / "play" / "app.py").write_text(
        payload(markers, f"{tag}-app") + "def play_scenario(*a):\n    pass\n"
    )


def built_key(cohort: Cohort, scenario: str) -> GradingKey:
    """The real key of ``scenario``, as ``course build`` wrote it into the source notebook."""
    nb = nbformat.read(cohort.root / "source" / MODULE / f"{scenario}.ipynb", as_version=4)
    (cell,) = [c for c in nb.cells if grade_id(c) == DECISIONS_CELL]
    return key_from_source(cell.source, f"source/{scenario}")


def forged_key(key: GradingKey) -> GradingKey:
    """``key`` with every option worth its step's full points: the worst path scores full marks."""
    forged = copy.deepcopy(key)
    for step in forged["scenario"]["steps"]:
        for option in step["options"]:
            option["points"] = step["points"]
    return forged


def decisions_cells(nb: NotebookNode) -> list[NotebookNode]:
    """The notebook's cells whose nbgrader id is ``decisions``, in order."""
    return [cell for cell in nb.cells if grade_id(cell) == DECISIONS_CELL]


def edit_notebook(path: Path, edit: Callable[[NotebookNode], None]) -> None:
    """Change the notebook at ``path`` as a trainee could, with nbformat (it stays a valid notebook)."""
    nb = nbformat.read(path, as_version=4)
    edit(nb)
    nbformat.write(nb, path)


def forge_in_place(source: str, *, checksum: bool) -> Callable[[NotebookNode], None]:
    """The decisions cell's source replaced by ``source``; nbgrader's metadata kept, its checksum
    recomputed as nbgrader computes it when ``checksum``."""

    def edit(nb: NotebookNode) -> None:
        (cell,) = decisions_cells(nb)
        cell.source = source
        if checksum:
            cell.metadata.nbgrader.checksum = compute_checksum(cell)

    return edit


def forge_twin(source: str) -> Callable[[NotebookNode], None]:
    """A second decisions cell carrying ``source`` (nbgrader's metadata, a valid checksum) after
    the released one, which stays untouched: nbgrader's DeduplicateIds keeps the last of a
    repeated grade id, so this is the one nbgrader itself would take for ``decisions``."""

    def edit(nb: NotebookNode) -> None:
        (cell,) = decisions_cells(nb)
        twin = copy.deepcopy(cell)
        twin.id, twin.source = "forged-decisions", source
        twin.metadata.nbgrader.checksum = compute_checksum(twin)
        nb.cells.append(twin)

    return edit


def move_decisions_last(nb: NotebookNode) -> None:
    """The released decisions cell, byte for byte, moved to the end (below the reflection)."""
    (cell,) = decisions_cells(nb)
    nb.cells.remove(cell)
    nb.cells.append(cell)


def rename_stamp(folder: Path, student: str, moment: datetime, *, text: datetime | None = None) -> Path:
    """The inbound folder re-dated: its name (and timestamp.txt, unless ``text`` differs)."""
    renamed = folder.with_name(f"{student}+{MODULE}+{stamp(moment)}")
    folder.rename(renamed)
    (renamed / "timestamp.txt").write_text(stamp(text or moment))
    return renamed


@pytest.fixture(scope="session")
def attacked_cohort(tmp_path_factory, course) -> Cohort:
    tmp = tmp_path_factory.mktemp("attacked")
    cohort = new_cohort(tmp, course, [*HONEST, *ATTACKERS])
    items, markers, now = cohort.items, cohort.markers, datetime.now(UTC)
    first, second = items[0].id, items[1].id
    honest_inbound = {}
    for trainee in HONEST:
        cohort.answer(trainee)
        honest_inbound[trainee] = cohort.submit(trainee)

    # Files beside the notebooks, submitted through nbgrader's own submit.
    folder = cohort.answer(PACKAGE, worst)
    plant_package(folder, markers, PACKAGE)
    cohort.submit(PACKAGE)

    folder = cohort.answer(SHADOWS, worst)
    for name in SHADOW_NAMES:
        (folder / name).write_text(payload(markers, f"{SHADOWS}-{name}"))
    (folder / "IPython").mkdir()
    (folder / "IPython" / "__init__.py").write_text(payload(markers, f"{SHADOWS}-IPython"))
    answers_path(folder, first).write_text(f"__import__('os').system('touch {markers / 'answers-as-code'}')")
    del cohort.answered[(SHADOWS, first)]
    cohort.submit(SHADOWS)

    # Identity and time.
    cohort.answer(FUTURE, worst)
    inbound = cohort.submit(FUTURE)
    rename_stamp(inbound, "h-best", datetime(2099, 1, 1, tzinfo=UTC))
    cohort.submit("h-best")  # the victim resubmits honestly, after the forgery

    cohort.answer(BACKDATED, worst)
    cohort.submit(BACKDATED)  # late: the due date was yesterday
    cohort.answer(BACKDATED, best)  # a better attempt, after the due date, dated before it
    copy = cohort.submit(BACKDATED)
    rename_stamp(copy, BACKDATED, now - timedelta(days=2))

    cohort.answer(MISMATCH)
    inbound = cohort.submit(MISMATCH)
    (inbound / "timestamp.txt").write_text(stamp(now - timedelta(days=2)))

    # Links.
    cohort.answer(LINKS)
    inbound = cohort.submit(LINKS)
    answers_path(inbound, first).unlink()
    answers_path(inbound, first).symlink_to(answers_path(honest_inbound["h-best"], first))

    cohort.answer(LINKS_EXTRA)
    inbound = cohort.submit(LINKS_EXTRA)
    (inbound / "gradebook.db").symlink_to(cohort.root / "gradebook.db")
    (inbound / "key.ipynb").symlink_to(cohort.root / "source" / MODULE / f"{first}.ipynb")
    (inbound / "source").symlink_to(cohort.root / "source", target_is_directory=True)

    (cohort.inbound / f"{LINK_FOLDER}+{MODULE}+{stamp(now)}").symlink_to(honest_inbound["h-mixed"])

    cohort.answer(HARD_LINK)
    inbound = cohort.submit(HARD_LINK)
    answers_path(inbound, first).unlink()
    os.link(inbound / "timestamp.txt", answers_path(inbound, first))

    # Folders that stopped nbgrader's collect for everyone.
    cohort.answer(BAD_TIME)
    inbound = cohort.submit(BAD_TIME)
    inbound.rename(inbound.with_name(f"{BAD_TIME}+{MODULE}+not a time"))

    cohort.answer(SPARSE)
    inbound = cohort.submit(SPARSE)
    with open(inbound / f"{first}.ipynb", "r+b") as fh:
        fh.truncate(1024**3)

    cohort.answer(DANGLING)
    inbound = cohort.submit(DANGLING)
    answers_path(inbound, second).unlink()
    answers_path(inbound, second).symlink_to(tmp / "nothing-here")

    cohort.answer(FIFO)
    inbound = cohort.submit(FIFO)
    answers_path(inbound, first).unlink()
    os.mkfifo(answers_path(inbound, first))

    cohort.answer(NO_SECRET)
    inbound = cohort.submit(NO_SECRET)
    (inbound / "submission_secret.txt").unlink()

    cohort.answer(ZONE)
    inbound = cohort.submit(ZONE)
    written = (inbound / "timestamp.txt").read_text().removesuffix(" UTC")
    (tmp / "zone").write_bytes(Path("/usr/share/zoneinfo/UTC").read_bytes())
    (inbound / "timestamp.txt").write_text(f"{written} {tmp / 'zone'}")

    cohort.answer(CROWD)
    inbound = cohort.submit(CROWD)
    for n in range(1001):
        (inbound / f"extra-{n}.txt").write_text("x")

    # Ids nobody on the roster has.
    cohort.answer(STRANGER)
    cohort.submit(STRANGER)
    cohort.answer("escaper")
    inbound = cohort.submit("escaper")
    inbound.rename(inbound.with_name(inbound.name.replace("escaper", ESCAPED_ID)))

    # Broken data in one item.
    folder = cohort.answer(DELETED)
    (folder / f"{second}.ipynb").unlink()
    cohort.submit(DELETED)

    folder = cohort.answer(SURROGATE)
    text = answers_path(folder, first).read_text().replace(f"Reflection by {SURROGATE}", "\\ud800")
    answers_path(folder, first).write_text(text)
    del cohort.answered[(SURROGATE, first)]
    cohort.submit(SURROGATE)

    folder = cohort.answer(ORDERS)
    data = json.loads(answers_path(folder, first).read_text())
    data["orders"] = {choice["step"]: [1, 2, 3] for choice in data["choices"]}
    answers_path(folder, first).write_text(json.dumps(data))
    del cohort.answered[(ORDERS, first)]
    cohort.submit(ORDERS)

    # The grading key: a forged one in the notebook, however dressed; the key's cell moved.
    forged = key_source(forged_key(built_key(cohort, first)))
    for trainee, edit in (
        (FORGED_KEY, forge_in_place(forged, checksum=False)),
        (FORGED_META, forge_in_place(forged, checksum=True)),
        (FORGED_TWIN, forge_twin(forged)),
        (MOVED, move_decisions_last),
    ):
        folder = cohort.answer(trainee, worst)
        edit_notebook(folder / f"{first}.ipynb", edit)
        cohort.submit(trainee)

    folder = cohort.answer(BROKEN)
    (folder / f"{first}.ipynb").write_text('{"cells": "not a notebook"}')
    cohort.submit(BROKEN)

    cohort.answer(NO_FEEDBACK_SECRET)
    cohort.submit(NO_FEEDBACK_SECRET)

    # The tutor: nbgrader's own commands, with the course's configuration.
    # --before-duedate: the last submission before the due date, where there is one (the
    # backdated copy is tried first, and refused).
    cohort.nbgrader("collect", "collect", "--update", "--before-duedate", MODULE)
    folder = cohort.answer(BYPASS, worst)
    plant_package(folder, markers, BYPASS)
    (folder / "gradebook.db").symlink_to(cohort.root / "gradebook.db")
    (folder / "timestamp.txt").write_text(stamp(now))
    shutil.copytree(folder, cohort.root / "submitted" / BYPASS / MODULE, symlinks=True)
    cohort.nbgrader("autograde", "autograde", MODULE)
    (cohort.root / "autograded" / NO_FEEDBACK_SECRET / MODULE / "submission_secret.txt").unlink()
    cohort.nbgrader("generate_feedback", "generate_feedback", MODULE)
    cohort.nbgrader("release_feedback", "release_feedback", MODULE)
    cohort.gradebook = gradebook_dump(cohort.root)
    for verb in ("collect", "export"):
        cohort.outputs[f"cohort {verb}"] = cohort_cli(cohort.root, verb)
    return cohort


def decisions(cohort: Cohort, trainee: str) -> dict[str, float]:
    """Each notebook's score for its decisions, from the cohort's gradebook dump."""
    cells = cohort.gradebook.items()
    return {nb: cell[0] for (who, nb, name), cell in cells if who == trainee and name == "decisions"}


def points(cohort: Cohort, trainee: str, scn) -> int:
    """The points of the choices the trainee saved for ``scn``, from the authored model."""
    steps = {s.id: s for s in scn.steps}
    chosen = cohort.answered[(trainee, scn.id)]
    return sum(o.points for c in chosen for o in steps[c["step"]].options if o.id == c["option"])


def assert_only_the_first_item_flagged(cohort: Cohort, trainee: str, words: str) -> None:
    """The trainee's first item is tampered with (``words`` in the reason) and scores 0; every
    other item is graded as the trainee chose."""
    from course.grading.results import grading_results

    first, *rest = cohort.items
    results = grading_results(cohort.root).set_index(["student", "scenario"])
    assert results.loc[(trainee, first.id), "status"] == "tampered"
    assert words in results.loc[(trainee, first.id), "reasons"]
    assert decisions(cohort, trainee) == {first.id: 0, **{s.id: points(cohort, trainee, s) for s in rest}}


def worst_points(cohort: Cohort, scn) -> int:
    """The points of the worst path through ``scn``, from the authored model."""
    steps = {s.id: s for s in scn.steps}
    options = {(c["step"], c["option"]) for c in pick_for("worst", scn)}
    return sum(o.points for s in steps.values() for o in s.options if (s.id, o.id) in options)

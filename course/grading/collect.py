"""nbgrader's collect, made safe for grades a tutor can trust (``ExchangeFactory.collect``).

nbgrader's own collect takes the trainee's id from the inbound folder's name, lets the newest
time in that name win, copies the whole folder with the tutor's rights (following links), and
stops the whole module at the first folder it cannot read. This one, for every inbound folder
of the module, on its own:

- accepts only trainees on the cohort's roster (the gradebook's students), named by a valid id;
- where trainees are real users (``check_owner``, on JupyterHub), refuses a folder or file not
  owned by the Unix user of the trainee it names;
- refuses a stated submission time that cannot be read, is in the future, differs from the one
  in ``timestamp.txt``, or disagrees with the folder's own time (the inode change time, which a
  user cannot set): a backdated folder, or one changed after it was submitted, is refused, so a
  late submission cannot be made on time;
- copies only the files the course grades (each released notebook, its answers file, and
  nbgrader's ``timestamp.txt`` and ``submission_secret.txt``), each a small regular file read
  without following links; everything else is left out and listed;
- sets a refused folder aside with its reason (``refused``) and goes on with the rest.

Of the accepted folders, each trainee's newest is collected (before the due date, with
``--before-duedate``), as nbgrader does.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fnmatch import fnmatch
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.utils import parse_utc
from traitlets import Bool, Integer

from ..play.answers import MAX_BYTES as MAX_ANSWERS_BYTES
from ..play.answers import SUFFIX as ANSWERS_SUFFIX
from .files import UnsafeFile, check_entry, owner_name, printable, read_regular

TIMESTAMP, SECRET = "timestamp.txt", "submission_secret.txt"
# What nbgrader's submit writes in submission_secret.txt: secrets.token_hex(64).
SECRET_TEXT = re.compile(r"[0-9a-f]{16,256}")
# Ids as the roster accepts them (course.cohort.roster.ID_PATTERN): safe as folder names.
TRAINEE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# What the trainee app leaves in a module folder besides what it submits; not worth listing.
APP_LEFTOVERS = ("feedback", ".ipynb_checkpoints", ".*.tmp", "*.invalid.json", ".*")


class Refusal(ValueError):
    """Why an inbound folder is not collected, in a sentence."""


@dataclass(frozen=True)
class Refused:
    folder: str  # the inbound folder's name, printable
    reason: str

    def __str__(self) -> str:
        return f"{self.folder}: {self.reason}"


@dataclass(frozen=True)
class Candidate:
    path: Path
    student: str
    stated: datetime  # naive UTC, as nbgrader keeps times


@dataclass
class Collected:
    student: str
    stated: datetime
    left_out: list[str] = field(default_factory=list)  # names not collected


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC).replace(tzinfo=None)


class SafeCollect(ExchangeCollect):
    """Collect each trainee's submission of one module, refusing what cannot be trusted."""

    check_owner = Bool(
        False,
        help="Refuse a submission whose folder or files are not owned by the Unix user named like "
        "the trainee it is submitted as. Turn on where trainees are real users (JupyterHub); off "
        "where one account submits for everyone (self-study, tests).",
    ).tag(config=True)
    clock_skew = Integer(
        120, help="Seconds by which a stated submission time may run ahead of the folder's own time."
    ).tag(config=True)
    settle_seconds = Integer(
        600,
        help="Seconds after its stated time within which a submission's files must have been written "
        "(their inode change time, which no user can set); a folder changed later was backdated or "
        "changed after it was submitted. Maintenance that changes the exchange's files (chmod, chown, "
        "a restore from backup) changes that time too: raise this for collects after it.",
    ).tag(config=True)
    max_notebook_bytes = Integer(4 * 1024 * 1024, help="Largest notebook collected.").tag(config=True)
    max_entries = Integer(1000, help="Most files and folders a submission folder may hold.").tag(config=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.refused: list[Refused] = []
        self.collected: list[Collected] = []
        self.unchanged: list[str] = []  # trainees whose newest submission was collected before

    # -- what the course grades --------------------------------------------------------------
    def _released(self) -> Path:
        return Path(
            self.coursedir.format_path(self.coursedir.release_directory, ".", self.coursedir.assignment_id)
        )

    def _expected(self) -> dict[str, int]:
        """The files collected, each with its size limit: from the released module."""
        notebooks = sorted(p.stem for p in self._released().glob("*.ipynb"))
        if not notebooks:
            self.fail(f"No released notebooks in {self._released()}: release the module first.")
        expected = {TIMESTAMP: 100, SECRET: 1024}
        for name in notebooks:
            expected[f"{name}.ipynb"] = self.max_notebook_bytes
            expected[f"{name}{ANSWERS_SUFFIX}"] = MAX_ANSWERS_BYTES
        return expected

    def _quiet(self, name: str) -> bool:
        """Files the app or nbgrader put there anyway: left out without being listed."""
        return (self._released() / name).exists() or any(fnmatch(name, p) for p in APP_LEFTOVERS)

    # -- nbgrader's steps ------------------------------------------------------------------------
    def init_src(self) -> None:
        if self.coursedir.course_id == "":
            self.fail("No course id specified. Re-run with --course flag.")
        self.inbound_path = os.path.join(self.root, self.coursedir.course_id, "inbound")
        if not os.path.isdir(self.inbound_path):
            self.fail(f"Course not found: {self.inbound_path}")
        self.expected = self._expected()
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            self.roster = {student.id for student in gb.students}
            try:
                self.duedate = gb.find_assignment(self.coursedir.assignment_id).duedate
            except MissingEntry:
                self.duedate = None
        wanted = self.coursedir.student_id if self.coursedir.student_id not in ("", "*") else None
        now = datetime.now(UTC).replace(tzinfo=None)
        accepted: dict[str, list[Candidate]] = {}
        for entry in sorted(os.scandir(self.inbound_path), key=lambda e: e.name):
            parts = entry.name.split("+")
            if len(parts) < 3 or parts[1] != self.coursedir.assignment_id:
                continue  # another module's
            if wanted is not None and parts[0] != wanted:
                continue
            try:
                candidate = self.inspect(Path(entry.path), parts, now)
            except (Refusal, OSError) as exc:
                self._refuse(entry.name, str(exc))
                continue
            accepted.setdefault(candidate.student, []).append(candidate)
        self.src_records = [self._choose(found) for found in accepted.values()]

    def _refuse(self, folder: str, reason: str) -> None:
        refused = Refused(printable(folder), printable(reason, 400))
        self.refused.append(refused)
        self.log.warning("Not collected: %s", refused)

    def _choose(self, found: list[Candidate]) -> Candidate:
        newest = sorted(found, key=lambda c: c.stated, reverse=True)
        if self.before_duedate and self.duedate is not None:
            on_time = [c for c in newest if c.stated <= self.duedate]
            return (on_time or newest)[0]
        return newest[0]

    def inspect(self, folder: Path, parts: list[str], now: datetime) -> Candidate:
        """Check one inbound folder; raise :class:`Refusal` saying why it is not collected."""
        student = parts[0]
        if len(parts) > 4 or not TRAINEE_ID.fullmatch(student):
            raise Refusal("the folder's name is not <trainee>+<module>+<time>[+<random>]")
        if student not in self.roster:
            raise Refusal(f"{student} is not on the cohort's roster")
        info = os.lstat(folder)
        if not stat.S_ISDIR(info.st_mode):
            raise Refusal("not a folder (links are never followed)")
        owner = student if self.check_owner else None
        if owner is not None and owner_name(info.st_uid) != owner:
            raise Refusal(f"submitted as {student} by the Unix user {owner_name(info.st_uid)}")
        try:
            stated = parse_utc(parts[2])
        except Exception as exc:  # dateutil raises several kinds for a bad string
            raise Refusal(f"the time in the folder's name cannot be read ({type(exc).__name__})") from exc
        try:
            written = parse_utc(
                read_regular(folder / TIMESTAMP, self.expected[TIMESTAMP], owner).decode().strip()
            )
        except (UnsafeFile, UnicodeDecodeError) as exc:
            raise Refusal(f"no readable {TIMESTAMP} ({exc})") from exc
        except Exception as exc:
            raise Refusal(f"the time in {TIMESTAMP} cannot be read ({type(exc).__name__})") from exc
        if written != stated:
            raise Refusal(f"{TIMESTAMP} says {written} but the folder's name says {stated}")
        if stated > now + timedelta(seconds=self.clock_skew):
            raise Refusal(f"dated {stated} UTC, in the future")
        changed = max([info.st_ctime] + [os.lstat(e.path).st_ctime for e in self._entries(folder)])
        last = _utc(changed)
        if last - stated > timedelta(seconds=self.settle_seconds):
            raise Refusal(
                f"dated {stated:%Y-%m-%d %H:%M:%S} UTC but written at {last:%Y-%m-%d %H:%M:%S} UTC "
                "(backdated, or changed after it was submitted)"
            )
        if stated - last > timedelta(seconds=self.clock_skew):
            raise Refusal(
                f"dated {stated:%Y-%m-%d %H:%M:%S} UTC, after its files were written "
                f"({last:%Y-%m-%d %H:%M:%S} UTC)"
            )
        for name, limit in self.expected.items():
            if not os.path.lexists(folder / name):
                if name in (TIMESTAMP, SECRET):
                    raise Refusal(f"no {name}: not made by nbgrader's submit")
                continue  # a notebook or answers file left out: nbgrader scores it 0
            try:
                check_entry(folder / name, limit, owner)
            except UnsafeFile as exc:
                raise Refusal(str(exc)) from exc
        return Candidate(folder, student, stated)

    def _entries(self, folder: Path) -> list[os.DirEntry]:
        """The folder's entries; refused past ``max_entries`` (a submission holds a few dozen), so
        no folder of a million files makes collect crawl."""
        entries = []
        with os.scandir(folder) as found:
            for entry in found:
                entries.append(entry)
                if len(entries) > self.max_entries:
                    raise Refusal(f"holds more than {self.max_entries} files")
        return sorted(entries, key=lambda e: e.name)

    def copy_files(self) -> None:
        for candidate in self.src_records:
            try:
                self._collect(candidate)
            except (Refusal, UnsafeFile, OSError) as exc:
                self._refuse(candidate.path.name, str(exc))
        self.log.info(
            "Collected %d submission(s) of %s; %d unchanged; %d refused",
            len(self.collected),
            self.coursedir.assignment_id,
            len(self.unchanged),
            len(self.refused),
        )

    def _collect(self, candidate: Candidate) -> None:
        dest = Path(
            self.coursedir.format_path(
                self.coursedir.submitted_directory, candidate.student, self.coursedir.assignment_id
            )
        )
        existing = self.coursedir.get_existing_timestamp(str(dest)) if dest.is_dir() else None
        if existing is not None:
            # As nbgrader: replaced only by a newer one with --update (the cohort tool's default),
            # or by the one chosen with --before-duedate.
            newer = self.update and candidate.stated > existing
            chosen = self.before_duedate and candidate.stated != existing
            if not (newer or chosen):
                self.unchanged.append(candidate.student)
                return
        owner = candidate.student if self.check_owner else None
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.collecting-", dir=dest.parent))
        try:
            left_out = []
            for entry in self._entries(candidate.path):
                if entry.name not in self.expected:
                    if not self._quiet(entry.name):
                        left_out.append(
                            printable(entry.name) + ("/" if entry.is_dir(follow_symlinks=False) else "")
                        )
                    continue
                data = read_regular(Path(entry.path), self.expected[entry.name], owner)
                if entry.name == SECRET and not SECRET_TEXT.fullmatch(
                    data.decode("ascii", "replace").strip()
                ):
                    raise Refusal(f"{SECRET} is not what nbgrader's submit writes")
                (staging / entry.name).write_bytes(data)
            if dest.exists():
                shutil.rmtree(dest)
            os.replace(staging, dest)
        finally:
            if staging.exists():
                shutil.rmtree(staging)
        collected = Collected(candidate.student, candidate.stated, left_out)
        self.collected.append(collected)
        self.log.info(
            "Collected %s's submission of %s (%s UTC)", candidate.student, dest.name, candidate.stated
        )
        if left_out:
            self.log.warning(
                "Left out of %s's submission (the course grades only its notebooks and answers): %s",
                candidate.student,
                ", ".join(left_out),
            )

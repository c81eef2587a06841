"""nbgrader's collect, made safe for grades a tutor can trust (``ExchangeFactory.collect``).

nbgrader's own collect takes the trainee's id from the inbound folder's name, lets the newest
time in that name win, copies the whole folder with the tutor's rights (following links), and
stops the whole module at the first folder it cannot read. This one, for every inbound folder
of the module, on its own:

- accepts only trainees on the cohort's roster (the gradebook's students), named by a valid id;
- where trainees are real users, refuses a folder or file not owned by the Unix user of the
  trainee it names (``check_owner``; by default on as soon as the submissions belong to more than
  one Unix user or to a trainee's own account, so a hub is never left unchecked);
- accepts only times written as nbgrader writes them in UTC (parsed here: never a time zone
  looked up by a name a trainee wrote, which dateutil would open as a file), and refuses one in
  the future, one that differs from ``timestamp.txt``, or one that disagrees with the files' own
  time (the inode change time, which no user can set): a backdated folder, or one changed after
  it was submitted, is refused, so a late submission cannot be made on time;
- reads the folder in one pass through one open handle, never following a link, so nothing can
  be swapped in between the checks and the copy: only the files the course grades (each released
  notebook, its answers file, nbgrader's ``timestamp.txt`` and ``submission_secret.txt``), each a
  small regular file; everything else is left out and listed; ``timestamp.txt`` is written anew;
- sets a refused folder aside with its reason (``refused``) and goes on with the rest: the
  trainee's next newest folder, then the other trainees.

Of the accepted folders, each trainee's newest is collected (before the due date, with
``--before-duedate``), as nbgrader does.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fnmatch import fnmatch
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.exchange.default.collect import ExchangeCollect
from traitlets import Bool, Integer

from ..documents import ANSWERS_SUFFIX, MAX_ANSWERS_BYTES
from .files import UnsafeFile, owner_name, printable, read_in, read_regular

TIMESTAMP, SECRET = "timestamp.txt", "submission_secret.txt"
# Written by collect beside a submission: each notebook that was not a valid notebook, and why.
# The guard flags that scenario; the released notebook is graded in its place, so one broken
# notebook costs its own item, not the trainee's whole module (nbgrader reads every notebook
# before any preprocessor runs, and fails the module on one it cannot read).
NOTES = "course-collect.json"
# A time as nbgrader's submit writes it with its default format and time zone (UTC).
STAMP = re.compile(r"(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))? UTC")
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
    identity: tuple[int, int]  # the folder's device and inode when it was checked


@dataclass
class Collected:
    student: str
    stated: datetime
    left_out: list[str] = field(default_factory=list)  # names not collected


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC).replace(tzinfo=None)


def parse_stamp(text: str) -> datetime:
    """A submission time, naive UTC; :class:`Refusal` unless written as nbgrader writes it in UTC."""
    match = STAMP.fullmatch(text)
    if match is None:
        raise Refusal(
            f"{printable(text, 60)!r} is not a time as nbgrader writes it (YYYY-MM-DD HH:MM:SS.ffffff UTC)"
        )
    *parts, fraction = match.groups()
    try:
        return datetime(*map(int, parts), int((fraction or "0").ljust(6, "0")))
    except ValueError as exc:
        raise Refusal(f"{printable(text, 60)!r} is not a real time ({exc})") from exc


def format_stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def notebook_problem(data: bytes) -> str | None:
    """Why ``data`` is not a notebook nbgrader can read, or ``None``."""
    try:
        nbformat.validate(nbformat.reads(data.decode("utf-8"), as_version=4))
    except Exception as exc:  # JSON, schema, encoding, recursion: nbformat raises many kinds
        return type(exc).__name__
    return None


def collect_notes(submitted: Path) -> dict[str, str]:
    """The notebooks collect found broken in the submission at ``submitted``, with the reason."""
    try:
        notes = json.loads(read_regular(submitted / NOTES, 64 * 1024))
    except (UnsafeFile, ValueError):
        return {}
    return {str(k): str(v) for k, v in notes.items()} if isinstance(notes, dict) else {}


class SafeCollect(ExchangeCollect):
    """Collect each trainee's submission of one module, refusing what cannot be trusted."""

    check_owner = Bool(
        None,
        allow_none=True,
        help="Refuse a submission whose folder or files are not owned by the Unix user named like "
        "the trainee it is submitted as. None (the default): checked whenever the module's inbound "
        "folders belong to more than one Unix user, or to an account named like a trainee on the "
        "roster (trainees are users, as on JupyterHub); not where one account submits for everyone "
        "(self-study, tests). True or False decides for every collect.",
    ).tag(config=True)
    clock_skew = Integer(
        120, help="Seconds by which a stated submission time may run ahead of the folder's own time."
    ).tag(config=True)
    settle_seconds = Integer(
        60,
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
        entries = []
        for entry in sorted(os.scandir(self.inbound_path), key=lambda e: e.name):
            parts = entry.name.split("+")
            if len(parts) < 3 or parts[1] != self.coursedir.assignment_id:
                continue  # another module's
            if wanted is None or parts[0] == wanted:
                entries.append((entry, parts))
        self.checking = self._checking_owners([entry for entry, _ in entries])
        now = datetime.now(UTC).replace(tzinfo=None)
        accepted: dict[str, list[Candidate]] = {}
        for entry, parts in entries:
            try:
                candidate = self.inspect(Path(entry.path), parts, now)
            except (Refusal, OSError) as exc:
                self._refuse(entry.name, str(exc))
                continue
            accepted.setdefault(candidate.student, []).append(candidate)
        self.src_records = [self._in_order(found) for found in accepted.values()]

    def _checking_owners(self, entries: list[os.DirEntry]) -> bool:
        """Whether to check owners: as configured, else when trainees look like Unix users."""
        if self.check_owner is not None:
            return self.check_owner
        owners = set()
        for entry in entries:
            try:
                owners.add(owner_name(entry.stat(follow_symlinks=False).st_uid))
            except OSError:
                continue
        checking = len(owners) > 1 or bool(owners & self.roster)
        if checking:
            self.log.info(
                "Submissions belong to Unix users (%s): each must be its trainee's own", len(owners)
            )
        return checking

    def _refuse(self, folder: str, reason: str) -> None:
        refused = Refused(printable(folder), printable(reason, 400))
        self.refused.append(refused)
        self.log.warning("Not collected: %s", refused)

    def _in_order(self, found: list[Candidate]) -> list[Candidate]:
        """A trainee's folders, the one to collect first: the newest (on time first, with
        ``before_duedate``); the next is tried if it is refused."""
        newest = sorted(found, key=lambda c: c.stated, reverse=True)
        if self.before_duedate and self.duedate is not None:
            return [c for c in newest if c.stated <= self.duedate] + [
                c for c in newest if c.stated > self.duedate
            ]
        return newest

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
        if self.checking and owner_name(info.st_uid) != student:
            raise Refusal(f"submitted as {student} by the Unix user {owner_name(info.st_uid)}")
        stated = parse_stamp(parts[2])
        if stated > now + timedelta(seconds=self.clock_skew):
            raise Refusal(f"dated {stated} UTC, in the future")
        return Candidate(folder, student, stated, (info.st_dev, info.st_ino))

    def copy_files(self) -> None:
        for in_order in self.src_records:
            for candidate in in_order:
                try:
                    self._collect(candidate)
                    break
                except (Refusal, UnsafeFile, OSError) as exc:
                    self._refuse(candidate.path.name, str(exc))
        self.log.info(
            "Collected %d submission(s) of %s; %d unchanged; %d refused",
            len(self.collected),
            self.coursedir.assignment_id,
            len(self.unchanged),
            len(self.refused),
        )

    def _existing(self, dest: Path) -> datetime | None:
        """When the submission already collected at ``dest`` was made (None if none or unreadable)."""
        try:
            return parse_stamp((dest / TIMESTAMP).read_text(encoding="ascii").strip())
        except (OSError, UnicodeDecodeError, Refusal):
            return None

    def _collect(self, candidate: Candidate) -> None:
        dest = Path(
            self.coursedir.format_path(
                self.coursedir.submitted_directory, candidate.student, self.coursedir.assignment_id
            )
        )
        existing = self._existing(dest) if dest.is_dir() else None
        if existing is not None:
            # As nbgrader: replaced only by a newer one with --update (the cohort tool's default),
            # or by the one chosen with --before-duedate.
            newer = self.update and candidate.stated > existing
            chosen = self.before_duedate and candidate.stated != existing
            if not (newer or chosen):
                self.unchanged.append(candidate.student)
                return
        files, left_out = self._read(candidate)
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.collecting-", dir=dest.parent))
        try:
            for name, data in files.items():
                (staging / name).write_bytes(data)
            if dest.exists():
                shutil.rmtree(dest)
            os.replace(staging, dest)
        finally:
            if staging.exists():
                shutil.rmtree(staging)
        self.collected.append(Collected(candidate.student, candidate.stated, left_out))
        self.log.info(
            "Collected %s's submission of %s (%s UTC)", candidate.student, dest.name, candidate.stated
        )
        if left_out:
            shown = ", ".join(left_out[:20]) + (
                f" and {len(left_out) - 20} more" if len(left_out) > 20 else ""
            )
            self.log.warning(
                "Left out of %s's submission (the course grades only its notebooks and answers): %s",
                candidate.student,
                shown,
            )

    def _replace_broken_notebooks(self, files: dict[str, bytes]) -> None:
        notes = {}
        for name in [n for n in files if n.endswith(".ipynb")]:
            problem = notebook_problem(files[name])
            if problem is not None:
                stem = name.removesuffix(".ipynb")
                notes[stem] = (
                    f"{name} was not a valid notebook ({problem}); the released one was graded in its place."
                )
                files[name] = (self._released() / name).read_bytes()
        if notes:
            files[NOTES] = json.dumps(notes, indent=1, sort_keys=True).encode("utf-8")

    def _read(self, candidate: Candidate) -> tuple[dict[str, bytes], list[str]]:
        """The files to collect, read in one pass through one open handle on the folder, and
        what was left out; :class:`Refusal` if anything is not as the course accepts it."""
        owner = candidate.student if self.checking else None
        try:
            folder = os.open(candidate.path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as exc:
            raise Refusal(f"cannot be opened as a folder ({exc.strerror}; links are never followed)") from exc
        files: dict[str, bytes] = {}
        left_out: list[str] = []
        try:
            info = os.fstat(folder)
            if (info.st_dev, info.st_ino) != candidate.identity:
                raise Refusal("was replaced by another folder while it was being collected")
            changed = [info.st_ctime]
            with os.scandir(folder) as entries:
                for count, entry in enumerate(entries, start=1):
                    if count > self.max_entries:
                        raise Refusal(f"holds more than {self.max_entries} files")
                    if entry.name not in self.expected:
                        if not self._quiet(entry.name):
                            kind = "/" if entry.is_dir(follow_symlinks=False) else ""
                            left_out.append(printable(entry.name, 80) + kind)
                        continue
                    data, ctime = read_in(folder, entry.name, self.expected[entry.name], owner)
                    files[entry.name] = data
                    changed.append(ctime)
            changed.append(os.fstat(folder).st_ctime)  # after the reads: a change meanwhile shows
        except UnsafeFile as exc:
            raise Refusal(str(exc)) from exc
        finally:
            os.close(folder)
        for name in (TIMESTAMP, SECRET):
            if name not in files:
                raise Refusal(f"no {name}: not made by nbgrader's submit")
        written = parse_stamp(files[TIMESTAMP].decode("ascii", "replace").strip())
        if written != candidate.stated:
            raise Refusal(f"{TIMESTAMP} says {written} but the folder's name says {candidate.stated}")
        files[TIMESTAMP] = format_stamp(candidate.stated).encode("ascii")  # never the trainee's bytes
        self._replace_broken_notebooks(files)
        if not SECRET_TEXT.fullmatch(files[SECRET].decode("ascii", "replace").strip()):
            raise Refusal(f"{SECRET} is not what nbgrader's submit writes")
        last, stated = _utc(max(changed)), candidate.stated
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
        return files, sorted(left_out)

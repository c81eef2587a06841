"""A cohort's roster: trainees from a spreadsheet's CSV into the course's nbgrader gradebook.

``read_roster`` checks the whole file before anything is imported and reports every problem by
the row number a spreadsheet shows; ``import_roster`` writes all entries in one database
transaction, so a roster is imported entirely or not at all.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Student
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..grading.files import printable
from ..grading.gradebook import open_gradebook

REQUIRED = ("id", "first_name", "last_name", "email")
OPTIONAL = ("lms_user_id",)
COLUMNS = REQUIRED + OPTIONAL
# An id becomes a folder in nbgrader's exchange, whose submission folders are split on "+".
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
ID_EXPECTED = (
    "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit "
    "(it becomes a folder name in nbgrader's exchange)"
)
# On the hub an id is also the trainee's Unix account and hub name: JupyterHub lower-cases names
# and useradd takes at most 32 characters, so there an id must already be in that form.
ACCOUNT_PATTERN = re.compile(r"[a-z_][a-z0-9_.-]{0,31}")
ACCOUNT_EXPECTED = (
    "a lower-case account name: 1 to 32 of a-z, 0-9, '.', '_' or '-', starting with a letter "
    "(on the hub the id is the trainee's login and Unix account)"
)
MAX_NAME = 100
MAX_TEXT = 128  # nbgrader's student columns are String(128)
SHOWN = 60  # longest repr of a bad value quoted in a problem
ROW = "row"  # the field named by problems about a whole row or the file


@dataclass(frozen=True)
class RosterEntry:
    """One trainee as the gradebook stores them."""

    id: str
    first_name: str
    last_name: str
    email: str
    lms_user_id: str | None = None


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a roster file, located as a spreadsheet shows it (header = row 1)."""

    file: str
    row: int
    field: str
    value: str  # repr of what the file holds, truncated
    expected: str

    def __str__(self) -> str:
        return f"{self.file}, row {self.row}, {self.field}: found {self.value}; expected {self.expected}"


class RosterError(ValueError):
    """The roster file cannot be imported; ``problems`` lists everything wrong with it."""

    def __init__(self, file: str, problems: list[Problem]):
        self.file, self.problems = file, problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in the roster {file}; nothing was imported:\n{lines}")


class ImportFailed(RuntimeError):
    """The gradebook did not take the roster; nothing in it was added or changed."""


@dataclass
class ImportReport:
    """What ``import_roster`` did to the gradebook: counts, what changed for each trainee updated
    ("t04: email 'a@x.org' -> 'b@x.org'"), and the trainees in the gradebook the file left out."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    changes: list[str] = field(default_factory=list)
    not_in_file: list[str] = field(default_factory=list)

    def summary(self) -> str:
        total = self.added + self.updated + self.unchanged
        lines = [
            f"Roster of {total} trainee(s) imported: {self.added} added, "
            f"{self.updated} updated, {self.unchanged} unchanged."
        ]
        lines += [f"  updated {change}" for change in self.changes]
        if self.not_in_file:
            lines.append(
                f"  {len(self.not_in_file)} trainee(s) in the cohort are not in this file (withdrawn?): "
                f"{', '.join(self.not_in_file)}. They stay in the gradebook with their work and grades."
            )
        return "\n".join(printable(line, 2000) for line in lines)


# Reading and validating -------------------------------------------------------------------


def read_roster(path: Path, *, accounts: bool = False) -> list[RosterEntry]:
    """The trainees in the roster CSV at ``path``; raises RosterError listing every problem.
    ``accounts``: each id must also be usable as a hub login and Unix account name."""
    file = str(path)
    text, problems = _decode(Path(path).read_bytes(), file)
    if problems:
        raise RosterError(file, problems)
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in csv.reader(io.StringIO(text, newline="")):
            rows.append((len(rows) + 1, cells))
    except csv.Error as exc:
        problem = Problem(file, len(rows) + 1, ROW, "unreadable CSV", f"valid CSV ({exc})")
        raise RosterError(file, [problem]) from exc
    if not rows:
        raise RosterError(file, [Problem(file, 1, ROW, repr(""), f"a header row: {', '.join(COLUMNS)}")])
    other = _other_delimiter(rows[0][1])
    if other:
        # One clear problem, not one per column: Excel in many locales saves "CSV" with ";".
        found = f"a header separated by {other!r}: {_shown(rows[0][1][0])}"
        expected = "columns separated by commas (save the spreadsheet as 'CSV UTF-8 (Comma delimited)')"
        raise RosterError(file, [Problem(file, 1, "header", found, expected)])
    header, problems = _header(file, rows[0][1])
    entries = _rows(file, header, len(rows[0][1]), rows[1:], problems, accounts)
    if problems:
        raise RosterError(file, problems)
    return entries


def _other_delimiter(header: list[str]) -> str | None:
    """The separator a one-cell header uses instead of commas, if splitting on it finds the columns."""
    if len(header) != 1:
        return None
    for separator in (";", "\t", "|"):
        names = {cell.strip().lower() for cell in header[0].split(separator)}
        if len(names) > 1 and set(REQUIRED) <= names:
            return separator
    return None


def _decode(data: bytes, file: str) -> tuple[str, list[Problem]]:
    """The file's text (a leading BOM dropped), or a problem for each line that is not UTF-8."""
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    problems = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            expected = "UTF-8 text (save the spreadsheet as 'CSV UTF-8')"
            problems.append(Problem(file, number, ROW, _shown(line), expected))
    return "", problems


def _header(file: str, cells: list[str]) -> tuple[dict[str, int], list[Problem]]:
    """Column name -> position for the known columns, and the header's problems."""
    positions: dict[str, int] = {}
    problems = []
    for position, cell in enumerate(cells):
        name = cell.strip().lower()
        if name not in COLUMNS:
            expected = f"only the columns {', '.join(COLUMNS)} (column {position + 1} is unknown)"
            problems.append(Problem(file, 1, "header", _shown(cell), expected))
        elif name in positions:
            expected = f"each column once ({name} is also column {positions[name] + 1})"
            problems.append(Problem(file, 1, "header", _shown(cell), expected))
        else:
            positions[name] = position
    for name in REQUIRED:
        if name not in positions:
            expected = f"a column named {name} (required columns: {', '.join(REQUIRED)})"
            problems.append(Problem(file, 1, "header", _shown(cells), expected))
    return positions, problems


def _rows(
    file: str,
    header: dict[str, int],
    width: int,
    rows: list[tuple[int, list[str]]],
    problems: list[Problem],
    accounts: bool = False,
) -> list[RosterEntry]:
    """Entries for the valid rows; every problem found (including duplicates) goes to ``problems``."""
    complete = all(name in header for name in REQUIRED)
    seen: dict[str, dict[str, tuple[int, str]]] = {"id": {}, "email": {}}
    entries, data_rows = [], 0
    for number, cells in rows:
        if all(not cell.strip() for cell in cells):
            continue  # blank lines, and the empty rows spreadsheets leave at the end
        data_rows += 1
        if len(cells) != width:
            expected = f"{width} cells, one per header column (found {len(cells)})"
            problems.append(Problem(file, number, ROW, _shown(cells), expected))
            continue
        values = {name: cells[header[name]].strip() for name in COLUMNS if name in header}
        found = _row_problems(file, number, values)
        id_ok = "id" in values and not any(problem.field == "id" for problem in found)
        if accounts and id_ok and not ACCOUNT_PATTERN.fullmatch(values["id"]):
            found.append(Problem(file, number, "id", _shown(values["id"]), ACCOUNT_EXPECTED))
        found += _duplicates(file, number, values, found, seen)
        problems.extend(found)
        if complete and not found:
            entries.append(RosterEntry(**{**values, "lms_user_id": values.get("lms_user_id") or None}))
    if data_rows == 0:
        problems.append(Problem(file, 2, ROW, "no trainees", "at least one trainee after the header row"))
    return entries


def _row_problems(file: str, number: int, values: dict[str, str]) -> list[Problem]:
    problems = []
    for name, value in values.items():
        expected = CHECKS[name](value)
        if expected:
            problems.append(Problem(file, number, name, _shown(value), expected))
    return problems


def _duplicates(
    file: str,
    number: int,
    values: dict[str, str],
    found: list[Problem],
    seen: dict[str, dict[str, tuple[int, str]]],
) -> list[Problem]:
    """Ids and e-mails already used on an earlier row, ignoring letter case: ids collide as folder
    names on case-insensitive file systems, and e-mail addresses are not case-sensitive in practice."""
    problems = []
    bad = {p.field for p in found}
    for name, first_seen in seen.items():
        if name not in values or name in bad:
            continue
        key = values[name].casefold()
        if key in first_seen:
            row, earlier = first_seen[key]
            expected = f"an {name} not already used on row {row} ({earlier!r}), ignoring letter case"
            problems.append(Problem(file, number, name, _shown(values[name]), expected))
        else:
            first_seen[key] = (number, values[name])
    return problems


def _check_id(value: str) -> str | None:
    if not value:
        return "an id (required)"
    return None if ID_PATTERN.fullmatch(value) else ID_EXPECTED


def _check_name(value: str) -> str | None:
    if not value:
        return "a name (required)"
    if len(value) > MAX_NAME:
        return f"at most {MAX_NAME} characters (found {len(value)})"
    return "no control characters (tabs, line breaks...)" if _has_control(value) else None


def _check_email(value: str) -> str | None:
    if not value:
        return "an e-mail address (required)"
    if len(value) > MAX_TEXT:
        return f"at most {MAX_TEXT} characters (found {len(value)})"
    if any(ch.isspace() for ch in value) or _has_control(value):
        return "an e-mail address without spaces"
    if value.count("@") != 1:
        return f"exactly one '@' in the e-mail address (found {value.count('@')})"
    local, _, domain = value.partition("@")
    if not local:
        return "a name before the '@', like name@example.org"
    if "." not in domain or not all(domain.split(".")):
        return "a domain with a dot after the '@', like name@example.org"
    return None


def _check_lms_id(value: str) -> str | None:
    if len(value) > MAX_TEXT:
        return f"at most {MAX_TEXT} characters (found {len(value)})"
    return "no control characters" if _has_control(value) else None


CHECKS: dict[str, Callable[[str], str | None]] = {
    "id": _check_id,
    "first_name": _check_name,
    "last_name": _check_name,
    "email": _check_email,
    "lms_user_id": _check_lms_id,
}


def _has_control(value: str) -> bool:
    # Cc covers tabs, newlines and NUL; Zl/Zp are Unicode's line and paragraph separators.
    return any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in value)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN else text[: SHOWN - 3] + "..."


# Importing ---------------------------------------------------------------------------------


def import_roster(course_dir: Path, entries: Sequence[RosterEntry]) -> ImportReport:
    """Add or update ``entries`` in the gradebook of the nbgrader course at ``course_dir``, in one
    transaction: if anything fails (ImportFailed), nothing is added or changed."""
    _check_distinct(entries)
    with open_gradebook(course_dir) as gb:
        try:
            report = _write(gb.db, entries)
            gb.db.commit()
        except BaseException as exc:
            gb.db.rollback()
            if isinstance(exc, SQLAlchemyError):
                reason = getattr(exc, "orig", None) or exc
                message = f"the gradebook refused the roster ({reason}); nothing was imported"
                raise ImportFailed(message) from exc
            raise
    return report


def _check_distinct(entries: Sequence[RosterEntry]) -> None:
    """Entries not from read_roster may repeat an id; one would silently overwrite the other."""
    first: dict[str, int] = {}
    for number, entry in enumerate(entries, start=1):
        earlier = first.setdefault(entry.id.lower(), number)
        if earlier != number:
            raise ImportFailed(
                f"entries {earlier} and {number} have the same id {entry.id!r}, ignoring letter case; "
                "nothing was imported"
            )


def _write(db: Session, entries: Sequence[RosterEntry]) -> ImportReport:
    """Stage every change in the session (one query, no commit) and count what changes."""
    existing = {student.id: student for student in db.scalars(select(Student))}
    folded = {student_id.lower(): student_id for student_id in existing}
    report = ImportReport()
    for entry in entries:
        student = existing.get(entry.id)
        if student is None and entry.id.lower() in folded:
            raise ImportFailed(
                f"the id {entry.id!r} differs only in letter case from {folded[entry.id.lower()]!r}, already "
                "in the gradebook; their folders would collide. Use the same spelling to update them. "
                "Nothing was imported"
            )
        fields = _fields(entry)
        if student is None:
            db.add(Student(id=entry.id, **fields))
            report.added += 1
        elif all(getattr(student, name) == value for name, value in fields.items()):
            report.unchanged += 1
        else:
            changed = []
            for name, value in fields.items():
                if getattr(student, name) != value:
                    changed.append(f"{name} {getattr(student, name)!r} -> {value!r}")
                setattr(student, name, value)
            report.updated += 1
            report.changes.append(f"{entry.id}: {', '.join(changed)}")
    listed = {entry.id for entry in entries}
    report.not_in_file = sorted(student_id for student_id in existing if student_id not in listed)
    return report


def _fields(entry: RosterEntry) -> dict[str, str]:
    fields = {"first_name": entry.first_name, "last_name": entry.last_name, "email": entry.email}
    if entry.lms_user_id is not None:  # a roster without LMS ids keeps the ones the gradebook has
        fields["lms_user_id"] = entry.lms_user_id
    return fields

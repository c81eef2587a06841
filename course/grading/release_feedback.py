"""nbgrader's release_feedback, one trainee at a time (``ExchangeFactory.release_feedback``).

nbgrader releases every trainee's feedback in one loop and stops at the first folder it cannot
use (no ``submission_secret.txt``, say), so the trainees after it get nothing. Here each
trainee's release is its own step: a problem is recorded with its reason (``problems``) and the
rest are released.
"""

from __future__ import annotations

import glob
import re
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback
from nbgrader.utils import notebook_hash

from .collect import SECRET
from .files import printable


class SafeReleaseFeedback(ExchangeReleaseFeedback):
    """Release each trainee's feedback on its own; ``problems`` lists who was not, and why."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.problems: list[tuple[str, str]] = []  # (trainee, why their feedback was not released)
        self.released: list[str] = []

    def copy_files(self) -> None:
        pattern = re.compile(
            self.coursedir.format_path(
                self.coursedir.feedback_directory,
                "(?P<student_id>[^/]+)",
                self.coursedir.assignment_id,
                escape=True,
            )
            + "$"
        )
        everyone = self.src_path
        for folder in sorted(glob.glob(everyone)):
            match = pattern.match(folder)
            if match is None:
                continue
            student = match.group("student_id")
            self.src_path = folder
            try:
                super().copy_files()
            except Exception as exc:  # any reason one trainee's folder cannot be used
                reason = f"{type(exc).__name__}: {exc}"
                self.problems.append((student, reason))
                self.log.error("Feedback not released to %s: %s", printable(student), printable(reason, 400))
            else:
                self.released.append(student)
            finally:
                self.src_path = everyone


def feedback_outbound(coursedir: CourseDirectory) -> Path:
    """The exchange's folder of released feedback pages, where the trainees' app fetches them."""
    return Path(coursedir.config.Exchange.root) / coursedir.course_id / "feedback"


def released_page(outbound: Path, feedback_folder: Path, notebook: str) -> Path | None:
    """Where nbgrader's exchange keeps ``notebook``'s page from a trainee's ``feedback_folder``
    once released (named by the hash of its submission's secret, as nbgrader names it), whether
    or not it is there yet; None when the folder has no secret (nothing can be released)."""
    secret = feedback_folder / SECRET
    if not secret.is_file():
        return None
    return outbound / f"{notebook_hash(secret=secret.read_text(encoding='utf-8'), notebook_id=notebook)}.html"

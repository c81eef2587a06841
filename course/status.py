"""The course's vocabulary: modes, page statuses, verdicts and grading results, in one place.

Stdlib only, so that the trainee's kernel, the grader and the pure-pandas analytics can all
name a status without importing each other (or nbgrader). Each enum is a ``StrEnum``: its members
are the strings written in documents, answers, CSV exports and pages, and compare equal to them.
"""

from __future__ import annotations

from enum import StrEnum


class Mode(StrEnum):
    """How a page is played: self-study with feedback at once, or assessed through nbgrader."""

    PRACTICE = "practice"
    ASSESSED = "assessed"


# The mode in one term, as every page's header badge and the landing page say it.
MODE_BADGE = {
    Mode.PRACTICE: "Self-study: feedback straight away",
    Mode.ASSESSED: "Assessed: feedback after your tutor releases it",
}


class Kind(StrEnum):
    """A scenario plays a situation out; a knowledge check asks the policy's facts in turn."""

    SCENARIO = "scenario"
    KNOWLEDGE_CHECK = "knowledge-check"


class PageStatus(StrEnum):
    """Where a trainee is with a page or module, as the landing page and certificate say it."""

    NOT_STARTED = "not started"
    IN_PROGRESS = "in progress"
    COMPLETED = "completed"
    NEEDS_RETAKE = "needs retake"  # completed before the policy revised a clause it rests on
    BELOW_PASS_MARK = "below the pass mark"  # the knowledge check finished, but not passed
    SUBMITTED = "submitted"
    FEEDBACK_READY = "feedback ready"


class VerdictStatus(StrEnum):
    """The submission guard's judgement of one submitted scenario (see ``course.documents``)."""

    OK = "ok"
    TAMPERED = "tampered"
    NOT_STARTED = "not-started"


class Result(StrEnum):
    """What autograde concluded for one trainee's scenario, as results and exports report it."""

    GRADED = "graded"
    # Autograded, but a reflection still waits for the tutor's mark: its score is provisional.
    AWAITING_MARKING = "awaiting-marking"
    NOT_STARTED = "not-started"
    TAMPERED = "tampered"
    FAILED = "failed"  # autograde did not complete: never reported as a score of 0


class ModuleStatus(StrEnum):
    """A trainee's module in the cohort grid: graded, awaiting a tutor's mark somewhere, failed
    somewhere, or never submitted."""

    GRADED = "graded"
    AWAITING_MARKING = "awaiting-marking"
    FAILED = "failed"
    NOT_SUBMITTED = "not-submitted"


RESULT_OF_VERDICT = {
    VerdictStatus.OK: Result.GRADED,
    VerdictStatus.NOT_STARTED: Result.NOT_STARTED,
    VerdictStatus.TAMPERED: Result.TAMPERED,
}


def unmarked_text(count: int, points: float) -> str:
    """How much of a score waits for the tutor, said one way everywhere: "1 reflection (2 points)
    awaiting marking"."""
    shown = int(points) if float(points).is_integer() else points
    noun = "reflection" if count == 1 else "reflections"
    unit = "point" if shown == 1 else "points"
    return f"{count} {noun} ({shown} {unit}) awaiting marking"

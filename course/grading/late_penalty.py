"""The course's late penalty: nbgrader's late-submission plugin with a percentage per day late.

nbgrader's ``AssignLatePenalties`` autograde step asks the plugin named by
``c.AssignLatePenalties.plugin_class`` (set to :class:`LatePenalty` in grading/nbgrader_config.py)
for each late notebook's penalty, from the notebook's score and how late the submission is (after
the trainee's due date: the module's, or their extension). A cohort sets the percentage in its own
``nbgrader_config.py``::

    c.LatePenalty.percent_per_day = 10

Every day or part of a day late takes that percentage of the notebook's score off, never more than
the score. The default is 0: no penalty. The export's ``late_submission_penalty`` column holds the
points taken off, and ``score = raw_score - late_submission_penalty`` (:func:`penalty_explanation`).
"""

from __future__ import annotations

import math
from pathlib import Path

from nbgrader.plugins import LateSubmissionPlugin
from nbgrader.preprocessors import AssignLatePenalties
from traitlets import Float

from .extensions import extended_days
from .gradebook import course_directory

DAY = 24 * 60 * 60


def days_late(seconds_late: float) -> int:
    """Days late as the penalty counts them: every day or part of a day."""
    return math.ceil(seconds_late / DAY) if seconds_late > 0 else 0


class LatePenalty(LateSubmissionPlugin):
    """A percentage of the notebook's score taken off per day (or part day) late, capped at the score."""

    percent_per_day = Float(
        0.0,
        min=0.0,
        max=100.0,
        help="Percentage of a late notebook's score taken off for each day, or part of a day, it is "
        "late (0: no penalty).",
    ).tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float:
        share = self.percent_per_day / 100 * days_late(total_seconds_late)
        return min(score, score * share)


def configured_penalty(course_dir: Path) -> tuple[float, str]:
    """The cohort's percentage per day and where it is set, read as nbgrader's autograde reads it
    (its ``AssignLatePenalties`` and plugin, from the cohort's configuration). -1 when the cohort
    uses another plugin than :class:`LatePenalty`."""
    config = course_directory(course_dir).config
    step = AssignLatePenalties(config=config)
    step.init_plugin()
    plugin = step.plugin_inst
    if not isinstance(plugin, LatePenalty):
        return -1.0, f"c.AssignLatePenalties.plugin_class = {type(plugin).__name__}"
    if "percent_per_day" in config.LatePenalty:
        return plugin.percent_per_day, "c.LatePenalty.percent_per_day in the cohort's nbgrader_config.py"
    return plugin.percent_per_day, "c.LatePenalty.percent_per_day in the cohort's nbgrader_config.py sets one"


def penalty_explanation(course_dir: Path) -> str:
    """The line a tutor reads beside the export: what ``late_submission_penalty`` means in this cohort."""
    percent, where = configured_penalty(Path(course_dir))
    if percent < 0:
        rule = f"as the late-submission plugin set by {where} computes them"
    elif percent == 0:
        rule = f"none in this cohort, so always 0: {where}"
    else:
        rule = f"{percent:g}% of the score per day or part day late, at most the score, set by {where}"
    extended = sorted(extended_days(Path(course_dir)).items(), key=lambda item: (item[0][1], item[0][0]))
    listed = "; ".join(f"{trainee} on {module} to {day:%-d %B %Y}" for (trainee, module), day in extended)
    return (
        f"late_submission_penalty: points taken off for lateness ({rule}); "
        "score = raw_score - late_submission_penalty. Lateness counts from each trainee's own due date: "
        "the module's (the duedate column), or their extension"
        + (f" ({listed})." if listed else "; none is granted (`course cohort extend`).")
    )

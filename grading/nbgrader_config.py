"""nbgrader configuration for the course (the course directory is this folder).

Self-study defaults are embedded: a SQLite gradebook (gradebook.db here) and a local exchange
(exchange/ here). A deployment overrides them in its own nbgrader_config.py, e.g. with
``load_subconfig`` of this file followed by its own ``Exchange.root`` and ``db_url``.
"""

from pathlib import Path

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.converters import Autograde
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    Execute,
    OverwriteCells,
    OverwriteKernelspec,
)

from course.grading.collect import SafeCollect
from course.grading.execute import ScoreWithoutKernel
from course.grading.extensions import GrantExtensions
from course.grading.feedback import TEMPLATE_PATHS as FEEDBACK_TEMPLATE_PATHS
from course.grading.feedback import TEMPLATES as FEEDBACK_TEMPLATES
from course.grading.feedback import FeedbackExporter, GetGradesAndMarking, HideCode
from course.grading.guard import GuardSubmission
from course.grading.late_penalty import LatePenalty
from course.grading.release_feedback import SafeReleaseFeedback

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file
here = Path(__file__).resolve().parent

c.CourseDirectory.root = str(here)
c.CourseDirectory.course_id = "mip-social-media"
c.Exchange.root = str(here / "exchange")
# Collect refuses what cannot be trusted, each submission on its own: ids not on the roster,
# stated times that are in the future or disagree with the folder's own, links, files the course
# does not grade (course/grading/collect.py). A deployment where trainees are real Unix users
# (JupyterHub) also sets `c.SafeCollect.check_owner = True`: a submission not owned by the trainee
# it names is refused. Here one account may submit for several trainees (self-study, tests).
c.ExchangeFactory.collect = SafeCollect
# Each trainee's feedback is released on its own: one unusable folder stops nobody else.
c.ExchangeFactory.release_feedback = SafeReleaseFeedback

# Released reflection cells start empty: the app, not the notebook, is where trainees write.
c.ClearSolutions.text_stub = ""

# The guard runs first, so nothing a trainee wrote reaches nbgrader's own preprocessors or the
# kernel; OverwriteCells then restores the hidden tests from the gradebook.
c.Autograde.sanitize_preprocessors = [
    ClearOutput,
    GuardSubmission,
    DeduplicateIds,
    OverwriteKernelspec,
    OverwriteCells,
    CheckCellMetadata,
]
# ...and no kernel runs: each grade cell's result is computed in the grading process from the
# guard's verdict (see course/grading/execute.py). nbgrader's own list, its kernel step replaced.
# Each trainee's recorded extension (cohort's extensions.json, `course cohort extend`) is granted on
# the submission row just before nbgrader's AssignLatePenalties reads its lateness.
c.Autograde.autograde_preprocessors = [
    replaced
    for step in Autograde.class_traits()["autograde_preprocessors"].default()
    for replaced in (
        [ScoreWithoutKernel]
        if step is Execute
        else [GrantExtensions, step]
        if step is AssignLatePenalties
        else [step]
    )
]
# Late penalty: a percentage of a late notebook's score per day or part day late, none by default;
# a cohort sets `c.LatePenalty.percent_per_day = 10` in its own nbgrader_config.py.
c.AssignLatePenalties.plugin_class = LatePenalty
# Only trainees on the cohort's roster are graded: an unknown id is never added to the gradebook.
c.Autograde.create_student = False

# Feedback shows explanations and scores, never the grading code or the key's source.
# An answer still waiting for the tutor's mark says so on the page (GetGradesAndMarking), not "0".
c.GenerateFeedback.preprocessors = [GetGradesAndMarking, CSSHTMLHeaderPreprocessor, HideCode]
# ...and loads nothing from the network: the course's feedback template is nbgrader's own without
# MathJax from cdnjs. Set on the feedback exporter alone: the formgrader renders its grading page
# with an HTMLExporter from this same configuration (see course/grading/feedback.py).
c.GenerateFeedback.exporter_class = FeedbackExporter
c.FeedbackExporter.template_name = "mip-feedback"
c.FeedbackExporter.extra_template_basedirs = FEEDBACK_TEMPLATES
c.FeedbackExporter.extra_template_paths = FEEDBACK_TEMPLATE_PATHS
# The formgrader's grading page: nbgrader's own, with MathJax (from cdnjs) replaced by a stand-in.
# nbgrader's formgrader sets its template as HTMLExporter's and reads this file after, so this is
# where it can be changed; FeedbackExporter's own section keeps feedback on mip-feedback.
c.HTMLExporter.template_name = "mip-formgrade"
c.HTMLExporter.extra_template_basedirs = FEEDBACK_TEMPLATES

# `nbgrader export` (and `course cohort export`): quoted, formula-safe CSV in nbgrader's columns,
# with failed gradings marked "failed" rather than 0. Named as text so that loading this file does
# not import pandas for every nbgrader command.
c.ExportApp.plugin_class = "course.cohort.grades_csv.SafeCsvExportPlugin"

"""nbgrader configuration for the course (the course directory is this folder).

Self-study defaults are embedded: a SQLite gradebook (gradebook.db here) and a local exchange
(exchange/ here). A deployment overrides them in its own nbgrader_config.py, e.g. with
``load_subconfig`` of this file followed by its own ``Exchange.root`` and ``db_url``.
"""

from pathlib import Path

import nbgrader
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    GetGrades,
    OverwriteCells,
    OverwriteKernelspec,
)

import course
from course.grading.feedback import HideCode
from course.grading.guard import GuardSubmission

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file
here = Path(__file__).resolve().parent

c.CourseDirectory.root = str(here)
c.CourseDirectory.course_id = "mip-social-media"
c.Exchange.root = str(here / "exchange")
# Submissions are named after the trainee by the app (see course/play/submit.py), not the Unix
# user that owns the files, so the owner check would flag every honest submission.
c.CollectApp.check_owner = False

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

# Feedback shows explanations and scores, never the grading code or the key's source.
c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, HideCode]
# ...and loads nothing from the network: the course's feedback template is nbgrader's own
# without MathJax from cdnjs. Setting the template dirs replaces nbgrader's default, so list its
# templates too.
c.HTMLExporter.template_name = "mip-feedback"
c.HTMLExporter.extra_template_basedirs = [
    str(Path(course.__file__).parent / "share" / "jupyter" / "nbconvert" / "templates"),
    str(Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"),
]

# `nbgrader export` (and `course cohort export`): quoted, formula-safe CSV in nbgrader's columns,
# with failed gradings marked "failed" rather than 0. Named as text so that loading this file does
# not import pandas for every nbgrader command.
c.ExportApp.plugin_class = "course.cohort.grades_csv.SafeCsvExportPlugin"

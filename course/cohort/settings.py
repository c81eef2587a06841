"""The tutors' defaults, each in one place: the command line, the report, the exports and the
dashboard read them from here.

Stdlib only (no pandas, no nbgrader), so that ``course cohort``'s argument parser can name the
defaults without paying for the libraries the verbs themselves need.
"""

from __future__ import annotations

LOW_SCORE = 0.6  # the at-risk threshold: an overall score below it flags a trainee

MOODLE, CANVAS = "moodle", "canvas"  # the LMSs whose grade import the gradebook CSV is written for
LMS_NAMES = (CANVAS, MOODLE)

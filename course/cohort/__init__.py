"""Tutors' side: a cohort from roster to reports, on top of nbgrader's own API."""

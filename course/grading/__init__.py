"""Grading: nbgrader extensions (submission guard, feedback view) and kernel-side scoring."""

"""Scenarios: the authored source of the course (YAML files under ``scenarios/``).

This package is pure data: it imports neither ipywidgets nor nbgrader.
"""

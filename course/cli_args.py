"""Command-line helpers shared by ``course`` and ``course cohort``; stdlib only, so that building
the parsers imports nothing heavy (``course.serve`` imports Voila)."""

from __future__ import annotations

from pathlib import Path


def voila_arguments(rest: list[str]) -> list[str]:
    """Voila's own options from what argparse's REMAINDER collected after the verb's options:
    the ``--`` that separates them is not one of them."""
    return rest[1:] if rest[:1] == ["--"] else rest


def folder(text: str) -> Path:
    """A folder argument, absolute from the start: nbgrader joins a relative course directory to
    paths that are already relative to it (``cohorts/x/cohorts/x/...``), so none reaches it."""
    return Path(text).expanduser().resolve()

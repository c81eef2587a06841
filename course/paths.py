"""Where each stage of the course lives in the repository (see the README's table)."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCENARIOS_DIR = REPO / "scenarios"  # authored source
NOTEBOOKS_DIR = REPO / "notebooks"  # authored landing page + generated practice notebooks
PRACTICE_DIR = NOTEBOOKS_DIR / "practice"  # generated: self-study notebooks
GRADING_DIR = REPO / "grading"  # nbgrader course directory (nbgrader_config.py lives here)
SOURCE_DIR = GRADING_DIR / "source"  # generated: nbgrader source notebooks (hold the key)
PROGRESS_DIR = REPO / "progress"  # self-study answers, one folder per learner (git-ignored)

"""An nbgrader feedback preprocessor: trainees see explanations and scores, never code."""

from __future__ import annotations

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor


class HideCode(NbGraderPreprocessor):
    """Drop the source of every code cell from the feedback page; keep the outputs."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.source = ""
                cell.metadata.setdefault("transient", {})["remove_source"] = True
        return nb, resources

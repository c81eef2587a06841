"""The guard's building blocks: spotting changed cells and showing reflections as literal text."""

from __future__ import annotations

import re

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course.grading.guard import cell_changes, literal_markdown


def released():
    cells = [new_markdown_cell("# Title"), new_code_cell("play()")]
    for cell, gid in zip(cells, ["title", "play"], strict=True):
        cell.metadata["nbgrader"] = {"grade_id": gid}
    return new_notebook(cells=cells)


def test_unchanged_notebook_has_no_changes_even_with_outputs():
    nb = released()
    nb.cells[1].outputs = [{"output_type": "stream", "name": "stdout", "text": "hi"}]
    assert cell_changes(nb, released()) == []


def test_added_edited_and_removed_cells_are_named():
    nb = released()
    nb.cells[1].source = "import os; os.system('id')"
    nb.cells.append(new_code_cell("print('extra')"))
    assert cell_changes(nb, released()) == ["cell play was edited.", "1 cell(s) were added."]
    shorter = released()
    shorter.cells.pop()
    assert cell_changes(shorter, released()) == ["1 cell(s) were removed."]


def test_literal_markdown_fences_any_text_including_fences_and_html():
    text = "<script>alert(1)</script>\n````\nstill text\n````"
    md = literal_markdown(text)
    fence = re.search(r"^(`+)text$", md, re.M).group(1)
    assert len(fence) == 5  # longer than the longest run of backticks inside
    assert md.endswith(f"\n{text}\n{fence}")

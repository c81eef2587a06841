"""The dashboard's per-trainee page: a trainee selector and their record
(:func:`course.cohort.trainee.trainee_record`) as HTML, every value escaped."""

from __future__ import annotations

from datetime import datetime
from html import escape
from pathlib import Path

import ipywidgets as widgets
import pandas as pd

from ..trainee import ModuleRecord, TraineeRecord, UnknownTrainee, trainee_record
from .marking_view import mark_text, markdown_html, trainee_label

CHOOSE = ""  # the selector's empty choice


def _when(value: datetime | None) -> str:
    return f"{value:%d %b %Y %H:%M} UTC" if value else "-"


def _points(score: float | None, most: float | None) -> str:
    if score is None:
        return "no score"
    return f"{score:g} / {most:g}" if most is not None else f"{score:g}"


def _module_html(m: ModuleRecord) -> str:
    facts = [
        ("Status", m.status),
        ("Score", _points(m.score, m.max_score)),
        ("Due", _when(m.due)),
        ("Submitted", f"{_when(m.submitted)} ({m.lateness})" if m.submitted else m.lateness),
    ]
    out = [
        f"<h3>{escape(m.title)}</h3>",
        '<dl class="mip-facts">'
        + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts)
        + "</dl>",
    ]
    for s in m.scenarios:
        feedback = f"released {_when(s.feedback_released)}" if s.feedback_released else "not released"
        out.append(
            f"<h4>{escape(s.scenario)}</h4>"
            f'<p class="mip-note">{escape(s.status or "not graded")}, '
            f"{escape(_points(s.score, s.max_score))}; feedback {escape(feedback)}</p>"
        )
        r = s.reflection
        if r is not None:
            # The reflection's own markdown: path, rubric and the reflection as literal text.
            out.append(f'<div class="mip-mark-path">{markdown_html(r.markdown)}</div>')
            comment = f"Tutor's comment: {r.comment}" if r.comment else "No comment."
            out.append(f'<p class="mip-note">Reflection {escape(mark_text(r))}. {escape(comment)}</p>')
        else:
            out.append(f'<div class="mip-mark-path">{markdown_html(s.path)}</div>')
    rows = "".join(f"<tr><td>{escape(_when(w))}</td><td>{escape(what)}</td></tr>" for w, what in m.history)
    out.append(
        f'<table class="mip-table mip-history"><caption>History of {escape(m.title)}</caption>'
        '<thead><tr><th scope="col">When</th><th scope="col">What</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )
    return "".join(out)


def _name(first: str | None, last: str | None) -> str:
    return " ".join(p for p in (first, last) if p) or "not on the roster"


def record_html(record: TraineeRecord) -> str:
    who = trainee_label(record.student, record.name)
    email = f" - {escape(record.email)}" if record.email else ""
    modules = (
        "".join(_module_html(m) for m in record.modules) or '<p class="mip-empty">No module released.</p>'
    )
    return f'<p class="mip-note"><strong>{escape(who)}</strong>{email}</p>{modules}'


class TraineeView:
    """Choose a trainee; their record is shown below."""

    def __init__(self):
        self.course_dir: Path | None = None
        self.trainee = widgets.Dropdown(
            options=[("Choose a trainee", CHOOSE)],
            description="Trainee",
            style={"description_width": "initial"},
        )
        self.body = widgets.HTML()
        self.view = widgets.VBox([widgets.HTML("<h2>One trainee</h2>"), self.trainee, self.body])
        self.view.add_class("mip-trainee")
        self.missing = ""  # said when the page was asked for an id the cohort does not have
        self._filling = False
        self.trainee.observe(lambda _: self.show(), names="value")

    def load(self, course_dir: Path | None, roster: pd.DataFrame | None, chosen: str = CHOOSE) -> None:
        """The trainees of the cohort at ``course_dir`` (``roster``: lms.gradebook_students)."""
        self.course_dir = course_dir
        rows = [] if roster is None else roster.sort_values("id").itertuples(index=False)
        people = [(f"{r.id} - {_name(r.first_name, r.last_name)}", r.id) for r in rows]
        ids = {value for _, value in people}
        self._filling = True
        try:
            self.trainee.options = [("Choose a trainee", CHOOSE), *people]
            self.trainee.value = chosen if chosen in ids else CHOOSE
        finally:
            self._filling = False
        self.missing = f" No trainee {chosen!r} in this cohort." if chosen and chosen not in ids else ""
        self.show()

    def show(self) -> None:
        if self._filling:
            return
        student = self.trainee.value
        if self.course_dir is None or student == CHOOSE:
            text = "Choose a trainee to see their modules, choices, reflections, marks, feedback and history."
            self.body.value = f'<p class="mip-note">{escape(text + self.missing)}</p>'
            return
        try:
            self.body.value = record_html(trainee_record(self.course_dir, student))
        except (UnknownTrainee, OSError, ValueError) as exc:
            self.body.value = f'<p class="mip-error" role="alert">{escape(str(exc))}</p>'

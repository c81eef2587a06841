"""The dashboard's other views beside the cohort overview: marking reflections and one trainee's
page, chosen with a "View" selector next to the filters. ``?trainee=ID`` in the page's address
(Voila hands the query string to the kernel as ``QUERY_STRING``) opens that trainee's page."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

import ipywidgets as widgets

from ..report import cohort_name
from .marking_view import MarkingView
from .select import ALL_MODULES
from .trainee_view import TraineeView

if TYPE_CHECKING:
    from .page import Dashboard

OVERVIEW, MARKING, TRAINEE = "overview", "marking", "trainee"
VIEWS = [("Cohort overview", OVERVIEW), ("Mark reflections", MARKING), ("One trainee", TRAINEE)]


def query(name: str) -> str:
    """A parameter of the page's address, as Voila passes it to the kernel ("" if absent)."""
    return parse_qs(os.environ.get("QUERY_STRING", "")).get(name, [""])[0]


class TutorViews:
    """Adds the View selector and the marking and trainee views to ``dashboard``'s page. The
    overview's figures are read again when shown after a mark was saved, so that they agree."""

    def __init__(self, dashboard: Dashboard):
        self.dashboard = dashboard
        self.stale: set[str] = set()  # cohorts whose report predates a saved mark
        self.marking = MarkingView(on_saved=lambda _: self.stale.add(dashboard.cohort.value))
        self.trainee = TraineeView()
        self.choice = widgets.Dropdown(
            options=VIEWS, description="View", style={"description_width": "initial"}
        )
        view = dashboard.view
        filters = next(
            c for c in view.children if isinstance(c, widgets.HBox) and dashboard.cohort in c.children
        )
        filters.children = (*filters.children, self.choice)
        at = list(view.children).index(dashboard.body) + 1
        view.children = (*view.children[:at], self.marking.view, self.trainee.view, *view.children[at:])
        wanted = query("trainee")
        # ?cohort= names the cohort of a link from a cohort's table (its label, or its folder's name).
        named = query("cohort")
        for label, folder in dashboard.cohorts.items():
            if named and named in (label, cohort_name(folder)):
                dashboard.cohort.value = label
                break
        self.choice.value = TRAINEE if wanted else OVERVIEW
        self._loaded: tuple = ()
        dashboard.cohort.observe(lambda _: self.refresh(), names="value")
        dashboard.module.observe(lambda _: self.refresh(), names="value")
        self.choice.observe(lambda _: self.refresh(), names="value")
        self.refresh(wanted)

    def refresh(self, trainee: str = "") -> None:
        """Show the chosen view, loading it for the current cohort and module."""
        d, chosen = self.dashboard, self.choice.value
        d.body.layout.display = None if chosen == OVERVIEW else "none"
        self.marking.view.layout.display = None if chosen == MARKING else "none"
        self.trainee.view.layout.display = None if chosen == TRAINEE else "none"
        label = d.cohort.value
        folder = d.cohorts[label] if d.report is not None else None
        if chosen == OVERVIEW and label in self.stale:
            self.stale.discard(label)
            d._load(label)
            d.render()
        elif chosen == MARKING and self._loaded != (MARKING, label, d.module.value):
            module = "" if d.module.value == ALL_MODULES else d.module.value
            self.marking.load(folder, module, d.report.modules.get(module, "") if d.report else "")
            self._loaded = (MARKING, label, d.module.value)
        elif chosen == TRAINEE and (trainee or self._loaded[:2] != (TRAINEE, label)):
            self.trainee.load(
                folder, d.report.roster if d.report else None, trainee or self.trainee.trainee.value
            )
            self._loaded = (TRAINEE, label)

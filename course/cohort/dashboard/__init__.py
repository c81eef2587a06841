"""The tutor dashboard: one page (a Voila notebook, ``grading/tutor-dashboard.ipynb``) where a tutor
sees who needs help and where the cohort goes wrong.

Filters (cohort, module) redraw every table and figure for that selection; download links give the
browser the report CSVs, nbgrader's grades and the Moodle and Canvas gradebooks (built in the
kernel by the functions the CLI writes them with; nothing is written on the server). Everything is a
plain function over :class:`course.cohort.report.CohortReport` except the page's widgets:

- :mod:`.select`: the cohorts to show, and a report's frames filtered to one module;
- :mod:`.charts`: the figures (matplotlib PNGs with alt texts);
- :mod:`.tables`: the HTML tables, every value escaped;
- :mod:`.page`: the page's body and the :class:`~.page.Dashboard` widgets (styled by the course's
  ``mip`` Voila template);
- :mod:`.serve`: ``course cohort dashboard``, which imports Voila; import it from there, so that
  the dashboard's kernel does not.
"""

from .page import show_dashboard

__all__ = ["show_dashboard"]

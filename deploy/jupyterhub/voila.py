"""Voila on the hub's Jupyter servers (trainees' and the grading service's): nothing from a CDN."""

from course.hub.offline import page_config_hook

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file
c.VoilaConfiguration.page_config_hook = page_config_hook

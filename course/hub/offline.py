"""Voila pages served by a Jupyter server on the hub (a trainee's own, the grading service's)
load nothing from a CDN.

Voila's front end fetches MathJax from cdnjs unless its page config names neither MathJax's URL
nor its configuration; the course's standalone Voila names neither, a Jupyter server does not say.
Set as ``VoilaConfiguration.page_config_hook`` in ``deploy/jupyterhub/voila.py``.
"""

from __future__ import annotations

from typing import Any


def page_config_hook(page_config: dict[str, Any], **_context: Any) -> dict[str, Any]:
    return {**page_config, "fullMathjaxUrl": None, "mathjaxConfig": None}

"""Voila's page templates compiled once per server instead of once per page.

Voila 0.5 makes a new exporter, and so a new Jinja environment, for every page it renders, and a
Jinja environment keeps its compiled templates to itself: each page view compiled the course's
template and the dozen Voila and nbconvert templates it extends again, about 0.9 s of the
server's CPU a page on this project's 2-core machine (``benchmarks/page_speed.py`` profiles it).
Jinja's own answer is a bytecode cache shared between environments; Voila has no setting for one,
so the exporter class its renderer uses is given one. A template whose source changes gets a new
checksum and is compiled afresh, so editing a template never serves a stale page.
"""

from __future__ import annotations

import voila.notebook_renderer
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from jinja2.environment import Environment
from voila.exporter import VoilaExporter


class MemoryBytecodeCache(BytecodeCache):
    """Compiled templates kept in this process, by template and source checksum."""

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        compiled = self._compiled.get(bucket.key)
        if compiled is not None:
            bucket.bytecode_from_string(compiled)  # Jinja drops it if the checksum differs

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()

    def clear(self) -> None:
        self._compiled.clear()


COMPILED_TEMPLATES = MemoryBytecodeCache()


class CachedTemplatesExporter(VoilaExporter):
    """Voila's exporter whose Jinja environment shares :data:`COMPILED_TEMPLATES`."""

    @property
    def environment(self) -> Environment:
        environment = super().environment
        environment.bytecode_cache = COMPILED_TEMPLATES
        return environment


def share_compiled_templates() -> None:
    """Have every page this process renders use :class:`CachedTemplatesExporter`."""
    voila.notebook_renderer.VoilaExporter = CachedTemplatesExporter

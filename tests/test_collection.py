"""No test folder is silently skipped: pytest's ``norecursedirs`` once matched ``tests/build``."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_no_folder_holding_tests_matches_a_pattern_pytest_skips():
    config = tomllib.loads((TESTS.parent / "pyproject.toml").read_text(encoding="utf-8"))
    skipped = config["tool"]["pytest"]["ini_options"]["norecursedirs"]
    folders = {p.parent for p in TESTS.rglob("test_*.py")}
    assert TESTS / "build" in folders  # the folder that was once skipped is still covered here
    for folder in folders:
        for part in folder.relative_to(TESTS.parent).parts:
            assert not any(fnmatch.fnmatch(part, pattern) for pattern in skipped), (folder, skipped)

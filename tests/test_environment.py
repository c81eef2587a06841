"""environment.yml lists the same packages as the lock, at the locked versions."""

import re
import tomllib

import yaml

from course.paths import REPO


def _name(requirement: str) -> str:
    return re.split(r"[=<>!~ \[]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_matches_pyproject_and_uv_lock():
    lock = {p["name"]: p["version"] for p in tomllib.loads((REPO / "uv.lock").read_text())["package"]}
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    direct = project["project"]["dependencies"] + project["dependency-groups"]["dev"]
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pinned = {_name(r): r.split("==")[1] for r in pip}
    assert set(pinned) == {_name(r) for r in direct}
    assert {n: lock[n] for n in pinned} == pinned
    for requirement in direct:  # pyproject pins exactly what the lock resolved
        assert requirement.split("==")[1] == lock[_name(requirement)]
    assert "python=3.11" in env["dependencies"]

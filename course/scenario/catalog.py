"""The whole course as authored: modules in folder order, each with its scenarios."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..paths import SCENARIOS_DIR
from ..policy import Policy, load_policy
from .errors import Problem, ScenarioError
from .load import SourceFile
from .schema import Module, Scenario
from .validate import check_scenario

MODULE_FILE = "module.yaml"


@dataclass(frozen=True)
class ModuleContent:
    module: Module
    folder: Path
    scenarios: tuple[Scenario, ...]


@dataclass(frozen=True)
class Course:
    modules: tuple[ModuleContent, ...]

    def module(self, module_id: str) -> ModuleContent:
        return next(m for m in self.modules if m.module.id == module_id)

    @property
    def scenarios(self) -> list[Scenario]:
        return [s for m in self.modules for s in m.scenarios]


def _read(src: SourceFile, model, problems: list[Problem]):
    try:
        return src.parse(model)
    except ScenarioError as exc:
        problems += exc.problems
        return None


def load_module(folder: Path, policy: Policy, problems: list[Problem]) -> ModuleContent | None:
    """Read one module folder, adding every problem found to ``problems``."""
    module_path = folder / MODULE_FILE
    if not module_path.is_file():
        problems.append(Problem(module_path, "", "missing: every module folder needs a module.yaml"))
        return None
    try:
        module_src = SourceFile(module_path)
    except ScenarioError as exc:
        problems += exc.problems
        return None
    module = _read(module_src, Module, problems)
    if module and module.id != folder.name:
        problems.append(
            module_src.problem(("id",), f"expected the folder name {folder.name!r}, got {module.id!r}")
        )

    clause_ids = set(policy.clauses)
    found: dict[str, Scenario] = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name == MODULE_FILE:
            continue
        try:
            src = SourceFile(path)
        except ScenarioError as exc:
            problems += exc.problems
            continue
        scn = _read(src, Scenario, problems)
        if scn is None:
            continue
        if scn.id != path.stem:
            problems.append(src.problem(("id",), f"expected the file name {path.stem!r}, got {scn.id!r}"))
        if scn.module != folder.name:
            problems.append(
                src.problem(("module",), f"expected the folder name {folder.name!r}, got {scn.module!r}")
            )
        problems += check_scenario(scn, src, clause_ids)
        found[scn.id] = scn

    if module is None:
        return None
    for i, scenario_id in enumerate(module.scenarios):
        if scenario_id not in found and not (folder / f"{scenario_id}.yaml").exists():
            problems.append(
                module_src.problem(("scenarios", i), f"no scenario file {scenario_id}.yaml in {folder}")
            )
    for scenario_id in sorted(set(found) - set(module.scenarios)):
        problems.append(
            module_src.problem(("scenarios",), f"scenario {scenario_id!r} has a file but is not listed")
        )
    ordered = tuple(found[i] for i in module.scenarios if i in found)
    return ModuleContent(module, folder, ordered)


def load_course(root: Path = SCENARIOS_DIR, policy: Policy | None = None) -> Course:
    """Read and validate every module under ``root``; raise one error listing every problem."""
    policy = policy or load_policy()
    problems: list[Problem] = []
    folders = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    if not folders:
        raise ScenarioError([Problem(root, "", "expected one folder per module, found none")])
    modules = [m for f in folders if (m := load_module(f, policy, problems))]

    owners: dict[str, str] = {}
    for content in modules:
        for scn in content.scenarios:
            if scn.id in owners:
                problems.append(
                    Problem(
                        content.folder / f"{scn.id}.yaml",
                        "id",
                        f"duplicate scenario id {scn.id!r}: also in module "
                        f"{owners[scn.id]!r}; scenario ids are unique course-wide",
                    )
                )
            owners[scn.id] = content.module.id
    if problems:
        raise ScenarioError(problems)
    return Course(tuple(modules))

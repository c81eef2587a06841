"""The whole course as authored: modules in folder order, each with its scenarios."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..paths import SCENARIOS_DIR
from ..policy import Policy, load_policy
from ..status import Kind
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
    check: Scenario | None = None  # the closing knowledge check

    @property
    def items(self) -> tuple[Scenario, ...]:
        """Everything a trainee plays, in order: the scenarios, then the knowledge check."""
        return (*self.scenarios, self.check) if self.check else self.scenarios

    @property
    def clauses(self) -> set[str]:
        """Every clause the module touches: cited by its reading or by any option."""
        cited = {c for part in self.module.reading for c in part.clauses}
        return cited | {c for s in self.items for step in s.steps for o in step.options for c in o.clauses}


@dataclass(frozen=True)
class Course:
    modules: tuple[ModuleContent, ...]

    def module(self, module_id: str) -> ModuleContent:
        return next(m for m in self.modules if m.module.id == module_id)

    @property
    def scenarios(self) -> list[Scenario]:
        return [s for m in self.modules for s in m.scenarios]

    @property
    def items(self) -> list[Scenario]:
        return [s for m in self.modules for s in m.items]


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
    for i, part in enumerate(module.reading):
        for k, clause in enumerate(part.clauses):
            if clause not in clause_ids:
                problems.append(
                    module_src.problem(
                        ("reading", i, "clauses", k), f"unknown clause id {clause!r} (see course/policy.yaml)"
                    )
                )
    listed = {
        **{s: ("scenarios", i) for i, s in enumerate(module.scenarios)},
        module.knowledge_check: ("knowledge_check",),
    }
    for item_id, loc in listed.items():
        if item_id not in found:
            if not (folder / f"{item_id}.yaml").exists():
                problems.append(module_src.problem(loc, f"no file {item_id}.yaml in {folder}"))
            continue
        want = Kind.KNOWLEDGE_CHECK if loc == ("knowledge_check",) else Kind.SCENARIO
        if found[item_id].kind != want:
            problems.append(
                module_src.problem(loc, f"{item_id!r} is a {found[item_id].kind}, expected a {want}")
            )
    for item_id in sorted(set(found) - set(listed)):
        problems.append(
            module_src.problem(("scenarios",), f"{item_id!r} has a file but is not listed in module.yaml")
        )
    ordered = tuple(found[i] for i in module.scenarios if i in found)
    return ModuleContent(module, folder, ordered, found.get(module.knowledge_check))


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
        for scn in content.items:
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

"""Reading a YAML file takes time and memory in proportion to its size, whatever its shape.

Scenario files are hand-written data: they need no anchors or aliases, are a few KB and a few
levels deep. Anything else is refused with a problem naming the file and line, before it is
expanded, so a file of nested aliases (a "billion laughs") cannot make ``course check`` hang.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from course.paths import SCENARIOS_DIR
from course.scenario.catalog import load_course
from course.scenario.errors import ScenarioError
from course.scenario.load import MAX_BYTES, MAX_DEPTH, SourceFile

from ..conftest import BIN
from .test_validation import SCENARIO, line_of, problems, write

# Nine lists of nine, each of the one before: 342 bytes that expand to 9**9 (387 million) strings.
BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{name}: &{name} [{','.join([f'*{prev}'] * 9)}]\n"
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
)


def demo_yaml(tmp_path: Path) -> Path:
    return tmp_path / "scenarios" / "01-demo" / "demo.yaml"


def test_billion_laughs_is_refused_at_its_first_alias(tmp_path):
    (msg,) = problems(tmp_path, BILLION_LAUGHS)
    assert msg.startswith(f"{demo_yaml(tmp_path)}:2: (file): YAML alias '*a' (of the anchor on line 1)")
    assert "is not allowed in scenario files; write the value out in full" in msg


def test_course_check_refuses_the_billion_laughs(tmp_path):
    root = write(tmp_path, BILLION_LAUGHS)
    # The timeout only stops a hung test; the check itself takes well under a second.
    done = subprocess.run(
        [BIN / "course", "--scenarios", str(root), "check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert f"{demo_yaml(tmp_path)}:2: (file): YAML alias '*a'" in done.stderr
    assert "write the value out in full" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_single_alias_is_refused(tmp_path):
    text = SCENARIO.replace(
        "clauses: [must-not.defamation]", "clauses: &theirs [must-not.defamation]"
    ).replace(
        "clauses: [conduct.questionable-conversations]\n        consequence: Nothing",
        "clauses: *theirs\n        consequence: Nothing",
    )
    (msg,) = problems(tmp_path, text)
    anchor, alias = line_of(text, "&theirs"), line_of(text, "*theirs")
    assert msg.startswith(
        f"{demo_yaml(tmp_path)}:{alias}: (file): YAML alias '*theirs' (of the anchor on line {anchor}) "
        "is not allowed in scenario files; write the value out in full here instead"
    )


def test_an_alias_of_no_anchor_is_refused_as_an_alias(tmp_path):
    text = SCENARIO.replace("title: A demo", "title: *nowhere")
    (msg,) = problems(tmp_path, text)
    assert msg.startswith(
        f"{demo_yaml(tmp_path)}:{line_of(text, '*nowhere')}: (file): YAML alias '*nowhere' is"
    )


def test_a_single_anchor_is_refused(tmp_path):
    text = SCENARIO.replace("title: A demo", "title: &name A demo")
    (msg,) = problems(tmp_path, text)
    assert msg.startswith(f"{demo_yaml(tmp_path)}:{line_of(text, '&name')}: (file): YAML anchor '&name'")
    assert "is not allowed in scenario files; remove it" in msg


def test_a_module_file_is_read_the_same_way(tmp_path):
    module = write(tmp_path).joinpath("01-demo", "module.yaml")
    text = module.read_text().replace("title: Demo", "title: &t Demo\nsummary_again: *t")
    module.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_course(tmp_path / "scenarios")
    (problem,) = info.value.problems
    assert (problem.file, problem.line) == (module, line_of(text, "*t"))
    assert "YAML alias '*t'" in problem.message


def padded(size: int) -> str:
    """The valid scenario, made ``size`` bytes long by a trailing comment."""
    filler = size - len(SCENARIO.encode()) - len("#\n")
    return SCENARIO + "#" + "x" * filler + "\n"


def test_a_file_over_the_size_limit_is_refused(tmp_path):
    (msg,) = problems(tmp_path, padded(MAX_BYTES + 1))
    assert msg == (
        f"{demo_yaml(tmp_path)}: (file): file is larger than 256 KiB, the limit for a scenario or "
        "module file (they are a few KB); check it is the right file, or split it"
    )


def test_a_file_at_the_size_limit_loads(tmp_path):
    text = padded(MAX_BYTES)
    assert len(text.encode()) == MAX_BYTES
    (scenario,) = load_course(write(tmp_path, text)).scenarios
    assert scenario.id == "demo"


@pytest.mark.parametrize("levels", [MAX_DEPTH, 100_000])
def test_nesting_too_deep_is_refused(tmp_path, levels):
    # Past the limit, and far past Python's recursion limit: refused either way, not a crash.
    text = SCENARIO.replace("title: A demo", "title: " + "[" * levels + "]" * levels)
    (msg,) = problems(tmp_path, text)
    assert msg.startswith(f"{demo_yaml(tmp_path)}:{line_of(text, 'title: [[')}: (file): nested more than")
    assert f"nested more than {MAX_DEPTH} levels deep; scenario files need only a few levels" in msg


def test_nesting_within_the_limit_is_read(tmp_path):
    # The title is the document's second level, so this is as deep as a file may go.
    levels = MAX_DEPTH - 2
    text = SCENARIO.replace("title: A demo", "title: " + "[" * levels + "]" * levels)
    (msg,) = problems(tmp_path, text)
    assert "title: Input should be a valid string" in msg


@pytest.mark.parametrize("number", ["1" * 5000, "1" + ":0" * 5000], ids=["decimal", "base-60"])
def test_a_number_too_long_is_refused(tmp_path, number):
    # Python refuses decimals over 4300 digits; base-60 numbers take time quadratic in length.
    text = SCENARIO.replace("points: 2\n  rubric:", f"points: {number}\n  rubric:")
    (msg,) = problems(tmp_path, text)
    line = line_of(text, "points: " + number[:10])
    assert msg.startswith(f"{demo_yaml(tmp_path)}:{line}: (file): a number of {len(number)} characters")
    assert "if it is meant as text, put it in quotes" in msg


def test_windows_line_endings_keep_line_numbers(tmp_path):
    bad = SCENARIO.replace("[must-not.defamation]", "[must-not.gossip]")
    (msg,) = problems(tmp_path, bad.replace("\n", "\r\n"))
    assert msg.startswith(f"{demo_yaml(tmp_path)}:{line_of(bad, 'must-not.gossip')}: steps[0].options[1]")


def test_every_real_file_reads_as_plain_yaml_does():
    files = sorted(SCENARIOS_DIR.rglob("*.yaml"))
    assert len(files) > 10
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert SourceFile(path).data == yaml.safe_load(text), path


def test_course_check_passes_on_the_real_scenarios():
    done = subprocess.run([BIN / "course", "check"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok: ")

"""course/hub/sizing.py: the rule from measured figures to requests, limits and trainees per node."""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, replace

import pytest

from course.hub.sizing import (
    RESERVE_CORES,
    RESERVE_MIB,
    Measured,
    SizingError,
    dump,
    load,
    resources,
    sizing_table,
    trainees_per_node,
)

MEASURED = Measured(
    date="2026-11-29",
    machine="test machine",
    source="test",
    trainees=3,
    mib_per_trainee_mean=200.0,
    mib_per_trainee_peak=300.0,
    cpu_seconds_per_trainee=12.0,
    session_seconds=100.0,
    cpu_cores_per_trainee_peak=0.7,
    hub_mib=150.0,
)


def test_dump_then_load_gives_the_same_figures(tmp_path):
    path = tmp_path / "sizing.json"
    dump(MEASURED, path)
    assert load(path) == MEASURED


def test_resources_follow_the_stated_rule():
    got = resources(MEASURED)
    mean_cores = MEASURED.cpu_seconds_per_trainee / MEASURED.session_seconds
    assert got["memory"]["guarantee"] == f"{math.ceil(200 / 64) * 64}M"
    assert got["memory"]["limit"] == f"{math.ceil(300 * 1.5 / 64) * 64}M"
    assert got["cpu"]["guarantee"] == pytest.approx(math.ceil(mean_cores / 0.05) * 0.05)
    assert got["cpu"]["limit"] == 1.0  # the peak (0.7) is below one core
    busy = replace(MEASURED, cpu_cores_per_trainee_peak=1.33)
    assert resources(busy)["cpu"]["limit"] == pytest.approx(1.35)


def test_an_exact_multiple_is_not_rounded_up():
    exact = replace(MEASURED, mib_per_trainee_mean=256.0, cpu_seconds_per_trainee=20.0)
    assert resources(exact)["memory"]["guarantee"] == "256M"
    assert resources(exact)["cpu"]["guarantee"] == pytest.approx(0.2)


def test_trainees_per_node_is_what_runs_out_first():
    # 256 MiB and 0.15 core guaranteed each
    mem_mib, cpu = 256, 0.15
    count, limit = trainees_per_node(8 * 1024, 16, MEASURED)
    assert (count, limit) == ((8 * 1024 - RESERVE_MIB) // mem_mib, "memory")
    count, limit = trainees_per_node(64 * 1024, 2, MEASURED)
    assert (count, limit) == (math.floor((2 - RESERVE_CORES) / cpu + 1e-9), "CPU")


def test_the_table_has_a_row_per_node_size_computed_from_the_figures():
    table = sizing_table(MEASURED)
    rows = [line for line in table.splitlines() if re.match(r"\| \d+ cores", line)]
    assert len(rows) == 4
    for row in rows:
        cores, gib = (int(part.split()[0]) for part in row.split("|")[1].split("/"))
        count, limit = trainees_per_node(gib * 1024, cores, MEASURED)
        assert row == f"| {cores} cores / {gib} GiB | {count} | {limit} |"
    assert MEASURED.date in table and MEASURED.machine in table and MEASURED.source in table


def test_a_bad_file_is_named_with_what_is_wrong(tmp_path):
    path = tmp_path / "sizing.json"
    data = asdict(MEASURED)
    del data["hub_mib"]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SizingError, match=r"sizing\.json.*missing hub_mib"):
        load(path)
    path.write_text(json.dumps({**asdict(MEASURED), "mib_per_trainee_mean": 0}), encoding="utf-8")
    with pytest.raises(SizingError, match="mib_per_trainee_mean must be a positive number"):
        load(path)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(SizingError, match="cannot read"):
        load(path)

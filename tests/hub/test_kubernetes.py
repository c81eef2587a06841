"""deploy/kubernetes/ says what the single-server hub says: the same course id, service, groups,
default URL, culler and trainee environment (course/hub/settings.py and spawn.py, which
deploy/jupyterhub/jupyterhub_config.py is built from), the requests and limits the measured
figures give (sizing.json), and images that keep the key out of a trainee's reach."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from course.hub import install, settings, spawn
from course.hub.settings import Places
from course.hub.sizing import load, resources, sizing_table
from course.paths import REPO

K8S = REPO / "deploy" / "kubernetes"


@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load((K8S / "values.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def grader() -> dict:
    """grader.yaml's Deployment."""
    docs = list(yaml.safe_load_all((K8S / "grader.yaml").read_text(encoding="utf-8")))
    return next(doc for doc in docs if doc["kind"] == "Deployment")


def image_places(env: dict[str, str]) -> Places:
    """The places an environment names (the MIP_HUB_* variables spawn.py sets)."""
    names = ("prefix", "cohort", "exchange", "state")
    return Places(*(Path(env[f"MIP_HUB_{name.upper()}"]) for name in names))


def test_course_service_and_tutor_group_are_the_single_servers(values):
    hub = values["hub"]
    assert set(hub["services"]) == {settings.SERVICE_NAME, settings.CERTIFICATE_SERVICE}
    assert hub["loadRoles"]["user"]["scopes"] == [
        "self",
        f"access:services!service={settings.CERTIFICATE_SERVICE}",
    ]
    assert set(hub["config"]["JupyterHub"]["load_groups"]) == {settings.TUTOR_GROUP}
    tutors = hub["loadRoles"]["tutors"]
    assert tutors["groups"] == [settings.TUTOR_GROUP]
    assert tutors["scopes"] == [f"access:services!service={settings.SERVICE_NAME}"]
    snippet = hub["extraConfig"]["mip-course.py"]
    compile(snippet, "hub.extraConfig", "exec")
    assert f'TUTOR_GROUP = "{settings.TUTOR_GROUP}"' in snippet
    assert f'SERVICE_URL_PATH = "{settings.SERVICE_URL_PATH}"' in snippet


def test_trainees_land_where_they_land_on_the_single_server(values):
    assert values["singleuser"]["defaultUrl"] == settings.DEFAULT_URL
    folder = values["hub"]["config"]["KubeSpawner"]["notebook_dir"]
    assert Path(folder).name == settings.TRAINEE_FOLDER
    assert f"mkdir -p -m 700 {folder} " in values["singleuser"]["cmd"][2]


def test_the_culler_is_the_single_servers(values):
    cull = values["cull"]
    assert cull["enabled"] is True
    assert (cull["timeout"], cull["every"]) == (settings.CULL_IDLE_SECONDS, settings.CULL_EVERY_SECONDS)


def test_a_trainees_environment_is_spawn_pys(values):
    env = values["singleuser"]["extraEnv"]
    assert env == spawn.trainee_environment(image_places(env))


def test_the_graders_environment_and_service_are_spawn_pys(values, grader):
    container = grader["spec"]["template"]["spec"]["containers"][0]
    env = {item["name"]: item.get("value") for item in container["env"]}
    course = {k: v for k, v in env.items() if not k.startswith("JUPYTERHUB_")}
    places = image_places(course)
    assert course == spawn.tutor_environment(places)
    assert places == image_places(values["singleuser"]["extraEnv"])
    assert env["JUPYTERHUB_SERVICE_NAME"] == settings.SERVICE_NAME
    assert env["JUPYTERHUB_SERVICE_PREFIX"] == settings.SERVICE_URL_PATH
    token = next(item for item in container["env"] if item["name"] == "JUPYTERHUB_API_TOKEN")
    assert token["valueFrom"]["secretKeyRef"]["key"] == f"hub.services.{settings.SERVICE_NAME}.apiToken"
    service_port = int(values["hub"]["services"][settings.SERVICE_NAME]["url"].rsplit(":", 1)[1])
    assert container["ports"][0]["containerPort"] == service_port
    assert f"--ServerApp.root_dir={places.cohort}" in container["command"]


def test_the_certificate_service_is_the_single_servers(values, grader):
    """Beside the grader, with the cohort's volume and spawn.py's environment; the key's folder is
    on the cohort's volume, which no trainee's pod mounts."""
    containers = {c["name"]: c for c in grader["spec"]["template"]["spec"]["containers"]}
    certificates = containers["certificates"]
    env = {item["name"]: item.get("value") for item in certificates["env"]}
    places = image_places(_values(containers["grader"]))
    assert {k: v for k, v in env.items() if not k.startswith("JUPYTERHUB_")} == spawn.certificate_environment(
        places
    )
    assert env["JUPYTERHUB_SERVICE_NAME"] == settings.CERTIFICATE_SERVICE
    assert env["JUPYTERHUB_SERVICE_PREFIX"] == f"/services/{settings.CERTIFICATE_SERVICE}/"
    token = next(item for item in certificates["env"] if item["name"] == "JUPYTERHUB_API_TOKEN")
    assert (
        token["valueFrom"]["secretKeyRef"]["key"] == f"hub.services.{settings.CERTIFICATE_SERVICE}.apiToken"
    )
    port = int(values["hub"]["services"][settings.CERTIFICATE_SERVICE]["url"].rsplit(":", 1)[1])
    assert certificates["ports"][0]["containerPort"] == port
    assert certificates["command"][-1] == "course.hub.certificates"
    key = Path(env["MIP_CERTIFICATE_DIR"])
    mounts = {m["mountPath"] for m in values["singleuser"]["storage"].get("extraVolumeMounts", [])}
    assert not any(key.is_relative_to(m) for m in mounts)  # no trainee's pod has the key


def _values(container: dict) -> dict[str, str]:
    return {item["name"]: item.get("value") for item in container["env"]}


def test_every_pod_mounts_the_same_exchange_where_spawn_py_says(values, grader):
    storage = values["singleuser"]["storage"]
    exchange = image_places(values["singleuser"]["extraEnv"]).exchange
    (volume,) = storage["extraVolumes"]
    mounts = {m["mountPath"]: m for m in storage["extraVolumeMounts"] if m["name"] == volume["name"]}
    assert mounts[str(exchange)]["readOnly"] is True
    inbound = exchange / settings.COURSE_ID / "inbound"
    assert mounts[str(inbound)]["subPath"] == f"{settings.COURSE_ID}/inbound"
    assert not mounts[str(inbound)].get("readOnly")
    pod = grader["spec"]["template"]["spec"]
    (theirs,) = [v for v in pod["volumes"] if "nfs" in v]
    assert theirs["nfs"] == volume["nfs"]
    grader_mounts = {m["name"]: m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
    assert grader_mounts[theirs["name"]] == str(exchange)


def test_requests_and_limits_are_the_measured_figures(values):
    measured = resources(load(K8S / "sizing.json"))
    single = values["singleuser"]
    assert {"memory": single["memory"], "cpu": single["cpu"]} == measured


def test_the_readme_shows_the_sizing_table_of_the_measured_figures():
    readme = (K8S / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- sizing -->\n(.*?)<!-- /sizing -->", readme, re.S)
    assert found, "README.md has no <!-- sizing --> ... <!-- /sizing --> block"
    assert found.group(1) == sizing_table(load(K8S / "sizing.json"))


# -- the Dockerfile, read as Docker reads it ----------------------------------------------------


def dockerfile_stages() -> dict[str, list[tuple[str, str]]]:
    """Each stage's instructions (keyword, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", (K8S / "Dockerfile").read_text(encoding="utf-8"))
    stages: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            base, _, name = rest.partition(" AS ")
            current = name.strip()
            stages[current] = [("FROM", base.strip())]
        elif current is not None:
            stages[current].append((keyword, rest.strip()))
    return stages


def lineage(stages: dict, name: str) -> list[str]:
    """The stage and those it is built FROM, nearest first."""
    chain = [name]
    while stages[chain[-1]][0][1] in stages:
        chain.append(stages[chain[-1]][0][1])
    return chain


def stage_env(stages: dict, name: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for stage in reversed(lineage(stages, name)):
        for keyword, rest in stages[stage]:
            if keyword == "ENV":
                env.update(item.split("=", 1) for item in shlex.split(rest))
    return env


def copied_from(stages: dict, name: str) -> set[str]:
    """Every stage whose files end up in ``name``: its lineage and what they COPY --from."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        stage = todo.pop()
        for ancestor in lineage(stages, stage):
            if ancestor in seen:
                continue
            seen.add(ancestor)
            todo += [m for k, r in stages[ancestor] if k == "COPY" for m in re.findall(r"--from=(\S+)", r)]
    return seen


def removed(stages: dict, stage: str) -> set[str]:
    return {
        word.removeprefix("/src/").rstrip("/")
        for keyword, rest in stages[stage]
        if keyword == "RUN" and rest.startswith("rm -rf")
        for word in rest.split()[2:]
    }


def test_the_images_hold_what_course_hub_install_copies_and_trainees_never_the_key():
    stages = dockerfile_stages()
    assert removed(stages, "source") == {name.rstrip("/") for name in install.LEFT_OUT}
    trainee = copied_from(stages, "trainee")
    copies_everything = {s for s in trainee if ("COPY", ". /src") in stages[s]}
    assert copies_everything == {"source"}, "the trainee image's files come from the pruned source"
    app_from = [r for k, r in stages["trainee"] if k == "COPY" and r.endswith("/opt/mip-course/app")]
    assert app_from == ["--from=trainee-source /src /opt/mip-course/app"]
    assert removed(stages, "trainee-source") == set(install.KEYED)
    for stage in trainee - {"source"}:  # only the pruning stage ever sees scenarios/
        for keyword, rest in stages[stage]:
            assert not (keyword == "COPY" and "scenarios" in rest), f"{stage} copies scenarios/"
    grader_app = [r for k, r in stages["grader"] if k == "COPY" and r.endswith("/opt/mip-course/app")]
    assert grader_app == ["--from=source /src /opt/mip-course/app"]


def test_the_environment_is_the_locked_one_built_with_bootstraps_uv():
    stages = dockerfile_stages()
    build = stages["build"]
    assert ("COPY", "pyproject.toml uv.lock ./") in build
    syncs = [rest for keyword, rest in build if keyword == "RUN" and " sync " in rest]
    assert syncs and all("--frozen --no-dev" in rest for rest in syncs)
    bootstrap = (REPO / "scripts" / "bootstrap.sh").read_text(encoding="utf-8")
    (uv,) = set(re.findall(r'"uv==([\d.]+)"', bootstrap))
    assert ("RUN", f'python3 -m pip install --no-cache-dir "uv=={uv}"') in build
    base = stages["source"][0][1]
    assert stages["build"][0][1] == base
    arg = re.search(r"ARG PYTHON_IMAGE=(\S+)", (K8S / "Dockerfile").read_text(encoding="utf-8")).group(1)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", arg), "a Debian Python 3.11, pinned by version"


@pytest.mark.parametrize(
    ("stage", "environment"), [("trainee", "trainee_environment"), ("grader", "tutor_environment")]
)
def test_each_image_runs_as_jovyan_with_spawn_pys_environment(stage, environment):
    stages = dockerfile_stages()
    users = [rest for s in reversed(lineage(stages, stage)) for k, rest in stages[s] if k == "USER"]
    assert users and users[-1] == "1000", "not root"
    assert ("RUN", "useradd --create-home --uid 1000 --gid 100 --shell /bin/bash jovyan") in stages["base"]
    env = stage_env(stages, stage)
    expected = getattr(spawn, environment)(image_places(env))
    assert {name: env.get(name) for name in expected} == expected
    cmd = next(rest for s in lineage(stages, stage) for k, rest in stages[s] if k == "CMD")
    assert cmd.startswith('["jupyterhub-singleuser"')


def test_the_readme_pins_the_chart_and_names_what_it_deploys():
    readme = (K8S / "README.md").read_text(encoding="utf-8")
    header = (K8S / "values.yaml").read_text(encoding="utf-8").splitlines()[0]
    chart = re.search(r"chart jupyterhub (\d+\.\d+\.\d+)", header).group(1)
    assert f"--version {chart}" in readme
    for name in (settings.TUTOR_GROUP, settings.SERVICE_NAME, "check_owner", "1777", "2733", "0711"):
        assert name in readme

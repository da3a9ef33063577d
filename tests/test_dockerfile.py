"""The Dockerfile's promises, read from the file (no Docker daemon in the test environment):
a numeric non-root user, the listeners' ports exposed, a build that fails without the C
speed-ups, and the dependencies in a layer that does not change with the source."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

from bot.config.model import SlackConfig, TelegramConfig, WebSubConfig

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
# instructions, with continuation lines joined and comments dropped
LINES = [
    line.strip()
    for line in re.sub(r"\\\n\s*", " ", DOCKERFILE).splitlines()
    if line.strip() and not line.lstrip().startswith("#")
]


def runtime_stage() -> list[str]:
    starts = [i for i, line in enumerate(LINES) if line.startswith("FROM ")]
    return LINES[starts[-1] :]


def builder_stage() -> list[str]:
    starts = [i for i, line in enumerate(LINES) if line.startswith("FROM ")]
    return LINES[starts[0] : starts[-1]]


def test_the_image_runs_as_a_numeric_non_root_user() -> None:
    users = [line for line in runtime_stage() if line.startswith("USER ")]
    assert users == ["USER 10001:10001"]
    assert any("--uid 10001" in line and "--gid 10001" in line for line in runtime_stage())


def test_the_listeners_ports_are_exposed() -> None:
    [expose] = [line for line in runtime_stage() if line.startswith("EXPOSE ")]
    ports = {int(port) for port in expose.split()[1:]}
    assert ports == {TelegramConfig().webhook_port, SlackConfig().port, WebSubConfig().port}


def test_the_build_fails_when_the_speedups_did_not_build() -> None:
    runs = [line for line in builder_stage() if line.startswith("RUN ")]
    last = runs[-1]
    install = last.index("pip install --no-deps /wheels/")
    assert last.index('python -c "import bot.match._speedups"') > install
    assert "cd / &&" in last  # the installed package, not the source tree beside it


def test_the_dependencies_are_a_layer_apart_from_the_source() -> None:
    stage = builder_stage()
    copy_source = stage.index("COPY bot ./bot")
    [deps] = [i for i, line in enumerate(stage) if "pip install -r /tmp/requirements.txt" in line]
    assert deps < copy_source
    copies_before = [line for line in stage[:deps] if line.startswith("COPY ")]
    assert copies_before == ["COPY pyproject.toml ./"]


def test_the_requirements_are_the_projects_dependencies() -> None:
    [deps] = [line for line in builder_stage() if "pip install -r /tmp/requirements.txt" in line]
    extract = next(part for part in deps.split(" && ") if "tomllib" in part)
    extract = extract.replace("> /tmp/requirements.txt", "").strip()
    out = subprocess.run(
        ["sh", "-c", extract.replace("python -c", f"{shlex.quote(sys.executable)} -c", 1)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    with (ROOT / "pyproject.toml").open("rb") as f:
        assert out.splitlines() == tomllib.load(f)["project"]["dependencies"]

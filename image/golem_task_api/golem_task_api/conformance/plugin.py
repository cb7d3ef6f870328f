"""The pytest plugin (entry point `pytest11`): the battery as tests, and fixtures for app authors.

Inert unless asked: without `--task-api-app` or `--task-api-image` it adds
no test, and its fixtures skip unless an app's conftest names the app by
overriding `task_api_spec`.

    pytest --task-api-app 'python -m my_app.entrypoint' --task-api-input in.txt \\
        --task-api-params '{"difficulty": 8}'
"""

from __future__ import annotations

import asyncio
import json
import shlex
import sys
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from golem_task_api.conformance.battery import Check
from golem_task_api.conformance.node import TaskDriver
from golem_task_api.conformance.report import Outcome
from golem_task_api.conformance.runner import applicable, run_check
from golem_task_api.conformance.target import AppSpec, Target, stop
from golem_task_api.node.client import RequestorAppClient

_TARGET = pytest.StashKey[Target]()


class CheckWarning(UserWarning):
    """A check's warn: good practice the node survives without."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("task-api", "Golem Task API conformance (golem-task-api check-app)")
    group.addoption("--task-api-app", metavar="COMMAND", help="check this app command")
    group.addoption("--task-api-image", metavar="NAME:TAG", help="check this app image")
    group.addoption("--task-api-input", action="append", default=[], metavar="FILE")
    group.addoption("--task-api-params", default="{}", metavar="JSON")
    group.addoption("--task-api-bad-params", action="append", default=[], metavar="JSON")
    group.addoption("--task-api-rounds", type=int, default=50, metavar="N")


def spec_from_options(config: pytest.Config) -> AppSpec | None:
    command, image = config.getoption("task_api_app"), config.getoption("task_api_image")
    if not command and not image:
        return None
    inputs = [Path(name).resolve() for name in config.getoption("task_api_input")]
    params = json.loads(config.getoption("task_api_params"))
    params.setdefault("resources", [path.name for path in inputs])
    bad = [json.loads(text) for text in config.getoption("task_api_bad_params")]
    for one in bad:
        one.setdefault("resources", params["resources"])
    words = shlex.split(command) if command else None
    if words and words[0] in ("python", "python3"):
        words[0] = sys.executable
    return AppSpec(inputs, params, words, image, bad, rounds=config.getoption("task_api_rounds"))


class CheckItem(pytest.Item):
    """One check of the battery; FAIL fails it, warn passes with a warning, skip skips."""

    def __init__(self, *, check: Check, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check

    def runtest(self) -> None:
        target = self.config.stash[_TARGET]
        verdict = asyncio.run(run_check(self.check, target))
        if verdict.outcome is Outcome.FAIL:
            raise CheckFailed(verdict.evidence)
        if verdict.outcome is Outcome.SKIP:
            pytest.skip(verdict.evidence)
        if verdict.outcome is Outcome.WARN:
            warnings.warn(CheckWarning(f"{self.check.name}: {verdict.evidence}"), stacklevel=1)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CheckFailed):
            return f"{self.check.name}: {excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[str, int, str]:
        return "check-app", 0, f"check-app::{self.check.name}"


class CheckFailed(Exception):
    """The app breaks a node run (the message is the evidence)."""


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    spec = spec_from_options(config)
    if spec is None:
        return  # inert: no app named, no checks collected
    root = Path(config._tmp_path_factory.mktemp("check-app"))  # type: ignore[attr-defined]
    config.stash[_TARGET] = Target(spec, root)
    items.extend(
        CheckItem.from_parent(session, name=f"check-app::{one.name}", check=one)
        for one in applicable(spec)
    )


@pytest.fixture
def task_api_spec(pytestconfig: pytest.Config) -> AppSpec:
    """The app and sample task: from the options, or an app's conftest overrides this."""
    spec = spec_from_options(pytestconfig)
    if spec is None:
        pytest.skip("no --task-api-app / --task-api-image (or task_api_spec override)")
    return spec


class NodeSide:
    """The node's side for an app's own tests: apps started as a node would, its moves."""

    def __init__(self, target: Target) -> None:
        self.target = target

    @asynccontextmanager
    async def requestor(self, *, use_tls: bool = False) -> AsyncIterator[RequestorAppClient]:
        client = await self.target.requestor(self.target.fresh_dir("requestor"), use_tls=use_tls)
        try:
            yield client
        finally:
            await stop(client)

    @asynccontextmanager
    async def task(
        self, params: dict[str, Any] | None = None, *, use_tls: bool = False
    ) -> AsyncIterator[TaskDriver]:
        """A requestor with a task created; the driver's `next`, `hand_out`, `compute`
        (fresh provider), `deliver`, `verify` and `finish` are the node's moves."""
        async with self.requestor(use_tls=use_tls) as client:
            driver = TaskDriver(self.target, client, use_tls=use_tls)
            await driver.create(params)
            yield driver


@pytest.fixture
def task_api_node(task_api_spec: AppSpec, tmp_path: Path) -> NodeSide:
    return NodeSide(Target(task_api_spec, tmp_path / "task-api"))

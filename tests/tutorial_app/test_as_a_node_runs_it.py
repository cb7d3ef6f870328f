"""The tutorial app through the conformance kit's fixtures (the pytest plugin):
started as a node starts it, moved along with the node's moves."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from golem_task_api.conformance.plugin import NodeSide
from golem_task_api.conformance.target import AppSpec
from golem_task_api.wire.enums import VerifyResult

from tests.tutorial_app.support import INPUT_TEXT

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def task_api_spec(tmp_path: Path) -> AppSpec:
    """Names our app for the plugin's fixtures (`task_api_node`)."""
    text = tmp_path / "input.txt"
    text.write_text(INPUT_TEXT, encoding="utf-8")
    return AppSpec(
        inputs=[text],
        params={"resources": [text.name], "difficulty": 8},
        command=[sys.executable, "-m", "tutorial_app.entrypoint"],
        subtasks=3,
    )


async def test_a_whole_task_under_mutual_tls(task_api_node: NodeSide) -> None:
    async with task_api_node.task(use_tls=True) as driver:
        assert await driver.finish() == 3
        assert len(list(driver.task_dir.task_outputs_dir.iterdir())) == 3


async def test_a_result_damaged_on_the_way_is_refused_and_redone(task_api_node: NodeSide) -> None:
    async with task_api_node.task() as driver:
        handed = await driver.next()
        assert handed is not None
        delivered = await driver.compute(handed)
        delivered.write_bytes(delivered.read_bytes()[:-7])
        result, reason = await driver.verify(handed.subtask_id)
        assert result is VerifyResult.FAILURE and reason
        assert await driver.has_pending()
        assert await driver.finish() == 3


async def test_the_resources_handed_out_are_the_ones_named(task_api_node: NodeSide) -> None:
    async with task_api_node.task() as driver:
        handed = await driver.next()
        assert handed is not None
        provider_dir = driver.hand_out(handed)
        names = sorted(p.name for p in provider_dir.subtask_inputs_dir.iterdir())
        assert names == sorted(handed.subtask.resources)

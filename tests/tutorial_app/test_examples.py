"""The example files agree with the code: same image, valid task parameters."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tutorial_app import version
from tutorial_app.core import params
from tutorial_app.files import zips
from tutorial_app.search import pow

EXAMPLES = Path(__file__).parents[2] / "examples"


def test_app_definition_names_this_image() -> None:
    definition = json.loads((EXAMPLES / "app_definition.json").read_text(encoding="utf-8"))
    assert definition["requestor_prereq"] == {
        "image": version.IMAGE_NAME,
        "tag": version.IMAGE_TAG,
    }
    assert definition["version"] == version.VERSION
    assert definition["requestor_env"] == "docker_cpu"
    assert definition["market_strategy"] == "brass"
    assert definition["max_benchmark_score"] > 0
    for key in ("name", "description", "author", "license"):
        assert definition[key]


def test_example_task_params_are_valid() -> None:
    task = json.loads((EXAMPLES / "task.json").read_text(encoding="utf-8"))
    parsed = params.parse_task_params(task["app"], task["golem"]["max_subtasks"])
    assert parsed.resources == ["input.txt"]
    assert (EXAMPLES / "input.txt").read_text(encoding="utf-8").strip()


REPO = EXAMPLES.parent
LINK = re.compile(r"\]\(([^)#]+)(?:#[^)]*)?\)")


def test_docs_are_self_contained() -> None:
    """Every relative link in the docs names a file in this repository."""
    for doc in (REPO / "README.md", REPO / "docs" / "DESIGN.md", REPO / "docs" / "protocol.md"):
        text = doc.read_text(encoding="utf-8")
        assert "../shared" not in text, doc
        for target in LINK.findall(text):
            if "://" not in target:
                assert (doc.parent / target).exists(), (doc, target)


def test_readme_states_the_input_limits_the_code_enforces() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"{zips.MAX_INPUT_BYTES:,} bytes" in readme
    assert f"1..{params.MAX_PARTS:,}" in readme
    assert f"{pow.MIN_DIFFICULTY}..{pow.MAX_DIFFICULTY}" in readme

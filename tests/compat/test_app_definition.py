"""App ids as a Golem node derives them, computed here independently with hashlib."""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from golem_task_api.apputils.app_definition import (
    AppDefinitionBase,
    BuildAppDefCommand,
    load_app_from_json_file,
    save_app_to_json_file,
)
from tutorial_app import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

#: The original tutorial app's definition, as its examples shipped it, and
#: the app id its example task file names it by.
ORIGINAL_DEFINITION = """{
        "name": "golemfactory/tutorialapp",
        "description": "Golem task-api tutorial",
        "version": "1.0.0",
        "author": "Golem Team <contact@golem.network>",
        "license": "GPLv3",
        "requestor_env": "docker_cpu",
        "requestor_prereq": {"image": "golemfactory/tutorialapp", "tag": "1.0.0"},
        "market_strategy": "brass",
        "max_benchmark_score": 10000.0
}"""
ORIGINAL_APP_ID = "801964d531675a235c9ddcfda00075cb"


def node_id(definition: dict[str, object]) -> str:
    """The node's serialisation spelled out: field order, ', ' and ': ', ASCII escapes."""
    fields = [
        "name",
        "requestor_env",
        "requestor_prereq",
        "max_benchmark_score",
        "version",
        "description",
        "author",
        "license",
        "market_strategy",
    ]
    defaults = {"version": "0.0", "description": "", "author": "", "license": ""}

    def string(text: str) -> str:
        escaped = text.replace("\\", "\\\\").replace('"', '\\"')
        return '"' + "".join(c if ord(c) < 128 else f"\\u{ord(c):04x}" for c in escaped) + '"'

    def value(name: str) -> str:
        raw = definition.get(name, defaults.get(name, "brass"))
        if name == "requestor_prereq":
            assert isinstance(raw, dict)
            items = ", ".join(f"{string(k)}: {string(v)}" for k, v in raw.items())
            return "{" + items + "}"
        if name == "max_benchmark_score":
            return repr(raw)
        return string(str(raw).lower() if name == "market_strategy" else str(raw))

    serialised = "{" + ", ".join(f'"{name}": {value(name)}' for name in fields) + "}"
    return hashlib.blake2b(serialised.encode("ascii"), digest_size=16).hexdigest()


def test_the_original_apps_id_is_the_one_its_task_file_names(tmp_path: Path) -> None:
    path = tmp_path / "app_descriptor.json"
    path.write_text(ORIGINAL_DEFINITION)
    assert load_app_from_json_file(path).id == ORIGINAL_APP_ID
    assert node_id(json.loads(ORIGINAL_DEFINITION)) == ORIGINAL_APP_ID


def test_example_task_names_the_example_app_by_its_id() -> None:
    definition = json.loads((EXAMPLES / "app_definition.json").read_text(encoding="utf-8"))
    task = json.loads((EXAMPLES / "task.json").read_text(encoding="utf-8"))
    assert task["golem"]["app_id"] == node_id(definition)


def test_app_id_command_prints_the_id(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["app-id", str(EXAMPLES / "app_definition.json")]) == 0
    definition = json.loads((EXAMPLES / "app_definition.json").read_text(encoding="utf-8"))
    assert capsys.readouterr().out == node_id(definition) + "\n"


def test_app_id_command_refuses_a_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x"}')
    result = subprocess.run(
        [sys.executable, "-m", "tutorial_app.cli", "app-id", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert "missing requestor_env" in result.stderr


def test_non_ascii_defaults_and_case_match_the_node() -> None:
    data = {
        "name": "ü/app",
        "requestor_env": "docker_cpu",
        "requestor_prereq": {"image": "ü", "tag": "1"},
        "max_benchmark_score": 3,
        "market_strategy": "Wasm",
        "unknown": "ignored",
    }
    definition = AppDefinitionBase.from_dict(data)
    assert definition.market_strategy == "wasm"
    assert definition.id == node_id(data)
    # An int score stays an int (the node keeps what the file says).
    assert '"max_benchmark_score": 3,' in definition.to_json()


@pytest.mark.parametrize(
    "change",
    [{"name": 1}, {"requestor_prereq": []}, {"max_benchmark_score": "9"}, {"market_strategy": "x"}],
)
def test_invalid_definitions_are_value_errors(change: dict[str, object]) -> None:
    data = {**json.loads(ORIGINAL_DEFINITION), **change}
    with pytest.raises(ValueError, match="app definition"):
        AppDefinitionBase.from_dict(data)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    definition = AppDefinitionBase.from_json(ORIGINAL_DEFINITION)
    path = tmp_path / "deep" / "app.json"
    save_app_to_json_file(definition, path)
    assert load_app_from_json_file(path) == definition
    assert load_app_from_json_file(path).id == ORIGINAL_APP_ID
    path.write_text("not json")
    with pytest.raises(ValueError, match=r"app\.json"):
        load_app_from_json_file(path)


def test_build_app_def_command_writes_the_definition(tmp_path: Path) -> None:
    from setuptools.dist import Distribution

    config = tmp_path / "task-api-config.json"
    config.write_text(
        json.dumps(
            {
                "name": "golemfactory/tutorialapp",
                "market_strategy": "brass",
                "requestor_env": "docker_cpu",
                "requestor_prereq": {"image": "golemfactory/tutorialapp", "tag": "1.0.0"},
                "max_benchmark_score": 10000.0,
            }
        )
    )
    dist = Distribution(
        {
            "name": "tutorialapp",
            "version": "1.0.0",
            "description": "Golem task-api tutorial",
            "maintainer": "Golem Team <contact@golem.network>",
            "license": "GPLv3",
        }
    )
    command = BuildAppDefCommand(dist)
    command.initialize_options()
    command.dist_path = str(tmp_path / "dist")
    command.config_path = str(config)
    command.finalize_options()
    command.run()
    written = list((tmp_path / "dist").iterdir())
    name = f"golemfactory_tutorialapp_1.0.0_{ORIGINAL_APP_ID}.json"
    assert [path.name for path in written] == [name]
    assert load_app_from_json_file(written[0]).id == ORIGINAL_APP_ID

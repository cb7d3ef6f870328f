"""The `run` commands end to end, as subprocesses, on the real app."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from golem_task_api.wire import tls

from tests.network.support import (
    FAULTY_APP,
    golem_task_api,
    processes_mentioning,
    tutorial_app,
)

TLS_FILES = set(tls.ALL_FILES)


def _results(out: Path, task_id: str) -> list[Path]:
    """The result zips in --out: named after the task, beside its manifest and input."""
    return sorted(out.glob(f"{task_id}-*.zip"))


def _check_finished(data: dict, subtasks: int, out: Path) -> None:
    assert data["status"] == "finished", data
    assert data["ok"] is True
    assert data["verified"] == subtasks == data["subtasks"]
    task_id = data["task_id"]
    outputs = _results(out, task_id)
    assert len(outputs) == subtasks
    assert sorted(Path(p).name for p in data["outputs"]) == [p.name for p in outputs]
    for path in outputs:
        with zipfile.ZipFile(path) as archive:
            assert archive.namelist() == ["result.txt"]
    assert {p.name for p in out.iterdir()} == {
        *(p.name for p in outputs),
        f"{task_id}.manifest.jsonl",
        f"{task_id}.input.input.txt",
    }
    assert data["work_unit"] == "hashes" and data["work"] >= subtasks


@pytest.mark.parametrize("tls_on", [True, False], ids=["tls", "plaintext"])
def test_run_finishes_and_copies_results(input_file: Path, tmp_path: Path, tls_on: bool) -> None:
    out, root = tmp_path / "out", tmp_path / "work"
    flags = [] if tls_on else ["--no-tls"]
    result = tutorial_app(
        "run", input_file, "--difficulty", "10", "--subtasks", "3", "--providers", "2",
        "--out", out, "--work-root", root, "--json", *flags,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = result.json()
    _check_finished(data, 3, out)
    assert data["retried"] == 0 and data["failed_attempts"] == 0
    requestor_files = {p.name for p in (root / "requestor").iterdir()}
    assert (requestor_files >= TLS_FILES) is tls_on
    assert not requestor_files & TLS_FILES or tls_on
    # Every provider had its own work dir, holding its resources and (with TLS) certificates.
    providers = sorted((root / "providers").iterdir())
    assert len(providers) == 3
    for provider in providers:
        assert len(list((provider / "subtask_inputs").iterdir())) == 1
        assert ({p.name for p in provider.iterdir()} >= TLS_FILES) is tls_on
    task_dir = Path(data["task_dir"])
    assert {f"{data['task_id']}-{p.name}" for p in (task_dir / "task_outputs").iterdir()} == {
        p.name for p in _results(out, data["task_id"])
    }
    assert processes_mentioning(str(root)) == []


def test_run_shows_progress_and_summary(input_file: Path, tmp_path: Path) -> None:
    result = tutorial_app(
        "run", input_file, "--difficulty", "8", "--subtasks", "2", "--providers", "1",
        "--out", tmp_path / "out", "--no-tls",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.count("verified (provider-1") == 2
    for row in ("status", "finished", "verified", "2 / 2", "retried", "wall time", "hashes/s"):
        assert row in result.stderr


def test_quiet_prints_nothing(input_file: Path, tmp_path: Path) -> None:
    result = tutorial_app(
        "run", input_file, "--difficulty", "4", "--subtasks", "1", "--providers", "1",
        "--out", tmp_path / "out", "--quiet", "--no-tls",
    )  # fmt: skip
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_crashed_provider_is_retried(input_file: Path, tmp_path: Path) -> None:
    """The generic command with a wrapper app whose first provider dies mid-compute."""
    out, markers = tmp_path / "out", tmp_path / "markers"
    app = f"python {FAULTY_APP} {markers} 1 crash"
    result = golem_task_api(
        "run", "--app", app, "--input", input_file, "--params", '{"difficulty": 8}',
        "--subtasks", "3", "--providers", "2", "--out", out, "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (markers / "fault-0").exists()
    data = result.json()
    assert data["status"] == "finished"
    assert data["verified"] == 3
    assert data["retried"] == 1 and data["failed_attempts"] == 1
    assert len(_results(out, data["task_id"])) == 3
    assert "failed on provider-" in result.stderr and "handing it out again" in result.stderr


def test_rejected_result_is_handed_out_again(input_file: Path, tmp_path: Path) -> None:
    app = f"python {FAULTY_APP} {tmp_path / 'markers'} 1 cheat"
    result = golem_task_api(
        "run", "--app", app, "--input", input_file, "--params", '{"difficulty": 12}',
        "--subtasks", "2", "--providers", "1", "--out", tmp_path / "out", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = result.json()
    assert data["verified"] == 2 and data["retried"] == 1 and data["failed_attempts"] == 1
    assert "rejected: the hash is too easy for difficulty 12" in result.stderr


def test_gives_up_after_the_retry_limit(input_file: Path, tmp_path: Path) -> None:
    app = f"python {FAULTY_APP} {tmp_path / 'markers'} 5 crash"
    result = golem_task_api(
        "run", "--app", app, "--input", input_file, "--params", '{"difficulty": 4}',
        "--subtasks", "2", "--providers", "1", "--max-retries", "1", "--no-tls",
        "--out", tmp_path / "out", "--json",
    )  # fmt: skip
    assert result.returncode == 1
    data = result.json()
    assert data["status"] == "failed" and data["ok"] is False
    assert data["failed_attempts"] == 2 and "limit 1" in data["error"]
    assert not (tmp_path / "out").exists()


def test_app_refusing_the_task_is_one_clear_error(input_file: Path, tmp_path: Path) -> None:
    result = golem_task_api(
        "run", "--app", "python -m tutorial_app.entrypoint", "--input", input_file,
        "--params", '{"difficulty": 300}', "--out", tmp_path / "out", "--quiet",
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "INVALID_ARGUMENT" in result.stderr and "difficulty" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "{missing}"], "does not exist"),
        (["run", "{input}", "--difficulty", "300"], "--difficulty must be between 0 and 256"),
        (["run", "{input}", "--providers", "0"], "--providers must be at least 1"),
        (["run", "{input}", "--subtasks", "0"], "--subtasks must be between 1 and 100000, got 0"),
        (["run", "{input}", "--subtasks", "1000000"], "between 1 and 100000, got 1000000"),
        (["run", "{empty}"], "is empty; it needs 1 to 16777216 bytes"),
        (["run", "{binary}"], "is not UTF-8 text (invalid start byte at byte 1)"),
        (["run", "{big}"], "is 16777217 bytes; at most 16777216 (16 MiB)"),
        (["run", "{input}", "--out", "{input}/out"], "--out {input}/out is not a writable"),
        (["run", "{input}", "--out", "/proc/results"], "--out /proc/results is not a writable"),
        (["run", "{input}", "--out", "{input}"], "exists and is not a directory"),
        (["run"], "give the INPUT file (or --resume WORK_ROOT)"),
        (["resume", "{missing}"], "holds no run to resume (run.json is missing)"),
        (["check", "{missing}"], "is not a directory"),
        (["run", "{input}", "--difficulty", "twenty"], "invalid int value"),
        (["status", "{missing}"], "does not exist"),
    ],
)
def test_bad_arguments_are_one_line(
    input_file: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(b"a\xff\xfe")
    with (tmp_path / "big.txt").open("wb") as big:
        big.truncate(16 * 1024 * 1024 + 1)
    values = {"input": input_file, "missing": tmp_path / "nope.txt"}
    values |= {name: tmp_path / f"{name}.txt" for name in ("empty", "binary", "big")}
    result = tutorial_app(*(arg.format(**values) for arg in args), "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("tutorial-app") and "error:" in lines[0]
    assert message.format(**values) in lines[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--params", "[1]"], "--params must be a JSON object"),
        (["--params", "{"], "--params is not valid JSON"),
        (["--providers", "0"], "--providers must be at least 1"),
    ],
)
def test_generic_bad_arguments_are_one_line(
    input_file: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    result = golem_task_api("run", "--app", "python -m tutorial_app.entrypoint",
                            "--input", input_file, *args)  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_a_provider_past_its_timeout_is_aborted(input_file: Path, tmp_path: Path) -> None:
    """Difficulty 48 never finishes here: the subtask times out, the provider is stopped."""
    root = tmp_path / "work"
    result = tutorial_app(
        "run", input_file, "--difficulty", "48", "--subtasks", "1", "--providers", "1",
        "--subtask-timeout", "1.5", "--max-retries", "0", "--work-root", root,
        "--out", tmp_path / "out", "--json", "--no-tls",
    )  # fmt: skip
    assert result.returncode == 1
    data = result.json()
    assert data["status"] == "failed" and data["failed_attempts"] == 1
    assert "timed out" in data["error"]
    assert processes_mentioning(str(root)) == []
    status = tutorial_app("status", data["task_dir"], "--json").json()
    assert status["aborted"] is True
    assert status["parts"][0]["status"] == "aborted"


def test_an_app_that_does_not_start_is_one_clear_error(input_file: Path, tmp_path: Path) -> None:
    result = golem_task_api(
        "run", "--app", "python -c 'raise SystemExit(3)'", "--input", input_file,
        "--out", tmp_path / "out", "--quiet",
    )  # fmt: skip
    assert result.returncode == 1
    assert (
        result.stderr
        == "error: the requestor app did not start: the app exited before it was SERVING\n"
    )


def test_without_the_node_extra_run_says_which_extra_in_one_line(
    input_file: Path, tmp_path: Path
) -> None:
    """As after a plain `pip install tutorial-app`: no cryptography, no rich."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import sys\nsys.modules['cryptography'] = None\nsys.modules['rich'] = None\n"
    )
    extra = {"PYTHONPATH": str(site)}
    out = tmp_path / "out"
    refused = tutorial_app("run", input_file, "--out", out, extra_env=extra)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert "pip install 'tutorial-app[node]'" in refused.stderr and "--no-tls" in refused.stderr
    generic = golem_task_api("run", "--app", "python -m tutorial_app.entrypoint",
                             "--input", input_file, "--out", out, extra_env=extra)  # fmt: skip
    assert generic.returncode == 2 and "pip install 'golem-task-api[node]'" in generic.stderr
    plain = tutorial_app(
        "run", input_file, "--difficulty", "6", "--subtasks", "2", "--out", out, "--no-tls",
        extra_env=extra,
    )  # fmt: skip
    assert plain.returncode == 0, plain.stderr
    assert "verified 2/2" in plain.stderr
    for command in (("check", out), ("status", tmp_path)):
        assert "ModuleNotFoundError" not in tutorial_app(*command, extra_env=extra).stderr

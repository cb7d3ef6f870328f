"""`tutorial-app check DIR`: re-verify every proof in an `--out` from its files alone.

For each manifest in DIR (`<task id>.manifest.jsonl`, written by `run`):
the input copy must match the digest on the task line; every result file
must match its digest; its proof (only the nonce is taken from it; the hash
is recomputed with the reference definition in `tutorial_app.search.pow`) must
hold for the text plus the part's salt at the task's difficulty; and no
part may appear twice. Each problem is one line; any makes the exit status 1.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from golem_task_api.node.network import results

from tutorial_app.core import params
from tutorial_app.files import zips
from tutorial_app.search import pow


@dataclass
class TaskCheck:
    task_id: str
    expected: int = 0
    good: int = 0
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"task_id": self.task_id, "subtasks": self.expected, "good": self.good,
                "problems": self.problems}  # fmt: skip


def manifests(out_dir: Path) -> list[Path]:
    return sorted(out_dir.glob(f"*{results.MANIFEST_SUFFIX}"))


def check_manifest(out_dir: Path, manifest: Path) -> TaskCheck:
    check = TaskCheck(manifest.name.removesuffix(results.MANIFEST_SUFFIX))
    try:
        task, lines = results.read_manifest(manifest)
        text, difficulty = _task_input(out_dir, task)
        check.expected = int(task.get("subtasks", 0))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        check.problems.append(f"{manifest.name}: {exc}")
        return check
    seen: dict[str, str] = {}
    for line in lines:
        name = line["file"]
        try:
            part = _check_result(out_dir, line, text, difficulty)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            check.problems.append(f"{name}: {exc}")
            continue
        if part in seen:
            check.problems.append(f"{name}: the same part as {seen[part]}")
            continue
        seen[part] = name
        check.good += 1
    return check


def _task_input(out_dir: Path, task: dict[str, Any]) -> tuple[str, int]:
    difficulty = params.parse_difficulty(task["params"]["difficulty"])
    (described,) = task["inputs"][:1]
    path = out_dir / params.check_file_name(described["file"], "input copy")
    if results.sha256_of(path) != described["sha256"]:
        raise ValueError(f"the input copy {path.name} does not match its sha256")
    return path.read_bytes().decode("utf-8"), difficulty


def _check_result(out_dir: Path, line: dict[str, Any], text: str, difficulty: int) -> str:
    """Raise ValueError unless the result holds; return what identifies its part."""
    path = out_dir / params.check_file_name(line["file"], "result file")
    if results.sha256_of(path) != line["sha256"]:
        raise ValueError("the file does not match its sha256 in the manifest")
    proof = pow.parse_result(zips.read_text_member(path, zips.MAX_RESULT_BYTES, "result"))
    if "salt" in line:
        part_input, part = text + str(line["salt"]), "salt:" + str(line["salt"])
    elif "part_input" in line:
        part_input = str(line["part_input"])
        part = "input:" + part_input
    else:
        raise ValueError("the manifest gives neither the salt nor the part's input")
    if line.get("difficulty", difficulty) != difficulty:
        raise ValueError(f"difficulty {line.get('difficulty')} is not the task's {difficulty}")
    if line.get("nonce") != proof.nonce:
        raise ValueError(f"the manifest's nonce {line.get('nonce')} is not the file's")
    pow.check_proof(part_input, difficulty, proof)
    return part


def check_dir(out_dir: Path) -> list[TaskCheck]:
    return [check_manifest(out_dir, manifest) for manifest in manifests(out_dir)]


def report_lines(checks: list[TaskCheck]) -> list[str]:
    lines: list[str] = []
    for check in checks:
        lines.extend(f"bad: {problem}" for problem in check.problems)
        state = "all good" if not check.problems else f"{len(check.problems)} bad"
        missing = check.expected - check.good
        more = f"; {missing} not there yet (task not finished)" if missing > 0 else ""
        lines.append(f"task {check.task_id}: {check.good}/{check.expected} proofs good, "
                     f"{state}{more}")  # fmt: skip
    return lines


def as_json(checks: list[TaskCheck]) -> str:
    return json.dumps({"ok": all(not c.problems for c in checks),
                       "tasks": [c.to_json() for c in checks]})  # fmt: skip

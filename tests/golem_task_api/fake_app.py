"""A tiny Task API app for the runtime's tests, run as a real process.

Requestor: a task of `parts` parts; each subtask's input file holds its
part's text, its params carry the verdict the test wants for it (from the
task's `verdicts` list, in hand-out order). Provider: upper-cases the text
and writes `<verdict>:<text>` as the result. Params can ask for slow or
failing calls so the tests can exercise shutdown and error paths.
"""

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from golem_task_api import AppLifecycleHandler, ProviderAppHandler, RequestorAppHandler, envs
from golem_task_api.app import command_line, entrypoint
from golem_task_api.app.threading import Executor
from golem_task_api.wire.dirutils import ProviderTaskDir, RequestorTaskDir
from golem_task_api.wire.enums import VerifyResult
from golem_task_api.wire.structs import Infrastructure, Subtask, Task


def _fail_if_asked(params: dict[str, Any]) -> None:
    fail = params.get("fail")
    if fail == "value":
        raise ValueError(f"bad value: {params.get('message', 'żółw ✓')}")
    if fail == "runtime":
        raise RuntimeError(f"boom: {params.get('message', 'żółw ✓')}")


def _load(task_dir: Path) -> dict[str, Any]:
    state: dict[str, Any] = json.loads((task_dir / "state.json").read_text())
    return state


def _save(task_dir: Path, state: dict[str, Any]) -> None:
    (task_dir / "state.json").write_text(json.dumps(state))


class FakeRequestor(RequestorAppHandler):
    async def create_task(
        self, task_work_dir: RequestorTaskDir, max_subtasks_count: int, task_params: dict[str, Any]
    ) -> Task:
        _fail_if_asked(task_params)
        parts = int(task_params.get("parts", max_subtasks_count))
        state = {
            "params": task_params,
            "max_subtasks_count": max_subtasks_count,
            "pending": list(range(parts)),
            "assigned": {},
            "handed_out": 0,
            "inputs": sorted(p.name for p in task_work_dir.task_inputs_dir.iterdir()),
        }
        _save(task_work_dir, state)
        return Task(
            env_id=envs.DOCKER_CPU_ENV_ID,
            prerequisites={"image": "fake/app", "tag": "1.0 ✓"},
            inf_requirements=Infrastructure(min_memory_mib=float(task_params.get("memory", 0))),
        )

    async def next_subtask(
        self, task_work_dir: RequestorTaskDir, subtask_id: str, opaque_node_id: str
    ) -> Subtask | None:
        state = _load(task_work_dir)
        _fail_if_asked(state["params"].get("next_subtask", {}))
        if not state["pending"]:
            return None
        part = state["pending"].pop(0)
        verdicts = state["params"].get("verdicts", [])
        index = state["handed_out"]
        verdict = verdicts[index] if index < len(verdicts) else "SUCCESS"
        state["handed_out"] = index + 1
        state["assigned"][subtask_id] = part
        _save(task_work_dir, state)
        name = f"part-{part}.txt"
        text = f"part {part} for {opaque_node_id or 'anyone'}: żółw"
        (task_work_dir.subtask_inputs_dir / name).write_text(text, encoding="utf-8")
        params = {"part": part, "verdict": verdict, "input": name, "unicode": "żółw ✓ 🐢"}
        return Subtask(params=params, resources=[name])

    async def verify(
        self, task_work_dir: RequestorTaskDir, subtask_id: str
    ) -> tuple[VerifyResult, str | None]:
        state = _load(task_work_dir)
        part = state["assigned"].pop(subtask_id)
        outputs = task_work_dir.subtask_outputs_dir(subtask_id)
        (result_file,) = outputs.iterdir()
        verdict_name, _, text = result_file.read_text(encoding="utf-8").partition(":")
        verdict = VerifyResult[verdict_name]
        if verdict is VerifyResult.SUCCESS:
            result_file.replace(task_work_dir.task_outputs_dir / result_file.name)
        else:
            state["pending"].append(part)
        _save(task_work_dir, state)
        return verdict, f"{verdict_name.lower()} for part {part}: {text} — ok?"

    async def discard_subtasks(
        self, task_work_dir: RequestorTaskDir, subtask_ids: list[str]
    ) -> list[str]:
        return [subtask_id for subtask_id in subtask_ids if not subtask_id.startswith("keep")]

    async def run_benchmark(self, work_dir: Path) -> float:
        return 123.5

    async def has_pending_subtasks(self, task_work_dir: RequestorTaskDir) -> bool:
        return bool(_load(task_work_dir)["pending"])

    async def abort_task(self, task_work_dir: RequestorTaskDir) -> None:
        (task_work_dir / "aborted").write_text("task")

    async def abort_subtask(self, task_work_dir: RequestorTaskDir, subtask_id: str) -> None:
        (task_work_dir / f"aborted-{subtask_id}").write_text("subtask")


def _slow_compute(seconds: float) -> str:
    # Cooperative: returns as soon as a Shutdown (or signal) is requested.
    interrupted = Executor.wait_for_shutdown(seconds)
    return "interrupted" if interrupted else "finished"


class FakeProvider(ProviderAppHandler):
    async def compute(
        self, task_work_dir: ProviderTaskDir, subtask_id: str, subtask_params: dict[str, Any]
    ) -> Path:
        _fail_if_asked(subtask_params)
        if "sleep" in subtask_params:
            outcome = await Executor.run(_slow_compute, float(subtask_params["sleep"]))
            (task_work_dir / "outcome.txt").write_text(outcome)
        if "block" in subtask_params:
            # Not cooperative: the process must still exit promptly on Shutdown.
            await Executor.run(time.sleep, float(subtask_params["block"]))
        text = (task_work_dir.subtask_inputs_dir / subtask_params["input"]).read_text("utf-8")
        name = f"result-{subtask_id}.txt"
        verdict = subtask_params.get("verdict", "SUCCESS")
        (task_work_dir / name).write_text(f"{verdict}:{text.upper()}", encoding="utf-8")
        return Path(name)

    async def run_benchmark(self, work_dir: Path) -> float:
        return 42.25


class RecordingLifecycle(AppLifecycleHandler):
    """Leaves a trace of each hook in the work dir for the tests to check."""

    def __init__(self, work_dir: Path) -> None:
        super().__init__()
        self.work_dir = work_dir

    def _record(self, hook: str) -> None:
        with (self.work_dir / "lifecycle.log").open("a") as log:
            log.write(hook + "\n")

    async def on_before_startup(self) -> None:
        self._record("before_startup")

    async def on_after_startup(self) -> None:
        self._record("after_startup")

    async def on_before_shutdown(self) -> None:
        self._record("before_shutdown")

    async def on_after_shutdown(self) -> None:
        self._record("after_shutdown")


def run(argv: list[str]) -> None:
    work_dir, rest = command_line.split_work_dir(argv, Path.cwd())
    asyncio.run(
        entrypoint.main(
            work_dir,
            rest,
            requestor_handler=FakeRequestor(),
            provider_handler=FakeProvider(),
            lifecycle_handler=RecordingLifecycle(work_dir),
        )
    )


if __name__ == "__main__":
    run(sys.argv[1:])

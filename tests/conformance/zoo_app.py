"""A small Task API app, healthy or broken on purpose.

    python zoo_app.py FLAW {requestor|provider} PORT --work-dir DIR


The task: hash the words of an input file, one part per subtask. The
requestor keeps each task's state in `zoo-state.json` (replaced whole); a
provider writes `out/<subtask_id>.txt` holding the SHA-256 of its part.
FLAW `none` is the healthy app; every other flaw is one defect a node
suffers from (`FLAWS`), each meant to be caught by exactly one check.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import ssl
import sys
import threading
import time
from pathlib import Path
from typing import Any

from golem_task_api.app import command_line, entrypoint
from golem_task_api.app.handlers import ProviderAppHandler, RequestorAppHandler
from golem_task_api.envs import DOCKER_CPU_ENV_ID
from golem_task_api.wire import tls
from golem_task_api.wire.dirutils import ProviderTaskDir, RequestorTaskDir
from golem_task_api.wire.enums import VerifyResult
from golem_task_api.wire.errors import InvalidArgument, NotFound
from golem_task_api.wire.structs import Infrastructure, Subtask, Task

FLAWS = {
    "none": "the healthy app",
    "slow-start": "is not SERVING within 5 s",
    "tls-plaintext": "serves plaintext even when the TLS files are there",
    "tls-no-client-cert": "serves TLS without requiring a client certificate",
    "bad-env": "names an environment no node has",
    "accepts-garbage": "verifies any result as SUCCESS",
    "discard-invents": "DiscardSubtasks returns ids it was not asked for",
    "abort-loses-work": "AbortSubtask drops the subtask's work",
    "pending-never-settles": "HasPendingSubtasks is always true",
    "internal-on-unknown-ids": "answers unknown ids with INTERNAL",
    "internal-on-bad-params": "crashes on a bad parameter with INTERNAL",
    "forgets-state": "keeps task state in memory only",
    "absolute-path": "Compute returns an absolute path (/golem/work/...)",
    "escaping-path": "Compute returns a path that leaves the work dir",
    "stays-alive": "the provider does not exit after its call",
    "loses-last-reply": "exits before its last reply is read",
    "ignores-shutdown": "Compute goes on after Shutdown",
    "negative-benchmark": "RunBenchmark gives a negative score",
    "writes-outside": "writes into its current directory",
}
FLAW = "none"
_MEMORY: dict[str, dict[str, Any]] = {}


def has(flaw: str) -> bool:
    return flaw == FLAW


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _load(task_dir: Path) -> dict[str, Any]:
    if has("forgets-state"):
        state = _MEMORY.get(str(task_dir))
    else:
        path = task_dir / "zoo-state.json"
        state = json.loads(path.read_text()) if path.exists() else None
    if state is None:
        if has("internal-on-unknown-ids"):
            raise RuntimeError(f"no state in {task_dir}")
        raise NotFound(f"no task {task_dir.name}")
    return state


def _save(task_dir: Path, state: dict[str, Any]) -> None:
    if has("forgets-state"):
        _MEMORY[str(task_dir)] = state
        return
    temp = task_dir / "zoo-state.json.tmp"
    with temp.open("w") as file:
        json.dump(state, file)
        file.flush()
        os.fsync(file.fileno())
    temp.replace(task_dir / "zoo-state.json")


def _pending(state: dict[str, Any]) -> list[int]:
    busy = {s["part"] for s in state["subtasks"].values() if s["status"] in ("out", "done")}
    return [i for i in range(len(state["parts"])) if i not in busy]


class Requestor(RequestorAppHandler):
    async def create_task(
        self, task_work_dir: RequestorTaskDir, max_subtasks_count: int, task_params: dict[str, Any]
    ) -> Task:
        salt = task_params.get("salt", "")
        if not isinstance(salt, str):
            if has("internal-on-bad-params"):
                raise TypeError("salt.encode")  # as if it went on and broke
            raise InvalidArgument("'salt' must be a string")
        names = task_params.get("resources") or []
        words = " ".join((task_work_dir.task_inputs_dir / n).read_text() for n in names).split()
        parts = [salt + " ".join(words[i::max_subtasks_count]) for i in range(max_subtasks_count)]
        if has("writes-outside"):
            Path("zoo-cache.txt").write_text("\n".join(parts))
        _save(task_work_dir, {"parts": parts, "subtasks": {}})
        env = "zoo_env" if has("bad-env") else DOCKER_CPU_ENV_ID
        return Task(env, {"image": "golemfactoryapps/zoo", "tag": "1.0"}, Infrastructure(64.0))

    async def next_subtask(
        self, task_work_dir: RequestorTaskDir, subtask_id: str, opaque_node_id: str
    ) -> Subtask | None:
        state = _load(task_work_dir)
        pending = _pending(state)
        if not pending:
            return None
        part = pending[0]
        name = f"{subtask_id}.txt"
        (task_work_dir.subtask_inputs_dir / name).write_text(state["parts"][part])
        state["subtasks"][subtask_id] = {"part": part, "status": "out"}
        _save(task_work_dir, state)
        return Subtask(params={"input": name}, resources=[name])

    async def verify(
        self, task_work_dir: RequestorTaskDir, subtask_id: str
    ) -> tuple[VerifyResult, str | None]:
        state = _load(task_work_dir)
        subtask = state["subtasks"].get(subtask_id)
        if subtask is None:
            if has("internal-on-unknown-ids"):
                raise KeyError(subtask_id)
            raise NotFound(f"no subtask {subtask_id}")
        results = list(task_work_dir.subtask_outputs_dir(subtask_id).glob("*"))
        got = results[0].read_text(errors="replace").strip() if len(results) == 1 else ""
        good = got == _digest(state["parts"][subtask["part"]]) or has("accepts-garbage")
        subtask["status"] = "done" if good else "failed"
        _save(task_work_dir, state)
        return (VerifyResult.SUCCESS, None) if good else (VerifyResult.FAILURE, "wrong digest")

    async def discard_subtasks(
        self, task_work_dir: RequestorTaskDir, subtask_ids: list[str]
    ) -> list[str]:
        state = _load(task_work_dir)
        dropped = [sid for sid in subtask_ids if sid in state["subtasks"]]
        for sid in dropped:
            state["subtasks"][sid]["status"] = "discarded"
        _save(task_work_dir, state)
        return [*dropped, "invented-id"] if has("discard-invents") else dropped

    async def run_benchmark(self, work_dir: Path) -> float:
        return 1.0

    async def has_pending_subtasks(self, task_work_dir: RequestorTaskDir) -> bool:
        return has("pending-never-settles") or bool(_pending(_load(task_work_dir)))

    async def abort_task(self, task_work_dir: RequestorTaskDir) -> None:
        state = _load(task_work_dir)
        state["parts"] = []
        _save(task_work_dir, state)

    async def abort_subtask(self, task_work_dir: RequestorTaskDir, subtask_id: str) -> None:
        state = _load(task_work_dir)
        if subtask_id not in state["subtasks"]:
            raise NotFound(f"no subtask {subtask_id}")
        state["subtasks"][subtask_id]["status"] = "done" if has("abort-loses-work") else "aborted"
        _save(task_work_dir, state)


class Provider(ProviderAppHandler):
    async def compute(
        self, task_work_dir: ProviderTaskDir, subtask_id: str, subtask_params: dict[str, Any]
    ) -> Path:
        text = (task_work_dir.subtask_inputs_dir / subtask_params["input"]).read_text()
        if has("ignores-shutdown"):
            await asyncio.to_thread(time.sleep, 20)  # no way to cut it short
        if has("stays-alive"):
            threading.Thread(target=time.sleep, args=(30,)).start()
        relative = Path("out") / f"{subtask_id}.txt"
        if has("escaping-path"):
            relative = Path("..") / f"{subtask_id}.txt"
        result = task_work_dir / relative
        result.parent.mkdir(exist_ok=True)
        result.write_text(_digest(text))
        self._last_reply()
        # The runtime makes an absolute path inside the task dir relative; one
        # spelled with the container's mount point (wrong outside it) stays absolute.
        return Path("/golem/work") / relative if has("absolute-path") else relative

    async def run_benchmark(self, work_dir: Path) -> float:
        self._last_reply()
        return -1.0 if has("negative-benchmark") else 10.0

    def _last_reply(self) -> None:
        if has("loses-last-reply"):  # gone the moment the reply is queued
            asyncio.get_running_loop().call_soon(os._exit, 0)


def _no_client_cert(work_dir: Path) -> ssl.SSLContext | None:
    if not tls.tls_enabled(work_dir):
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(work_dir / tls.SERVER_CERT, work_dir / tls.SERVER_KEY)
    return context


def main() -> None:
    global FLAW
    FLAW, argv = sys.argv[1], sys.argv[2:]
    if FLAW not in FLAWS:
        raise SystemExit(f"unknown flaw {FLAW!r}; one of {sorted(FLAWS)}")
    if has("slow-start"):
        time.sleep(6)
    if has("tls-plaintext"):
        tls.server_context = lambda work_dir: None  # type: ignore[assignment]
    if has("tls-no-client-cert"):
        tls.server_context = _no_client_cert  # type: ignore[assignment]
    work_dir, rest = command_line.split_work_dir(argv, Path("/golem/work"))
    asyncio.run(entrypoint.main(work_dir, rest, Requestor(), provider_handler=Provider()))


if __name__ == "__main__":
    main()

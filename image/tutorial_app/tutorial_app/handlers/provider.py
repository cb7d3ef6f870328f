"""The provider's Task API handler: find a proof for one subtask.

The input zip comes from a stranger's requestor, so it gets the same
checks as a result zip (`tutorial_app.files.zips`: bounded whatever it claims).
The search runs in a worker thread polling `Executor.is_shutting_down`,
so a `Shutdown` stops it within milliseconds.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from golem_task_api.app.handlers import ProviderAppHandler
from golem_task_api.app.threading import Executor
from golem_task_api.wire import forking
from golem_task_api.wire.dirutils import ProviderTaskDir

from tutorial_app.core import params
from tutorial_app.files import zips
from tutorial_app.handlers import benchmark
from tutorial_app.search import pow, search
from tutorial_app.store import store

logger = logging.getLogger(__name__)

# Providers forked from one parent inherit its measured choice of search path.
forking.before_forking(search.choose_path)


class ComputeInterrupted(RuntimeError):
    """The search stopped before finding a proof (shutdown); there is no result."""


class ProviderHandler(ProviderAppHandler):
    async def compute(
        self, task_work_dir: ProviderTaskDir, subtask_id: str, subtask_params: dict[str, Any]
    ) -> Path:
        params.check_subtask_id(subtask_id)
        subtask = params.parse_subtask_params(subtask_params)
        source = params.resolve_inside(
            task_work_dir.subtask_inputs_dir, subtask.resource, "subtask resource"
        )
        result = Path(zips.subtask_zip_name(subtask_id))
        # One worker thread for the whole job: reading the input, the search
        # and writing the result each block, and a thread apiece cost more
        # than the search itself at low difficulty.
        proof = await Executor.run(
            _compute, source, subtask_id, subtask.difficulty, task_work_dir / result
        )
        logger.info("subtask %s: nonce %d", subtask_id, proof.nonce)
        return result

    async def run_benchmark(self, work_dir: Path) -> float:
        return await benchmark.run_benchmark()


def _compute(source: Path, subtask_id: str, difficulty: int, result: Path) -> pow.Proof:
    """In the worker thread: read the input, find the proof, write the result zip."""
    # One member under any safe name (the original app names it after the subtask).
    input_data = zips.read_text_member(source, zips.MAX_PART_INPUT_BYTES, "input")
    logger.info("searching subtask %s at difficulty %d", subtask_id, difficulty)
    proof = search.find_proof(input_data, difficulty, Executor.is_shutting_down)
    if proof is None:
        raise ComputeInterrupted(f"the search for subtask {subtask_id} was interrupted")
    store.write_atomic(result, zips.result_zip_bytes(proof.to_line()))
    return proof

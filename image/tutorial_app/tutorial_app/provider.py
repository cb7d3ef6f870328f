"""The provider's Task API handler: find a proof for one subtask.

The input zip comes from a stranger's requestor, so it gets the same
checks as a result zip (`tutorial_app.zips`: bounded whatever it claims).
The search runs in a worker thread polling `Executor.is_shutting_down`,
so a `Shutdown` stops it within milliseconds.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from golem_task_api.dirutils import ProviderTaskDir
from golem_task_api.handlers import ProviderAppHandler
from golem_task_api.threading import Executor

from tutorial_app import benchmark, params, search, store, zips

logger = logging.getLogger(__name__)


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
        # One member under any safe name (the original app names it after the subtask).
        input_data = await asyncio.to_thread(
            zips.read_text_member, source, zips.MAX_PART_INPUT_BYTES, "input"
        )
        logger.info("searching subtask %s at difficulty %d", subtask_id, subtask.difficulty)
        proof = await Executor.run(
            search.find_proof, input_data, subtask.difficulty, Executor.is_shutting_down
        )
        if proof is None:
            raise ComputeInterrupted(f"the search for subtask {subtask_id} was interrupted")
        result = Path(zips.subtask_zip_name(subtask_id))
        data = zips.result_zip_bytes(proof.to_line())
        await asyncio.to_thread(store.write_atomic, task_work_dir / result, data)
        logger.info("subtask %s: nonce %d", subtask_id, proof.nonce)
        return result

    async def run_benchmark(self, work_dir: Path) -> float:
        return await benchmark.run_benchmark()

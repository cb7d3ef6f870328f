"""Carrying on with an interrupted task: settle what its last run left open.

A subtask the ledger shows as started or delivered, but never settled, had
a provider that is gone. If the app has its result in `task_outputs` (it
verified it just before the stop), the result is published; otherwise the
subtask is aborted (`AbortSubtask`) and its work goes back to pending.
"""

from __future__ import annotations

import asyncio
import logging

import grpc

from golem_task_api.node.client import RequestorAppClient
from golem_task_api.node.network import apps
from golem_task_api.node.network.report import Observer
from golem_task_api.node.network.results import OutDir
from golem_task_api.node.network.workroot import Ledger, SubtaskState
from golem_task_api.wire.dirutils import RequestorTaskDir

logger = logging.getLogger(__name__)


async def settle_leftovers(
    requestor: RequestorAppClient,
    task_id: str,
    task_dir: RequestorTaskDir,
    ledger: Ledger,
    out: OutDir | None,
    observer: Observer,
) -> None:
    aborted = 0
    already = out.published() if out is not None else {}
    for sid, entry in ledger.unsettled().items():
        try:
            await requestor.abort_subtask(task_id, sid)
        except grpc.aio.AioRpcError as exc:  # not active any more: verified or failed
            logger.info("%s: AbortSubtask refused (%s)", sid, apps.describe(exc))
            kept = task_dir.task_outputs_dir / entry.result if entry.result else None
            if sid in already:  # published just before the stop, before the ledger heard
                ledger.write(sid, SubtaskState.VERIFIED, work=entry.work, published=already[sid])
            elif kept is not None and kept.is_file():
                published = ""
                if out is not None:
                    target = await asyncio.to_thread(out.publish, kept, sid, entry.details)
                    published = target.name
                ledger.write(sid, SubtaskState.VERIFIED, work=entry.work, published=published)
            else:
                ledger.write(sid, SubtaskState.FAILED)
            continue
        ledger.write(sid, SubtaskState.ABORTED)
        aborted += 1
    if aborted:
        observer.message(f"{aborted} subtask(s) lost their providers: aborted, handed out again")

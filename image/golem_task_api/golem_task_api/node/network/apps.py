"""Starting and stopping the app processes of the local network.

The requestor is long-lived; each provider answers one `Compute` and then
stops itself, as on Golem. Whatever happens (a crash, a timeout, Ctrl-C),
every app started here is stopped before its coroutine returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc

from golem_task_api.node.client import ProviderAppClient, RequestorAppClient
from golem_task_api.node.failures import NodeFailure
from golem_task_api.node.ports import free_port
from golem_task_api.node.services import TaskApiService

if TYPE_CHECKING:
    from golem_task_api.node.certs import TlsMaterial

logger = logging.getLogger(__name__)


class ProviderCrashed(NodeFailure):
    """The provider process died before it answered."""


class AppStartError(NodeFailure):
    """An app process did not come up (exited, or never reported SERVING)."""


def describe(exc: BaseException) -> str:
    """One line for a failure, as the progress display and `--json` show it."""
    if isinstance(exc, grpc.aio.AioRpcError):
        return f"{exc.code().name}: {exc.details()}"
    if isinstance(exc, NodeFailure):
        return exc.reason
    if isinstance(exc, TimeoutError):
        return str(exc) or "timed out"
    return str(exc) or type(exc).__name__


_tls_material: TlsMaterial | None = None
_tls_lock = threading.Lock()


def write_tls(work_dir: Path) -> None:
    """The node's throwaway certificates into one app's work dir (both sides read them).

    The material is made once per node process (keys take milliseconds, and a
    local run starts an app per subtask) and written into every work dir.
    """
    global _tls_material
    # Imported here: `cryptography` is only needed when TLS is on.
    from golem_task_api.node.certs import TlsMaterial

    with _tls_lock:
        if _tls_material is None:
            _tls_material = TlsMaterial.generate()
        material = _tls_material
    material.write(work_dir)


async def start_requestor(service: TaskApiService) -> RequestorAppClient:
    try:
        return await RequestorAppClient.create(service, free_port())
    except (TimeoutError, OSError) as exc:
        await stop_quietly(service)
        raise AppStartError(f"the requestor app did not start: {describe(exc)}") from exc
    except BaseException:
        await stop_quietly(service)
        raise


async def compute_once(
    service: TaskApiService, task_id: str, subtask_id: str, params: dict[str, Any]
) -> Path:
    """Start a provider in `service`, run one `Compute`, make sure it goes."""
    client = await start_provider(service)
    return await compute_with(client, service, task_id, subtask_id, params)


async def start_provider(service: TaskApiService) -> ProviderAppClient:
    """A provider started in `service`, ready for its one `Compute`."""
    try:
        return await ProviderAppClient.create(service, free_port())
    except (TimeoutError, OSError) as exc:
        raise AppStartError(f"the provider app did not start: {describe(exc)}") from exc


async def compute_with(
    client: ProviderAppClient,
    service: TaskApiService,
    task_id: str,
    subtask_id: str,
    params: dict[str, Any],
) -> Path:
    """Run the started provider's one `Compute`; make sure it goes, whatever happens.

    After a good reply the provider's exit is awaited in the background (see
    `reap_providers`), so the node can hand out the next subtask meanwhile.
    """
    reaping = False
    try:
        try:
            output = await client.compute(task_id, subtask_id, params)
            await client.close()  # the provider may stop as soon as we have the reply
            reaping = _reap_later(client, service)
            return output
        except grpc.aio.AioRpcError as exc:
            with contextlib.suppress(TimeoutError):
                await service.wait_until_shutdown_complete(timeout=0.5)
            if service.running():
                raise
            raise ProviderCrashed(f"the provider exited during Compute ({describe(exc)})") from exc
    except asyncio.CancelledError:
        await shutdown_quietly(client, service)  # interrupted: no waiting
        raise
    finally:
        if not reaping:
            await _let_it_exit(client, service)


async def _let_it_exit(client: ProviderAppClient | None, service: TaskApiService) -> None:
    if service.running():  # it stops itself after answering; give it a moment
        with contextlib.suppress(Exception):
            await service.wait_until_shutdown_complete(timeout=2.0)
    await shutdown_quietly(client, service)  # also closes the channel


#: Providers that answered and are still exiting, awaited in the background.
_exiting: set[asyncio.Task[None]] = set()


def _reap_later(client: ProviderAppClient, service: TaskApiService) -> bool:
    task = asyncio.get_running_loop().create_task(_let_it_exit(client, service))
    _exiting.add(task)
    task.add_done_callback(_exiting.discard)
    return True


async def reap_providers() -> None:
    """Wait until every provider that answered on this loop is gone (bounded)."""
    loop = asyncio.get_running_loop()
    pending = [task for task in _exiting if task.get_loop() is loop]
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)


async def shutdown_quietly(
    client: RequestorAppClient | ProviderAppClient | None, service: TaskApiService
) -> None:
    """A polite `Shutdown`, then make sure; never raises (it runs in cleanup).

    The requestor goes last: the providers still exiting are awaited first.
    """
    try:
        if isinstance(client, RequestorAppClient):
            await reap_providers()
    finally:
        try:
            if client is not None:
                await client.shutdown(timeout=3.0)
        except Exception as exc:
            logger.debug("polite shutdown failed: %s", exc)
        await stop_quietly(service)


async def stop_quietly(service: TaskApiService) -> None:
    try:
        if service.running():
            await service.stop()
    except Exception as exc:
        logger.warning("could not stop an app process: %s", exc)

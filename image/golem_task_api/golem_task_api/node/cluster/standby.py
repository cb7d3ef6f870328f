"""Providers started ahead on each worker, as `network.standby` does on the node.

Starting a provider (its fresh dir and TLS files, a fork from the fork server,
its gRPC server) is most of what a cluster adds to a short subtask. A
`WorkerStandby` plugin, registered by the node for one run, lives in every
worker process: it checks once that the worker can start the app, keeps the
run's fork server, and keeps one provider per worker thread started, each in
its own fresh dir (in memory where a tmpfs has room, like a local run's) and
on the worker's loopback, so an arriving attempt only writes its inputs and
calls `Compute`. Each provider still serves exactly one
attempt. When the run ends (the node unregisters the plugin) or the worker
closes, the providers not used are stopped, their dirs removed and the fork
server stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distributed import WorkerPlugin

from golem_task_api.node.client import ProviderAppClient
from golem_task_api.node.cluster import runtime as runtimes
from golem_task_api.node.network import apps, scratch
from golem_task_api.node.network.standby import Started, discard
from golem_task_api.node.services import TaskApiService
from golem_task_api.wire.dirutils import ProviderTaskDir

if TYPE_CHECKING:
    from distributed import Worker

    from golem_task_api.node.cluster.runtime import Runtime


class WorkerStandby(WorkerPlugin):
    """One run's providers started ahead on one worker (see the module's docstring)."""

    def __init__(self, name: str, runtime: Runtime) -> None:
        self.name = name
        self.runtime = runtime

    # Pickled to every worker: only the name and the runtime travel.
    def __getstate__(self) -> dict[str, Any]:
        return {"name": self.name, "runtime": self.runtime}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["name"], state["runtime"])  # type: ignore[misc]

    async def setup(self, worker: Worker) -> None:
        # In memory where there is a tmpfs with room, as a local run's (`network.scratch`).
        self.dirs = scratch.provider_dirs(
            Path(worker.local_directory), in_memory=True, label=str(worker.name)
        )
        self.base = self.dirs.root
        self.ahead = max(1, int(worker.state.nthreads))
        self.make_service: Callable[[Path], TaskApiService] | None = None
        self._ready: deque[Started] = deque()
        self._closed = False
        # Checked (and the first providers started) off the worker's registration.
        self._checked = asyncio.ensure_future(asyncio.to_thread(runtimes.check_app, self.runtime))
        self._checked.add_done_callback(lambda _: self._fill())

    async def take(self) -> Started:
        """A provider started ahead (or now), used by one attempt; its place refilled.

        `runtime.AppMissing` if this worker cannot start the app.
        """
        await asyncio.shield(self._checked)  # raises AppMissing on every attempt
        started = self._ready.popleft() if self._ready else self._start()
        self._fill()
        return started

    def _fill(self) -> None:
        if self._closed or not self._checked.done() or self._checked.exception() is not None:
            return
        while len(self._ready) < self.ahead:
            self._ready.append(self._start())

    def _start(self) -> Started:
        if self.make_service is None:
            self.make_service = runtimes.service_factory(self.runtime)
        self.base.mkdir(parents=True, exist_ok=True)
        work_dir = ProviderTaskDir(tempfile.mkdtemp(prefix="ready-", dir=self.base))
        service = self.make_service(work_dir)
        start = asyncio.ensure_future(self._start_app(work_dir, service))
        return Started(work_dir.name, work_dir, service, start)

    async def _start_app(self, work_dir: ProviderTaskDir, service: TaskApiService) -> Any:
        def prepare() -> None:
            work_dir.prepare()
            if self.runtime.tls:
                apps.write_tls(work_dir)

        # Finished even if cancelled: the dir is removed only after this thread is done.
        write = asyncio.ensure_future(asyncio.to_thread(prepare))
        try:
            await asyncio.shield(write)
        except asyncio.CancelledError:
            await asyncio.gather(write, return_exceptions=True)
            raise
        client: ProviderAppClient = await apps.start_provider(service)
        return client

    async def teardown(self, worker: Worker) -> None:
        """Stop the providers nobody used, remove their dirs, stop the fork server."""
        self._closed = True
        unused = list(self._ready)
        self._ready.clear()
        for started in unused:
            await release(started)
        aclose = getattr(self.make_service, "aclose", None)
        if aclose is not None:
            with contextlib.suppress(Exception):
                await aclose()
        await asyncio.to_thread(self.dirs.remove)


async def release(started: Started) -> None:
    """Stop a provider that will not compute (never raises) and remove its dir."""
    await discard(started)
    await asyncio.to_thread(shutil.rmtree, started.work_dir, ignore_errors=True)


async def standby_on(worker: Worker, name: str, runtime: Runtime) -> WorkerStandby:
    """The run's plugin on this worker; added here if the node's did not arrive."""
    plugin = worker.plugins.get(name)
    if not isinstance(plugin, WorkerStandby) or plugin.runtime != runtime:
        name = name or f"golem-standby-{hash(runtime):x}"
        plugin = worker.plugins.get(name)
        if not isinstance(plugin, WorkerStandby):
            await worker.plugin_add(WorkerStandby(name, runtime), name=name)
            plugin = worker.plugins[name]
    assert isinstance(plugin, WorkerStandby)
    return plugin

"""Providers started ahead, so a subtask never waits for a provider to come up.

Starting a provider (a process, its server, TLS) takes a few milliseconds
of wall time that, done when the subtask is handed out, every subtask
waits for. The node names subtasks itself, so it can pick the next id,
start that subtask's provider in its own fresh work dir (`<providers>/<id>`,
see `scratch`)
while the current subtasks compute, and hand the subtask out to it once the
requestor gives one. Each provider still serves exactly one subtask; one
that was started but not needed (the task ran out) is stopped and its work
dir removed.
"""

from __future__ import annotations

import asyncio
import shutil
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from golem_task_api.node.client import ProviderAppClient
from golem_task_api.node.network import apps
from golem_task_api.node.services import TaskApiService
from golem_task_api.wire.dirutils import ProviderTaskDir


@dataclass
class Started:
    """A provider for subtask `subtask_id`: its work dir, its service, its start."""

    subtask_id: str
    work_dir: ProviderTaskDir
    service: TaskApiService
    start: asyncio.Task[ProviderAppClient]

    async def client(self) -> ProviderAppClient:
        """The ready client (`apps.AppStartError` if the provider did not come up)."""
        return await asyncio.shield(self.start)


class Standby:
    """Up to `ahead` providers started before their subtasks are handed out."""

    def __init__(
        self,
        providers: Path,
        make_service: Callable[[Path], TaskApiService],
        tls: bool,
        ahead: int,
        new_id: Callable[[], str],
    ) -> None:
        self.providers = providers
        self.make_service = make_service
        self.tls = tls
        self.ahead = ahead
        self.new_id = new_id
        self._ready: deque[Started] = deque()
        self._taken: dict[str, Started] = {}

    def next_id(self) -> str:
        """The id of the next subtask to hand out: that of the oldest provider started ahead."""
        if not self._ready:
            self._ready.append(self._start(self.new_id()))
        started = self._ready.popleft()
        self._taken[started.subtask_id] = started
        return started.subtask_id

    def keep_ahead(self, needed: int) -> None:
        """Start providers until `ahead` of them (at most `needed`) wait for a subtask."""
        while len(self._ready) < min(self.ahead, needed):
            self._ready.append(self._start(self.new_id()))

    def take(self, subtask_id: str) -> Started:
        """The provider started for `subtask_id` (by `next_id`)."""
        return self._taken.pop(subtask_id)

    async def drop(self, subtask_id: str) -> None:
        """`next_id`'s subtask was not handed out: stop its provider now."""
        started = self._taken.pop(subtask_id, None)
        if started is not None:
            await self._close([started])

    def _start(self, subtask_id: str) -> Started:
        work_dir = ProviderTaskDir(self.providers / subtask_id)
        service = self.make_service(work_dir)
        start = asyncio.create_task(self._start_app(work_dir, service))
        return Started(subtask_id, work_dir, service, start)

    async def _start_app(self, work_dir: Path, service: TaskApiService) -> ProviderAppClient:
        """Make the work dir and start the app; a failure is the attempt's to report."""
        work_dir.mkdir(parents=True, exist_ok=True)
        if self.tls:
            # Finished even if we are cancelled meanwhile: whoever then removes the
            # dir must not race a thread still writing keys into it.
            write = asyncio.ensure_future(asyncio.to_thread(apps.write_tls, work_dir))
            try:
                await asyncio.shield(write)
            except asyncio.CancelledError:
                await asyncio.gather(write, return_exceptions=True)
                raise
        return await apps.start_provider(service)

    async def close(self) -> None:
        """Stop every provider started ahead and not handed a subtask; remove its work dir."""
        unused = [*self._ready, *self._taken.values()]
        self._ready.clear()
        self._taken.clear()
        await self._close(unused)

    @staticmethod
    async def _close(unused: list[Started]) -> None:
        for started in unused:
            # A cancelled start stops its app (`create`), and the fork client kills
            # one the fork server forked after the cancel.
            started.start.cancel()
        await asyncio.gather(*(started.start for started in unused), return_exceptions=True)
        for started in unused:
            await discard(started)
            await asyncio.to_thread(shutil.rmtree, started.work_dir, ignore_errors=True)


class NoStandby:
    """`Standby`'s place when providers run elsewhere (`NetworkConfig.remote`): ids only."""

    def __init__(self, new_id: Callable[[], str]) -> None:
        self.next_id = new_id

    def keep_ahead(self, needed: int) -> None:
        pass

    def take(self, subtask_id: str) -> None:
        return None

    async def drop(self, subtask_id: str) -> None:
        pass

    async def close(self) -> None:
        pass


async def discard(started: Started) -> None:
    """Stop a provider that will not get its subtask (never raises)."""
    start = started.start
    if not start.done():
        start.cancel()
        await asyncio.gather(start, return_exceptions=True)
    ready = start.done() and not start.cancelled() and start.exception() is None
    await apps.shutdown_quietly(start.result() if ready else None, started.service)

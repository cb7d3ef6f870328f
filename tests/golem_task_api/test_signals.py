"""SIGTERM and SIGINT reach the loop as a call to `stop`, from any thread, and leave no trace."""

from __future__ import annotations

import asyncio
import os
import signal
import threading

import pytest
from golem_task_api.app.signals import stop_on_signals

#: Only a guard against hanging: the tests wait for events, not for time.
GUARD = 30.0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
async def test_a_signal_calls_stop_on_the_loop(signum: int) -> None:
    stopped = asyncio.Event()
    with stop_on_signals(stopped.set):
        os.kill(os.getpid(), signum)
        await asyncio.wait_for(stopped.wait(), GUARD)


async def test_a_signal_that_lands_on_another_thread_wakes_the_sleeping_loop() -> None:
    """The kernel may hand a process's signal to any thread, such as a provider's search."""
    stopped = asyncio.Event()
    release = threading.Event()
    worker = threading.Thread(target=release.wait, args=(GUARD,))
    worker.start()
    try:
        with stop_on_signals(stopped.set):
            assert worker.ident is not None
            signal.pthread_kill(worker.ident, signal.SIGTERM)
            await asyncio.wait_for(stopped.wait(), GUARD)
    finally:
        release.set()
        worker.join()


async def test_leaving_puts_back_the_handlers_and_the_wakeup_fd() -> None:
    def mine(signum: int, frame: object) -> None:
        pass

    before = signal.signal(signal.SIGTERM, mine)
    before_fd = signal.set_wakeup_fd(-1)
    try:
        int_handler = signal.getsignal(signal.SIGINT)
        with stop_on_signals(lambda: None):
            assert signal.getsignal(signal.SIGTERM) is not mine
        assert signal.getsignal(signal.SIGTERM) is mine
        assert signal.getsignal(signal.SIGINT) is int_handler
        assert signal.set_wakeup_fd(-1) == -1  # ours is gone, the old (none) is back
    finally:
        signal.signal(signal.SIGTERM, before)
        signal.set_wakeup_fd(before_fd)


def test_outside_the_main_thread_it_does_nothing() -> None:
    outcome: list[object] = []

    def serve() -> None:
        async def body() -> None:
            handler = signal.getsignal(signal.SIGTERM)
            with stop_on_signals(lambda: None):
                outcome.append(signal.getsignal(signal.SIGTERM) is handler)

        try:
            asyncio.run(body())
        except BaseException as exc:  # reported below, on the test's thread
            outcome.append(exc)

    thread = threading.Thread(target=serve)
    thread.start()
    thread.join(GUARD)
    assert outcome == [True]


async def test_the_apps_own_loop_signal_handlers_keep_working() -> None:
    """An app may add handlers on the loop before it serves (0.24 apps run their own main)."""
    loop = asyncio.get_running_loop()
    usr1, stopped = asyncio.Event(), asyncio.Event()
    loop.add_signal_handler(signal.SIGUSR1, usr1.set)
    try:
        with stop_on_signals(stopped.set):
            os.kill(os.getpid(), signal.SIGUSR1)
            await asyncio.wait_for(usr1.wait(), GUARD)
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.wait_for(stopped.wait(), GUARD)
        usr1.clear()
        os.kill(os.getpid(), signal.SIGUSR1)  # and after leaving, too
        await asyncio.wait_for(usr1.wait(), GUARD)
    finally:
        loop.remove_signal_handler(signal.SIGUSR1)

"""The journal's fsyncs off the loop: native AIO where it works, the thread otherwise."""

from __future__ import annotations

import asyncio
import errno
import gc
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tutorial_app.store import syncing

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="native AIO is Linux's")


@pytest.fixture
def journal_fd(tmp_path: Path) -> Iterator[int]:
    fd = os.open(tmp_path / "journal", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    yield fd
    os.close(fd)


def aio_contexts_here() -> int:
    """This process's native AIO contexts: each maps its ring as `/[aio]`."""
    return Path("/proc/self/maps").read_text().count("/[aio]")


async def test_this_machine_fsyncs_through_the_kernel(journal_fd: int) -> None:
    """Where caio and the syscalls are there (this project's machines, the image), the
    thread is not used: that is what makes a call's wait short."""
    assert syncing.syncer().name == "kernel"
    os.write(journal_fd, b'{"seq": 1}\n')
    assert await syncing.fsync(journal_fd) is None


async def test_more_fsyncs_than_the_kernel_takes_at_once_all_end(journal_fd: int) -> None:
    os.write(journal_fd, b"x\n")
    count = 3 * syncing.MAX_IN_FLIGHT  # the rest go to the thread
    results = await asyncio.gather(*(syncing.fsync(journal_fd) for _ in range(count)))
    assert results == [None] * count


async def test_a_bad_descriptor_is_an_os_error_either_way() -> None:
    """io_submit refuses it; the thread's fsync then says what is wrong."""
    with pytest.raises(OSError) as raised:
        await syncing.fsync(1_000_000)  # never open here (a closed fd's number is reused)
    assert raised.value.errno == errno.EBADF


async def test_a_failed_completion_carries_its_errno() -> None:
    """The kernel reports an fsync's failure as a negative `res`, which caio hands over
    as an unsigned 64-bit number."""
    kernel = syncing.syncer()
    assert isinstance(kernel, syncing.KernelSyncer)
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    kernel._in_flight += 1  # as if submitted
    kernel._ended(done, (1 << 64) - errno.EIO)
    with pytest.raises(OSError) as raised:
        await done
    assert raised.value.errno == errno.EIO and kernel._in_flight == 0


def test_the_thread_can_be_forced(journal_fd: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(syncing.FORCE_ENV, "thread")
    assert chosen_on_a_new_loop(journal_fd) == "thread"


def test_without_native_aio_the_thread_fsyncs(
    journal_fd: int, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A sandbox that refuses io_setup (seccomp, gVisor), or no AIO slots left."""
    from caio import linux_aio

    def refused(*args: object, **kwargs: object) -> None:
        raise SystemError(os.strerror(errno.ENOSYS))

    monkeypatch.setattr(linux_aio, "Context", refused)
    with caplog.at_level(logging.INFO, logger=syncing.__name__):
        assert chosen_on_a_new_loop(journal_fd) == "thread"
    assert "native AIO is unavailable" in caplog.text


def test_when_caio_cannot_load_linux_aio_the_thread_fsyncs(
    journal_fd: int, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """What caio does where seccomp refuses io_setup (seen in a container run with a
    profile without it): linux_aio's module init probes io_setup and raises ImportError,
    and `caio/__init__` catches it and sets `caio.linux_aio = None`."""
    import caio

    monkeypatch.setattr(caio, "linux_aio", None)
    monkeypatch.setitem(sys.modules, "caio.linux_aio", None)  # importing it raises ImportError
    with caplog.at_level(logging.INFO, logger=syncing.__name__):
        assert chosen_on_a_new_loop(journal_fd) == "thread"
    assert "linux_aio cannot be imported" in caplog.text


def test_a_closed_loop_gives_its_aio_slots_back(journal_fd: int) -> None:
    """Each loop's context reserves kernel AIO slots (system-wide, `fs.aio-max-nr`);
    loops come and go (tests, restarts in one process), so none may be kept."""
    gc.collect()
    before = aio_contexts_here()
    for _ in range(50):
        assert chosen_on_a_new_loop(journal_fd) == "kernel"
    gc.collect()
    assert aio_contexts_here() == before


def chosen_on_a_new_loop(fd: int) -> str:
    """Which syncer a new event loop picks, after one fsync of `fd` through it."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(_chosen_name_and_fsync(fd))
    finally:
        loop.close()


async def _chosen_name_and_fsync(fd: int) -> str:
    await syncing.fsync(fd)
    return syncing.syncer().name


def test_preparing_loads_the_binding_and_survives_its_absence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`prepare` runs as the requestor starts: the binding is loaded then (not in the
    first call), and a machine without it starts all the same."""
    syncing.prepare()
    assert "caio.linux_aio" in sys.modules
    monkeypatch.setitem(sys.modules, "caio.linux_aio", None)  # importing it raises ImportError
    syncing.prepare()

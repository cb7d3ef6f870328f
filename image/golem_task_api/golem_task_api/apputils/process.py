"""Run a command as a child process, optionally measuring what it used (0.24's helpers).

Cancelling the awaiting task terminates the child. Needs psutil (the
`apputils` extra) for `exec_and_monitor_cmd`.
"""

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from golem_task_api.app.threading import Executor


@dataclass
class Usage:
    mem_peak: float = 0.0  # bytes (virtual memory size, as 0.24 measured it)
    cpu_time: float = 0.0  # seconds, user + system (+ children)
    real_time: float = 0.0  # seconds


def _monitor_pid(pid: int, usage: Usage, interval: float = 0.5) -> None:
    import psutil

    try:
        proc = psutil.Process(pid)
        while proc.is_running() and not Executor.is_shutting_down():
            usage.cpu_time = sum(proc.cpu_times())
            usage.mem_peak = max(usage.mem_peak, proc.memory_info().vms)
            if Executor.wait_for_shutdown(interval):
                return
    except psutil.Error:  # the child exited between two looks
        return


async def _wait(process: asyncio.subprocess.Process) -> int:
    try:
        return await process.wait()
    except asyncio.CancelledError:
        if process.returncode is None:
            process.terminate()
        raise


async def exec_and_monitor_cmd(cmd: Sequence[str]) -> tuple[int, Usage]:
    """Run `cmd`; its exit status and what it used (sampled every 0.5 s)."""
    usage = Usage()
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(*cmd)
    monitor = asyncio.ensure_future(Executor.run(_monitor_pid, process.pid, usage))
    try:
        return_code = await _wait(process)
    finally:
        await asyncio.wait([monitor], timeout=1.0)
    usage.real_time = time.monotonic() - started
    return return_code, usage


async def exec_cmd(cmd: Sequence[str]) -> int:
    """Run `cmd`; its exit status."""
    process = await asyncio.create_subprocess_exec(*cmd)
    return await _wait(process)

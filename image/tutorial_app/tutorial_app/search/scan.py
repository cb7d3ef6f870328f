"""Scanning a nonce range with the native searcher, in chunks, on one or more threads.

A native call cannot be interrupted, so the range is scanned in chunks
sized to take about `CHUNK_SECONDS` each, and `should_stop` is polled in
between: a stop request is honoured within a chunk. With several threads,
chunks are handed out in nonce order and the smallest proof over all the
scanned chunks is returned, so the answer is the one a single thread (and
the reference) gives, whatever the number of threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tutorial_app.search import _fastpow

#: Each native call scans about this long, which bounds the reaction to a stop request.
CHUNK_SECONDS = 0.01
_FIRST_CHUNK = 1 << 14
_MIN_CHUNK = 1 << 10
_MAX_CHUNK = 1 << 26
_POLL_SECONDS = 0.005
#: `threads` scans this many nonces on the calling thread before it starts any
#: (well under a millisecond on the native paths).
INLINE_FIRST = 1 << 12


def _next_chunk(chunk: int, elapsed: float) -> int:
    """Aim the next chunk at CHUNK_SECONDS, changing at most fourfold per step."""
    wanted = chunk * 4 if elapsed <= 0 else int(chunk * CHUNK_SECONDS / elapsed)
    wanted = max(chunk // 4, min(chunk * 4, wanted))
    return max(_MIN_CHUNK, min(_MAX_CHUNK, wanted))


def inline(
    searcher: _fastpow.Searcher, should_stop: Callable[[], bool], start: int, stop: int
) -> tuple[int | None, int]:
    """The smallest valid nonce in ``[start, stop)`` (None if none, or stopped) and
    how many nonces were checked, on the calling thread."""
    scan = searcher.scan
    nonce, chunk, checked = start, _FIRST_CHUNK, 0
    while nonce < stop:
        if should_stop():
            return None, checked
        count = min(chunk, stop - nonce)
        began = time.perf_counter()
        found = scan(nonce, count)
        if found is not None:
            return found, checked + found - nonce + 1
        checked += count
        nonce += count
        chunk = _next_chunk(chunk, time.perf_counter() - began)
    return None, checked


class _Shared:
    """Work shared by the search threads: chunks are handed out in nonce order."""

    def __init__(self, start: int, stop: int) -> None:
        self.lock = threading.Lock()
        self.next = start
        self.stop = stop
        self.best: int | None = None
        self.checked = 0
        self.cancelled = threading.Event()
        self.error: BaseException | None = None

    def claim(self, chunk: int) -> tuple[int, int] | None:
        with self.lock:
            # Once a proof is found no new chunk is claimed: every unclaimed
            # nonce is above it, and the chunks in flight (all below) finish,
            # so the smallest proof over them is the smallest overall.
            if self.cancelled.is_set() or self.best is not None or self.next >= self.stop:
                return None
            first = self.next
            count = min(chunk, self.stop - first)
            self.next += count
            return first, count

    def report(self, first: int, count: int, found: int | None) -> None:
        with self.lock:
            if found is None:
                self.checked += count
            else:
                self.checked += found - first + 1
                if self.best is None or found < self.best:
                    self.best = found


def threads(
    searcher: _fastpow.Searcher,
    should_stop: Callable[[], bool],
    start: int,
    stop: int,
    workers: int,
) -> tuple[int | None, int]:
    """As `inline`, on `workers` threads; the caller's thread polls `should_stop`.

    The first `INLINE_FIRST` nonces are scanned on the calling thread: at low
    difficulty the proof is nearly always there, and starting threads would
    cost more than the whole search.
    """
    scan = searcher.scan
    ahead = min(stop, start + INLINE_FIRST) - start
    if ahead > 0 and not should_stop():
        found = scan(start, ahead)
        if found is not None:
            return found, found - start + 1
        start += ahead
        if start >= stop:
            return None, ahead
    else:
        ahead = 0
    shared = _Shared(start, stop)
    shared.checked = ahead
    finished = threading.Semaphore(0)

    def work() -> None:
        chunk = _FIRST_CHUNK
        try:
            while (claimed := shared.claim(chunk)) is not None:
                first, count = claimed
                began = time.perf_counter()
                shared.report(first, count, scan(first, count))
                chunk = _next_chunk(chunk, time.perf_counter() - began)
        except BaseException as error:  # handed to the caller's thread
            shared.error = error
            shared.cancelled.set()
        finally:
            finished.release()

    threads = [
        threading.Thread(target=work, name=f"nonce-search-{i}", daemon=True) for i in range(workers)
    ]
    for thread in threads:
        thread.start()
    running = workers
    try:
        while running:
            if finished.acquire(timeout=_POLL_SECONDS):
                running -= 1
                continue
            if not shared.cancelled.is_set() and should_stop():
                shared.cancelled.set()
    finally:
        shared.cancelled.set()
        for thread in threads:
            thread.join()
    if shared.error is not None:
        raise shared.error
    # Every claimed chunk was scanned to its end or to its first proof, so
    # `best` is the smallest proof even when the search was stopped.
    return shared.best, shared.checked

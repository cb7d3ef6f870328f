"""The provider's nonce search: the fastest available implementation.

Results are exactly those of the reference in `tutorial_app.search.pow`: the search
returns the smallest valid nonce at or after `start` (whatever the number of
workers), and every nonce the native code reports is re-checked with the
reference before it is returned.

The native extension `tutorial_app.search._fastpow` hashes the input's full blocks
once and then one (sometimes two) SHA-256 compressions per nonce. Of the
paths the CPU offers (16 nonces per step in AVX-512 registers, four
pipelined or two interleaved SHA-NI chains, 8 nonces per step in AVX2
registers, portable C) the one measured fastest on this machine runs
(`tutorial_app.search.kernels`; `search_path()` names it). It releases the GIL, so
the nonce space is split between threads, one per usable core
(`tutorial_app.search.scan`).
The search runs in chunks of about `scan.CHUNK_SECONDS`, so a stop request
is honoured quickly.

Without the extension (not built, or ``TUTORIAL_APP_NO_NATIVE=1`` in the
environment at import) the reference loop is used, about 30 times slower.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from types import ModuleType
from typing import Literal

from tutorial_app.search import cpus, kernels, pow, scan

__all__ = [
    "Backend",
    "available_cpus",
    "check_nonce",
    "digest",
    "find_proof",
    "measure_hash_rate",
    "native_available",
    "native_paths",
    "search_path",
]

_log = logging.getLogger(__name__)

Backend = Literal["auto", "python"] | kernels.NativePath

#: Set to a non-empty value other than "0" to disable the native search (read at import).
NO_NATIVE_ENV = "TUTORIAL_APP_NO_NATIVE"
_BENCHMARK_INPUT = "benchmark " * 8


def _load_native() -> tuple[ModuleType | None, str]:
    if os.environ.get(NO_NATIVE_ENV, "") not in ("", "0"):
        return None, f"disabled by {NO_NATIVE_ENV}"
    try:
        from tutorial_app.search import _fastpow
    except ImportError as error:
        return None, f"not built ({error})"
    return _fastpow, ""


_native, _native_missing_reason = _load_native()
_warned_slow = False
_warn_lock = threading.Lock()


def native_available() -> bool:
    """True when the native search is loaded (and not disabled)."""
    return _native is not None


def native_paths() -> list[Backend]:
    """The native paths this CPU can run (each can be forced with `backend=`)."""
    if _native is None:
        return []
    return list(kernels.available(_native))


def search_path(backend: Backend = "auto") -> str:
    """What `find_proof(backend=...)` runs, in words (for logs and benchmarks)."""
    if backend == "python" or _native is None:
        return "pure-Python reference"
    if backend == "auto":
        return kernels.DESCRIPTIONS[kernels.fastest(_native)] + " (fastest here, measured)"
    return kernels.DESCRIPTIONS[backend]


def choose_path() -> None:
    """Measure which path is fastest here now (about 20 ms of CPU), once per process.

    A fork server's parent does it before forking providers, so each one's
    searches, the small ones too, run on the measured path at no cost of its own.
    """
    if _native is not None:
        kernels.fastest(_native)


def _warn_slow_once() -> None:
    global _warned_slow
    with _warn_lock:
        if _warned_slow:
            return
        _warned_slow = True
    _log.warning(
        "native nonce search unavailable (%s): using the pure-Python reference, "
        "which is about 30 times slower",
        _native_missing_reason,
    )


# ---------------------------------------------------------------------------
# Single nonces


def digest(input_data: str, nonce: int) -> bytes:
    """``sha256((input_data + str(nonce)).encode())``, with the native hash when loaded."""
    if _native is not None and 0 <= nonce <= pow.MAX_NONCE:
        searcher = _native.Searcher(input_data.encode("utf-8"), 0)
        result: bytes = searcher.digest(nonce)
        return result
    return pow.digest(input_data, nonce)


def check_nonce(input_data: str, difficulty: int, nonce: int) -> bool:
    """True when `nonce` is valid for `input_data` at `difficulty` (same as `pow.is_valid`)."""
    return int.from_bytes(digest(input_data, nonce), "big") < pow.target(difficulty)


# ---------------------------------------------------------------------------
# Search


def find_proof(
    input_data: str,
    difficulty: int,
    should_stop: Callable[[], bool] = lambda: False,
    *,
    start: int = 0,
    stop: int = pow.MAX_NONCE + 1,
    workers: int | None = None,
    backend: Backend = "auto",
) -> pow.Proof | None:
    """The smallest valid nonce in ``[start, stop)``, or None.

    None means the range holds no valid nonce or `should_stop()` turned true
    (it is polled every few milliseconds). `workers` defaults to
    `available_cpus()`; the result does not depend on it. `backend` forces an
    implementation ("python" is the reference loop) for tests and benchmarks.
    """
    proof, _ = _search(input_data, difficulty, should_stop, start, stop, workers, backend)
    return proof


def measure_hash_rate(
    seconds: float = 1.0,
    *,
    workers: int | None = None,
    backend: Backend = "auto",
    input_data: str = _BENCHMARK_INPUT,
    clock: Callable[[], float] = time.perf_counter,
) -> float:
    """Hashes per second this process achieves for this work, on all its cores.

    It runs `find_proof`'s search at difficulty 256 (so nothing is found)
    for `seconds` of wall time, from nonce 0. The rate is per second of
    `clock`: wall time by default; benchmarks on a shared machine pass a CPU
    clock (`time.thread_time` with one worker, which runs on the calling
    thread; `time.process_time` with several) to leave other load out.
    """
    if backend == "auto" and _native is not None:
        backend = kernels.fastest(_native)  # measured (once) before the clock starts
    deadline = time.perf_counter() + seconds
    started = clock()
    _, checked = _search(
        input_data,
        pow.MAX_DIFFICULTY,
        lambda: time.perf_counter() >= deadline,
        0,
        pow.MAX_NONCE + 1,
        workers,
        backend,
    )
    return checked / (clock() - started)


def _search(
    input_data: str,
    difficulty: int,
    should_stop: Callable[[], bool],
    start: int,
    stop: int,
    workers: int | None,
    backend: Backend,
) -> tuple[pow.Proof | None, int]:
    """The search behind `find_proof`; also returns how many nonces were checked."""
    pow.check_difficulty(difficulty)
    if not 0 <= start <= pow.MAX_NONCE + 1:
        raise ValueError(f"start must be between 0 and {pow.MAX_NONCE + 1}, got {start}")
    stop = min(stop, pow.MAX_NONCE + 1)
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if backend == "python" or (backend == "auto" and _native is None):
        if backend == "auto":
            _warn_slow_once()
        return _search_reference(input_data, difficulty, should_stop, start, stop)
    if _native is None:
        raise ValueError(
            f"backend {backend!r} needs the native extension ({_native_missing_reason})"
        )
    codes = kernels.codes(_native)
    path = kernels.for_search(_native, 2.0**difficulty) if backend == "auto" else backend
    if path not in codes:
        raise ValueError(f"unknown backend {backend!r}")
    searcher = _native.Searcher(input_data.encode("utf-8"), difficulty, codes[path])
    count = available_cpus() if workers is None else workers
    if count == 1:
        found, checked = scan.inline(searcher, should_stop, start, stop)
    else:
        found, checked = scan.threads(searcher, should_stop, start, stop, count)
    if found is None:
        return None, checked
    return _verified_proof(input_data, difficulty, found), checked


def _search_reference(
    input_data: str, difficulty: int, should_stop: Callable[[], bool], start: int, stop: int
) -> tuple[pow.Proof | None, int]:
    # Chunks of the reference loop (a few milliseconds each), polling in between.
    checked = 0
    nonce = start
    while nonce < stop:
        if should_stop():
            return None, checked
        end = min(stop, nonce + 4096)
        proof = pow.search(input_data, difficulty, nonce, end)
        if proof is not None:
            return proof, checked + proof.nonce - nonce + 1
        checked += end - nonce
        nonce = end
    return None, checked


def _verified_proof(input_data: str, difficulty: int, nonce: int) -> pow.Proof:
    """The proof for a nonce the native code found, re-checked with the reference."""
    hashed = pow.digest(input_data, nonce)
    if int.from_bytes(hashed, "big") >= pow.target(difficulty):
        raise RuntimeError(f"native search reported nonce {nonce}, which is not valid")
    return pow.Proof(hashed.hex(), nonce)


def available_cpus() -> int:
    """Workers a search uses by default: see `tutorial_app.search.cpus`."""
    return cpus.available()

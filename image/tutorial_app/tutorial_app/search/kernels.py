"""The native search's paths, and which one is fastest on this machine.

No fixed order is right everywhere: where the SHA round instruction issues
every cycle (AMD Zen), four pipelined SHA-NI chains beat 8 AVX2 lanes;
where it issues every other cycle and AVX-512 exists (recent Intel Xeons),
16 AVX-512 lanes beat every SHA-NI path by twice. So each path the CPU
offers is timed once, briefly, on the measuring thread's CPU clock (other
load on the machine left out), and the fastest is kept for the process.

The choice is not stored across processes: it costs a few tens of
milliseconds once per process (once per fork server: its parent measures
before forking, `search.choose_path`, and every provider inherits it), and
a stored one would outlive what it measured (a run under unusual load, a VM
moved to another host, a rebuilt extension).
"""

from __future__ import annotations

import threading
import time
from types import ModuleType
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from tutorial_app.search import _fastpow

NativePath = Literal["avx512", "sha_ni4", "sha_ni", "avx2", "portable"]

#: Every native path: what `search.search_path` says about it.
DESCRIPTIONS: dict[NativePath, str] = {
    "avx512": "native, AVX-512, 16 nonces per step",
    "sha_ni4": "native, SHA-NI, 4 pipelined chains",
    "sha_ni": "native, SHA-NI, 2 nonces in flight",
    "avx2": "native, AVX2, 8 nonces per step",
    "portable": "native, portable C, 1 nonce at a time",
}
#: The measurement's input: the benchmark score's (`search.measure_hash_rate`'s default).
PROBE_INPUT = b"benchmark " * 8
#: Nonces of 8 digits, as a provider's search mostly meets.
PROBE_START = 10**7
#: Each timing lasts about this long on the thread's CPU clock...
SAMPLE_SECONDS = 0.001
#: ...and the best of this many, taken in turn over the paths, counts.
ROUNDS = 3

#: A search expected to need fewer nonces than this runs on the first path the
#: CPU offers (the C library's own order: AVX-512, four SHA-NI chains, AVX2,
#: portable) unless a choice was already measured: the measurement (about
#: 20 ms of CPU) would cost a short-lived provider more than a second-best
#: path could lose on so small a search. Above it the measurement is under
#: a few percent of the search.
MEASURE_FROM_NONCES = 1 << 26

_lock = threading.Lock()
_chosen: NativePath | None = None


def codes(native: ModuleType) -> dict[NativePath, int]:
    """Each path's name and the native module's code for it."""
    return {
        "avx512": native.BACKEND_AVX512,
        "sha_ni4": native.BACKEND_SHA_NI4,
        "sha_ni": native.BACKEND_SHA_NI,
        "avx2": native.BACKEND_AVX2,
        "portable": native.BACKEND_PORTABLE,
    }


def available(native: ModuleType) -> list[NativePath]:
    """The paths this CPU (and OS) can run."""
    offered: dict[NativePath, bool] = {
        "avx512": native.has_avx512(),
        "sha_ni4": native.has_sha_ni(),
        "sha_ni": native.has_sha_ni(),
        "avx2": native.has_avx2(),
        "portable": True,
    }
    return [name for name, ok in offered.items() if ok]


def fastest(native: ModuleType) -> NativePath:
    """The fastest path here, measured on first use and then kept."""
    global _chosen
    with _lock:
        if _chosen is None:
            rates = measure(native, available(native))
            chosen = max(rates, key=rates.__getitem__)
            _chosen = chosen
            return chosen
        return _chosen


def for_search(native: ModuleType, expected_nonces: float) -> NativePath:
    """The path for one search: the measured fastest, or (small searches, nothing
    measured yet) the first path offered."""
    if _chosen is not None or expected_nonces >= MEASURE_FROM_NONCES:
        return fastest(native)
    return available(native)[0]


def measure(native: ModuleType, paths: list[NativePath]) -> dict[NativePath, float]:
    """Nonces per CPU-second of each path, best of `ROUNDS` short timings in turn."""
    code = codes(native)
    searchers = {path: native.Searcher(PROBE_INPUT, 256, code[path]) for path in paths}
    counts = {path: _calibrate(searcher) for path, searcher in searchers.items()}
    best = dict.fromkeys(paths, 0.0)
    for _ in range(ROUNDS):
        for path, searcher in searchers.items():
            best[path] = max(best[path], _rate(searcher, counts[path]))
    return best


def _calibrate(searcher: _fastpow.Searcher) -> int:
    """How many nonces take about `SAMPLE_SECONDS` (timed on a warm-up scan)."""
    warm_up = 1 << 11
    return max(warm_up, min(1 << 24, int(_rate(searcher, warm_up) * SAMPLE_SECONDS)))


def _rate(searcher: _fastpow.Searcher, count: int) -> float:
    began = time.thread_time()
    searcher.scan(PROBE_START, count)
    # A clock tick at most: a coarse clock cannot make an empty interval.
    return count / max(time.thread_time() - began, 1e-6)

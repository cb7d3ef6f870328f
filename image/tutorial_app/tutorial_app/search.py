"""The provider's nonce search: the fastest available implementation.

For now this is the pure-Python reference; the native search (issue 6)
plugs in here behind the same two functions.
"""

import time
from collections.abc import Callable

from tutorial_app import pow


def find_proof(
    input_data: str, difficulty: int, should_stop: Callable[[], bool] = lambda: False
) -> pow.Proof | None:
    """Search from nonce 0 until a proof is found or `should_stop()` is true."""
    return pow.search(input_data, difficulty, should_stop=should_stop)


def measure_hash_rate(seconds: float = 1.0) -> float:
    """Hashes per second this process achieves for this work."""
    input_data = "benchmark " * 8
    deadline = time.perf_counter() + seconds
    checked = 0
    start = time.perf_counter()
    chunk = 20_000
    while time.perf_counter() < deadline:
        pow.search(input_data, pow.MAX_DIFFICULTY, start=checked, stop=checked + chunk)
        checked += chunk
    return checked / (time.perf_counter() - start)

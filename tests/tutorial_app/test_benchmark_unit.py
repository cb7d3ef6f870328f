"""The benchmark score: positive, bounded in time, in MH/s."""

from __future__ import annotations

import time

from tutorial_app import benchmark


def test_score_is_positive_and_quick() -> None:
    started = time.monotonic()
    score = benchmark.measure_score()
    assert time.monotonic() - started < 2.0
    assert 0 < score < 100_000  # MH/s: even a GPU farm would not reach this


async def test_run_benchmark_in_a_thread() -> None:
    assert await benchmark.run_benchmark() > 0

"""The benchmark score: how fast this machine does this app's work.

Unit: millions of hashes per second (MH/s) of the proof-of-work search,
on every core this process may use. Nodes compare scores between
machines, so it must track real speed: it runs the same search providers
run, on the path they run (the one measured fastest on this machine,
`tutorial_app.search.kernels`; `search.search_path()` names it). Noise (other
processes, CPU frequency ramp-up) only ever makes a run slower, so the best
of a few short runs is the stable figure; the whole measurement stays well
under 2 seconds.
"""

from __future__ import annotations

import logging

from golem_task_api.app.threading import Executor

from tutorial_app.search import search

logger = logging.getLogger(__name__)

ROUNDS = 5
ROUND_SECONDS = 0.3
HASHES_PER_SCORE_UNIT = 1_000_000.0


def measure_score(rounds: int = ROUNDS, round_seconds: float = ROUND_SECONDS) -> float:
    """The best of `rounds` hash-rate measurements, in millions of hashes per second."""
    rates = [search.measure_hash_rate(round_seconds) for _ in range(rounds)]
    score = max(rates) / HASHES_PER_SCORE_UNIT
    logger.info(
        "benchmark: %.3f MH/s on %s (rounds: %s)",
        score,
        search.search_path(),
        [f"{r:.0f}" for r in rates],
    )
    return score


async def run_benchmark() -> float:
    """The score, measured in a worker thread so the server stays responsive."""
    return await Executor.run(measure_score)

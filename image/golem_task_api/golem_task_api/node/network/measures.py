"""What the node measures around a run: the work in a result, what the manifest says
of it, and the benchmark rate behind the first ETA. None of it may fail a run."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from golem_task_api.node.network.report import Stats
from golem_task_api.node.network.results import Describer

logger = logging.getLogger(__name__)

#: Reads a verified result file and says how much work it represents.
WorkMeter = Callable[[Path], float | None]


def start_benchmark(stats: Stats, bench: Callable[[], float] | None) -> asyncio.Task[None] | None:
    """Measure the rate for the first ETA while the requestor starts (off the loop)."""
    if bench is None:
        return None

    async def run() -> None:
        try:
            stats.benchmark_rate = await asyncio.to_thread(bench)
        except Exception:  # an ETA is a nicety; never fail a run for it
            logger.debug("the benchmark failed", exc_info=True)

    return asyncio.create_task(run())


def describe(describe: Describer | None, result: Path, inputs: list[Path]) -> dict[str, Any]:
    if describe is None:
        return {}
    try:
        return describe(result, inputs)
    except Exception as exc:  # the result is still verified by the app; say why it is bare
        logger.debug("could not describe %s", result, exc_info=True)
        return {"undescribed": str(exc)}


def measure(meter: WorkMeter, result: Path) -> float | None:
    try:
        return meter(result)
    except Exception:  # a meter must never fail a run
        logger.debug("could not measure the work in %s", result, exc_info=True)
        return None

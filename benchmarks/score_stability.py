"""How much the benchmark score (`RunBenchmark`) moves between runs.

A node compares providers by this score, so it should be the same on the
same machine from one run to the next. Each round starts a fresh provider
process, as a node does, asks it for `RunBenchmark` over the wire, and lets
it exit; the script prints every score, the search path that ran, and the
spread (max - min) / median, with the machine's load average before and
after, since the figure only means something on a quiet machine.

    .venv/bin/python benchmarks/score_stability.py [--rounds 10] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
from pathlib import Path
from typing import Any

from golem_task_api.node.network import apps
from tutorial_app.cli.local_run import process_services
from tutorial_app.search import search


async def scores(rounds: int) -> list[float]:
    services = process_services()
    found: list[float] = []
    try:
        with tempfile.TemporaryDirectory(prefix="score-") as tmp:
            for n in range(rounds):
                work_dir = Path(tmp) / f"provider-{n}"
                work_dir.mkdir()
                service = services(work_dir)
                client = await apps.start_provider(service)
                try:
                    found.append(await client.run_benchmark())
                finally:
                    await apps.shutdown_quietly(client, service)
    finally:
        aclose = getattr(services, "aclose", None)
        if aclose is not None:
            await aclose()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    found = asyncio.run(scores(args.rounds))
    median = statistics.median(found)
    report: dict[str, Any] = {
        "path": search.search_path(),
        "scores_mh_s": found,
        "median": median,
        "spread": (max(found) - min(found)) / median,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
    }
    if args.json:
        print(json.dumps(report))
        return
    print(f"search path: {report['path']}")
    print("scores (MH/s): " + " ".join(f"{score:.1f}" for score in found))
    print(f"median {median:.1f} MH/s, spread (max - min) / median = {report['spread']:.1%}")
    print(f"load average: {load_before:.2f} before, {report['load_after']:.2f} after")


if __name__ == "__main__":
    main()

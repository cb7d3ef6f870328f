"""Requestor throughput of two source trees, measured side by side in one run.

Runs `benchmarks/requestor_load.py` of each tree alternately (before, after,
before, after, ...) with the tree's sources first on PYTHONPATH, and prints
pairs/s per tree and the after/before ratio of the medians. Use a throwaway
worktree for the "before" side:

    git worktree add --detach /tmp/before main
    .venv/bin/python benchmarks/side_by_side.py /tmp/before . --rounds 3 --parts 1000
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path


def run_once(tree: Path, parts: list[int], extra: list[str]) -> dict[str, float]:
    tree = tree.resolve()
    paths = [tree / "image" / "golem_task_api", tree / "image" / "tutorial_app"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(str(p) for p in paths))
    args = [sys.executable, str(tree / "benchmarks" / "requestor_load.py"), "--json", *extra]
    out = subprocess.run(
        [*args, "--parts", *map(str, parts)], env=env, check=True, capture_output=True, text=True
    ).stdout
    figures: dict[str, float] = json.loads(out)["pairs_per_s"]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path, nargs="+", help="one tree or more")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--parts", type=int, nargs="+", default=[1000])
    parser.add_argument("--tls", action="store_true", help="pass --tls (both trees need it)")
    args = parser.parse_args()
    trees = [args.before, *args.after]
    samples: dict[str, dict[str, list[float]]] = {str(tree): {} for tree in trees}
    for _ in range(args.rounds):
        for tree in trees:
            for size, rate in run_once(tree, args.parts, ["--tls"] if args.tls else []).items():
                samples[str(tree)].setdefault(size, []).append(rate)
    base = samples[str(args.before)]
    print(f"{'tree':<32} {'parts':>7} {'median pairs/s':>15} {'/ before':>9}")
    for tree in trees:
        for size, rates in samples[str(tree)].items():
            median = statistics.median(rates)
            ratio = median / statistics.median(base[size])
            print(f"{tree!s:<32} {size:>7} {median:>15.0f} {ratio:>9.3f}")
    print(json.dumps(samples))


if __name__ == "__main__":
    main()

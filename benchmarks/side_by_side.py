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

#: pairs/s (higher is better), then CPU ms per pair of the app and of the
#: node side (lower is better; steadier than rates on a shared machine).
FIGURES = (
    "pairs_per_s",
    "ratio_to_ceiling",
    "ceiling_pairs_per_s",
    "app_cpu_ms_per_pair",
    "node_cpu_ms_per_pair",
    "fsyncs_per_pair",
    "fsync_ms_per_pair",
)


def run_once(tree: Path, parts: list[int], extra: list[str]) -> dict[str, dict[str, float]]:
    tree = tree.resolve()
    paths = [tree / "image" / "golem_task_api", tree / "image" / "tutorial_app"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(str(p) for p in paths))
    args = [sys.executable, str(tree / "benchmarks" / "requestor_load.py"), "--json", *extra]
    out = subprocess.run(
        [*args, "--parts", *map(str, parts)], env=env, check=True, capture_output=True, text=True
    ).stdout
    report = json.loads(out)
    return {key: report[key] for key in FIGURES if key in report}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path, nargs="+", help="one tree or more")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--parts", type=int, nargs="+", default=[1000])
    parser.add_argument("--tls", action="store_true", help="pass --tls (both trees need it)")
    args = parser.parse_args()
    trees = [args.before, *args.after]
    samples: dict[str, dict[str, dict[str, list[float]]]] = {str(t): {} for t in trees}
    for _ in range(args.rounds):
        for tree in trees:
            report = run_once(tree, args.parts, ["--tls"] if args.tls else [])
            for key, by_size in report.items():
                for size, value in by_size.items():
                    samples[str(tree)].setdefault(key, {}).setdefault(size, []).append(value)
    base = samples[str(args.before)]
    print(f"{'tree':<32} {'figure':<22} {'parts':>7} {'median':>9} {'/ before':>9}")
    for tree in trees:
        for key, by_size in samples[str(tree)].items():
            for size, values in by_size.items():
                median = statistics.median(values)
                if key not in base:
                    print(f"{tree!s:<32} {key:<22} {size:>7} {median:>9.2f}")
                    continue
                ratio = median / statistics.median(base[key][size])
                print(f"{tree!s:<32} {key:<22} {size:>7} {median:>9.2f} {ratio:>9.3f}")
    print(json.dumps(samples))


if __name__ == "__main__":
    main()

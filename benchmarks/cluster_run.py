"""A task on 2 Dask workers on this machine vs a local `--providers 2` run, side by side.

Two measures, each run alternately local / cluster in one process so the
machine's load is shared alike:

* difficulty 0: subtasks/s, what the engine adds per subtask (a Dask task,
  the input and result bytes through the scheduler, the worker's fork of the
  provider); the per-subtask engine overhead is the extra wall time per
  provider slot, (2 / cluster rate - 2 / local rate), in ms;
* difficulty 22: hash rate (nonce + 1 per verified proof over wall time).

Each run's process tree is sampled (psutil, every 0.2 s) for the CPU time of
the node, the Dask scheduler, the Dask workers (their own processes, not the
providers they fork) and the apps, printed per subtask: where the cores go.

Targets (issue 20): at least 0.5 of the local subtasks/s at difficulty 0,
at least 0.9 of the local hash rate at difficulty 22. Both runs go through
`tutorial-app run --json`; the cluster's start-up (`--cluster local:2`) is
outside the measured wall time, which starts at task creation.

    .venv/bin/python benchmarks/cluster_run.py [--rounds 2] [--d0-subtasks 200] [--d22-subtasks 24]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

TUTORIAL_APP = str(Path(sys.executable).parent / "tutorial-app")
INPUT_TEXT = "Golem cluster run benchmark.\n" * 4
DASK_ROLES = ("scheduler", "workers")


def run(workdir: Path, difficulty: int, subtasks: int, cluster: bool) -> dict[str, Any]:
    input_file = workdir / "input.txt"
    input_file.write_text(INPUT_TEXT, encoding="utf-8")
    out = Path(tempfile.mkdtemp(dir=workdir, prefix="out-"))
    args = [TUTORIAL_APP, "run", str(input_file), "--difficulty", str(difficulty)]
    args += ["--subtasks", str(subtasks), "--providers", "2", "--out", str(out), "--json"]
    if cluster:
        args += ["--cluster", "local:2"]
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        process = subprocess.Popen(args, stdout=stdout, stderr=stderr, text=True)
        cpu = sample_cpu(process)
        stdout.seek(0)
        stderr.seek(0)
        if process.returncode != 0:
            sys.exit(f"{' '.join(args)} failed: {stderr.read().strip().splitlines()[-1:]}")
        report: dict[str, Any] = json.load(stdout)
    report["cpu_s"] = cpu
    return report


def role(process: psutil.Process, root: int) -> str | None:
    """Whose process this is; None while its command line cannot be read yet."""
    if process.pid == root:
        return "node"
    try:
        words = process.cmdline()
    except psutil.Error:
        return None
    if not words:
        return None
    if any(Path(word).name == "dask" for word in words[:2]):
        return "scheduler" if "scheduler" in words else "workers"
    return "apps"


def sample_cpu(process: subprocess.Popen[str]) -> dict[str, float]:
    """CPU seconds (user + system, each process's own) by role, until `process` exits.

    Sampled, so up to one interval of a process's last CPU may be missed. The
    Dask processes' start-up (imports, connecting) is left out: their CPU counts
    from the first app process (the requestor starts once the cluster is up).
    """
    root = psutil.Process(process.pid)
    seen: dict[int, tuple[str, float]] = {}
    before: dict[int, float] | None = None
    deadline = time.monotonic() + 900
    while process.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(psutil.Error):
            for member in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    times = member.cpu_times()
                    known = seen.get(member.pid)
                    kind = known[0] if known else role(member, root.pid)
                    if kind is not None:
                        seen[member.pid] = (kind, times.user + times.system)
        if before is None and any(kind == "apps" for kind, _ in seen.values()):
            before = {pid: cpu for pid, (kind, cpu) in seen.items() if kind in DASK_ROLES}
        time.sleep(0.2)
    process.wait(timeout=5)
    totals: dict[str, float] = {}
    for pid, (kind, seconds) in seen.items():
        totals[kind] = totals.get(kind, 0.0) + seconds - (before or {}).get(pid, 0.0)
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--d0-subtasks", type=int, default=200)
    parser.add_argument("--d22-subtasks", type=int, default=24)
    args = parser.parse_args()
    rates: dict[tuple[int, bool], list[float]] = {}
    cpu: dict[tuple[int, bool], list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="cluster-bench-") as tmp:
        for round_no in range(args.rounds):
            for difficulty, subtasks in ((0, args.d0_subtasks), (22, args.d22_subtasks)):
                for cluster in (False, True) if round_no % 2 == 0 else (True, False):
                    report = run(Path(tmp), difficulty, subtasks, cluster)
                    if difficulty == 0:
                        rate = report["verified"] / report["wall_time_s"]
                    else:
                        rate = report["work_rate_per_s"]
                    rates.setdefault((difficulty, cluster), []).append(rate)
                    per = {k: v * 1000 / subtasks for k, v in report["cpu_s"].items()}
                    cpu.setdefault((difficulty, cluster), []).append(per)
                    where = "cluster local:2" if cluster else "local --providers 2"
                    shares = " ".join(f"{k} {v:.1f}" for k, v in sorted(per.items()))
                    print(
                        f"round {round_no + 1}: d={difficulty:<2} {where:<20} {rate:>14,.1f}"
                        f"   CPU ms/subtask: {shares}",
                        flush=True,
                    )
    d0_local, d0_cluster = (statistics.median(rates[(0, c)]) for c in (False, True))
    d22_local, d22_cluster = (statistics.median(rates[(22, c)]) for c in (False, True))
    overhead_ms = (2 / d0_cluster - 2 / d0_local) * 1000
    # Each round's own ratio (its runs ran back to back): the spread of the rounds.
    d0_ratios = [c / lo for lo, c in zip(rates[(0, False)], rates[(0, True)], strict=True)]
    d22_ratios = [c / lo for lo, c in zip(rates[(22, False)], rates[(22, True)], strict=True)]
    overheads = [
        (2 / c - 2 / lo) * 1000 for lo, c in zip(rates[(0, False)], rates[(0, True)], strict=True)
    ]
    print()
    print(
        f"{'measure (median of rounds)':<34}{'local':>14}{'cluster':>14}{'ratio':>8}{'target':>8}"
    )
    print(
        f"{'d=0 subtasks/s':<34}{d0_local:>14,.1f}{d0_cluster:>14,.1f}"
        f"{d0_cluster / d0_local:>8.2f}{'>=0.5':>8}"
    )
    print(
        f"{'d=22 hashes/s':<34}{d22_local:>14,.0f}{d22_cluster:>14,.0f}"
        f"{d22_cluster / d22_local:>8.2f}{'>=0.9':>8}"
    )
    print(f"engine overhead per subtask (per provider slot): {overhead_ms:.1f} ms")
    print(
        f"range over {args.rounds} rounds: d=0 ratio {min(d0_ratios):.2f}-{max(d0_ratios):.2f}, "
        f"d=22 ratio {min(d22_ratios):.2f}-{max(d22_ratios):.2f}, "
        f"overhead {min(overheads):.1f}-{max(overheads):.1f} ms"
    )
    print("CPU ms per subtask (median of rounds; own processes, sampled):")
    for (difficulty, cluster), runs in sorted(cpu.items()):
        kinds = sorted({kind for run_cpu in runs for kind in run_cpu})
        medians = {k: statistics.median(r.get(k, 0.0) for r in runs) for k in kinds}
        dask = medians.get("scheduler", 0.0) + medians.get("workers", 0.0)
        where = "cluster local:2" if cluster else "local --providers 2"
        shares = " ".join(f"{k} {v:.1f}" for k, v in medians.items())
        extra = f" (Dask {dask:.1f})" if cluster else ""
        print(f"  d={difficulty:<2} {where:<20} {shares}{extra}")


if __name__ == "__main__":
    main()

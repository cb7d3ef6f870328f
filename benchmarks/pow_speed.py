"""How close the nonce search comes to this machine's SHA-256 limit.

Measures, side by side in one run, in rounds that interleave every figure
(so background load hits them alike and their ratios stay comparable):

- bulk: hashlib's SHA-256 over 16 MiB, as 64-byte compressions per second
  on one core; also over a cache-resident 1 MiB (the single-stream rate the
  search is compared with: one dependent chain of compressions);
- reference: the pure-Python loop of `tutorial_app.search.pow.search`;
- each native path this CPU can run (AVX-512, SHA-NI four chains and two,
  AVX2, portable C), forced, on one core and on all cores;
- fast: `tutorial_app.search.search` as providers run it (the path measured
  fastest here, which `search.search_path()` names);
- the reaction to a stop request: from the request to the search's return.

Each rate is per second of wall time, and again per second of CPU time of
the threads that measure (`time.thread_time` on one core, the process's
CPU time on all cores): on a machine shared with other work the wall-time
figures fall with the load, while the CPU-time ones stay the machine's own.
Ratios are taken within a round (a path's rate over the same round's
cache-resident hashlib rate, per core) and printed as the median and range
over the rounds.

The input is examples/input.txt (a built-in text when absent) plus a salt,
as the app hashes it; the difficulty is 256, so no nonce is ever found.

    python benchmarks/pow_speed.py [--seconds S] [--rounds N] [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from tutorial_app.search import pow, search

INPUT_FILE = Path(__file__).resolve().parent.parent / "examples" / "input.txt"
BUILTIN_TEXT = (
    "Golem is a decentralised market for computing power. A requestor splits its\n"
    "work into subtasks; providers compute them and prove the work was done.\n"
)
#: The app appends a 32-hex-digit salt per part (secrets.token_hex(16)); a fixed
#: one keeps runs comparable.
SALT = "5a17" * 8
BULK_BYTES = 16 * 1024 * 1024


def bench_input() -> tuple[str, str]:
    try:
        text = INPUT_FILE.read_text(encoding="utf-8")
        source = str(INPUT_FILE)
    except OSError:
        text, source = BUILTIN_TEXT, "built-in text"
    return text + SALT, source


def bulk_compressions_per_s(
    data: bytes, repeat: int = 1, clock: Callable[[], float] = time.perf_counter
) -> float:
    began = clock()
    for _ in range(repeat):
        hashlib.sha256(data).digest()
    return repeat * len(data) / 64 / (clock() - began)


def reference_hps(input_data: str, seconds: float) -> float:
    checked = 0
    began = time.perf_counter()
    while time.perf_counter() - began < seconds:
        pow.search(input_data, pow.MAX_DIFFICULTY, checked, checked + 20_000)
        checked += 20_000
    return checked / (time.perf_counter() - began)


class WallBeside:
    """A CPU clock that also notes wall time at each reading: one measurement, two rates."""

    def __init__(self, cpu_clock: Callable[[], float]) -> None:
        self.cpu_clock = cpu_clock
        self.walls: list[float] = []
        self.cpus: list[float] = []

    def __call__(self) -> float:
        self.walls.append(time.perf_counter())
        self.cpus.append(self.cpu_clock())
        return self.cpus[-1]

    def wall_rate(self, cpu_rate: float) -> float:
        """The same measurement's rate per second of wall time."""
        return cpu_rate * (self.cpus[-1] - self.cpus[0]) / (self.walls[-1] - self.walls[0])


def path_rates(
    input_data: str, seconds: float, workers: int, backend: search.Backend
) -> tuple[float, float]:
    """Hashes per second of wall time and per CPU-second of the measuring threads."""
    clock = WallBeside(time.thread_time if workers == 1 else time.process_time)
    cpu = search.measure_hash_rate(
        seconds, workers=workers, input_data=input_data, backend=backend, clock=clock
    )
    return clock.wall_rate(cpu), cpu


def rows() -> list[tuple[str, search.Backend]]:
    """What each round measures: every native path the CPU offers, then the search as it runs."""
    return [(path, path) for path in search.native_paths()] + [("fast (chosen)", "auto")]


def measure(input_data: str, seconds: float, rounds: int, cores: int) -> list[dict[str, float]]:
    """One dict of figures per round; every round measures everything, in turn."""
    # Random bytes: a buffer of zeros can map every page to the one zero page,
    # which stays in cache and overstates what 16 MiB of real data gets.
    data = os.urandom(BULK_BYTES)
    cached = data[: BULK_BYTES // 16]
    found = []
    for _ in range(rounds):
        figures = {
            "bulk": bulk_compressions_per_s(data),
            "bulk_cached": bulk_compressions_per_s(cached, 16),
            "cpu_bulk_cached": bulk_compressions_per_s(cached, 16, time.thread_time),
            "reference": reference_hps(input_data, seconds / 4),
        }
        for name, backend in rows():
            for workers, label in ((1, "1"), (cores, "all")):
                wall, cpu = path_rates(input_data, seconds / 2, workers, backend)
                figures[f"{name}/{label}"] = wall
                figures[f"cpu {name}/{label}"] = cpu
        found.append(figures)
    return found


def stop_reaction_s(input_data: str, cores: int) -> float:
    """Seconds from a stop request (0.1 s into an impossible search) to its return."""
    requested = threading.Event()
    requested_at: list[float] = []

    def request() -> None:
        requested_at.append(time.perf_counter())
        requested.set()

    timer = threading.Timer(0.1, request)
    timer.start()
    search.find_proof(input_data, pow.MAX_DIFFICULTY, requested.is_set, workers=cores)
    returned_at = time.perf_counter()
    timer.join()
    return returned_at - requested_at[0]


def compressions_per_nonce(input_data: str, digits: int) -> float:
    """SHA-256 compressions per nonce the native search does, for nonces of `digits` digits."""
    tail = len(input_data.encode("utf-8")) % 64 + digits
    if tail + 9 <= 64:
        return 1.0
    if tail <= 64:
        return 2.0  # every digit is in the first of two blocks: both change per nonce
    return 1.0 + 10.0 ** -(tail - 64)  # the high-digit block is cached


def ratios(rounds: list[dict[str, float]], cores: int) -> dict[str, list[float]]:
    """Per round, each path's rate per core over that round's single-stream rate."""
    found: dict[str, list[float]] = {}
    for figures in rounds:
        for name, _ in rows():
            per_core = {
                f"{name}/1 core": figures[f"{name}/1"] / figures["bulk_cached"],
                f"{name}/all cores": figures[f"{name}/all"] / cores / figures["bulk_cached"],
                # CPU seconds already add up over the cores: no division by their number.
                f"cpu {name}/1 core": figures[f"cpu {name}/1"] / figures["cpu_bulk_cached"],
                f"cpu {name}/all cores": figures[f"cpu {name}/all"] / figures["cpu_bulk_cached"],
            }
            for key, value in per_core.items():
                found.setdefault(key, []).append(value)
    return found


def summary(values: Sequence[float]) -> str:
    return f"{statistics.median(values):5.2f} [{min(values):.2f}-{max(values):.2f}]"


def print_table(found: dict[str, list[float]], cores: int, prefix: str, clock: str) -> None:
    print(f"  {'path':<16}{'1 core':<20}{f'{cores} cores':<20}({clock})")
    for name, _ in rows():
        one, every = found[f"{prefix}{name}/1 core"], found[f"{prefix}{name}/all cores"]
        print(f"  {name:<16}{summary(one):<20}{summary(every):<20}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=0.5, help="length of one figure")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (median and range shown)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    input_data, source = bench_input()
    cores = search.available_cpus()
    chosen = search.search_path()  # measures the paths once, before the rounds
    rounds = measure(input_data, args.seconds, max(1, args.rounds), cores)
    reactions = [stop_reaction_s(input_data, cores) for _ in range(5)]
    found = ratios(rounds, cores)
    median = {key: statistics.median(f[key] for f in rounds) for key in rounds[0]}
    if args.json:
        report: dict[str, object] = {
            "cores": cores,
            "path": chosen,
            "rates_median": {key: round(value) for key, value in median.items()},
            "ratios": {key: [round(v, 3) for v in values] for key, values in found.items()},
            "stop_reaction_ms_max": round(1000 * max(reactions), 1),
        }
        print(json.dumps(report))
        return 0

    nbytes = len(input_data.encode("utf-8"))
    per_nonce = compressions_per_nonce(input_data, 8)
    print(f"input: {source} + salt, {nbytes} bytes ({nbytes % 64} in the last block)")
    print(f"fast search: {chosen}; {cores} cores")
    print(f"  {per_nonce:.2f} compressions per 8-digit nonce")
    print(f"medians of {len(rounds)} rounds:")
    print(f"bulk SHA-256, 1 core       {median['bulk'] / 1e6:8.2f} M compressions/s (16 MiB)")
    print(f"  same, cache-resident     {median['bulk_cached'] / 1e6:8.2f} M compressions/s")
    print(f"reference loop, 1 core     {median['reference'] / 1e6:8.2f} M hashes/s")
    for name, _ in rows():
        one, every = median[f"{name}/1"] / 1e6, median[f"{name}/all"] / 1e6
        print(f"{name:<16} {one:7.2f} M hashes/s on 1 core, {every:7.2f} on {cores}")
    print()
    print("per core, over the cache-resident single-stream rate: median [min-max]")
    print_table(found, cores, "", "wall time")
    print_table(found, cores, "cpu ", "CPU time of the measuring threads")
    fast_1 = median["fast (chosen)/1"]
    print(
        f"fast 1 core / reference            {fast_1 / median['reference']:6.1f}   (target >= 20)"
    )
    print(f"all cores / 1 core                 {median['fast (chosen)/all'] / fast_1:6.2f}")
    ms = [1000 * r for r in reactions]
    print(
        f"stop request to return             {statistics.median(ms):6.1f} ms median, "
        f"{max(ms):.1f} ms max of {len(ms)}   (target < 100)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

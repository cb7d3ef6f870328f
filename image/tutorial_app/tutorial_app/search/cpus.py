"""How many cores this process may really use.

A provider in a container may see every host core through `os.cpu_count()`
yet be allowed only a fraction by its cgroup CPU quota; starting a worker
per visible core would only add contention.
"""

from __future__ import annotations

import math
import os
from pathlib import Path


def available() -> int:
    """Cores this process may use: its CPU affinity, capped by a cgroup CPU quota."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    quota = cgroup_cpu_quota()
    if quota is not None:
        cpus = min(cpus, max(1, math.ceil(quota)))
    return max(1, cpus)


def cgroup_cpu_quota(root: Path = Path("/sys/fs/cgroup")) -> float | None:
    """The container's CPU quota in cores (cgroup v2 or v1), or None when unlimited."""
    v2, v1 = _own_cgroup_paths()
    for directory in dict.fromkeys([root / v2.lstrip("/"), root]):
        quota = _read_cpu_max(directory / "cpu.max")
        if quota is not None:
            return quota
    for controller in ("cpu", "cpu,cpuacct", "cpuacct,cpu"):
        base = root / controller
        for directory in dict.fromkeys([base / v1.lstrip("/"), base]):
            quota = _read_cfs(directory / "cpu.cfs_quota_us", directory / "cpu.cfs_period_us")
            if quota is not None:
                return quota
    return None


def _own_cgroup_paths() -> tuple[str, str]:
    """This process's cgroup path for v2 and for the v1 cpu controller."""
    v2 = v1 = "/"
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return v2, v1
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if parts[0] == "0" and parts[1] == "":
            v2 = parts[2]
        elif "cpu" in parts[1].split(","):
            v1 = parts[2]
    return v2, v1


def _read_cpu_max(path: Path) -> float | None:
    try:
        fields = path.read_text().split()
    except OSError:
        return None
    if len(fields) != 2 or fields[0] == "max":
        return None
    try:
        quota, period = int(fields[0]), int(fields[1])
    except ValueError:
        return None
    return quota / period if quota > 0 and period > 0 else None


def _read_cfs(quota_path: Path, period_path: Path) -> float | None:
    try:
        quota = int(quota_path.read_text().strip())
        period = int(period_path.read_text().strip())
    except (OSError, ValueError):
        return None
    return quota / period if quota > 0 and period > 0 else None

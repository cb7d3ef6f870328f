"""The search path is chosen by measuring the paths on this machine, not by a fixed order."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from typing import Any

import pytest
from tutorial_app.search import kernels, pow, search

from tests.golem_task_api.support import hello

if not search.native_available():
    pytest.skip("the native search is not available", allow_module_level=True)

from tutorial_app.search import _fastpow


def test_every_path_the_cpu_offers_is_measured() -> None:
    paths = kernels.available(_fastpow)
    assert "portable" in paths
    assert ("sha_ni4" in paths) == ("sha_ni" in paths) == _fastpow.has_sha_ni()
    assert ("avx512" in paths) == _fastpow.has_avx512()
    assert ("avx2" in paths) == _fastpow.has_avx2()
    rates = kernels.measure(_fastpow, paths)
    assert set(rates) == set(paths)
    assert all(rate > 0 for rate in rates.values())


def test_the_measured_fastest_runs_whichever_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each path in turn made the fastest: it is what search_path names and find_proof runs."""
    made: list[int] = []

    def recording_searcher(prefix: bytes, difficulty: int, backend: int = 0) -> Any:
        made.append(backend)
        return _fastpow.Searcher(prefix, difficulty, backend)

    native = types.SimpleNamespace(**vars(_fastpow))
    native.Searcher = recording_searcher
    monkeypatch.setattr(search, "_native", native)
    for winner in kernels.available(_fastpow):
        monkeypatch.setattr(kernels, "_chosen", None)
        monkeypatch.setattr(
            kernels, "measure", lambda _n, paths, w=winner: {p: float(p == w) for p in paths}
        )
        assert kernels.DESCRIPTIONS[winner] in search.search_path()
        made.clear()
        assert search.find_proof("chosen", 6, workers=1) == pow.search("chosen", 6)
        assert made == [kernels.codes(_fastpow)[winner]]


def test_the_choice_is_measured_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []

    def measure(native: object, paths: list[str]) -> dict[str, float]:
        calls.append(paths)
        return {path: 1.0 + (path == "portable") for path in paths}

    monkeypatch.setattr(kernels, "_chosen", None)
    monkeypatch.setattr(kernels, "measure", measure)
    assert [kernels.fastest(_fastpow) for _ in range(3)] == ["portable"] * 3
    assert search.find_proof("once", 4, workers=2) == pow.search("once", 4)
    assert calls == [kernels.available(_fastpow)]


def test_the_real_choice_is_one_of_the_fastest() -> None:
    """Unpatched: the path kept is available, and not far behind a fresh measurement's best
    (a loose bound: the machine may be shared)."""
    chosen = kernels.fastest(_fastpow)
    assert chosen in kernels.available(_fastpow)
    rates = kernels.measure(_fastpow, kernels.available(_fastpow))
    assert rates[chosen] >= 0.5 * max(rates.values()), (chosen, rates)


def test_small_searches_do_not_pay_for_the_measurement(monkeypatch: pytest.MonkeyPatch) -> None:
    """A short-lived provider's small search takes the first path offered; a big one measures."""
    calls: list[list[kernels.NativePath]] = []

    def measure(_native: Any, paths: list[kernels.NativePath]) -> dict[kernels.NativePath, float]:
        calls.append(paths)
        return {path: float(path == "portable") for path in paths}

    monkeypatch.setattr(kernels, "_chosen", None)
    monkeypatch.setattr(kernels, "measure", measure)
    first = kernels.available(_fastpow)[0]
    assert kernels.for_search(_fastpow, 2.0**20) == first
    assert calls == []
    assert kernels.for_search(_fastpow, float(kernels.MEASURE_FROM_NONCES)) == "portable"
    assert len(calls) == 1
    # Once measured, every search takes the measured path, small ones too.
    assert kernels.for_search(_fastpow, 1.0) == "portable"
    assert len(calls) == 1


def test_the_tutorial_apps_fork_server_measures_the_search_path_once_for_all_children() -> None:
    """The parent measures before forking (and stays single-threaded); a child searches on
    the inherited choice, a small search too, without measuring again."""
    script = """
import json, os
from golem_task_api.wire import forking
import tutorial_app.entrypoint
from tutorial_app.search import kernels, search
forking.registered().prewarm()
parent = {"chosen": kernels._chosen, "threads": len(os.listdir("/proc/self/task"))}
def refuse(*_):
    raise AssertionError("measured again")
kernels.measure = refuse
read, write = os.pipe()
if os.fork() == 0:
    os.write(write, kernels.for_search(search._native, 1.0).encode())
    os._exit(0)
os.wait()
parent["child"] = os.read(read, 100).decode()
print(json.dumps(parent))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    seen = json.loads(done.stdout)
    assert seen["threads"] == 1
    assert seen["chosen"] is not None
    assert seen["child"] == seen["chosen"]
    assert "error" not in hello("tutorial_app.entrypoint")

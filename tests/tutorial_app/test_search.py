"""The provider's search API: same results as the reference, on any number of cores.

Tests that need the native extension are skipped without it, so the whole
suite also runs with TUTORIAL_APP_NO_NATIVE=1 (the fallback path).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tutorial_app.search import cpus, pow, scan, search

from tests.tutorial_app.support import load_pow_vectors

needs_native = pytest.mark.skipif(not search.native_available(), reason="no native search")
#: Every native path this CPU can run, each forced in turn, and "auto".
NATIVE_BACKENDS: list[search.Backend] = (
    ["auto", *search.native_paths()] if search.native_available() else []
)
ALL_BACKENDS: list[search.Backend] = [*NATIVE_BACKENDS, "python"]
EDGES = [10**k for k in range(1, 20)]


def texts_up_to(max_bytes: int) -> st.SearchStrategy[str]:
    def trim(text: str) -> str:
        while len(text.encode("utf-8")) > max_bytes:
            text = text[:-1]
        return text

    alphabet = st.one_of(st.characters(codec="ascii"), st.characters(codec="utf-8"))
    return st.text(alphabet, max_size=max_bytes).map(trim)


starts = st.one_of(
    st.integers(0, 1000),
    st.builds(lambda edge, back: max(0, edge - back), st.sampled_from(EDGES), st.integers(0, 200)),
)


@needs_native
@settings(max_examples=80, deadline=None)
@given(text=texts_up_to(300), start=starts, difficulty=st.integers(0, 16))
def test_one_worker_returns_the_reference_smallest_nonce(
    text: str, start: int, difficulty: int
) -> None:
    stop = start + (1 << 19)
    expected = pow.search(text, difficulty, start, stop)
    assert search.find_proof(text, difficulty, start=start, stop=stop, workers=1) == expected


@needs_native
@settings(max_examples=25, deadline=None)
@given(text=texts_up_to(300), start=starts, difficulty=st.integers(8, 16))
def test_many_workers_return_a_proof_the_reference_accepts(
    text: str, start: int, difficulty: int
) -> None:
    proof = search.find_proof(text, difficulty, start=start, workers=3)
    assert proof is not None
    pow.check_proof(text, difficulty, proof)
    # Chunks are handed out in order and all finish, so it is the smallest one too.
    assert proof == search.find_proof(text, difficulty, start=start, workers=1)


@needs_native
def test_all_cores_search_verifies_with_the_reference() -> None:
    text = "multi-core search\n"
    proof = search.find_proof(text, 18, workers=search.available_cpus())
    assert proof is not None
    pow.check_proof(text, 18, proof)
    assert proof == pow.search(text, 18, start=max(0, proof.nonce - 2000), stop=proof.nonce + 1)


@pytest.mark.parametrize("backend", ALL_BACKENDS)
@pytest.mark.parametrize("workers", [1, 2])
def test_shared_vectors(backend: search.Backend, workers: int) -> None:
    for vector in load_pow_vectors():
        proof = search.find_proof(
            vector["input"],
            vector["difficulty"],
            start=vector.get("start", 0),
            workers=workers,
            backend=backend,
        )
        assert proof == pow.Proof(vector["hash"], vector["smallest_nonce"]), vector["name"]


@pytest.mark.parametrize("backend", ALL_BACKENDS)
@pytest.mark.parametrize("workers", [1, 2])
def test_stop_request_ends_an_impossible_search(backend: search.Backend, workers: int) -> None:
    """The search returns at the first poll that sees the request (polls come
    between native calls of about `scan.CHUNK_SECONDS`; pow_speed.py prints the
    measured reaction time)."""
    requested = threading.Event()
    polls_after_request = 0

    def should_stop() -> bool:
        nonlocal polls_after_request
        if not requested.is_set():
            return False
        polls_after_request += 1
        return True

    timer = threading.Timer(0.05, requested.set)
    timer.start()
    try:
        proof = search.find_proof(
            "never", pow.MAX_DIFFICULTY, should_stop, workers=workers, backend=backend
        )
    finally:
        timer.cancel()
    assert requested.is_set()
    assert proof is None
    assert polls_after_request == 1


@needs_native
def test_a_native_scan_lets_other_threads_run() -> None:
    """The GIL is released for the whole native call: this thread counts while
    the other is still inside one long `scan`."""
    from tutorial_app.search import _fastpow

    searcher = _fastpow.Searcher(b"gil", pow.MAX_DIFFICULTY)
    entered = threading.Event()

    def long_scan() -> None:
        entered.set()
        searcher.scan(0, 1 << 27)  # about a second or more, in one call

    worker = threading.Thread(target=long_scan)
    worker.start()
    entered.wait()
    counted = sum(1 for _ in range(20_000))
    still_scanning = worker.is_alive()
    worker.join()
    assert counted == 20_000
    assert still_scanning


@pytest.mark.parametrize("elapsed", [0.0, 0.001, 0.01, 0.1, 10.0])
def test_chunks_aim_at_the_chunk_duration(elapsed: float) -> None:
    """A chunk that took longer than `CHUNK_SECONDS` is followed by a smaller one
    (at most fourfold per step), a quicker one by a larger one, within bounds."""
    chunk = 1 << 20
    following = scan._next_chunk(chunk, elapsed)
    assert chunk // 4 <= following <= chunk * 4
    if elapsed > scan.CHUNK_SECONDS:
        assert following < chunk
    elif elapsed < scan.CHUNK_SECONDS:
        assert following > chunk
    assert scan._next_chunk(scan._MIN_CHUNK, 100.0) >= scan._MIN_CHUNK
    assert scan._next_chunk(scan._MAX_CHUNK, 0.0) <= scan._MAX_CHUNK


def test_stop_before_start_returns_at_once() -> None:
    assert search.find_proof("x", pow.MAX_DIFFICULTY, lambda: True) is None


@settings(max_examples=30, deadline=None)
@given(text=texts_up_to(120), start=starts, difficulty=st.integers(0, 10))
def test_fallback_finds_the_reference_proof(text: str, start: int, difficulty: int) -> None:
    expected = pow.search(text, difficulty, start)
    assert search.find_proof(text, difficulty, start=start, backend="python") == expected


def test_fallback_is_used_and_logged_once_when_the_extension_is_disabled() -> None:
    code = (
        "import logging, sys\n"
        "logging.basicConfig(stream=sys.stdout, format='%(levelname)s %(message)s')\n"
        "from tutorial_app.search import pow, search\n"
        "assert not search.native_available()\n"
        "assert search.find_proof('Golem proof of work\\n', 12) == pow.search("
        "'Golem proof of work\\n', 12)\n"
        "assert search.find_proof('again', 8) == pow.search('again', 8)\n"
        "assert search.measure_hash_rate(0.05) > 0\n"
    )
    env = {**os.environ, search.NO_NATIVE_ENV: "1"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stdout.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 1, done.stdout
    assert search.NO_NATIVE_ENV in warnings[0]


@pytest.mark.parametrize(
    "backend", ["auto", "portable", "sha_ni4", "sha_ni", "avx512", "avx2", "python"]
)
def test_forcing_a_backend(backend: search.Backend) -> None:
    if backend == "auto" or backend in ALL_BACKENDS:
        assert search.find_proof("", 4, backend=backend) == pow.search("", 4)
    else:
        with pytest.raises(ValueError):
            search.find_proof("", 4, backend=backend)


@settings(max_examples=100, deadline=None)
@given(
    text=texts_up_to(300),
    nonce=st.one_of(st.integers(0, pow.MAX_NONCE), st.sampled_from(EDGES)),
    difficulty=st.integers(0, 8),
)
def test_digest_and_check_nonce_match_the_reference(text: str, nonce: int, difficulty: int) -> None:
    assert search.digest(text, nonce) == pow.digest(text, nonce)
    assert search.check_nonce(text, difficulty, nonce) == pow.is_valid(text, difficulty, nonce)


def test_digest_outside_the_nonce_range_uses_the_reference() -> None:
    assert search.digest("x", 2**64) == pow.digest("x", 2**64)


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_measure_hash_rate(backend: search.Backend) -> None:
    assert search.measure_hash_rate(0.05, backend=backend) > 0


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError):
        search.find_proof("x", 257)
    with pytest.raises(ValueError):
        search.find_proof("x", 1, start=-1)
    with pytest.raises(ValueError):
        search.find_proof("x", 1, workers=0)


def test_search_ends_at_the_largest_nonce() -> None:
    start = pow.MAX_NONCE - 50
    assert search.find_proof("x", pow.MAX_DIFFICULTY, start=start) is None
    assert search.find_proof("x", 1, start=start) == pow.search("x", 1, start=start)


def test_available_cpus_is_positive_and_within_the_affinity() -> None:
    assert 1 <= search.available_cpus() <= len(os.sched_getaffinity(0))


def test_cgroup_v2_quota(tmp_path: Path) -> None:
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert cpus.cgroup_cpu_quota(tmp_path) == 1.5
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert cpus.cgroup_cpu_quota(tmp_path) is None


def test_cgroup_v1_quota(tmp_path: Path) -> None:
    cpu = tmp_path / "cpu"
    cpu.mkdir()
    (cpu / "cpu.cfs_quota_us").write_text("50000\n")
    (cpu / "cpu.cfs_period_us").write_text("100000\n")
    assert cpus.cgroup_cpu_quota(tmp_path) == 0.5
    (cpu / "cpu.cfs_quota_us").write_text("-1\n")
    assert cpus.cgroup_cpu_quota(tmp_path) is None


@needs_native
def test_a_proof_in_the_first_stretch_is_found_without_starting_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_threads(*args: object, **kwargs: object) -> None:
        raise AssertionError("a thread was started")

    monkeypatch.setattr(scan.threading, "Thread", no_threads)
    proof = search.find_proof("low difficulty", 0, workers=2)
    assert proof == pow.search("low difficulty", 0, 0, 1)


@needs_native
@settings(max_examples=40, deadline=None)
@given(
    text=texts_up_to(64),
    back=st.integers(0, 40),
    span=st.integers(1, 3 * scan.INLINE_FIRST),
    difficulty=st.integers(0, 14),
)
def test_threads_agree_with_one_worker_around_the_first_stretch(
    text: str, back: int, span: int, difficulty: int
) -> None:
    # Ranges ending inside, at and past the stretch scanned before any thread starts.
    start = max(0, scan.INLINE_FIRST - back) if back % 2 else back
    stop = start + span
    one = search.find_proof(text, difficulty, start=start, stop=stop, workers=1)
    assert search.find_proof(text, difficulty, start=start, stop=stop, workers=2) == one
    assert one == pow.search(text, difficulty, start, stop)

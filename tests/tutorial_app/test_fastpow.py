"""The native extension on its own: every backend matches the definition bit for bit.

Skipped when the extension is not built or is disabled (TUTORIAL_APP_NO_NATIVE=1).
"""

from __future__ import annotations

import functools
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tutorial_app.search import pow, search

if not search.native_available():
    pytest.skip("the native search is not available", allow_module_level=True)

from tutorial_app.search import _fastpow

from tests.tutorial_app.support import load_pow_vectors

#: Every lane implementation this CPU can run, each forced in turn.
BACKENDS = (
    [_fastpow.BACKEND_PORTABLE]
    + ([_fastpow.BACKEND_SHA_NI, _fastpow.BACKEND_SHA_NI4] if _fastpow.has_sha_ni() else [])
    + ([_fastpow.BACKEND_AVX512] if _fastpow.has_avx512() else [])
    + ([_fastpow.BACKEND_AVX2] if _fastpow.has_avx2() else [])
)
BACKEND_NAMES = {
    _fastpow.BACKEND_PORTABLE: "portable",
    _fastpow.BACKEND_SHA_NI: "sha_ni",
    _fastpow.BACKEND_SHA_NI4: "sha_ni4",
    _fastpow.BACKEND_AVX512: "avx512",
    _fastpow.BACKEND_AVX2: "avx2",
}
#: Nonces where the digit count changes, up to the largest uint64.
EDGES = [10**k for k in range(1, 20)]


def backend_id(backend: int) -> str:
    return BACKEND_NAMES[backend]


backend_param = pytest.mark.parametrize("backend", BACKENDS, ids=backend_id)


def reference_smallest(text: str, difficulty: int, start: int, limit: int) -> int | None:
    return _nonce(pow.search(text, difficulty, start, min(start + limit, pow.MAX_NONCE + 1)))


def _nonce(proof: pow.Proof | None) -> int | None:
    return None if proof is None else proof.nonce


def texts_up_to(max_bytes: int) -> st.SearchStrategy[str]:
    """UTF-8 texts (multi-byte characters included) of at most `max_bytes` bytes."""

    def trim(text: str) -> str:
        while len(text.encode("utf-8")) > max_bytes:
            text = text[:-1]
        return text

    alphabet = st.one_of(
        st.characters(codec="ascii"), st.characters(codec="utf-8"), st.sampled_from("żółć€🚀")
    )
    return st.text(alphabet, max_size=max_bytes).map(trim)


def near_edges() -> st.SearchStrategy[int]:
    """Start nonces just below (or at) a change of digit count, or anywhere small."""
    return st.one_of(
        st.integers(0, 2000),
        st.builds(
            lambda edge, back: max(0, edge - back), st.sampled_from(EDGES), st.integers(0, 300)
        ),
    )


@backend_param
@settings(max_examples=150, deadline=None)
@given(text=texts_up_to(300), nonce=st.one_of(near_edges(), st.integers(0, pow.MAX_NONCE)))
def test_digest_is_sha256_of_input_and_decimal_nonce(backend: int, text: str, nonce: int) -> None:
    searcher = _fastpow.Searcher(text.encode("utf-8"), 0, backend)
    assert searcher.digest(nonce) == hashlib.sha256((text + str(nonce)).encode("utf-8")).digest()


@backend_param
def test_digest_for_every_prefix_length_modulo_64(backend: int) -> None:
    for length in range(0, 301):
        text = "ą" * (length // 2) + "x" * (length % 2)  # multi-byte, `length` bytes
        searcher = _fastpow.Searcher(text.encode("utf-8"), 0, backend)
        for nonce in (0, 9, 10, 99999, 10**9, 10**10 - 1, 10**19, pow.MAX_NONCE):
            assert searcher.digest(nonce) == pow.digest(text, nonce), (length, nonce)


@backend_param
@settings(max_examples=120, deadline=None)
@given(text=texts_up_to(300), start=near_edges(), difficulty=st.integers(0, 16))
def test_scan_finds_the_reference_smallest_nonce(
    backend: int, text: str, start: int, difficulty: int
) -> None:
    searcher = _fastpow.Searcher(text.encode("utf-8"), difficulty, backend)
    limit = 1 << 19
    assert searcher.scan(start, limit) == reference_smallest(text, difficulty, start, limit)


@backend_param
def test_scan_across_digit_count_changes_for_every_tail_length(backend: int) -> None:
    """Each input length modulo 64 puts the digits at a different place in the tail."""
    for length in range(0, 130):
        text = "é" * (length // 2) + "z" * (length % 2)
        searcher = _fastpow.Searcher(text.encode("utf-8"), 3, backend)
        for edge in (10, 1000, 10**9, 10**10, 10**19):
            start = edge - 5
            assert searcher.scan(start, 4000) == reference_smallest(text, 3, start, 4000), (
                length,
                edge,
            )


@backend_param
def test_scan_reaches_the_largest_nonce_without_overflow(backend: int) -> None:
    text = "top of the range"
    impossible = _fastpow.Searcher(text.encode(), 256, backend)
    assert impossible.scan(pow.MAX_NONCE - 99, 100) is None
    easy = _fastpow.Searcher(text.encode(), 2, backend)
    start = pow.MAX_NONCE - 199
    assert easy.scan(start, 200) == reference_smallest(text, 2, start, 200)
    with pytest.raises(ValueError):
        easy.scan(pow.MAX_NONCE, 2)
    with pytest.raises(ValueError):
        easy.scan(-1, 2)


@backend_param
def test_scan_of_an_empty_range_finds_nothing(backend: int) -> None:
    assert _fastpow.Searcher(b"", 0, backend).scan(5, 0) is None


@backend_param
def test_difficulty_masks_cover_every_word_boundary(backend: int) -> None:
    """A nonce is valid exactly when the reference says so, for difficulties across words."""
    text = "mask"
    digests = [pow.digest(text, nonce) for nonce in range(3000)]
    for difficulty in (0, 1, 7, 8, 9, 31, 32, 33, 64, 255, 256):
        searcher = _fastpow.Searcher(text.encode(), difficulty, backend)
        bound = pow.target(difficulty)
        expected = next(
            (n for n, d in enumerate(digests) if int.from_bytes(d, "big") < bound), None
        )
        assert searcher.scan(0, len(digests)) == expected, difficulty


@backend_param
def test_shared_vectors(backend: int) -> None:
    for vector in load_pow_vectors():
        searcher = _fastpow.Searcher(vector["input"].encode("utf-8"), vector["difficulty"], backend)
        nonce = searcher.scan(vector.get("start", 0), 1 << 22)
        assert nonce == vector["smallest_nonce"], vector["name"]
        assert searcher.digest(nonce).hex() == vector["hash"], vector["name"]


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(ValueError):
        _fastpow.Searcher(b"x", 257)
    with pytest.raises(ValueError):
        _fastpow.Searcher(b"x", -1)
    with pytest.raises(ValueError):
        _fastpow.Searcher(b"x", 1, 9)
    assert _fastpow.Searcher(b"x", 1).backend in BACKENDS
    with pytest.raises(TypeError):
        _fastpow.Searcher("not bytes", 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        _fastpow.Searcher(b"x", 1).digest(2**64)


@backend_param
@pytest.mark.parametrize("length", range(0, 64))
def test_every_start_and_count_in_a_window_for_every_tail_length(backend: int, length: int) -> None:
    """Every lane position and every partial step: the smallest valid nonce at or
    after each start, with ranges that end anywhere, against the reference."""
    text = "w" * length
    difficulty = 3
    base = 10**7 - 50  # crosses a change of digit count, and so a change of run
    valid = [pow.is_valid(text, difficulty, n) for n in range(base, base + 150)]
    searcher = _fastpow.Searcher(text.encode(), difficulty, backend)
    for offset in range(0, 100, 7):
        for count in (1, 5, 16, 17, 33, 50):
            window = valid[offset : offset + count]
            expected = base + offset + window.index(True) if True in window else None
            assert searcher.scan(base + offset, count) == expected, (length, offset, count)


@backend_param
@settings(max_examples=60, deadline=None)
@given(
    text=texts_up_to(130),
    back=st.one_of(st.integers(0, 3000), st.integers(0, 10**6)),
    difficulty=st.integers(0, 8),
)
def test_scan_at_the_top_of_the_range(backend: int, text: str, back: int, difficulty: int) -> None:
    """Up to 2**64 - 1 (20 digits, which straddle two blocks for long tails)."""
    start = pow.MAX_NONCE - back
    searcher = _fastpow.Searcher(text.encode("utf-8"), difficulty, backend)
    count = min(back + 1, 4000)
    assert searcher.scan(start, count) == reference_smallest(text, difficulty, start, count)


@backend_param
@pytest.mark.parametrize("length", range(40, 64))
def test_impossible_scan_of_the_last_nonces_ends(backend: int, length: int) -> None:
    """At difficulty 256 the scan must run to 2**64 - 1 and stop there."""
    searcher = _fastpow.Searcher(b"t" * length, 256, backend)
    assert searcher.scan(pow.MAX_NONCE - 20_000, 20_001) is None
    easy = _fastpow.Searcher(b"t" * length, 0, backend)
    assert easy.scan(pow.MAX_NONCE, 1) == pow.MAX_NONCE


@functools.cache
def valid_nonces(text: str, difficulty: int, start: int, count: int) -> list[int]:
    return [n for n in range(start, start + count) if pow.is_valid(text, difficulty, n)]


@backend_param
@pytest.mark.parametrize("length", range(0, 64))
def test_every_valid_nonce_of_a_window_is_found(backend: int, length: int) -> None:
    """All valid nonces of a window, one scan after another: a nonce lost by any
    lane, chain or pipelined step shows up, for every place of the digits in
    the tail (which words change, one block or two) and across a change of
    digit count."""
    text = "ü" * (length // 2) + "v" * (length % 2)
    start, count, difficulty = 10**6 - 1500, 4000, 3
    searcher = _fastpow.Searcher(text.encode("utf-8"), difficulty, backend)
    found: list[int] = []
    nonce = start
    while (hit := searcher.scan(nonce, start + count - nonce)) is not None:
        found.append(hit)
        nonce = hit + 1
    assert found == valid_nonces(text, difficulty, start, count), length

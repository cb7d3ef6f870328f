"""Type stub for the native nonce search (`_fastpow.c`)."""

from typing import Final

BACKEND_AUTO: Final[int]
BACKEND_PORTABLE: Final[int]
BACKEND_SHA_NI: Final[int]
BACKEND_AVX512: Final[int]
BACKEND_AVX2: Final[int]
BACKEND_SHA_NI4: Final[int]

def has_sha_ni() -> bool: ...
def has_avx512() -> bool: ...
def has_avx2() -> bool: ...

class Searcher:
    """Nonce search for ``sha256(prefix + str(nonce)) < 2 ** (256 - difficulty)``."""

    def __init__(self, prefix: bytes, difficulty: int, backend: int = ...) -> None: ...
    @property
    def sha_ni(self) -> bool: ...
    @property
    def backend(self) -> int:
        """The path it runs: BACKEND_PORTABLE, _SHA_NI, _SHA_NI4, _AVX512 or _AVX2."""
    @property
    def difficulty(self) -> int: ...
    def scan(self, start: int, count: int, /) -> int | None:
        """The smallest valid nonce in ``[start, start + count)``; releases the GIL."""
    def digest(self, nonce: int, /) -> bytes:
        """``sha256(prefix + str(nonce))``, 32 bytes."""

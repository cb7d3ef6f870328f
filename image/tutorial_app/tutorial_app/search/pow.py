"""The proof-of-work definition: the reference every faster path must match.

A nonce is valid for `input_data` at `difficulty` when
``sha256((input_data + str(nonce)).encode("utf-8"))``, read as a 256-bit
big-endian number, is below ``2 ** (256 - difficulty)``. A result is the
line ``"<64 lowercase hex digits> <decimal nonce>"``.
"""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

MIN_DIFFICULTY = 0
MAX_DIFFICULTY = 256
#: Nonces are unsigned 64-bit numbers (the native search counts in uint64).
MAX_NONCE = 2**64 - 1
_MAX_NONCE_DIGITS = len(str(MAX_NONCE))
_RESULT_LINE = re.compile(r"([0-9a-f]{64}) (0|[1-9][0-9]*)\n?")


@dataclass(frozen=True)
class Proof:
    """A nonce and the hash it gives (lowercase hex)."""

    hash_hex: str
    nonce: int

    def to_line(self) -> str:
        return f"{self.hash_hex} {self.nonce}"


def target(difficulty: int) -> int:
    """The exclusive upper bound a valid hash must stay under."""
    check_difficulty(difficulty)
    return 1 << (256 - difficulty)


def check_difficulty(difficulty: int) -> None:
    if isinstance(difficulty, bool) or not isinstance(difficulty, int):
        raise ValueError(f"difficulty must be an integer, got {difficulty!r}")
    if not MIN_DIFFICULTY <= difficulty <= MAX_DIFFICULTY:
        raise ValueError(
            f"difficulty must be between {MIN_DIFFICULTY} and {MAX_DIFFICULTY}, got {difficulty}"
        )


def digest(input_data: str, nonce: int) -> bytes:
    return hashlib.sha256((input_data + str(nonce)).encode("utf-8")).digest()


def hash_hex(input_data: str, nonce: int) -> str:
    return digest(input_data, nonce).hex()


def is_valid(input_data: str, difficulty: int, nonce: int) -> bool:
    return int.from_bytes(digest(input_data, nonce), "big") < target(difficulty)


def search(
    input_data: str,
    difficulty: int,
    start: int = 0,
    stop: int = MAX_NONCE + 1,
    should_stop: Callable[[], bool] = lambda: False,
    check_every: int = 4096,
) -> Proof | None:
    """The reference search: the smallest valid nonce in ``[start, stop)``.

    Returns None when the range is exhausted or `should_stop` turns true
    (polled every `check_every` nonces).
    """
    bound = target(difficulty)
    sha256 = hashlib.sha256
    for nonce in range(start, min(stop, MAX_NONCE + 1)):
        if nonce % check_every == 0 and should_stop():
            return None
        hashed = sha256((input_data + str(nonce)).encode("utf-8")).digest()
        if int.from_bytes(hashed, "big") < bound:
            return Proof(hashed.hex(), nonce)
    return None


def parse_result(text: str) -> Proof:
    """Parse a result line strictly; ValueError says what is wrong."""
    match = _RESULT_LINE.fullmatch(text)
    if match is None:
        head = text.split(" ", 1)[0]
        if len(head) == 64 and re.fullmatch(r"[0-9a-fA-F]{64}", head) and head != head.lower():
            raise ValueError("the hash must be 64 lowercase hex digits")
        raise ValueError(
            "the result must be one line '<64 lowercase hex digits> <decimal nonce>'"
            f", got {_preview(text)}"
        )
    hash_text, nonce_text = match.groups()
    if len(nonce_text) > _MAX_NONCE_DIGITS or int(nonce_text) > MAX_NONCE:
        raise ValueError(f"the nonce must be between 0 and {MAX_NONCE}")
    return Proof(hash_text, int(nonce_text))


def check_proof(input_data: str, difficulty: int, proof: Proof) -> None:
    """Raise ValueError unless `proof` is a valid proof for this input.

    Only the nonce is trusted as a claim; the hash is recomputed here.
    """
    actual = digest(input_data, proof.nonce)
    if actual.hex() != proof.hash_hex:
        raise ValueError("the hash does not match sha256 of the input and the nonce")
    if int.from_bytes(actual, "big") >= target(difficulty):
        raise ValueError(f"the hash is too easy for difficulty {difficulty}")


def _preview(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")

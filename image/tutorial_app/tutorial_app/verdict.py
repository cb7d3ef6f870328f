"""Judging a provider's result: the only thing trusted is the claimed nonce.

The hash is recomputed from the part's own input and difficulty, so a
provider cannot pass off a result from another part or an easier target.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tutorial_app import pow, zips


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str


def judge(result_zip: Path, input_data: str, difficulty: int) -> Verdict:
    """Read the result zip and check its proof; never raises for bad results."""
    try:
        name, text = zips.read_named_text_member(result_zip, zips.MAX_RESULT_BYTES, "result")
        proof = pow.parse_result(text)
        pow.check_proof(input_data, difficulty, proof)
        # Accepted results reach the user, who may extract them with any tool.
        zips.check_member_name(name, zips.RESULT_MEMBER, "result")
    except ValueError as exc:
        return Verdict(False, str(exc))
    return Verdict(True, f"nonce {proof.nonce} gives {proof.hash_hex}")

"""Judging a provider's result, and publishing our own copy of a good one.

Only the claimed nonce is trusted: the hash is recomputed from the part's
own input and difficulty, so a provider cannot pass off a result from
another part or an easier target. What reaches `task_outputs` (and from
there the user) is a zip we write from the verified proof, never the
provider's file: whatever else its bytes hold stays in `subtask_outputs`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from golem_task_api.wire.durable import write_bytes as write_atomic

from tutorial_app.files import zips
from tutorial_app.search import pow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str
    proof: pow.Proof | None = None  # set when ok


def judge(result_zip: Path, input_data: str, difficulty: int) -> Verdict:
    """Read the result zip and check its proof; never raises for bad results."""
    try:
        text = zips.read_text_member(result_zip, zips.MAX_RESULT_BYTES, "result")
        proof = pow.parse_result(text)
        pow.check_proof(input_data, difficulty, proof)
    except ValueError as exc:
        return Verdict(False, str(exc))
    return Verdict(True, f"nonce {proof.nonce} gives {proof.hash_hex}", proof)


def published_bytes(proof: pow.Proof) -> bytes:
    """The file published for a verified proof: ours, the same for the same proof."""
    return zips.result_zip_bytes(proof.to_line())


def restore_published(
    target: Path,
    proof: pow.Proof | None,
    source: Path,
    input_data: Callable[[], str],
    difficulty: int,
) -> None:
    """After a restart: make `target` our zip of the accepted proof.

    The state keeps the proof of every result accepted since it was kept with
    the verdict (journaled before the reply): the zip is made from it alone,
    whatever happened to the published file or the node's copy (neither is
    fsync'd). States written before have no proof; for those, a published copy
    that is exactly our zip of the proof it holds is kept (no hashing, so a
    restart costs no 16 MiB hash per part), else the proof is read from the
    provider's file (still in `subtask_outputs`) and judged again.
    """
    if proof is not None:
        expected = published_bytes(proof)
        if not _holds(target, expected):
            logger.warning("restoring the accepted result %s from the state", target.name)
            write_atomic(target, expected, durable=False)
        return
    with contextlib.suppress(ValueError):
        text = zips.read_text_member(target, zips.MAX_RESULT_BYTES, "published result")
        if _holds(target, published_bytes(pow.parse_result(text))):
            return
    found = judge(source, input_data(), difficulty)
    if found.proof is None:
        logger.warning("cannot restore %s: %s", target.name, found.reason)
        return
    logger.warning("restoring the accepted result %s", target.name)
    write_atomic(target, published_bytes(found.proof), durable=False)


def _holds(path: Path, expected: bytes) -> bool:
    with contextlib.suppress(OSError):
        return path.read_bytes() == expected
    return False

"""The reference search and proof check reproduce every shared reference vector."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tutorial_app import pow

VECTORS_FILE = Path(__file__).parents[2].parent / "shared" / "pow-vectors.json"


def load_vectors() -> list[dict[str, Any]]:
    if not VECTORS_FILE.exists():
        return []
    vectors: list[dict[str, Any]] = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))["vectors"]
    return vectors


VECTORS = load_vectors()
IDS = [f"{v['name']}-d{v['difficulty']}-s{v.get('start', 0)}" for v in VECTORS]

pytestmark = pytest.mark.skipif(not VECTORS, reason=f"{VECTORS_FILE} is missing")


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_search_finds_the_smallest_nonce(vector: dict[str, Any]) -> None:
    proof = pow.search(vector["input"], vector["difficulty"], start=vector.get("start", 0))
    assert proof == pow.Proof(vector["hash"], vector["smallest_nonce"])


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_check_proof_accepts_the_vector(vector: dict[str, Any]) -> None:
    line = f"{vector['hash']} {vector['smallest_nonce']}"
    pow.check_proof(vector["input"], vector["difficulty"], pow.parse_result(line))
    if vector["difficulty"] < pow.MAX_DIFFICULTY and int(vector["hash"], 16) >= 1 << (
        255 - vector["difficulty"]
    ):
        with pytest.raises(ValueError, match="too easy"):
            pow.check_proof(vector["input"], vector["difficulty"] + 1, pow.parse_result(line))

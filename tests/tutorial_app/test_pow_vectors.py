"""The reference search and proof check reproduce every reference vector.

The vectors live in this repository (tests/data/pow-vectors.json), so the
test runs, and is never skipped, in any clone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tutorial_app.search import pow

VECTOR_FILE = Path(__file__).resolve().parents[1] / "data" / "pow-vectors.json"
VECTORS: list[dict[str, Any]] = json.loads(VECTOR_FILE.read_text(encoding="utf-8"))["vectors"]
IDS = [f"{v['name']}-d{v['difficulty']}-s{v.get('start', 0)}" for v in VECTORS]


def test_the_vectors_are_there() -> None:
    assert len(VECTORS) >= 5
    assert {v["difficulty"] for v in VECTORS} >= {0, 8}


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

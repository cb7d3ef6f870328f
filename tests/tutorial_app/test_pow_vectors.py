"""The reference search and proof check reproduce every shared reference vector."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tutorial_app import pow
from tutorial_helpers import POW_VECTOR_FILES, load_pow_vectors

VECTORS = load_pow_vectors()
IDS = [f"{v['name']}-d{v['difficulty']}-s{v.get('start', 0)}" for v in VECTORS]


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


def test_bundled_vectors_match_the_shared_ones() -> None:
    shared, bundled = POW_VECTOR_FILES
    if not shared.exists():
        pytest.skip(f"{shared} is not beside this checkout")
    assert json.loads(bundled.read_text("utf-8")) == json.loads(shared.read_text("utf-8"))

"""Apps for the kit's own tests: the zoo, the compat app, the tutorial app; a sample task each."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from golem_task_api.conformance.target import AppSpec

HERE = Path(__file__).parent
ZOO_APP = HERE / "zoo_app.py"
COMPAT_ENTRY = HERE / "compat_entry.py"
WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi"


def zoo_spec(flaw: str, tmp_path: Path, **extra: Any) -> AppSpec:
    source = tmp_path / "words.txt"
    source.write_text(WORDS)
    return AppSpec(
        inputs=[source],
        params={"resources": [source.name]},
        command=[sys.executable, str(ZOO_APP), flaw],
        bad_params=[{"resources": [source.name], "salt": 5}],
        **extra,
    )


def compat_spec(tmp_path: Path, **extra: Any) -> AppSpec:
    numbers = tmp_path / "numbers.txt"
    numbers.write_text(" ".join(str(n) for n in range(1, 41)))
    return AppSpec(
        inputs=[numbers],
        params={"resources": [numbers.name]},
        command=[sys.executable, str(COMPAT_ENTRY)],
        bad_params=[{"resources": []}],
        **extra,
    )


def tutorial_spec(tmp_path: Path, **extra: Any) -> AppSpec:
    text = tmp_path / "input.txt"
    text.write_text("Golem proof of work, checked as a node runs it.\n")
    return AppSpec(
        inputs=[text],
        params={"resources": [text.name], "difficulty": 8},
        command=[sys.executable, "-m", "tutorial_app.entrypoint"],
        bad_params=[{"resources": [text.name], "difficulty": -1}],
        **extra,
    )

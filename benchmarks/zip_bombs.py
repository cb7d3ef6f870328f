"""What a zip bomb costs each role: peak memory growth and time of one read.

Each bomb is one member of zero bytes packed with bzip2 (1 GiB), LZMA
(256 MiB) or deflate (32 MiB), sizes that keep every bomb under the result
zip's size cap, whose headers claim 85 bytes. Every read runs in a fresh
child process (`tests/tutorial_app/bomb_probe.py`): the requestor judging
it as a result zip, the provider reading it as its input zip. With
`--compare CHECKOUT` each read also runs with the app's code from another
checkout (say, the main branch), side by side.

    .venv/bin/python benchmarks/zip_bombs.py [--compare /work/main] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

# The tests' forge and probe (the `tests` package, from the checkout's root).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.tutorial_app.bomb_probe import probe
from tests.tutorial_app.zip_forge import DEFLATED, LZMA, MIB, bomb, bzip2_gib_bomb

BOMBS = {
    "bzip2 1 GiB": lambda name: bzip2_gib_bomb(name),
    "lzma 256 MiB": lambda name: bomb(LZMA, 256 * MIB, name),
    "deflate 32 MiB": lambda name: bomb(DEFLATED, 32 * MIB, name),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", type=Path, help="another checkout to measure alongside")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sources: dict[str, Path | None] = {"this": None}
    if args.compare is not None:
        sources = {"other": args.compare, "this": None}
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, make in BOMBS.items():
            for role in ("requestor", "provider"):
                data = make("result.txt" if role == "requestor" else "input.txt")
                for which, source in sources.items():
                    found = probe(role, data, Path(tmp) / f"{len(rows)}", source)
                    rows.append(
                        {
                            "bomb": label,
                            "role": role,
                            "code": which,
                            "zip_bytes": len(data),
                            "peak_rss_growth_mib": round(found.grew_mib, 1),
                            "seconds": round(found.seconds, 4),
                            "outcome": found.outcome,
                        }
                    )
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"{'bomb':15} {'role':10} {'code':6} {'zip':>6} {'peak RSS +MiB':>14} {'time s':>8}")
    for row in rows:
        print(
            f"{row['bomb']:15} {row['role']:10} {row['code']:6} {row['zip_bytes']:>6} "
            f"{row['peak_rss_growth_mib']:>14} {row['seconds']:>8}  {row['outcome'][:70]}"
        )


if __name__ == "__main__":
    main()

"""What a zip bomb costs each role: peak memory growth and time of one read.

Each bomb is one member of N zero bytes packed with bzip2, LZMA or deflate
whose headers claim 85 bytes. Every read runs in a fresh child process
(`tests/tutorial_app/bomb_probe.py`): the requestor judging it as a result
zip, the provider reading it as its input zip. Run it on two checkouts to
compare before and after.

    .venv/bin/python benchmarks/zip_bombs.py [--mib 1024] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "tutorial_app"))

from bomb_probe import probe
from zip_forge import BZIP2, DEFLATED, LZMA, bomb

METHODS = {"bzip2": BZIP2, "lzma": LZMA, "deflate": DEFLATED}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024, help="bytes each bomb inflates to (MiB)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for method_name, method in METHODS.items():
            for role in ("requestor", "provider"):
                name = "result.txt" if role == "requestor" else "input.txt"
                data = bomb(method, args.mib * (1 << 20), name)
                found = probe(role, data, Path(tmp) / f"{method_name}-{role}")
                rows.append(
                    {
                        "method": method_name,
                        "role": role,
                        "zip_bytes": len(data),
                        "peak_rss_growth_mib": round(found.grew_mib, 1),
                        "seconds": round(found.seconds, 4),
                        "outcome": found.outcome[:100],
                    }
                )
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"bombs of {args.mib} MiB of zeros, each claiming 85 bytes")
    print(f"{'method':8} {'role':10} {'zip':>7} {'peak RSS +MiB':>14} {'time s':>8}  outcome")
    for row in rows:
        print(
            f"{row['method']:8} {row['role']:10} {row['zip_bytes']:>7} "
            f"{row['peak_rss_growth_mib']:>14} {row['seconds']:>8}  {row['outcome']}"
        )


if __name__ == "__main__":
    main()

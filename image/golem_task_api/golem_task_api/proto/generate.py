"""Regenerate the committed Python code from the `.proto` files.

Run `python -m golem_task_api.proto.generate [OUT_ROOT]`. The protos are
compiled with the distribution root as include path, so the generated
modules import each other as `golem_task_api.proto.*`. The drift test calls
`generate(tmp)` and compares the result with the committed files.
"""

import sys
from importlib import resources
from pathlib import Path

PROTO_DIR = Path(__file__).resolve().parent
DIST_ROOT = PROTO_DIR.parent.parent
PROTO_FILES = ("golem_task_api.proto", "constants.proto", "envs.proto")
PACKAGE_PATH = Path("golem_task_api", "proto")


def generated_names() -> list[str]:
    """The files `generate` writes for each proto, relative to the proto dir."""
    names = []
    for proto in PROTO_FILES:
        stem = proto.removesuffix(".proto")
        names += [f"{stem}_pb2.py", f"{stem}_pb2_grpc.py", f"{stem}_pb2.pyi"]
    return names


def generate(out_root: Path = DIST_ROOT) -> Path:
    """Compile the protos into `out_root/golem_task_api/proto/`; return that dir."""
    from grpc_tools import protoc  # build-time tool, not a runtime dependency

    well_known = resources.files("grpc_tools") / "_proto"
    out_root.mkdir(parents=True, exist_ok=True)
    args = [
        "grpc_tools.protoc",
        f"-I{DIST_ROOT}",
        f"-I{well_known}",
        f"--python_out={out_root}",
        f"--grpc_python_out={out_root}",
        f"--pyi_out={out_root}",
        *(str(PACKAGE_PATH / name) for name in PROTO_FILES),
    ]
    status = protoc.main(args)
    if status != 0:
        raise RuntimeError(f"protoc failed with status {status}")
    return out_root / PACKAGE_PATH


def main(argv: list[str]) -> int:
    out_root = Path(argv[0]) if argv else DIST_ROOT
    out_dir = generate(out_root)
    print(f"generated {len(generated_names())} files in {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

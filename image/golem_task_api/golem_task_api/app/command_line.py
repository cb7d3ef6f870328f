"""The app's command line: `{requestor|provider} PORT [--work-dir DIR]`.

A bad command line is a one-line usage message and exit status 2 (0.24
raised a bare Exception).
"""

import sys
from pathlib import Path

from golem_task_api.app.rpcs import Role

USAGE = "usage: {requestor|provider} PORT"
USAGE_EXIT_CODE = 2


def usage_error(message: str) -> SystemExit:
    """Print one line on stderr; the caller raises the returned SystemExit."""
    print(f"error: {message}; {USAGE}", file=sys.stderr)
    return SystemExit(USAGE_EXIT_CODE)


def parse_argv(argv: list[str]) -> tuple[Role, int]:
    if len(argv) != 2:
        raise usage_error(f"expected 2 arguments, got {len(argv)}")
    role_name, port_text = argv
    try:
        role = Role(role_name)
    except ValueError:
        raise usage_error(f"unknown role {role_name!r}") from None
    try:
        port = int(port_text)
    except ValueError:
        raise usage_error(f"port must be a number, not {port_text!r}") from None
    if not 0 < port < 65536:
        raise usage_error(f"port {port} is out of range")
    return role, port


def split_work_dir(argv: list[str], default: Path) -> tuple[Path, list[str]]:
    """Take `--work-dir DIR` (as `ProcessTaskApiService` appends it) out of `argv`."""
    rest = list(argv)
    work_dir = default
    if "--work-dir" in rest:
        index = rest.index("--work-dir")
        if index + 1 >= len(rest):
            raise usage_error("--work-dir needs a directory")
        work_dir = Path(rest[index + 1])
        del rest[index : index + 2]
    return work_dir, rest

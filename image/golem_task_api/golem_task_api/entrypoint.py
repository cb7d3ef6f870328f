"""The app's entry point: `requestor PORT` or `provider PORT`.

Apps call `await main(work_dir, argv, requestor_handler=..., ...)` with
0.24's arguments; the module itself is callable too, as 0.24.1's
`golem_task_api.entrypoint(...)` function was. A bad command line is a
one-line usage message and exit status 2 (0.24 raised a bare Exception);
SIGTERM and SIGINT stop the server gracefully.
"""

import logging
import sys
import types
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from golem_task_api import logs, signals, tls
from golem_task_api.handlers import AppLifecycleHandler, ProviderAppHandler, RequestorAppHandler
from golem_task_api.server import Role, serve
from golem_task_api.threading import Executor

logger = logging.getLogger(__name__)

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


def _stopper(lifecycle: AppLifecycleHandler) -> Callable[[], None]:
    def stop() -> None:
        logger.info("signal received, shutting down")
        Executor.request_shutdown()
        lifecycle.request_shutdown()

    return stop


async def main(
    work_dir: Path,
    argv: list[str],
    requestor_handler: RequestorAppHandler | None = None,
    requestor_lifecycle_handler: AppLifecycleHandler | None = None,
    provider_handler: ProviderAppHandler | None = None,
    provider_lifecycle_handler: AppLifecycleHandler | None = None,
    *,
    lifecycle_handler: AppLifecycleHandler | None = None,
) -> None:
    """Serve the role `argv` names until shutdown.

    The role's own lifecycle handler wins over `lifecycle_handler`, which
    serves either role.
    """
    role, port = parse_argv(argv)
    if role is Role.REQUESTOR:
        handler: RequestorAppHandler | ProviderAppHandler | None = requestor_handler
        role_lifecycle = requestor_lifecycle_handler
    else:
        handler, role_lifecycle = provider_handler, provider_lifecycle_handler
    if handler is None:
        raise usage_error(f"this app has no {role.value} handler")
    logs.configure()
    lifecycle = role_lifecycle or lifecycle_handler or AppLifecycleHandler()
    try:
        with signals.stop_on_signals(_stopper(lifecycle)):
            await serve(role, Path(work_dir), port, handler, lifecycle)
    except tls.TlsFileError as exc:  # one line naming the file, not a traceback
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None


#: 0.24.1's name: `from golem_task_api.entrypoint import entrypoint`.
entrypoint = main


class _CallableModule(types.ModuleType):
    """Lets 0.24.1 apps call the module: `await golem_task_api.entrypoint(...)`."""

    def __call__(self, *args: Any, **kwargs: Any) -> Coroutine[Any, Any, None]:
        return main(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

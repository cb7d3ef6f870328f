"""The app's entry point: `requestor PORT` or `provider PORT`.

Apps call `await main(work_dir, argv, requestor_handler=..., ...)` with
0.24's arguments (0.24.1's callable module `golem_task_api.entrypoint` is
kept by `golem_task_api.compat.entrypoint`). SIGTERM and SIGINT stop the
server gracefully.
"""

import logging
import sys
from collections.abc import Callable
from pathlib import Path

from golem_task_api.app import signals
from golem_task_api.app.command_line import parse_argv, usage_error
from golem_task_api.app.handlers import AppLifecycleHandler, ProviderAppHandler, RequestorAppHandler
from golem_task_api.app.rpcs import Role
from golem_task_api.app.server import serve
from golem_task_api.app.threading import Executor
from golem_task_api.wire import logs, tls

logger = logging.getLogger(__name__)


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

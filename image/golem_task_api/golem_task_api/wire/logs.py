"""Logging setup for app processes: stderr, level from `TASK_API_LOG_LEVEL`."""

import logging
import os
import sys

LOG_LEVEL_ENV = "TASK_API_LOG_LEVEL"
DEFAULT_LEVEL = "WARNING"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_MARK = "_golem_task_api_handler"
#: Libraries whose DEBUG is per header or per frame (hpack: some 150 lines per
#: subtask), kept at INFO so a DEBUG run shows this package's own lines.
CHATTY = ("hpack",)


def configure() -> None:
    """Send log records to stderr at the level the environment asks for.

    An unknown level name falls back to WARNING rather than failing the app;
    the `CHATTY` libraries never go below INFO.
    """
    name = os.environ.get(LOG_LEVEL_ENV, DEFAULT_LEVEL).strip().upper()
    level = logging.getLevelName(name)
    if not isinstance(level, int):
        level = logging.WARNING
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(old)  # calling configure twice must not log twice
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(_FORMAT))
    setattr(handler, _MARK, True)
    root.addHandler(handler)
    if root.level != level:  # setting it walks every logger's cache, even to the same level
        root.setLevel(level)
    for library in CHATTY:
        chatty = logging.getLogger(library)
        if chatty.level != max(level, logging.INFO):
            chatty.setLevel(max(level, logging.INFO))

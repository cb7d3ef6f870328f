"""`from_arg`: 0.24's one-call logging set-up for an app's entry point."""

import logging

DEFAULT_LEVEL = logging.INFO
DEFAULT_EXTERNAL_LOGGERS = ["hpack", "peewee"]
LOG_LEVEL_VALUES = ["CRITICAL", "ERROR", "INFO", "WARNING", "DEBUG"]
LogLevelArg = str | int

logger = logging.getLogger(__name__)


def from_arg(
    log_level_arg: LogLevelArg | None = None,
    log_level_default: int = DEFAULT_LEVEL,
    external_loggers: list[str] = DEFAULT_EXTERNAL_LOGGERS,
    external_log_level: LogLevelArg = DEFAULT_LEVEL,
) -> None:
    """Log to stderr at `log_level_arg` (a name or a number), else the default.

    Chatty libraries in `external_loggers` get `external_log_level`. An
    unknown level is reported and leaves the root level as it was.
    """
    level = log_level_arg or log_level_default
    logging.basicConfig()
    try:
        logging.getLogger().setLevel(level)
    except (ValueError, TypeError) as exc:
        logger.warning("--log-level value not valid, no level is set. value=%r: %s", level, exc)
    for name in external_loggers:
        logging.getLogger(name).setLevel(external_log_level)

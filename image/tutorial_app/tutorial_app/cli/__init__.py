"""The command line: `tutorial-app run / resume / status / check` (`python -m tutorial_app.cli`)."""

from tutorial_app.cli.parser import main

__all__ = ["main"]

"""What a fork server may ask of an app it imported: an explicit, typed interface.

A node's fork server (`golem_task_api.node.services.forkserver`) imports an
app's module once and forks apps from it. An app built on this package
registers its hooks here as its server module is imported
(`golem_task_api.app.server`); the fork server reads them after that import.
The node never imports the app side: this module is where the two meet. An
app built on anything else registers none: nothing is prewarmed or prepared,
and its starts are not announced (the node polls health).

An app may add its own steps for the parent (`before_forking`): work every
app it forks would otherwise repeat, such as a measurement of the machine,
done once and inherited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ForkHooks:
    """The app side's part in forking apps from one imported parent."""

    #: Import, in the parent, what every app would import (nothing that starts a
    #: thread or gRPC: forking must stay safe).
    prewarm: Callable[[], None]
    #: Build, in the parent, what apps forked next with this command line inherit.
    prepare_fork: Callable[[list[str]], None]
    #: The app writes the readiness byte (`readiness.announce`) once it serves.
    announces_ready: bool = True


_registered: ForkHooks | None = None
_parent_steps: list[Callable[[], None]] = []


def register(hooks: ForkHooks) -> None:
    """Called once by the app side, as its server module is imported."""
    global _registered
    _registered = hooks


def registered() -> ForkHooks | None:
    """The hooks of the app imported in this process, if it is built on this package."""
    return _registered


def before_forking(step: Callable[[], None]) -> Callable[[], None]:
    """Have a fork server's parent run `step` once, before it forks this app.

    Called by an app as it is imported; the runtime's `prewarm` runs the steps.
    A step follows prewarm's rule (no thread, no gRPC): the fork server
    refuses a parent that started a thread and starts apps plainly instead.
    """
    if step not in _parent_steps:
        _parent_steps.append(step)
    return step


def parent_steps() -> tuple[Callable[[], None], ...]:
    """The app's own steps for the parent, in the order they were added."""
    return tuple(_parent_steps)

"""What goes wrong on the node's side, as one family: each failure carries its reason.

An app that would not start, a provider that died, a file the contract
promises but is missing, a run that gave up: callers catch `NodeFailure`
(beside the transport's own `AioRpcError` and the OS's `OSError`) rather
than a tuple of types, and show `reason`.
"""

from __future__ import annotations


class NodeFailure(Exception):
    """A failure on the node's side; `reason` is the one line shown for it."""

    @property
    def reason(self) -> str:
        return str(self) or type(self).__name__

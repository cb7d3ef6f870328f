"""Golem Task API runtime, wire-compatible with golem_task_api 0.24.

App developers implement `RequestorAppHandler` and `ProviderAppHandler` and
call `entrypoint.main`; nodes and tests drive apps with the clients in
`golem_task_api.client` and the services in `golem_task_api.services`.
"""

from golem_task_api.handlers import AppLifecycleHandler, ProviderAppHandler, RequestorAppHandler

__all__ = ["AppLifecycleHandler", "ProviderAppHandler", "RequestorAppHandler"]

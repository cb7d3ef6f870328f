"""Which stack serves which role, and the fork server's typed hooks (`wire.forking`)."""

from __future__ import annotations

import pytest
from golem_task_api.app import server
from golem_task_api.app.grpcio_server import GrpcioAppServer
from golem_task_api.app.grpclib_server import GrpclibAppServer
from golem_task_api.app.rpcs import Role
from golem_task_api.wire import forking

from tests.golem_task_api.support import hello


@pytest.mark.parametrize(
    ("role", "tls_on", "expected"),
    [
        (Role.REQUESTOR, False, GrpcioAppServer),
        (Role.REQUESTOR, True, GrpclibAppServer),
        (Role.PROVIDER, False, GrpclibAppServer),
        (Role.PROVIDER, True, GrpclibAppServer),
    ],
)
def test_the_stack_table_names_one_stack_per_role_and_transport(
    role: Role, tls_on: bool, expected: type
) -> None:
    assert server.stack_for(role, tls_on) is expected
    assert set(server.STACKS) == {(r, t) for r in Role for t in (False, True)}


def test_the_grpcio_stack_refuses_a_tls_context() -> None:
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with pytest.raises(ValueError, match="plaintext"):
        GrpcioAppServer(Role.REQUESTOR, None, context)  # type: ignore[arg-type]


def test_the_app_side_registers_its_fork_hooks_as_its_server_is_imported() -> None:
    hooks = forking.registered()
    assert hooks is not None
    assert hooks.prewarm is server.prewarm
    assert hooks.prepare_fork is server.prepare_fork
    assert hooks.announces_ready


def test_a_fork_server_of_an_app_built_on_this_package_waits_for_its_readiness_byte() -> None:
    # The hooks are found through `wire.forking`, not by attribute names in a module.
    assert hello("golem_task_api.app.entrypoint")["ready_signal"] is True


def test_an_apps_own_steps_run_once_in_prewarm_and_a_failing_one_stops_nothing(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []

    def broken() -> None:
        ran.append("broken")
        raise RuntimeError("no measurement today")

    def measure() -> None:
        ran.append("measure")

    monkeypatch.setattr(forking, "_parent_steps", [])
    assert forking.before_forking(broken) is broken
    forking.before_forking(measure)
    forking.before_forking(measure)  # an app imported twice adds it once
    assert forking.parent_steps() == (broken, measure)
    server.prewarm()
    assert ran == ["broken", "measure"]
    assert "a step before forking failed" in caplog.text

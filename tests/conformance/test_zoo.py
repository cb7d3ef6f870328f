"""The zoo: each deliberately broken app is caught by the check meant for it.

Each app runs only its check plus `requestor.create-task` (the app is otherwise
a working app, so that check passes); the healthy zoo app passes the whole
battery, so each catch is the flaw's and not the app's.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from golem_task_api.conformance.report import Outcome
from golem_task_api.conformance.runner import run_battery

from tests.conformance.support import zoo_spec

pytestmark = pytest.mark.timeout(180)

BASELINE = "requestor.create-task"

#: flaw -> (the check that catches it, its outcome, words of the message that name the defect)
ZOO: dict[str, tuple[str, Outcome, str]] = {
    "slow-start": ("startup.plaintext", Outcome.FAIL, "not SERVING within the node's 5 s"),
    "tls-plaintext": (
        "startup.mtls",
        Outcome.FAIL,
        "not SERVING within the node's 5 s wait in mutual TLS",
    ),
    "tls-no-client-cert": (
        "tls.client-cert-required",
        Outcome.FAIL,
        "served a client with no client certificate",
    ),
    "bad-env": ("requestor.create-task", Outcome.FAIL, "a node has only docker_cpu"),
    "accepts-garbage": (
        "requestor.bad-results",
        Outcome.FAIL,
        "accepted a damaged result as SUCCESS",
    ),
    "discard-invents": ("requestor.discard", Outcome.FAIL, "returned ids it was not asked to drop"),
    "abort-loses-work": (
        "requestor.abort-subtask",
        Outcome.FAIL,
        "after AbortSubtask nothing is pending",
    ),
    "pending-never-settles": (
        "requestor.pending-settles",
        Outcome.FAIL,
        "HasPendingSubtasks true with all",
    ),
    "internal-on-unknown-ids": (
        "requestor.unknown-ids",
        Outcome.WARN,
        "Verify(unknown subtask): INTERNAL",
    ),
    "internal-on-bad-params": (
        "requestor.bad-params",
        Outcome.WARN,
        "refused as the app's own failure",
    ),
    "forgets-state": ("requestor.restart", Outcome.FAIL, "the requestor forgot its state"),
    "absolute-path": ("provider.result-path", Outcome.FAIL, "Compute returned the absolute path"),
    "escaping-path": ("provider.result-path", Outcome.FAIL, "escapes the provider's task dir"),
    "stays-alive": (
        "provider.exits-after-call",
        Outcome.FAIL,
        "still ran 5 s after its Compute reply",
    ),
    "loses-last-reply": (
        "provider.final-replies",
        Outcome.FAIL,
        "final replies lost to the node's h2 client",
    ),
    "ignores-shutdown": (
        "provider.shutdown-during-compute",
        Outcome.FAIL,
        "still ran 3 s after Shutdown",
    ),
    "negative-benchmark": ("provider.benchmark", Outcome.FAIL, "negative score"),
    "writes-outside": ("files.work-dir-only", Outcome.FAIL, "wrote outside its work dir"),
}


@pytest.mark.parametrize("flaw", list(ZOO))
async def test_each_flaw_is_caught_by_its_check(flaw: str, tmp_path: Path) -> None:
    name, outcome, words = ZOO[flaw]
    spec = zoo_spec(flaw, tmp_path, rounds=8)
    names = [name] if name == BASELINE or flaw == "slow-start" else [name, BASELINE]
    report = await run_battery(spec, names, root=tmp_path)
    verdicts = {verdict.check: verdict for verdict in report.verdicts}
    caught = verdicts[name]
    print(caught.line())
    assert caught.outcome is outcome, caught.line()
    assert words in caught.evidence
    if BASELINE in names and name != BASELINE:
        assert verdicts[BASELINE].outcome is Outcome.PASS, verdicts[BASELINE].line()
    assert report.ok is (outcome is not Outcome.FAIL)


async def test_the_healthy_zoo_app_passes_every_check(tmp_path: Path) -> None:
    report = await run_battery(zoo_spec("none", tmp_path, rounds=3), root=tmp_path)
    print(report.text())
    assert [v.line() for v in report.verdicts if v.outcome is not Outcome.PASS] == []
    assert {v.check for v in report.verdicts} >= {check for check, _, _ in ZOO.values()}

"""The kit on apps we did not tune it on: our tutorial app and the 0.24 compat app
pass every required check; the command line's exit status, --json and --junit."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from golem_task_api.conformance.report import Outcome
from golem_task_api.conformance.runner import run_battery

from tests.conformance.support import ZOO_APP, compat_spec, tutorial_spec

pytestmark = pytest.mark.timeout(300)


async def test_the_tutorial_app_passes_every_required_check(tmp_path: Path) -> None:
    report = await run_battery(tutorial_spec(tmp_path, rounds=5), root=tmp_path)
    print(report.text())
    assert report.ok, report.text()
    assert report.count(Outcome.PASS) == len(report.verdicts)


async def test_the_024_compat_app_passes_every_required_check(tmp_path: Path) -> None:
    report = await run_battery(compat_spec(tmp_path, rounds=5), root=tmp_path)
    print(report.text())
    assert report.ok, report.text()
    # Its AbortTask leaves the parts pending: the node survives it, so a warn.
    warned = [v.check for v in report.verdicts if v.outcome is Outcome.WARN]
    assert warned == ["requestor.abort-task"]


def check_app(tmp_path: Path, flaw: str, *extra: str) -> subprocess.CompletedProcess[str]:
    words = tmp_path / "words.txt"
    words.write_text("one two three four five six")
    command = [sys.executable, "-m", "golem_task_api.cli", "check-app"]
    app = f"python {ZOO_APP} {flaw}"
    args = [*command, "--app", app, "--input", str(words), *extra]
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


def test_exit_status_json_and_junit(tmp_path: Path) -> None:
    junit = tmp_path / "report.xml"
    checks = ["--check", "provider.benchmark", "--check", "requestor.bad-params"]
    done = check_app(tmp_path, "negative-benchmark", *checks, "--json", "--junit", str(junit))
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    outcomes = {c["check"]: c["outcome"] for c in report["checks"]}
    assert outcomes == {"requestor.bad-params": "skip", "provider.benchmark": "fail"}
    assert report["ok"] is False
    suite = ET.parse(junit).getroot()
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("2", "1", "1")
    healthy = check_app(tmp_path, "none", "--check", "provider.benchmark")
    assert healthy.returncode == 0, healthy.stdout
    assert "pass  provider.benchmark" in healthy.stdout
    assert "1 checks: 1 pass, 0 FAIL, 0 warn, 0 skip; a node can run this app" in healthy.stdout


def test_an_unknown_check_is_a_usage_error(tmp_path: Path) -> None:
    done = check_app(tmp_path, "none", "--check", "no.such-check")
    assert done.returncode == 2
    assert "unknown checks ['no.such-check']" in done.stderr

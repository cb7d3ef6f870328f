"""Run the battery (or some of it) against one app; a verdict per check."""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from golem_task_api.conformance import (  # noqa: F401 (each module registers its checks)
    checks_provider,
    checks_publish,
    checks_requestor,
    checks_startup,
)
from golem_task_api.conformance.battery import CHECKS, Check
from golem_task_api.conformance.report import Fail, Outcome, Report, Skip, Verdict, Warn
from golem_task_api.conformance.target import AppSpec, Target
from golem_task_api.node.client import AppNotReadyError

logger = logging.getLogger(__name__)
#: No check may hang the battery: the slowest (final replies) starts 150 apps.
CHECK_TIME_LIMIT = 600.0


#: The report's order: how a node meets an app, first to last.
GROUPS = ("startup", "tls", "wire", "requestor", "provider", "files", "container", "publish")


def applicable(spec: AppSpec) -> list[Check]:
    """The checks for this app: container and publishing checks only when they apply."""
    wanted = {"any"}
    if spec.image is not None:
        wanted.add("image")
    if spec.definition is not None:
        wanted.add("definition")
    chosen = [one for one in CHECKS if one.needs in wanted]
    return sorted(chosen, key=lambda one: GROUPS.index(one.name.split(".")[0]))


def select(spec: AppSpec, names: Sequence[str] | None) -> list[Check]:
    checks = applicable(spec)
    if not names:
        return checks
    known = {one.name for one in CHECKS}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"unknown checks {unknown}; known: {sorted(known)}")
    return [one for one in checks if one.name in names]


async def run_check(one: Check, target: Target) -> Verdict:
    started = time.monotonic()
    try:
        evidence = await asyncio.wait_for(one.run(target), CHECK_TIME_LIMIT)
        outcome = Outcome.PASS
    except Fail as exc:
        outcome, evidence = Outcome.FAIL, str(exc)
    except Warn as exc:
        outcome, evidence = Outcome.WARN, str(exc)
    except Skip as exc:
        outcome, evidence = Outcome.SKIP, str(exc)
    except AppNotReadyError as exc:
        outcome, evidence = Outcome.FAIL, f"the app did not start: {exc}"
    except TimeoutError as exc:
        outcome, evidence = Outcome.FAIL, f"timed out: {exc or f'over {CHECK_TIME_LIMIT:g} s'}"
    except Exception as exc:  # any other breakage is the app's failure to meet the contract
        logger.debug("check %s", one.name, exc_info=True)
        outcome, evidence = Outcome.FAIL, f"{type(exc).__name__}: {exc}"
    return Verdict(one.name, outcome, evidence, time.monotonic() - started)


async def run_battery(
    spec: AppSpec, names: Sequence[str] | None = None, root: Path | None = None
) -> Report:
    """Every applicable check (or those named), one after another, in fresh dirs."""
    checks = select(spec, names)
    with tempfile.TemporaryDirectory(prefix="check-app-", dir=root) as scratch:
        target = Target(spec, Path(scratch))
        verdicts = [await run_check(one, target) for one in checks]
    return Report(spec.name, verdicts, checks_publish.notes(spec))

"""The battery's table: every check once, with what it is about and whether a node needs it.

A check is `async def check(target) -> str`: it returns its evidence, or
raises `report.Fail` / `Warn` / `Skip`. Checks are independent (each starts
the apps it needs in fresh dirs), so any subset can run alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from golem_task_api.conformance.target import Target

CheckFn = Callable[[Target], Awaitable[str]]


@dataclass(frozen=True)
class Check:
    name: str
    about: str
    run: CheckFn
    #: "any", "image" (only with --image) or "definition" (only with --app-definition)
    needs: str = "any"


CHECKS: list[Check] = []


def check(name: str, about: str, needs: str = "any") -> Callable[[CheckFn], CheckFn]:
    def register(fn: CheckFn) -> CheckFn:
        CHECKS.append(Check(name, about, fn, needs))
        return fn

    return register

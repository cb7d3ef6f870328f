"""One verdict per check, and the report in text, JSON and JUnit XML.

A check raises `Fail` for what breaks a node run and `Warn` for good practice
the node survives without; whatever it returns is the evidence of a pass.
"""

from __future__ import annotations

import enum
import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


class Outcome(enum.Enum):
    PASS = "pass"
    FAIL = "FAIL"
    WARN = "warn"
    SKIP = "skip"


class Fail(Exception):
    """The app breaks a node run; the message names the defect and its evidence."""


class Warn(Exception):
    """The node survives it, but it is not good practice; the message says why."""


class Skip(Exception):
    """The check does not apply (e.g. no --bad-params given)."""


@dataclass(frozen=True)
class Verdict:
    check: str
    outcome: Outcome
    evidence: str
    seconds: float

    def line(self) -> str:
        return f"{self.outcome.value:<4}  {self.check:<34} {self.evidence}"


@dataclass(frozen=True)
class Report:
    app: str
    verdicts: Sequence[Verdict]
    notes: Sequence[str] = ()

    def count(self, outcome: Outcome) -> int:
        return sum(1 for verdict in self.verdicts if verdict.outcome is outcome)

    @property
    def ok(self) -> bool:
        """Every required check passed: no FAIL (warns and skips do not count)."""
        return self.count(Outcome.FAIL) == 0

    def summary(self) -> str:
        counts = ", ".join(f"{self.count(o)} {o.value}" for o in Outcome)
        verdict = "a node can run this app" if self.ok else "a node cannot run this app as it is"
        return f"{len(self.verdicts)} checks: {counts}; {verdict}"

    def text(self) -> str:
        lines = [f"check-app: {self.app}", *self.notes, ""]
        lines += [verdict.line() for verdict in self.verdicts]
        return "\n".join([*lines, "", self.summary()])

    def to_json(self) -> str:
        return json.dumps(
            {
                "app": self.app,
                "ok": self.ok,
                "notes": list(self.notes),
                "summary": self.summary(),
                "checks": [
                    {
                        "check": v.check,
                        "outcome": v.outcome.value.lower(),
                        "evidence": v.evidence,
                        "seconds": round(v.seconds, 3),
                    }
                    for v in self.verdicts
                ],
            },
            indent=2,
        )

    def write_junit(self, path: Path) -> None:
        """JUnit XML: a FAIL is a failure, a skip skipped; a warn passes with its text as output."""
        suite = ET.Element(
            "testsuite",
            name="golem-task-api check-app",
            tests=str(len(self.verdicts)),
            failures=str(self.count(Outcome.FAIL)),
            skipped=str(self.count(Outcome.SKIP)),
            time=f"{sum(v.seconds for v in self.verdicts):.3f}",
        )
        for verdict in self.verdicts:
            case = ET.SubElement(
                suite,
                "testcase",
                classname="check-app",
                name=verdict.check,
                time=f"{verdict.seconds:.3f}",
            )
            if verdict.outcome is Outcome.FAIL:
                ET.SubElement(case, "failure", message=verdict.evidence).text = verdict.evidence
            elif verdict.outcome is Outcome.SKIP:
                ET.SubElement(case, "skipped", message=verdict.evidence)
            else:
                ET.SubElement(
                    case, "system-out"
                ).text = f"{verdict.outcome.value}: {verdict.evidence}"
        ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)

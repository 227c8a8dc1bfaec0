"""One line of ``bench/attack.py``'s report: a check, what it found, and why."""

from __future__ import annotations

from dataclasses import dataclass

PASS, FINDING, SKIPPED = "PASS", "FINDING", "SKIPPED"


@dataclass(frozen=True)
class Outcome:
    item: int  # the numbered point of issue 16 the check replays
    name: str
    status: str
    reason: str

    def line(self) -> str:
        return f"{self.status:8s} {self.item:>2}  {self.name:52s} {self.reason}"


def verdict(item: int, name: str, held: bool, reason: str) -> Outcome:
    return Outcome(item, name, PASS if held else FINDING, reason)


def skipped(item: int, name: str, reason: str) -> Outcome:
    return Outcome(item, name, SKIPPED, reason)

"""The performance targets of the issue, each marked met or not met by a run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .harness import met, table


@dataclass
class Target:
    what: str  # the figure: "A: ordinance, trace off"
    target: str  # "≤ 5 µs per evaluation"
    figure: str  # what this run measured, in words
    ok: bool | None  # None: not measured (with the reason in figure)


def render(targets: Sequence[Target]) -> str:
    return table(["figure", "target", "this run", "status"],
                 [[t.what, t.target, t.figure, met(t.ok)] for t in targets])

"""Undetermined claims as other claims wait on them: the words, the reason and the trace steps.

A claim whose result hangs on undetermined claims is left open (:mod:`ordinance.rules.span` for
the rules spanning the claims of one case, :mod:`ordinance.rules.quotas` across cases).  What
such a claim says -- the reason naming the claims it waits on and the facts they miss, its
``depends`` and ``bounds`` trace steps -- is built here from plain values, so that a decision
made by the engine and one patched in the output of ``ordinance batch`` say it in the same words.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterable

from ..decision import ClaimResult, range_words
from ..front.model import Label
from ..messages import msg
from ..plan.steps import reason
from ..trace import TraceNode


#: the reason code of a claim left open by undetermined claims
DEPENDS = "depends-on-undetermined"


def joined(depends: list[str], waiting: dict[str, list[str]], more: list[str], more_waiting: dict[str, list[str]]
           ) -> tuple[list[str], dict[str, list[str]]]:
    """Two sets of claims waited on, and their facts, as one (in order, each once)."""
    return depends + [d for d in more if d not in depends], {**waiting, **more_waiting}


def waiting_reason(reasons: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    for r in reasons:
        if r.get("code") == DEPENDS:
            return dict(r["waiting_on"])
    return {}


def waiting_on(result: ClaimResult) -> dict[str, list[str]]:
    """The facts an undetermined claim waits on, by claim: its own missing facts, and those of the
    claims it depends on."""
    out = waiting_reason(result.reasons)
    if result.missing:
        out[result.claim] = list(result.missing)
    return out


def depends_reason(depends: list[str], waiting: dict[str, list[str]]) -> dict[str, Any]:
    """The reason of a claim left open by the undetermined claims ``depends``."""
    facts = "; ".join(f"{claim}: {', '.join(missing)}" for claim, missing in waiting.items())
    names = "、".join(depends)
    return reason(DEPENDS, f"取決於尚未確定的申請{names}" + (f"（待補：{facts}）" if facts else ""),
                  f"depends on undetermined claim{'s' if len(depends) > 1 else ''} {', '.join(depends)}"
                  + (f" (waiting on {facts})" if facts else ""), claims=list(depends), waiting_on=waiting)


def depends_node(step: str, depends: list[str], note: str) -> TraceNode:
    """The trace step of a rule (``step``) that left the claim open, waiting on ``depends``."""
    return TraceNode("depends", step, inputs={_DEPENDS_ON: ", ".join(depends)}, result="undetermined", notes=[note])


def bounds_node(least: Decimal, most: Decimal | None, depends: list[str] | tuple[()]) -> TraceNode:
    """The trace's last step of an undetermined claim: the least and the most it can come to."""
    node = TraceNode("bounds", "bounds", _BOUNDS_LABEL, inputs={_AT_LEAST: least, _AT_MOST: most},
                     result="undetermined", notes=[range_words(least, most, depends)])
    node.types = {_AT_LEAST: "money", _AT_MOST: "money"}
    return node


_BOUNDS_LABEL = Label("尚未確定的金額範圍", "the range still open")
#: the names of the inputs of these steps (their English is the JSON's)
_DEPENDS_ON, _AT_LEAST, _AT_MOST = msg("input.depends-on"), msg("input.at-least"), msg("input.at-most")

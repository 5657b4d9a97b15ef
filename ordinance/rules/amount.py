"""The rules of one claim's amount, once for both back-ends.

The amount a measure's formula gives is brought up to the plan's floor (a negative amount is
nothing), bounded by each cap on the claim in order, then rounded as the plan says (to the
cent, half up: :data:`ordinance.plan.build.ROUND_TO`).  The reference interpreter
(:mod:`ordinance.run.interpret`) and the generated code (:mod:`ordinance.run.pygen`) both call
these functions; neither writes the rules itself.
"""

from __future__ import annotations

from decimal import Decimal

from ..plan.steps import Amount


def floored(amount: Decimal, step: Amount) -> Decimal:
    """``amount``, or the plan's floor where it is below it."""
    return step.floor if amount < step.floor else amount


def capped(amount: Decimal, limit: Decimal) -> Decimal:
    """``amount`` bounded by one cap's ``limit``."""
    return limit if amount > limit else amount


def rounded(amount: Decimal, step: Amount) -> Decimal:
    """``amount`` rounded as the plan says."""
    return amount.quantize(step.quantum, step.rounding)

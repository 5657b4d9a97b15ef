"""The hand-written compute voucher (:mod:`benchmarks.reference`): Decimal and integer cents."""

from __future__ import annotations

import decimal

from .. import reference as R
from ..harness import Built, Engine


def _decimal() -> Built:
    return Built(R.decimal_inputs, R.decimal_subsidy, R.decimal_cents,
                 context=lambda: decimal.localcontext(decimal.Context(prec=34)))


def _cents() -> Built:
    return Built(R.cents_inputs, R.cents_subsidy, lambda c: c)


def engines(quick: bool = False) -> list[Engine]:
    return [
        Engine("hand-written, Decimal (the reference)", "limit", _decimal,
               input="typed tuple: Decimal revenue and spend (yuan), date, bool",
               includes="validity, tier, spend × rate rounded half up, min(cap)", key="decimal"),
        Engine("hand-written, integer cents", "limit", _cents,
               input="typed tuple: int revenue (yuan), int spend (cents), date ordinal, bool",
               includes="as above, in integers", key="cents"),
    ]

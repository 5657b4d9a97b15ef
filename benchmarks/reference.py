"""The compute voucher written by hand: the physical limit of Python for this rule.

三(八) 算力券, for one applicant with one claim (so the yearly cap per entity is a plain
``min``):

- the claim's date within the policy's validity, 2025-04-21 to 2027-12-31, both included;
- the computing service qualifies;
- universities and research institutes: 50%, at most 200萬 a year, whatever their revenue;
- enterprises: revenue 10億 or more 30% / 1000萬; 1億 up to 10億 40% / 500萬; below 1億 50% / 200萬;
- subsidy = min(spend × rate rounded to the cent half up, cap); anything else 0.

:func:`decimal_subsidy` works in yuan with :class:`~decimal.Decimal` (the reference every
engine is checked against); :func:`cents_subsidy` in integer cents.  Neither checks its input:
they are the floor under any engine that must.
"""

from __future__ import annotations

import datetime as _dt
from decimal import ROUND_HALF_UP, Decimal

from .applicants import SHI_YI, VALID_FROM, VALID_UNTIL, YI, Applicant

CENT = Decimal("0.01")
ZERO = Decimal(0)
_YI, _SHI_YI = Decimal(YI), Decimal(SHI_YI)
R30, R40, R50 = Decimal("0.30"), Decimal("0.40"), Decimal("0.50")
CAP_1000W, CAP_500W, CAP_200W = Decimal(10_000_000), Decimal(5_000_000), Decimal(2_000_000)


def decimal_inputs(a: Applicant) -> tuple[str, Decimal, Decimal, _dt.date, bool]:
    return a.kind, Decimal(a.revenue), a.spend, a.date, a.qualified


def decimal_subsidy(inputs: tuple[str, Decimal, Decimal, _dt.date, bool]) -> Decimal:
    kind, revenue, spend, day, qualified = inputs
    if not qualified or day < VALID_FROM or day > VALID_UNTIL:
        return ZERO
    if kind == "university" or kind == "research-institute" or revenue < _YI:
        rate, cap = R50, CAP_200W
    elif revenue >= _SHI_YI:
        rate, cap = R30, CAP_1000W
    else:
        rate, cap = R40, CAP_500W
    amount = (spend * rate).quantize(CENT, ROUND_HALF_UP)
    return cap if amount > cap else amount


def cents_inputs(a: Applicant) -> tuple[str, int, int, int, bool]:
    return a.kind, a.revenue, a.spend_cents, a.date.toordinal(), a.qualified


_FROM, _UNTIL = VALID_FROM.toordinal(), VALID_UNTIL.toordinal()


def cents_subsidy(inputs: tuple[str, int, int, int, bool]) -> int:
    kind, revenue, spend_cents, day, qualified = inputs
    if not qualified or day < _FROM or day > _UNTIL:
        return 0
    if kind == "university" or kind == "research-institute" or revenue < YI:
        pct, cap = 50, 200_000_000
    elif revenue >= SHI_YI:
        pct, cap = 30, 1_000_000_000
    else:
        pct, cap = 40, 500_000_000
    amount = (spend_cents * pct + 50) // 100  # half up: spend_cents * pct / 100 is never negative
    return cap if amount > cap else amount


def decimal_cents(amount: Decimal) -> int | str:
    """Yuan to whole cents; an amount with a fraction of a cent is returned as text (a mismatch)."""
    scaled = amount.scaleb(2)
    if scaled != scaled.to_integral_value():
        return f"{amount} (not whole cents)"
    return int(scaled)


def float_cents(amount: float) -> int | str:
    """A float in yuan to whole cents, when it is within 1/10,000 of a cent of one (else text: a mismatch)."""
    scaled = float(amount) * 100
    whole = round(scaled)
    if abs(scaled - whole) > 1e-4:
        return f"{amount!r} (not whole cents)"
    return int(whole)


def expected_cents(a: Applicant) -> int:
    """The reference subsidy of ``a`` in cents."""
    result = decimal_cents(decimal_subsidy(decimal_inputs(a)))
    assert isinstance(result, int)
    return result

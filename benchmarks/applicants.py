"""Generated applicants for the compute voucher (三(八) 算力券), one claim each.

The same seed gives the same applicants.  The first ones are the *boundary* applicants,
written out by hand so that every engine meets each edge of the rule whatever ``n`` is:

- revenue exactly 1億 and 10億 and one yuan below each (the tiers' lower bounds are 含);
- universities and research institutes, whatever their revenue (always the 50% tier);
- claim dates 2025-04-20 / 2025-04-21 and 2027-12-31 / 2028-01-01 (the policy's validity,
  both ends included);
- spends whose subsidy hits each tier's yearly cap exactly, one cent above and below it,
  and spends whose subsidy ends in exactly half a cent (rounding half up);
- a service that does not qualify, in every tier.

The rest are random: mostly enterprises across the three revenue tiers, some outside the
validity window, a few unqualified services.

An :class:`Applicant` holds the facts once; each engine takes the form it needs
(:meth:`Applicant.case` for ordinance's public API, the Decimal or integer forms for the
hand-written functions, a plain dict for the peers).
"""

from __future__ import annotations

import datetime as _dt
import random
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, NamedTuple

SEED = 20250421

VALID_FROM = _dt.date(2025, 4, 21)
VALID_UNTIL = _dt.date(2027, 12, 31)

YI = 100_000_000  # 1億 yuan
SHI_YI = 1_000_000_000  # 10億 yuan

#: (rate in percent, yearly cap in yuan) of each tier
TIERS = {"top": (30, 10_000_000), "middle": (40, 5_000_000), "base": (50, 2_000_000)}

ACADEMIC = ("university", "research-institute")


class Applicant(NamedTuple):
    index: int
    kind: str  # enterprise | university | research-institute
    revenue: int  # annual operating revenue, whole yuan
    spend_cents: int  # spend on computing services, in cents
    date: _dt.date  # the claim's date
    qualified: bool  # the computing service qualifies
    label: str = ""  # why a boundary applicant is there ("" for random ones)

    # -- the forms engines take ----------------------------------------------------------------
    @property
    def spend_text(self) -> str:
        """The spend in yuan with two decimals, as a JSON case carries money: ``"1234567.89"``."""
        return f"{self.spend_cents // 100}.{self.spend_cents % 100:02d}"

    @property
    def spend(self) -> Decimal:
        return Decimal(self.spend_text)

    @property
    def day(self) -> int:
        """The date as an integer ``yyyymmdd`` (for engines without dates)."""
        return self.date.year * 10000 + self.date.month * 100 + self.date.day

    def case(self, case_id: str | None = None) -> dict[str, Any]:
        """The case for ordinance: one applicant, one compute-voucher claim (plain JSON data)."""
        case: dict[str, Any] = {}
        if case_id is not None:
            case["case"] = case_id
        case["applicant"] = {"kind": self.kind, "annual_revenue": self.revenue}
        case["claims"] = [{"id": "c1", "measure": "compute-voucher", "date": self.date.isoformat(),
                           "compute_spend": self.spend_text, "service_qualified": self.qualified}]
        return case

    def record(self) -> dict[str, Any]:
        """A plain record for the peers: every field in a JSON-friendly form."""
        return {"kind": self.kind, "revenue": self.revenue, "spend": self.spend_cents / 100,
                "spend_cents": self.spend_cents, "date": self.date.isoformat(), "day": self.day,
                "qualified": self.qualified}

    def describe(self) -> str:
        return (f"#{self.index} {self.kind} revenue={self.revenue} spend={self.spend_text} "
                f"date={self.date.isoformat()} qualified={str(self.qualified).lower()}"
                + (f" [{self.label}]" if self.label else ""))


def _cap_spends() -> list[tuple[int, str]]:
    """Spends (cents) around the point where each tier's subsidy reaches its cap."""
    out = []
    for name, (pct, cap_yuan) in TIERS.items():
        cap_cents = cap_yuan * 100
        exact, rest = divmod(cap_cents * 100, pct)  # spend whose subsidy is the cap
        if rest == 0:
            points = [(exact, "hits the cap exactly")]
        else:  # 30%: no spend in cents gives 1000萬 exactly; both neighbours
            points = [(exact, "just below the exact cap spend"), (exact + 1, "just above the exact cap spend")]
        for cents, what in points:
            out.append((cents, f"{name} tier {pct}%: {what}"))
        low, high = points[0][0], points[-1][0]
        out += [(low - 1, f"{name} tier {pct}%: 1 cent below"), (high + 1, f"{name} tier {pct}%: 1 cent above"),
                (low - 100, f"{name} tier {pct}%: 1 yuan below"), (high + 100, f"{name} tier {pct}%: 1 yuan above")]
    out += [(0, "no spend"), (1, "1 cent (50%: half a cent)"), (5, "5 cents (30%: 1.5 cents)"),
            (1235, "12.35 (30%: 3.705)"), (3333, "33.33 (30%: 9.999)")]
    return out


def boundary_applicants() -> list[Applicant]:
    """The hand-written edge cases (see the module's docstring), in a fixed order."""
    ok_day = _dt.date(2025, 6, 1)
    rows: list[tuple[str, int, int, _dt.date, bool, str]] = []
    # the revenue bounds, with every cap and rounding spend
    for revenue, what in ((YI - 1, "revenue 1億 - 1"), (YI, "revenue 1億 exactly"), (SHI_YI - 1, "revenue 10億 - 1"),
                          (SHI_YI, "revenue 10億 exactly"), (0, "revenue 0")):
        for cents, spend_what in _cap_spends():
            rows.append(("enterprise", revenue, cents, ok_day, True, f"{what}; {spend_what}"))
    # universities and research institutes: the 50% tier whatever the revenue
    for kind in ACADEMIC:
        for revenue in (50_000_000, YI, SHI_YI, 50 * SHI_YI):
            for cents, spend_what in ((400_000_000, "hits 200萬 exactly"), (400_000_001, "1 cent above"),
                                      (399_999_999, "1 cent below"), (1, "half a cent")):
                rows.append((kind, revenue, cents, ok_day, True, f"{kind} revenue {revenue}; {spend_what}"))
    # the validity window, both ends included
    for day in (_dt.date(2025, 4, 20), VALID_FROM, VALID_UNTIL, _dt.date(2028, 1, 1)):
        for kind, revenue in (("enterprise", 5 * YI), ("university", 5 * YI)):
            rows.append((kind, revenue, 100_000_000, day, True, f"date {day.isoformat()}"))
    # an unqualified service, in every tier
    for kind, revenue in (("enterprise", 5 * YI // 10), ("enterprise", 5 * YI), ("enterprise", 5 * SHI_YI),
                          ("university", 5 * SHI_YI), ("research-institute", 0)):
        rows.append((kind, revenue, 100_000_000, ok_day, False, "service not qualified"))
    return [Applicant(i, *row) for i, row in enumerate(rows)]


def _random_applicant(rng: random.Random, index: int) -> Applicant:
    r = rng.random()
    kind = "university" if r < 0.05 else "research-institute" if r < 0.10 else "enterprise"
    band = rng.random()
    if band < 1 / 3:
        revenue = int(10 ** rng.uniform(5, 8))  # below 1億
    elif band < 2 / 3:
        revenue = rng.randrange(YI, SHI_YI)
    else:
        revenue = rng.randrange(SHI_YI, 100 * SHI_YI)
    spend_cents = int(10 ** rng.uniform(5, 10))  # 1,000 yuan to 1億
    if rng.random() < 0.92:
        day = VALID_FROM + _dt.timedelta(days=rng.randrange((VALID_UNTIL - VALID_FROM).days + 1))
    elif rng.random() < 0.5:
        day = _dt.date(2025, 1, 1) + _dt.timedelta(days=rng.randrange(110))  # up to 2025-04-20
    else:
        day = _dt.date(2028, 1, 1) + _dt.timedelta(days=rng.randrange(180))
    return Applicant(index, kind, revenue, spend_cents, day, rng.random() < 0.95)


def iter_applicants(n: int, seed: int = SEED) -> Iterator[Applicant]:
    """The boundary applicants, then random ones up to ``n`` in all (at least every boundary)."""
    fixed = boundary_applicants()
    yield from fixed
    rng = random.Random(seed)
    for i in range(len(fixed), n):
        yield _random_applicant(rng, i)


def generate(n: int, seed: int = SEED) -> list[Applicant]:
    return list(iter_applicants(n, seed))

"""``rule-engine`` (pure Python, zeroSteiner): one expression.  Its numbers are Decimals, so
it is given the spend in yuan as a Decimal and the date as a date; it returns cents."""

from __future__ import annotations

from decimal import Decimal

from ..harness import Built, Engine

EXPRESSION = (
    'not qualified or date < d"2025-04-21" or date > d"2027-12-31" ? 0 : ('
    '(kind in ["university", "research-institute"] or revenue < 100000000) ? $min([(spend * 50 + 0.5) // 1, 200000000]) : '
    "revenue >= 1000000000 ? $min([(spend * 30 + 0.5) // 1, 1000000000]) : "
    "$min([(spend * 40 + 0.5) // 1, 500000000]))")


def _build() -> Built:
    import rule_engine

    rule = rule_engine.Rule(EXPRESSION)

    def prepare(a):
        return {"kind": a.kind, "revenue": a.revenue, "spend": a.spend, "date": a.date, "qualified": a.qualified}

    def cents(v) -> int | str:
        return int(v) if isinstance(v, (int, Decimal)) and v == int(v) else f"{v!r} (not whole cents)"

    return Built(prepare, rule.evaluate, cents)


def engines(quick: bool = False) -> list[Engine]:
    return [Engine("rule-engine: one expression (`Rule.evaluate`)", "peer", _build, module="rule_engine",
                   dist="rule-engine", input="dict: Decimal spend in yuan, date, int revenue",
                   includes="one expression, returns cents")]

"""A check pass for tiered decision tables: rows that can never match, and values no row covers.

Statutes write tiers as thresholds on one fact ("10億(含)以上 30%; 1億(含)—10億 40%; 1億以下
50%").  A table whose rows test one fact against constants (``>=``, ``>``, ``<``, ``<=``, ``==``,
``and`` of two such, ``between``) is read here as intervals of that fact:

- a row whose interval is already covered by the rows above it can never be chosen (first
  matching row wins): ``unreachable-row``, which is how overlapping tiers show;
- values of the fact's domain (money: 0 and up; numbers, rates, dates: all) that no tier and no
  ``otherwise`` row covers are a gap: ``tier-gap``, naming the first uncovered range.

Rows that test anything else (``applicant.kind == "university"``) are left out of the analysis:
they neither shadow nor fill a tier.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from ..errors import Problem
from ..grammar import ast as A
from ..front.model import MeasureDef, TableDef


@dataclass(frozen=True)
class Interval:
    """A range of values; ``None`` as a bound means unbounded on that side."""

    low: Any
    low_closed: bool
    high: Any
    high_closed: bool

    @property
    def empty(self) -> bool:
        if self.low is None or self.high is None:
            return False
        return self.low > self.high or (self.low == self.high and not (self.low_closed and self.high_closed))

    def intersect(self, other: "Interval") -> "Interval":
        low, low_closed = _max_low((self.low, self.low_closed), (other.low, other.low_closed))
        high, high_closed = _min_high((self.high, self.high_closed), (other.high, other.high_closed))
        return Interval(low, low_closed, high, high_closed)

    def minus(self, other: "Interval") -> list["Interval"]:
        if self.intersect(other).empty:
            return [self]
        parts = []
        if other.low is not None:
            parts.append(Interval(self.low, self.low_closed, other.low, not other.low_closed).intersect(self))
        if other.high is not None:
            parts.append(Interval(other.high, not other.high_closed, self.high, self.high_closed).intersect(self))
        return [p for p in parts if not p.empty]

    def describe(self, show: Callable[[Any], str]) -> str:
        if self.low is not None and self.high is not None and self.low == self.high:
            return f"exactly {show(self.low)}"
        parts = []
        if self.low is not None:
            parts.append(f"{'from' if self.low_closed else 'above'} {show(self.low)}")
        if self.high is not None:
            parts.append(f"{'up to and including' if self.high_closed else 'below'} {show(self.high)}")
        return " ".join(parts) or "any value"


def _max_low(a, b):
    if a[0] is None:
        return b
    if b[0] is None:
        return a
    if a[0] != b[0]:
        return a if a[0] > b[0] else b
    return (a[0], a[1] and b[1])


def _min_high(a, b):
    if a[0] is None:
        return b
    if b[0] is None:
        return a
    if a[0] != b[0]:
        return a if a[0] < b[0] else b
    return (a[0], a[1] and b[1])


EVERYTHING = Interval(None, False, None, False)
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "=="}


def row_interval(tree: A.Node) -> tuple[str, Interval] | None:
    """``(fact, interval)`` if the row tests one name against constants only, else None."""
    if isinstance(tree, A.Compare) and tree.op in _FLIP:
        name, literal, op = tree.left, tree.right, tree.op
        if isinstance(name, A.Literal) and isinstance(literal, A.Name):
            name, literal, op = literal, name, _FLIP[op]
        if not (isinstance(name, A.Name) and isinstance(literal, A.Literal) and literal.kind != "string"
                and literal.kind != "bool"):
            return None
        v = literal.value
        return name.dotted, {"<": Interval(None, False, v, False), "<=": Interval(None, False, v, True),
                             ">": Interval(v, False, None, False), ">=": Interval(v, True, None, False),
                             "==": Interval(v, True, v, True)}[op]
    if isinstance(tree, A.Chain) and tree.level == "and":
        found = row_interval(tree.operands[0])
        for operand in tree.operands[1:]:
            more = row_interval(operand)
            if not (found and more and found[0] == more[0]):
                return None
            found = found[0], found[1].intersect(more[1])
        return found
    if isinstance(tree, A.Call) and tree.function == "between" and len(tree.arguments) == 3:
        x, lo, hi = tree.arguments
        if isinstance(x, A.Name) and isinstance(lo, A.Literal) and isinstance(hi, A.Literal):
            return x.dotted, Interval(lo.value, True, hi.value, True)
    return None


def check_table(measure: MeasureDef, table: TableDef, type_of: Callable[[str], str | None],
                report: Callable[[Problem], None]) -> None:
    """Report unreachable tiers and gaps of ``table`` (see the module docstring)."""
    tiers: dict[str, list[tuple[int, Interval]]] = {}
    for i, row in enumerate(table.rows):
        if row.when is None:
            continue
        found = row_interval(row.when.tree)
        if found is not None:
            tiers.setdefault(found[0], []).append((i, found[1]))
    if not tiers:
        return
    fact, rows = max(tiers.items(), key=lambda kv: len(kv[1]))
    if len(rows) < 2:
        return
    kind = type_of(fact)
    show = _shower(kind)
    covered: list[tuple[int, Interval]] = []
    for i, interval in rows:
        rest = [interval]
        for _, earlier in covered:
            rest = [piece for part in rest for piece in part.minus(earlier)]
        if not rest:
            shadowing = [j + 1 for j, earlier in covered if not interval.intersect(earlier).empty]
            report(Problem("unreachable-row",
                           f"row {i + 1} of table `{table.name}` can never match: {fact} "
                           f"{interval.describe(show)} is already taken by row"
                           f"{'s' if len(shadowing) > 1 else ''} {', '.join(map(str, shadowing))}",
                           table.rows[i].location,
                           "the first matching row wins: order tiers from the most specific, or fix the bound"))
        covered.append((i, interval))
    if any(row.when is None for row in table.rows):
        return
    domain = Interval(Decimal(0), True, None, False) if kind == "money" else EVERYTHING
    gaps = [domain]
    for _, interval in covered:
        gaps = [piece for part in gaps for piece in part.minus(interval)]
    if gaps:
        report(Problem("tier-gap", f"no row of table `{table.name}` applies when {fact} is "
                       + " or ".join(g.describe(show) for g in gaps[:3]), table.location,
                       "add the missing tier, or an `otherwise: true` row if such values are meant to be refused "
                       "another way"))


def _shower(kind: str | None) -> Callable[[Any], str]:
    from ..values import format_money, format_rate

    if kind == "money":
        return format_money
    if kind == "rate":
        return format_rate
    return str

"""The steps of a measure's plan: frozen records, one per thing the statute says.

A plan holds what both back-ends need and nothing they compute: each expression as the
checker typed it (:class:`Expr`, with its text, location, the names it reads and their
types), the wording of each refusal, the validity windows with their first and last day, how
the amount is rounded, which caps bound a claim alone and which span awards (with the key of
their pool), and the rules spanning claims the measure takes part in (:attr:`MeasurePlan.spans`).
A semantic fixed here -- the rounding, a cap's scope, the words of a reason -- is fixed for
the interpreter and the generated code alike.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping

from ..errors import Location
from ..types import Type
from ..check.checker import TypedExpression
from ..grammar import ast as A
from ..front.model import Citation, Label, Validity
from ..messages import msg

#: Bits of :attr:`MeasurePlan.spans`: the rules spanning claims a measure takes part in.
ONE_TIME, EXCLUSIVE, POOLED_CAPS, QUOTA = 1, 2, 4, 8

#: How the trace words each cap scope.
SCOPE_WORDS = {scope: msg(f"scope.{scope}") for scope in ("claim", "entity-year", "project", "product",
                                                            "project-year", "product-year")}

#: How a cap spanning awards keys its pool: by (pool, year), (pool, project) or (pool, project, year).
SCOPE_ENTITY_YEAR, SCOPE_PROJECT, SCOPE_PROJECT_YEAR = 0, 1, 2

#: Cap scopes that span several claims and prior awards (``claim`` bounds one claim only).
POOLED_SCOPES = ("project", "product", "project-year", "product-year", "entity-year")


def reason(code: str, zh: str, en: str, **extra: Any) -> dict[str, Any]:
    """A reason record: a stable code, the words in both languages, and details."""
    out: dict[str, Any] = {"code": code, "zh": zh, "en": en}
    out.update(extra)
    return out


def missing_facts_reason(missing: list[str]) -> dict[str, Any]:
    """The reason of a claim left undetermined by ``missing`` facts (sorted)."""
    return reason("missing-facts", "缺少事實：" + "、".join(missing), "facts needed: " + ", ".join(missing))


@dataclass(frozen=True, slots=True)
class Expr:
    """One checked expression of a measure."""

    typed: TypedExpression  # the typed tree (every node's type), as the checker left it
    text: str
    location: Location | None
    reads: tuple[str, ...]  # the names it reads, in order of first appearance
    types: Mapping[str, str]  # the static type of each name read (as words), for the trace
    result_type: str  # the static type of its value (as words)


@dataclass(frozen=True, slots=True)
class Window:
    """A validity window a claim's date must lie in: the policy's or the measure's."""

    which: str  # policy | measure
    valid: Validity
    citation: Citation | None
    label: Label
    location: Location | None
    text: str  # "claim.date within 2025-01-01 to 2027-12-31"
    shown: str  # the window as words: a Text (``2025-04-21 to 2027-12-31``, ``2025-04-21 至 2027-12-31``)
    whose: str  # 政策 | 措施
    bounds: Mapping[str, str | None]  # {"from": ..., "until": ...}, ISO


@dataclass(frozen=True, slots=True)
class Condition:
    id: str
    label: Label
    location: Location | None
    citation: Citation | None
    when: Expr
    refusal: Mapping[str, Any]  # the reason it gives when false


@dataclass(frozen=True, slots=True)
class Row:
    id: str  # table[1]
    label: Label | None
    location: Location | None
    text: str  # its condition's text, or "otherwise"
    when: Expr | None  # None: otherwise
    cells: Mapping[str, Expr]


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    label: Label | None
    location: Location | None
    citation: Citation | None
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    refusal: Mapping[str, Any]  # the reason when no row applies


@dataclass(frozen=True, slots=True)
class Value:
    name: str
    label: Label | None
    location: Location | None
    expr: Expr


@dataclass(frozen=True, slots=True)
class Parameter:
    """A parameter: folded to ``value`` when it is one constant, else values from dates on."""

    name: str
    constant: bool
    value: Any
    starts: tuple[_dt.date, ...]  # with ``exprs``: the value from each date on (the first from date.min)
    exprs: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Amount:
    """The benefit's amount: below ``floor`` it becomes ``floor`` (zero), the caps per claim
    bound it, then it is rounded to ``quantum`` with ``rounding`` (set in one place:
    :data:`ordinance.plan.build.ROUND_TO`)."""

    expr: Expr
    basis_note: str
    floor: Decimal
    quantum: Decimal
    rounding: str


@dataclass(frozen=True, slots=True)
class Cap:
    id: str
    per: str  # claim | project | product | project-year | product-year | entity-year
    label: Label | None
    location: Location | None
    citation: Citation | None
    limit: Expr
    words: str  # "per project"
    pool: str  # the pool a cap spanning awards draws from (its measure's id unless named)
    scope: int  # SCOPE_ENTITY_YEAR / SCOPE_PROJECT / SCOPE_PROJECT_YEAR (for caps spanning awards)


@dataclass(frozen=True, slots=True)
class Quota:
    count: int
    per: str
    order: str  # descending | ascending
    label: Label | None
    location: Location | None
    citation: Citation | None
    rank_by: Expr


@dataclass(frozen=True, slots=True)
class ReadingStep:
    """A reading of the text shown in the trace: under the step it is ``about``."""

    about: str | None
    label: Label
    note: str
    keep: bool  # shown at the claim's level when it is about no step of the claim


@dataclass(frozen=True, slots=True)
class MeasurePlan:
    """Everything a back-end needs to decide a claim of one measure."""

    key: str  # how the policy names the measure (qualified when ids clash)
    id: str
    policy_id: str
    title: Label
    article: str
    location: Location | None
    citation: Citation | None
    basis: str  # exact | maximum
    benefit: str  # money | assessed | in-kind | support
    claim_facts: Mapping[str, tuple[str, Type]]  # as a case names them -> (full name, type)
    parameters: Mapping[str, Parameter]
    values: Mapping[str, Value]
    tables: Mapping[str, Table]
    conditions: tuple[Condition, ...]
    amount: Amount | None
    ceiling: Expr | None
    duration: Expr | None
    caps: tuple[Cap, ...]  # every cap but the yearly one bounds the claim alone, in order
    pooled: tuple[Cap, ...]  # the caps spanning awards, in order
    all_caps: tuple[Cap, ...]  # every cap, in the rule file's order
    quota: Quota | None
    windows: tuple[Window, ...]
    first_day: _dt.date  # the first and last day inside every window
    last_day: _dt.date
    exclusive: str | None  # its exclusivity group
    group_reading: str | None  # how the group's text is read (for the trace)
    one_time: bool
    needs_project: bool  # whether a prior award under it must name its project
    spans: int  # ONE_TIME | EXCLUSIVE | POOLED_CAPS | QUOTA
    claim_notes: tuple[str, ...]
    readings: tuple[ReadingStep, ...]
    reading_targets: frozenset[str]
    basis_target: str
    #: each applicant fact given per year that the measure reads -> the period it reads
    #: (:class:`~ordinance.periods.Period`; both back-ends pick its value with ``value_for``)
    periods: Mapping[str, Any]
    #: the named values and the tables (by name) in an order where each comes after the values
    #: and tables it reads (the checker's): a chain of them is compiled, and written as code, one
    #: after the other rather than one inside the other (:func:`locals_of`)
    value_order: tuple[str, ...] = ()

    def inside(self, day: _dt.date) -> bool:
        """Whether ``day`` lies inside every validity window."""
        return self.first_day <= day <= self.last_day


#: How deep, in nodes of expression, a named value or a table may reach through the values and
#: tables it reads before the back-ends stop following it on Python's stack: the interpreter
#: computes a deeper one by a loop over what it reads (``run/interpret.py``, ``_deep_memo``), the
#: code generator writes what it reads first (``run/pygen.py``).  A chain of thousands of values
#: or tables is decided like a short one; below this bound nothing changes.
DEEP = 150


@dataclass(frozen=True, slots=True)
class Locals:
    """A measure's named values and tables (by table name): what each reads, and how deep."""

    order: tuple[str, ...]  # each after what it reads (MeasurePlan.value_order)
    reads: Mapping[str, tuple[str, ...]]  # name -> the values and tables it reads, in order
    weight: Mapping[str, int]  # name -> how deep its computation can nest, in nodes (an upper bound)

    def closure(self, name: str) -> list[str]:
        """What ``name`` reads, directly or not, in :attr:`order` (``name`` itself excluded)."""
        wanted, todo = set(), list(self.reads.get(name, ()))
        while todo:
            dep = todo.pop()
            if dep not in wanted:
                wanted.add(dep)
                todo.extend(self.reads.get(dep, ()))
        return [n for n in self.order if n in wanted]


def locals_of(plan: MeasurePlan) -> Locals:
    """The :class:`Locals` of ``plan``, computed without recursion.  The weight of a value is
    the depth of its expression plus the greatest weight of what it reads; of a table, one more
    than the depth of its deepest row or cell, plus the same."""
    def local(names) -> tuple[str, ...]:
        out: dict[str, None] = {}
        for dotted in names:
            if dotted in plan.values:
                out.setdefault(dotted, None)
            elif "." in dotted and dotted.split(".", 1)[0] in plan.tables:
                out.setdefault(dotted.split(".", 1)[0], None)
        return tuple(out)

    reads: dict[str, tuple[str, ...]] = {}
    depth: dict[str, int] = {}
    for name, value in plan.values.items():
        reads[name] = local(value.expr.reads)
        depth[name] = A.depth(value.expr.typed.tree)
    for name, table in plan.tables.items():
        exprs = [e for r in table.rows for e in ([r.when] if r.when is not None else []) + list(r.cells.values())]
        reads[name] = local(n for e in exprs for n in e.reads)
        depth[name] = 1 + max((A.depth(e.typed.tree) for e in exprs), default=0)
    weight: dict[str, int] = {}
    for name in plan.value_order:
        weight[name] = depth[name] + max((weight.get(d, 0) for d in reads[name]), default=0)
    return Locals(plan.value_order, reads, weight)

"""Stage 5, compile: turn each checked expression into a tree of Python closures, once.

A compiled expression is a function ``f(env) -> value`` where ``env`` is a plain dict of the
facts of one claim (keys are dotted fact names) in which named values are memoised as they
are computed.  The closures are specialised by the checked types (``date + duration`` and
``money + money`` compile to different functions), constant sub-expressions are folded, and
nothing inspects node types or looks up names by string at evaluation time beyond one dict
access per fact.  Rule text is never passed to ``eval`` or ``exec``.

Missing facts: reading an absent fact raises :class:`Undetermined` naming it.  ``and``,
``or`` and ``if`` catch it so that ``false and <missing>`` is false and only the facts that
matter are asked for (three-valued logic); everything else lets it propagate, which costs
nothing on the path where all facts are present.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import operator as _operator
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any, Callable

from ..grammar import ast as A
from .. import values as V
from ..rules.amount import capped
from ..check.checker import TypedExpression

Env = dict
Compiled = Callable[[Env], Any]

#: The env key under which a tracing evaluation collects notes (e.g. "cap bit").
NOTES_KEY = "#notes"


class Undetermined(Exception):
    """A value could not be computed because facts are missing; ``missing`` names them."""

    __slots__ = ("missing",)

    def __init__(self, missing: frozenset[str]):
        super().__init__(", ".join(sorted(missing)))
        self.missing = missing


class Resolver:
    """How the compiler turns a name into a closure (supplied by the measure compiler)."""

    def name(self, dotted: str) -> Compiled:  # pragma: no cover - interface
        raise NotImplementedError

    def constant(self, dotted: str) -> tuple[bool, Any]:
        """``(True, value)`` if the name is a constant (a single-valued parameter)."""
        return (False, None)


class _Const:
    """Marks a closure whose value is known at compile time."""

    __slots__ = ("value", "fn")

    def __init__(self, value: Any):
        self.value = value
        self.fn = lambda env, v=value: v


def compile_expression(typed: TypedExpression, resolver: Resolver) -> Compiled:
    """Compile ``typed`` into a closure ``env -> value``."""
    result = _Compiler(typed, resolver).compile(typed.tree)
    return result.fn if isinstance(result, _Const) else result


def constant_value(typed: TypedExpression, resolver: Resolver) -> tuple[bool, Any]:
    """``(True, value)`` if the expression folds to a constant at compile time."""
    result = _Compiler(typed, resolver).compile(typed.tree)
    if isinstance(result, _Const):
        return True, result.value
    return False, None


class _Compiler:
    def __init__(self, typed: TypedExpression, resolver: Resolver):
        self.typed = typed
        self.resolver = resolver

    def compile(self, node: A.Node):
        method = getattr(self, "_" + type(node).__name__)
        return method(node)


    def _fold(self, node: A.Node, fn: Compiled, *parts) -> Any:
        """Fold ``fn`` to a constant if all ``parts`` are constants (and it evaluates)."""
        if all(isinstance(p, _Const) for p in parts):
            try:
                with decimal.localcontext(V.DECIMAL_CONTEXT):
                    return _Const(fn({}))
            except (ArithmeticError, ValueError):  # leave it to run time, where the error gets its context
                return fn
        return fn

    # leaves ---------------------------------------------------------------------------------
    def _Literal(self, node: A.Literal):
        return _Const(node.value)

    def _Name(self, node: A.Name):
        is_const, value = self.resolver.constant(node.dotted)
        if is_const:
            return _Const(value)
        return self.resolver.name(node.dotted)

    def _ListExpr(self, node: A.ListExpr):
        parts = [self.compile(i) for i in node.items]
        if all(isinstance(p, _Const) for p in parts):
            return _Const(tuple(p.value for p in parts))
        fns = [p.fn if isinstance(p, _Const) else p for p in parts]
        return lambda env: tuple(f(env) for f in fns)

    # operators ------------------------------------------------------------------------------
    def _Negate(self, node: A.Negate):
        part = self.compile(node.operand)
        f = part.fn if isinstance(part, _Const) else part
        if self.typed.type_of(node.operand).name == "duration":
            fn = lambda env: _negated(f(env))  # noqa: E731
        else:
            fn = lambda env: -f(env)  # noqa: E731
        return self._fold(node, fn, part)

    def _Chain(self, node: A.Chain):
        parts = [self.compile(operand) for operand in node.operands]
        if node.level in ("and", "or"):
            return self._fold(node, _connective([_as_fn(p) for p in parts], decisive=node.level == "or"), *parts)
        steps = [(operation(op, lt, rt), part)
                 for (op, lt, rt), part in zip(self.typed.operand_types(node), parts[1:])]
        return self._fold(node, _arithmetic(parts[0], steps), *parts)

    def _Compare(self, node: A.Compare):
        lp, rp = self.compile(node.left), self.compile(node.right)
        fn = _comparison(node.op, lp, rp)
        return self._fold(node, fn, lp, rp)

    def _quantifier(self, node: A.Call, decisive: bool):
        parts = [self.compile(i) for i in node.arguments[0].items]
        return self._fold(node, _quantifier_fn([_as_fn(p) for p in parts], decisive), *parts)

    def _Not(self, node: A.Not):
        part = self.compile(node.operand)
        f = part.fn if isinstance(part, _Const) else part
        return self._fold(node, lambda env: not f(env), part)

    def _If(self, node: A.If):
        cp, tp, ep = self.compile(node.condition), self.compile(node.then), self.compile(node.otherwise)
        if isinstance(cp, _Const):
            return tp if cp.value else ep
        c = cp
        t = tp.fn if isinstance(tp, _Const) else tp
        e = ep.fn if isinstance(ep, _Const) else ep

        def if_(env):
            return t(env) if c(env) else e(env)

        return if_

    def _Call(self, node: A.Call):
        if node.function in ("any", "all") and len(node.arguments) == 1 and isinstance(node.arguments[0], A.ListExpr):
            return self._quantifier(node, decisive=node.function == "any")
        parts = [self.compile(a) for a in node.arguments]
        fns = [p.fn if isinstance(p, _Const) else p for p in parts]
        types = [self.typed.type_of(a) for a in node.arguments]
        fn = _FUNCTION_BUILDERS[node.function](fns, types, self.typed.expression.text[node.start:node.end])
        if node.function == "cap":  # never folded: its trace note must be recorded at run time
            return fn
        return self._fold(node, fn, *parts)


def _quantifier_fn(items: list[Compiled], decisive: bool) -> Compiled:
    """``any([...])`` (decided by a true item) or ``all([...])`` (by a false one) over a written
    list, three-valued like ``or`` and ``and``: a decisive item decides even when others are
    missing; otherwise the missing facts of every undetermined item are reported."""
    def quantifier(env):
        missing: frozenset[str] = frozenset()
        for item in items:
            try:
                if bool(item(env)) is decisive:
                    return decisive
            except Undetermined as exc:
                missing |= exc.missing
        if missing:
            raise Undetermined(missing)
        return not decisive
    return quantifier


def _as_fn(part) -> Compiled:
    return part.fn if isinstance(part, _Const) else part


def _connective(items: list[Compiled], decisive: bool) -> Compiled:
    """``a and b and ...`` (decided by false) or ``a or b or ...`` (decided by true), three-valued,
    left to right as ``((a and b) and c)``: a decisive operand decides, even after an undetermined
    one, and the operands after it are not evaluated; otherwise the missing facts of every
    undetermined operand are reported."""
    def connective(env):
        held = None  # the Undetermined of the operands so far, if any
        for item in items:
            try:
                value = item(env)
            except Undetermined as missing:
                held = missing if held is None else Undetermined(held.missing | missing.missing)
                continue
            if value is decisive:
                return decisive
        if held is not None:
            raise held
        return value

    return connective


def _arithmetic(first, steps: list[tuple[Callable[[Any, Any], Any], Any]]) -> Compiled:
    """``a + b - c ...``: the first operand, then each step's operation on what comes before and
    its operand, evaluated in that order, in a loop however long the chain."""
    l = _as_fn(first)
    if len(steps) == 1:
        (op, rp), = steps
        if isinstance(rp, _Const):  # a constant right operand: the most common shape (spend * 30%)
            rc = rp.value
            return lambda env: op(l(env), rc)
        r = rp
        return lambda env: op(l(env), r(env))
    fns = [(op, _as_fn(part)) for op, part in steps]

    def chain(env):
        value = l(env)
        for op, r in fns:
            value = op(value, r(env))
        return value

    return chain


def operation(op: str, lt: str, rt: str) -> Callable[[Any, Any], Any]:
    """What one arithmetic step does to the values on its two sides, by their static types: the
    one meaning of ``+ - * /`` (the code generator writes an infix operator where this is one of
    Python's, else a call of this function)."""
    if op == "+":
        if lt == "date":
            return _date_plus_duration
        if rt == "date":
            return _duration_plus_date
        return _operator.add
    if op == "-":
        if lt == "date" and rt == "duration":
            return _date_minus_duration
        if lt == "date" and rt == "date":
            return _days_between
        return _operator.sub
    if op == "*":
        if lt == "duration":
            return _duration_times
        if rt == "duration":
            return _times_duration
        return _operator.mul
    if op == "/":
        return _operator.truediv
    raise AssertionError(op)


#: The operations that are Python's own infix operators, and their signs.
INFIX = {_operator.add: "+", _operator.sub: "-", _operator.mul: "*", _operator.truediv: "/"}


def _date_plus_duration(date: _dt.date, duration: V.Duration) -> _dt.date:
    return duration.add_to(date)


def _duration_plus_date(duration: V.Duration, date: _dt.date) -> _dt.date:
    return duration.add_to(date)


def _date_minus_duration(date: _dt.date, duration: V.Duration) -> _dt.date:
    return _negated(duration).add_to(date)


def _days_between(later: _dt.date, earlier: _dt.date) -> V.Duration:
    return V.Duration(days=(later - earlier).days)


def _duration_times(duration: V.Duration, n: Decimal) -> V.Duration:
    return duration.scale(n)


def _times_duration(n: Decimal, duration: V.Duration) -> V.Duration:
    return duration.scale(n)


def _negated(d: V.Duration) -> V.Duration:
    """``-d``; the operand is evaluated once by the caller (it may record a trace note)."""
    return V.Duration(-d.months, -d.days)


def _comparison(op: str, lp, rp) -> Compiled:
    l, r = _as_fn(lp), _as_fn(rp)
    if isinstance(rp, _Const):
        c = rp.value
        if op == ">=":
            return lambda env: l(env) >= c
        if op == ">":
            return lambda env: l(env) > c
        if op == "<":
            return lambda env: l(env) < c
        if op == "<=":
            return lambda env: l(env) <= c
        if op == "==":
            return lambda env: l(env) == c
        if op == "!=":
            return lambda env: l(env) != c
        if op == "in":
            s = frozenset(c) if all(not isinstance(x, tuple) for x in c) else c
            return lambda env: l(env) in s
        if op == "not in":
            s = frozenset(c) if all(not isinstance(x, tuple) for x in c) else c
            return lambda env: l(env) not in s
    table: dict[str, Compiled] = {
        ">=": lambda env: l(env) >= r(env),
        ">": lambda env: l(env) > r(env),
        "<": lambda env: l(env) < r(env),
        "<=": lambda env: l(env) <= r(env),
        "==": lambda env: l(env) == r(env),
        "!=": lambda env: l(env) != r(env),
        "in": lambda env: l(env) in r(env),
        "not in": lambda env: l(env) not in r(env),
    }
    return table[op]


# functions ------------------------------------------------------------------------------------

def _variadic(pick):
    def build(fns, types, text):
        if len(fns) == 1:
            f = fns[0]
            return lambda env: _pick_list(pick, f(env), text)
        return lambda env: pick(f(env) for f in fns)
    return build


def _pick_list(pick, items, text):
    if not items:
        raise ValueError(f"{text}: the list is empty")
    return pick(items)


def _rounder(mode):
    def build(fns, types, text):
        x = fns[0]
        if len(fns) == 1:
            return lambda env: x(env).to_integral_value(rounding=mode)

        u = fns[1]

        def to_unit(env):
            unit = u(env)
            if unit <= 0:
                raise ValueError(f"{text}: the unit must be positive, not {unit}")
            return (x(env) / unit).to_integral_value(rounding=mode) * unit
        return to_unit
    return build


def _between(fns, types, text):
    x, lo, hi = fns
    return lambda env: lo(env) <= x(env) <= hi(env)


def _make_date(fns, types, text):
    y, m, d = fns

    def make(env):
        parts = (y(env), m(env), d(env))
        for part in parts:
            if part != part.to_integral_value():  # int() would silently drop the fraction
                raise ValueError(f"{text}: {part} is not a whole number")
        try:
            return _dt.date(*(int(part) for part in parts))
        except (ValueError, OverflowError) as exc:
            raise ValueError(f"{text}: no such date ({exc})") from None
    return make


def _sum(fns, types, text):
    f = fns[0]
    zero = Decimal(0)
    return lambda env: sum(f(env), zero)


def _cap(fns, types, text):
    amount_fn, limit_fn = fns
    is_money = types[0].name == "money"

    def cap(env):
        amount, limit = amount_fn(env), limit_fn(env)
        bounded = capped(amount, limit)
        if bounded is not amount:
            notes = env.get(NOTES_KEY)
            if notes is not None:
                show = V.format_money if is_money else V.format_decimal
                notes.append(f"capped by {text}: {show(amount)} > {show(limit)}")
        return bounded
    return cap


_FUNCTION_BUILDERS: dict[str, Callable[[list[Compiled], list, str], Compiled]] = {
    "min": _variadic(min),
    "max": _variadic(max),
    "floor": _rounder(ROUND_FLOOR),
    "ceil": _rounder(ROUND_CEILING),
    "round": _rounder(ROUND_HALF_UP),
    "abs": lambda fns, types, text: (lambda env, f=fns[0]: abs(f(env))),
    "year": lambda fns, types, text: (lambda env, f=fns[0]: Decimal(f(env).year)),
    "month": lambda fns, types, text: (lambda env, f=fns[0]: Decimal(f(env).month)),
    "date": _make_date,
    "between": _between,
    "sum": _sum,
    "count": lambda fns, types, text: (lambda env, f=fns[0]: Decimal(len(f(env)))),
    "any": lambda fns, types, text: (lambda env, f=fns[0]: any(f(env))),
    "all": lambda fns, types, text: (lambda env, f=fns[0]: all(f(env))),
    "cap": _cap,
}

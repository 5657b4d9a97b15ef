"""Stage 4, check: resolve names and infer static types, before anything is evaluated.

The checker walks each parsed expression with a :class:`Scope` (the facts, parameters,
named values and table columns a measure can see) and computes the type of every node.
Mistakes become problems with the node's exact position: an unknown name with "did you
mean", ``money + date``, a string that is not one of an enum's values, a function called
with the wrong arguments.  The result, :class:`TypedExpression`, records every node's type
for the compiler, and the names the expression reads (the trace shows their values).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

from ..errors import Problem, did_you_mean, shorten
from ..grammar import ast as A
from ..grammar.parser import Expression
from .. import types as T
from ..types import Type


@dataclass(frozen=True)
class Symbol:
    """A name an expression may read."""

    name: str
    kind: str  # fact | parameter | value | column | builtin
    type: Type
    description: str = ""


@dataclass
class Scope:
    """The names visible to one measure's expressions."""

    symbols: dict[str, Symbol] = field(default_factory=dict)

    def add(self, symbol: Symbol) -> None:
        self.symbols[symbol.name] = symbol

    def lookup(self, name: str) -> Symbol | None:
        return self.symbols.get(name)

    def names(self) -> list[str]:
        return sorted(self.symbols)


@dataclass
class TypedExpression:
    """An expression whose names are resolved and whose every node has a type."""

    expression: Expression
    type: Type
    node_types: dict[int, Type]
    reads: list[str]  # dotted names read, in order of first appearance
    #: of each arithmetic chain (by id): the type of what it computes after each operand
    #: (``a``, ``a + b``, ``a + b - c``, ...), for the back-ends to pick each step's operation
    chain_types: dict[int, tuple[Type, ...]] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.expression.text

    @property
    def tree(self) -> A.Node:
        return self.expression.tree

    def type_of(self, node: A.Node) -> Type:
        return self.node_types[id(node)]

    def operand_types(self, chain: A.Chain) -> list[tuple[str, str, str]]:
        """Of each step of an arithmetic ``chain``: ``(op, the type of what comes before, the
        operand's type)``, as words."""
        before = self.chain_types[id(chain)]
        return [(op, before[i].name, self.type_of(operand).name) for i, (op, operand) in enumerate(chain.steps)]


# Function signatures: name -> (min args, max args or None, describing text)
FUNCTIONS: dict[str, tuple[int, int | None, str]] = {
    "min": (1, None, "min(a, b, ...) or min(list)"),
    "max": (1, None, "max(a, b, ...) or max(list)"),
    "floor": (1, 2, "floor(x) or floor(x, unit)"),
    "ceil": (1, 2, "ceil(x) or ceil(x, unit)"),
    "round": (1, 2, "round(x) or round(x, unit)"),
    "abs": (1, 1, "abs(x)"),
    "year": (1, 1, "year(date)"),
    "month": (1, 1, "month(date)"),
    "date": (3, 3, "date(year, month, day)"),
    "between": (3, 3, "between(x, low, high), both ends included"),
    "sum": (1, 1, "sum(list)"),
    "count": (1, 1, "count(list)"),
    "any": (1, 1, "any(list of bool)"),
    "all": (1, 1, "all(list of bool)"),
    "cap": (2, 2, "cap(amount, limit)"),
}

_ORDERED = ("number", "rate", "money", "date", "duration")


class Checker:
    """Type-checks one expression; problems go to ``report``."""

    def __init__(self, scope: Scope, report: Callable[[Problem], None]):
        self.scope = scope
        self.report = report

    def check(self, expression: Expression, expected: Type | tuple[Type, ...] | None = None,
              what: str = "this expression") -> TypedExpression:
        self.expression = expression
        self.node_types: dict[int, Type] = {}
        self.chain_types: dict[int, tuple[Type, ...]] = {}
        result = self._type(expression.tree)
        if expected is not None and not result.is_error:
            allowed = expected if isinstance(expected, tuple) else (expected,)
            if not any(_accepts(a, result) for a in allowed):
                names = " or ".join(str(a) for a in allowed)
                self._error(expression.tree, "type-mismatch", f"{what} must be {names}, but it is {result}",
                            _conversion_hint(result, allowed))
        return TypedExpression(expression, result, self.node_types, A.names_in(expression.tree), self.chain_types)

    # -- helpers -----------------------------------------------------------------------------
    def _error(self, node: A.Node, code: str, message: str, hint: str | None = None) -> None:
        self.report(Problem(code, message, self.expression.location(node), hint))

    def _type(self, node: A.Node) -> Type:
        t = self._infer(node)
        self.node_types[id(node)] = t
        return t

    # -- inference ---------------------------------------------------------------------------
    def _infer(self, node: A.Node) -> Type:
        if isinstance(node, A.Literal):
            return {"number": T.NUMBER, "money": T.MONEY, "percent": T.RATE, "date": T.DATE,
                    "duration": T.DURATION, "string": T.STRING, "bool": T.BOOL}[node.kind]
        if isinstance(node, A.Name):
            symbol = self.scope.lookup(node.dotted)
            if symbol is None:
                self._error(node, "unknown-name", f"unknown name `{shorten(node.dotted)}`",
                            did_you_mean(node.dotted, self.scope.names())
                            or "declare it under `facts:`, `parameters:` or `values:`")
                return T.ERROR
            return symbol.type
        if isinstance(node, A.Negate):
            t = self._type(node.operand)
            if t.is_error or t.name in ("number", "rate", "money", "duration"):
                return t
            self._error(node, "type-mismatch", f"cannot negate {t}")
            return T.ERROR
        if isinstance(node, A.Chain):
            if node.level in ("and", "or"):
                for side in node.operands:
                    t = self._type(side)
                    if not t.is_error and t != T.BOOL:
                        self._error(side, "type-mismatch", f"`{node.level}` needs true or false on both sides, not {t}",
                                    "compare the value with something, e.g. `x > 0`")
                return T.BOOL
            return self._arithmetic_chain(node)
        if isinstance(node, A.Compare):
            return self._compare(node)
        if isinstance(node, A.Not):
            t = self._type(node.operand)
            if not t.is_error and t != T.BOOL:
                self._error(node.operand, "type-mismatch", f"`not` needs true or false, not {t}")
            return T.BOOL
        if isinstance(node, A.If):
            c = self._type(node.condition)
            if not c.is_error and c != T.BOOL:
                self._error(node.condition, "type-mismatch", f"the condition of `if` must be bool, not {c}")
            a, b = self._type(node.then), self._type(node.otherwise)
            u = T.unify(a, b)
            if u is None:
                self._error(node, "type-mismatch", f"the branches of `if` differ: {a} and {b}",
                            "both branches must give the same kind of value")
                return T.ERROR
            return u
        if isinstance(node, A.ListExpr):
            types = [self._type(i) for i in node.items]
            element: Type = T.ERROR
            for item, t in zip(node.items, types):
                u = T.unify(element, t)
                if u is None:
                    self._error(item, "type-mismatch", f"a list holds one kind of value: {element} and {t}")
                    return T.list_of(T.ERROR)
                element = u
            return T.list_of(element)
        if isinstance(node, A.Call):
            return self._call(node)
        raise TypeError(node)

    def _arithmetic_chain(self, node: A.Chain) -> Type:
        """``a + b - c ...``: each step, left to right, on the type of what comes before it; a
        mistake is placed from the chain's start to the end of the step that makes it."""
        a = self._type(node.operands[0])
        before = [a]
        for i, (op, operand) in enumerate(node.steps):
            b = self._type(operand)
            if a.is_error or b.is_error:
                a = T.ERROR
            else:
                result = _arithmetic(op, a, b)
                if result is None:
                    hint = None
                    if op in "+-" and {a.name, b.name} == {"money", "number"}:
                        hint = "write amounts with a unit (1000萬, 50萬元) so both sides are money"
                    elif op == "*" and a.name == b.name == "money":
                        hint = "multiply money by a rate or a number, e.g. claim.spend * 30%"
                    self.report(Problem("type-mismatch", f"cannot {_VERB[op]} {a} and {b}",
                                        self.expression.span.location(node.start, node.step_end(i)), hint))
                    result = T.ERROR
                a = result
            before.append(a)
        self.chain_types[id(node)] = tuple(before)
        return a

    def _compare(self, node: A.Compare) -> Type:
        a, b = self._type(node.left), self._type(node.right)
        if a.is_error or b.is_error:
            return T.BOOL
        if node.op in ("in", "not in"):
            if b.name != "list":
                self._error(node.right, "type-mismatch", f"`{node.op}` needs a list on its right, not {b}",
                            'write a list: x in ["a", "b"]')
                return T.BOOL
            element = b.element or T.ERROR
            if not T.comparable(a, element):
                self._error(node, "type-mismatch", f"cannot look for {a} in a {b}")
            else:
                self._check_enum_literals(a, node.right)
                self._check_enum_literals(element, node.left)
            return T.BOOL
        if not T.comparable(a, b):
            self._error(node, "type-mismatch", f"cannot compare {a} with {b}",
                        _compare_hint(a, b))
            return T.BOOL
        if node.op in ("<", "<=", ">", ">="):
            if a.name not in _ORDERED and not a.is_numeric:
                self._error(node, "type-mismatch", f"{a} has no order: use == or !=")
        self._check_enum_literals(a, node.right)
        self._check_enum_literals(b, node.left)
        return T.BOOL

    def _check_enum_literals(self, t: Type, other: A.Node) -> None:
        """A string literal compared with an enum must be one of its values."""
        if t.name != "enum" or not t.values:
            return
        literals = [other] if isinstance(other, A.Literal) else (
            list(other.items) if isinstance(other, A.ListExpr) else [])
        for lit in literals:
            if isinstance(lit, A.Literal) and lit.kind == "string" and lit.value not in t.values:
                self._error(lit, "unknown-enum-value", f'"{shorten(lit.value)}" is not one of {", ".join(t.values)}',
                            did_you_mean(lit.value, t.values))

    def _call(self, node: A.Call) -> Type:
        spec = FUNCTIONS.get(node.function)
        args = [self._type(a) for a in node.arguments]
        if spec is None:
            self._error(node, "unknown-function", f"unknown function `{shorten(node.function)}`",
                        did_you_mean(node.function, FUNCTIONS) or
                        "the functions are " + ", ".join(sorted(FUNCTIONS)))
            return T.ERROR
        low, high, usage = spec
        if len(args) < low or (high is not None and len(args) > high):
            self._error(node, "wrong-arguments",
                        f"`{node.function}` takes {_count_words(low, high)}, given {len(args)}",
                        f"usage: {usage}")
            return T.ERROR
        if any(a.is_error for a in args):
            return T.ERROR
        f = node.function
        bad = lambda i, need: (self._error(node.arguments[i], "type-mismatch",  # noqa: E731
                                           f"argument {i + 1} of `{f}` must be {need}, not {args[i]}",
                                           f"usage: {usage}"), T.ERROR)[1]
        if f in ("min", "max"):
            items = args
            if len(args) == 1:
                if args[0].name != "list":
                    return bad(0, "a list (or give two or more values)")
                element = args[0].element or T.ERROR
                if element.is_error:  # the items were already reported, or there are none
                    if isinstance(node.arguments[0], A.ListExpr) and not node.arguments[0].items:
                        self._error(node, "wrong-arguments", f"`{f}` of an empty list has no value",
                                    f"usage: {usage}")
                    return T.ERROR
                items = [element]
            result = items[0]
            for i, t in enumerate(items):
                if t.name not in _ORDERED and not t.is_numeric:
                    return bad(i, "a number, money, a rate, a date or a duration")
                u = T.unify(result, t)
                if u is None:
                    self._error(node.arguments[i] if len(args) > 1 else node, "type-mismatch",
                                f"`{f}` compares values of one kind, not {result} and {t}")
                    return T.ERROR
                result = u
            return result
        if f in ("floor", "ceil", "round"):
            x = args[0]
            if x.name not in ("number", "rate", "money"):
                return bad(0, "a number, a rate or money")
            if len(args) == 2 and not (T.unify(x, args[1]) in (x, T.NUMBER) and
                                       (x.name == "money") == (args[1].name == "money")):
                return bad(1, f"a unit of the same kind as {x} (e.g. {'1萬' if x.name == 'money' else '0.01'})")
            return x
        if f == "abs":
            if args[0].name not in ("number", "rate", "money"):
                return bad(0, "a number, a rate or money")
            return args[0]
        if f in ("year", "month"):
            if args[0] != T.DATE:
                return bad(0, "a date")
            return T.NUMBER
        if f == "date":
            for i, t in enumerate(args):
                if t != T.NUMBER:
                    return bad(i, "a number")
            return T.DATE
        if f == "between":
            for i in (1, 2):
                if not T.comparable(args[0], args[i]):
                    return bad(i, f"comparable with {args[0]}")
            if args[0].name not in _ORDERED and not args[0].is_numeric:
                return bad(0, "a number, money, a rate, a date or a duration")
            return T.BOOL
        if f in ("sum", "count", "any", "all"):
            if args[0].name != "list":
                return bad(0, "a list")
            element = args[0].element or T.ERROR
            if f == "count":
                return T.NUMBER
            if f == "sum":
                if element.name not in ("number", "rate", "money") and not element.is_error:
                    return bad(0, "a list of numbers or money")
                return element if not element.is_error else T.NUMBER
            if element != T.BOOL and not element.is_error:
                return bad(0, "a list of bool")
            return T.BOOL
        if f == "cap":
            if args[0].name not in ("money", "number", "rate"):
                return bad(0, "money or a number")
            if T.unify(args[0], args[1]) is None or (args[0].name == "money") != (args[1].name == "money"):
                return bad(1, f"{args[0]} (the limit is of the same kind as the amount)")
            return args[0]
        raise AssertionError(f)


_VERB = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide"}


def _arithmetic(op: str, a: Type, b: Type) -> Type | None:
    """The result type of ``a op b``, or None when the operation is meaningless."""
    n, r, m, d, du = "number", "rate", "money", "date", "duration"
    x, y = a.name, b.name
    numeric = a.is_numeric and b.is_numeric
    if op in "+-":
        if numeric:
            return T.RATE if x == y == r else T.NUMBER
        if x == y == m:
            return T.MONEY
        if x == d and y == du:
            return T.DATE
        if op == "+" and x == du and y == d:
            return T.DATE
        if x == y == du:
            return T.DURATION
        if op == "-" and x == y == d:
            return T.DURATION
        return None
    if op == "*":
        if numeric:
            return T.RATE if x == y == r else T.NUMBER
        if (x == m and b.is_numeric) or (a.is_numeric and y == m):
            return T.MONEY
        if (x == du and y == n) or (x == n and y == du):
            return T.DURATION
        return None
    if op == "/":
        if numeric:
            return T.NUMBER
        if x == m and b.is_numeric:
            return T.MONEY
        if x == y == m:
            return T.NUMBER
        return None
    return None


def _accepts(expected: Type, actual: Type) -> bool:
    if actual.is_error or expected == actual:
        return True
    if expected.name == "number" and actual.is_numeric:
        return True
    if expected.name == "rate" and actual.is_numeric:
        return True
    if expected.name == "string" and actual.is_stringy:
        return True
    if expected.name == "enum" and actual.is_stringy:
        return True
    if expected.name == "list" and actual.name == "list":
        return _accepts(expected.element or T.ERROR, actual.element or T.ERROR)
    return False


def _conversion_hint(actual: Type, allowed: tuple[Type, ...]) -> str | None:
    names = {a.name for a in allowed}
    if "money" in names and actual.is_numeric:
        return "give the amount a unit: 1000萬, 50萬元, or multiply a sum of money by this rate"
    if "bool" in names:
        return "a condition compares values, e.g. `applicant.annual_revenue >= 1億`"
    return None


def _compare_hint(a: Type, b: Type) -> str | None:
    if {a.name, b.name} == {"money", "number"}:
        return "write the amount with a unit, e.g. 1億 or 100_000_000元"
    if {a.name, b.name} == {"date", "string"}:
        return "write dates without quotes: 2027-12-31"
    return None


def _count_words(low: int, high: int | None) -> str:
    if high is None:
        return f"at least {low} argument{'s' if low > 1 else ''}"
    if low == high:
        return f"{low} argument{'s' if low > 1 else ''}"
    return f"{low} to {high} arguments"


# ------------------------------------------------------------------------------------------------
# The policy-level passes: an ordered list of named checks over the whole parsed policy.
# ------------------------------------------------------------------------------------------------

from ..grammar.parser import Expression as _Expression  # noqa: E402
from ..front.model import FactDef, MeasureDef, PolicyDef  # noqa: E402
from ..periods import PERIODS  # noqa: E402

#: Facts every claim and applicant has, whatever the measure declares.
BUILTIN_FACTS: dict[str, tuple[Type, str, str]] = {
    "claim.id": (T.STRING, "申請編號", "claim id"),
    "claim.date": (T.DATE, "申請日期", "date of the claim"),
    "claim.project": (T.STRING, "項目編號", "project id"),
    "applicant.id": (T.STRING, "申請主體編號", "applicant id"),
    "applicant.name": (T.STRING, "申請主體名稱", "applicant name"),
}


@dataclass
class CheckedPolicy:
    """The parsed policy plus, for every expression, its typed form (keyed by ``id(expression)``)."""

    policy: PolicyDef
    typed: dict[int, TypedExpression]
    scopes: dict[str, Scope]  # measure id -> scope
    applicant_facts: dict[str, FactDef]
    claim_facts: dict[str, dict[str, FactDef]]  # measure id -> claim facts it reads
    value_order: dict[str, list[str]]  # measure id -> its values in dependency order
    parameter_types: dict[int, Type] = field(default_factory=dict)  # id(ParameterDef) -> type

    def typed_of(self, expression: _Expression) -> TypedExpression:
        return self.typed[id(expression)]


def check_policy(policy: PolicyDef, report: Callable[[Problem], None]) -> CheckedPolicy:
    """Run the named passes in order; problems go to ``report``."""
    state = CheckedPolicy(policy, {}, {}, {}, {}, {})
    for _name, check_pass in POLICY_PASSES:
        check_pass(state, report)
    return state


def _pass_unique_measures(state: CheckedPolicy, report) -> None:
    seen: dict[str, MeasureDef] = {}
    for m in state.policy.measures:
        if m.id in seen:
            report(Problem("duplicate-measure", f"the measure id `{m.id}` is used twice", m.location,
                           f"it is first defined in {seen[m.id].location}"))
        else:
            seen[m.id] = m


def _pass_facts(state: CheckedPolicy, report) -> None:
    """Merge fact declarations (policy, file, measure); one name, one type."""
    declared: dict[str, FactDef] = {}

    per_checked: set[int] = set()  # a file's facts are shared by its measures: check each once

    def declare(fact: FactDef) -> None:
        if id(fact) not in per_checked:
            per_checked.add(id(fact))
            _check_per(fact, report)
        prior = declared.get(fact.name)
        if prior is not None and prior.type != fact.type:
            report(Problem("fact-conflict", f"`{fact.name}` is declared as {fact.type} here but as "
                           f"{prior.type} at {prior.location}", fact.location, "a fact has one type in a policy"))
        elif prior is not None and (prior.per, prior.period) != (fact.per, fact.period):
            report(Problem("fact-conflict", f"`{fact.name}` is declared with per: {fact.per}, period: {fact.period} "
                           f"here but per: {prior.per}, period: {prior.period} at {prior.location}",
                           fact.period_location or fact.location,
                           "declare how a fact changes over time once (a measure may read another period "
                           "with `periods:`)"))
        elif prior is None:
            declared[fact.name] = fact

    for fact in state.policy.facts.values():
        declare(fact)
    for m in state.policy.measures:
        for fact in m.facts.values():
            declare(fact)
    state.applicant_facts = {n: f for n, f in sorted(declared.items()) if n.startswith("applicant.")}
    for m in state.policy.measures:
        scope = Scope()
        for name, (t, zh, en) in BUILTIN_FACTS.items():
            scope.add(Symbol(name, "builtin", t, en))
        for fact in state.applicant_facts.values():
            scope.add(Symbol(fact.name, "fact", fact.type, fact.label.en))
        policy_claim = {n: f for n, f in state.policy.facts.items() if n.startswith("claim.")}
        claim_facts = {**policy_claim, **m.facts}
        # each measure keeps its own wording of a claim fact (the type is one per policy, checked above)
        claim_facts = {n: f for n, f in claim_facts.items() if n.startswith("claim.")}
        for fact in claim_facts.values():
            scope.add(Symbol(fact.name, "fact", fact.type, fact.label.en))
        state.claim_facts[m.id] = claim_facts
        state.scopes[m.id] = scope
        for name, (period, where) in m.periods.items():
            fact = state.applicant_facts.get(name)
            if fact is None:
                report(Problem("unknown-name", f"`periods:` names `{name}`, which is not a declared applicant fact",
                               where, did_you_mean(name, state.applicant_facts)
                               or "declare it under `facts:` with `per: year`"))
            elif fact.per != "year":
                report(Problem("not-per-year", f"`{name}` is not declared `per: year`: it has one value for every "
                               "year, and no period to read", where,
                               f"declare `per: year` and a `period:` for `{name}` in its `facts:` entry "
                               f"(at {fact.location}), or remove it from `periods:`"))
            elif period not in PERIODS:
                report(Problem("unknown-period", f"unknown period `{period}`", where,
                               did_you_mean(period, PERIODS) or f"one of: {', '.join(PERIODS)}"))


def _check_per(fact: FactDef, report) -> None:
    """``per:`` and ``period:`` of one fact declaration (ordinance/periods.py)."""
    where = fact.period_location or fact.location
    if fact.per is not None and not fact.name.startswith("applicant."):
        report(Problem("not-per-year", f"`{fact.name}` is a fact of one claim: only applicant facts may be given "
                       "`per: year`", where, "a claim gives its own value; remove `per:` and `period:`"))
    elif fact.per is None and fact.period is not None:
        report(Problem("not-per-year", f"`{fact.name}` is not declared `per: year`: `period:` has nothing to read",
                       where, "add `per: year` (a case may then give the fact year by year), or remove `period:`"))
    elif fact.per is not None and fact.period is None:
        report(Problem("period-needed", f"`{fact.name}` is given per year, but which year do its rules read?",
                       where, "add e.g. `period: year-before-claim` (or claim-year)"))
    elif fact.period is not None and fact.period not in PERIODS:
        report(Problem("unknown-period", f"unknown period `{fact.period}`", where,
                       did_you_mean(fact.period, PERIODS) or f"one of: {', '.join(PERIODS)}"))


def _pass_names(state: CheckedPolicy, report) -> None:
    """Parameters, values and table columns: one namespace per measure, no clashes."""
    policy_params = state.policy.parameters
    for m in state.policy.measures:
        scope = state.scopes[m.id]
        owners: dict[str, object] = {}

        def claim(name: str, what: str, location) -> bool:
            if name in owners:
                report(Problem("duplicate-name", f"`{name}` is defined twice in measure `{m.id}` ({what})",
                               location, f"it is also defined at {owners[name]}"))
                return False
            owners[name] = location
            return True

        for p in {**policy_params, **m.parameters}.values():  # a measure's own parameter overrides
            if claim(p.name, "parameter", p.location):
                scope.add(Symbol(p.name, "parameter", _parameter_type(p, state, report)))
        for name, value in m.values.items():
            claim(name, "value", value.location)
        for name in m.broken:  # a syntax error was reported: no follow-on "unknown name"
            if "[" not in name and name not in ("amount", "ceiling", "duration"):
                scope.add(Symbol(name, "value", T.ERROR))
        for name, table in m.tables.items():
            if claim(name, "table", table.location):
                columns = list(table.rows[0].cells) if table.rows else []
                for i, row in enumerate(table.rows):
                    if any(b.startswith(f"{name}.") or b.startswith(f"{name}[") for b in m.broken):
                        break  # a cell or row did not parse: its syntax error says enough
                    if sorted(row.cells) != sorted(columns):
                        report(Problem("table-columns", f"every row of table `{name}` must set the same names "
                                       f"({', '.join(columns)})", row.location))
                for i, row in enumerate(table.rows[:-1]):
                    if row.when is None and f"{name}[{i + 1}]" not in m.broken:
                        report(Problem("table-otherwise", f"`otherwise` must be the last row of table `{name}`",
                                       row.location, "rows after it could never match"))


def _constant_report(report: Callable[[Problem], None]) -> Callable[[Problem], None]:
    """``report`` for a parameter's value: it reads no names, whatever the measure declares."""
    def constant(problem: Problem) -> None:
        if problem.code == "unknown-name":
            problem = replace(problem, hint="a parameter is a constant and cannot read names; "
                                            "compute it under `values:` instead")
        report(problem)
    return constant


def _parameter_type(p, state: CheckedPolicy, report) -> Type:
    """Check a parameter once (policy- and file-level parameters are shared by many measures)."""
    known = state.parameter_types.get(id(p))
    if known is not None:
        return known
    types = []
    for value in p.values:
        typed = Checker(Scope(), _constant_report(report)).check(value.expression, what=f"parameter `{p.name}`")
        state.typed[id(value.expression)] = typed
        types.append(typed.type)
    t = types[0] if types else T.ERROR
    for other, value in zip(types[1:], p.values[1:]):
        u = T.unify(t, other)
        if u is None:
            report(Problem("type-mismatch", f"parameter `{p.name}` changes type: {t} then {other}", value.location))
        else:
            t = u
    starts = [v.start for v in p.values]
    if any(s is None for s in starts[1:]):
        report(Problem("parameter-dates", f"only the first value of `{p.name}` may omit `from`", p.location))
    dated = [s for s in starts if s is not None]
    if dated != sorted(dated) or len(set(dated)) != len(dated):
        report(Problem("parameter-dates", f"the values of `{p.name}` must be in increasing `from` order",
                       p.location))
    state.parameter_types[id(p)] = t
    return t


def _pass_types(state: CheckedPolicy, report) -> None:
    """Type-check every expression of every measure, values in dependency order."""
    for m in state.policy.measures:
        scope = state.scopes[m.id]
        checker = Checker(scope, report)
        cyclic: set[str] = set()
        order = _value_order(m, report, cyclic)
        state.value_order[m.id] = order
        # a value in a cycle has no type; say so up front, so that the cycle is reported once
        # and not again as an "unknown name" where the first of them reads the last
        for name in cyclic:
            if name in m.values:
                scope.add(Symbol(name, "value", T.ERROR))
            elif name in m.tables:
                for row in m.tables[name].rows:
                    for col in row.cells:
                        scope.add(Symbol(f"{name}.{col}", "column", T.ERROR))
        # tables first need the types of values their rows read, and values may read tables:
        # type values and tables together in dependency order.
        pending_tables = dict(m.tables)
        for name in order:
            if name in m.values:
                typed = checker.check(m.values[name].expression)
                state.typed[id(m.values[name].expression)] = typed
                scope.add(Symbol(name, "value", typed.type))
            elif name in pending_tables:
                _check_table(pending_tables.pop(name), checker, scope, state, report)
        for cond in m.conditions:
            state.typed[id(cond.when)] = checker.check(cond.when, T.BOOL, f"condition `{cond.id}`")
        for item, expected, what in ((m.amount, T.MONEY, "the amount"), (m.ceiling, T.MONEY, "the ceiling"),
                                     (m.duration, T.DURATION, "the duration")):
            if item is not None:
                state.typed[id(item)] = checker.check(item, expected, what)
        for cap in m.caps:
            state.typed[id(cap.limit)] = checker.check(cap.limit, T.MONEY, f"the limit of cap `{cap.id}`")
        if m.quota is not None:
            state.typed[id(m.quota.rank_by)] = checker.check(m.quota.rank_by, (T.NUMBER, T.MONEY, T.DATE),
                                                            "the quota's ranking key")


def _check_table(table, checker: Checker, scope: Scope, state: CheckedPolicy, report) -> None:
    column_types: dict[str, Type] = {}
    for row in table.rows:
        if row.when is not None:
            state.typed[id(row.when)] = checker.check(row.when, T.BOOL, f"a row of table `{table.name}`")
        for col, e in row.cells.items():
            typed = checker.check(e)
            state.typed[id(e)] = typed
            prior = column_types.get(col)
            u = typed.type if prior is None else T.unify(prior, typed.type)
            if u is None:
                report(Problem("type-mismatch", f"`{table.name}.{col}` is {prior} in one row and {typed.type} here",
                               e.location()))
                u = T.ERROR
            column_types[col] = u
    for col, t in column_types.items():
        scope.add(Symbol(f"{table.name}.{col}", "column", t))


def _value_order(m: MeasureDef, report, cyclic: set[str] | None = None) -> list[str]:
    """Values and tables of ``m`` so that each comes after what it reads; report cycles.

    The names that take part in a cycle are added to ``cyclic``."""
    deps: dict[str, list[str]] = {}
    for name, value in m.values.items():
        deps[name] = _local_refs(value.expression, m)
    for name, table in m.tables.items():
        refs: list[str] = []
        for row in table.rows:
            for e in ([row.when] if row.when else []) + list(row.cells.values()):
                refs += _local_refs(e, m)
        deps[name] = refs
    order: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done
    for root in deps:  # depth first, with a stack of its own: a chain of a thousand values is no deeper a call
        if state.get(root) == 2:
            continue
        trail: list[str] = [root]
        stack = [iter(deps.get(root, []))]
        state[root] = 1
        while stack:
            dep = next(stack[-1], None)
            if dep is None:
                stack.pop()
                done = trail.pop()
                state[done] = 2
                order.append(done)
                continue
            if state.get(dep) == 2:
                continue
            if state.get(dep) == 1:
                cycle = trail[trail.index(dep):] + [dep]
                if cyclic is not None:
                    cyclic.update(cycle)
                where = m.values[dep].location if dep in m.values else m.tables[dep].location
                report(Problem("cycle", "these values depend on each other in a circle: " + " -> ".join(cycle), where,
                               "one of them must be computed from facts without the others"))
                continue
            state[dep] = 1
            trail.append(dep)
            stack.append(iter(deps.get(dep, [])))
    return order


def _local_refs(expression: _Expression, m: MeasureDef) -> list[str]:
    out = []
    for dotted in A.names_in(expression.tree):
        head = dotted.split(".", 1)[0]
        if dotted in m.values:
            out.append(dotted)
        elif head in m.tables:
            out.append(head)
    return out


def _pass_measures(state: CheckedPolicy, report) -> None:
    """What each kind of benefit needs, and references to groups."""
    groups = state.policy.groups
    for m in state.policy.measures:
        needs = {"money": ("amount", m.amount), "assessed": ("ceiling", m.ceiling)}
        if m.benefit in needs and needs[m.benefit][1] is None and needs[m.benefit][0] not in m.broken:
            report(Problem("missing-key", f"a `{m.benefit}` benefit needs `{needs[m.benefit][0]}:`", m.location))
        if m.benefit != "money" and m.amount is not None:
            report(Problem("benefit-amount", f"`amount:` is only for money benefits, not `{m.benefit}`", m.location,
                           "for an award set by assessment write `ceiling:` instead" if m.benefit == "assessed"
                           else "remove `amount:`, or write `benefit: money`"))
        if m.benefit != "money" and m.caps:
            report(Problem("benefit-caps", "caps apply to money benefits only", m.location))
        if m.exclusive is not None and m.exclusive not in groups:
            report(Problem("unknown-group", f"unknown exclusivity group `{m.exclusive}`",
                           m.exclusive_location or m.location,
                           did_you_mean(m.exclusive, groups) or "declare it under `groups:` in policy.yaml"))
        ids = [c.id for c in m.conditions]
        for c in m.conditions:
            if ids.count(c.id) > 1:
                report(Problem("duplicate-name", f"condition id `{c.id}` is used twice in `{m.id}`", c.location))
                break
        if m.valid and m.valid.start and m.valid.end and m.valid.start > m.valid.end:
            report(Problem("bad-validity", "`valid.from` is after `valid.until`", m.location))


def _pass_tiers(state: CheckedPolicy, report) -> None:
    """Tiered tables: no unreachable row, no value of the tiered fact that no row covers."""
    from .tiers import check_table

    for m in state.policy.measures:
        scope = state.scopes[m.id]

        def type_of(name: str) -> str | None:
            symbol = scope.lookup(name)
            return symbol.type.name if symbol is not None else None

        for table in m.tables.values():
            check_table(m, table, type_of, report)


POLICY_PASSES: list[tuple[str, Callable[[CheckedPolicy, Callable[[Problem], None]], None]]] = [
    ("unique-measures", _pass_unique_measures),
    ("facts", _pass_facts),
    ("names", _pass_names),
    ("types", _pass_types),
    ("measures", _pass_measures),
    ("tiers", _pass_tiers),
]

"""The one code generator: Python source from plans, for the cases of a given shape.

The reference interpreter is general -- three-valued, traceable, one closure call per node --
and that generality is most of its cost.  A case with every fact present needs none of it.
From the plans of its measures this module writes:

- per measure, a *claim function* ``_claim(_A, _item, _i) -> (result, pooled caps)``: one
  claim from its plain data (and the applicant's facts, read once for the case) to its
  :class:`~ordinance.decision.ClaimResult` before the rules spanning claims -- the
  validity windows, the conditions (``if not (c0 and c1)``), each table as an ``if/elif``
  chain, named values as locals, the amount with its floor, caps and the plan's rounding, the
  ceiling, the duration, the limits of the caps spanning awards, the quota's key;
- per *shape* of case (the measures of its claims, in order; one claim is a shape), a *case
  function* ``_case(_data, _name) -> Decision``: the case's keys, the applicant's facts and the
  prior awards read with the plain case reader, each claim by its claim function, then the
  rules spanning claims (:func:`ordinance.rules.span.span_claims`, the one copy) and the
  Decision, built with the same constructors as the reference's.

A generated function either decides or raises.  Where the data is out of the ordinary -- a
missing fact, a key it does not know, a value that does not convert, no table row, a claim id
given twice, history it does not read, an arithmetic failure (the generated code computes named
values eagerly) -- it raises :class:`Decline` with a reason (or the converter's or the
arithmetic's own error), and :mod:`ordinance.run.dispatch` counts it and asks the reference.
Nothing is caught here.  A construct the generator does not handle (a parameter whose value
changes from a date) is known when the function is written (:class:`Unsupported`), not when it
runs.

Safety: rule text never becomes code.  Every literal, fact name, table value and constant enters
the source as a *reference* to a value in the function's namespace (``_k3``); generated
identifiers are ``_v0``, ``_t1_0`` and the like; operators come from a fixed table keyed by the
AST node kind.  The source can be read (:meth:`GeneratedRun.listing`, ``ordinance show MEASURE
--generated``); ``_build`` is the one place allowed to call ``compile``/``exec``.
"""

from __future__ import annotations

import datetime as _dt
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any, Callable, Mapping, Sequence

from .. import values as V
from ..grammar import ast as A
from ..check.checker import TypedExpression
from .compile import INFIX, Resolver, _Compiler, _Const, operation
from ..plan.steps import DEEP, Expr, MeasurePlan, locals_of
from ..rules.amount import capped
from ..periods import ByYear, value_for

#: A name's reading in generated code: ("const", value) or ("local", variable).
NameReading = tuple[str, Any]


class Unsupported(Exception):
    """The generator does not handle this construct: the reference serves the measure."""


class Decline(Exception):
    """Raised by generated code where a case is out of the ordinary: the reference decides it.
    ``reason`` is a stable code (counted by the dispatch)."""

    __slots__ = ("reason",)

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _decline(reason: str):
    raise Decline(reason)


class _Pool:
    """The values the generated source refers to, each under a generated name."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self._names: dict[tuple[type, Any] | int, str] = {}
        self._kept = 0

    def keeper(self) -> str:
        """A new variable to keep what a long chain has computed so far in (``_s0``, ``_s1``, ...)."""
        self._kept += 1
        return f"_s{self._kept - 1}"

    def ref(self, value: Any) -> str:
        # by type and repr: Decimal("0.30") == Decimal("0.3"), but they print differently
        key: Any = (type(value), repr(value)) if isinstance(value, _BY_REPR) else id(value)
        name = self._names.get(key)
        if name is None:
            name = self._names[key] = f"_k{len(self.values)}"
            self.values[name] = value
        return name


_EMPTY: dict[str, Any] = {}
_BY_REPR = (Decimal, str, int, bool, _dt.date, V.Duration, frozenset, tuple)


# -- helpers the generated code calls (the same semantics as compile.py's closures) ------------

def _pick_list(pick, items, text):
    if not items:
        raise ValueError(f"{text}: the list is empty")
    return pick(items)


def _to_unit(x, unit, mode, text):
    if unit <= 0:
        raise ValueError(f"{text}: the unit must be positive, not {unit}")
    return (x / unit).to_integral_value(mode) * unit


def _negated(d: V.Duration) -> V.Duration:
    return V.Duration(-d.months, -d.days)


def _make_date(y, m, d, text):
    for part in (y, m, d):
        if part != part.to_integral_value():
            raise ValueError(f"{text}: {part} is not a whole number")
    try:
        return _dt.date(int(y), int(m), int(d))
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"{text}: no such date ({exc})") from None


_HELPERS: dict[str, Any] = {
    "_pick_list": _pick_list, "_to_unit": _to_unit, "_cap": capped, "_negated": _negated,
    "_make_date": _make_date, "_D": Decimal, "_min": min, "_max": max,
    "_ZERO": Decimal(0), "_FLOOR": ROUND_FLOOR, "_CEILING": ROUND_CEILING, "_HALF_UP": ROUND_HALF_UP,
    "_abs": abs, "_len": len, "_str": str, "_dict": dict, "_sum": sum, "_any": any, "_all": all, "_bool": bool,
    "_decline": _decline,
}

#: At most this many infix operators of one arithmetic chain are written in a row (one inside
#: the other for Python's compiler).
_RUN = 8

_COMPARE = {">=": ">=", ">": ">", "<": "<", "<=": "<=", "==": "==", "!=": "!=", "in": "in", "not in": "not in"}
_ROUNDING = {"floor": "_FLOOR", "ceil": "_CEILING", "round": "_HALF_UP"}


class _FoldingResolver(Resolver):
    """Lets compile.py's folder tell which sub-expressions are constants."""

    def __init__(self, reading: Callable[[str], NameReading]):
        self.reading = reading

    def constant(self, dotted: str) -> tuple[bool, Any]:
        kind, value = self.reading(dotted)
        return (True, value) if kind == "const" else (False, None)

    def name(self, dotted: str):
        return lambda env: None  # never run: only constants fold


class ExpressionWriter:
    """Writes one checked expression as a Python expression over the pool's names."""

    def __init__(self, typed: TypedExpression, reading: Callable[[str], NameReading], pool: _Pool):
        self.typed = typed
        self.reading = reading
        self.pool = pool
        self._folder = _Compiler(typed, _FoldingResolver(reading))

    def write(self, node: A.Node | None = None) -> str:
        node = self.typed.tree if node is None else node
        if not isinstance(node, (A.Literal, A.Name)) and not _has_cap(node):
            folded = self._folder.compile(node)  # (an error folding a constant stays for run time)
            if isinstance(folded, _Const):
                return self.pool.ref(folded.value)
        method = getattr(self, "_" + type(node).__name__)
        return method(node)

    def _type(self, node: A.Node) -> str:
        return self.typed.type_of(node).name

    def _text(self, node: A.Node) -> str:
        return self.pool.ref(self.typed.expression.text[node.start:node.end])

    def _Literal(self, node: A.Literal) -> str:
        return self.pool.ref(node.value)

    def _Name(self, node: A.Name) -> str:
        kind, what = self.reading(node.dotted)
        if kind == "const":
            return self.pool.ref(what)
        if kind == "local":
            return what
        raise Unsupported(node.dotted)  # pragma: no cover

    def _ListExpr(self, node: A.ListExpr) -> str:
        return "(" + "".join(self.write(i) + ", " for i in node.items) + ")"

    def _Negate(self, node: A.Negate) -> str:
        inner = self.write(node.operand)
        if self._type(node.operand) == "duration":
            return f"_negated({inner})"
        return f"(-{inner})"

    def _Chain(self, node: A.Chain) -> str:
        parts = [self.write(operand) for operand in node.operands]
        if node.level in ("and", "or"):
            # three-valued in the interpreter; here every fact is present (a missing one declines first)
            return "(" + f" {node.level} ".join(parts) + ")"
        return self._arithmetic(parts, self.typed.operand_types(node))

    def _arithmetic(self, parts: list[str], types: list[tuple[str, str, str]]) -> str:
        """``a + b - c ...``, left to right, each step the interpreter's operation (compile.py's
        ``operation``): Python's infix operator where it is one, else a call of the operation.

        Python's parser and compiler nest once per operator, call and parenthesis, so the chain
        is written with each operand one level in, however long: a short run of infix operators
        as it is (``(a + b - c)``), one call as it is (``_k1(a, b)``), and anything longer as a
        tuple that keeps what is computed so far in a variable, ``_RUN`` operators at a time, and
        a call's operands in variables (``(_s0 := a, _s0 := _s0 + b ..., _s0 := _k1(_s0, _s1), _s0)[-1]``)."""
        steps = [(operation(op, lt, rt), right) for (op, lt, rt), right in zip(types, parts[1:])]
        signs = [INFIX.get(fn) for fn, _right in steps]
        if None not in signs and len(steps) <= _RUN:
            return "(" + parts[0] + "".join(f" {sign} {right}" for sign, (_fn, right) in zip(signs, steps)) + ")"
        if len(steps) == 1:
            (fn, right), = steps
            return f"{self.pool.ref(fn)}({parts[0]}, {right})"
        so_far, operand = self.pool.keeper(), None
        kept, run = [f"{so_far} := {parts[0]}"], []
        for sign, (fn, right) in zip(signs, steps):
            if sign is None or len(run) == _RUN:
                if run:
                    kept.append(f"{so_far} := {so_far}" + "".join(run))
                    run = []
            if sign is not None:
                run.append(f" {sign} {right}")
                continue
            if not right.isidentifier():
                operand = operand or self.pool.keeper()
                kept.append(f"{operand} := {right}")
                right = operand
            kept.append(f"{so_far} := {self.pool.ref(fn)}({so_far}, {right})")
        if run:
            kept.append(f"{so_far} := {so_far}" + "".join(run))
        return "(" + ", ".join(kept) + f", {so_far})[-1]"

    def _Compare(self, node: A.Compare) -> str:
        l, r = self.write(node.left), self.write(node.right)
        if node.op in ("in", "not in") and r in self.pool.values:
            c = self.pool.values[r]
            if isinstance(c, tuple) and all(not isinstance(x, tuple) for x in c):
                r = self.pool.ref(frozenset(c))
        return f"({l} {_COMPARE[node.op]} {r})"

    def _Not(self, node: A.Not) -> str:
        return f"(not {self.write(node.operand)})"

    def _If(self, node: A.If) -> str:
        return f"({self.write(node.then)} if {self.write(node.condition)} else {self.write(node.otherwise)})"

    def _Call(self, node: A.Call) -> str:
        f, args = node.function, node.arguments
        if f in ("any", "all") and len(args) == 1 and isinstance(args[0], A.ListExpr):
            items = [f"_bool({self.write(i)})" for i in args[0].items]
            if not items:
                return self.pool.ref(f == "all")
            return "(" + (" or " if f == "any" else " and ").join(items) + ")"
        parts = [self.write(a) for a in args]
        if f in ("min", "max"):
            if len(parts) == 1:
                return f"_pick_list(_{f}, {parts[0]}, {self._text(node)})"
            return f"_{f}({', '.join(parts)})"
        if f in _ROUNDING:
            mode = _ROUNDING[f]
            if len(parts) == 1:
                return f"{parts[0]}.to_integral_value({mode})"
            return f"_to_unit({parts[0]}, {parts[1]}, {mode}, {self._text(node)})"
        if f == "abs":
            return f"_abs({parts[0]})"
        if f in ("year", "month"):
            return f"_D({parts[0]}.{f})"
        if f == "date":
            return f"_make_date({parts[0]}, {parts[1]}, {parts[2]}, {self._text(node)})"
        if f == "between":
            return f"({parts[1]} <= {parts[0]} <= {parts[2]})"
        if f == "sum":
            return f"_sum({parts[0]}, _ZERO)"
        if f == "count":
            return f"_D(_len({parts[0]}))"
        if f in ("any", "all"):
            return f"_{f}({parts[0]})"
        if f == "cap":
            return f"_cap({parts[0]}, {parts[1]})"
        raise Unsupported(f)


def _has_cap(node: A.Node) -> bool:
    """``cap(...)`` is never folded by the interpreter (its trace note is recorded at run time)."""
    if isinstance(node, A.Call) and node.function == "cap":
        return True
    return any(_has_cap(child) for child in A.children(node))


def compile_fast_expression(typed: TypedExpression, reading: Callable[[str], NameReading]
                            ) -> tuple[Callable[..., Any], str]:
    """One expression as a generated function of the locals it reads (for tests and tools)."""
    pool = _Pool()
    body = ExpressionWriter(typed, reading, pool).write()
    source = f"def _expression(env):\n    return {body}\n"
    return _build(source, "_expression", pool), source


def _build(source: str, name: str, pool: _Pool) -> Callable:
    namespace: dict[str, Any] = dict(_HELPERS)
    namespace.update(pool.values)
    code = compile(source, f"<ordinance generated {name}>", "exec")
    exec(code, namespace)  # the generated source holds no rule text: see the module's docstring
    return namespace[name]


class GeneratedRun:
    """A generated function with its source and what its names refer to."""

    def __init__(self, fast: Callable[..., Any], source: str, references: dict[str, Any],
                 applicant_facts: tuple[str, ...] = ()):
        self.fast = fast
        self.source = source
        self.references = references
        #: for a claim function: the applicant's facts it takes as parameters, in order
        self.applicant_facts = applicant_facts

    def listing(self) -> str:
        """The source, preceded by what each ``_kN`` it refers to holds (for ``ordinance show
        --generated``)."""
        lines = ["# what the names refer to (values, never code):"]
        for name, value in self.references.items():
            lines.append(f"#   {name} = {_describe_reference(value)}")
        return "\n".join(lines) + "\n" + self.source


def _describe_reference(value: Any) -> str:
    if callable(value) and not isinstance(value, type):
        owner = getattr(value, "__self__", None)
        name = getattr(value, "__name__", "function")
        return f"<{name} of {type(owner).__name__}>" if owner is not None else f"<{name}>"
    if isinstance(value, type):
        return f"<class {value.__name__}>"
    if isinstance(value, MeasurePlan):
        return f"<plan of {value.key}>"
    if hasattr(value, "id") and hasattr(value, "per"):  # a cap
        return f"<cap {value.id} per {value.per}>"
    if isinstance(value, frozenset):  # in a fixed order (a set's own depends on the hash seed)
        text = "frozenset({" + ", ".join(sorted(map(repr, value))) + "})"
        return text if len(text) <= 100 else text[:97] + "..."
    text = repr(value)
    return text if len(text) <= 100 else text[:97] + "..."


class ClaimWriter:
    """Writes the claim function of one measure from its plan (see the module's docstring).

    ``kit`` holds what the function calls, shared with the reference: ``read`` (the plain case
    reader of facts), ``refused`` (a refused claim's result, as the reference builds it),
    ``validity`` and ``failed`` (the reference's refusals), ``project_needed``, ``ClaimResult``,
    and the claim keys' ``readers``.
    """

    _SPECIAL = {"claim.date": "_day", "claim.id": "_cid", "claim.project": "_project"}

    def __init__(self, plan: MeasurePlan, kit: Mapping[str, Any]):
        self.plan = plan
        self.kit = kit
        self.pool = _Pool()
        self.lines: list[str] = []
        self.indent = 1
        self.emitted: dict[str, str] = {}  # "value:name" / "table:name.column" -> local variable
        self._emitting: set[str] = set()
        self._tables_done: set[str] = set()
        self.facts: dict[str, str] = {}  # full name -> local variable
        self.reads_project = False
        self._locals = locals_of(plan)
        self._ordering = False

    def emit(self, line: str, level: int = 0) -> None:
        self.lines.append("    " * (self.indent + level) + line)

    # how a name is read ------------------------------------------------------------------------
    def reading(self, dotted: str) -> NameReading:
        plan = self.plan
        p = plan.parameters.get(dotted)
        if p is not None:
            if p.constant:
                return ("const", p.value)
            raise Unsupported("a parameter whose value changes from a date")
        if dotted in plan.values:
            return ("local", self._value(dotted))
        head = dotted.split(".", 1)[0]
        if head in plan.tables and "." in dotted:
            return ("local", self._table_column(head, dotted.split(".", 1)[1]))
        special = self._SPECIAL.get(dotted)
        if special is not None:
            self.reads_project = self.reads_project or dotted == "claim.project"
            return ("local", special)
        var = self.facts.get(dotted)
        if var is None:
            var = self.facts[dotted] = f"_f{len(self.facts)}"
        return ("local", var)

    def expression(self, expr: Expr) -> str:
        return ExpressionWriter(expr.typed, self.reading, self.pool).write()

    def _value(self, name: str) -> str:
        key = "value:" + name
        var = self.emitted.get(key)
        if var is not None:
            return var
        if key in self._emitting:  # pragma: no cover - the checker refuses cycles
            raise Unsupported("cycle")
        self._first(name)
        self._emitting.add(key)
        code = self.expression(self.plan.values[name].expr)  # emits what it reads first
        var = f"_v{len(self.emitted)}"
        self.emit(f"{var} = {code}")
        self.emitted[key] = var
        return var

    def _first(self, name: str) -> None:
        """For a value or table that reaches deeper than ``DEEP``: write what it reads first, in
        the order they can be computed, so that writing it follows no chain on Python's stack."""
        if self._ordering or self._locals.weight.get(name, 0) <= DEEP:
            return
        self._ordering = True
        try:
            for dep in self._locals.closure(name):
                if dep in self.plan.values:
                    self._value(dep)
                elif dep not in self._tables_done:
                    self._table(dep)
        finally:
            self._ordering = False

    def _table_column(self, table: str, column: str) -> str:
        if table not in self._tables_done:
            self._table(table)
        var = self.emitted.get(f"table:{table}.{column}")
        if var is None:  # pragma: no cover - the checker refuses unknown columns
            raise Unsupported(f"{table}.{column}")
        return var

    def _table(self, name: str) -> None:
        key = "table:" + name
        if key in self._emitting:  # pragma: no cover
            raise Unsupported("cycle")
        self._first(name)
        self._emitting.add(key)
        table = self.plan.tables[name]
        columns = table.columns
        if any(tuple(r.cells) != columns for r in table.rows):
            raise Unsupported("rows with different columns")
        n = len(self._tables_done)
        variables = {c: f"_t{n}_{j}" for j, c in enumerate(columns)}
        # everything the rows read is computed first (the interpreter reads lazily; an error here
        # sends the case to it)
        whens = [self.expression(r.when) if r.when is not None else None for r in table.rows]
        cells = [{c: self.expression(e) for c, e in r.cells.items()} for r in table.rows]
        first = True
        closed = False
        for when, row_cells in zip(whens, cells):
            if when is None:
                self.emit("else:" if not first else "if True:")
                closed = True
            else:
                self.emit(f"{'if' if first else 'elif'} {when}:")
            for c, code in row_cells.items():
                self.emit(f"{variables[c]} = {code}", 1)
            if not row_cells:
                self.emit("pass", 1)
            first = False
            if closed:
                break
        if not closed:  # no row applies: the interpreter says so (it may not have needed the table)
            if first:
                self.emit(f"_decline({self.pool.ref('no-table-row')})")
            else:
                self.emit("else:")
                self.emit(f"_decline({self.pool.ref('no-table-row')})", 1)
        for c, var in variables.items():
            self.emitted[f"table:{name}.{c}"] = var
        self._tables_done.add(name)

    # the function ------------------------------------------------------------------------------
    def body(self) -> None:
        """Validity, the conditions, then the benefit, ending in ``return (result, pooled caps)``."""
        plan, pool = self.plan, self.pool
        refused = f"_refused({pool.ref(plan)}, _tag, _cid, _day, _project, "
        self.emit(f"if not ({pool.ref(plan.first_day)} <= _day <= {pool.ref(plan.last_day)}):")
        self.emit(f"return {refused}_validity({pool.ref(plan)}, _day, None)), None", 1)
        values = []
        for i, cond in enumerate(plan.conditions):
            self.emit(f"_c{i} = {self.expression(cond.when)}")
            values.append(f"_c{i}")
        if values:
            self.emit(f"if not ({' and '.join(values)}):")
            self.emit(f"return {refused}_failed({pool.ref(plan)}, ({''.join(v + ', ' for v in values)}))), None", 1)
        amount = ceiling = duration = rank = "None"
        step = plan.amount
        if step is not None:
            # the amount's rules are the shared ones (rules/amount.py), as the interpreter's
            self.emit(f"_a = _floored({self.expression(step.expr)}, {pool.ref(step)})")
            for cap in plan.caps:
                self.emit(f"_a = _capped(_a, {self.expression(cap.limit)})")
            self.emit(f"_a = _rounded(_a, {pool.ref(step)})")
            amount = "_a"
        if plan.ceiling is not None:
            self.emit(f"_ceiling = {self.expression(plan.ceiling)}")
            ceiling = "_ceiling"
        if plan.duration is not None:
            self.emit(f"_duration = {self.expression(plan.duration)}")
            duration = "_duration"
        pooled = "None"
        if plan.pooled:
            pooled = "[" + ", ".join(f"({pool.ref(cap)}, {self.expression(cap.limit)})" for cap in plan.pooled) + "]"
        if plan.quota is not None:
            rank = self.expression(plan.quota.rank_by)
        self.emit(f"_pl = {pooled}")
        if plan.exclusive:  # an exclusive claim names its project, or it cannot be compared
            self.emit("if _project is None:")
            self.emit(f"return {refused}_project_needed({pool.ref(plan)}, {amount}, {ceiling}, _pl)), None", 1)
        self.emit(f"return _ClaimResult(_cid, {pool.ref(plan.id)}, _tag, {pool.ref('eligible')}, {amount}, "
                  f"{pool.ref(plan.basis)}, {pool.ref(plan.benefit)}, {ceiling}, {duration}, None, None, None, None, "
                  f"None, None, _day, _day.year, _project, {rank}), _pl")

    def prologue(self) -> list[str]:
        """Read the claim: its keys checked (every fact it gives converted, to check it), its id,
        project and date, and every fact the body reads into its local, each with the one
        converter of its type (a missing one declines); the applicant's facts come as parameters."""
        pool, plan = self.pool, self.plan
        fail = pool.ref("fact-missing")
        readers = self.kit["claim_readers"]  # key -> (full name, converter), None for id, measure, ...
        read = {full: key for key, (full, _t) in plan.claim_facts.items() if full in self.facts}
        lines = known_keys("_item", readers, set(read.values()) | {k for k, r in readers.items() if r is None},
                           pool)
        lines += [f"_cid = _item.get({pool.ref('id')})",
                  "if _cid is None:",
                  f"    _cid = {pool.ref('claim-')} + _str(_i + 1)",
                  f"elif _cid.__class__ is not {pool.ref(str)}:",
                  f"    _decline({pool.ref('case-shape')})",
                  f"_project = _item.get({pool.ref('project')})",
                  f"if _project is not None and _project.__class__ is not {pool.ref(str)}:",
                  f"    _decline({pool.ref('case-shape')})",
                  f"_day = _item.get({pool.ref('date')})",
                  "if _day is None:",
                  f"    _decline({fail})",
                  f"_day = {pool.ref(self.kit['read_date'])}(_day)"]
        if self.reads_project:
            lines += ["if _project is None:", f"    _decline({fail})"]
        for full, var in self.facts.items():
            if full in read:
                lines += [f"{var} = _item.get({pool.ref(read[full])})", f"if {var} is None:", f"    _decline({fail})",
                          f"{var} = {pool.ref(readers[read[full]][1])}({var})"]
            elif full.startswith("claim."):  # pragma: no cover - the checker declares every fact read
                raise Unsupported(f"a fact no claim gives: {full}")
            else:
                lines += [f"if {var} is None:", f"    _decline({fail})"]
                period = plan.periods.get(full)
                if period is not None:  # given per year: the year the period reads, as the interpreter
                    lines += [f"if {var}.__class__ is {pool.ref(ByYear)}:",  # (a plain value is every year's)
                              f"    {var} = {pool.ref(value_for)}({var}, {pool.ref(period)}, _day)",
                              f"    if {var} is None:", f"        _decline({fail})"]
        return lines

    @property
    def applicant_facts(self) -> list[str]:
        """The applicant's facts the claim function takes as parameters, in order (after writing)."""
        return [full for full in self.facts if not full.startswith("claim.")]

    def write(self) -> GeneratedRun:
        self.body()
        body, self.lines = self.lines, []
        prologue = ["    " + line for line in self.prologue()]
        pool = self.pool
        for key in ("_refused", "_validity", "_failed", "_project_needed", "_ClaimResult", "_floored", "_capped",
                    "_rounded"):
            pool.values[key] = self.kit[key]
        parameters = "".join(f", {self.facts[full]}" for full in self.applicant_facts)
        source = f"def _claim(_item, _i, _tag{parameters}):\n" + "\n".join(prologue + body) + "\n"
        return GeneratedRun(_build(source, "_claim", pool), source, dict(pool.values), tuple(self.applicant_facts))


def known_keys(source: str, readers: Mapping[str, Any], fast: set[str], pool: _Pool) -> list[str]:
    """Every key of the dict ``source`` is known to ``readers`` (key -> (full name, converter), or
    None for a key read otherwise), or decline; a fact the body does not read (``fast`` are the
    keys it reads) is converted all the same, to check it, as the plain case reader does."""
    return [f"if not {pool.ref(frozenset(fast))}.issuperset({source}):",
            f"    if not {pool.ref(frozenset(readers))}.issuperset({source}):",
            f"        _decline({pool.ref('unknown-key')})",
            f"    for _key, _value in {source}.items():",
            f"        _reader = {pool.ref(readers)}[_key]",
            "        if _reader is not None and _value is not None and _key not in "
            f"{pool.ref(frozenset(fast))}:",
            "            _reader[1](_value)"]


def generate_claim(plan: MeasurePlan, kit: Mapping[str, Any]) -> GeneratedRun:
    """The claim function of ``plan``; raises :class:`Unsupported` where the measure has none."""
    return ClaimWriter(plan, kit).write()


def generate_case(plans: Sequence[MeasurePlan], claims: Sequence[GeneratedRun], kit: Mapping[str, Any]
                  ) -> GeneratedRun:
    """The case function of a shape of case: ``plans`` of its claims in order, ``claims`` their
    claim functions.  ``kit``: the plain readers of the applicant and the history, the rules
    spanning claims (``span``, with ``Entry``), ``Decision``, and the policy's
    identity (``policy_id``, ``digest``, ``refs``, ``tag`` of each plan)."""
    pool = _Pool()
    n = len(plans)
    readers = kit["applicant_readers"]  # key -> (full name, converter)
    by_full = {full: key for key, (full, _c) in readers.items()}
    needed = list(dict.fromkeys(full for claim in claims for full in claim.applicant_facts))
    if any(full not in by_full for full in needed):
        raise Unsupported("a fact neither the applicant nor the claim gives")
    lines = [
        f"if not {pool.ref(kit['case_keys'])}.issuperset(_data):",
        f"    _decline({pool.ref('unknown-key')})",
        f"_id = _data.get({pool.ref('case')})",
        "if _id is None:",
        "    _id = _name",
        f"elif _id.__class__ is not {pool.ref(str)}:",
        f"    _decline({pool.ref('case-shape')})",
        f"_items = _data[{pool.ref('claims')}]",
        f"_ap = _data.get({pool.ref('applicant')})",
        "if _ap is None:",
        f"    _ap = {pool.ref(_EMPTY)}",
        f"elif _ap.__class__ is not {pool.ref(dict)}:",
        f"    _decline({pool.ref('case-shape')})",
    ]
    lines += known_keys("_ap", readers, {by_full[full] for full in needed}, pool)
    variables = {}
    for j, full in enumerate(needed):  # each with the one converter of its type; None where not given
        key = by_full[full]
        variables[full] = f"_a{j}"
        lines += [f"_a{j} = _ap.get({pool.ref(key)})", f"if _a{j} is not None:",
                  f"    _a{j} = {pool.ref(readers[key][1])}(_a{j})"]
    lines += [f"_history = _data.get({pool.ref('history')})",
              f"_history = {pool.ref(kit['read_history'])}(_history) if _history else ()"]
    for i, (plan, claim) in enumerate(zip(plans, claims)):
        arguments = "".join(f", {variables[full]}" for full in claim.applicant_facts)
        lines.append(f"_r{i}, _pl{i} = {pool.ref(claim.fast)}(_items[{i}], {i}, {pool.ref(kit['tag'](plan))}{arguments})")
    results = [f"_r{i}" for i in range(n)]
    if n > 1:
        lines += [f"if _len({{{', '.join(r + '.claim' for r in results)}}}) != {n}:",
                  f"    _decline({pool.ref('duplicate-claim')})"]
    spans = 0
    for plan in plans:
        spans |= plan.spans
    if spans:  # the rules spanning claims: the one copy, on entries as the reference makes them
        entries = ", ".join(f"_Entry({pool.ref(plan)}, _r{i}, {i}, _pl{i})" for i, plan in enumerate(plans))
        lines.append(f"_span([{entries}], _history, {pool.ref(kit['plans'])}, {spans})")
    lines.append(f"return _Decision({pool.ref(kit['policy_id'])}, {pool.ref(kit['digest'])}, _id, "
                 f"[{', '.join(results)}], {pool.ref(kit['refs'])}, None)")
    for key in ("_span", "_Entry", "_Decision"):
        pool.values[key] = kit[key]
    source = "def _case(_data, _name):\n" + "\n".join("    " + line for line in lines) + "\n"
    return GeneratedRun(_build(source, "_case", pool), source, dict(pool.values))

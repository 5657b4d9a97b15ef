"""Stage 5c, generate: one Python function per measure for the untraced fast path.

The closures of :mod:`ordinance.engine.compile` are general: three-valued, traceable, one call
per node.  Deciding a claim with the trace off needs none of that on the common path, where
every fact is present and nothing fails.  This module writes, from the *checked AST* of a
measure, the source of one Python function that computes what
:meth:`MeasureProgram.run <ordinance.engine.program.MeasureProgram.run>` computes on that
path (conditions, tables, named values, amount, caps per claim, cent rounding, the limits of
the caps that span claims, the quota's key) with no call per node, and compiles it once.

Safety: rule text never becomes code.  Every literal, fact name, table and constant enters the
generated source as a *reference* to a value in the function's namespace (``_k3``), never as
text; generated identifiers are ``_v0``, ``_t1_0`` and the like; operators come from a fixed
table keyed by the AST node kind.  The source can be read (:meth:`GeneratedRun.listing`,
``ordinance show MEASURE --generated``).

Equivalence: the generated function returns ``None`` whenever anything is out of the ordinary
(a fact is missing, no table row applies, an arithmetic error, anything at all), and the caller
then runs the closures, which decide and explain exactly as before.  So the fast path can only
ever be faster, never different; ``tests/test_codegen.py`` checks every expression form and
every bundled test case both ways.
"""

from __future__ import annotations

import datetime as _dt
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Callable

from .. import values as V
from ..grammar import ast as A
from .check import TypedExpression
from .compile import Resolver, _Compiler, _Const

if TYPE_CHECKING:  # pragma: no cover
    from .program import MeasureProgram

#: A name's reading in generated code: ("const", value), ("fact", key), ("local", var) or
#: ("call", closure) -- the last for what only the closures know how to read (dated parameters).
NameReading = tuple[str, Any]


class Unsupported(Exception):
    """The generator does not handle this construct: the closures alone serve the measure."""


class _Pool:
    """The values the generated source refers to, each under a generated name."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self._names: dict[tuple[type, Any] | int, str] = {}

    def ref(self, value: Any) -> str:
        # by type and repr: Decimal("0.30") == Decimal("0.3"), but they print differently
        key: Any = (type(value), repr(value)) if isinstance(value, _BY_REPR) else id(value)
        name = self._names.get(key)
        if name is None:
            name = self._names[key] = f"_k{len(self.values)}"
            self.values[name] = value
        return name


_BY_REPR = (Decimal, str, int, bool, _dt.date, V.Duration, frozenset, tuple)


# -- helpers the generated code calls (the same semantics as compile.py's closures) ------------

def _pick_list(pick, items, text):
    if not items:
        raise ValueError(f"{text}: the list is empty")
    return pick(items)


def _to_unit(x, unit, mode, text):
    if unit <= 0:
        raise ValueError(f"{text}: the unit must be positive, not {unit}")
    return (x / unit).to_integral_value(rounding=mode) * unit


def _cap(amount, limit):
    return limit if amount > limit else amount


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
    "_pick_list": _pick_list, "_to_unit": _to_unit, "_cap": _cap, "_negated": _negated,
    "_make_date": _make_date, "_D": Decimal, "_Duration": V.Duration, "_min": min, "_max": max,
    "_ZERO": Decimal(0), "_FLOOR": ROUND_FLOOR, "_CEILING": ROUND_CEILING, "_HALF_UP": ROUND_HALF_UP,
    "_abs": abs, "_len": len, "_sum": sum, "_any": any, "_all": all, "_bool": bool,
}

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
            try:
                folded = self._folder.compile(node)
            except Exception:  # pragma: no cover - folding is best effort
                folded = None
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
        if kind == "fact":
            return f"env[{self.pool.ref(what)}]"
        if kind == "local":
            return what
        if kind == "call":
            return f"{self.pool.ref(what)}(env)"
        raise Unsupported(node.dotted)  # pragma: no cover

    def _ListExpr(self, node: A.ListExpr) -> str:
        return "(" + "".join(self.write(i) + ", " for i in node.items) + ")"

    def _Negate(self, node: A.Negate) -> str:
        inner = self.write(node.operand)
        if self._type(node.operand) == "duration":
            return f"_negated({inner})"
        return f"(-{inner})"

    def _Binary(self, node: A.Binary) -> str:
        l, r = self.write(node.left), self.write(node.right)
        lt, rt, op = self._type(node.left), self._type(node.right), node.op
        if op == "+":
            if lt == "date":
                return f"{r}.add_to({l})"
            if rt == "date":
                return f"{l}.add_to({r})"
            return f"({l} + {r})"
        if op == "-":
            if lt == "date" and rt == "duration":
                return f"_negated({r}).add_to({l})"
            if lt == "date" and rt == "date":
                return f"_Duration(days=({l} - {r}).days)"
            return f"({l} - {r})"
        if op == "*":
            if lt == "duration":
                return f"{l}.scale({r})"
            if rt == "duration":
                return f"{r}.scale({l})"
            return f"({l} * {r})"
        if op == "/":
            return f"({l} / {r})"
        raise Unsupported(op)  # pragma: no cover

    def _Compare(self, node: A.Compare) -> str:
        l, r = self.write(node.left), self.write(node.right)
        if node.op in ("in", "not in") and r in self.pool.values:
            c = self.pool.values[r]
            if isinstance(c, tuple) and all(not isinstance(x, tuple) for x in c):
                r = self.pool.ref(frozenset(c))
        return f"({l} {_COMPARE[node.op]} {r})"

    # three-valued in the closures; here a missing fact raises KeyError and the closures decide
    def _And(self, node: A.And) -> str:
        return f"({self.write(node.left)} and {self.write(node.right)})"

    def _Or(self, node: A.Or) -> str:
        return f"({self.write(node.left)} or {self.write(node.right)})"

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
                return f"{parts[0]}.to_integral_value(rounding={mode})"
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
    """``cap(...)`` is never folded by the closures (its trace note is recorded at run time)."""
    if isinstance(node, A.Call) and node.function == "cap":
        return True
    return any(_has_cap(child) for child in A.children(node))




def compile_fast_expression(typed: TypedExpression, reading: Callable[[str], NameReading]
                            ) -> tuple[Callable[[dict], Any], str]:
    """One expression as a generated function ``env -> value`` (for tests and tools); it raises
    what Python raises (``KeyError`` for a missing fact) where the closures would be three-valued."""
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
    """A measure's generated fast path: ``fast(env)`` gives an Outcome, or None to say "ask the
    closures"."""

    def __init__(self, fast: Callable[[dict], Any], source: str, references: dict[str, Any]):
        self.fast = fast
        self.source = source
        self.references = references

    def listing(self) -> str:
        """The source, preceded by what each ``_kN`` it refers to holds (for ``ordinance show
        --generated``)."""
        lines = ["# what the names refer to (values, never code):"]
        for name, value in self.references.items():
            shown = _describe_reference(value)
            lines.append(f"#   {name} = {shown}")
        return "\n".join(lines) + "\n" + self.source


def _describe_reference(value: Any) -> str:
    if callable(value) and not isinstance(value, type):
        owner = getattr(value, "__self__", None)
        name = getattr(value, "__name__", "function")
        return f"<{name} of {type(owner).__name__}>" if owner is not None else f"<{name}>"
    if isinstance(value, type):
        return f"<class {value.__name__}>"
    if hasattr(value, "id") and hasattr(value, "per"):  # a cap definition
        return f"<cap {value.id} per {value.per}>"
    text = repr(value)
    return text if len(text) <= 100 else text[:97] + "..."


class _MeasureWriter:
    """Writes the body of one measure's fast path, statement by statement."""

    def __init__(self, program: "MeasureProgram"):
        self.program = program
        self.measure = program.measure
        self.pool = _Pool()
        self.lines: list[str] = []
        self.emitted: dict[str, str] = {}  # "value:name" / "table:name.column" -> local variable
        self._emitting: set[str] = set()
        self._tables_done: set[str] = set()

    # how a name is read ------------------------------------------------------------------------
    def reading(self, dotted: str) -> NameReading:
        program, m = self.program, self.measure
        const = program.constants.get(dotted)
        if const is not None and const[0]:
            return ("const", const[1])
        if dotted in m.values:
            return ("local", self._value(dotted))
        head = dotted.split(".", 1)[0]
        if head in m.tables and "." in dotted:
            return ("local", self._table_column(head, dotted.split(".", 1)[1]))
        if dotted in m.parameters or dotted in program.policy.parameters:  # changes from a date on
            return ("call", program.reader(dotted))
        return ("fact", dotted)

    def expression(self, expression) -> str:
        return ExpressionWriter(self.program.checked.typed_of(expression), self.reading, self.pool).write()

    def emit(self, line: str, indent: int = 2) -> None:
        self.lines.append("    " * indent + line)

    def _value(self, name: str) -> str:
        key = "value:" + name
        var = self.emitted.get(key)
        if var is not None:
            return var
        if key in self._emitting:  # pragma: no cover - the checker refuses cycles
            raise Unsupported("cycle")
        self._emitting.add(key)
        code = self.expression(self.measure.values[name].expression)  # emits what it reads first
        var = f"_v{len(self.emitted)}"
        self.emit(f"{var} = {code}")
        self.emitted[key] = var
        return var

    def _table_column(self, table: str, column: str) -> str:
        if table not in self._tables_done:
            self._table(table)
        var = self.emitted.get(f"table:{table}.{column}")
        if var is None:
            raise Unsupported(f"{table}.{column}")
        return var

    def _table(self, name: str) -> None:
        key = "table:" + name
        if key in self._emitting:  # pragma: no cover
            raise Unsupported("cycle")
        self._emitting.add(key)
        table = self.measure.tables[name]
        columns = list(table.rows[0].cells) if table.rows else []
        if any(list(r.cells) != columns for r in table.rows):
            raise Unsupported("rows with different columns")
        n = len(self._tables_done)
        variables = {c: f"_t{n}_{j}" for j, c in enumerate(columns)}
        # everything the rows read is computed first (the closures read lazily; an error here
        # sends the claim to them)
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
                self.emit(f"{variables[c]} = {code}", 3)
            if not row_cells:
                self.emit("pass", 3)
            first = False
            if closed:
                break
        if not closed:
            if first:
                self.emit("return None")
            else:
                self.emit("else:")
                self.emit("return None", 3)  # no row applies: the closures say so
        for c, var in variables.items():
            self.emitted[f"table:{name}.{c}"] = var
        self._tables_done.add(name)

    # the function ----------------------------------------------------------------------------
    def write(self) -> GeneratedRun:
        program, m = self.program, self.measure
        pool = self.pool
        for i, (cond, _fn) in enumerate(program.conditions):
            code = self.expression(cond.when)
            self.emit(f"_c{i} = {code}")
        if program.conditions:
            values = [f"_c{i}" for i in range(len(program.conditions))]
            self.emit(f"if not ({' and '.join(values)}):")
            self.emit(f"return {pool.ref(program.conditions_failed)}(({''.join(v + ', ' for v in values)}))", 3)
        amount = ceiling = duration = pooled = rank = "None"
        if m.amount is not None:
            self.emit(f"_a = {self.expression(m.amount)}")
            self.emit("if _a < _ZERO:")
            self.emit("_a = _ZERO", 3)
            for cap, _fn in program.claim_caps:
                self.emit(f"_l = {self.expression(cap.limit)}")
                self.emit("if _a > _l:")
                self.emit("_a = _l", 3)
            amount = "_a.quantize(_CENT, rounding=_HALF_UP)"
        if m.ceiling is not None:
            ceiling = self.expression(m.ceiling)
        if m.duration is not None:
            duration = self.expression(m.duration)
        if program.pooled:
            items = [f"({pool.ref(cap)}, {self.expression(cap.limit)}, {pool.ref(p)}, {pool.ref(scope)})"
                     for cap, _fn, p, scope in program.pooled]
            pooled = f"[{', '.join(items)}]"
        if program.rank is not None:
            rank = self.expression(m.quota.rank_by)
        self.emit(f"return {pool.ref(program.outcome_class)}({pool.ref('eligible')}, {amount}, {ceiling}, "
                  f"{duration}, None, None, {pooled}, {rank})")
        pool.values["_CENT"] = V.CENT
        source = ("def _fast(env):\n"
                  "    try:\n"
                  + "\n".join(self.lines) + "\n"
                  "    except Exception:  # anything out of the ordinary: the closures decide and explain\n"
                  "        return None\n")
        return GeneratedRun(_build(source, "_fast", pool), source, dict(pool.values))


def generate_measure(program: "MeasureProgram") -> GeneratedRun | None:
    """The generated fast path of ``program``, or None where the closures must serve alone."""
    try:
        return _MeasureWriter(program).write()
    except Unsupported:
        return None
    except Exception:  # pragma: no cover - a generator bug must not stop a checked policy from loading:
        return None    # the closures serve the measure (tests/test_codegen.py requires every bundled one generated)


__all__ = ["GeneratedRun", "Unsupported", "compile_fast_expression", "generate_measure"]

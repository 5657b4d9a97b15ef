"""Stage 5c, generate: one Python function per measure for the untraced fast path.

The closures of :mod:`ordinance.engine.compile` are general: three-valued, traceable, one call
per node.  Deciding a claim with the trace off needs none of that on the common path, where
every fact is present and nothing fails.  This module writes, from the *checked AST* of a
measure, the source of one Python function that computes what
:meth:`MeasureProgram.run <ordinance.engine.program.MeasureProgram.run>` computes on that
path (conditions, tables, named values, amount, caps per claim, cent rounding, the limits of
the caps that span claims, the quota's key) with no call per node, and compiles it once.

The same body is written in other frames too: the *traced* function (the same steps, recorded
in the claim's trace), and for the express lane (:mod:`ordinance.engine.lane`) the *express*
function (a one-claim case from its plain data to its Decision), the *claim* function (one
claim of a larger case, to its entry for the rules spanning claims) and the *case* function
(a shape of case: its claims inline, then the rules spanning them, for the common case).

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

import dataclasses
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
    return (x / unit).to_integral_value(mode) * unit


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
    "_abs": abs, "_len": len, "_str": str, "_sum": sum, "_any": any, "_all": all, "_bool": bool,
}

#: Decimal operators as the methods of a decimal context (explicit mode)
_DECIMAL_METHODS = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide"}
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

    #: the types whose values are Decimals
    NUMERIC = frozenset(("money", "number", "rate"))

    def __init__(self, typed: TypedExpression, reading: Callable[[str], NameReading], pool: _Pool,
                 explicit: bool = False):
        self.typed = typed
        self.reading = reading
        self.pool = pool
        self._folder = _Compiler(typed, _FoldingResolver(reading))
        #: write Decimal arithmetic as calls on the engine's context ``_C`` (``_C.multiply(a, b)``),
        #: so that the code does not depend on the caller's decimal context
        self.explicit = explicit
        #: whether the code written depends on the current decimal context all the same (set on writing)
        self.needs_context = False

    def _arithmetic(self, method: str, *operands: str) -> str | None:
        """``_C.method(operands)`` in explicit mode, else None (write the operator)."""
        return f"_C.{method}({', '.join(operands)})" if self.explicit else None

    def _context_bound(self) -> None:
        """What is being written uses the current decimal context (a helper doing arithmetic)."""
        self.needs_context = True

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
        return self._arithmetic("minus", inner) or f"(-{inner})"

    def _Binary(self, node: A.Binary) -> str:
        l, r = self.write(node.left), self.write(node.right)
        lt, rt, op = self._type(node.left), self._type(node.right), node.op
        if lt in self.NUMERIC and rt in self.NUMERIC and op in _DECIMAL_METHODS:
            explicit = self._arithmetic(_DECIMAL_METHODS[op], l, r)
            if explicit is not None:
                return explicit
        elif not (lt == "date" or rt == "date" or op in ("+", "-") and lt == rt == "duration"):
            self._context_bound()  # a duration scaled (Decimal arithmetic inside), or anything unforeseen
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
                return f"{parts[0]}.to_integral_value({mode})"
            self._context_bound()
            return f"_to_unit({parts[0]}, {parts[1]}, {mode}, {self._text(node)})"
        if f == "abs":
            return self._arithmetic("abs", parts[0]) or f"_abs({parts[0]})"
        if f in ("year", "month"):
            return f"_D({parts[0]}.{f})"
        if f == "date":
            return f"_make_date({parts[0]}, {parts[1]}, {parts[2]}, {self._text(node)})"
        if f == "between":
            return f"({parts[1]} <= {parts[0]} <= {parts[2]})"
        if f == "sum":
            self._context_bound()
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
        self.table_numbers: dict[str, int] = {}  # table name -> n of its variables _t{n}_{j}

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

    #: set ``_tm{n}`` to the index of the row that applied in each table (for the traced function)
    mark_rows = False
    #: write Decimal arithmetic against the context ``_C`` (see ExpressionWriter.explicit)
    explicit = False
    #: whether some code written depends on the current decimal context all the same
    needs_context = False

    def expression(self, expression) -> str:
        writer = ExpressionWriter(self.program.checked.typed_of(expression), self.reading, self.pool, self.explicit)
        code = writer.write()
        self.needs_context = self.needs_context or writer.needs_context
        return code

    #: the indentation of the body's statements (in the function, inside its ``try:``)
    indent = 2

    def emit(self, line: str, level: int = 0) -> None:
        self.lines.append("    " * (self.indent + level) + line)

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
        self.table_numbers[name] = n
        for i, (when, row_cells) in enumerate(zip(whens, cells)):
            if when is None:
                self.emit("else:" if not first else "if True:")
                closed = True
            else:
                self.emit(f"{'if' if first else 'elif'} {when}:")
            for c, code in row_cells.items():
                self.emit(f"{variables[c]} = {code}", 1)
            if self.mark_rows:
                self.emit(f"_tm{n} = {i}", 1)  # which row applied (for the trace)
            elif not row_cells:
                self.emit("pass", 1)
            first = False
            if closed:
                break
        if not closed:
            if first:
                self.emit("return None")
            else:
                self.emit("else:")
                self.emit("return None", 1)  # no row applies: the closures say so
        for c, var in variables.items():
            self.emitted[f"table:{name}.{c}"] = var
        self._tables_done.add(name)

    def refused(self, outcome: str) -> str:
        """What the function returns when a condition is false, given the Outcome's code."""
        return outcome

    # the function ----------------------------------------------------------------------------
    def body(self) -> None:
        """The conditions, then the amount (the part both generated functions share)."""
        program, m, pool = self.program, self.measure, self.pool
        for i, (cond, _fn) in enumerate(program.conditions):
            code = self.expression(cond.when)
            self.emit(f"_c{i} = {code}")
        if program.conditions:
            values = [f"_c{i}" for i in range(len(program.conditions))]
            self.emit(f"if not ({' and '.join(values)}):")
            failed = f"{pool.ref(program.conditions_failed)}(({''.join(v + ', ' for v in values)}))"
            self.emit("return " + self.refused(failed), 1)
        if m.amount is not None:
            self.emit(f"_a = {self.expression(m.amount)}")
            self.emit("if _a < _ZERO:")
            self.emit("_a = _ZERO", 1)
            for cap, _fn in program.claim_caps:
                self.emit(f"_l = {self.expression(cap.limit)}")
                self.emit("if _a > _l:")
                self.emit("_a = _l", 1)

    def write(self) -> GeneratedRun:
        program, m = self.program, self.measure
        pool = self.pool
        self.body()
        amount = ceiling = duration = pooled = rank = "None"
        if m.amount is not None:
            amount = "_a.quantize(_CENT, _HALF_UP)"
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
        return self.function("_fast", "env")

    def function(self, name: str, parameters: str) -> GeneratedRun:
        """The lines written, as the body of ``def name(parameters)`` that returns None (the
        closures decide) on any exception, compiled."""
        self.pool.values["_CENT"] = V.CENT
        source = (f"def {name}({parameters}):\n"
                  "    try:\n"
                  + "\n".join(self.lines) + "\n"
                  "    except Exception:  # anything out of the ordinary: the closures decide and explain\n"
                  "        return None\n")
        return GeneratedRun(_build(source, name, self.pool), source, dict(self.pool.values))


class _ExpressWriter(_MeasureWriter):
    """Writes a measure's *express* function: a one-claim case without history, from its plain
    data to its :class:`~ordinance.engine.decision.Decision`, in one function.

    It reads the facts the measure needs into local variables (converting the common shapes
    inline and every other one with the same converter as the plain-case reader), checks the
    validity windows, runs the same body as :meth:`_MeasureWriter.write` over the locals, bounds
    the amount by the caps spanning awards as :func:`~ordinance.engine.evaluate.cap_alone` does,
    and builds the result.  It returns None (the express lane then decides the usual way) for a
    missing fact, an unknown key, a value that does not convert, an exhausted cap, any exception.
    """

    indent = 3  # def, try: (anything unusual declines), try: (the decimal context, when it is needed)
    explicit = True
    #: the function written, and its parameters
    name, parameters = "_express", "_data, _item, _name"
    #: what the function calls with a refused claim's Outcome (see :meth:`refused`)
    settles = "_settle"

    def __init__(self, program: "MeasureProgram", policy: Any, kit: dict[str, Any]):
        super().__init__(program)
        self.policy = policy
        self.kit = kit
        self.facts: dict[str, str] = {}  # full name -> local variable, in the order first read
        self.reads_project = False

    _SPECIAL = {"claim.date": "_day", "claim.id": "_cid", "claim.project": "_project"}

    def reading(self, dotted: str) -> NameReading:
        kind, what = super().reading(dotted)
        if kind == "call":
            raise Unsupported("a parameter whose value changes from a date")
        if kind != "fact":
            return kind, what
        special = self._SPECIAL.get(what)
        if special is not None:
            self.reads_project = self.reads_project or what == "claim.project"
            return "local", special
        var = self.facts.get(what)
        if var is None:
            var = self.facts[what] = f"_f{len(self.facts)}"
        return "local", var

    def refused(self, outcome: str) -> str:
        return f"_settle(_cid, _day, _project, _case, {outcome})"

    def default_id(self) -> str:
        """The claim's id when it gives none (a one-claim case: the first)."""
        return self.pool.ref("claim-1")

    def check_supported(self) -> None:
        if self.program.rank is not None or self.program.cross_claim_steps & ~self.kit["POOLED_CAPS"]:
            raise Unsupported("a measure the express lane never takes")

    #: what the function refers to from the lane's kit
    kit_keys = ("_validity", "_ctx", "_getcontext", "_setcontext", "_new", "_text", "_convert_value", "_DATE",
                "_plain", "_LIMIT", "_program", "_dates")
    #: whether the function enters the engine's decimal context when some arithmetic reads it
    switches_context = True

    def write(self) -> GeneratedRun:
        statements = self.statements()
        source = (f"def {self.name}({self.parameters}):\n"
                  "    try:\n"
                  + "\n".join(statements) + "\n"
                  "    except Exception:  # anything out of the ordinary: the lane decides the usual way\n"
                  "        return None\n")
        return GeneratedRun(_build(source, self.name, self.pool), source, dict(self.pool.values))

    def statements(self) -> list[str]:
        """The function's statements, as they stand inside its ``try:`` (indented by 8)."""
        program, m, pool = self.program, self.measure, self.pool
        self.check_supported()
        self.body()
        if m.amount is not None:
            self.emit("_a = _a.quantize(_CENT, _HALF_UP, _C)")
        ceiling = self.expression(m.ceiling) if m.ceiling is not None else "None"
        duration = self.expression(m.duration) if m.duration is not None else "None"
        self.finish(ceiling, duration)
        body, self.lines = self.lines, []
        self._prologue()
        prologue, self.lines = self.lines, []
        for key in (self.settles, *self.kit_keys) if self.settles else self.kit_keys:
            pool.values[key] = self.kit[key]
        pool.values["_CENT"] = V.CENT
        pool.values["_C"] = _ENGINE_CONTEXT
        validity = self.validity(f"not ({pool.ref(program.first_day)} <= _day <= {pool.ref(program.last_day)})")
        if self.needs_context and self.switches_context:  # some arithmetic reads the current context
            return (prologue + ["        _saved = _getcontext()", "        _setcontext(_ctx())", "        try:"]
                    + ["            " + line for line in validity] + body
                    + ["        finally:", "            _setcontext(_saved)"])
        return prologue + ["        " + line for line in validity] + [line[4:] for line in body]

    def validity(self, outside: str) -> list[str]:
        """The validity test: inside the first and last day of every window, or the windows decide."""
        return [f"if {outside}:", "    _o = _validity(_program, _day, None)",
                f"    return None if _o is None else {self.refused('_o')}"]

    def finish(self, ceiling: str, duration: str) -> None:
        """The end of the body: the caps spanning awards, as ``cap_alone``, then the Decision."""
        program, m, pool, policy = self.program, self.measure, self.pool, self.policy
        granted = "_a" if m.amount is not None else "None"
        if program.pooled:  # as cap_alone: each bounds the amount; computed even without one
            if m.amount is not None:
                self.emit("_g = _a")
                granted = "_g"
            for cap, _fn, _pool, _scope in program.pooled:
                self.emit(f"_l = {self.expression(cap.limit)}")
                if m.amount is not None:
                    self.emit("if _g > _l:")
                    self.emit("_g = _ZERO if _ZERO > _l else _l", 1)  # max(limit, 0), as cap_alone
            if m.amount is not None:
                self.emit("if not _g and _a:")
                self.emit("return None", 1)  # a cap used up: the lane words the reason
        self.result(granted, ceiling, duration, "None")
        decision = {"policy_id": pool.ref(policy.id), "policy_digest": pool.ref(policy.digest), "case": "_case",
                    "results": "[_r]", "policies": pool.ref(policy.refs), "as_of": "None"}
        decision_class = self.kit["Decision"]
        self.fill("_d", decision_class, decision, {f.name for f in dataclasses.fields(decision_class)})
        self.emit("return _d")

    def result(self, amount: str, ceiling: str, duration: str, rank: str) -> None:
        """``_r``, the eligible claim's result, filled slot by slot (as ``claim_result``)."""
        program, m, pool, policy = self.program, self.measure, self.pool, self.policy
        fields = {"claim": "_cid", "measure": pool.ref(m.id), "policy": pool.ref(program.policy.id if policy.multi else ""),
                  "status": pool.ref("eligible"), "amount": amount, "basis": pool.ref(m.basis),
                  "benefit": pool.ref(m.benefit), "ceiling": ceiling, "duration": duration, "reasons": "[]",
                  "missing": "[]", "notes": "[]", "quota": "None", "superseded_by": "None", "trace": "None",
                  "date": "_day", "year": "_day.year", "project": "_project", "rank": rank}
        self.fill("_r", self.kit["ClaimResult"], fields, set(self.kit["ClaimResult"].__slots__))

    def fill(self, var: str, cls: type, fields: dict[str, str], declared: set[str]) -> None:
        """``var``, a new ``cls`` with each field set, slot by slot; ``declared``, the class's fields,
        must be those given (so that the generated code keeps in step with the class)."""
        if set(fields) != declared:  # pragma: no cover - the class changed: keep in step
            raise Unsupported(f"{cls.__name__}'s fields")
        self.emit(f"{var} = _new({self.pool.ref(cls)})")
        for name, code in fields.items():
            self.emit(f"{var}.{name} = {code}")

    def case_checks(self) -> None:
        """The case around the claim: as the express lane's own checks (lane.decide_single)."""
        pool = self.pool
        self.emit(f"if _data.get({pool.ref('history')}) or not {pool.ref(self.kit['CASE_KEYS'])}.issuperset(_data):")
        self.emit("return None", 1)
        self.emit(f"_case = _data.get({pool.ref('case')})")
        self.emit("if _case is None:")
        self.emit("_case = _name", 1)
        self.emit(f"elif _case.__class__ is not {pool.ref(str)}:")
        self.emit("return None", 1)

    def applicant_facts(self, read: dict[str, tuple[str, str, Any, Any]]) -> None:
        """The applicant's facts: the dict checked, its keys checked, each fact the body reads into
        ``read``'s local (converted below with the claim's)."""
        pool, policy = self.pool, self.policy
        self.emit(f"_ap = _data.get({pool.ref('applicant')})")
        self.emit("if _ap is None:")
        self.emit(f"_ap = {pool.ref(_EMPTY)}", 1)
        self.emit(f"elif _ap.__class__ is not {pool.ref(dict)}:")
        self.emit("return None", 1)
        self.known_keys("_ap", policy.applicant_readers, {key for s, key, _t, _r in read.values() if s == "_ap"})

    def known_keys(self, source: str, readers: dict[str, Any], fast: set[str]) -> None:
        """Every key of ``source`` known to ``readers``; keys the body reads are converted below, any
        other fact is converted only to check it."""
        pool = self.pool
        self.emit(f"if not {pool.ref(frozenset(fast))}.issuperset({source}):")
        self.emit(f"if not {pool.ref(frozenset(readers))}.issuperset({source}):", 1)
        self.emit("return None", 2)
        self.emit(f"for _key, _value in {source}.items():", 1)
        self.emit(f"_reader = {pool.ref(readers)}[_key]", 2)
        self.emit("if _reader is not None and _value is not None:", 2)
        self.emit("_reader[1](_value)", 3)

    def _prologue(self) -> None:
        """Check the keys, read the date and every fact the body reads into its local."""
        program, pool, policy = self.program, self.pool, self.policy
        self.indent = 2
        self.case_checks()
        self.emit(f"_cid = _item.get({pool.ref('id')})")
        self.emit("if _cid is None:")
        self.emit(f"_cid = {self.default_id()}", 1)
        self.emit(f"elif _cid.__class__ is not {pool.ref(str)}:")
        self.emit("return None", 1)
        self.emit(f"_project = _item.get({pool.ref('project')})")
        self.emit(f"if _project is not None and _project.__class__ is not {pool.ref(str)}:")
        self.emit("return None", 1)
        self.emit(f"_raw_day = _item.get({pool.ref('date')})")
        by_name = {full: ("_ap", key, policy.applicant_specs[key][1], reader)
                   for key, reader in policy.applicant_readers.items() for full in (reader[0],)}
        by_name.update({full: ("_item", key, t, program.claim_keys[key])
                        for key, (full, t) in program.claim_specs.items()})
        read = {full: by_name[full] for full in self.facts if full in by_name}
        if len(read) != len(self.facts):
            raise Unsupported("a fact neither the applicant nor the claim gives")
        self.known_keys("_item", program.claim_keys, {key for s, key, _t, _r in read.values() if s == "_item"}
                        | set(program.claim_keys).difference(program.claim_specs))
        self.applicant_facts(read)
        self.emit("_day = _dates.get(_raw_day)")  # the dates read before (a case has few distinct ones)
        self.emit("if _day is None:")
        self.emit(f"if _raw_day.__class__ is {pool.ref(str)} and _len(_raw_day) <= 64:", 1)
        self.emit(f"_day = _text(_raw_day, {pool.ref('date')})", 2)
        self.emit("if _len(_dates) < 4096:", 2)
        self.emit("_dates[_raw_day] = _day", 3)
        self.emit("elif _raw_day is None:", 1)
        self.emit("return None", 2)
        self.emit("else:", 1)
        self.emit("_day = _convert_value(_raw_day, _DATE)", 2)
        if self.reads_project or self.measure.exclusive:  # (without a project, exclusivity says why)
            self.emit("if _project is None:")
            self.emit("return None", 1)
        for full, (source, key, t, reader) in read.items():
            var, convert = self.facts[full], pool.ref(reader[1])
            if source == "_A":  # typed already
                self.emit(f"{var} = _A.get({pool.ref(full)})")
                self.emit(f"if {var} is None:")
                self.emit("return None", 1)
                continue
            self.emit(f"{var} = {source}.get({pool.ref(key)})")
            name = t.name
            if name in ("money", "number"):  # the shapes converter_for takes first, inline
                low = pool.ref(0 if name == "money" else -self.kit["_LIMIT"] + 1)
                self.emit(f"if {var}.__class__ is {pool.ref(str)}:")  # text, read as converter_for reads it
                self.emit(f"if {var}.isascii():", 1)
                self.emit(f"{var} = _D({var}) if _plain({var}) else _text({var}, {pool.ref(name)}) "
                          f"if _len({var}) <= 64 else {convert}({var})", 2)
                self.emit("else:", 1)  # 800萬: as read before, or by the converter (which remembers it)
                self.emit(f"{var} = {pool.ref(self.kit['UNIT_TEXTS'][name])}.get({var}) or {convert}({var})", 2)
                self.emit(f"elif {var}.__class__ is {pool.ref(int)} and {low} <= {var} < _LIMIT:")
                self.emit(f"{var} = _D({var})", 1)
                self.emit(f"elif {var} is None:")
                self.emit("return None", 1)  # a missing fact: the closures say which
                self.emit("else:")
                self.emit(f"{var} = {convert}({var})", 1)
                continue
            if name in ("bool", "string", "enum"):  # taken as they are when of their type
                test = f"{var}.__class__ is not {pool.ref(bool if name == 'bool' else str)}"
                if name == "enum":
                    test += f" or {var} not in {pool.ref(frozenset(t.values or ()))}"
                self.emit(f"if {test}:")
                level = 1
            else:
                level = 0
            self.emit(f"if {var} is None:", level)
            self.emit("return None", level + 1)
            self.emit(f"{var} = {convert}({var})", level)


class _ClaimWriter(_ExpressWriter):
    """Writes a measure's *claim* function, for the lane's cases of several claims or with
    history (:func:`~ordinance.engine.lane.decide_case`): one claim, from its plain data and the
    applicant's facts (read once for the case, typed, by full name), to the entry the rules that
    span claims take (:class:`~ordinance.engine.evaluate._Entry`), before those rules.

    The express function's reading, validity and body; the caps spanning awards are left to
    those rules (the entry carries their limits), and a refused claim's entry is built by
    ``_refused``.  It is called inside the engine's decimal context (the lane enters it once).
    It returns None (the whole case then takes the general path) as the express function does,
    and for an exclusive measure's claim without a project.
    """

    name, parameters = "_claim", "_A, _item, _i"
    settles = "_refused"

    def refused(self, outcome: str) -> str:
        return f"_refused(_cid, _day, _project, _i, {outcome})"

    def default_id(self) -> str:
        return f"{self.pool.ref('claim-')} + _str(_i + 1)"

    def check_supported(self) -> None:
        pass  # every measure: the rules that span claims run after

    def case_checks(self) -> None:
        pass  # the lane checks the case

    def applicant_facts(self, read: dict[str, tuple[str, str, Any, Any]]) -> None:
        for full, (source, key, t, reader) in read.items():
            if source == "_ap":  # the lane typed the applicant: read by full name
                read[full] = ("_A", key, t, reader)

    def pooled(self) -> str:
        """The caps spanning awards: ``(cap, limit, the key of its pool)`` each, as
        ``evaluate.pool_keys`` gives them, or None."""
        program, pool = self.program, self.pool
        if not program.pooled:
            return "None"
        items = []
        for cap, _fn, p, scope in program.pooled:
            if scope == self.kit["SCOPE_ENTITY_YEAR"]:
                key = f"({pool.ref(p)}, _day.year)"
            else:  # per project or product, ever or per year
                year = ", _day.year" if scope == self.kit["SCOPE_PROJECT_YEAR"] else ""
                key = f"(({pool.ref(p)}, _project{year}) if _project is not None else None)"
            items.append(f"({pool.ref(cap)}, {self.expression(cap.limit)}, {key})")
        return f"[{', '.join(items)}]"

    def finish(self, ceiling: str, duration: str) -> None:
        program, m = self.program, self.measure
        pooled = self.pooled()
        rank = self.expression(m.quota.rank_by) if program.rank is not None else "None"
        self.result("_a" if m.amount is not None else "None", ceiling, duration, rank)
        entry = {"program": "_program", "result": "_r", "index": "_i", "pooled": pooled, "outcome": "None",
                 "node": "None"}
        self.fill("_e", self.kit["Entry"], entry, set(self.kit["Entry"].__slots__))
        self.emit("return _e")


class _TracedWriter(_MeasureWriter):
    """Writes a measure's *traced* function: :meth:`MeasureProgram.run` with a trace node, on the
    common path, as straight-line Python.

    It computes what the fast path computes (every condition true, every fact present, a row of
    every table applying, nothing failing), then builds the steps the closures record in the
    same order with the same contents -- each condition with the values of the names it reads
    and their types; each table's rows tried until the one that applied, and its values; the
    amount with its basis; each cap on the claim with its note; the ceiling and the duration --
    and adds them to the claim's node in one go at the end.  For anything else it returns None
    before touching the node, and the closures decide and explain.  Measures with named values
    (shown only when the closures happened to compute them) or ``cap(...)`` (whose notes the
    closures record while computing) are left to the closures.
    """

    mark_rows = True

    def __init__(self, program: "MeasureProgram", kit: dict[str, Any]):
        super().__init__(program)
        self.kit = kit

    def inputs(self, expression: Any) -> str:
        """A dict display of the values of the names ``expression`` reads, as read_inputs reads them."""
        typed = self.program.checked.typed_of(expression)
        writer = ExpressionWriter(typed, self.reading, self.pool)
        return "{" + "".join(f"{self.pool.ref(name)}: {writer._Name(A.Name(tuple(name.split('.'))))}, "
                             for name in typed.reads) + "}"

    def types(self, expression: Any, result: bool, extra: dict[str, str] | None = None) -> str:
        known = self.program.input_types(expression, result)
        known.update(extra or {})
        return f"_dict({self.pool.ref(known)})"

    def node(self, kind: str, id_: str, label: Any, expression: Any, citation: Any, inputs: str, result: str,
             status: str, types: str, notes: str) -> str:
        pool = self.pool
        return (f"_Node({pool.ref(kind)}, {pool.ref(id_)}, {pool.ref(label)}, {pool.ref(expression.location())}, "
                f"{pool.ref(citation)}, {pool.ref(expression.text)}, {inputs}, {result}, {status}, {types}, {notes})")

    def write(self) -> GeneratedRun:
        program, m, pool = self.program, self.measure, self.pool
        expressions = [c.when for c in m.conditions] + [e for e in (m.amount, m.ceiling, m.duration) if e is not None]
        expressions += [c.limit for c in m.caps] + [r.when for t in m.tables.values() for r in t.rows if r.when]
        expressions += [e for t in m.tables.values() for r in t.rows for e in r.cells.values()]
        if m.values or any(_has_cap(e.tree) for e in expressions) or (m.quota is not None and _has_cap(m.quota.rank_by.tree)):
            raise Unsupported("named values or cap(): the closures trace them")
        steps: list[str] = []
        for i, (cond, _fn) in enumerate(program.conditions):
            self.emit(f"_c{i} = {self.expression(cond.when)}")
            self.emit(f"if not _c{i}:")  # false: the closures trace the refusal
            self.emit("return None", 1)
            steps.append(self.node("condition", cond.id, cond.label, cond.when, cond.citation, self.inputs(cond.when),
                                   "None", pool.ref("true"), self.types(cond.when, False), "[]"))
        amount = ceiling = duration = "None"
        caps: list[str] = []
        if m.amount is not None:
            self.emit(f"_raw = {self.expression(m.amount)}")
            self.emit(f"_amount_inputs = {self.inputs(m.amount)}")
            self.emit("_a = _ZERO if _raw < 0 else _raw")
            basis = "basis: statutory maximum (最高不超過)" if m.basis == "maximum" else "basis: exact amount"
            caps.append(self.node("amount", "amount", self.kit["amount_label"], m.amount, m.citation,
                                  "_amount_inputs", "_raw", "None", self.types(m.amount, True), f"[{pool.ref(basis)}]"))
            for j, (cap, _fn) in enumerate(program.claim_caps):
                scope = pool.ref(self.kit["scope_words"][cap.per])
                self.emit(f"_l{j} = {self.expression(cap.limit)}")
                self.emit(f"_in{j} = {{{pool.ref('amount')}: _a, {pool.ref('limit')}: _l{j}, **{self.inputs(cap.limit)}}}")
                self.emit(f"_note{j} = (_cap_note({scope}, _a, _l{j}) if _a > _l{j} else _fit_note(_a, _l{j}))")
                self.emit(f"_r{j} = _min(_a, _l{j})")
                caps.append(self.node("cap", cap.id, cap.label, cap.limit, cap.citation, f"_in{j}", f"_r{j}", "None",
                                      self.types(cap.limit, True, {"amount": "money", "limit": "money"}),
                                      f"[_note{j}]"))
                self.emit(f"if _a > _l{j}:")
                self.emit(f"_a = _l{j}", 1)
            amount = "_a.quantize(_CENT, _HALF_UP)"
        for label_key, name, expression in (("ceiling_label", "ceiling", m.ceiling),
                                            ("duration_label", "duration", m.duration)):
            if expression is None:
                continue
            self.emit(f"_{name} = {self.expression(expression)}")
            caps.append(self.node(name, name, self.kit[label_key], expression, m.citation, self.inputs(expression),
                                  f"_{name}", "None", self.types(expression, True), "[]"))
            if name == "ceiling":
                ceiling = "_ceiling"
            else:
                duration = "_duration"
        pooled = rank = "None"
        if program.pooled:
            pooled = "[" + ", ".join(f"({pool.ref(cap)}, {self.expression(cap.limit)}, {pool.ref(p)}, {pool.ref(sc)})"
                                     for cap, _fn, p, sc in program.pooled) + "]"
        if program.rank is not None:
            rank = self.expression(m.quota.rank_by)
        # every table is shown, used or not: the rows tried, up to the one that applied
        tables: list[str] = []
        for name, table in m.tables.items():
            if name not in self._tables_done:
                self._table(name)
            n = self.table_numbers[name]
            plan = program._table_plan(name)[1]
            self.emit(f"_rows{n} = []")
            columns = list(table.rows[0].cells) if table.rows else []
            result = "{" + "".join(f"{pool.ref(c)}: _t{n}_{j}, " for j, c in enumerate(columns)) + "}"
            for i, (row_id, label, location, text, when, _w, _cells, types, cell_types) in enumerate(plan):
                self.emit(f"if _tm{n} > {i}:")
                self.emit(f"_rows{n}.append(_Node({pool.ref('row')}, {pool.ref(row_id)}, {pool.ref(label)}, "
                          f"{pool.ref(location)}, None, {pool.ref(text)}, "
                          f"{self.inputs(when) if when is not None else '{}'}, None, {pool.ref('false')}, "
                          f"_dict({pool.ref(types)}), [{pool.ref('does not match')}]))", 1)
                self.emit(f"elif _tm{n} == {i}:")
                self.emit(f"_res{n} = {result}", 1)
                self.emit(f"_rows{n}.append(_Node({pool.ref('row')}, {pool.ref(row_id)}, {pool.ref(label)}, "
                          f"{pool.ref(location)}, None, {pool.ref(text)}, "
                          f"{self.inputs(when) if when is not None else '{}'}, _res{n}, {pool.ref('true')}, "
                          f"_dict({pool.ref({**types, **cell_types})}), "
                          f"[{pool.ref('first matching row: its values apply')}]))", 1)
            tables.append(f"_Node({pool.ref('table')}, {pool.ref(name)}, {pool.ref(table.label)}, "
                          f"{pool.ref(table.location)}, {pool.ref(table.citation)}, None, {{}}, _res{n}, None, "
                          f"_dict(_rows{n}[-1].types), [], _rows{n})")
        outcome = (f"{pool.ref(program.outcome_class)}({pool.ref('eligible')}, {amount}, {ceiling}, {duration}, "
                   f"None, None, {pooled}, {rank})")
        self.emit(f"_outcome = {outcome}")
        self.emit(f"node.children.extend([{', '.join(steps + tables + caps)}])")
        self.emit("return _outcome")
        for key in ("_Node", "_dict", "_cap_note", "_fit_note"):
            pool.values[key] = self.kit[key]
        return self.function("_traced", "env, node")


class _InlineClaimWriter(_ClaimWriter):
    """The statements of a claim function, for claim ``index`` of a case function: inline, with
    no call and no entry -- the result left in ``_r{index}``, the caps spanning awards in
    ``_pl{index}``.  A claim refused, or outside the first and last day of its windows, ends the
    case function with None (the lane then decides claim by claim).  Written inside the engine's
    decimal context (the lane enters it)."""

    kit_keys = tuple(k for k in _ExpressWriter.kit_keys if k != "_program")
    settles = ""
    switches_context = False

    def __init__(self, program: "MeasureProgram", policy: Any, kit: dict[str, Any], pool: _Pool, index: int):
        super().__init__(program, policy, kit)
        self.pool, self.index = pool, index

    def refused(self, outcome: str) -> str:
        return "None"

    def default_id(self) -> str:
        return self.pool.ref(f"claim-{self.index + 1}")

    def validity(self, outside: str) -> list[str]:
        return [f"if {outside}:", "    return None"]

    def finish(self, ceiling: str, duration: str) -> None:
        m, i = self.measure, self.index
        pooled = self.pooled()
        rank = self.expression(m.quota.rank_by) if self.program.rank is not None else "None"
        self.result("_a" if m.amount is not None else "None", ceiling, duration, rank)
        self.emit(f"_r{i} = _r")
        self.emit(f"_pl{i} = {pooled}")

    def statements(self) -> list[str]:
        return [f"        _item = _items[{self.index}]"] + super().statements()


class _CaseWriter:
    """Writes a *case* function for one shape of case (the measures of its claims, in order): the
    claims inline (:class:`_InlineClaimWriter`), then the rules that span them, unrolled for that
    shape.

    For the common case only -- every claim eligible, the claims of an exclusivity group all for
    one project, no prior award in a group -- it writes the exclusivity test as comparisons
    between the group's claims and calls the general path's own pieces for the rest
    (``supersede``, ``draw_pools``).  Anything else returns None, and the lane decides claim by
    claim with the general rules.  A measure paying once or under a quota has no case function.
    """

    def __init__(self, programs: list["MeasureProgram"], policy: Any, kit: dict[str, Any]):
        self.programs, self.policy, self.kit = programs, policy, kit
        self.pool = _Pool()

    def write(self) -> GeneratedRun:
        programs, pool, kit = self.programs, self.pool, self.kit
        n = len(programs)
        lines = []
        for i, program in enumerate(programs):
            if program.cross_claim_steps & (kit["ONE_TIME"] | kit["QUOTA"]):
                raise Unsupported("a measure paying once or under a quota")
            lines += [line[8:] for line in _InlineClaimWriter(program, self.policy, kit, pool, i).statements()]
        results = [f"_r{i}" for i in range(n)]
        lines += [f"if _len({{{', '.join(r + '.claim' for r in results)}}}) != {n}:", "    return None"]
        groups: dict[str, list[int]] = {}
        for i, program in enumerate(programs):
            if program.exclusive:
                groups.setdefault(program.exclusive, []).append(i)
        for group, members in groups.items():
            values = {}
            for i in members:
                m = programs[i].measure
                if m.benefit == "money" and m.amount is not None:
                    values[i] = f"_r{i}.amount"
                elif m.benefit == "assessed" and m.ceiling is not None:
                    values[i] = f"_r{i}.ceiling"
                else:
                    raise Unsupported("a benefit exclusivity does not compare")
            first = members[0]
            lines.append(f"_p = _r{first}.project")  # (never None: an exclusive claim without one ends above)
            for j in members[1:]:
                lines += [f"if _r{j}.project != _p:", "    return None"]  # several projects: the general rules
            lines += [f"if _history and _prior_in_group(_history, {pool.ref(group)}, _p):", "    return None"]
            if len(members) > 1:  # the highest stands, the first of equals; the others are superseded
                lines += [f"_w = _r{first}", f"_wv = {values[first]}"]
                for j in members[1:]:
                    lines += [f"if {values[j]} > _wv:", f"    _w = _r{j}", f"    _wv = {values[j]}"]
                lines += [f"for _x in ({', '.join(f'_r{i}' for i in members)}):",
                          "    if _x is not _w:", f"        _supersede(_x, _w.claim, {pool.ref(group)}, _p)"]
        capped = [i for i, program in enumerate(programs) if program.pooled and program.measure.amount is not None]
        if capped:  # (date, result, caps, node) of each claim drawing on pools; a superseded one draws on none
            eligible = pool.ref("eligible")
            items = [f"(_r{i}.date, _r{i}, _pl{i}, None)" for i in capped]
            if any(programs[i].exclusive for i in capped):
                lines.append(f"_capped = [_t for _t in ({', '.join(items)}, ) if _t[1].status == {eligible}]")
            else:
                lines.append(f"_capped = [{', '.join(items)}]")
            lines += ["if _capped:", "    _draw(_capped, _history, _programs)"]
        lines.append(f"return [{', '.join(results)}]")
        for key in ("_supersede", "_prior_in_group", "_draw", "_programs"):
            pool.values[key] = kit[key]
        source = ("def _case(_A, _items, _history):\n    try:\n"
                  + "\n".join("        " + line for line in lines) + "\n"
                  "    except Exception:  # anything out of the ordinary: the lane decides claim by claim\n"
                  "        return None\n")
        return GeneratedRun(_build(source, "_case", pool), source, dict(pool.values))


def generate_case(programs: list["MeasureProgram"], policy: Any, kit: dict[str, Any]) -> GeneratedRun | None:
    """The case function of a shape of case, the measures of its claims ``programs`` under
    ``policy`` (see :class:`_CaseWriter`), or None where it has none."""
    return _written(lambda: _CaseWriter(programs, policy, kit))


def generate_traced(program: "MeasureProgram", kit: dict[str, Any]) -> GeneratedRun | None:
    """The traced function of ``program`` (see :class:`_TracedWriter`), or None where the closures
    must trace alone; ``kit`` holds what it calls (from :mod:`ordinance.engine.program`)."""
    return _written(lambda: _TracedWriter(program, kit))


_EMPTY: dict[str, Any] = {}

#: The context express functions name in their arithmetic (the engine's: 34 digits, half up,
#: InvalidOperation, DivisionByZero and Overflow trapped); its flags are never read.
_ENGINE_CONTEXT = V.DECIMAL_CONTEXT.copy()


def generate_express(program: "MeasureProgram", policy: Any, kit: dict[str, Any]) -> GeneratedRun | None:
    """The express function of ``program`` under ``policy`` (see :class:`_ExpressWriter`), or
    None where the measure has none; ``kit`` holds what it calls (from :mod:`ordinance.engine.lane`)."""
    return _written(lambda: _ExpressWriter(program, policy, kit))


def generate_claim(program: "MeasureProgram", policy: Any, kit: dict[str, Any]) -> GeneratedRun | None:
    """The claim function of ``program`` under ``policy`` (see :class:`_ClaimWriter`), or None
    where the measure has none; ``kit`` holds what it calls (from :mod:`ordinance.engine.lane`)."""
    return _written(lambda: _ClaimWriter(program, policy, kit))


def generate_measure(program: "MeasureProgram") -> GeneratedRun | None:
    """The generated fast path of ``program``, or None where the closures must serve alone."""
    return _written(lambda: _MeasureWriter(program))


def _written(writer: Callable[[], _MeasureWriter]) -> GeneratedRun | None:
    """What ``writer()`` writes, or None where it does not handle the measure."""
    try:
        return writer().write()
    except Unsupported:
        return None
    except Exception:  # pragma: no cover - a generator bug must not stop a policy from loading or a case
        return None    # from being decided: the closures serve (tests/test_codegen.py requires the bundled ones)


__all__ = ["GeneratedRun", "Unsupported", "compile_fast_expression", "generate_case", "generate_claim", "generate_express",
           "generate_measure", "generate_traced"]

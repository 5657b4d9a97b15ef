"""Stage 5b, compile measures: link each measure's checked expressions into a program.

A :class:`MeasureProgram` holds closures for the measure's conditions, tables, named
values, amount, caps and quota key, and knows how to decide one claim (:meth:`run`): the
conditions in order (three-valued), then the benefit, then the caps that apply to a single
claim.  Cross-claim rules (yearly caps, exclusivity, quotas) need every claim of a case and
live in :mod:`ordinance.engine.evaluate`.

Tracing is one flag: with ``trace=None`` the program runs its closures and builds nothing;
with a :class:`~ordinance.engine.trace.TraceNode` it records one child per step, reading
the inputs of each step from the memoised values, so the trace costs nothing when off.
"""

from __future__ import annotations

import bisect
import decimal
import datetime as _dt
from decimal import Decimal
from typing import Any

from .. import values as V
from ..errors import EvaluationError, Problem
from ..grammar.parser import Expression
from .check import CheckedPolicy, TypedExpression
from .case import CLAIM_KEYS, converter_for
from .codegen import generate_measure, generate_traced
from .compile import NOTES_KEY, Compiled, Resolver, Undetermined, compile_expression, constant_value
from .model import CapDef, ConditionDef, FactDef, Label, MeasureDef, PolicyDef, TableDef
from .trace import MISSING, TraceNode


#: Bits of MeasureProgram.cross_claim_steps: which rules spanning claims a measure takes part in.
ONE_TIME, EXCLUSIVE, POOLED_CAPS, QUOTA = 1, 2, 4, 8

#: How the trace words each cap scope.
SCOPE_WORDS = {"claim": "per claim", "entity-year": "per entity per year", "project": "per project",
               "product": "per product", "project-year": "per project per year",
               "product-year": "per product per year"}

#: How a pooled cap keys its pool: by (pool, year), (pool, project) or (pool, project, year).
SCOPE_ENTITY_YEAR, SCOPE_PROJECT, SCOPE_PROJECT_YEAR = 0, 1, 2

#: Cap scopes that span several claims and prior awards (``claim`` bounds one claim only).
POOLED_SCOPES = ("project", "product", "project-year", "product-year", "entity-year")


_NOT_YET: Any = object()


def _cap_note(scope: str, amount: Decimal, limit: Decimal) -> str:
    return f"capped {scope}: {V.format_money(amount)} > {V.format_money(limit)}"


def _fit_note(amount: Decimal, limit: Decimal) -> str:
    return f"not capped: {V.format_money(amount)} <= {V.format_money(limit)}"


#: The labels of a measure's own steps in the trace.
_AMOUNT_LABEL, _CEILING_LABEL, _DURATION_LABEL = Label("金額", "amount"), Label("最高額度", "ceiling"), Label("期限", "duration")

#: What the traced functions (codegen.generate_traced) build their steps with.
_TRACE_KIT = {"_Node": TraceNode, "_dict": dict, "_cap_note": _cap_note, "_fit_note": _fit_note,
              "amount_label": _AMOUNT_LABEL, "ceiling_label": _CEILING_LABEL, "duration_label": _DURATION_LABEL,
              "scope_words": SCOPE_WORDS}


class NoRowMatched(Exception):
    """No row of a decision table applies (and it has no ``otherwise`` row)."""

    def __init__(self, table: TableDef):
        super().__init__(table.name)
        self.table = table


class Outcome:
    """What one claim comes to before the cross-claim rules."""

    __slots__ = ("status", "amount", "ceiling", "duration", "reasons", "missing", "pooled_caps", "rank", "notes")

    def __init__(self, status: str, amount: Decimal | None = None, ceiling: Decimal | None = None,
                 duration: V.Duration | None = None, reasons: list[dict[str, Any]] | None = None,
                 missing: list[str] | None = None, pooled_caps: list[tuple[CapDef, Decimal, str, int]] | None = None,
                 rank: Any = None):
        self.status = status  # eligible | ineligible | undetermined
        self.amount = amount
        self.ceiling = ceiling
        self.duration = duration
        self.reasons = reasons if reasons is not None else []
        self.missing = missing if missing is not None else []
        #: (cap, limit, pool, scope) of each cap that spans claims
        self.pooled_caps = pooled_caps if pooled_caps is not None else []
        self.rank = rank
        self.notes: list[str] = []

    def __repr__(self) -> str:
        return f"Outcome({self.status!r}, amount={self.amount!r}, reasons={self.reasons!r})"


def reason(code: str, zh: str, en: str, **extra: Any) -> dict[str, Any]:
    """A reason record: a stable code, the words in both languages, and details."""
    out: dict[str, Any] = {"code": code, "zh": zh, "en": en}
    out.update(extra)
    return out


class _MeasureResolver(Resolver):
    def __init__(self, program: "MeasureProgram"):
        self.program = program

    def constant(self, dotted: str):
        return self.program.constants.get(dotted, (False, None))

    def name(self, dotted: str) -> Compiled:
        return self.program.reader(dotted)


class MeasureProgram:
    """A measure compiled to closures; :meth:`run` decides one claim."""

    outcome_class = Outcome

    def __init__(self, measure: MeasureDef, policy: PolicyDef, checked: CheckedPolicy, *, generate: bool = True):
        self.measure = measure
        self.policy = policy
        self.checked = checked
        self.claim_facts: dict[str, FactDef] = checked.claim_facts.get(measure.id, {})
        #: how a case names each claim fact (``compute_spend``) -> (its full name, its type)
        self.claim_specs = {name.split(".", 1)[1]: (name, fact.type) for name, fact in self.claim_facts.items()}
        #: every key a claim may have: a fact's (its full name, its type's converter), or None for
        #: the keys every claim has (id, measure, date, project, note); for the plain-case reader
        self.claim_keys: dict[str, tuple[str, Any] | None] = dict.fromkeys(CLAIM_KEYS)
        self.claim_keys.update({key: (full, converter_for(t)) for key, (full, t) in self.claim_specs.items()})
        self.constants: dict[str, tuple[bool, Any]] = {}
        self._readers: dict[str, Compiled] = {}
        self._tables: dict[str, tuple[list[Compiled | None], list[dict[str, Compiled]]]] = {}
        self._input_types: dict[tuple[int, bool], dict[str, str]] = {}  # for the trace, per expression
        self._fact_types: tuple[dict, dict[str, str]] | None = None  # (the policy's applicant facts, types)
        self._refusals: list[dict[str, Any]] | None = None  # the reason each condition gives when false
        self._table_plans: dict[str, tuple[TableDef, list[tuple]]] = {}  # for the trace (_table_plan)
        self._input_readers: dict[int, list[tuple[str, Compiled]]] = {}  # by id(expression): for read_inputs
        self._resolver = _MeasureResolver(self)
        self._compile_parameters()
        self.conditions = [(c, self._compile(c.when)) for c in measure.conditions]
        self.amount = self._compile(measure.amount) if measure.amount is not None else None
        self.ceiling = self._compile(measure.ceiling) if measure.ceiling is not None else None
        self.duration = self._compile(measure.duration) if measure.duration is not None else None
        # every cap but the yearly one bounds the claim alone first; caps that span claims and
        # prior awards (per project, per product, per entity and year) are consumed across the case
        self.claim_caps = [(c, self._compile(c.limit)) for c in measure.caps if c.per != "entity-year"]
        self.pooled_caps = [(c, self._compile(c.limit)) for c in measure.caps if c.per in POOLED_SCOPES]
        self.rank = self._compile(measure.quota.rank_by) if measure.quota is not None else None
        self.pools = sorted({c.pool or measure.id for c, _ in self.pooled_caps})
        #: (cap, limit closure, pool, scope) with the scope as SCOPE_ENTITY_YEAR / _PROJECT / _PROJECT_YEAR
        self.pooled = [(c, fn, c.pool or measure.id,
                         SCOPE_ENTITY_YEAR if c.per == "entity-year" else
                         SCOPE_PROJECT_YEAR if c.per.endswith("-year") else SCOPE_PROJECT)
                        for c, fn in self.pooled_caps]
        self.validity = measure.valid
        #: the windows a claim's date must lie in: (which, window, citation, label, location, text)
        self.windows = [("policy", policy.valid, policy.validity_citation, Label("政策有效期", "policy in force"),
                         policy.valid_location, f"claim.date within {policy.valid}")]
        if measure.valid is not None:
            self.windows.append(("measure", measure.valid, measure.valid_citation or measure.citation,
                                 Label("措施適用期", "measure in force"), measure.valid_location,
                                 f"claim.date within {measure.valid}"))
        #: how a refusal words each window: (the window as text, the words for whose it is, its bounds)
        self.window_words = [(str(w), "政策" if which == "policy" else "措施",
                              {"from": w.start.isoformat() if w.start else None,
                               "until": w.end.isoformat() if w.end else None})
                             for which, w, *_ in self.windows]
        windows = [policy.valid] + ([measure.valid] if measure.valid is not None else [])
        starts = [w.start for w in windows if w.start is not None]
        ends = [w.end for w in windows if w.end is not None]
        #: the first and last days inside every window (the express function checks the date against them)
        self.first_day = max(starts) if starts else _dt.date.min
        self.last_day = min(ends) if ends else _dt.date.max
        self.key = measure.id  # how the policy names this program (qualified when ids clash)
        self.exclusive = measure.exclusive  # its exclusivity group, if any
        #: whether a prior award under this measure must name its project (one-time awards,
        #: exclusivity and caps per project are counted per project)
        self.needs_project = bool(measure.one_time or measure.exclusive
                                  or any(c.per != "entity-year" for c, _ in self.pooled_caps))
        self.cross_claim_steps = ((ONE_TIME if measure.one_time else 0) | (EXCLUSIVE if measure.exclusive else 0)
                                  | (POOLED_CAPS if self.pooled_caps else 0) | (QUOTA if measure.quota else 0))
        #: the notes of a claim's trace: the measure, and who is responsible for it
        self.claim_notes = (f"measure {measure.id} ({measure.article})", "responsible: " + "、".join(measure.responsible))
        #: the readings a trace shows: (reading, whose, shown even when about no step of the claim)
        self.trace_readings = ([(r, "the rule file", True) for r in measure.readings]
                               + [(r, "the policy", False) for r in policy.readings])
        #: what the readings are about (the steps to find in a trace), and how the amount is named
        self.reading_targets = frozenset(r.applies_to for r, _, _ in self.trace_readings if r.applies_to)
        #: the trace node of each reading, worded once: (about, label, note, shown even when about no step)
        self.reading_nodes = [(r.applies_to, r.label, f"how {whose} reads the text", keep)
                              for r, whose, keep in self.trace_readings]
        self.basis_target = f"basis:{measure.basis}"
        #: the generated function of the untraced fast path (codegen.py), or None
        self.generated = generate_measure(self) if generate else None
        self._fast = self.generated.fast if self.generated is not None else None
        #: the generated function of the traced path (made on first use: traced_function)
        self.traced: Any = None
        self._traced: Any = _NOT_YET
        self._generate = generate

    def traced_function(self) -> Any:
        """The generated function of the traced path (codegen.generate_traced), made on the first
        traced claim (it costs the cold load nothing), or None where the closures trace alone."""
        if self._traced is _NOT_YET:
            self.traced = generate_traced(self, _TRACE_KIT) if self._generate else None
            self._traced = self.traced.fast if self.traced is not None else None
        return self._traced

    def fact_types(self, policy: Any) -> dict[str, str]:
        """The type, as words, of each fact a claim of this measure may give (for the trace)."""
        cached = self._fact_types
        if cached is None or cached[0] is not policy.applicant_facts:
            declared = {**policy.applicant_facts, **self.claim_facts}
            cached = self._fact_types = (policy.applicant_facts, {name: str(f.type) for name, f in declared.items()})
        return cached[1]

    def always_valid(self, day: _dt.date) -> bool:
        """Whether ``day`` lies inside the policy's and the measure's validity windows."""
        return self.first_day <= day <= self.last_day

    # -- compilation -------------------------------------------------------------------------------
    def _typed(self, expression: Expression) -> TypedExpression:
        return self.checked.typed_of(expression)

    def _compile(self, expression: Expression) -> Compiled:
        return compile_expression(self._typed(expression), self._resolver)

    def _compile_parameters(self) -> None:
        params = {**self.policy.parameters, **self.measure.parameters}
        for name, p in params.items():
            if len(p.values) == 1:
                ok, value = constant_value(self._typed(p.values[0].expression), self._resolver)
                if ok:
                    self.constants[name] = (True, value)
                    continue
            starts = [v.start or _dt.date.min for v in p.values]
            fns = [self._compile(v.expression) for v in p.values]
            self._readers[name] = _dated(name, starts, fns)

    def reader(self, dotted: str) -> Compiled:
        """The closure that reads ``dotted`` (a fact, a value or a table column), built once."""
        fn = self._readers.get(dotted)
        if fn is not None:
            return fn
        m = self.measure
        if dotted in m.values:
            fn = _memo(dotted, self._compile(m.values[dotted].expression))
        elif dotted.split(".", 1)[0] in m.tables:
            table_name, column = dotted.split(".", 1)
            fn = _column(self._table_selector(table_name), column, self._table_parts(table_name)[1])
        elif dotted in self.constants:
            value = self.constants[dotted][1]
            fn = lambda env: value  # noqa: E731
        else:
            fn = _fact(dotted)
        self._readers[dotted] = fn
        return fn

    def _table_selector(self, name: str) -> Compiled:
        key = "#table:" + name
        selector = self._readers.get(key)
        if selector is None:
            selector = _selector(key, self.measure.tables[name], self._table_parts(name)[0])
            self._readers[key] = selector
        return selector

    # -- evaluation --------------------------------------------------------------------------------
    def run(self, env: dict, node: TraceNode | None) -> Outcome:
        """Decide one claim whose facts are in ``env``; record steps under ``node`` if tracing."""
        if node is None:
            if self._fast is not None:
                outcome = self._fast(env)  # None: out of the ordinary, the closures decide and explain
                if outcome is not None:
                    return outcome
        else:
            traced = self._traced
            if traced is _NOT_YET:
                traced = self.traced_function()
            if traced is not None:
                outcome = traced(env, node)  # None: before touching the node; the closures then trace
                if outcome is not None:
                    return outcome
        try:
            return self._run(env, node)
        except NoRowMatched as exc:
            t = exc.table
            label = t.label.en if t.label else t.name
            if node is not None:
                self._trace_tables(env, node)
            return Outcome("ineligible", reasons=[reason(
                "no-table-row", f"「{t.label.zh if t.label else t.name}」無適用檔次",
                f"no row of {label} applies", table=t.name)])
        except _EVALUATION_ERRORS as exc:
            raise self._evaluation_error(env, exc) from None

    def _evaluation_error(self, env: dict, exc: Exception) -> EvaluationError:
        """Name the step that failed: re-run the steps in order (they are pure) to find it."""
        m = self.measure
        steps = [(f"condition `{c.id}`", c.when) for c in m.conditions]
        steps += [("the amount", m.amount), ("the ceiling", m.ceiling), ("the duration", m.duration)]
        steps += [(f"the limit of cap `{c.id}`", c.limit) for c in m.caps]
        if m.quota is not None:
            steps.append(("the quota's ranking key", m.quota.rank_by))
        where, location = f"measure `{m.id}`", m.location
        for label, expression in steps:
            if expression is None:
                continue
            try:
                self._compile(expression)(dict(env))
            except _EVALUATION_ERRORS:
                where, location = f"{label} of measure `{m.id}`", expression.location()
                break
            except (Undetermined, NoRowMatched):
                continue
        hint = "guard the division, e.g. `if x > 0 then y / x else 0元`" if _is_division(exc) else None
        return EvaluationError([Problem("evaluation", f"{where} cannot be computed: {describe_error(exc)}",
                                        location, hint)], self.policy.sources)

    def _run(self, env: dict, node: TraceNode | None) -> Outcome:
        m = self.measure
        failed: list[ConditionDef] = []
        missing: set[str] = set()
        for cond, fn in self.conditions:
            try:
                ok = fn(env)
                status = "true" if ok else "false"
                if not ok:
                    failed.append(cond)
            except Undetermined as exc:
                status = "undetermined"
                missing |= exc.missing
            if node is not None:
                self._trace_expression(node, "condition", cond.id, cond.label, cond.location, cond.citation,
                                       cond.when, env, None, status=status)
        if failed:
            if node is not None:
                self._trace_tables(env, node)
            return _conditions_failed(failed)
        if missing:
            if node is not None:
                self._trace_tables(env, node)
            return Outcome("undetermined", missing=sorted(missing), reasons=[reason(
                "missing-facts", "缺少事實：" + "、".join(sorted(missing)),
                "facts needed: " + ", ".join(sorted(missing)))])
        outcome = Outcome("eligible")
        mark = len(node.children) if node is not None else 0
        try:
            if self.amount is not None:
                outcome.amount = self._amount(env, node)
            if self.ceiling is not None:
                outcome.ceiling = self.ceiling(env)
                if node is not None:
                    self._trace_expression(node, "ceiling", "ceiling", _CEILING_LABEL, m.location,
                                           m.citation, m.ceiling, env, outcome.ceiling)
            if self.duration is not None:
                outcome.duration = self.duration(env)
                if node is not None:
                    self._trace_expression(node, "duration", "duration", _DURATION_LABEL, m.location,
                                           m.citation, m.duration, env, outcome.duration)
            for cap, fn, pool, scope in self.pooled:
                outcome.pooled_caps.append((cap, fn(env), pool, scope))
            if self.rank is not None:
                outcome.rank = self.rank(env)
        except Undetermined as exc:
            outcome = Outcome("undetermined", missing=sorted(exc.missing), reasons=[reason(
                "missing-facts", "缺少事實：" + "、".join(sorted(exc.missing)),
                "facts needed: " + ", ".join(sorted(exc.missing)))])
        if node is not None:
            # tables and values were computed on the way to the amount: show them before it
            steps = TraceNode("steps", "steps")
            self._trace_tables(env, steps)
            self._trace_values(env, steps)
            node.children[mark:mark] = steps.children
        return outcome

    def _amount(self, env: dict, node: TraceNode | None) -> Decimal:
        m = self.measure
        if node is not None:
            env[NOTES_KEY] = []
        amount = self.amount(env)
        if node is not None:
            amount_node = self._trace_expression(node, "amount", "amount", _AMOUNT_LABEL, m.location,
                                                 m.citation, m.amount, env, amount)
            amount_node.notes.extend(env.pop(NOTES_KEY))
            amount_node.notes.append("basis: statutory maximum (最高不超過)" if m.basis == "maximum"
                                     else "basis: exact amount")
        if amount < 0:
            amount = Decimal(0)
        for cap, fn in self.claim_caps:
            limit = fn(env)
            bit = amount > limit
            if node is not None:
                cap_node = self._trace_expression(node, "cap", cap.id, cap.label, cap.location, cap.citation,
                                                  cap.limit, env, min(amount, limit))
                cap_node.inputs = {"amount": amount, "limit": limit, **cap_node.inputs}
                cap_node.types.update({"amount": "money", "limit": "money"})
                cap_node.notes.append(_cap_note(SCOPE_WORDS[cap.per], amount, limit) if bit else _fit_note(amount, limit))
            if bit:
                amount = limit
        return amount.quantize(V.CENT, decimal.ROUND_HALF_UP)

    def conditions_failed(self, values: tuple[bool, ...]) -> Outcome:
        """The outcome when some conditions are false, given every condition's value in order
        (for the generated fast path)."""
        refusals = self._refusals
        if refusals is None:
            refusals = self._refusals = [_conditions_failed([c]).reasons[0] for c, _ in self.conditions]
        return Outcome("ineligible", None, None, None, [dict(r) for r, ok in zip(refusals, values) if not ok])

    # -- trace helpers -----------------------------------------------------------------------------
    def read_inputs(self, expression: Expression, env: dict) -> dict[str, Any]:
        """The values of the names ``expression`` reads.  Tracing must never change a decision:
        a value the evaluation did not need, and that cannot be computed, shows as not computed."""
        inputs: dict[str, Any] = {}
        readers = self._input_readers.get(id(expression))
        if readers is None:
            readers = self._input_readers[id(expression)] = [(name, self.reader(name))
                                                             for name in self._typed(expression).reads]
        for name, read in readers:
            try:
                inputs[name] = read(env)
            except (Undetermined, NoRowMatched):
                inputs[name] = MISSING
            except _EVALUATION_ERRORS as exc:
                inputs[name] = NotComputed(describe_error(exc))
        return inputs

    def input_types(self, expression: Expression, result: bool = True) -> dict[str, str]:
        """The static types of what ``expression`` reads (and of its result), for renderers."""
        key = (id(expression), result)
        known = self._input_types.get(key)
        if known is None:
            scope = self.checked.scopes[self.measure.id]
            typed = self._typed(expression)
            known = {}
            for name in typed.reads:
                symbol = scope.lookup(name)
                if symbol is not None:
                    known[name] = str(symbol.type)
            if result:
                known["result"] = str(typed.type)
            self._input_types[key] = known
        return dict(known)  # the caller may add to it

    def _trace_expression(self, parent: TraceNode, kind: str, id: str, label: Label | None, location, citation,
                          expression: Expression, env: dict, result: Any, status: str | None = None) -> TraceNode:
        node = TraceNode(kind, id, label, expression.location(), citation, expression.text,
                         self.read_inputs(expression, env), result, status, self.input_types(expression, status is None))
        parent.children.append(node)
        return node

    def _trace_values(self, env: dict, parent: TraceNode) -> None:
        for name, value in self.measure.values.items():
            if name in env:
                node = parent.add(TraceNode("value", name, value.label, value.location, None, value.expression.text,
                                            self.read_inputs(value.expression, env), env[name]))
                node.types = self.input_types(value.expression)

    def _trace_tables(self, env: dict, parent: TraceNode) -> None:
        """Every table of the measure: each row tried in order, why it did or did not match."""
        for name in self.measure.tables:
            table, rows = self._table_plan(name)
            table_node = TraceNode("table", name, table.label, table.location, table.citation)
            parent.children.append(table_node)
            for row_id, label, location, text, when, when_fn, cell_fns, types, cell_types in rows:
                try:
                    status = "true" if when_fn is None or when_fn(env) else "false"
                except (Undetermined, NoRowMatched, *_EVALUATION_ERRORS):
                    status = "undetermined"
                row_node = TraceNode("row", row_id, label, location, None, text,
                                     self.read_inputs(when, env) if when is not None else {}, None, status, dict(types))
                table_node.children.append(row_node)
                if status == "true":
                    row_node.result = {c: _safely(fn, env) for c, fn in cell_fns.items()}
                    row_node.types.update(cell_types)
                    row_node.notes.append("first matching row: its values apply")
                    table_node.result = row_node.result
                    table_node.types = dict(row_node.types)
                    break
                if status == "false":
                    row_node.notes.append("does not match")
                else:
                    row_node.notes.append("cannot tell: facts are missing")
                    break
            else:
                table_node.notes.append("no row applies")

    def _table_plan(self, name: str) -> tuple[TableDef, list[tuple]]:
        """What the trace of a table shows of each row, worded once: (id, label, location, text,
        condition, its closure, the cells' closures, the condition's input types, the cells' types)."""
        plan = self._table_plans.get(name)
        if plan is None:
            table = self.measure.tables[name]
            whens, cells = self._table_parts(name)
            rows = [(f"{name}[{i + 1}]", row.label, row.location, row.when.text if row.when else "otherwise",
                     row.when, whens[i], cells[i],
                     self.input_types(row.when, result=False) if row.when is not None else {},
                     {c: str(self._typed(e).type) for c, e in row.cells.items()})
                    for i, row in enumerate(table.rows)]
            plan = self._table_plans[name] = (table, rows)
        return plan

    def _table_parts(self, name: str) -> tuple[list[Compiled | None], list[dict[str, Compiled]]]:
        parts = self._tables.get(name)
        if parts is None:
            rows = self.measure.tables[name].rows
            parts = ([self._compile(r.when) if r.when is not None else None for r in rows],
                     [{c: self._compile(e) for c, e in r.cells.items()} for r in rows])
            self._tables[name] = parts
        return parts


def _conditions_failed(failed: list[ConditionDef]) -> Outcome:
    return Outcome("ineligible", reasons=[reason("condition-failed", f"不符合條件：{c.label.zh}",
                                                 f"condition not met: {c.label.en}", condition=c.id)
                                          for c in failed])


_EVALUATION_ERRORS = (ArithmeticError, ValueError, V.LiteralError)


class NotComputed:
    """The trace's value for an input the evaluation did not need and that cannot be computed."""

    def __init__(self, why: str):
        self.why = why

    def __str__(self) -> str:
        return f"<not computed: {self.why}>"


def describe_error(exc: Exception) -> str:
    """Words for an arithmetic failure (decimal's own messages are class names in brackets)."""
    if _is_division(exc):
        return "division by zero"
    if isinstance(exc, decimal.Overflow):
        return "the result is too large"
    if isinstance(exc, decimal.InvalidOperation):
        return "an invalid arithmetic operation (such as 0/0, or a result with too many digits)"
    return str(exc)


def _is_division(exc: Exception) -> bool:
    return isinstance(exc, (decimal.DivisionByZero, ZeroDivisionError, decimal.DivisionUndefined))


def _safely(fn: Compiled, env: dict) -> Any:
    try:
        return fn(env)
    except (Undetermined, NoRowMatched):
        return MISSING
    except _EVALUATION_ERRORS as exc:
        return NotComputed(describe_error(exc))


def _fact(key: str) -> Compiled:
    missing = frozenset((key,))

    def fact(env):
        try:
            return env[key]
        except KeyError:
            raise Undetermined(missing) from None
    return fact


def _memo(key: str, compute: Compiled) -> Compiled:
    def value(env):
        try:
            return env[key]
        except KeyError:
            pass
        result = env[key] = compute(env)
        return result
    return value


def _selector(key: str, table: TableDef, whens: list[Compiled | None]) -> Compiled:
    def select(env):
        try:
            return env[key]
        except KeyError:
            pass
        for i, when in enumerate(whens):
            if when is None or when(env):
                env[key] = i
                return i
        raise NoRowMatched(table)
    return select


def _column(select: Compiled, column: str, rows: list[dict[str, Compiled]]) -> Compiled:
    cells = [row[column] for row in rows]

    def cell(env):
        return cells[select(env)](env)
    return cell


def _dated(name: str, starts: list[_dt.date], fns: list[Compiled]) -> Compiled:
    """A parameter whose value changes from a date on: pick by the claim's date."""
    first = starts[0]

    def dated(env):
        day = env.get("claim.date")
        if day is None:
            raise Undetermined(frozenset(("claim.date",)))
        i = bisect.bisect_right(starts, day) - 1
        if i < 0:
            raise ValueError(f"parameter `{name}` has no value before {first}")
        return fns[i](env)
    return dated


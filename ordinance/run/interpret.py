"""The reference interpreter: one claim of a measure, decided from its plan.

Each expression of the plan is compiled once to closures (:mod:`ordinance.run.compile`);
:meth:`MeasureProgram.run` decides a claim whose facts are in ``env``: the conditions in order
(three-valued: a missing fact makes a condition undetermined, a false one still refuses), then
the amount (negative becomes zero, the caps per claim, the plan's rounding), the ceiling, the
duration, the limits of the caps spanning awards and the quota's key.  The rules spanning
claims live in :mod:`ordinance.rules.span`.

It is the semantics the generated code (:mod:`ordinance.run.pygen`) is held to, and the only
producer of traces: with ``node=None`` it records nothing; with a
:class:`~ordinance.trace.TraceNode` it records one child per step, reading each step's
inputs from the memoised values, so the trace costs nothing when off.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import decimal
from decimal import Decimal
from typing import Any

from .. import values as V
from ..cases.read import CLAIM_KEYS, converter_for
from .compile import NOTES_KEY, Compiled, Resolver, Undetermined, compile_expression
from ..trace import MISSING, TraceNode
from ..errors import EvaluationError, Problem
from ..messages import in_lang, msg
from ..front.model import Label
from ..plan.steps import DEEP, Expr, MeasurePlan, Table, Window, locals_of, missing_facts_reason, reason
from ..rules.amount import capped, floored, rounded
from ..periods import ByYear, Period, missing_name, value_for


#: The labels of a measure's own steps in the trace.
_AMOUNT_LABEL, _CEILING_LABEL, _DURATION_LABEL = Label("金額", "amount"), Label("最高額度", "ceiling"), Label("期限", "duration")


def cap_note(scope: str, amount: Decimal, limit: Decimal) -> str:
    return msg("note.capped", scope=scope, amount=V.format_money(amount), limit=V.format_money(limit))


def fit_note(amount: Decimal, limit: Decimal) -> str:
    return msg("note.not-capped", amount=V.format_money(amount), limit=V.format_money(limit))


#: the names of a cap step's own inputs, and the notes of a table's rows
_AMOUNT, _LIMIT = msg("input.amount"), msg("input.limit")
_YEARS_GIVEN, _YEAR_READ = msg("input.years-given"), msg("input.year-read")
_ROW_APPLIES, _ROW_DOES_NOT_MATCH, _ROW_CANNOT_TELL, _NO_ROW = (
    msg("note.row-applies"), msg("note.row-does-not-match"), msg("note.row-cannot-tell"), msg("note.no-row"))


class NoRowMatched(Exception):
    """No row of a decision table applies (and it has no ``otherwise`` row)."""

    def __init__(self, table: Table):
        super().__init__(table.name)
        self.table = table


class Outcome:
    """What one claim comes to before the rules spanning claims."""

    __slots__ = ("status", "amount", "ceiling", "duration", "reasons", "missing", "pooled_caps", "rank", "most")

    def __init__(self, status: str, amount: Decimal | None = None, ceiling: Decimal | None = None,
                 duration: V.Duration | None = None, reasons: list[dict[str, Any]] | None = None,
                 missing: list[str] | None = None, pooled_caps: list[tuple[Any, Decimal]] | None = None,
                 rank: Any = None):
        self.status = status  # eligible | ineligible | undetermined
        self.amount = amount
        self.ceiling = ceiling
        self.duration = duration
        self.reasons = reasons if reasons is not None else []
        self.missing = missing if missing is not None else []
        #: (cap, limit) of each cap that spans awards (plan.pooled, in order)
        self.pooled_caps = pooled_caps if pooled_caps is not None else []
        self.rank = rank
        #: undetermined: the most it can come to on its own (None: no bound known)
        self.most: Decimal | None = None

    def __repr__(self) -> str:
        return f"Outcome({self.status!r}, amount={self.amount!r}, reasons={self.reasons!r})"


def conditions_failed(plan: MeasurePlan, values: tuple[bool, ...]) -> Outcome:
    """The outcome of a claim some of whose conditions are false, given each condition's value."""
    return Outcome("ineligible", reasons=[dict(c.refusal) for c, ok in zip(plan.conditions, values) if not ok])


def undetermined(missing: list[str]) -> Outcome:
    return Outcome("undetermined", missing=missing, reasons=[missing_facts_reason(missing)])


def validity(plan: MeasurePlan, day: _dt.date | None, node: TraceNode | None) -> Outcome | None:
    """The policy's and the measure's windows; an Outcome when the claim's ``day`` fails them."""
    if day is None:
        if node is not None:
            w = plan.windows[0]
            node.add(TraceNode("validity", "policy", Label("有效期", "validity"), None, w.citation,
                               "claim.date within " + str(w.valid), {"claim.date": None}, None, "undetermined"))
        return undetermined(["claim.date"])
    for w in plan.windows:
        inside = w.valid.contains(day)
        if node is not None:
            node.add(TraceNode("validity", w.which, w.label, w.location, w.citation, w.text,
                                           {"claim.date": day}, inside, "true" if inside else "false",
                                           {"claim.date": "date"}))
        if not inside:
            return Outcome("ineligible", reasons=[_outside(w, day)])
    return None


def _outside(w: Window, day: _dt.date) -> dict[str, Any]:
    iso = day.isoformat()
    return reason("outside-validity", f"申請日期{iso}不在{w.whose}有效期（{in_lang(w.shown, 'zh')}）內",
                  f"the claim date {iso} is outside the {w.which}'s validity ({w.shown})", window=dict(w.bounds))


class _PlanResolver(Resolver):
    def __init__(self, program: "MeasureProgram"):
        self.program = program

    def constant(self, dotted: str):
        p = self.program.plan.parameters.get(dotted)
        return (True, p.value) if p is not None and p.constant else (False, None)

    def name(self, dotted: str) -> Compiled:
        return self.program.reader(dotted)


class MeasureProgram:
    """A measure's plan compiled to closures; :meth:`run` decides one claim.

    ``measure``, ``policy`` and ``checked`` are kept for the renderers and tools that show the
    rule file (``ordinance show``, the workbench); the interpreter reads ``plan`` only."""

    def __init__(self, plan: MeasurePlan, measure: Any = None, policy: Any = None, checked: Any = None):
        self.plan = plan
        self.measure, self.policy, self.checked = measure, policy, checked
        self.key = plan.key
        #: the declarations of the claim facts it reads (full name -> FactDef), for tools
        self.claim_facts = checked.claim_facts.get(plan.id, {}) if checked is not None else {}
        #: every key a claim may have: a fact's (its full name, its type's converter), or None for
        #: the keys every claim has (id, measure, date, project, note); for the plain-case reader
        self.claim_specs = dict(plan.claim_facts)
        self.claim_keys: dict[str, tuple[str, Any] | None] = dict.fromkeys(CLAIM_KEYS)
        self.claim_keys.update({key: (full, converter_for(t)) for key, (full, t) in plan.claim_facts.items()})
        self._readers: dict[str, Compiled] = {}
        self._tables: dict[str, tuple[list[Compiled | None], list[dict[str, Compiled]]]] = {}
        self._input_readers: dict[int, list[tuple[str, Compiled]]] = {}  # by id(Expr): for read_inputs
        self._fact_types: tuple[dict, dict[str, str]] | None = None
        self._period_types: dict[str, str] = {}  # a per-year fact's type as the plan reads it (for the trace)
        self._resolver = _PlanResolver(self)
        for p in plan.parameters.values():
            if not p.constant:
                self._readers[p.name] = _dated(p.name, list(p.starts), [self.compile(e) for e in p.exprs])
        # The named values and tables, each after what it reads: compiling one finds the readers of
        # those it reads built, so a chain of a thousand is compiled without a call inside a call.
        self._locals = locals_of(plan)
        for name in plan.value_order:
            if name in plan.values:
                self.reader(name)
            else:
                for column in plan.tables[name].columns:
                    self.reader(f"{name}.{column}")
        self.conditions = [(c, self.compile(c.when)) for c in plan.conditions]
        self.amount = self.compile(plan.amount.expr) if plan.amount is not None else None
        self.ceiling = self.compile(plan.ceiling) if plan.ceiling is not None else None
        self.duration = self.compile(plan.duration) if plan.duration is not None else None
        self.claim_caps = [(c, self.compile(c.limit)) for c in plan.caps]
        self.pooled = [(c, self.compile(c.limit)) for c in plan.pooled]
        self.rank = self.compile(plan.quota.rank_by) if plan.quota is not None else None

    def fact_types(self, policy: Any) -> dict[str, str]:
        """The type, as words, of each fact a claim of this measure may give (for the trace)."""
        cached = self._fact_types
        if cached is None or cached[0] is not policy.applicant_facts:
            declared = {name: str(f.type) for name, f in policy.applicant_facts.items()}
            declared.update({full: str(t) for full, t in self.plan.claim_facts.values()})
            cached = self._fact_types = (policy.applicant_facts, declared)
        return cached[1]

    def always_valid(self, day: _dt.date) -> bool:
        """Whether ``day`` lies inside the policy's and the measure's validity windows."""
        return self.plan.first_day <= day <= self.plan.last_day

    # -- compilation -------------------------------------------------------------------------------
    def compile(self, expr: Expr) -> Compiled:
        return compile_expression(expr.typed, self._resolver)

    def reader(self, dotted: str) -> Compiled:
        """The closure that reads ``dotted`` (a fact, a value or a table column), built once."""
        fn = self._readers.get(dotted)
        if fn is not None:
            return fn
        plan = self.plan
        p = plan.parameters.get(dotted)
        if dotted in plan.values:
            memo = _deep_memo if self._locals.weight.get(dotted, 0) > DEEP else _memo
            fn = memo(dotted, self.compile(plan.values[dotted].expr))
        elif dotted.split(".", 1)[0] in plan.tables:
            table_name, column = dotted.split(".", 1)
            fn = _column(self._table_selector(table_name), column, self._table_parts(table_name)[1])
            if self._locals.weight.get(table_name, 0) > DEEP:  # a column's value, kept apart from the facts
                fn = _deep_memo("#column:" + dotted, fn)
        elif p is not None and p.constant:
            value = p.value
            fn = lambda env: value  # noqa: E731
        elif dotted in plan.periods:
            fn = _period_fact(dotted, plan.periods[dotted])
        else:
            fn = _fact(dotted)
        self._readers[dotted] = fn
        return fn

    def _table_selector(self, name: str) -> Compiled:
        key = "#table:" + name
        selector = self._readers.get(key)
        if selector is None:
            selector = _selector(key, self.plan.tables[name], self._table_parts(name)[0])
            self._readers[key] = selector
        return selector

    def _table_parts(self, name: str) -> tuple[list[Compiled | None], list[dict[str, Compiled]]]:
        parts = self._tables.get(name)
        if parts is None:
            rows = self.plan.tables[name].rows
            parts = ([self.compile(r.when) if r.when is not None else None for r in rows],
                     [{c: self.compile(e) for c, e in r.cells.items()} for r in rows])
            self._tables[name] = parts
        return parts

    # -- evaluation --------------------------------------------------------------------------------
    def run(self, env: dict, node: TraceNode | None, conditions_only: bool = False) -> Outcome:
        """Decide one claim whose facts are in ``env``; record steps under ``node`` if tracing.
        With ``conditions_only`` (a claim that cannot be decided, e.g. without a date) only the
        conditions are tried: the outcome is a refusal when one is false, else ``undetermined``
        with the facts they miss (possibly none)."""
        try:
            return self._run(env, node, conditions_only)
        except NoRowMatched as exc:
            if node is not None:
                self._trace_tables(env, node)
            return Outcome("ineligible", reasons=[dict(exc.table.refusal)])
        except EVALUATION_ERRORS as exc:
            raise self.evaluation_error(env, exc) from None

    def evaluation_error(self, env: dict, exc: Exception) -> EvaluationError:
        """Name the step that failed: re-run the steps in order (they are pure) to find it."""
        plan = self.plan
        steps = [(msg("check.what.condition", id=c.id), c.when) for c in plan.conditions]
        steps += [(msg("check.what.amount"), plan.amount.expr if plan.amount else None),
                  (msg("check.what.ceiling"), plan.ceiling), (msg("check.what.duration"), plan.duration)]
        steps += [(msg("check.what.cap", id=c.id), c.limit) for c in plan.all_caps]
        if plan.quota is not None:
            steps.append((msg("check.what.quota"), plan.quota.rank_by))
        where, location = msg("run.where.measure", measure=plan.id), plan.location
        for label, expr in steps:
            if expr is None:
                continue
            try:
                self.compile(expr)(dict(env))
            except EVALUATION_ERRORS:
                where, location = msg("run.where.step", step=label, measure=plan.id), expr.location
                break
            except (Undetermined, NoRowMatched):
                continue
        hint = msg("run.hint.guard-division") if _is_division(exc) else None
        return EvaluationError([Problem("evaluation", msg("run.cannot-compute", where=where, why=describe_error(exc)),
                                        location, hint)], _sources_by_policy_name(self.policy))

    def _run(self, env: dict, node: TraceNode | None, conditions_only: bool = False) -> Outcome:
        plan = self.plan
        if node is not None and plan.periods:
            self._trace_periods(env, node)
        values: list[bool] = []
        missing: set[str] = set()
        for cond, fn in self.conditions:
            try:
                ok = bool(fn(env))
                status = "true" if ok else "false"
            except Undetermined as exc:
                ok, status = True, "undetermined"
                missing |= exc.missing
            values.append(ok)
            if node is not None:
                self._trace_expression(node, "condition", cond.id, cond.label, cond.citation, cond.when, env, None,
                                       status=status)
        if not all(values):
            if node is not None:
                self._trace_tables(env, node)
            return conditions_failed(plan, tuple(values))
        if missing or conditions_only:
            if node is not None:
                self._trace_tables(env, node)
            return undetermined(sorted(missing))
        outcome = Outcome("eligible")
        mark = len(node.children) if node is not None else 0
        try:
            if self.amount is not None:
                outcome.amount = self._amount(env, node)
            if self.ceiling is not None:
                outcome.ceiling = self.ceiling(env)
                if node is not None:
                    self._trace_expression(node, "ceiling", "ceiling", _CEILING_LABEL, plan.citation, plan.ceiling,
                                           env, outcome.ceiling)
            if self.duration is not None:
                outcome.duration = self.duration(env)
                if node is not None:
                    self._trace_expression(node, "duration", "duration", _DURATION_LABEL, plan.citation,
                                           plan.duration, env, outcome.duration)
            for cap, fn in self.pooled:
                outcome.pooled_caps.append((cap, fn(env)))
            if self.rank is not None:
                outcome.rank = self.rank(env)
        except Undetermined as exc:
            outcome = undetermined(sorted(exc.missing))
        if node is not None:
            # tables and values were computed on the way to the amount: show them before it
            steps = TraceNode("steps", "steps")
            self._trace_tables(env, steps)
            self._trace_values(env, steps)
            node.insert(mark, steps.children)
        return outcome

    def most(self, env: dict) -> Decimal | None:
        """The most an undetermined claim can come to on its own, before the rules spanning claims,
        from the facts it has (None: no bound is known): its amount where that can be computed
        (only its conditions wait on facts), else the least of its caps' limits that can be
        computed (on the claim and spanning awards), rounded as its amount would be; for an
        assessed benefit, its ceiling.  It decides nothing: a part that cannot be computed, for any
        reason, bounds nothing."""
        plan = self.plan
        if plan.benefit == "assessed":
            return _bound(self.ceiling, env) if self.ceiling is not None else None
        if plan.amount is None:
            return None
        limits = [limit for limit in (_bound(fn, env) for _cap, fn in (*self.claim_caps, *self.pooled))
                  if limit is not None]
        amount = _bound(lambda e: self._amount(e, None), env)
        if amount is not None:
            return min((amount, *limits))
        if not limits:
            return None
        most = rounded(min(limits), plan.amount)
        return most if most > 0 else Decimal(0)

    def _amount(self, env: dict, node: TraceNode | None) -> Decimal:
        plan = self.plan
        step = plan.amount
        if node is not None:
            env[NOTES_KEY] = []
        amount = self.amount(env)
        if node is not None:
            amount_node = self._trace_expression(node, "amount", "amount", _AMOUNT_LABEL, plan.citation, step.expr,
                                                 env, amount)
            amount_node.note(*env.pop(NOTES_KEY), step.basis_note)
        amount = floored(amount, step)
        for cap, fn in self.claim_caps:
            limit = fn(env)
            bounded = capped(amount, limit)
            if node is not None:
                cap_node = self._trace_expression(node, "cap", cap.id, cap.label, cap.citation, cap.limit, env,
                                                  bounded)
                cap_node.inputs = {_AMOUNT: amount, _LIMIT: limit, **cap_node.inputs}
                cap_node.types.update({_AMOUNT: "money", _LIMIT: "money"})
                cap_node.note(cap_note(cap.words, amount, limit) if bounded is not amount
                                      else fit_note(amount, limit))
            amount = bounded
        return rounded(amount, step)

    # -- trace helpers -----------------------------------------------------------------------------
    def _trace_periods(self, env: dict, parent: TraceNode) -> None:
        """Which year's value of each per-year fact the claim reads, and by which reading."""
        day = env.get("claim.date")
        for name, period in self.plan.periods.items():
            given = env.get(name)
            if given is None:
                continue  # not given at all: the steps reading it say it is missing
            value = value_for(given, period, day)
            inputs: dict[str, Any] = {"claim.date": day if day is not None else MISSING}
            notes = [period.explain(day) if day is not None else msg("note.period-no-date", period=period.name)]
            if given.__class__ is not ByYear:
                notes.append(msg("note.period-one-value"))
            else:
                inputs[_YEARS_GIVEN] = tuple(given.years())
                if day is not None:
                    inputs[_YEAR_READ] = period.year(day)
                if value is None and day is not None:
                    notes.append(msg("note.period-no-value", year=period.year(day),
                                     missing=missing_name(name, period, day)))
            fact_type = self._period_types.get(name)
            if fact_type is None:
                fact_type = self._period_types[name] = _type_read(self.plan, name)
            parent.add(TraceNode("period", name, period.label, None, None,
                                 msg("expr.period", name=name, period=period.name), inputs,
                                 value if value is not None else MISSING,
                                 None if value is not None else "undetermined",
                                 {"claim.date": "date", "result": fact_type}, notes))

    def read_inputs(self, expr: Expr, env: dict) -> dict[str, Any]:
        """The values of the names ``expr`` reads.  Tracing must never change a decision: a value
        the evaluation did not need, and that cannot be computed, shows as not computed."""
        inputs: dict[str, Any] = {}
        readers = self._input_readers.get(id(expr))
        if readers is None:
            readers = self._input_readers[id(expr)] = [(name, self.reader(name)) for name in expr.reads]
        for name, read in readers:
            try:
                inputs[name] = read(env)
            except (Undetermined, NoRowMatched):
                inputs[name] = MISSING
            except EVALUATION_ERRORS as exc:
                inputs[name] = NotComputed(describe_error(exc))
        return inputs

    @staticmethod
    def input_types(expr: Expr, result: bool = True) -> dict[str, str]:
        """The static types of what ``expr`` reads (and of its result), for renderers."""
        known = dict(expr.types)
        if result:
            known["result"] = expr.result_type
        return known

    def _trace_expression(self, parent: TraceNode, kind: str, id: str, label: Label | None, citation, expr: Expr,
                          env: dict, result: Any, status: str | None = None) -> TraceNode:
        node = TraceNode(kind, id, label, expr.location, citation, expr.text, self.read_inputs(expr, env), result,
                         status, self.input_types(expr, status is None))
        parent.add(node)
        return node

    def _trace_values(self, env: dict, parent: TraceNode) -> None:
        for name, value in self.plan.values.items():
            if name in env:
                node = parent.add(TraceNode("value", name, value.label, value.location, None, value.expr.text,
                                            self.read_inputs(value.expr, env), env[name]))
                node.types = self.input_types(value.expr)

    def _trace_tables(self, env: dict, parent: TraceNode) -> None:
        """Every table of the measure: each row tried in order, why it did or did not match."""
        for name, table in self.plan.tables.items():
            whens, cells = self._table_parts(name)
            table_node = TraceNode("table", name, table.label, table.location, table.citation)
            parent.add(table_node)
            for row, when_fn, cell_fns in zip(table.rows, whens, cells):
                try:
                    status = "true" if when_fn is None or when_fn(env) else "false"
                except (Undetermined, NoRowMatched, *EVALUATION_ERRORS):
                    status = "undetermined"
                row_node = TraceNode("row", row.id, row.label, row.location, None, row.text,
                                     self.read_inputs(row.when, env) if row.when is not None else {}, None, status,
                                     self.input_types(row.when, False) if row.when is not None else {})
                table_node.add(row_node)
                if status == "true":
                    row_node.result = {c: _safely(fn, env) for c, fn in cell_fns.items()}
                    row_node.types.update({c: e.result_type for c, e in row.cells.items()})
                    row_node.note(_ROW_APPLIES)
                    table_node.result = row_node.result
                    table_node.types = dict(row_node.types)
                    break
                if status == "false":
                    row_node.note(_ROW_DOES_NOT_MATCH)
                else:
                    row_node.note(_ROW_CANNOT_TELL)
                    break
            else:
                table_node.note(_NO_ROW)


#: What an evaluation may raise that is the rule's doing (division by zero, an empty list, ...).
EVALUATION_ERRORS = (ArithmeticError, ValueError, V.LiteralError)


class NotComputed:
    """The trace's value for an input the evaluation did not need and that cannot be computed."""

    def __init__(self, why: str):
        self.why = why

    def __str__(self) -> str:
        return f"<not computed: {self.why}>"

    def in_lang(self, lang: str) -> str:
        """These words in ``lang`` (``why`` said in it too)."""
        return msg("report.not-computed", why=self.why).in_lang(lang) if lang != "en" else str(self)


def describe_error(exc: Exception) -> str:
    """Words for an arithmetic failure (decimal's own messages are class names in brackets)."""
    if _is_division(exc):
        return msg("run.division-by-zero")
    if isinstance(exc, decimal.Overflow):
        return msg("run.too-large")
    if isinstance(exc, decimal.InvalidOperation):
        return msg("run.invalid-operation")
    if isinstance(exc, V.LiteralError):
        return exc.text
    return str(exc)


def _is_division(exc: Exception) -> bool:
    return isinstance(exc, (decimal.DivisionByZero, ZeroDivisionError, decimal.DivisionUndefined))


def _safely(fn: Compiled, env: dict) -> Any:
    try:
        return fn(env)
    except (Undetermined, NoRowMatched):
        return MISSING
    except EVALUATION_ERRORS as exc:
        return NotComputed(describe_error(exc))


def _bound(fn: Compiled, env: dict) -> Any:
    """``fn(env)`` where it can be computed from the facts in ``env``, else None (for bounds only)."""
    try:
        return fn(env)
    except (Undetermined, NoRowMatched, *EVALUATION_ERRORS):
        return None


def _fact(key: str) -> Compiled:
    missing = frozenset((key,))

    def fact(env):
        try:
            return env[key]
        except KeyError:
            raise Undetermined(missing) from None
    return fact


def _type_read(plan: MeasurePlan, name: str) -> str:
    """The static type of ``name`` as the plan's expressions read it (for the trace)."""
    exprs = [c.when for c in plan.conditions] + [v.expr for v in plan.values.values()]
    exprs += [e for t in plan.tables.values() for r in t.rows for e in ([r.when] if r.when else []) + list(r.cells.values())]
    exprs += [e for e in (plan.amount.expr if plan.amount else None, plan.ceiling, plan.duration) if e is not None]
    exprs += [c.limit for c in plan.all_caps] + ([plan.quota.rank_by] if plan.quota else [])
    exprs += [e for p in plan.parameters.values() for e in p.exprs]
    for e in exprs:
        if name in e.types:
            return e.types[name]
    return "string"  # pragma: no cover - a period is kept only for a fact the plan reads


def _period_fact(key: str, period: Period) -> Compiled:
    """A fact given per year: the value of the year ``period`` reads for the claim's date
    (:func:`~ordinance.periods.value_for`, as the generated code); a year not given is missing
    under its own name (``applicant.x[2024]``), an undated claim waits for ``claim.date``."""
    missing = frozenset((key,))

    def fact(env):
        try:
            given = env[key]
        except KeyError:
            raise Undetermined(missing) from None
        day = env.get("claim.date")
        value = value_for(given, period, day)
        if value is None:
            raise Undetermined(frozenset((missing_name(key, period, day),)))
        return value
    return fact


#: The env keys of :func:`_drive`: that one is under way, and the deep values that could not be computed.
_DRIVE_KEY, _FAILED_KEY = "#drive", "#failed"


class _Needs(Exception):
    """Raised, inside a drive, by a deep value not computed yet: the drive computes it first.

    It is neither an evaluation error nor :class:`Undetermined`: nothing between the value that
    reads it and the drive catches it."""

    __slots__ = ("key", "compute")

    def __init__(self, key: str, compute: Compiled):
        super().__init__(key)
        self.key, self.compute = key, compute


def _deep_memo(key: str, compute: Compiled) -> Compiled:
    """:func:`_memo` for a value (or a table's column) that reaches deeper than ``DEEP`` through
    what it reads.  Read outside a drive, it starts one; read inside, it hands itself to the
    drive rather than be computed on the stack of the value that reads it."""
    def value(env):
        try:
            return env[key]
        except KeyError:
            pass
        failed = env.get(_FAILED_KEY)
        if failed is not None and key in failed:
            raise failed[key]
        if _DRIVE_KEY in env:
            raise _Needs(key, compute)
        return _drive(env, key, compute)
    return value


def _drive(env: dict, key: str, compute: Compiled) -> Any:
    """Compute the value ``key`` by a loop, not by calls inside calls.

    A stack holds the values under way.  The top one is computed; when it reads a deep value not
    computed yet (:class:`_Needs`), that one goes on the stack and the top is tried again once it
    is known.  So only what is read is computed, when it is read, as the plain memo does (the
    trace shows the same values): a value in a branch not taken is never computed.  What a value
    cannot compute (a missing fact, an arithmetic error, no table row) is kept in ``env`` (the facts
    of one claim, which do not change) and raised to whoever reads it, as computing it again would:
    the trace of an undetermined claim reads each deep value once.  A try given up for a value
    not yet known leaves no trace note behind."""
    notes = env.get(NOTES_KEY)
    failed: dict[str, BaseException] = env.setdefault(_FAILED_KEY, {})
    env[_DRIVE_KEY] = True
    stack: list[tuple[str, Compiled]] = [(key, compute)]
    try:
        while stack:
            top, fn = stack[-1]
            mark = len(notes) if notes is not None else 0
            try:
                env[top] = fn(env)
            except _Needs as needs:
                if notes is not None:
                    del notes[mark:]
                stack.append((needs.key, needs.compute))
                continue
            except (Undetermined, NoRowMatched, *EVALUATION_ERRORS) as exc:  # kept, raised to its readers
                failed[top] = exc
            stack.pop()
    finally:
        del env[_DRIVE_KEY]
    if key in failed:
        raise failed[key]
    return env[key]


def _memo(key: str, compute: Compiled) -> Compiled:
    def value(env):
        try:
            return env[key]
        except KeyError:
            pass
        result = env[key] = compute(env)
        return result
    return value


def _selector(key: str, table: Table, whens: list[Compiled | None]) -> Compiled:
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


def _sources_by_policy_name(policy) -> dict[str, str] | None:
    """The policy's source texts under the names a decision's locations use (to echo the line)."""
    if policy is None:
        return None
    return {policy.name_in_policy(name): text for name, text in policy.sources.items()}

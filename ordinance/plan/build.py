"""Build a measure's plan from the checked measure, once, at load time.

Constants are folded here: a parameter with one value that folds to a constant becomes that
value (:class:`~ordinance.plan.steps.Parameter` ``constant``), so neither back-end reads it at
run time; every expression keeps its typed tree, and each back-end folds the constant
sub-expressions within it with the same folder (:mod:`ordinance.run.compile`).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import decimal
from decimal import Decimal
from typing import Any

from .. import values as V
from ..check.checker import CheckedPolicy
from ..run.compile import Resolver, constant_value
from ..front.model import Label, MeasureDef, PolicyDef
from ..grammar.parser import Expression
from ..messages import Both, Text, msg
from ..periods import PERIODS
from .steps import (EXCLUSIVE, ONE_TIME, POOLED_CAPS, POOLED_SCOPES, QUOTA, SCOPE_ENTITY_YEAR, SCOPE_PROJECT,
                    SCOPE_PROJECT_YEAR, SCOPE_WORDS, Amount, Cap, Condition, Expr, MeasurePlan, Parameter, Quota,
                    ReadingStep, Row, Table, Value, Window, reason)

#: How every amount of money is rounded: to the cent, half up.
ROUND_TO = (V.CENT, decimal.ROUND_HALF_UP)


class _Constants(Resolver):
    """Folds the parameters already known to be constants (for :func:`constant_value`)."""

    def __init__(self, constants: dict[str, Any]):
        self.constants = constants

    def constant(self, dotted: str) -> tuple[bool, Any]:
        if dotted in self.constants:
            return True, self.constants[dotted]
        return False, None

    def name(self, dotted: str):  # never run: only constants fold
        return lambda env: None


def plan_measure(measure: MeasureDef, policy: PolicyDef, checked: CheckedPolicy, key: str) -> MeasurePlan:
    """The plan of ``measure`` (named ``key`` in the policy)."""
    m = measure
    scope = checked.scopes[m.id]
    read: set[str] = set()  # every name the measure's expressions read
    where = policy.located_in_policy  # a decision names the policy's files, not the install's

    def expr(expression: Expression) -> Expr:
        typed = checked.typed_of(expression)
        read.update(typed.reads)
        types = {}
        for name in typed.reads:
            symbol = scope.lookup(name)
            if symbol is not None:
                types[name] = str(symbol.type)
        return Expr(typed, expression.text, where(expression.location()), tuple(typed.reads), types, str(typed.type))

    parameters: dict[str, Parameter] = {}
    constants: dict[str, Any] = {}
    for name, p in {**policy.parameters, **m.parameters}.items():
        if len(p.values) == 1:
            ok, value = constant_value(checked.typed_of(p.values[0].expression), _Constants(constants))
            if ok:
                constants[name] = value
                parameters[name] = Parameter(name, True, value, (), ())
                continue
        parameters[name] = Parameter(name, False, None, tuple(v.start or _dt.date.min for v in p.values),
                                     tuple(expr(v.expression) for v in p.values))
    tables = {}
    for name, t in m.tables.items():
        label = t.label.en if t.label else t.name
        tables[name] = Table(name, t.label, where(t.location), t.citation,
                             tuple(t.rows[0].cells) if t.rows else (),
                             tuple(Row(f"{name}[{i + 1}]", r.label, where(r.location), r.when.text if r.when else "otherwise",
                                       expr(r.when) if r.when is not None else None,
                                       {c: expr(e) for c, e in r.cells.items()}) for i, r in enumerate(t.rows)),
                             reason("no-table-row", f"「{t.label.zh if t.label else t.name}」無適用檔次",
                                    f"no row of {label} applies", table=name))
    caps = [Cap(c.id, c.per, c.label, where(c.location), c.citation, expr(c.limit), SCOPE_WORDS[c.per], c.pool or m.id,
                SCOPE_ENTITY_YEAR if c.per == "entity-year" else
                SCOPE_PROJECT_YEAR if c.per.endswith("-year") else SCOPE_PROJECT)
            for c in m.caps]
    pooled = tuple(c for c in caps if c.per in POOLED_SCOPES)
    windows = [_window("policy", policy.valid, policy.validity_citation, Label("政策有效期", "policy in force"),
                       where(policy.valid_location))]
    if m.valid is not None:
        windows.append(_window("measure", m.valid, m.valid_citation or m.citation, Label("措施適用期", "measure in force"),
                               where(m.valid_location)))
    starts = [w.valid.start for w in windows if w.valid.start is not None]
    ends = [w.valid.end for w in windows if w.valid.end is not None]
    readings = ([(r, "the rule file", True) for r in m.readings] + [(r, "the policy", False) for r in policy.readings])
    group = policy.groups.get(m.exclusive) if m.exclusive else None
    quota = m.quota
    spans = ((ONE_TIME if m.one_time else 0) | (EXCLUSIVE if m.exclusive else 0)
             | (POOLED_CAPS if pooled else 0) | (QUOTA if quota else 0))
    plan = MeasurePlan(
        key=key, id=m.id, policy_id=policy.id, title=m.title, article=m.article, location=where(m.location),
        citation=m.citation, basis=m.basis, benefit=m.benefit,
        claim_facts={name.split(".", 1)[1]: (name, fact.type)
                     for name, fact in checked.claim_facts.get(m.id, {}).items()},
        parameters=parameters,
        values={name: _value(v, expr, where) for name, v in m.values.items()},
        tables=tables,
        conditions=tuple(Condition(c.id, c.label, where(c.location), c.citation, expr(c.when),
                                   reason("condition-failed", f"不符合條件：{c.label.zh}",
                                          f"condition not met: {c.label.en}", condition=c.id))
                         for c in m.conditions),
        amount=(Amount(expr(m.amount), _BASIS_MAXIMUM if m.basis == "maximum" else _BASIS_EXACT, Decimal(0),
                       *ROUND_TO) if m.amount is not None else None),
        ceiling=expr(m.ceiling) if m.ceiling is not None else None,
        duration=expr(m.duration) if m.duration is not None else None,
        caps=tuple(c for c in caps if c.per != "entity-year"),
        pooled=pooled,
        all_caps=tuple(caps),
        quota=(Quota(quota.count, quota.per, quota.order, quota.label, where(quota.location), quota.citation,
                     expr(quota.rank_by)) if quota is not None else None),
        windows=tuple(windows),
        first_day=max(starts) if starts else _dt.date.min,
        last_day=min(ends) if ends else _dt.date.max,
        exclusive=m.exclusive,
        group_reading=Both(group.reading.en, group.reading.zh) if group is not None and group.reading is not None
        else None,
        one_time=m.one_time,
        needs_project=bool(m.one_time or m.exclusive or any(c.per != "entity-year" for c in pooled)),
        spans=spans,
        claim_notes=(msg("note.measure", id=m.id, article=m.article),
                     msg("note.responsible", units="、".join(m.responsible))),
        readings=tuple(ReadingStep(r.applies_to, r.label, _HOW[whose], keep)
                       for r, whose, keep in readings),
        reading_targets=frozenset(r.applies_to for r, _, _ in readings if r.applies_to),
        basis_target=f"basis:{m.basis}",
        periods={},
        value_order=tuple(n for n in checked.value_order.get(m.id, ()) if n in m.values or n in m.tables),
    )
    # (built last: every expression above has recorded what it reads)
    periods = {name: PERIODS[m.periods[name][0] if name in m.periods else fact.period]
               for name, fact in checked.applicant_facts.items() if fact.per == "year" and name in read}
    return dataclasses.replace(plan, periods=periods) if periods else plan


def _value(v, expr, where) -> Value:
    return Value(v.name, v.label, where(v.location), expr(v.expression))


#: the notes of the amount's step: its basis
_BASIS_MAXIMUM, _BASIS_EXACT = msg("note.basis-maximum"), msg("note.basis-exact")
#: the note under a reading: whose reading of the text it is
_HOW = {"the rule file": msg("note.reading-rule-file"), "the policy": msg("note.reading-policy")}


def validity_words(valid) -> Text:
    """``2025-04-21 to 2027-12-31`` (``…`` for an open end), in both languages."""
    return msg("words.validity", start=valid.start or "…", end=valid.end or "…")


def _window(which: str, valid, citation, label: Label, location) -> Window:
    words = validity_words(valid)
    return Window(which, valid, citation, label, location, msg("expr.within", valid=words), words,
                  "政策" if which == "policy" else "措施",
                  {"from": valid.start.isoformat() if valid.start else None,
                   "until": valid.end.isoformat() if valid.end else None})

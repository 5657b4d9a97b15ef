"""The reference back-end for a whole case: each claim by the interpreter, then the rules
spanning claims (:mod:`ordinance.rules.span`).

It decides every case -- traced or not, with or without an evaluation date, whatever the
claims hold -- and it is what the generated code is held to.  All arithmetic runs in the
engine's decimal context (:func:`engine_context`), entered here and left as it was found.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import decimal
import threading
from decimal import Decimal
from typing import Any

from .. import values as V
from ..messages import msg
from ..cases.read import Case, Claim
from ..decision import ClaimResult, Decision
from ..front.model import Label
from ..trace import TraceNode
from ..plan.steps import MeasurePlan, reason
from ..rules.span import Entry, compared_value, span_claims
from .interpret import MeasureProgram, Outcome, undetermined, validity

ZERO = Decimal(0)
_FACTS_LABEL = Label("申請事實", "facts of the claim")
_THREAD = threading.local()


def engine_context() -> decimal.Context:
    """This thread's copy of :data:`~ordinance.values.DECIMAL_CONTEXT` (34 digits, half up,
    traps on invalid operations, division by zero and overflow; its flags are never read)."""
    try:
        return _THREAD.context
    except AttributeError:
        context = _THREAD.context = V.DECIMAL_CONTEXT.copy()
        return context


def claim_result(plan: MeasurePlan, policy_tag: str, claim_id: str, day: _dt.date | None, project: str | None,
                 outcome: Outcome, node: TraceNode | None = None) -> ClaimResult:
    """A claim's result from its outcome, before the rules spanning claims (``policy_tag``: the
    policy's id when several are loaded, else empty)."""
    status = outcome.status
    eligible = status == "eligible"
    result = ClaimResult(claim_id, plan.id, policy_tag, status,
                       outcome.amount if eligible else (ZERO if status == "ineligible" else None),
                       plan.basis, plan.benefit, outcome.ceiling if eligible else None,
                       outcome.duration if eligible else None,
                       list(outcome.reasons) if outcome.reasons else None,
                       list(outcome.missing) if outcome.missing else None, None, None, None, node,
                       day, day.year if day is not None else None, project, outcome.rank if eligible else None)
    if status == "undetermined" and plan.benefit in ("money", "assessed"):
        result.at_least, result.at_most = ZERO, outcome.most
    return result


def project_needed(plan: MeasurePlan, amount: Decimal | None, ceiling: Decimal | None,
                   pooled: list[tuple[Any, Decimal]] | None) -> Outcome:
    """An exclusive measure's claim that names no project cannot be compared (就高不重複); what it
    would come to (``amount`` or ``ceiling``, within the limits of its caps spanning awards,
    ``pooled``) is the most it can."""
    outcome = Outcome("undetermined", missing=["claim.project"], reasons=[reason(
        "project-needed", "須註明項目，以適用「就高不重複」",
        f"the project must be named: measures of group `{plan.exclusive}` are not stacked per project")])
    if plan.benefit == "assessed":
        outcome.most = ceiling
    elif amount is not None:
        outcome.most = min((amount, *(limit for _cap, limit in pooled or ())))
    return outcome


def evaluate_case(policy: Any, case: Case, trace: bool = True, as_of: _dt.date | None = None) -> Decision:
    """Decide ``case`` under ``policy`` (a :class:`~ordinance.policy.Policy`); ``as_of`` is the
    date of evaluation (claims without a date of their own are decided as of it)."""
    saved = decimal.getcontext()
    decimal.setcontext(engine_context())
    try:
        claims = case.claims
        if as_of is not None and any(c.date is None for c in claims):
            claims = [dataclasses.replace(c, date=as_of) if c.date is None else c for c in claims]
        entries = [decide_claim(policy, case, claim, trace) for claim in claims]
        if as_of is not None and trace:
            for e, original in zip(entries, case.claims):
                if original.date is None and e.node is not None:
                    e.node.note(msg("note.decided-as-of", day=as_of))
        span_claims(entries, case.history, policy.plans)
        for e in entries if trace else ():
            _attach_readings(e.node, e.plan)
    finally:
        decimal.setcontext(saved)
    return Decision(policy.id, policy.digest, case.id, [e.result for e in entries], policy.refs, as_of)


def decide_claim(policy: Any, case: Case, claim: Claim, trace: bool) -> Entry:
    """One claim of ``case``, before the rules spanning claims: validity, then the interpreter."""
    program: MeasureProgram = policy.programs[claim.measure]
    plan = program.plan
    node = None
    if trace:
        node = TraceNode("claim", claim.id, plan.title, plan.location, plan.citation, None, None, None, None, None,
                         list(plan.claim_notes))
        facts = dict(sorted({**case.applicant, **claim.facts}.items()))
        declared = program.fact_types(policy)
        node.add(TraceNode("facts", "facts", _FACTS_LABEL, None, None, None, facts, None, None,
                                       {k: declared.get(k, "string") for k in facts}))
    day = claim.date
    outcome = validity(plan, day, node) if node is not None or day is None or not plan.inside(day) else None
    if outcome is None or day is None:
        env = {**case.applicant, **claim.facts, "claim.id": claim.id}
        if day is not None:
            env["claim.date"] = day
        if claim.project is not None:
            env["claim.project"] = claim.project
        if day is None:  # undated: a condition already known to fail refuses it all the same (false and unknown)
            tried = program.run(env, node, conditions_only=True)
            outcome = tried if tried.status == "ineligible" else undetermined(sorted({"claim.date", *tried.missing}))
            if outcome.status == "undetermined":
                outcome.most = program.most(env)
        else:
            outcome = program.run(env, node)
            if outcome.status == "eligible" and plan.exclusive and claim.project is None:
                outcome = project_needed(plan, outcome.amount, outcome.ceiling, outcome.pooled_caps)
            elif outcome.status == "undetermined":
                outcome.most = program.most(env)
    result = claim_result(plan, plan.policy_id if policy.multi else "", claim.id, day, claim.project, outcome, node)
    if node is not None:
        node.status = result.status
        node.result = result.amount
        if plan.benefit == "money":
            node.types["result"] = "money"
    pooled = outcome.pooled_caps if outcome.pooled_caps and day is not None else None
    return Entry(plan, result, claim.index, pooled, compared_value(result) if node is not None else None, node)


def _attach_readings(claim_node: TraceNode, plan: MeasurePlan) -> None:
    """Put each reading under the step it is about: the first node whose id or kind is its
    ``about`` (``basis:maximum`` / ``basis:exact`` name the amount of measures with that basis).
    A measure's reading about no step of this claim is shown at the claim's level, a policy's is
    left out."""
    if not plan.readings:
        return
    wanted = plan.reading_targets
    steps: dict[str, TraceNode] = {}
    if wanted:
        _first_steps(claim_node.children, wanted, plan.basis_target, steps, len(wanted))
    for r in plan.readings:
        target = steps.get(r.about) if r.about else None
        if target is None and not r.keep:
            continue
        (target or claim_node).add(
            TraceNode("reading", r.about or "reading", r.label, None, None, None, None, None, None, None, [r.note]))


def _first_steps(children: list[TraceNode], wanted: frozenset[str], basis: str, steps: dict[str, TraceNode],
                 need: int) -> bool:
    """Depth first, parents before children: the first node whose id or kind is each wanted
    target (the amount for ``basis``), into ``steps``; True once all ``need`` are found."""
    for n in children:
        kind = n.kind
        if kind != "reading":
            id_ = n.id
            if id_ in wanted and id_ not in steps:
                steps[id_] = n
            if kind in wanted and kind not in steps:
                steps[kind] = n
            if kind == "amount" and basis in wanted and basis not in steps:
                steps[basis] = n
            if len(steps) == need:
                return True
        if n.children and _first_steps(n.children, wanted, basis, steps, need):
            return True
    return False

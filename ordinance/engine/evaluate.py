"""Stage 6, evaluate: decide every claim of a case, then apply the rules that span claims.

For each claim: the policy's and the measure's validity windows, then the measure's program
(conditions, benefit, caps per claim).  Then, across the claims of the case and its history
of prior awards, in this order:

1. one-time awards: a ``one_time`` measure pays once per project;
2. exclusivity (就高不重複): among claims for one project under measures of one group, only
   the highest award stands; the others are *superseded*, naming the winner; a prior award
   in the group counts too (the new claim pays only what exceeds it);
3. caps that span awards — per project or product (``per: project``, ``product``, and their
   ``-year`` forms) and per entity and calendar year (``per: entity-year``) — consumed in date
   order, prior awards of the same pool first;
4. quotas: one case cannot rank itself against the city, so an eligible claim under a
   quota is marked as subject to it; :func:`apply_quotas` ranks many decisions together.

All arithmetic runs in :data:`ordinance.values.DECIMAL_CONTEXT`.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import decimal
import operator
import threading
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from .. import values as V
from .case import Case, Claim, PriorAward
from .decision import ClaimResult, Decision
from .model import Label
from .program import (EXCLUSIVE, ONE_TIME, POOLED_CAPS, QUOTA, SCOPE_ENTITY_YEAR, SCOPE_PROJECT_YEAR, SCOPE_WORDS,
                      MeasureProgram, Outcome, reason)
from .trace import TraceNode

if TYPE_CHECKING:  # pragma: no cover
    from ..policy import Policy

ZERO = Decimal(0)
_FACTS_LABEL = Label("申請事實", "facts of the claim")


class _Entry:
    """A claim as the rules that span claims see it: its measure's program, its result so far,
    its place in the case, the caps spanning awards that bound it (its outcome's
    ``pooled_caps`` with the key of each pool: :func:`pool_keys`), its outcome (None where nothing needs it: the lane's claim functions) and
    its trace node (None with the trace off)."""

    __slots__ = ("program", "result", "index", "pooled", "outcome", "node")

    def __init__(self, program: MeasureProgram, result: ClaimResult, index: int, pooled: list | None,
                 outcome: Outcome | None = None, node: TraceNode | None = None):
        self.program, self.result, self.index, self.pooled, self.outcome, self.node = \
            program, result, index, pooled, outcome, node


def evaluate_case(policy: "Policy", case: Case, trace: bool = True, as_of: _dt.date | None = None) -> Decision:
    """Decide ``case`` under ``policy``; ``as_of`` is the date of evaluation (claims without a
    date of their own are decided as of it)."""
    saved = _getcontext()
    _setcontext(_thread_context())
    try:
        claims = case.claims
        if as_of is not None and any(c.date is None for c in claims):
            claims = [dataclasses.replace(c, date=as_of) if c.date is None else c for c in claims]
        if trace:
            entries = [_decide_claim(policy, case, claim, True) for claim in claims]
        else:
            entries = [_decide_untraced(policy, case, claim) for claim in claims]
        if as_of is not None and trace:
            for e, original in zip(entries, case.claims):
                if original.date is None and e.node is not None:
                    e.node.notes.append(f"the claim gives no date: decided as of {as_of}")
        span_claims(entries, case.history, policy.programs)
        for e in entries if trace else ():
            if e.node is not None:
                _attach_readings(e.node, e.program)
    finally:
        _setcontext(saved)
    return Decision(policy.id, policy.digest, case.id, [e.result for e in entries], policy.refs, as_of)


def span_claims(entries: list[_Entry], history: list[PriorAward], programs: Mapping[str, MeasureProgram],
                steps: int | None = None) -> None:
    """The rules that span claims, in their order, where some claim's measure has them (in the
    engine's decimal context, which the caller has entered); ``steps``: those of the entries'
    programs together, if the caller knows them."""
    if steps is None:
        steps = 0
        for e in entries:
            steps |= e.program.cross_claim_steps
    if steps & ONE_TIME:
        _apply_one_time(entries, history)
    if steps & EXCLUSIVE:
        _apply_exclusivity(entries, history)
    if steps & POOLED_CAPS:
        _apply_pooled_caps(entries, history, programs)
    if steps & QUOTA:
        _mark_quotas(entries)


_getcontext, _setcontext = decimal.getcontext, decimal.setcontext
_THREAD = threading.local()


def _thread_context() -> decimal.Context:
    """This thread's copy of :data:`~ordinance.values.DECIMAL_CONTEXT` (cheaper to enter than
    ``decimal.localcontext``, which copies it on every call; its flags are never read)."""
    try:
        return _THREAD.context
    except AttributeError:
        context = _THREAD.context = V.DECIMAL_CONTEXT.copy()
        return context


def _decide_untraced(policy: "Policy", case: Case, claim: Claim) -> _Entry:
    """:func:`_decide_claim` with the trace off: the same outcome, with nothing recorded."""
    program = policy.programs[claim.measure]
    day = claim.date
    if day is None or not program.always_valid(day):
        return _decide_claim(policy, case, claim, False)
    env = {**case.applicant, **claim.facts, "claim.id": claim.id, "claim.date": day}
    if claim.project is not None:
        env["claim.project"] = claim.project
    outcome = program.run(env, None)
    if outcome.status == "eligible" and program.measure.exclusive and claim.project is None:
        outcome = _project_needed(program.measure)
    result = claim_result(policy, program, claim.id, day, claim.project, outcome)
    pooled = pool_keys(outcome.pooled_caps, day, claim.project) if outcome.pooled_caps else None
    return _Entry(program, result, claim.index, pooled, outcome)


def claim_result(policy: "Policy", program: MeasureProgram, claim_id: str, day: _dt.date | None,
                 project: str | None, outcome: Outcome) -> ClaimResult:
    """The untraced result of a claim whose outcome is known (before the rules spanning claims)."""
    m = program.measure
    status = outcome.status
    eligible = status == "eligible"
    return ClaimResult(claim_id, m.id, program.policy.id if policy.multi else "", status,
                       outcome.amount if eligible else (ZERO if status == "ineligible" else None),
                       m.basis, m.benefit, outcome.ceiling if eligible else None,
                       outcome.duration if eligible else None,
                       list(outcome.reasons) if outcome.reasons else None,
                       list(outcome.missing) if outcome.missing else None, None, None, None, None,
                       day, day.year if day is not None else None, project, outcome.rank if eligible else None)


def _project_needed(m) -> Outcome:
    return Outcome("undetermined", missing=["claim.project"], reasons=[reason(
        "project-needed", "須註明項目，以適用「就高不重複」",
        f"the project must be named: measures of group `{m.exclusive}` are not stacked per project")])


def _decide_claim(policy: "Policy", case: Case, claim: Claim, trace: bool) -> _Entry:
    program = policy.programs[claim.measure]
    m = program.measure
    node = None
    if trace:
        node = TraceNode("claim", claim.id, m.title, m.location, m.citation, None, None, None, None, None,
                         list(program.claim_notes))
        facts = dict(sorted({**case.applicant, **claim.facts}.items()))
        declared = program.fact_types(policy)
        node.children.append(TraceNode("facts", "facts", _FACTS_LABEL, None, None, None, facts, None, None,
                                       {k: declared.get(k, "string") for k in facts}))
    day = claim.date
    result = ClaimResult(claim.id, m.id, program.policy.id if policy.multi else "", "undetermined",
                         None, m.basis, m.benefit, None, None, None, None, None, None, None, node, day,
                         day.year if day is not None else None, claim.project)
    if day is not None and node is None and program.always_valid(day):
        outcome = None  # the fast path: inside every window, nothing to record
    else:
        outcome = _validity(program, claim.date, node)
    if outcome is None:
        env = {**case.applicant, **claim.facts, "claim.id": claim.id}
        if day is not None:
            env["claim.date"] = day
        if claim.project is not None:
            env["claim.project"] = claim.project
        outcome = program.run(env, node)
        if outcome.status == "eligible" and m.exclusive and claim.project is None:
            outcome = _project_needed(m)
    result.status = outcome.status
    if outcome.reasons:
        result.reasons = list(outcome.reasons)
    if outcome.missing:
        result.missing = list(outcome.missing)
    if outcome.status == "eligible":
        result.amount = outcome.amount
        result.ceiling = outcome.ceiling
        result.duration = outcome.duration
        result.rank = outcome.rank
    elif outcome.status == "ineligible":
        result.amount = ZERO
    if node is not None:
        node.status = result.status
        node.result = result.amount
        if m.benefit == "money":
            node.types["result"] = "money"
    pooled = pool_keys(outcome.pooled_caps, day, claim.project) if outcome.pooled_caps and day is not None else None
    return _Entry(program, result, claim.index, pooled, outcome, node)


def _attach_readings(claim_node: TraceNode, program: MeasureProgram) -> None:
    """Put each reading under the step it is about: the first node whose id or kind is its
    ``about`` (``basis:maximum`` / ``basis:exact`` name the amount of measures with that basis).
    The readings are ``program.trace_readings``, ``(reading, whose, keep_unmatched)``: a measure's
    reading about no step of this claim is shown at the claim's level, a policy's is left out."""
    readings = program.trace_readings
    if not readings:
        return
    wanted = program.reading_targets
    need = len(wanted)
    steps: dict[str, TraceNode] = {}
    if need:
        _first_steps(claim_node.children, wanted, program.basis_target, steps, need)
    for about, label, note, keep_unmatched in program.reading_nodes:
        target = steps.get(about) if about else None
        if target is None and not keep_unmatched:
            continue
        (target or claim_node).children.append(
            TraceNode("reading", about or "reading", label, None, None, None, None, None, None, None, [note]))


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


def _validity(program: MeasureProgram, day: _dt.date | None, node: TraceNode | None) -> Outcome | None:
    """The policy's and the measure's windows; an Outcome when the claim's ``day`` fails them."""
    pdef = program.policy
    if day is None:
        if node is not None:
            node.add(TraceNode("validity", "policy", Label("有效期", "validity"), None, pdef.validity_citation,
                               "claim.date within " + str(pdef.valid), {"claim.date": None}, None, "undetermined"))
        return Outcome("undetermined", missing=["claim.date"], reasons=[reason(
            "missing-facts", "缺少事實：claim.date", "facts needed: claim.date")])
    for (which, window, citation, label, location, text), (shown, whose, bounds) in zip(program.windows,
                                                                                   program.window_words):
        inside = window.contains(day)
        if node is not None:
            node.children.append(TraceNode("validity", which, label, location, citation, text, {"claim.date": day},
                                           inside, "true" if inside else "false", {"claim.date": "date"}))
        if not inside:
            iso = day.isoformat()
            return Outcome("ineligible", None, None, None, [{  # (as reason() words it, written out: a hot path)
                "code": "outside-validity", "zh": f"申請日期{iso}不在{whose}有效期（{shown}）內",
                "en": f"the claim date {iso} is outside the {which}'s validity ({shown})", "window": dict(bounds)}])
    return None


def _apply_one_time(entries: list[_Entry], history: list[PriorAward]) -> None:
    paid: dict[tuple[str, str | None], str] = {}
    for award in history:
        if award.measure is not None:
            paid.setdefault((award.measure, award.project), award.id)
    for e in entries:
        result = e.result
        if not e.program.measure.one_time or result.status != "eligible":
            continue
        key = (e.program.key, result.project)
        earlier = paid.get(key)
        if earlier is not None:
            _refuse(e, reason("one-time-paid", "一次性獎勵已兌現", f"a one-time award: already granted ({earlier})",
                              granted=earlier), "one-time", f"one-time award already granted by {earlier}")
        else:
            paid[key] = result.claim


def _refuse(e: _Entry, why: dict[str, Any], step: str, note: str) -> None:
    e.result.status = "ineligible"
    e.result.amount = ZERO
    e.result.reasons.append(why)
    if e.node is not None:
        e.node.add(TraceNode(step, step, notes=[note], result=ZERO))
        e.node.status, e.node.result = "ineligible", ZERO


def _apply_exclusivity(entries: list[_Entry], history: list[PriorAward]) -> None:
    by_key: dict[tuple[str, str], list[_Entry]] = {}
    for e in entries:
        group = e.program.exclusive
        if group:
            project = e.result.project
            if project is not None:
                members = by_key.get((group, project))
                if members is None:
                    by_key[(group, project)] = [e]
                else:
                    members.append(e)
    for (group, project), members in by_key.items():
        eligible = []
        pending = []
        best = winner = None
        for e in members:
            result = e.result
            status = result.status
            if status == "eligible":
                benefit = result.benefit  # what is compared: the money, or an assessed benefit's ceiling
                value = result.amount if benefit == "money" else result.ceiling if benefit == "assessed" else None
                if value is not None:
                    eligible.append(e)
                    if best is None or value > best:  # the highest; the first claim of equals
                        best, winner = value, e
            elif status == "undetermined":
                pending.append(result.claim)
        if winner is None:
            continue
        wid = winner.result.claim
        for e in eligible:
            if e is winner:
                continue
            supersede(e.result, wid, group, project)
            if e.node is not None:
                node = e.node.add(TraceNode(
                    "exclusivity", group, Label("就高不重複", "take the highest, do not stack"),
                    inputs={"project": project, "this claim": _comparable_value_before(e), wid: best},
                    result="superseded", notes=[f"superseded by {wid}"] + _group_reading(e, group)))
                node.types = {"project": "string", "this claim": "money", wid: "money"}
                e.node.status, e.node.result = "superseded", ZERO
        best_prior = None
        for a in history:
            if a.group == group and a.project == project and (best_prior is None or a.amount > best_prior.amount):
                best_prior = a  # the highest prior award; the first of equals
        traced = winner.node is not None
        if best_prior is None and not traced:
            continue  # nothing to deduct, nothing to note
        wresult = winner.result
        notes = []  # (for the trace)
        if len(eligible) > 1:
            notes.append(f"highest of {len(eligible)} claims for project {project}: kept")
        if pending:
            notes.append("may still be superseded by undetermined claim(s): " + ", ".join(pending))
        if best_prior is not None:
            if best_prior.amount >= best:
                wresult.status = "superseded"
                wresult.amount = ZERO
                wresult.ceiling = None
                wresult.superseded_by = best_prior.id
                wresult.reasons.append(reason(
                    "superseded", f"就高不重複：同一項目已獲較高獎補（{best_prior.id}）",
                    f"not stacked (就高不重複): prior award {best_prior.id} for the same project is as high or higher",
                    winner=best_prior.id, group=group, project=project))
                notes.append(f"superseded by prior award {best_prior.id} ({V.format_money(best_prior.amount)})")
            else:
                if wresult.benefit == "money":
                    wresult.amount = best - best_prior.amount
                else:
                    wresult.ceiling = best - best_prior.amount
                notes.append(f"prior award {best_prior.id} of {V.format_money(best_prior.amount)} for this project "
                             f"is deducted: the applicant receives the highest award once, not both")
        if traced and notes:
            winner.node.add(TraceNode("exclusivity", group, Label("就高不重複", "take the highest, do not stack"),
                                      inputs={"project": project}, result=wresult.status,
                                      notes=notes + _group_reading(winner, group)))
            winner.node.status, winner.node.result = wresult.status, wresult.amount


def supersede(result: ClaimResult, winner: str, group: str, project: str) -> None:
    """``result`` is superseded by the higher claim ``winner`` for the same project (就高不重複)."""
    result.status = "superseded"
    result.amount = ZERO
    result.ceiling = None
    result.superseded_by = winner
    result.reasons.append({  # (as reason() words it, written out: a hot path)
        "code": "superseded", "zh": f"就高不重複：同一項目以申請{winner}（較高）為準",
        "en": f"not stacked (就高不重複): claim {winner} for the same project is higher",
        "winner": winner, "group": group, "project": project})


def prior_in_group(history: list[PriorAward], group: str, project: str | None) -> bool:
    """Whether an award granted before is in ``group`` for ``project``."""
    for a in history:
        if a.group == group and a.project == project:
            return True
    return False


def _group_reading(e: _Entry, group: str) -> list[str]:
    definition = e.program.policy.groups.get(group)
    if definition is None or definition.reading is None:
        return []
    return [f"reading: {definition.reading.en}"]


def _comparable_value_before(e: _Entry) -> Decimal | None:
    o = e.outcome
    return o.amount if e.result.benefit == "money" else o.ceiling


def _cap_key(pool: str, scope: int, day, project: str | None) -> tuple[object, ...] | None:
    """The pool a cap draws from for an award: None when the award has no project to pool by."""
    if scope == SCOPE_ENTITY_YEAR:
        return (pool, day.year)
    if project is None:
        return None
    if scope == SCOPE_PROJECT_YEAR:
        return (pool, project, day.year)
    return (pool, project)


_SCOPE_ZH = {"project": "單個項目", "product": "單個產品", "project-year": "單個項目本年度",
             "product-year": "單個產品本年度"}


def _exhausted_reason(scope: str) -> dict[str, Any]:
    if scope == "entity-year":
        return reason("yearly-cap-exhausted", "本年度額度已用完", "the yearly cap for this applicant is used up")
    return reason("cap-exhausted", f"{_SCOPE_ZH[scope]}上限已用完",
                  f"the cap {SCOPE_WORDS[scope]} is used up by earlier awards")


def _apply_pooled_caps(entries: list[_Entry], history: list[PriorAward],
                       programs: Mapping[str, MeasureProgram]) -> None:
    """Caps per project/product (ever or per year) and per entity-year, over claims and history."""
    capped = [(e.result.date, e.result, e.pooled, e.node) for e in entries
              if e.pooled and e.result.status == "eligible" and e.result.amount is not None]
    if capped:
        draw_pools(capped, history, programs)


def draw_pools(capped: list[tuple[_dt.date, ClaimResult, list, TraceNode | None]], history: list[PriorAward],
               programs: Mapping[str, MeasureProgram]) -> None:
    """The caps that span awards for ``capped``, the eligible claims (in the case's order) that
    have such caps and an amount, each as ``(date, result, its caps with their pools' keys, trace
    node)``: each draws on its pools in date order, after the prior awards."""
    if len(capped) == 1 and not history and capped[0][3] is None:
        cap_alone(capped[0][1], capped[0][2])  # the common case: one claim, nothing granted before
        return
    used: dict[tuple[object, ...], Decimal] = {}  # by pool: granted before (history), then by earlier claims
    for award in history:
        program = programs.get(award.measure or "")
        if program is None:
            if award.pool:  # an award under another policy, named by its pool
                key = (award.pool, award.date.year)
                used[key] = used.get(key, ZERO) + award.amount
            continue
        counted = set()  # each pool once, however many of the measure's caps draw on it
        for _, _, pool, scope in program.pooled:
            if award.pool and pool != award.pool:
                continue
            key = _cap_key(pool, scope, award.date, award.project)
            if key is not None and key not in counted:
                counted.add(key)
                spent = used.get(key)
                used[key] = award.amount if spent is None else spent + award.amount
    traced = capped[0][3] is not None  # (the trace is on for every claim of a case, or for none)
    before_claims = dict(used) if traced else None
    if len(capped) > 1:
        capped.sort(key=_DATE)  # (stable: claims of one date stay in the case's order)
    for _, result, pooled, node in capped:
        exhausted: str | None = None
        for cap, limit, key in pooled:
            if key is None:  # no project named: the cap bounded this claim alone (see its cap step)
                continue
            spent = used.get(key)
            if spent is None:
                remaining = limit if limit >= ZERO else ZERO
            else:
                remaining = limit - spent
                if remaining < ZERO:
                    remaining = ZERO
            asked = result.amount
            grant = asked if asked <= remaining else remaining
            if traced:
                before = before_claims.get(key, ZERO)  # type: ignore[union-attr]
                earlier = (spent or ZERO) - before
                if cap.per == "entity-year" or before or earlier:
                    node.add(_pooled_cap_node(cap, result, limit, before, earlier, remaining, asked, grant))
            if not grant and asked > ZERO:
                exhausted = cap.per
            result.amount = grant
        granted = result.amount
        for key in ((pooled[0][2],) if len(pooled) == 1 else dict.fromkeys([k for _, _, k in pooled])):
            if key is not None:  # what this claim was granted counts against each pool it draws from, once
                spent = used.get(key)
                used[key] = granted if spent is None else spent + granted
        if exhausted is not None:
            result.reasons.append(_exhausted_reason(exhausted))
        if traced:
            node.result = result.amount


def pool_keys(pooled_caps: list[tuple[Any, Decimal, str, int]], day: _dt.date, project: str | None
              ) -> list[tuple[Any, Decimal, tuple[object, ...] | None]]:
    """An outcome's caps spanning awards as an entry holds them: ``(cap, limit, the key of the
    pool it draws from)``, the key None where the cap pools by project and the claim names none."""
    return [(cap, limit, _cap_key(pool, scope, day, project)) for cap, limit, pool, scope in pooled_caps]


#: claims in date order
_DATE = operator.itemgetter(0)


def cap_alone(result: ClaimResult, pooled: list[tuple[Any, ...]]) -> None:
    """The caps that span awards, for a claim that has the case to itself (no other claim, no
    prior award, no trace): each bounds its amount (``pooled``: ``(cap, limit, ...)`` each)."""
    asked = result.amount
    for cap, limit, *_ in pooled:
        if asked > limit:
            asked = max(limit, ZERO)
    if asked == 0 and result.amount:
        exhausted = next(c.per for c, limit, *_ in pooled if limit <= 0)
        result.reasons.append(_exhausted_reason(exhausted))
    result.amount = asked


def _pooled_cap_node(cap, result: ClaimResult, limit: Decimal, before: Decimal, earlier: Decimal,
                     remaining: Decimal, asked: Decimal, grant: Decimal) -> TraceNode:
    """The trace step of a cap that spans awards: what was granted before, what remains."""
    per = cap.per
    scope = SCOPE_WORDS[per]
    money = {"cap": limit, "already granted (history)": before, "already granted (earlier claims)": earlier,
             "remaining": remaining, "amount": asked}
    if per == "entity-year":
        inputs: dict[str, object] = {"year": result.date.year, **money}
    elif per.endswith("year"):
        inputs = {"project": result.project, "year": result.date.year, **money}
    else:
        inputs = {"project": result.project, **money}
    if asked > remaining:
        note = f"capped {scope}: {V.format_money(asked)} > {V.format_money(remaining)} remaining"
    else:
        note = f"within the cap {scope}: {V.format_money(remaining)} remaining"
    return TraceNode("yearly-cap" if per == "entity-year" else "project-cap", cap.id, cap.label, cap.location,
                     cap.citation, cap.limit.text, inputs, grant, None, dict(_POOLED_CAP_TYPES), [note])


#: The types of a pooled cap step's inputs and result (the same for every scope).
_POOLED_CAP_TYPES = {"cap": "money", "already granted (history)": "money", "already granted (earlier claims)": "money",
                     "remaining": "money", "amount": "money", "year": "number", "project": "string", "result": "money"}


def _mark_quotas(entries: Iterable[_Entry]) -> None:
    for e in entries:
        quota = e.program.measure.quota
        if quota is None or e.result.status != "eligible":
            continue
        e.result.quota = {"count": quota.count, "per": quota.per, "year": e.result.year,
                          "rank_by": quota.rank_by.text, "rank_value": e.result.rank, "status": "pending"}
        note = (f"subject to the quota: at most {quota.count} awards a {quota.per} city-wide, "
                f"ranked by {quota.rank_by.text} ({quota.order}); one case alone cannot decide it")
        e.result.notes.append(note)
        if e.node is not None:
            node = e.node.add(TraceNode("quota", e.program.measure.id, quota.label, quota.location, quota.citation,
                                        quota.rank_by.text, {"rank value": e.result.rank}, "pending", notes=[note]))
            node.types = {"rank value": e.program.input_types(quota.rank_by)["result"]}


@dataclasses.dataclass(frozen=True)
class QuotaPlace:
    """Where one claim ranks under a yearly quota, and the words the decision uses for it."""

    position: int
    contenders: int  # including the places already awarded
    taken: int  # places awarded in earlier rounds
    count: int  # the quota
    year: int | None

    @property
    def within(self) -> bool:
        return self.position <= self.count

    def note(self) -> str:
        return (f"quota: ranked {self.position} of {self.contenders} for {self.year}"
                f"{f' ({self.taken} already awarded)' if self.taken else ''}; "
                f"{'within' if self.within else 'beyond'} the {self.count} awards a year "
                "(ties broken by case id, then claim id)")

    def exceeded_reason(self) -> dict[str, Any]:
        return reason("quota-exceeded", f"超出年度名額（第{self.position}名，名額{self.count}個）",
                      f"beyond the yearly quota (ranked {self.position}, quota {self.count})",
                      position=self.position, count=self.count)


def rank_quota(members: list[Any], quota, year: int | None, taken: int,
               key: "Callable[[Any], tuple[Any, str, str]]") -> list[tuple[Any, QuotaPlace]]:
    """Order the contenders of one quota and year: by the rank value (``quota.order``), then case
    id, then claim id; ``key(member)`` gives ``(rank value, case id, claim id)``."""
    descending = quota.order == "descending"

    def order(member: Any) -> tuple[Any, str, str]:
        rank, case_id, claim_id = key(member)
        return (_rank_key(rank, descending), case_id, claim_id)

    ranked = sorted(members, key=order)
    total = len(ranked) + taken
    return [(m, QuotaPlace(position, total, taken, quota.count, year))
            for position, m in enumerate(ranked, start=1 + taken)]


def apply_quotas(decisions: list[Decision], policy: "Policy",
                 awarded: Mapping[tuple[str, int], int] | None = None) -> None:
    """Rank the quota-bound eligible claims of many decisions; mark those beyond each quota.

    ``awarded`` counts awards already made under a quota, by ``(measure id, year)``: they take
    their places first (e.g. a batch decided after the first round of the year).
    """
    awarded = awarded or {}
    pools: dict[tuple[str, int | None], list[tuple[Decision, ClaimResult]]] = defaultdict(list)
    for d in decisions:
        for r in d.results:
            if r.quota is not None and r.status == "eligible":
                key = r.measure if not r.policy else f"{r.policy}:{r.measure}"
                pools[(key, r.year)].append((d, r))
    for (measure, year), members in sorted(pools.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
        quota = policy.find_measure(measure).measure.quota
        taken = awarded.get((measure.split(":")[-1], year), 0) if year is not None else 0
        for (d, r), place in rank_quota(members, quota, year, taken, lambda dr: (dr[1].rank, dr[0].case, dr[1].claim)):
            note = place.note()
            r.quota = dict(r.quota or {}, status="awarded" if place.within else "exceeded", position=place.position,
                           contenders=place.contenders, already_awarded=taken)
            r.notes = [n for n in r.notes if not n.startswith("subject to the quota")] + [note]
            if not place.within:
                r.status = "ineligible"
                r.amount = ZERO
                r.reasons.append(place.exceeded_reason())
            if r.trace is not None:
                q = r.trace.find("quota")
                if q is not None:
                    q.result = "awarded" if place.within else "exceeded"
                    q.notes.append(note)
                r.trace.status, r.trace.result = r.status, r.amount


def _rank_key(value: Any, descending: bool) -> Any:
    if isinstance(value, Decimal):
        return -value if descending else value
    if value is None:
        return Decimal("Infinity")
    return (-value.toordinal()) if descending else value.toordinal()

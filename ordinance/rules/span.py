"""The rules that span the claims of one case and its history of prior awards.

After every claim of a case is decided on its own (by the reference interpreter or by
generated code: both end in an :class:`Entry`), :func:`span_claims` applies, in this order:

1. one-time awards: a ``one_time`` measure pays once per project;
2. exclusivity (就高不重複): among claims for one project under measures of one group, only
   the highest award stands; the others are *superseded*, naming the winner; a prior award
   in the group counts too (the new claim pays only what exceeds it);
3. caps that span awards -- per project or product (``per: project``, ``product``, and their
   ``-year`` forms) and per entity and calendar year (``per: entity-year``) -- consumed in date
   order, prior awards of the same pool first;
4. quotas: one case cannot rank itself against the city, so an eligible claim under a quota
   is marked as subject to it (:mod:`ordinance.rules.quotas` ranks many decisions together).

Each rule is linear in the claims and prior awards: the history is indexed once per case.
This is the only place these rules are written.
"""

from __future__ import annotations

import datetime as _dt
import operator
from decimal import Decimal
from typing import Any, Iterable, Mapping

from .. import values as V
from ..cases.read import PriorAward
from ..decision import ClaimResult
from ..front.model import Label
from ..trace import TraceNode
from ..plan.steps import (EXCLUSIVE, ONE_TIME, POOLED_CAPS, QUOTA, SCOPE_ENTITY_YEAR, SCOPE_PROJECT_YEAR, SCOPE_WORDS,
                          Cap, MeasurePlan, reason)

ZERO = Decimal(0)
_EXCLUSIVITY_LABEL = Label("就高不重複", "take the highest, do not stack")


class Entry:
    """A claim as the rules that span claims see it: its measure's plan, its result so far, its
    place in the case, the caps spanning awards that bound it (``(cap, limit)`` each, or None),
    the value exclusivity compares as it was before these rules (for the trace), and its trace
    node (None with the trace off)."""

    __slots__ = ("plan", "result", "index", "pooled", "before", "node")

    def __init__(self, plan: MeasurePlan, result: ClaimResult, index: int, pooled: list | None,
                 before: Decimal | None = None, node: TraceNode | None = None):
        self.plan, self.result, self.index, self.pooled, self.before, self.node = \
            plan, result, index, pooled, before, node


def span_claims(entries: list[Entry], history: list[PriorAward], plans: Mapping[str, MeasurePlan],
                steps: int | None = None) -> None:
    """The rules that span claims, in their order, where some claim's measure has them (in the
    engine's decimal context, which the caller has entered); ``steps``: the entries' plans'
    ``spans`` together, when the caller knows them."""
    if steps is None:
        steps = 0
        for e in entries:
            steps |= e.plan.spans
    if steps & ONE_TIME:
        one_time(entries, history)
    if steps & EXCLUSIVE:
        exclusivity(entries, history)
    if steps & POOLED_CAPS:
        capped = []
        for e in entries:
            result = e.result
            if e.pooled and result.status == "eligible" and result.amount is not None:
                capped.append((result.date, result, e.pooled, e.node))
        if capped:
            draw_pools(capped, history, plans)
    if steps & QUOTA:
        mark_quotas(entries)


def one_time(entries: list[Entry], history: list[PriorAward]) -> None:
    """A one-time measure pays once per (measure, project): earlier claims and the history count."""
    paid: dict[tuple[str, str | None], str] = {}
    for award in history:
        if award.measure is not None:
            paid.setdefault((award.measure, award.project), award.id)
    for e in entries:
        result = e.result
        if not e.plan.one_time or result.status != "eligible":
            continue
        key = (e.plan.key, result.project)
        earlier = paid.get(key)
        if earlier is not None:
            _refuse(e, reason("one-time-paid", "一次性獎勵已兌現", f"a one-time award: already granted ({earlier})",
                              granted=earlier), "one-time", f"one-time award already granted by {earlier}")
        else:
            paid[key] = result.claim


def _refuse(e: Entry, why: dict[str, Any], step: str, note: str) -> None:
    e.result.status = "ineligible"
    e.result.amount = ZERO
    e.result.add_reason(why)
    if e.node is not None:
        e.node.add(TraceNode(step, step, notes=[note], result=ZERO))
        e.node.status, e.node.result = "ineligible", ZERO


def compared_value(result: ClaimResult) -> Decimal | None:
    """What exclusivity compares: the money, or an assessed benefit's ceiling (None: nothing)."""
    benefit = result.benefit
    return result.amount if benefit == "money" else result.ceiling if benefit == "assessed" else None


def exclusivity(entries: list[Entry], history: list[PriorAward]) -> None:
    """就高不重複, per (group, project): the highest eligible claim stands (the first of equals),
    the others are superseded; the highest prior award of the group and project supersedes the
    winner when as high or higher, and is deducted from it when lower."""
    by_key: dict[tuple[str, str], list[Entry]] = {}
    for e in entries:
        group = e.plan.exclusive
        if group:
            project = e.result.project
            if project is not None:
                by_key.setdefault((group, project), []).append(e)
    if not by_key:
        return
    best_prior: dict[tuple[str, str | None], PriorAward] = {}  # the history, indexed once
    for a in history:
        if a.group is not None:
            key = (a.group, a.project)
            known = best_prior.get(key)
            if known is None or a.amount > known.amount:  # the highest prior award; the first of equals
                best_prior[key] = a
    for (group, project), members in by_key.items():
        eligible = []
        pending = []
        best = winner = None
        for e in members:
            result = e.result
            status = result.status
            if status == "eligible":
                value = compared_value(result)
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
                    "exclusivity", group, _EXCLUSIVITY_LABEL,
                    inputs={"project": project, "this claim": e.before, wid: best},
                    result="superseded", notes=[f"superseded by {wid}"] + _group_reading(e)))
                node.types = {"project": "string", "this claim": "money", wid: "money"}
                e.node.status, e.node.result = "superseded", ZERO
        prior = best_prior.get((group, project))
        traced = winner.node is not None
        if prior is None and not traced:
            continue  # nothing to deduct, nothing to note
        wresult = winner.result
        notes = []  # (for the trace)
        if len(eligible) > 1:
            notes.append(f"highest of {len(eligible)} claims for project {project}: kept")
        if pending:
            notes.append("may still be superseded by undetermined claim(s): " + ", ".join(pending))
        if prior is not None:
            if prior.amount >= best:
                wresult.status = "superseded"
                wresult.amount = ZERO
                wresult.ceiling = None
                wresult.superseded_by = prior.id
                wresult.add_reason(reason(
                    "superseded", f"就高不重複：同一項目已獲較高獎補（{prior.id}）",
                    f"not stacked (就高不重複): prior award {prior.id} for the same project is as high or higher",
                    winner=prior.id, group=group, project=project))
                notes.append(f"superseded by prior award {prior.id} ({V.format_money(prior.amount)})")
            else:
                if wresult.benefit == "money":
                    wresult.amount = best - prior.amount
                else:
                    wresult.ceiling = best - prior.amount
                notes.append(f"prior award {prior.id} of {V.format_money(prior.amount)} for this project "
                             f"is deducted: the applicant receives the highest award once, not both")
        if traced and notes:
            winner.node.add(TraceNode("exclusivity", group, _EXCLUSIVITY_LABEL, inputs={"project": project},
                                      result=wresult.status, notes=notes + _group_reading(winner)))
            winner.node.status, winner.node.result = wresult.status, wresult.amount


def supersede(result: ClaimResult, winner: str, group: str, project: str) -> None:
    """``result`` is superseded by the higher claim ``winner`` for the same project (就高不重複)."""
    result.status = "superseded"
    result.amount = ZERO
    result.ceiling = None
    result.superseded_by = winner
    result.add_reason(reason("superseded", f"就高不重複：同一項目以申請{winner}（較高）為準",
                                 f"not stacked (就高不重複): claim {winner} for the same project is higher",
                                 winner=winner, group=group, project=project))


def _group_reading(e: Entry) -> list[str]:
    return [f"reading: {e.plan.group_reading}"] if e.plan.group_reading is not None else []


def pool_key(cap: Cap, day: _dt.date, project: str | None) -> tuple[object, ...] | None:
    """The pool a cap draws from for an award on ``day``: None when it pools by project and the
    award names none (the cap then bounded that claim alone)."""
    scope = cap.scope
    if scope == SCOPE_ENTITY_YEAR:
        return (cap.pool, day.year)
    if project is None:
        return None
    if scope == SCOPE_PROJECT_YEAR:
        return (cap.pool, project, day.year)
    return (cap.pool, project)


_SCOPE_ZH = {"project": "單個項目", "product": "單個產品", "project-year": "單個項目本年度",
             "product-year": "單個產品本年度"}


def _exhausted_reason(scope: str) -> dict[str, Any]:
    if scope == "entity-year":
        return reason("yearly-cap-exhausted", "本年度額度已用完", "the yearly cap for this applicant is used up")
    return reason("cap-exhausted", f"{_SCOPE_ZH[scope]}上限已用完",
                  f"the cap {SCOPE_WORDS[scope]} is used up by earlier awards")


#: claims in date order
_DATE = operator.itemgetter(0)


def draw_pools(capped: list[tuple[_dt.date, ClaimResult, list, TraceNode | None]], history: list[PriorAward],
               plans: Mapping[str, MeasurePlan]) -> None:
    """The caps that span awards for ``capped``, the eligible claims (in the case's order) that
    have such caps and an amount, each as ``(date, result, its caps as (cap, limit), trace
    node)``: each draws on its pools (:func:`pool_key`) in date order, after the prior awards."""
    used: dict[tuple[object, ...], Decimal] = {}  # by pool: granted before (history), then by earlier claims
    for award in history or ():
        plan = plans.get(award.measure or "")
        if plan is None:
            if award.pool:  # an award under another policy, named by its pool
                key = (award.pool, award.date.year)
                used[key] = used.get(key, ZERO) + award.amount
            continue
        counted = set()  # each pool once, however many of the measure's caps draw on it
        for cap in plan.pooled:
            if award.pool and cap.pool != award.pool:
                continue
            key = pool_key(cap, award.date, award.project)
            if key is not None and key not in counted:
                counted.add(key)
                used[key] = used.get(key, ZERO) + award.amount
    traced = capped[0][3] is not None  # (the trace is on for every claim of a case, or for none)
    before_claims = dict(used) if traced else None
    if len(capped) > 1:
        capped.sort(key=_DATE)  # (stable: claims of one date stay in the case's order)
    for day, result, pooled, node in capped:
        project = result.project
        exhausted: str | None = None
        drawn = []  # the pools this claim draws from, each once
        for cap, limit in pooled:
            key = pool_key(cap, day, project)
            if key is None:  # no project named: the cap bounded this claim alone (see its cap step)
                continue
            if key not in drawn:
                drawn.append(key)
            spent = used.get(key)
            remaining = limit if spent is None else limit - spent
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
        for key in drawn:  # what this claim was granted counts against each pool it draws from, once
            spent = used.get(key)
            used[key] = granted if spent is None else spent + granted
        if exhausted is not None:
            result.add_reason(_exhausted_reason(exhausted))
        if traced:
            node.result = result.amount


def _pooled_cap_node(cap: Cap, result: ClaimResult, limit: Decimal, before: Decimal, earlier: Decimal,
                     remaining: Decimal, asked: Decimal, grant: Decimal) -> TraceNode:
    """The trace step of a cap that spans awards: what was granted before, what remains."""
    per = cap.per
    money = {"cap": limit, "already granted (history)": before, "already granted (earlier claims)": earlier,
             "remaining": remaining, "amount": asked}
    if per == "entity-year":
        inputs: dict[str, object] = {"year": result.date.year, **money}
    elif per.endswith("year"):
        inputs = {"project": result.project, "year": result.date.year, **money}
    else:
        inputs = {"project": result.project, **money}
    if asked > remaining:
        note = f"capped {cap.words}: {V.format_money(asked)} > {V.format_money(remaining)} remaining"
    else:
        note = f"within the cap {cap.words}: {V.format_money(remaining)} remaining"
    return TraceNode("yearly-cap" if per == "entity-year" else "project-cap", cap.id, cap.label, cap.location,
                     cap.citation, cap.limit.text, inputs, grant, None, dict(_POOLED_CAP_TYPES), [note])


#: The types of a pooled cap step's inputs and result (the same for every scope).
_POOLED_CAP_TYPES = {"cap": "money", "already granted (history)": "money", "already granted (earlier claims)": "money",
                     "remaining": "money", "amount": "money", "year": "number", "project": "string", "result": "money"}


def mark_quotas(entries: Iterable[Entry]) -> None:
    """An eligible claim under a quota is pending: one case alone cannot rank itself."""
    for e in entries:
        quota = e.plan.quota
        if quota is None or e.result.status != "eligible":
            continue
        e.result.quota = {"count": quota.count, "per": quota.per, "year": e.result.year,
                          "rank_by": quota.rank_by.text, "rank_value": e.result.rank, "status": "pending"}
        note = (f"subject to the quota: at most {quota.count} awards a {quota.per} city-wide, "
                f"ranked by {quota.rank_by.text} ({quota.order}); one case alone cannot decide it")
        e.result.add_note(note)
        if e.node is not None:
            node = e.node.add(TraceNode("quota", e.plan.id, quota.label, quota.location, quota.citation,
                                        quota.rank_by.text, {"rank value": e.result.rank}, "pending", notes=[note]))
            node.types = {"rank value": quota.rank_by.result_type}

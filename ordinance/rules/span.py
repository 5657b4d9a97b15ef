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

An *undetermined* claim takes part in every rule as what it may still come to: nothing, or up
to the most it can be on its own (``ClaimResult.at_most``, None where no bound is known).  A
claim whose result would change with it is itself undetermined -- left open between the least
and the most it can come to (:meth:`~ordinance.decision.ClaimResult.leave_open`), naming the
claims it waits on -- and a claim that comes out the same whatever they come to is decided.

Each rule is linear in the claims and prior awards: the history is indexed once per case.
This is the only place these rules are written.
"""

from __future__ import annotations

import datetime as _dt
import functools
import operator
from decimal import Decimal
from typing import Any, Iterable, Mapping

from .. import values as V
from ..cases.read import PriorAward
from ..decision import ClaimResult
from .pending import DEPENDS, bounds_node, depends_node, depends_reason, joined, waiting_on, waiting_reason
from ..front.model import Label
from ..messages import Text, join, msg, plural
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
            status = result.status
            if e.pooled and result.amount is not None and status == "eligible" \
                    or status == "undetermined" and e.plan.pooled and result.at_least is not None:
                capped.append((result.date, result, e.pooled, e.node, e.plan))
        if capped:
            draw_pools(capped, history, plans)
    if steps & QUOTA:
        mark_quotas(entries)
    if entries and entries[0].node is not None:  # (traced: every claim of the case, or none)
        for e in entries:
            if e.result.status == "undetermined" and e.result.at_least is not None:
                e.node.add(bounds_node(e.result.at_least, e.result.at_most, e.result.depends_on))


def one_time(entries: list[Entry], history: list[PriorAward]) -> None:
    """A one-time measure pays once per (measure, project): earlier claims and the history count.
    A claim after an undetermined one of the same award is open: nothing if that one is paid."""
    paid: dict[tuple[str, str | None], str] = {}
    maybe: dict[tuple[str, str | None], list[ClaimResult]] = {}  # undetermined earlier claims
    for award in history:
        if award.measure is not None:
            paid.setdefault((award.measure, award.project), award.id)
    for e in entries:
        result = e.result
        if not e.plan.one_time or result.status not in ("eligible", "undetermined"):
            continue
        key = (e.plan.key, result.project)
        earlier = paid.get(key)
        if earlier is not None:  # refused whatever its own facts come to
            _refuse(e, reason("one-time-paid", "一次性獎勵已兌現", f"a one-time award: already granted ({earlier})",
                              granted=earlier), "one-time",
                    msg("note.one-time-granted", claim=earlier) if e.node is not None else None)
        elif result.status == "undetermined":
            maybe.setdefault(key, []).append(result)
        elif key in maybe:
            waits = maybe[key]
            leave_open(result, e.node, ZERO, result.amount if result.benefit == "money" else result.ceiling, waits,
                        "one-time", msg("note.one-time-open", claims=join((w.claim for w in waits), "sep.or"))
                        if e.node is not None else None)
            waits.append(result)
        else:
            paid[key] = result.claim


def _refuse(e: Entry, why: dict[str, Any], step: str, note: str | None) -> None:
    e.result.status = "ineligible"
    e.result.amount = ZERO
    e.result.at_least = e.result.at_most = None
    e.result.missing = ()  # (what it waited on no longer matters)
    e.result.reasons = [r for r in e.result.reasons if r.get("code") != "missing-facts"]
    e.result.add_reason(why)
    if e.node is not None:
        e.node.add(TraceNode(step, step, notes=[note], result=ZERO))
        e.node.status, e.node.result = "ineligible", ZERO


def leave_open(result: ClaimResult, node: TraceNode | None, least: Decimal, most: Decimal | None,
               waits: Iterable[ClaimResult], step: str, note: str | None) -> None:
    """The claim of ``result`` would change with the undetermined claims ``waits`` (of its case):
    it is undetermined too, between ``least`` and ``most`` (:func:`open_on`)."""
    open_on(result, node, least, most, *waits_of(waits), step, note)


def open_on(result: ClaimResult, node: TraceNode | None, least: Decimal, most: Decimal | None, depends: list[str],
            waiting: dict[str, list[str]], step: str, note: str | None) -> None:
    """The claim of ``result`` would change with the undetermined claims named ``depends``: it is
    undetermined too, between ``least`` and ``most``; its reason names them and the facts they
    wait on (``waiting``); ``step`` names the rule (the trace's step ``depends``)."""
    depends, waiting = joined(list(result.depends_on), waiting_reason(result.reasons), depends, waiting)
    result.leave_open(least, most, depends)
    result.reasons = [r for r in result.reasons if r.get("code") != DEPENDS]
    result.add_reason(depends_reason(depends, waiting))
    if node is not None:
        node.add(depends_node(step, depends, note))
        node.status, node.result = "undetermined", None


def waits_of(waits: Iterable[ClaimResult]) -> tuple[list[str], dict[str, list[str]]]:
    """The claims ``waits`` of one case as a claim waiting on them names them -- each after the
    claims it waits on itself -- and the facts they wait on, by claim (across cases, under a
    quota: :func:`ordinance.rules.quotas.quota_waits`)."""
    depends: list[str] = []
    waiting: dict[str, list[str]] = {}
    for w in waits:
        for claim in (*w.depends_on, w.claim):
            if claim not in depends:
                depends.append(claim)
        waiting.update(waiting_on(w))
    return depends, waiting


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
        pending = []  # undetermined claims: what they may still come to
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
            elif status == "undetermined" and result.at_least is not None:
                pending.append(e)
        prior = best_prior.get((group, project))
        threats = []  # undetermined claims that may still come out higher than the winner
        for e in pending:
            most = e.result.at_most
            if winner is not None and most is not None and (most < best or most == best and e.index > winner.index):
                e.result.at_most = ZERO  # nothing, whatever it comes to: the winner is higher
                continue
            if winner is not None:
                threats.append(e.result)
            if prior is not None and most is not None:  # the prior award is deducted from what it comes to
                e.result.at_most = most - prior.amount if most > prior.amount else ZERO
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
                    inputs={_PROJECT: project, _THIS_CLAIM: e.before, wid: best},
                    result="superseded", notes=[msg("note.superseded-by", claim=wid)] + _group_reading(e)))
                node.types = {_PROJECT: "string", _THIS_CLAIM: "money", wid: "money"}
                e.node.status, e.node.result = "superseded", ZERO
        traced = winner.node is not None
        if prior is None and not traced and not threats:
            continue  # nothing to deduct, nothing to note
        wresult = winner.result
        notes = []  # (for the trace)
        if len(eligible) > 1 and traced:
            notes.append(msg("note.highest-kept", count=len(eligible), project=project))
        if len(pending) > len(threats) and traced:
            notes.append(msg("note.cannot-come-out-higher", claims=join(
                e.result.claim for e in pending if not any(e.result is t for t in threats))))
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
                if traced:
                    notes.append(msg("note.superseded-by-prior", award=prior.id, amount=V.format_money(prior.amount)))
                threats = []  # superseded whatever they come to
            else:
                if wresult.benefit == "money":
                    wresult.amount = best - prior.amount
                else:
                    wresult.ceiling = best - prior.amount
                if traced:
                    notes.append(msg("note.prior-deducted", award=prior.id, amount=V.format_money(prior.amount)))
        if traced and notes:
            winner.node.add(TraceNode("exclusivity", group, _EXCLUSIVITY_LABEL, inputs={_PROJECT: project},
                                      result=wresult.status, notes=notes + _group_reading(winner)))
            winner.node.status, winner.node.result = wresult.status, wresult.amount
        if threats:
            leave_open(wresult, winner.node, ZERO, compared_value(wresult), threats, "exclusivity",
                        msg("note.superseded-if", claims=join((t.claim for t in threats), "sep.or"), project=project)
                        if traced else None)


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
    return [msg("note.reading", reading=e.plan.group_reading)] if e.plan.group_reading is not None else []


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


def _any_year(cap: Cap, project: str | None) -> tuple[object, ...] | None:
    """The pools an undated claim may draw from, whatever its year turns out to be: ``pool_key``
    with the year left out (None where it pools by project and the claim names none)."""
    scope = cap.scope
    if scope == SCOPE_ENTITY_YEAR:
        return (cap.pool, None)
    if project is None:
        return None
    return (cap.pool, project, None) if scope == SCOPE_PROJECT_YEAR else (cap.pool, project)


def draw_pools(capped: list[tuple], history: list[PriorAward], plans: Mapping[str, MeasurePlan]) -> None:
    """The caps that span awards for ``capped``, the claims (in the case's order) that have such
    caps, each as ``(date, result, its caps as (cap, limit), trace node, plan)``: the eligible
    ones with an amount, and the undetermined ones with bounds.  Each draws on its pools
    (:func:`pool_key`) in date order, after the prior awards.

    What an undetermined claim draws is known only between its bounds, so each pool keeps the
    least and the most drawn from it; an undated claim may fall in any year, so it counts as
    drawn before every claim of its pools.  A claim is granted what remains if the others draw
    the most, at least, and what remains if they draw the least, at most: where the two differ
    it is left open, naming the undetermined claims it waits on."""
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
    waits: dict[tuple[object, ...], list[ClaimResult]] = {}  # the undetermined claims drawing from a pool
    anywhere: dict[tuple[object, ...], tuple[Decimal | None, list[ClaimResult]]] = {}  # undated ones
    uncertain = False  # whether an undetermined claim draws at all (else least and most drawn agree)
    dated = []
    for item in capped:
        result, plan = item[1], item[4]
        if result.status != "eligible":
            uncertain = True
        if item[0] is not None:
            dated.append(item)
            continue
        for key in dict.fromkeys(_any_year(cap, result.project) for cap in plan.pooled):
            if key is not None:
                most, who = anywhere.get(key, (ZERO, []))
                anywhere[key] = (most + result.at_most if most is not None and result.at_most is not None else None,
                                 who + [result])
    if not dated:
        return
    most_used: dict[tuple[object, ...], Decimal | None] = dict(used) if uncertain else used  # the most drawn
    traced = dated[0][3] is not None  # (the trace is on for every claim of a case, or for none)
    before_claims = dict(used) if traced else None
    if len(dated) > 1:
        dated.sort(key=_DATE)  # (stable: claims of one date stay in the case's order)
    for day, result, pooled, node, plan in dated:
        project = result.project
        definite = result.status == "eligible"
        asked = result.amount if definite else result.at_most
        least = result.amount if definite else result.at_least
        most = asked
        exhausted: str | None = None
        drawn = []  # the pools this claim draws from, each once
        depends: list[ClaimResult] = []
        for cap, limit in pooled or [(cap, None) for cap in plan.pooled]:
            key = pool_key(cap, day, project)
            if key is None:  # no project named: the cap bounded this claim alone (see its cap step)
                continue
            if key not in drawn:
                drawn.append(key)
            spent = used.get(key)
            if uncertain:
                spent_most = most_used.get(key, ZERO)
                if key in waits:
                    depends += waits[key]
                elsewhere = anywhere.get(_any_year(cap, project)) if anywhere else None
                if elsewhere is not None:
                    depends += elsewhere[1]
                    spent_most = spent_most + elsewhere[0] if spent_most is not None and elsewhere[0] is not None \
                        else None
            if limit is None:  # (an undetermined claim's own limit: its bounds already hold it)
                continue
            remaining = limit if spent is None else limit - spent
            if remaining < ZERO:
                remaining = ZERO
            if uncertain:  # what remains at least
                surely = ZERO if spent_most is None else max(limit - spent_most, ZERO)
            else:
                surely = remaining
            before = most
            most = remaining if most is None or most > remaining else most
            least = surely if least > surely else least
            if traced and definite:
                spent_before = before_claims.get(key, ZERO)  # type: ignore[union-attr]
                earlier = (spent or ZERO) - spent_before
                if cap.per == "entity-year" or spent_before or earlier or depends:
                    step = node.add(_pooled_cap_node(cap, result, limit, spent_before, earlier, remaining, before, most))
                    if surely < remaining:  # what undetermined claims may still take from the pool
                        step.note(msg("note.pool-remains", amount=V.format_money(surely)))
            if definite and not most and asked:
                exhausted = cap.per
        if definite and least == most:
            result.amount = most
            if exhausted is not None:
                result.add_reason(_exhausted_reason(exhausted))
            if traced:
                node.result = most
        elif definite:
            waiting = list({id(w): w for w in depends}.values())
            leave_open(result, node, least, most, waiting, "yearly-cap" if any(
                cap.scope == SCOPE_ENTITY_YEAR for cap in plan.pooled) else "project-cap",
                plural("note.cap-depends", len(waiting), claims=join(w.claim for w in waiting)) if traced else None)
        else:
            result.at_least, result.at_most = least, most
        open_now = result.status == "undetermined"
        for key in drawn:  # what this claim is granted counts against each pool it draws from, once
            spent = used.get(key)
            used[key] = least if spent is None else spent + least
            if uncertain:
                spent_most = most_used.get(key, ZERO)
                most_used[key] = spent_most + most if spent_most is not None and most is not None else None
                if open_now:
                    waits.setdefault(key, []).append(result)


def _pooled_cap_node(cap: Cap, result: ClaimResult, limit: Decimal, before: Decimal, earlier: Decimal,
                     remaining: Decimal, asked: Decimal, grant: Decimal) -> TraceNode:
    """The trace step of a cap that spans awards: what was granted before, what remains."""
    per = cap.per
    money = {_CAP: limit, _GRANTED_HISTORY: before, _GRANTED_EARLIER: earlier, _REMAINING: remaining, _AMOUNT: asked}
    if per == "entity-year":
        inputs: dict[str, object] = {_YEAR: result.date.year, **money}
    elif per.endswith("year"):
        inputs = {_PROJECT: result.project, _YEAR: result.date.year, **money}
    else:
        inputs = {_PROJECT: result.project, **money}
    if asked > remaining:
        note = msg("note.capped-remaining", scope=cap.words, amount=V.format_money(asked),
                   remaining=V.format_money(remaining))
    else:
        note = msg("note.within-cap", scope=cap.words, remaining=V.format_money(remaining))
    return TraceNode("yearly-cap" if per == "entity-year" else "project-cap", cap.id, cap.label, cap.location,
                     cap.citation, cap.limit.text, inputs, grant, None, dict(_POOLED_CAP_TYPES), [note])


#: The types of a pooled cap step's inputs and result (the same for every scope).
_CAP, _GRANTED_HISTORY, _GRANTED_EARLIER, _REMAINING, _AMOUNT, _YEAR, _PROJECT, _THIS_CLAIM, _RANK_VALUE = (
    msg("input.cap"), msg("input.granted-history"), msg("input.granted-earlier"), msg("input.remaining"),
    msg("input.amount"), msg("input.year"), msg("input.project"), msg("input.this-claim"), msg("input.rank-value"))
_POOLED_CAP_TYPES = {_CAP: "money", _GRANTED_HISTORY: "money", _GRANTED_EARLIER: "money",
                     _REMAINING: "money", _AMOUNT: "money", _YEAR: "number", _PROJECT: "string", "result": "money"}


@functools.lru_cache(maxsize=256)
def quota_pending_note(count: int, per: str, rank_by: str, order: str) -> Text:
    """``subject to the quota: at most 10 awards a year city-wide, ...`` (one per quota: remembered)."""
    return msg("note.quota-pending", count=count, per=msg(f"words.per.{per}"), rank_by=rank_by,
               order=msg(f"words.order.{order}"))


def mark_quotas(entries: Iterable[Entry]) -> None:
    """An eligible claim under a quota is pending: one case alone cannot rank itself."""
    for e in entries:
        quota = e.plan.quota
        if quota is None or e.result.status != "eligible":
            continue
        e.result.quota = {"count": quota.count, "per": quota.per, "year": e.result.year,
                          "rank_by": quota.rank_by.text, "rank_value": e.result.rank, "status": "pending"}
        note = quota_pending_note(quota.count, quota.per, quota.rank_by.text, quota.order)
        e.result.add_note(note)
        if e.node is not None:
            node = e.node.add(TraceNode("quota", e.plan.id, quota.label, quota.location, quota.citation,
                                        quota.rank_by.text, {_RANK_VALUE: e.result.rank}, "pending", notes=[note]))
            node.types = {_RANK_VALUE: quota.rank_by.result_type}

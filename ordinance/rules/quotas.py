"""Quotas: the claims of many cases ranked under a yearly quota (``quota:`` of a measure).

One case cannot rank itself against the city (:func:`ordinance.rules.span.mark_quotas` marks
its claims pending); :func:`apply_quotas` ranks the pending claims of many decisions, and
``ordinance batch`` ranks the contenders it kept with :func:`rank_quota`, the same order.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from decimal import Decimal
from typing import Any, Callable, Iterable, Mapping, Sequence

from ..decision import ClaimResult, Decision
from ..plan.steps import reason
from ..messages import Text, msg, plural
from .pending import bounds_node, joined, waiting_on
from .span import compared_value, open_on

ZERO = Decimal(0)


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

    def note(self) -> Text:
        key = "note.quota-within" if self.within else "note.quota-beyond"
        return msg(key + ".taken" if self.taken else key, position=self.position, contenders=self.contenders,
                   year=self.year, count=self.count, **({"taken": self.taken} if self.taken else {}))

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


def apply_quotas(decisions: list[Decision], policy: Any,
                 awarded: Mapping[tuple[str, int], int] | None = None) -> None:
    """Rank the quota-bound eligible claims of many decisions; mark those beyond each quota
    (``policy``: what finds a measure's program by the name a result gives, ``find_measure``).

    ``awarded`` counts awards already made under a quota, by ``(measure id, year)``: they take
    their places first (e.g. a batch decided after the first round of the year).
    """
    awarded = awarded or {}
    pools: dict[tuple[str, int | None], list[tuple[Decision, ClaimResult]]] = defaultdict(list)
    #: undetermined claims under a quota, by (measure, year; None: undated, any year): each may
    #: still come to contend, at a rank not known yet
    pending: dict[tuple[str, int | None], list[tuple[Decision, ClaimResult]]] = defaultdict(list)
    quotas: dict[str, Any] = {}
    for d in decisions:
        for r in d.results:
            if r.quota is not None and r.status == "eligible":
                key = r.measure if not r.policy else f"{r.policy}:{r.measure}"
                pools[(key, r.year)].append((d, r))
            elif r.status == "undetermined" and r.at_least is not None:
                key = r.measure if not r.policy else f"{r.policy}:{r.measure}"
                if key not in quotas:
                    quotas[key] = policy.find_measure(key).plan.quota
                if quotas[key] is not None:
                    pending[(key, r.year)].append((d, r))
    for (measure, year), members in sorted(pools.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
        quota = policy.find_measure(measure).plan.quota
        taken = awarded.get((measure.split(":")[-1], year), 0) if year is not None else 0
        waits = pending.get((measure, year), []) + pending.get((measure, None), [])
        for (d, r), place in rank_quota(members, quota, year, taken, lambda dr: (dr[1].rank, dr[0].case, dr[1].claim)):
            note = place.note()
            # an award within the quota that the undetermined claims may still push beyond it
            pushed = place.within and place.position + len(waits) > place.count
            r.quota = dict(r.quota or {}, status="awarded" if place.within and not pushed else
                           "exceeded" if not place.within else "open", position=place.position,
                           contenders=place.contenders, already_awarded=taken)
            r.notes = [n for n in r.notes if not n.startswith("subject to the quota")] + [note]
            if not place.within:
                r.status = "ineligible"
                r.amount = ZERO
                r.add_reason(place.exceeded_reason())
            if r.trace is not None:
                q = r.trace.find("quota")
                if q is not None:
                    q.result = r.quota["status"]
                    q.note(note)
                r.trace.status, r.trace.result = r.status, r.amount
            if pushed:
                depends, waiting = quota_waits([(other.case, w.claim, w.depends_on, waiting_on(w))
                                                for other, w in waits], d.case)
                open_on(r, r.trace, ZERO, compared_value(r), depends, waiting, "quota", quota_open_note(len(waits)))
                if r.trace is not None:
                    r.trace.add(bounds_node(r.at_least, r.at_most, r.depends_on))


def quota_waits(waits: Iterable[tuple[str, str, Sequence[str], Mapping[str, list[str]]]], case: str
                ) -> tuple[list[str], dict[str, list[str]]]:
    """The undetermined contenders ``waits`` -- each as (its case, its claim, the claims it waits
    on, the facts they wait on) -- as a claim of ``case`` names them (``case:claim`` for another
    case's), and the facts they wait on."""
    depends: list[str] = []
    waiting: dict[str, list[str]] = {}
    for other, claim, own, facts in waits:
        if other == case:
            names, facts = [*own, claim], dict(facts)
        else:
            names, facts = [f"{other}:{claim}"], {f"{other}:{name}": list(f) for name, f in facts.items()}
        depends, waiting = joined(depends, waiting, names, facts)
    return depends, waiting


def quota_open_note(waits: int) -> str:
    return plural("note.quota-open", waits)


def _rank_key(value: Any, descending: bool) -> Any:
    if isinstance(value, Decimal):
        return -value if descending else value
    if value is None:
        return Decimal("Infinity")
    return (-value.toordinal()) if descending else value.toordinal()

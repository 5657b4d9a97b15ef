"""Decisions: what a case comes to, claim by claim, as plain data with a stable JSON form.

``Decision.to_dict()`` is the contract the CLI and every integration read: keys in a fixed
order, money as yuan with two decimals in strings (``"5000000.00"``), ``null`` where no
amount can be computed, dates in ISO form.  The same policy and case always give the same
bytes from :func:`to_json`.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..values import Duration, money_string
from .trace import TraceNode, json_value


#: What a result holds where it has no reasons, missing facts or notes: one shared empty tuple,
#: so that a kept decision holds no empty containers (each would cost the garbage collector).
NONE: tuple[()] = ()


@dataclass(slots=True, init=False)
class ClaimResult:
    """The result for one claim.  ``reasons``, ``missing`` and ``notes`` are lists, or the empty
    tuple :data:`NONE` when there are none: add to them with :meth:`add_reason` and
    :meth:`add_note`."""

    claim: str
    measure: str
    policy: str
    status: str  # eligible | ineligible | undetermined | superseded
    amount: Decimal | None
    basis: str  # exact | maximum
    benefit: str  # money | assessed | in-kind | support
    ceiling: Decimal | None
    duration: Duration | None
    reasons: list[dict[str, Any]] | tuple[()]
    missing: list[str] | tuple[()]
    notes: list[str] | tuple[()]
    quota: dict[str, Any] | None
    superseded_by: str | None
    trace: TraceNode | None
    date: Any
    year: int | None
    project: str | None
    rank: Any

    def __init__(self, claim: str, measure: str, policy: str, status: str, amount: Decimal | None, basis: str,
                 benefit: str, ceiling: Decimal | None = None, duration: Duration | None = None,
                 reasons: list[dict[str, Any]] | None = None, missing: list[str] | None = None,
                 notes: list[str] | None = None, quota: dict[str, Any] | None = None,
                 superseded_by: str | None = None, trace: TraceNode | None = None, date: Any = None,
                 year: int | None = None, project: str | None = None, rank: Any = None):
        # written out rather than generated: a decision makes one per claim, on the fast path
        self.claim, self.measure, self.policy, self.status, self.amount = claim, measure, policy, status, amount
        self.basis, self.benefit, self.ceiling, self.duration = basis, benefit, ceiling, duration
        self.reasons = reasons if reasons is not None else NONE
        self.missing = missing if missing is not None else NONE
        self.notes = notes if notes is not None else NONE
        self.quota, self.superseded_by, self.trace = quota, superseded_by, trace
        self.date, self.year, self.project, self.rank = date, year, project, rank

    def add_reason(self, reason: dict[str, Any]) -> None:
        """One more reason (a code, its words in both languages, details)."""
        if self.reasons:
            self.reasons.append(reason)
        else:
            self.reasons = [reason]

    def add_note(self, note: str) -> None:
        """One more note."""
        if self.notes:
            self.notes.append(note)
        else:
            self.notes = [note]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "claim": self.claim,
            "measure": self.measure,
            "status": self.status,
            "amount": money_string(self.amount) if self.amount is not None else None,
            "basis": self.basis,
            "benefit": self.benefit,
        }
        if self.policy:
            out["policy"] = self.policy
        if self.ceiling is not None:
            out["ceiling"] = money_string(self.ceiling)
        if self.duration is not None:
            out["duration"] = str(self.duration)
        out["reasons"] = [dict(r) for r in self.reasons]
        out["missing"] = list(self.missing)
        if self.notes:
            out["notes"] = list(self.notes)
        if self.quota is not None:
            out["quota"] = json_value(self.quota)
        if self.superseded_by is not None:
            out["superseded_by"] = self.superseded_by
        out["trace"] = self.trace.to_dict() if self.trace is not None else None
        return out


@dataclass(slots=True)
class Decision:
    """The decision on one case: one :class:`ClaimResult` per claim, and the total due."""

    policy_id: str
    policy_digest: str
    case: str
    results: list[ClaimResult]
    policies: list[dict[str, str]] = field(default_factory=list)
    as_of: _dt.date | None = None  # the date of evaluation, when one was given

    @property
    def total(self) -> Decimal:
        """The sum of eligible money amounts."""
        return sum((r.amount for r in self.results
                    if r.status == "eligible" and r.benefit == "money" and r.amount is not None), Decimal(0))

    def result(self, claim_id: str) -> ClaimResult:
        for r in self.results:
            if r.claim == claim_id:
                return r
        raise KeyError(claim_id)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "policy": {"id": self.policy_id, "digest": self.policy_digest},
        }
        if len(self.policies) > 1:
            out["policies"] = [dict(p) for p in self.policies]
        out["case"] = self.case
        if self.as_of is not None:
            out["as_of"] = self.as_of.isoformat()
        out["results"] = [r.to_dict() for r in self.results]
        out["total"] = money_string(self.total)
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return to_json(self.to_dict(), indent)


def to_json(data: Any, indent: int | None = 2) -> str:
    """Deterministic JSON: keys in the order built, no ASCII escaping of Chinese, a final newline."""
    encoder = _ENCODERS.get(indent)
    if encoder is None:  # (json.dumps would build one on every call)
        encoder = _ENCODERS[indent] = json.JSONEncoder(ensure_ascii=False, indent=indent,
                                                        separators=(",", ": ") if indent else (",", ":"))
    return encoder.encode(data) + "\n"


_ENCODERS: dict[int | None, json.JSONEncoder] = {}

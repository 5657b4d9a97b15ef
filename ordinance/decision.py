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

from .values import Duration, format_money, money_string
from .trace import TraceNode, json_value, notes_in_chinese
from .messages import Text, join, msg, plural


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
    #: an undetermined claim's bounds, where they can be computed: the least and the most it can
    #: come to (``at_most`` None: no upper bound is known), and the claims it waits on (ids, in
    #: the case's order); ``at_least`` None: no bounds
    at_least: Decimal | None
    at_most: Decimal | None
    depends_on: list[str] | tuple[()]

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
        self.at_least = self.at_most = None
        self.depends_on = NONE

    def leave_open(self, at_least: Decimal, at_most: Decimal | None, depends_on: list[str] | tuple[()] = NONE) -> None:
        """Undetermined, between ``at_least`` and ``at_most`` (None: no upper bound known), waiting on
        the claims ``depends_on``."""
        self.status = "undetermined"
        self.amount = None
        self.ceiling = None
        self.at_least, self.at_most = at_least, at_most
        self.depends_on = depends_on

    def bounds(self) -> dict[str, Any] | None:
        """The JSON form of an undetermined claim's bounds (``bounds`` of ``to_dict``), or None."""
        if self.at_least is None or self.status != "undetermined":
            return None
        out: dict[str, Any] = {"at_least": money_string(self.at_least),
                               "at_most": money_string(self.at_most) if self.at_most is not None else None}
        out["depends_on"] = list(self.depends_on)
        return out

    def bounds_words(self) -> str | None:
        """An undetermined claim's bounds in words (the trace and every rendering say them so), or None."""
        if self.at_least is None or self.status != "undetermined":
            return None
        return range_words(self.at_least, self.at_most, self.depends_on)

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
        bounds = self.bounds()
        if bounds is not None:
            out["bounds"] = bounds
        if self.notes:
            out["notes"] = list(self.notes)
            out["notes_zh"] = notes_in_chinese(self.notes)
        if self.quota is not None:
            out["quota"] = json_value(self.quota)
        if self.superseded_by is not None:
            out["superseded_by"] = self.superseded_by
        out["trace"] = self.trace.to_dict() if self.trace is not None else None
        return out


def range_words(least: Decimal, most: Decimal | None, depends_on: list[str] | tuple[()] = NONE) -> Text:
    """``between 0.00 元 and 1,500,000.00 元 (150萬), depending on claim c1`` (in both languages)."""
    words = (msg("words.between", least=format_money(least), most=format_money(most)) if most is not None
             else msg("words.at-least", least=format_money(least)))
    if depends_on:
        words = plural("words.depending", len(depends_on), words=words, claims=join(depends_on))
    return words


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

    @property
    def open(self) -> tuple[list[str], Decimal, Decimal | None] | None:
        """The money still open: the undetermined money claims, the least and the most they can
        come to together (None: no upper bound known), or None when no money claim is undetermined."""
        claims: list[str] = []
        least = Decimal(0)
        most: Decimal | None = Decimal(0)
        for r in self.results:
            if r.status == "undetermined" and r.benefit == "money":
                claims.append(r.claim)
                known = r.at_least is not None  # (no bounds: nothing is known of it)
                if known:
                    least += r.at_least
                most = most + r.at_most if most is not None and known and r.at_most is not None else None
        return (claims, least, most) if claims else None

    def open_words(self) -> str | None:
        """The money still open in words (``Decision.open``), or None."""
        still = self.open
        if still is None:
            return None
        return plural("words.still-open", len(still[0]), words=range_words(still[1], still[2]), claims=join(still[0]))

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
        still = self.open
        if still is not None:
            out["open"] = {"claims": still[0], "at_least": money_string(still[1]),
                           "at_most": money_string(still[2]) if still[2] is not None else None}
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


# -------------------------------------------------------------------------------------------------
# One decision as one JSON line, fast (``ordinance batch`` writes millions of them)
# -------------------------------------------------------------------------------------------------

def _line_no_default(o: Any) -> Any:
    raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")


try:
    from json.encoder import c_make_encoder as _line_c_make_encoder
    from json.encoder import encode_basestring as _line_string
except ImportError:  # pragma: no cover - CPython always has _json
    _line_c_make_encoder = None
    _line_string = json.encoder.py_encode_basestring

#: json.dumps(value, ensure_ascii=False, separators=(",", ":")) made once, not per call.
_LINE_ENCODER = _line_c_make_encoder(None, _line_no_default, _line_string, None, ":", ",", False, False, True) \
    if _line_c_make_encoder is not None else None
_LINE_HEADS: dict[str, tuple[str, str]] = {}  # policy digest -> (policy id, the text up to the case id)
_LINE_MIDDLES: dict[tuple, tuple[str, str]] = {}  # (measure, status, basis, benefit) -> the text around the amount
_LINE_ZERO = Decimal(0)


def _line_json(value: Any) -> str:
    if _LINE_ENCODER is None:  # pragma: no cover
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return "".join(_LINE_ENCODER(value, 0))


def decision_line(decision: Decision) -> str:
    """``to_json(decision.to_dict(), indent=None)``, the same text, written directly for the usual
    decision (one claim, no trace, no quota, one policy); any other goes through ``to_dict``.

    The keys and their order are those of ``Decision.to_dict`` and ``ClaimResult.to_dict``; texts
    are escaped by the encoder ``json.dumps`` uses; money goes through ``values.money_string``
    (digits, a sign and a point: nothing to escape) and the total is ``Decision.total``'s sum,
    ``Decimal(0) + amount`` in the current context.  ``tests/test_decision_line.py`` holds the two
    to the same text."""
    results = decision.results
    if len(results) != 1 or len(decision.policies) > 1 or decision.as_of is not None:
        return to_json(decision.to_dict(), indent=None)
    r = results[0]
    if r.quota is not None or r.trace is not None:
        return to_json(decision.to_dict(), indent=None)
    digest = decision.policy_digest
    head = _LINE_HEADS.get(digest)
    if head is None or head[0] != decision.policy_id:
        head = _LINE_HEADS[digest] = (decision.policy_id, '{"policy":'
                                      + _line_json({"id": decision.policy_id, "digest": digest}) + ',"case":')
    s = _line_string
    money = money_string
    status, benefit, amount = r.status, r.benefit, r.amount
    if amount is None:
        amount_text = "null"
        total_text = money(_LINE_ZERO)
    else:
        amount_text = money(amount)
        if status == "eligible" and benefit == "money":
            total = _LINE_ZERO + amount
            total_text = amount_text if total == amount else money(total)
        else:
            total_text = money(_LINE_ZERO)
        amount_text = '"' + amount_text + '"'
    if r.reasons or r.missing or r.notes or r.policy or r.ceiling is not None or r.duration is not None \
            or r.superseded_by is not None:
        more = ""
        if r.policy:
            more += ',"policy":' + s(r.policy)
        if r.ceiling is not None:
            more += ',"ceiling":' + s(money(r.ceiling))
        if r.duration is not None:
            more += ',"duration":' + s(str(r.duration))
        more += (',"reasons":' + (_line_json([dict(x) for x in r.reasons]) if r.reasons else "[]")
                 + ',"missing":' + (_line_json(list(r.missing)) if r.missing else "[]"))
        bounds = r.bounds()
        if bounds is not None:
            more += ',"bounds":' + _line_json(bounds)
        if r.notes:
            more += ',"notes":' + _line_json(list(r.notes)) + ',"notes_zh":' + _line_json(notes_in_chinese(r.notes))
        if r.superseded_by is not None:
            more += ',"superseded_by":' + s(r.superseded_by)
        still = ""
        if status == "undetermined" and benefit == "money":  # Decision.open, of one claim
            least = _LINE_ZERO + r.at_least if r.at_least is not None else _LINE_ZERO
            most = _LINE_ZERO + r.at_most if r.at_least is not None and r.at_most is not None else None
            still = (',"open":{"claims":' + _line_json([r.claim]) + ',"at_least":"' + money(least) + '","at_most":'
                     + ('"' + money(most) + '"' if most is not None else "null") + "}")
        return (f'{head[1]}{s(decision.case)},"results":[{{"claim":{s(r.claim)},"measure":{s(r.measure)},'
                f'"status":{s(status)},"amount":{amount_text},"basis":{s(r.basis)},"benefit":{s(benefit)}'
                f'{more},"trace":null}}],"total":"{total_text}"{still}}}\n')
    key = (r.measure, status, r.basis, benefit)
    middle = _LINE_MIDDLES.get(key)
    if middle is None:
        if len(_LINE_MIDDLES) > 1024:
            _LINE_MIDDLES.clear()
        middle = _LINE_MIDDLES[key] = (',"measure":' + s(key[0]) + ',"status":' + s(status) + ',"amount":',
                                       ',"basis":' + s(key[2]) + ',"benefit":' + s(benefit)
                                       + ',"reasons":[],"missing":[],"trace":null}],"total":"')
    return (f'{head[1]}{s(decision.case)},"results":[{{"claim":{s(r.claim)}{middle[0]}{amount_text}{middle[1]}'
            f'{total_text}"}}\n')

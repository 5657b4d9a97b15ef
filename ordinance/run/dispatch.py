"""The one dispatch: the only place that picks the back-end for a case, and counts.

:class:`Engine` decides a case either by the generated code of its *shape* (the measures of
its claims, in order: :mod:`ordinance.run.pygen`) or by the reference
(:mod:`ordinance.run.reference`).  The generated code is used for plain data with the trace
off and no evaluation date; everything else is the reference's.  The engine owns every cache
kept between cases (the claim function of each measure, the case function of each shape, both
bounded) and counts what it did (:attr:`Engine.counts`):

- ``generated``: cases the generated code decided;
- ``reference``: cases the reference decided, of which
- ``declined:<reason>``: a generated function declined at run time (:class:`~ordinance.run.pygen.Decline`:
  a missing fact, an unknown key, ...; ``fact-value``: a value that does not convert;
  ``evaluation-error``: an arithmetic failure), and
- ``unsupported:<why>``: no generated function for the shape, known when it was written
  (a construct the generator does not handle, a shape beyond the bounds, the reference forced).

Any other exception from generated code is a bug and is raised, never swallowed.  (The counts
are exact in one thread; when threads share an engine, as the web server's do, two may make the
same function once each, and an increment may be lost.)
``ORDINANCE_BACKEND=reference`` in the environment (or ``Engine(..., reference_only=True)``)
forces the reference for every case.
"""

from __future__ import annotations

import decimal
import os
from collections import Counter
from typing import Any, Callable, Mapping

from ..cases.read import _PLAIN_CASE_KEYS, Case, _Mismatch, _plain_award, converter_for, read_case, read_plain_case
from ..decision import ClaimResult, Decision
from ..front.load import DEFAULT_LIMITS
from ..plan.steps import MeasurePlan
from ..rules.amount import capped, floored, rounded
from ..rules.span import Entry, span_claims
from ..types import DATE
from .interpret import EVALUATION_ERRORS, MeasureProgram, conditions_failed, validity
from .pygen import Decline, GeneratedRun, Unsupported, generate_case, generate_claim
from .reference import claim_result, engine_context, evaluate_case, project_needed

#: At most this many shapes of case get a case function, of at most this many claims each; the
#: others are decided by the reference (counted as ``unsupported:shape-limit``).
MAX_SHAPES, MAX_SHAPE_CLAIMS = 1024, 32

_getcontext, _setcontext = decimal.getcontext, decimal.setcontext
_read_date = converter_for(DATE)


class Engine:
    """Decides cases under one (possibly combined) policy: the back-ends, their caches, the counts.

    ``policy`` is the :class:`~ordinance.policy.Policy` this engine serves (its identity, its
    applicant facts, its programs)."""

    def __init__(self, policy: Any, reference_only: bool | None = None):
        self.policy = policy
        self.plans: dict[str, MeasurePlan] = {key: p.plan for key, p in policy.programs.items()}
        if reference_only is None:
            reference_only = os.environ.get("ORDINANCE_BACKEND", "") == "reference"
        self.reference_only = reference_only
        self._generated = 0  # cases the generated code decided
        self._counts: Counter[str] = Counter()  # the others: see the module's docstring
        self._claims: dict[str, GeneratedRun | str] = {}  # measure -> its claim function, or why none
        self._shapes: dict[tuple[str, ...], Callable | str] = {}  # shape -> its case function, or why none
        programs = policy.programs
        self._kit = {  # what the generated functions call: the reference's own pieces and the shared rules
            "_refused": claim_result, "_validity": validity, "_failed": conditions_failed,
            "_project_needed": project_needed, "_ClaimResult": ClaimResult,
            "_floored": floored, "_capped": capped, "_rounded": rounded,
            "_span": span_claims, "_Entry": Entry, "_Decision": Decision,
            "read_date": _read_date, "read_history": lambda items: _read_history(items, programs),
            "case_keys": _PLAIN_CASE_KEYS, "applicant_readers": policy.applicant_readers, "plans": self.plans,
            "policy_id": policy.id, "digest": policy.digest, "refs": policy.refs,
            "tag": lambda plan: plan.policy_id if policy.multi else "",
        }

    # -- the entries ---------------------------------------------------------------------------
    def decide(self, case: Mapping[str, Any] | Case, name: str = "<case>") -> Decision:
        """The decision on ``case`` without the trace."""
        if case.__class__ is dict:
            function = None
            claims = case.get("claims")
            if claims.__class__ is list and len(claims) == 1:  # the commonest shape: one claim
                item = claims[0]
                if item.__class__ is dict:
                    measure = item.get("measure")
                    if measure.__class__ is str:
                        function = self._shapes.get((measure,))
            if function is None:
                function = self.case_function(case)
            if function.__class__ is not str:
                saved = _getcontext()
                _setcontext(engine_context())
                try:
                    decision = function(case, name)
                except Decline as exc:
                    why = "declined:" + exc.reason
                except _Mismatch:
                    why = "declined:fact-value"
                except EVALUATION_ERRORS:
                    why = "declined:evaluation-error"
                else:
                    self._generated += 1
                    return decision
                finally:
                    _setcontext(saved)
            else:
                why = function
        else:
            why = "unsupported:read-case"
        counts = self._counts
        counts[why] += 1
        counts["reference"] += 1
        return evaluate_case(self.policy, self.read_case(case, name), False, None)

    @property
    def counts(self) -> Counter[str]:
        """What was decided how, so far (a copy): ``generated``, ``reference``, and why the
        reference decided (``declined:<reason>``, ``unsupported:<why>``)."""
        counts = Counter(self._counts)
        if self._generated:
            counts["generated"] = self._generated
        return counts

    def evaluate(self, case: Mapping[str, Any] | Case, *, trace: bool = True, as_of: Any = None,
                 name: str = "<case>") -> Decision:
        """The decision on ``case``; with ``trace`` or ``as_of``, always the reference's."""
        if not trace and as_of is None:
            return self.decide(case, name)
        self._counts["reference"] += 1
        self._counts["unsupported:trace" if trace else "unsupported:as-of"] += 1
        return evaluate_case(self.policy, self.read_case(case, name), trace, as_of)

    def read_case(self, case: Mapping[str, Any] | Case, name: str = "<case>") -> Case:
        """Check and convert a case given as plain data (the plain reader, then the strict one,
        which reports every mistake with its place); raise CaseError on any mistake."""
        if isinstance(case, Case):
            return case
        return read_plain_case(case, self.policy, name) or read_case(case, self.policy, name)

    # -- the generated back-end ----------------------------------------------------------------
    def case_function(self, data: dict) -> Callable | str:
        """The case function for the shape of ``data``, or why there is none (a count's name)."""
        if self.reference_only:
            return "unsupported:reference-forced"
        claims = data.get("claims")
        if claims.__class__ is not list or not claims or len(claims) > MAX_SHAPE_CLAIMS:
            return "unsupported:shape-limit" if claims.__class__ is list and claims else "declined:case-shape"
        shape = []
        for item in claims:
            if item.__class__ is not dict:
                return "declined:case-shape"
            measure = item.get("measure")
            if measure.__class__ is not str:
                return "declined:case-shape"
            shape.append(measure)
        key = tuple(shape)
        function = self._shapes.get(key)
        if function is None:
            function = self._make_case_function(key)
        return function

    def _make_case_function(self, shape: tuple[str, ...]) -> Callable | str:
        if len(self._shapes) >= MAX_SHAPES:
            return "unsupported:shape-limit"
        plans, claims = [], []
        for measure in shape:
            plan = self.plans.get(measure)
            if plan is None:  # a measure named otherwise (qualified), or unknown: the reader says
                return "declined:case-shape"
            claim = self.claim_function(plan)
            if claim.__class__ is str:
                self._shapes[shape] = claim
                return claim
            plans.append(plan)
            claims.append(claim)
        function = generate_case(plans, claims, self._kit).fast
        self._shapes[shape] = function
        return function

    def claim_function(self, plan: MeasurePlan) -> GeneratedRun | str:
        """The claim function of ``plan`` (made on first use), or why there is none."""
        claim = self._claims.get(plan.key)
        if claim is None:
            try:
                claim = generate_claim(plan, dict(self._kit, claim_readers=self.policy.programs[plan.key].claim_keys))
            except Unsupported as exc:
                claim = f"unsupported:{exc}"
            self._claims[plan.key] = claim
        return claim

    def listing(self, shape: tuple[str, ...]) -> tuple[str, str | None]:
        """What ``ordinance show --generated`` prints for a shape: the source of its case function
        and of the claim functions, or why there is none."""
        if not shape or any(m not in self.plans for m in shape):
            return "", "no such measure"
        parts = []
        for measure in dict.fromkeys(shape):
            claim = self.claim_function(self.plans[measure])
            if claim.__class__ is str:
                return "", claim
            parts.append(f"# the claim function of {measure}\n{claim.listing()}")
        case = generate_case([self.plans[m] for m in shape], [self._claims[m] for m in shape], self._kit)
        parts.append(f"# the case function of the shape ({', '.join(shape)})\n{case.listing()}")
        return "\n".join(parts), None


def _read_history(items: Any, programs: Mapping[str, MeasureProgram]) -> list:
    """The prior awards in their plain shape (the plain case reader's), or decline."""
    if items.__class__ is not list or len(items) > DEFAULT_LIMITS.max_claims:
        raise Decline("history")
    history = []
    for i, item in enumerate(items):
        award = _plain_award(item, i, programs)
        if award is None:
            raise Decline("history")
        history.append(award)
    return history

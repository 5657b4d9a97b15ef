"""The express lane: plain cases decided without the trace in one pass.

Most cases a service or a batch decides are plain -- every fact known, nothing out of the
ordinary -- and for them the general path (:func:`~ordinance.engine.case.read_case`, then
:func:`~ordinance.engine.evaluate.evaluate_case`) builds objects the answer does not need: a
:class:`Case`, a :class:`Claim` per claim, an Outcome per claim, a decimal context entered per
call.  Two entries, both with the general path's own pieces (the same converters, validity
windows, result builder and cap logic), so that the decision is the same:

- :func:`decide_single`: one claim, no history, a measure taking part in no rule spanning claims
  but caps: the measure's generated *express function* reads the case's plain data straight into
  the facts its rules read and returns the Decision;
- :func:`decide_case`: any number of claims and prior awards: the applicant read once, each
  claim by its measure's generated *claim function* (reading, validity, body) into the entry the
  rules spanning claims take, then those rules themselves
  (:func:`~ordinance.engine.evaluate.span_claims`).

Both decline (return None) whenever the case is anything but plain -- a mistake anywhere, a
missing fact, a claim id given twice, a measure the generator does not handle -- and the general
path then decides, reporting every mistake with its place.  ``tests/test_lane.py`` holds the
lane and the general path to the same answers.
"""

from __future__ import annotations

import functools
import operator
from typing import TYPE_CHECKING, Any, Callable

from .case import (_LIMIT, _PLAIN_CASE_KEYS, _PLAIN_DECIMAL, UNIT_TEXTS, _Mismatch, _convert_text, _plain_award,
                   convert_value, read_plain_facts)
from .codegen import GeneratedRun, generate_case, generate_claim, generate_express
from .decision import ClaimResult, Decision
from .evaluate import (_Entry, _getcontext, _setcontext, _thread_context, _validity, cap_alone, claim_result,
                       draw_pools, prior_in_group, span_claims, supersede)
from .load import DEFAULT_LIMITS
from .program import ONE_TIME, POOLED_CAPS, QUOTA, SCOPE_ENTITY_YEAR, SCOPE_PROJECT_YEAR, MeasureProgram, Outcome
from .. import types as T

if TYPE_CHECKING:  # pragma: no cover
    from ..policy import Policy

_DATE = T.DATE


def decide_single(policy: "Policy", data: Any, name: str = "<case>") -> Decision | None:
    """The decision on ``data`` (plain data, trace off, no ``as_of``), or None to take the
    general path."""
    if data.__class__ is not dict:
        return None
    claims = data.get("claims")
    if claims.__class__ is not list or len(claims) != 1:
        return None
    item = claims[0]
    if item.__class__ is not dict:
        return None
    measure = item.get("measure")
    if measure.__class__ is not str:
        return None
    express = policy.express.get(measure)
    if express is not None:  # the measure's generated function: None for anything unusual
        decision = express(data, item, name)
        if decision is not None:
            return decision
    for key in data:
        if key not in _PLAIN_CASE_KEYS:
            return None
    case_id = data.get("case")
    if data.get("history") or (case_id is not None and case_id.__class__ is not str):
        return None
    program = policy.programs.get(measure)
    if program is None or program.cross_claim_steps & ~POOLED_CAPS:
        return None
    claim_id, day, project = item.get("id"), item.get("date"), item.get("project")
    if claim_id.__class__ is not str:
        if claim_id is not None:
            return None
        claim_id = "claim-1"
    if project is not None and project.__class__ is not str:
        return None
    case = case_id if case_id is not None else name
    if measure not in policy.express:  # the first case of this measure: make its express function
        express = _express_function(policy, program)
        if express is not None:
            decision = express(data, item, name)
            if decision is not None:
                return decision
    env: dict[str, Any] = {}
    try:
        if day is not None:
            day = _convert_text(day, "date") if day.__class__ is str and len(day) <= 64 \
                else convert_value(day, _DATE)
        applicant = data.get("applicant")
        if applicant is not None and (applicant.__class__ is not dict
                                      or not read_plain_facts(applicant, policy.applicant_readers, env)):
            return None
        if not read_plain_facts(item, program.claim_keys, env):  # (id, measure, date, project: read above)
            return None
    except (_Mismatch, TypeError):
        return None
    saved = _getcontext()
    _setcontext(_thread_context())
    try:
        outcome = None if day is not None and program.always_valid(day) else _validity(program, day, None)
        if outcome is None:
            env["claim.id"] = claim_id
            env["claim.date"] = day
            if project is not None:
                env["claim.project"] = project
            outcome = program.run(env, None)  # (an exclusive measure never comes here: see above)
        return settle(policy, program, claim_id, day, project, case, outcome)
    finally:
        _setcontext(saved)


def settle(policy: "Policy", program: MeasureProgram, claim_id: str, day: Any, project: str | None, case: str,
           outcome: Outcome) -> Decision:
    """The decision on a one-claim case whose claim came to ``outcome`` (under the thread's
    decimal context): its result, bounded by the caps spanning awards."""
    result = claim_result(policy, program, claim_id, day, project, outcome)
    if program.cross_claim_steps and result.status == "eligible" and outcome.pooled_caps \
            and result.amount is not None:
        cap_alone(result, outcome.pooled_caps)
    return Decision(policy.id, policy.digest, case, [result], policy.refs)


_UNSET: Any = object()


def decide_case(policy: "Policy", data: Any, name: str = "<case>") -> Decision | None:
    """The decision on ``data`` (plain data, trace off, no ``as_of``) with any number of claims
    and prior awards, or None to take the general path.

    The applicant's facts and the prior awards are read once.  A case of two to eight claims
    first goes to the *case function* of its shape (:func:`~ordinance.engine.codegen.generate_case`:
    the claims inline, the rules spanning them unrolled, for the common case).  Otherwise each
    claim goes to its measure's claim function (:func:`~ordinance.engine.codegen.generate_claim`:
    the express function's reading, validity and body, to an entry), then the rules that span
    claims, the general path's own (:func:`~ordinance.engine.evaluate.span_claims`).  It declines
    as :func:`decide_single` does, and for a claim id given twice.
    """
    if data.__class__ is not dict or not _PLAIN_CASE_KEYS.issuperset(data):
        return None
    claims = data.get("claims")
    if claims.__class__ is not list or not claims or len(claims) > _MAX_CLAIMS:
        return None
    case_id = data.get("case")
    if case_id is None:
        case_id = name
    elif case_id.__class__ is not str:
        return None
    functions = policy.claim_functions
    applicant = data.get("applicant")
    typed: dict[str, Any] = {}
    saved = _getcontext()
    _setcontext(_thread_context())
    try:
        if applicant is not None and (applicant.__class__ is not dict
                                      or not read_plain_facts(applicant, policy.applicant_readers, typed)):
            return None
        raw_history = data.get("history")
        history = []
        if raw_history:
            if raw_history.__class__ is not list or len(raw_history) > _MAX_CLAIMS:
                return None
            programs = policy.programs
            for i, item in enumerate(raw_history):
                award = _plain_award(item, i, programs)
                if award is None:
                    return None
                history.append(award)
        if 1 < len(claims) <= _MAX_SHAPE_CLAIMS:  # the case function of this shape of case, for the common case
            shape = tuple(map(_MEASURE, claims))  # (AttributeError for an item that is not a dict)
            function = policy.case_functions.get(shape, _UNSET)
            if function is _UNSET:
                function = _case_function(policy, shape)
            results = function(typed, claims, history) if function is not None else None
            if results is not None:
                return Decision(policy.id, policy.digest, case_id, results, policy.refs)
        entries: list[_Entry] = []
        steps = 0
        for i, item in enumerate(claims):
            if item.__class__ is not dict:
                return None
            measure = item.get("measure")
            function = functions.get(measure, _UNSET)
            if function is _UNSET:
                function = _claim_function(policy, measure)
            entry = function(typed, item, i) if function is not None else None
            if entry is None:
                return None
            entries.append(entry)
            steps |= entry.program.cross_claim_steps
        if len(entries) > 1 and len({e.result.claim for e in entries}) != len(entries):
            return None  # a claim id given twice: the general path says where
        span_claims(entries, history, policy.programs, steps)
    except (_Mismatch, TypeError, AttributeError):
        return None
    finally:
        _setcontext(saved)
    return Decision(policy.id, policy.digest, case_id, [e.result for e in entries], policy.refs)


_MEASURE = operator.methodcaller("get", "measure")


_MAX_CLAIMS = DEFAULT_LIMITS.max_claims
#: at most this many shapes of case get a case function, of at most this many claims (some 85
#: lines, 1 ms to write and compile and 4 KB of code per claim); the others take the claim functions
_MAX_SHAPES, _MAX_SHAPE_CLAIMS = 128, 8


def _case_function(policy: "Policy", shape: tuple[Any, ...]) -> Callable | None:
    """The case function of ``shape`` (the measures of a case's claims, as the case names them)
    under ``policy``, made on first use and kept in ``policy.case_functions``, or None."""
    if len(policy.case_functions) >= _MAX_SHAPES:
        return None
    generated = case_listing(policy, shape)
    function = generated.fast if generated is not None else None
    policy.case_functions[shape] = function
    return function


def case_listing(policy: "Policy", shape: tuple[Any, ...]) -> GeneratedRun | None:
    """The case function of ``shape`` under ``policy``, with its source, or None."""
    programs = []
    for measure in shape:
        program = policy.programs.get(measure) if measure.__class__ is str else None
        if program is None:
            return None
        programs.append(program)
    kit = dict(_kit(policy, programs[0]), _supersede=supersede, _prior_in_group=prior_in_group, _draw=draw_pools,
               _programs=policy.programs, ONE_TIME=ONE_TIME, QUOTA=QUOTA)
    return generate_case(programs, policy, kit)


def _claim_function(policy: "Policy", measure: Any) -> Callable | None:
    """The claim function of ``measure`` under ``policy`` (made on first use and kept in
    ``policy.claim_functions``), or None."""
    program = policy.programs.get(measure) if measure.__class__ is str else None
    if program is None:
        return None
    generated = claim_listing(policy, program)
    function = generated.fast if generated is not None else None
    policy.claim_functions[measure] = function
    return function


def claim_listing(policy: "Policy", program: MeasureProgram) -> GeneratedRun | None:
    """The claim function of ``program`` under ``policy``, with its source, or None."""
    kit = dict(_kit(policy, program), _refused=functools.partial(_refused, policy, program), Entry=_Entry)
    return generate_claim(program, policy, kit)


def _refused(policy: "Policy", program: MeasureProgram, claim_id: str, day: Any, project: str | None, index: int,
             outcome: Outcome) -> _Entry:
    """The entry of a claim its measure refused (or left undetermined)."""
    return _Entry(program, claim_result(policy, program, claim_id, day, project, outcome), index,
                  outcome.pooled_caps, outcome)


def _express_function(policy: "Policy", program: MeasureProgram) -> Callable | None:
    """The measure's express function under ``policy`` (codegen.generate_express), made on first
    use and kept in ``policy.express``."""
    generated = express_listing(policy, program)
    function = generated.fast if generated is not None else None
    policy.express[program.key] = function
    return function


def express_listing(policy: "Policy", program: MeasureProgram) -> GeneratedRun | None:
    """The express function of ``program`` under ``policy``, with its source (for ``ordinance show
    --generated``), or None where the measure has none."""
    if program.cross_claim_steps & ~POOLED_CAPS:
        return None
    return generate_express(program, policy, dict(_kit(policy, program), _settle=functools.partial(
        settle, policy, program), Decision=Decision))


def _kit(policy: "Policy", program: MeasureProgram) -> dict[str, Any]:
    """What the generated functions of the lane call."""
    return {"_validity": _validity, "_ctx": _thread_context, "_getcontext": _getcontext, "_setcontext": _setcontext,
            "_new": object.__new__, "_text": _convert_text, "_convert_value": convert_value, "_DATE": _DATE,
            "_plain": _PLAIN_DECIMAL, "_LIMIT": _LIMIT, "_program": program, "_dates": policy.express_dates,
            "POOLED_CAPS": POOLED_CAPS, "CASE_KEYS": _PLAIN_CASE_KEYS, "ClaimResult": ClaimResult,
            "SCOPE_ENTITY_YEAR": SCOPE_ENTITY_YEAR, "SCOPE_PROJECT_YEAR": SCOPE_PROJECT_YEAR, "UNIT_TEXTS": UNIT_TEXTS}

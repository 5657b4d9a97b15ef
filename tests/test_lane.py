"""The express lane (engine/lane.py) decides plain cases exactly as the general path does, and
declines everything else: one-claim cases by the express functions (``decide_single``), cases of
several claims or with prior awards by the claim functions and the general rules spanning
claims (``decide_case``)."""

from __future__ import annotations

import decimal
import random

import pytest

import ordinance
from ordinance import CaseError
from ordinance.engine.case import read_case
from ordinance.engine.evaluate import evaluate_case
from ordinance.engine.lane import decide_case, decide_single
from ordinance.engine.program import POOLED_CAPS
from ordinance.policy import bundled_policy_dir
from ordinance.testing import collect

from test_case import _ODD_CASES


@pytest.fixture(scope="module")
def policy():
    return ordinance.load_policy(bundled_policy_dir())


def general(policy, data):
    return evaluate_case(policy, read_case(data, policy), False)


def _bundled():
    out = []
    for test in collect(bundled_policy_dir()):
        spec = test.spec
        if not spec.get("policies"):
            out.extend(spec["cases"] if "cases" in spec else [spec.get("case")])
    return out


def _split(case):
    """Each claim of a bundled case as a case of its own (the lane's shape)."""
    if not isinstance(case, dict) or not isinstance(case.get("claims"), list):
        return []
    return [{**{k: v for k, v in case.items() if k not in ("claims", "history")}, "claims": [claim]}
            for claim in case["claims"]]


CASES = _bundled() + [c for case in _bundled() for c in _split(case)] + _ODD_CASES


def agrees(policy, decide, data) -> bool:
    """Whether ``decide`` (a lane entry) decided ``data`` itself; when it did, its decision is
    the general path's, equal and in the same JSON; a case the general path refuses it declines."""
    lane = decide(policy, data)
    try:
        expected = general(policy, data)
    except CaseError:
        assert lane is None, f"the lane decided a case the general path refuses: {data}"
        return False
    if lane is None:
        return False
    assert lane == expected, data
    assert lane.to_json() == expected.to_json(), data
    return True


@pytest.mark.parametrize("decide", [decide_single, decide_case], ids=["single", "case"])
@pytest.mark.parametrize("data", CASES)
def test_the_lane_agrees_with_the_general_path_or_declines(policy, data, decide):
    agrees(policy, decide, data)


def test_the_lane_takes_every_plain_one_claim_case(policy):
    """Every one-claim case the general path decides, under a measure that takes part in no rule
    spanning claims but caps, goes through the lane (unless it writes a claim id as a number)."""
    plain = []
    for case in [c for case in _bundled() for c in _split(case)]:
        program = policy.find_measure(str(case["claims"][0].get("measure")))
        if program is None or program.cross_claim_steps & ~POOLED_CAPS or not isinstance(case["claims"][0].get("id", ""), str):
            continue
        try:
            general(policy, case)
        except CaseError:
            continue
        plain.append(case)
    assert len(plain) > 60
    assert [c for c in plain if decide_single(policy, c) is None] == []


def test_the_lane_declines_what_needs_the_rules_spanning_claims(policy):
    claim = {"id": "c1", "measure": "rd-city", "date": "2025-08-01", "project": "p", "city_jiebang_project": True,
             "ai_field": True, "rd_investment": "1000萬"}
    assert decide_single(policy, {"claims": [claim]}) is None  # exclusivity group
    two = {"claims": [dict(claim, measure="compute-voucher"), dict(claim, id="c2", measure="compute-voucher")]}
    assert decide_single(policy, two) is None
    history = {"claims": [{"id": "c1", "measure": "compute-voucher", "date": "2025-08-01"}],
               "history": [{"measure": "compute-voucher", "date": "2025-04-01", "amount": "50萬"}]}
    assert decide_single(policy, history) is None


def test_random_voucher_cases_decide_alike(policy):
    rng = random.Random(29)
    taken = 0
    for i in range(3000):
        revenue = rng.choice([0, 99_999_999, 100_000_000, 999_999_999, 1_000_000_000, rng.randrange(0, 3 * 10**9)])
        claim = {"id": "c1", "measure": rng.choice(["compute-voucher", "model-voucher"]),
                 "date": f"{rng.choice([2024, 2025, 2026, 2027, 2028])}-{rng.randrange(1, 13):02d}-01"}
        if claim["measure"] == "compute-voucher":
            claim.update(compute_spend=f"{rng.randrange(0, 10**10) / 100:.2f}", service_qualified=rng.random() > .1)
        else:
            claim.update(model_spend=rng.choice(["500萬", 12345, "0"]), model_registered=rng.random() > .1,
                         purpose=rng.choice(["agent-development", "other"]))
        if rng.random() < 0.05:
            claim.pop("date")
        data = {"applicant": {"kind": rng.choice(["enterprise", "university"]), "annual_revenue": revenue},
                "claims": [claim]}
        taken += agrees(policy, decide_single, data)
    assert taken > 2000


def test_policy_evaluate_takes_the_lane_only_without_the_trace(policy):
    data = {"applicant": {"kind": "enterprise", "annual_revenue": "5億"},
            "claims": [{"id": "c1", "measure": "compute-voucher", "date": "2025-06-01", "compute_spend": "100萬",
                        "service_qualified": True}]}
    off = policy.evaluate(data, trace=False)
    on = policy.evaluate(data, trace=True)
    assert off.results[0].trace is None and on.results[0].trace is not None
    assert off.to_dict()["results"][0]["amount"] == on.to_dict()["results"][0]["amount"] == "400000.00"


def test_evaluate_many_decides_alike_with_the_lane(policy):
    """evaluate_many without the trace takes the lane for plain one-claim cases; quotas, ranked
    across the cases, come out the same as deciding each case the general way."""
    cases = [c for case in _bundled() for c in _split(case)][:120]
    readable = []
    for c in cases:
        try:
            general(policy, c)
        except (CaseError, ordinance.EvaluationError):
            continue
        readable.append(c)
    fast = policy.evaluate_many(readable, trace=False)
    slow = [evaluate_case(policy, read_case(c, policy, f"case-{i + 1}"), False) for i, c in enumerate(readable)]
    from ordinance.engine.evaluate import apply_quotas
    apply_quotas(slow, policy, None)
    assert [d.to_dict() for d in fast] == [d.to_dict() for d in slow]
    assert any(decide_single(policy, c, "x") is not None for c in readable)
    assert any(r.quota is not None for d in fast for r in d.results)  # quotas ranked across the cases too


# -- the express function (codegen.generate_express) ---------------------------------------------

def _plain_cases(policy):
    out = []
    for case in [c for case in _bundled() for c in _split(case)]:
        program = policy.find_measure(str(case["claims"][0].get("measure")))
        if program is None or program.cross_claim_steps & ~POOLED_CAPS:
            continue
        try:
            general(policy, case)
        except CaseError:
            continue
        out.append(case)
    return out


def test_the_express_function_decides_plain_cases_itself(policy):
    """The lane's answers are the general path's (above); this counts the cases the generated
    express function decided itself, per measure, so that the equality cannot hold only because
    it always declines."""
    decided: dict[str, int] = {}
    for case in _plain_cases(policy):
        decide_single(policy, case)  # makes the measure's express function on first use
        item = case["claims"][0]
        express = policy.express.get(item["measure"])
        if express is not None and express(case, item, "<case>") is not None:
            decided[item["measure"]] = decided.get(item["measure"], 0) + 1
    made = {m for m, fn in policy.express.items() if fn is not None}
    assert len(made) >= 8
    assert made == set(decided), made - set(decided)
    assert sum(decided.values()) > 50


@pytest.mark.parametrize("context", [
    decimal.Context(prec=3, rounding=decimal.ROUND_DOWN, traps=[]),
    decimal.Context(prec=50, rounding=decimal.ROUND_CEILING, traps=[decimal.Inexact, decimal.Rounded]),
], ids=["3-digits-round-down", "inexact-trapped"])
def test_the_express_lane_ignores_the_callers_decimal_context(policy, context):
    """Whatever decimal context the embedding program has set, decisions are those of the
    engine's own (34 digits, half up): the express functions name their context in every
    operation, and the rest of the lane sets it."""
    rng = random.Random(3)
    cases = _plain_cases(policy)
    for _ in range(300):
        cases.append({"applicant": {"kind": "enterprise", "annual_revenue": rng.randrange(0, 3 * 10**9)},
                      "claims": [{"id": "c1", "measure": "compute-voucher", "date": "2026-03-01",
                                  "compute_spend": f"{rng.randrange(0, 4 * 10**7)}.{rng.randrange(0, 100):02d}",
                                  "service_qualified": True}]})
    expected = [decide_single(policy, c) for c in cases]
    with decimal.localcontext(context):
        got = [decide_single(policy, c) for c in cases]
    assert [d.to_dict() if d else None for d in got] == [d.to_dict() if d else None for d in expected]
    assert sum(d is not None for d in got) > 300
    if context.prec == 3:  # what this context alone gives, so that the test can fail
        with decimal.localcontext(context):
            assert decimal.Decimal("717564.96") * decimal.Decimal("0.30") != decimal.Decimal("215269.488")


# -- cases of several claims and prior awards (decide_case) ---------------------------------------

def test_the_case_lane_takes_the_bundled_cases(policy):
    """Most bundled cases -- several claims, prior awards, exclusivity groups, yearly caps -- are
    decided by the claim functions, so that the equality above cannot hold only by declining;
    every measure has a claim function."""
    full = [c for c in _bundled() if isinstance(c, dict) and (len(c.get("claims") or ()) > 1 or c.get("history"))]
    decided = [c for c in full if decide_case(policy, c) is not None]
    assert len(full) > 25 and len(decided) > 0.7 * len(full)
    assert any(r.status == "superseded" for c in decided for r in decide_case(policy, c).results)
    for program in policy.programs.values():
        decide_case(policy, {"claims": [{"measure": program.key}]})  # makes its claim function
    assert all(policy.claim_functions[key] is not None for key in policy.programs)


def _claims_of_bundled_cases():
    claims = []
    for case in _bundled():
        for claim in (case or {}).get("claims") or ():
            if isinstance(claim, dict) and isinstance(claim.get("measure"), str):
                claims.append(claim)
    return claims


_PRIOR = [{"measure": "compute-voucher", "date": "2025-05-01", "amount": "150萬"},
          {"measure": "compute-voucher", "date": "2026-05-01", "amount": "20萬"},
          {"measure": "model-voucher", "date": "2025-03-01", "amount": "199萬"},
          {"measure": "rd-city", "date": "2025-02-01", "amount": "600萬", "project": "p1"},
          {"measure": "rd-national", "date": "2025-02-01", "amount": "100萬", "project": "p2"},
          {"measure": "computing-center", "date": "2025-02-01", "amount": "10萬", "project": "p1"},
          {"pool": "compute-voucher", "date": "2025-02-01", "amount": "30萬"}]


def test_random_cases_of_several_claims_decide_alike(policy):
    """Claims of the bundled cases, shuffled into cases of two to six under one applicant, with
    projects shared (exclusivity, caps per project), dates moved (yearly caps, validity) and
    prior awards: the lane and the general path give the same decision."""
    rng = random.Random(11)
    claims = _claims_of_bundled_cases()
    applicants = [c["applicant"] for c in _bundled() if isinstance(c, dict) and isinstance(c.get("applicant"), dict)]
    taken = 0
    for i in range(1500):
        chosen = [dict(rng.choice(claims)) for _ in range(rng.randrange(2, 7))]
        for j, claim in enumerate(chosen):
            claim["id"] = f"c{j + 1}"
            if rng.random() < 0.5:
                claim["project"] = rng.choice(["p1", "p2"])
            if rng.random() < 0.3:
                claim["date"] = f"{rng.choice([2025, 2026])}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        data = {"case": f"r{i}", "applicant": rng.choice(applicants), "claims": chosen,
                "history": rng.sample(_PRIOR, rng.randrange(0, 3))}
        taken += agrees(policy, decide_case, data)
    assert taken > 300


@pytest.mark.parametrize("context", [decimal.Context(prec=3, rounding=decimal.ROUND_DOWN, traps=[])],
                         ids=["3-digits-round-down"])
def test_the_case_lane_ignores_the_callers_decimal_context(policy, context):
    cases = [c for c in _bundled() if isinstance(c, dict) and decide_case(policy, c) is not None]
    expected = [decide_case(policy, c).to_dict() for c in cases]
    with decimal.localcontext(context):
        assert [decide_case(policy, c).to_dict() for c in cases] == expected
    assert len(cases) > 30


def test_policy_evaluate_takes_the_case_lane(policy, monkeypatch):
    """Policy.evaluate without the trace decides a case of several claims by the lane, and
    evaluate_many too (its quotas ranked across the cases as before: see above)."""
    data = {"applicant": {"kind": "enterprise", "annual_revenue": "5億"},
            "claims": [{"id": f"c{i}", "measure": "compute-voucher", "date": "2025-06-01", "compute_spend": "1000萬",
                        "service_qualified": True} for i in (1, 2)]}
    import ordinance.engine.evaluate as evaluate_module
    expected = policy.evaluate(data, trace=False).to_dict()
    assert [r["amount"] for r in expected["results"]] == ["4000000.00", "1000000.00"]  # 500萬 a year
    monkeypatch.setattr(evaluate_module, "evaluate_case", None)  # the general path, unreachable
    assert policy.evaluate(data, trace=False).to_dict() == expected
    assert policy.evaluate_many([data], trace=False)[0].to_dict() == dict(expected, case="case-1")


def test_policy_decide_is_evaluate_without_the_trace(policy):
    """decide(case) gives what evaluate(case, trace=False) gives -- the same decision for every
    bundled case, a read Case too, and the same error for a wrong one."""
    cases = [c for c in _bundled() if isinstance(c, dict)]
    assert len(cases) > 30
    for data in cases:
        try:
            expected = general(policy, data)
        except (CaseError, ordinance.EvaluationError) as exc:
            with pytest.raises(type(exc)):
                policy.decide(data)
            continue
        assert policy.decide(data).to_json() == expected.to_json()
        assert policy.decide(read_case(data, policy)).to_json() == expected.to_json()
    with pytest.raises(CaseError):
        policy.decide({"claims": [{"id": "c1", "measure": "compute-vouchr"}]})


def test_case_functions_decide_common_cases_themselves(monkeypatch):
    """The case function of a shape (codegen.generate_case) decides the common cases of several
    claims -- exclusivity between claims for one project, yearly caps with prior awards --
    itself: counted here, so that the lane's equality with the general path (above) cannot hold
    only because it always declines.  (A policy of its own: the other tests have filled the
    shared one's case functions up to their limit.)"""
    import ordinance.engine.lane as lane
    from ordinance.engine.lane import _case_function
    policy = ordinance.load_policy(bundled_policy_dir())
    monkeypatch.setattr(lane, "_MAX_SHAPES", 10_000)  # (the bound has a test of its own)
    rng = random.Random(5)
    applicant = {"kind": "enterprise", "annual_revenue": "8000萬"}
    claims = []  # claims of the bundled cases that are eligible on their own
    for claim in _claims_of_bundled_cases():
        alone = decide_case(policy, {"applicant": applicant, "claims": [dict(claim, project="p1")]})
        if alone is not None and alone.results[0].status == "eligible":
            claims.append(claim)
    assert len(claims) > 20
    decided = superseded = 0
    for i in range(600):
        chosen = [dict(rng.choice(claims), id=f"c{j + 1}") for j in range(rng.randrange(2, 6))]
        for claim in chosen:
            claim["project"] = rng.choice(["p1", "p1", "p1", "p2"])
        data = {"applicant": applicant, "claims": chosen,
                "history": rng.sample(_PRIOR[:3], rng.randrange(0, 2))}
        lane = decide_case(policy, data)
        shape = tuple(c["measure"] for c in chosen)
        function = policy.case_functions.get(shape) or _case_function(policy, shape)
        if lane is None or function is None:
            continue
        from ordinance.engine.case import _plain_award, read_plain_facts
        typed = {}
        assert read_plain_facts(data["applicant"], policy.applicant_readers, typed)
        history = [_plain_award(a, k, policy.programs) for k, a in enumerate(data["history"])]
        with decimal.localcontext(ordinance.values.DECIMAL_CONTEXT):
            results = function(typed, chosen, history)
        if results is not None:
            decided += 1
            superseded += any(r.status == "superseded" for r in results)
            assert [r.to_dict() for r in results] == [r.to_dict() for r in general(policy, data).results], data
    assert decided > 80 and superseded > 8, (decided, superseded)


def test_case_functions_are_bounded(monkeypatch):
    """Case functions exist for shapes of at most eight claims, and for at most _MAX_SHAPES
    shapes per policy: beyond either, the lane decides claim by claim, with the same answers."""
    import ordinance.engine.lane as lane
    policy = ordinance.load_policy(bundled_policy_dir())
    claim = {"measure": "compute-voucher", "date": "2025-06-01", "compute_spend": "100萬", "service_qualified": True}
    applicant = {"kind": "enterprise", "annual_revenue": "8000萬"}
    nine = {"applicant": applicant, "claims": [dict(claim, id=f"c{i}") for i in range(9)]}
    assert decide_case(policy, nine).to_json() == general(policy, nine).to_json()
    assert all(len(shape) <= 8 for shape in policy.case_functions) and policy.claim_functions
    monkeypatch.setattr(lane, "_MAX_SHAPES", len(policy.case_functions) + 1)
    for n in (2, 3, 4):
        data = {"applicant": applicant, "claims": [dict(claim, id=f"c{i}") for i in range(n)]}
        assert decide_case(policy, data).to_json() == general(policy, data).to_json()
    assert len(policy.case_functions) == lane._MAX_SHAPES


def test_the_lane_agrees_under_several_policies(tmp_path):
    """Two policies loaded together (measures `grant` and `b:grant`, one exclusivity group name
    in each, a yearly cap): random cases of two to four claims decide alike through `decide`
    and the general path, and case functions took part."""
    from policy_factory import write_policy

    rule = """\
        article: 一
        measures:
          - id: grant
            title: grant
            facts: {claim.spend: {type: money}}
            amount: claim.spend
            caps:
              - {id: yearly, per: entity-year, limit: 100萬}
            exclusive: g
        """
    groups = "groups:\n  g:\n    zh: 就高\n    en: highest\n"
    policy = ordinance.load_policy([write_policy(tmp_path / name, {"r": rule}, id=name, extra=groups)
                                    for name in ("a", "b")])
    assert list(policy.programs) == ["grant", "b:grant"]
    rng = random.Random(1)
    for i in range(300):
        claims = [{"id": f"c{j}", "measure": rng.choice(["grant", "b:grant"]), "date": "2025-06-01",
                   "project": rng.choice(["x", "y"]), "spend": f"{rng.randrange(1, 90)}萬"}
                  for j in range(rng.randrange(2, 5))]
        data = {"case": f"k{i}", "claims": claims}
        assert policy.decide(data).to_json() == general(policy, data).to_json(), data
    assert any(policy.case_functions.values())

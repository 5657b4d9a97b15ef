"""The two back-ends -- the reference interpreter and the generated code -- give the same
decisions, and the generated code really decides.

Every comparison here knows, from the case alone (an oracle that reads the case and the plan,
never the generated code), whether the generated code must decide it or must decline it and
for which reason (a fact the measure reads is missing, no table row applies, the case is not
readable, ...).  An unexpected decline fails the test, as does a different answer: a broken
generated reader cannot hide behind the reference.  Also here: every expression form written as
Python gives the interpreter's value, the generated source holds no rule text, a fault in the
generated code is raised (never swallowed), and the bounds and the forced reference are counted.
"""

from __future__ import annotations

import ast
import decimal
import functools
import random
from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ordinance
from ordinance import CaseError, EvaluationError
from ordinance import values as V
from ordinance.cases.read import read_case
from ordinance.check.checker import Checker, Scope, Symbol
from ordinance.grammar.parser import SourceSpan, parse_expression
from ordinance.policy import bundled_policy_dir
from ordinance.rules.quotas import apply_quotas
from ordinance.run import dispatch
from ordinance.run.pygen import compile_fast_expression
from ordinance.run.reference import evaluate_case
from ordinance.testing import collect

from test_case import _ODD_CASES
from test_compile import FACTS, SYMBOLS, VALUES, run


@pytest.fixture(scope="module", autouse=True)
def _many_shapes():
    """The random cases below make thousands of shapes of case: lift the bound on case functions
    they do not test (test_shapes_are_bounded_and_counted tests it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dispatch, "MAX_SHAPES", 100_000)
        yield


@pytest.fixture(scope="module")
def policy():
    return ordinance.load_policy(bundled_policy_dir())


def reference(policy, data, name="<case>"):
    return evaluate_case(policy, read_case(data, policy, name), False)


def _bundled():
    out = []
    for test in collect(bundled_policy_dir()):
        spec = test.spec
        if not spec.get("policies"):
            out.extend(spec["cases"] if "cases" in spec else [spec.get("case")])
    return out


def _split(case):
    """Each claim of a bundled case as a case of its own."""
    if not isinstance(case, dict) or not isinstance(case.get("claims"), list):
        return []
    return [{**{k: v for k, v in case.items() if k not in ("claims", "history")}, "claims": [claim]}
            for claim in case["claims"]]


CASES = _bundled() + [c for case in _bundled() for c in _split(case)] + _ODD_CASES


# -- the oracle: what the generated code must do with a case ---------------------------------------

def _facts_read(plan) -> set[str]:
    """The facts a measure's rules read (what its generated claim function must be given)."""
    exprs = [c.when for c in plan.conditions] + [c.limit for c in plan.all_caps]
    exprs += [e for e in (plan.amount.expr if plan.amount else None, plan.ceiling, plan.duration) if e is not None]
    exprs += [v.expr for v in plan.values.values()]
    exprs += [e for t in plan.tables.values() for r in t.rows for e in ([r.when] if r.when else []) + list(r.cells.values())]
    exprs += [plan.quota.rank_by] if plan.quota else []
    names = {name for e in exprs for name in e.reads}
    return {n for n in names if n not in plan.values and n not in plan.parameters
            and n.split(".", 1)[0] not in plan.tables and n not in ("claim.id", "claim.date")}


def _plain_award(policy, award) -> bool:
    """Whether a prior award has the plain shape: under a measure of this policy, its texts texts."""
    plan = policy.plans.get(award.get("measure"))
    return (plan is not None and "policy" not in award
            and all(isinstance(award.get(k, ""), str) for k in ("id", "project", "group", "pool"))
            and (award.get("project") is not None or not plan.needs_project))


def _given_for(plan, full: str, value, claim) -> bool:
    """Whether the case gives ``full`` for the claim: a value given year by year only when it
    gives the year the plan's period reads (worked out here from the date's text, not with the
    engine's own function)."""
    if value is None:
        return False
    if not isinstance(value, dict):
        return True
    period = plan.periods.get(full)
    if period is None or not isinstance(claim.get("date"), str):
        return False  # a claim without a date declines for it first
    year = int(claim["date"][:4]) + {"claim-year": 0, "year-before-claim": -1}[period.name]
    return any(int(k) == year and v is not None for k, v in value.items())


def route(policy, data) -> tuple[str, object]:
    """What the dispatch must do with ``data`` -- ``generated``, or the reason the generated code
    declines it -- and the reference's answer (a Decision or the error it raises)."""
    try:
        expected = reference(policy, data)
    except (CaseError, EvaluationError) as exc:
        return ("refused" if isinstance(exc, CaseError) else "evaluation"), exc
    claims = data["claims"]
    if len(claims) > dispatch.MAX_SHAPE_CLAIMS:
        return "unsupported:shape-limit", expected
    if any(c["measure"] not in policy.plans for c in claims):
        return "declined:case-shape", expected
    if not isinstance(data.get("case", ""), str):
        return "declined:case-shape", expected
    if not all(_plain_award(policy, a) for a in data.get("history") or ()):
        return "declined:history", expected
    applicant = data.get("applicant") or {}
    for c in claims:  # in the order the generated code reads them
        if any(not isinstance(c.get(k, ""), str) for k in ("id", "project")):
            return "declined:case-shape", expected
        plan = policy.plans[c["measure"]]
        have = {f"applicant.{k}" for k, v in applicant.items() if _given_for(plan, f"applicant.{k}", v, c)}
        have |= {f"claim.{k}" for k, v in c.items() if v is not None}
        if "claim.date" not in have or not _facts_read(plan) <= have:
            return "declined:fact-missing", expected
    if any(r["code"] == "no-table-row" for d in expected.results for r in d.reasons):
        return "declined:no-table-row", expected
    return "generated", expected


def agrees(policy, data) -> str:
    """Decide ``data`` through the dispatch; it must give the reference's answer, and take the
    route the oracle says (a decline is a failure where the generated code must decide)."""
    want, expected = route(policy, data)
    before = Counter(policy.engine.counts)
    try:
        got = policy.decide(data)
    except (CaseError, EvaluationError) as exc:
        assert isinstance(expected, type(exc)) and exc.codes == expected.codes, (data, exc, expected)
        got = None
    done = policy.engine.counts - before
    if want == "generated":
        assert done == Counter(generated=1), (done, data)
    elif want in ("refused", "evaluation"):
        assert got is None and not done["generated"], (done, data)
        return want
    else:
        assert done == Counter({want: 1, "reference": 1}), (want, done, data)
    assert got == expected, data
    assert got.to_json() == expected.to_json(), data
    return want


# -- every bundled case --------------------------------------------------------------------------

@pytest.mark.parametrize("data", CASES)
def test_every_case_agrees_and_takes_its_route(policy, data):
    if not isinstance(data, dict) or not isinstance(data.get("claims"), list) or not data["claims"] \
            or not all(isinstance(c, dict) for c in data["claims"]):
        try:  # no shape to generate for: the reference decides or refuses, and the dispatch says the same
            expected = reference(policy, data).to_json()
        except (CaseError, EvaluationError) as exc:
            with pytest.raises(type(exc)):
                policy.decide(data)
            return
        assert policy.decide(data).to_json() == expected
        return
    agrees(policy, data)


def test_the_generated_code_decides_most_bundled_cases_and_every_measure(policy):
    """So that the agreement above cannot hold by declining: the generated code decides most
    bundled cases, cases of every measure, and cases where the rules spanning claims bit."""
    routes = Counter()
    measures = set()
    superseded = False
    for data in CASES:
        if not isinstance(data, dict) or not isinstance(data.get("claims"), list) or not data["claims"] \
                or not all(isinstance(c, dict) for c in data["claims"]):
            continue
        want = agrees(policy, data)
        routes[want] += 1
        if want == "generated":
            decision = policy.decide(data)
            measures |= {r.measure for r in decision.results}
            superseded = superseded or any(r.status == "superseded" for r in decision.results)
    assert routes["generated"] > 0.6 * sum(routes.values()), routes
    assert measures == {p.id for p in policy.plans.values()}, {p.id for p in policy.plans.values()} - measures
    assert superseded


# -- random cases ----------------------------------------------------------------------------------

def test_random_voucher_cases_agree(policy):
    rng = random.Random(29)
    routes = Counter()
    for _ in range(3000):
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
        if rng.random() < 0.2:  # given year by year, some years missing
            revenue = {y: rng.choice([revenue, None, "1.5億"]) for y in rng.sample(range(2023, 2028), 3)}
        data = {"applicant": {"kind": rng.choice(["enterprise", "university"]), "annual_revenue": revenue},
                "claims": [claim]}
        routes[agrees(policy, data)] += 1
    assert routes["generated"] > 2500 and routes["declined:fact-missing"] > 50, routes


def test_values_given_year_by_year_agree_at_the_year_boundary(policy):
    """Revenue given per year (issue 14): the tier follows the year each claim's date reads, in
    both back-ends, at the turn of the year; a year not given is declined by the generated code
    (counted: ``declined:fact-missing``) and left undetermined by the reference, naming the year."""
    revenues = [{2024: "8000萬", 2025: "1.2億"}, {"2024": "8000萬", "2025": "12億"}, {2024: "8000萬"},
                {2025: None, 2024: 100_000_000}, {}, "5億"]
    routes = Counter()
    statuses = Counter()
    for revenue in revenues:
        for day in ("2025-12-31", "2026-01-01", "2027-06-30"):
            for kind in ("enterprise", "university"):
                data = {"applicant": {"kind": kind, "annual_revenue": revenue},
                        "claims": [{"id": "c", "measure": "compute-voucher", "date": day, "compute_spend": "800萬",
                                    "service_qualified": True}]}
                routes[agrees(policy, data)] += 1
                result = policy.decide(data).results[0]
                statuses[result.status] += 1
                if result.status == "undetermined":
                    year = int(day[:4]) - 1
                    assert result.missing == [f"applicant.annual_revenue[{year}]"], result
                    assert isinstance(revenue, dict) and revenue.get(year, revenue.get(str(year))) is None
    # a year not given declines even a university's claim, whose tier needs no revenue: the
    # generated code reads every fact first (the reference decides it eligible)
    assert routes == Counter({"generated": 18, "declined:fact-missing": 18}), routes
    assert statuses == Counter({"eligible": 27, "undetermined": 9}), statuses
    # the tier changes with the year read: 8000萬 for 2024 (50%, cap 200萬), 1.2億 for 2025 (40%)
    two_years = {"applicant": {"kind": "enterprise", "annual_revenue": revenues[0]},
                 "claims": [{"id": "dec", "measure": "compute-voucher", "date": "2025-12-31", "compute_spend": "300萬",
                             "service_qualified": True},
                            {"id": "jan", "measure": "compute-voucher", "date": "2026-01-01", "compute_spend": "300萬",
                             "service_qualified": True}]}
    assert agrees(policy, two_years) == "generated"
    assert [str(r.amount) for r in policy.decide(two_years).results] == ["1500000.00", "1200000.00"]


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


def test_random_cases_of_several_claims_agree(policy):
    """Claims of the bundled cases, shuffled into cases of two to six under one applicant, with
    projects shared (exclusivity, caps per project), dates moved (yearly caps, validity) and
    prior awards."""
    rng = random.Random(11)
    claims = _claims_of_bundled_cases()
    routes = Counter()
    for i in range(1500):
        routes[agrees(policy, shuffled_case(rng, f"r{i}", claims, range(2, 7), 0.5))] += 1
    assert routes["generated"] > 300, routes


@functools.lru_cache(maxsize=None)
def _applicants() -> tuple[dict, ...]:
    return tuple(c["applicant"] for c in _bundled() if isinstance(c, dict) and isinstance(c.get("applicant"), dict))


def shuffled_case(rng: random.Random, case_id: str, claims: list[dict], sizes: range, shared: float) -> dict:
    """A case of ``sizes`` claims drawn from ``claims`` under an applicant of the bundled cases, a
    share ``shared`` of them for project p1 or p2, some dated anew, with prior awards."""
    applicants = _applicants()
    chosen = [dict(rng.choice(claims)) for _ in range(rng.randrange(sizes.start, sizes.stop))]
    for j, claim in enumerate(chosen):
        claim["id"] = f"c{j + 1}"
        if rng.random() < shared:
            claim["project"] = rng.choice(["p1", "p2"])
        if rng.random() < 0.3:
            claim["date"] = f"{rng.choice([2025, 2026])}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
    return {"case": case_id, "applicant": rng.choice(applicants), "claims": chosen,
            "history": rng.sample(_PRIOR, rng.randrange(0, 3))}


_ELIGIBLE_APPLICANT = {"kind": "enterprise", "annual_revenue": "8000萬"}


@pytest.fixture(scope="module")
def eligible_claims(policy):
    """Claims of the bundled cases that are eligible on their own and give every fact they read."""
    out = []
    for claim in _claims_of_bundled_cases():
        data = {"applicant": _ELIGIBLE_APPLICANT, "claims": [dict(claim, project="p1")]}
        want, expected = route(policy, data)
        if want == "generated" and expected.results[0].status == "eligible":
            out.append(claim)
    assert len(out) > 20
    return out


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_hypothesis_cases_with_groups_pools_quotas_and_history_agree(policy, eligible_claims, data):
    """Hypothesis builds cases of one to eight eligible claims (exclusivity groups for one or two
    projects, yearly caps, one-time awards, quotas) with prior awards; each must be decided by the
    generated code, with the reference's answer."""
    n = data.draw(st.integers(1, 8))
    chosen = []
    for j in range(n):
        claim = dict(data.draw(st.sampled_from(eligible_claims)), id=f"c{j}")
        claim["project"] = data.draw(st.sampled_from(["p1", "p1", "p2"]))
        claim["date"] = data.draw(st.sampled_from(["2025-05-01", "2025-11-30", "2026-02-01", "2027-12-31"]))
        chosen.append(claim)
    history = data.draw(st.lists(st.sampled_from(_PRIOR[:6]), max_size=3))
    case = {"case": "h", "applicant": _ELIGIBLE_APPLICANT, "claims": chosen, "history": history}
    assert agrees(policy, case) in ("generated", "declined:no-table-row")


def test_several_policies_loaded_together_agree(tmp_path):
    """Two policies loaded together (measures `grant` and `b:grant`, one exclusivity group name
    in each, a yearly cap, a quota): random cases of one to four claims."""
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
          - id: ranked
            title: ranked
            facts: {claim.score: {type: number}}
            amount: 10萬
            quota: {count: 2, per: year, rank_by: claim.score, order: descending}
        """
    groups = "groups:\n  g:\n    zh: 就高\n    en: highest\n"
    policy = ordinance.load_policy([write_policy(tmp_path / name, {"r": rule}, id=name, extra=groups)
                                    for name in ("a", "b")])
    assert list(policy.programs) == ["grant", "ranked", "b:grant", "b:ranked"]
    rng = random.Random(1)
    routes = Counter()
    cases = []
    for i in range(300):
        claims = []
        for j in range(rng.randrange(1, 5)):
            measure = rng.choice(["grant", "b:grant", "ranked", "b:ranked"])
            claim = {"id": f"c{j}", "measure": measure, "date": "2025-06-01", "project": rng.choice(["x", "y"])}
            claim.update({"spend": f"{rng.randrange(1, 90)}萬"} if measure.endswith("grant") else
                         {"score": rng.randrange(0, 100)})
            claims.append(claim)
        cases.append({"case": f"k{i}", "claims": claims})
        routes[agrees(policy, cases[-1])] += 1
    assert routes == Counter(generated=300)
    many = policy.evaluate_many(cases, trace=False)
    expected = [reference(policy, c) for c in cases]
    apply_quotas(expected, policy, None)
    assert [d.to_dict() for d in many] == [d.to_dict() for d in expected]
    assert any(r.quota and r.quota["status"] == "exceeded" for d in many for r in d.results)


# -- the decimal context, evaluate_many, decide ------------------------------------------------------

@pytest.mark.parametrize("context", [
    decimal.Context(prec=3, rounding=decimal.ROUND_DOWN, traps=[]),
    decimal.Context(prec=50, rounding=decimal.ROUND_CEILING, traps=[decimal.Inexact, decimal.Rounded]),
], ids=["3-digits-round-down", "inexact-trapped"])
def test_the_callers_decimal_context_changes_nothing(policy, context):
    rng = random.Random(3)
    cases = [c for c in _bundled() if isinstance(c, dict)]
    for _ in range(300):
        cases.append({"applicant": {"kind": "enterprise", "annual_revenue": rng.randrange(0, 3 * 10**9)},
                      "claims": [{"id": "c1", "measure": "compute-voucher", "date": "2026-03-01",
                                  "compute_spend": f"{rng.randrange(0, 4 * 10**7)}.{rng.randrange(0, 100):02d}",
                                  "service_qualified": True}]})

    def decide_all():
        out = []
        for c in cases:
            try:
                out.append(policy.decide(c))
            except (CaseError, EvaluationError) as exc:
                out.append(exc.codes)
        return out

    def shown(decisions):  # (outside the caller's context: Decision.total sums in the current one)
        return [d if isinstance(d, list) else d.to_dict() for d in decisions]

    expected = shown(decide_all())
    before = policy.engine.counts["generated"]
    with decimal.localcontext(context):
        got = decide_all()
    assert shown(got) == expected
    assert policy.engine.counts["generated"] - before > 300
    if context.prec == 3:  # what this context alone gives, so that the test can fail
        with decimal.localcontext(context):
            assert decimal.Decimal("717564.96") * decimal.Decimal("0.30") != decimal.Decimal("215269.488")


def test_evaluate_many_ranks_quotas_as_the_reference(policy):
    cases = [c for case in _bundled() for c in _split(case)][:200]
    readable = []
    for c in cases:
        try:
            reference(policy, c)
        except (CaseError, EvaluationError):
            continue
        readable.append(c)
    fast = policy.evaluate_many(readable, trace=False)
    slow = [reference(policy, c, f"case-{i + 1}") for i, c in enumerate(readable)]
    apply_quotas(slow, policy, None)
    assert [d.to_dict() for d in fast] == [d.to_dict() for d in slow]
    assert any(r.quota is not None for d in fast for r in d.results)  # quotas ranked across the cases too


def test_decide_is_evaluate_without_the_trace(policy):
    """decide(case) gives what evaluate(case, trace=False) gives, and the trace changes nothing
    but the trace -- for every bundled case, a read Case too, and the same error for a wrong one."""
    cases = [c for c in _bundled() if isinstance(c, dict)]
    assert len(cases) > 30
    for data in cases:
        try:
            expected = reference(policy, data)
        except (CaseError, EvaluationError) as exc:
            with pytest.raises(type(exc)):
                policy.decide(data)
            continue
        assert policy.decide(data).to_json() == expected.to_json()
        assert policy.evaluate(data, trace=False).to_json() == expected.to_json()
        assert policy.decide(read_case(data, policy)).to_json() == expected.to_json()
        traced = policy.evaluate(data).to_dict()
        for r in traced["results"]:
            assert r.pop("trace") is not None
            r["trace"] = None
        assert traced == expected.to_dict()
    with pytest.raises(CaseError):
        policy.decide({"claims": [{"id": "c1", "measure": "compute-vouchr"}]})


# -- the dispatch: bounds, the forced reference, faults --------------------------------------------

_VOUCHER = {"measure": "compute-voucher", "date": "2025-06-01", "compute_spend": "100萬", "service_qualified": True}
_APPLICANT = {"kind": "enterprise", "annual_revenue": "8000萬"}


def test_shapes_are_bounded_and_counted(monkeypatch):
    policy = ordinance.load_policy(bundled_policy_dir())
    many = {"applicant": _APPLICANT, "claims": [dict(_VOUCHER, id=f"c{i}") for i in range(dispatch.MAX_SHAPE_CLAIMS + 1)]}
    assert policy.decide(many).to_json() == reference(policy, many).to_json()
    assert policy.engine.counts == Counter({"unsupported:shape-limit": 1, "reference": 1})
    monkeypatch.setattr(dispatch, "MAX_SHAPES", 2)
    for n in (1, 2, 3, 4):
        data = {"applicant": _APPLICANT, "claims": [dict(_VOUCHER, id=f"c{i}") for i in range(n)]}
        assert policy.decide(data).to_json() == reference(policy, data).to_json()
    assert policy.engine.counts["generated"] == 2 and policy.engine.counts["unsupported:shape-limit"] == 3


def test_the_reference_can_be_forced(monkeypatch):
    monkeypatch.setenv("ORDINANCE_BACKEND", "reference")
    policy = ordinance.load_policy(bundled_policy_dir())
    data = {"applicant": _APPLICANT, "claims": [dict(_VOUCHER, id="c1")]}
    assert policy.decide(data).to_json() == reference(policy, data).to_json()
    assert policy.engine.counts == Counter({"unsupported:reference-forced": 1, "reference": 1})


def test_a_fault_in_the_generated_code_is_raised_not_swallowed(monkeypatch):
    """A misspelt method in the generated reader is an error the caller sees, not a silent
    hand-over to the reference."""
    from ordinance.run import pygen

    real = pygen.ClaimWriter.prologue
    monkeypatch.setattr(pygen.ClaimWriter, "prologue",
                        lambda self: [line.replace("_item.get(", "_item.gett(") for line in real(self)])
    policy = ordinance.load_policy(bundled_policy_dir())
    with pytest.raises(AttributeError, match="gett"):
        policy.decide({"applicant": _APPLICANT, "claims": [dict(_VOUCHER, id="c1")]})
    assert policy.engine.counts["reference"] == 0


def test_a_wrong_answer_from_the_generated_code_fails_the_agreement(monkeypatch):
    """The agreement test can fail: generated code that rounds down instead of half up is caught."""
    from ordinance.run import pygen

    real = pygen.ClaimWriter.body

    def body(self):
        real(self)
        self.lines = [line.replace("_rounded(_a, ", "_wrong(_a, ") for line in self.lines]
        self.pool.values["_wrong"] = lambda amount, step: amount.quantize(step.quantum, decimal.ROUND_FLOOR)
    monkeypatch.setattr(pygen.ClaimWriter, "body", body)
    policy = ordinance.load_policy(bundled_policy_dir())
    data = {"applicant": _APPLICANT, "claims": [dict(_VOUCHER, id="c1", compute_spend="1000000.05")]}
    with pytest.raises(AssertionError, match="500000.02"):
        agrees(policy, data)


# -- expressions, and the generated source --------------------------------------------------------

def _generated_expression(text: str):
    problems: list = []
    scope = Scope()
    for name, t in SYMBOLS.items():
        scope.add(Symbol(name, "fact", t))
    typed = Checker(scope, problems.append).check(parse_expression(text, SourceSpan.at("r.yaml", 1, 1)))
    assert problems == [], problems
    fn, _source = compile_fast_expression(typed, lambda dotted: ("local", f"env[{dotted!r}]"))
    return fn


@pytest.mark.parametrize("text,value", VALUES)
def test_every_expression_form_gives_the_interpreters_value(text, value):
    fn = _generated_expression(text)
    with decimal.localcontext(V.DECIMAL_CONTEXT):
        got = fn(dict(FACTS))
    closures = run(text)
    assert got == value == closures and type(got) is type(closures), (text, got, closures)
    assert str(got) == str(closures), text  # the same digits, not merely an equal number


@pytest.mark.parametrize("text", ["no and x", "yes or x", "if yes then 1 else xn"])
def test_short_circuits_read_no_more_than_needed(text):
    _generated_expression(text)(dict(FACTS))  # x / xn are missing but never read


_NAME_CHARS = set("_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_ATTRIBUTES = {"add_to", "scale", "quantize", "to_integral_value", "year", "month", "days", "get", "issuperset", "items",
               "__class__", "claim", "date", "project"}


def audit(source: str) -> list[str]:
    """What in ``source`` did not come from the generator's own fixed vocabulary: only generated
    names (``_k3``, ``_f0``, ``_t1_0``...), small integers and a fixed set of attributes."""
    offences = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and not (node.id.startswith("_") and set(node.id) <= _NAME_CHARS):
            offences.append(f"name {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr not in _ATTRIBUTES:
            offences.append(f"attribute {node.attr}")
        elif isinstance(node, ast.Constant) and not (node.value is None or type(node.value) is int):
            offences.append(f"constant {node.value!r}")
        elif isinstance(node, ast.keyword) and node.arg != "days":
            offences.append(f"keyword {node.arg}")
    return offences


def test_generated_source_holds_no_rule_text():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    dirs = [bundled_policy_dir()] + sorted(p.parent for p in (root / "tests" / "hostile" / "policies").glob("*/policy.yaml"))
    claims = cases = 0
    for d in dirs:
        try:
            policy = ordinance.load_policy(d)
        except ordinance.OrdinanceError:
            continue  # a hostile policy that is refused generates nothing
        keys = list(policy.plans)
        for a, b in zip(keys, keys[1:] + keys[:1]):  # every measure in a shape of three, with its neighbour
            listing, why = policy.engine.listing((a, b, a))
            if why is not None:
                continue
            for key in (a, b):
                claim = policy.engine.claim_function(policy.plans[key])
                assert audit(claim.source) == [], (d, key)
                claims += 1
            source = listing.rsplit("def _case", 1)[1]
            assert audit("def _case" + source) == [], (d, a, b)
            cases += 1
    assert claims >= 38 and cases >= 19


def test_the_audit_catches_pasted_text():
    assert audit("def _claim(_A):\n    return __import__('os')\n") != []
    assert audit("def _claim(_A):\n    return _A['applicant.kind']\n") != []
    assert audit("def _claim(_A):\n    return _A.__dict__\n") != []


def test_half_a_cent_rounds_up_in_both_back_ends(policy):
    """The rounding is set once (plan.build.ROUND_TO): half a cent goes up, whichever back-end decides."""
    data = {"applicant": _APPLICANT, "claims": [dict(_VOUCHER, id="c1", compute_spend="1000000.05")]}
    assert agrees(policy, data) == "generated"
    assert policy.decide(data).results[0].amount == reference(policy, data).results[0].amount \
        == Decimal("500000.03")


def test_a_construct_the_generator_does_not_handle_is_known_when_written_and_counted():
    """A parameter whose value changes from a date: the generator says so when it writes the
    claim function, every case of the measure is counted as unsupported and decided by the
    reference, and `ordinance show --generated` says why there is no generated code."""
    from click.testing import CliRunner

    from ordinance.cli.main import main

    dated = bundled_policy_dir() / "tests" / "fixtures" / "dated-rate"
    policy = ordinance.load_policy([bundled_policy_dir(), dated])
    data = {"claims": [{"id": "c1", "measure": "dated-voucher", "date": "2026-07-01", "spend": "100萬"}]}
    assert policy.decide(data).to_json() == reference(policy, data).to_json()
    assert policy.decide(data).results[0].amount == Decimal("250000.00")
    assert policy.engine.counts == Counter({"unsupported:a parameter whose value changes from a date": 2,
                                            "reference": 2})
    shown = CliRunner().invoke(main, ["show", "dated-voucher", "--generated", "--policy", str(bundled_policy_dir()),
                                      "--policy", str(dated)])
    assert shown.exit_code == 0, shown.output
    assert "not generated (unsupported:a parameter whose value changes from a date)" in shown.output

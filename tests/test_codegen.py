"""The generated fast path (engine/codegen.py): the same answers as the closures, and no rule text
in the generated source.

Three kinds of check:
- every expression form of tests/test_compile.py, written as Python, gives the closures' value;
- every bundled test case, and thousands of generated applicants, decided with the trace off
  give the same decision with and without the generated functions, and the generated functions
  really decide (they do not just hand everything to the closures);
- the generated source of every bundled and hostile policy holds no text from the rules: only
  generated names, small integers and a fixed set of attributes.
"""

from __future__ import annotations

import ast
import dataclasses
import decimal
import random
import re
from pathlib import Path

import pytest

import ordinance
from ordinance import values as V
from ordinance.engine.check import Checker, Scope, Symbol
from ordinance.engine.codegen import compile_fast_expression
from ordinance.engine.decision import ClaimResult, Decision
from ordinance.grammar.parser import SourceSpan, parse_expression
from ordinance.policy import bundled_policy_dir
from ordinance.testing import collect

from test_compile import FACTS, SYMBOLS, VALUES, run

ROOT = Path(__file__).resolve().parent.parent


def generated(text: str):
    problems: list = []
    scope = Scope()
    for name, t in SYMBOLS.items():
        scope.add(Symbol(name, "fact", t))
    typed = Checker(scope, problems.append).check(parse_expression(text, SourceSpan.at("r.yaml", 1, 1)))
    assert problems == [], problems
    fn, source = compile_fast_expression(typed, lambda dotted: ("fact", dotted))
    return fn, source


@pytest.mark.parametrize("text,value", VALUES)
def test_every_expression_form_gives_the_closures_value(text, value):
    fn, _ = generated(text)
    with decimal.localcontext(V.DECIMAL_CONTEXT):
        got = fn(dict(FACTS))
    closures = run(text)
    assert got == value == closures and type(got) is type(closures), (text, got, closures)
    assert str(got) == str(closures), text  # the same digits, not merely an equal number


@pytest.mark.parametrize("text", ["x and yes", "xm > 5元", "min(xm, m)", "if x then 1 else 2"])
def test_a_missing_fact_raises_so_the_closures_take_over(text):
    fn, _ = generated(text)
    with pytest.raises(KeyError):
        fn(dict(FACTS))


@pytest.mark.parametrize("text", ["no and x", "yes or x", "if yes then 1 else xn"])
def test_short_circuits_read_no_more_than_needed(text):
    fn, _ = generated(text)
    fn(dict(FACTS))  # x / xn are missing but never read


# -- whole policies: the same decisions both ways ------------------------------------------------

@pytest.fixture(scope="module")
def policies():
    fast = ordinance.load_policy(bundled_policy_dir())
    slow = ordinance.load_policy(bundled_policy_dir())
    for program in slow.programs.values():
        program._fast = None  # the closures alone
        program._traced = None
    slow.express.update(dict.fromkeys(slow.programs))  # (no express function either: lane.py)
    return fast, slow


def _bundled_cases():
    out = []
    for test in collect(bundled_policy_dir()):
        spec = test.spec
        if spec.get("want_error") or spec.get("policies"):
            continue
        out.extend(spec["cases"] if "cases" in spec else [spec["case"]])
    return out


def test_every_bundled_case_is_decided_alike_with_and_without_generated_code(policies):
    fast, slow = policies
    cases = _bundled_cases()
    assert len(cases) > 150
    for case in cases:
        a = fast.evaluate(case, trace=False).to_dict()
        b = slow.evaluate(case, trace=False).to_dict()
        assert a == b, case
        c = fast.evaluate(case, trace=True).to_dict()
        for result in c["results"]:
            result["trace"] = None
        assert a == c, case


def test_the_generated_code_decides_every_measure_somewhere(policies):
    """The equality above would hold trivially if the fast path always declined: count the claims
    it decided itself, per measure."""
    fast, _ = policies
    decided: dict[str, int] = {m: 0 for m in fast.programs}
    for case in _bundled_cases():
        read = fast.read_case(case)
        for claim in read.claims:
            program = fast.programs[claim.measure]
            env = {**read.applicant, **claim.facts, "claim.id": claim.id}
            if claim.date is not None:
                env["claim.date"] = claim.date
            if claim.project is not None:
                env["claim.project"] = claim.project
            with decimal.localcontext(V.DECIMAL_CONTEXT):
                if program.generated.fast(env) is not None:
                    decided[claim.measure] += 1
    assert all(decided.values()), {m: n for m, n in decided.items() if not n}


def test_generated_applicants_are_decided_alike(policies):
    """Random compute-voucher and model-voucher claims around every tier bound, both ways."""
    fast, slow = policies
    rng = random.Random(20251129)
    bounds = [0, 1, 99_999_999, 100_000_000, 100_000_001, 999_999_999, 1_000_000_000, 1_000_000_001]
    for i in range(3000):
        revenue = rng.choice(bounds) if i % 3 == 0 else rng.randrange(0, 3_000_000_000)
        kind = rng.choice(["enterprise", "enterprise", "university", "research-institute"])
        spend = f"{rng.randrange(0, 10**9) / 100:.2f}"
        date = f"{rng.choice([2024, 2025, 2026, 2027, 2028])}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        claims = [{"id": "c1", "measure": "compute-voucher", "date": date, "compute_spend": spend,
                   "service_qualified": rng.random() > 0.1}]
        if i % 2:
            claims.append({"id": "c2", "measure": "compute-voucher", "date": date, "compute_spend": spend,
                           "service_qualified": True})
        case = {"applicant": {"kind": kind, "annual_revenue": revenue}, "claims": claims}
        assert fast.evaluate(case, trace=False).to_dict() == slow.evaluate(case, trace=False).to_dict(), case


# -- the traced path: the same trace, node for node ----------------------------------------------

def test_every_bundled_case_is_traced_alike_with_and_without_generated_code(policies):
    fast, slow = policies
    for case in _bundled_cases():
        try:
            a = fast.evaluate(case, trace=True).to_json()
        except ordinance.OrdinanceError as exc:
            a = repr(exc)
        try:
            b = slow.evaluate(case, trace=True).to_json()
        except ordinance.OrdinanceError as exc:
            b = repr(exc)
        assert a == b, case


def test_the_traced_functions_trace_claims_of_every_measure_they_exist_for(policies):
    """The equality above would hold trivially if the traced functions always declined."""
    fast, _ = policies
    from ordinance.engine.trace import TraceNode

    traced: dict[str, int] = {}
    for case in _bundled_cases():
        read = fast.read_case(case)
        for claim in read.claims:
            program = fast.programs[claim.measure]
            function = program.traced_function()
            if function is None or claim.date is None:
                continue
            env = {**read.applicant, **claim.facts, "claim.id": claim.id, "claim.date": claim.date}
            if claim.project is not None:
                env["claim.project"] = claim.project
            node = TraceNode("claim", claim.id)
            with decimal.localcontext(V.DECIMAL_CONTEXT):
                if function(env, node) is not None:
                    traced[claim.measure] = traced.get(claim.measure, 0) + 1
                    assert node.children, claim.measure
                else:
                    assert node.children == [], "a traced function that declines must leave the node alone"
    made = {m for m, p in fast.programs.items() if p.traced_function() is not None}
    assert len(made) >= 15
    assert made == set(traced), made - set(traced)


def test_generated_applicants_are_traced_alike(policies):
    fast, slow = policies
    rng = random.Random(20261129)
    for i in range(400):
        revenue = rng.choice([0, 99_999_999, 100_000_000, 999_999_999, 1_000_000_000, rng.randrange(0, 3 * 10**9)])
        kind = rng.choice(["enterprise", "enterprise", "university"])
        date = f"{rng.choice([2024, 2025, 2026, 2027, 2028])}-{rng.randrange(1, 13):02d}-01"
        claims = [{"id": "c1", "measure": "compute-voucher", "date": date,
                   "compute_spend": f"{rng.randrange(0, 10**10) / 100:.2f}", "service_qualified": rng.random() > .1},
                  {"id": "c2", "measure": "rd-city", "date": date, "project": "p", "city_jiebang_project": True,
                   "ai_field": rng.random() > .1, "rd_investment": f"{rng.randrange(0, 5000)}萬"}]
        case = {"applicant": {"kind": kind, "annual_revenue": revenue}, "claims": claims[: 1 + i % 2]}
        assert fast.evaluate(case, trace=True).to_json() == slow.evaluate(case, trace=True).to_json(), case


def test_a_negative_amount_is_traced_alike():
    """An amount below zero is shown as computed and counted as zero, both ways."""
    rule = "rules/08-compute-voucher.yaml"
    text = (bundled_policy_dir() / rule).read_text(encoding="utf-8")
    edited = text.replace("amount: claim.compute_spend * tier.rate", "amount: claim.compute_spend * tier.rate - 100萬")
    assert edited != text
    fast = ordinance.load_policy(bundled_policy_dir(), overrides={rule: edited})
    slow = ordinance.load_policy(bundled_policy_dir(), overrides={rule: edited})
    for program in slow.programs.values():
        program._traced = None
    negative = 0
    for spend in ("0", "1000000", "3333333.33", "3333333.34", "5000000"):
        case = {"applicant": {"kind": "enterprise", "annual_revenue": 5 * 10**8},
                "claims": [{"id": "c1", "measure": "compute-voucher", "date": "2026-01-05", "compute_spend": spend,
                            "service_qualified": True}]}
        a, b = fast.evaluate(case, trace=True), slow.evaluate(case, trace=True)
        assert a.to_json() == b.to_json(), spend
        step = next(n for n in a.results[0].trace.children if n.kind == "amount")
        negative += step.result < 0 and a.results[0].amount == 0
    assert negative >= 2


# -- the generated source holds no rule text -----------------------------------------------------

_NAME = re.compile(r"^(env|Exception|_[A-Za-z_]+[0-9]*(_[0-9]+)?)$")
_ATTRIBUTES = {"add_to", "scale", "quantize", "to_integral_value", "year", "month", "days", "amount",
               "ceiling", "duration", "pooled_caps", "rank"}


def audit(source: str, attributes: set[str] = _ATTRIBUTES) -> list[str]:
    """What in ``source`` did not come from the generator's own fixed vocabulary."""
    offences = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and not _NAME.match(node.id):
            offences.append(f"name {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr not in attributes:
            offences.append(f"attribute {node.attr}")
        elif isinstance(node, ast.Constant) and not (node.value is None or type(node.value) is int):
            offences.append(f"constant {node.value!r}")
        elif isinstance(node, ast.keyword) and node.arg != "days":
            offences.append(f"keyword {node.arg}")
    return offences


def _policies_to_audit():
    dirs = [bundled_policy_dir()] + sorted(p.parent for p in (ROOT / "tests" / "hostile" / "policies").glob("*/policy.yaml"))
    out = []
    for d in dirs:
        try:
            out.append(ordinance.load_policy(d))
        except ordinance.OrdinanceError:
            continue  # a hostile policy that is refused generates nothing
    return out


def test_generated_source_holds_no_rule_text():
    policies = _policies_to_audit()
    audited = 0
    for policy in policies:
        for program in policy.programs.values():
            if program.generated is None:
                continue
            assert audit(program.generated.source) == [], (policy.id, program.measure.id)
            audited += 1
    assert audited >= 19


#: what the express functions add: reading plain data, naming the decimal context, filling a result
_EXPRESS_ATTRIBUTES = _ATTRIBUTES | {"get", "items", "issuperset", "isascii", "__class__", "add", "subtract",
                                     "multiply", "divide", "minus", "abs"} | set(ClaimResult.__slots__) \
    | {f.name for f in dataclasses.fields(Decision)}
#: and what the claim and case functions add: an entry for the rules spanning claims
_CLAIM_ATTRIBUTES = _EXPRESS_ATTRIBUTES | {"program", "result", "index", "pooled", "outcome", "node"}


def test_express_source_holds_no_rule_text():
    from ordinance.engine.lane import express_listing

    audited = 0
    for policy in _policies_to_audit():
        for program in policy.programs.values():
            express = express_listing(policy, program)
            if express is None:
                continue
            assert audit(express.source, _EXPRESS_ATTRIBUTES) == [], (policy.id, program.measure.id)
            audited += 1
    assert audited >= 10


def test_claim_and_case_sources_hold_no_rule_text():
    from ordinance.engine.lane import case_listing, claim_listing

    audited = cases = 0
    for policy in _policies_to_audit():
        programs = list(policy.programs.values())
        for program in programs:
            claim = claim_listing(policy, program)
            if claim is not None:
                assert audit(claim.source, _CLAIM_ATTRIBUTES) == [], (policy.id, program.measure.id)
                audited += 1
        for a, b in zip(programs, programs[1:] + programs[:1]):  # every measure in a shape of two, with its neighbour
            case = case_listing(policy, (a.key, b.key, a.key))
            if case is not None:
                assert audit(case.source, _CLAIM_ATTRIBUTES) == [], (policy.id, a.key, b.key)
                cases += 1
    assert audited >= 19 and cases >= 10


def test_traced_source_holds_no_rule_text():
    audited = 0
    for policy in _policies_to_audit():
        for program in policy.programs.values():
            if program.traced_function() is None:
                continue
            source = program.traced.source.replace("node", "_node")  # (its one parameter besides env)
            assert audit(source, _ATTRIBUTES | {"children", "extend", "append", "types"}) == [], \
                (policy.id, program.measure.id)
            audited += 1
    assert audited >= 15


def test_the_audit_catches_pasted_text():
    assert audit("def _fast(env):\n    return __import__('os')\n") != []
    assert audit("def _fast(env):\n    return env['applicant.kind']\n") != []
    assert audit("def _fast(env):\n    return env.__class__\n") != []

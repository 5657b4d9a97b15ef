"""One decision as one JSON line: ``decision_line`` writes what ``to_json(d.to_dict(), indent=None)`` writes.

``ordinance batch`` writes every decision with :func:`ordinance.decision.decision_line`,
which writes the usual decision (one claim, no trace, no quota, one policy) directly and any
other through ``to_dict``.  Here the two give the same text: on generated decisions, on made-up
results with every optional key, and on the decision of every bundled example and policy test
case (notes, quotas, superseded claims, ceilings, durations, Chinese text, several policies),
with and without the trace.
"""

from __future__ import annotations

import datetime as _dt
import json
import random
from decimal import Decimal
from pathlib import Path

import pytest
from test_batch_fast import voucher  # the one-claim case the block path is tested with

import ordinance
from ordinance import load_policy
from ordinance import decision as decision_module
from ordinance.decision import ClaimResult, Decision, decision_line, to_json
from ordinance.front.load import load_file
from ordinance.errors import OrdinanceError
from ordinance.policy import bundled_policy_dir
from ordinance.testing import collect, run_test
from ordinance.values import Duration

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def _generated_decisions(policy, n: int = 3000) -> list[Decision]:
    rnd = random.Random(11)
    out = []
    for i in range(n):
        case = voucher(f"c{i}" if i % 7 else None, spend=rnd.choice(["1", "0.005", "33333333.33", "1億", "-5萬",
                                                                    f"{rnd.randrange(10**10)}.{rnd.randrange(100)}"]),
                       kind=rnd.choice(["enterprise", "university", "research-institute"]),
                       revenue=rnd.choice([None, 10**8 - 1, 10**8, 10**9 - 1, 10**9]),
                       date=rnd.choice(["2025-04-20", "2025-04-21", "2027-12-31", "2028-01-01", "2026-02-28"]),
                       qualified=rnd.choice([True, False, None]))
        if case["case"] is None:
            del case["case"]
        if i % 11 == 0:
            case["claims"][0]["measure"] = "model-voucher"
            case["claims"][0].update(model_spend=case["claims"][0].pop("compute_spend"),
                                     model_registered=rnd.choice([True, False]),
                                     purpose=rnd.choice(["agent-development", "model-service", "other"]))
            case["claims"][0].pop("service_qualified", None)
        if i % 13 == 0:
            del case["claims"][0]["date"]
        try:
            out.append(policy.decide(case, f"line {i}"))
        except ordinance.CaseError:
            pass  # a case with a mistake writes an error record, not a decision
    return out


def _results() -> list[ClaimResult]:
    texts = ["c1", "申請一", 'q"uote', "back\\slash", "ctl\x01\x1f", "line\u2028sep", "tab\t", "é", ""]
    amounts = [None, Decimal(0), Decimal("-0"), Decimal("0.005"), Decimal("2000000"), Decimal("1E+3"),
               Decimal("1234.5678"), Decimal("12345678901234567890123456.789"), Decimal("-12.50"),
               Decimal("1234567890123456789012345.6749")]  # Decimal(0) + this rounds to ...675: total .68, amount .67
    out = []
    rnd = random.Random(3)
    for i in range(600):
        out.append(ClaimResult(
            rnd.choice(texts), rnd.choice(["compute-voucher", "m\"x", "模型"]), rnd.choice(["", "other-policy"]),
            rnd.choice(["eligible", "ineligible", "undetermined", "superseded"]), rnd.choice(amounts),
            rnd.choice(["exact", "maximum"]), rnd.choice(["money", "assessed", "in-kind", "support"]),
            ceiling=rnd.choice([None, Decimal("5000000"), Decimal("0.1")]),
            duration=rnd.choice([None, Duration(12, 0), Duration(0, 3)]),
            reasons=rnd.choice([[], [{"code": "condition-failed", "zh": "條件", "en": "a \"condition\"",
                                      "window": {"from": "2025-04-21", "until": None}}]]),
            missing=rnd.choice([[], ["claim.compute_spend", "applicant.kind"]]),
            notes=rnd.choice([[], ["subject to the cap", "注意"]]),
            superseded_by=rnd.choice([None, "c2"]),
            date=_dt.date(2025, 6, 1), year=2025))
        bounds = rnd.choice([None, (Decimal(0), None, ()), (Decimal("0.5"), Decimal("1234567890123456789012345.6749"),
                                                             ["c1", "申請\"二"])])
        if bounds is not None:  # an undetermined claim's bounds (ignored on any other status)
            out[-1].at_least, out[-1].at_most, out[-1].depends_on = bounds
    return out


def test_decision_line_is_to_json_of_to_dict(monkeypatch):
    """The direct writer against the contract, on generated decisions and on made-up results with every
    optional key, texts that need escaping, and amounts whose total the context rounds."""
    policy = ordinance.default_policy()
    decisions = _generated_decisions(policy)
    statuses = {d.results[0].status for d in decisions}
    assert statuses >= {"eligible", "ineligible", "undetermined"}
    assert any(d.results[0].reasons for d in decisions) and any(d.results[0].missing for d in decisions)
    assert any(d.results[0].amount == Decimal("2000000") for d in decisions)  # capped
    results = _results()
    rnd = random.Random(5)
    for i, r in enumerate(results):
        case = rnd.choice(["c", "案件", 'a"b', "x\\y\n", "\x7f"])
        decisions.append(Decision("p", "sha256:" + "0" * 8, case, [r], [{"id": "p", "digest": "d"}]))
        if i % 5 == 0:  # the general shapes: several results, several policies, a date of evaluation
            decisions.append(Decision("p", "d", case, [r, results[(i + 1) % len(results)]]))
            decisions.append(Decision("p", "d", case, [r], [{"id": "p", "digest": "d"}, {"id": "q", "digest": "e"}]))
            decisions.append(Decision("p", "d", case, [r], as_of=_dt.date(2025, 12, 31)))
    calls = []
    real = decision_module.to_json
    monkeypatch.setattr(decision_module, "to_json", lambda *a, **k: calls.append(1) or real(*a, **k))
    for d in decisions:
        try:
            want = to_json(d.to_dict(), indent=None)
        except Exception as exc:  # money the default context cannot write: the writer fails the same way
            with pytest.raises(type(exc)):
                decision_line(d)
            continue
        assert decision_line(d) == want, d
    assert 0 < len(calls) < len(decisions) / 4  # the direct writer wrote most of them


# -- every bundled case --------------------------------------------------------------------------------

def _decisions_of(policy, cases: list) -> list[Decision]:
    """The decisions on ``cases``, every way the engine makes them: one by one (the generated code,
    the reference without and with the trace, with a date of evaluation) and together (the
    quotas ranked)."""
    out: list[Decision] = []
    for case in cases:
        for decide in (lambda c: policy.decide(c, name="bundled"), lambda c: policy.evaluate(c, trace=False),
                       lambda c: policy.evaluate(c), lambda c: policy.evaluate(c, trace=False,
                                                                                as_of=_dt.date(2025, 12, 31))):
            try:
                out.append(decide(case))
            except OrdinanceError:  # a case made to fail
                pass
    for trace in (False, True):
        try:
            out += policy.evaluate_many(cases, trace=trace)
        except OrdinanceError:
            pass
    return out


@pytest.fixture(scope="module")
def bundled() -> list[Decision]:
    policy = ordinance.default_policy()
    policy_dir = bundled_policy_dir()
    out: list[Decision] = []
    for test in collect(policy_dir):  # the policy's own tests: quotas, several policies, dated values
        spec = test.spec
        outcome = run_test(test, policy, policy_dir)
        out += outcome.decisions
        test_policy = policy
        if spec.get("policies"):
            test_policy = load_policy([policy_dir] + [Path(test.file).parent / p for p in spec["policies"]])
        out += _decisions_of(test_policy, list(spec["cases"]) if "cases" in spec else [spec.get("case")])
    files = sorted(EXAMPLES.glob("*.yaml")) + sorted(EXAMPLES.glob("cases/*.yaml")) \
        + sorted(EXAMPLES.glob("batch/cases/*.yaml")) + sorted(EXAMPLES.glob("batch/*.yaml"))
    for path in files:
        out += _decisions_of(policy, [load_file(path).data])
    for path in sorted(EXAMPLES.glob("batch/*.jsonl")):
        out += _decisions_of(policy, [json.loads(line, parse_float=Decimal)
                                      for line in path.read_text(encoding="utf-8").splitlines() if line.strip()])
    return out


def test_decision_line_on_every_bundled_case(bundled, monkeypatch):
    """The writer against the contract on every decision of the bundled examples and policy tests,
    which hold the odd ones: notes, quotas, superseded claims, ceilings, durations, Chinese text,
    several policies, traces and dates of evaluation."""
    results = [r for d in bundled for r in d.results]
    assert any(r.notes for r in results) and any(r.quota for r in results)
    assert any(r.superseded_by for r in results) and any(r.ceiling is not None for r in results)
    assert any(r.duration is not None for r in results) and any(r.trace is not None for r in results)
    assert any(len(d.policies) > 1 for d in bundled) and any(d.as_of is not None for d in bundled)
    calls = []
    real = decision_module.to_json
    monkeypatch.setattr(decision_module, "to_json", lambda *a, **k: calls.append(1) or real(*a, **k))
    chinese = 0
    for d in bundled:
        want = real(d.to_dict(), indent=None)
        assert decision_line(d) == want, d
        chinese += not want.isascii()
    assert chinese and 0 < len(calls) < len(bundled)  # some written directly, the others through to_dict

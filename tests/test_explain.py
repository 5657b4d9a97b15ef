"""The "why not" filter (ordinance.render.explain) and the `ordinance explain` command."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import ordinance
from ordinance.cli.explain import explain_command
from ordinance.render.explain import KINDS, needed, render_explanation, why_not
from policy_factory import make_policy

ROOT = Path(__file__).resolve().parent.parent

RULES = """\
article: 一
measures:
  - id: big
    title: {zh: 大企業獎勵, en: award for large firms}
    facts:
      claim.spend: {type: money}
      claim.ok: {type: bool}
      claim.banned: {type: bool}
      claim.started: {type: date}
      claim.staff: {type: number}
      claim.sector: {type: enum, values: [ai, chips, other]}
    parameters:
      minimum_staff:
        value: 10
    conditions:
      - {id: revenue, when: applicant.annual_revenue >= 10億, zh: 營收十億以上, en: revenue of 1 billion or more}
      - {id: ok, when: claim.ok, zh: 合格, en: qualifies}
      - {id: not-banned, when: not claim.banned, zh: 未被禁止, en: not banned}
      - {id: early, when: claim.started <= 2025-06-30, zh: 上半年開始, en: started in the first half}
      - {id: staff, when: minimum_staff < claim.staff, zh: 員工人數, en: enough staff}
      - {id: sector, when: claim.sector != "other", zh: 行業, en: a listed sector}
      - {id: share, when: claim.spend / applicant.annual_revenue > 1%, zh: 投入比例, en: enough spending}
    amount: claim.spend * 10%
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return make_policy(tmp_path_factory.mktemp("explain"), {"big": RULES})


def refused(policy, trace=True, **facts):
    claim = {"id": "c1", "measure": "big", "date": "2025-06-01", "spend": "1000萬", "ok": True, "banned": False,
             "started": "2025-03-01", "staff": 50, "sector": "ai"}
    claim.update(facts)
    case = {"applicant": {"kind": "enterprise", "annual_revenue": "5億"}, "claims": [claim]}
    return policy.evaluate(case, trace=trace).results[0]


@pytest.fixture(scope="module")
def bundled():
    return ordinance.default_policy()


# -- failed conditions: what would have to change -----------------------------------------------------

def test_a_fact_compared_with_a_constant_names_the_value_needed(small):
    result = refused(small)
    findings = why_not(result)
    assert [f.kind for f in findings] == ["condition"]
    f = findings[0]
    assert f.node is not None and f.node.id == "revenue"
    assert f.expression == "applicant.annual_revenue >= 10億"
    assert ("applicant.annual_revenue", "500,000,000.00 元 (5億)") in f.inputs
    assert f.change == ["applicant.annual_revenue would have to be at least 1,000,000,000.00 元 (10億); "
                        "it is 500,000,000.00 元 (5億)"]
    assert "revenue of 1 billion or more" in f.title and "營收十億以上" in f.title


def test_every_failed_condition_is_listed_in_rule_order_with_its_need(small):
    result = refused(small, ok=False, banned=True, started="2025-09-01", staff=5, sector="other")
    findings = why_not(result)
    assert [f.node.id for f in findings] == ["revenue", "ok", "not-banned", "early", "staff", "sector"]
    change = {f.node.id: f.change[0] for f in findings}
    assert change["ok"] == "claim.ok would have to be true; it is false"
    assert change["not-banned"] == "claim.banned would have to be false; it is true"
    assert change["early"] == "claim.started would have to be on or before 2025-06-30; it is 2025-09-01"
    # the constant on the left: the comparison is read from the fact's side, with the parameter's value
    assert change["staff"] == "claim.staff would have to be more than minimum_staff = 10; it is 5"
    assert change["sector"] == 'claim.sector would have to be anything but "other"; it is "other"'


def test_a_condition_that_is_not_a_simple_comparison_shows_the_expression_and_inputs(small):
    result = refused(small, spend="1萬")
    share = [f for f in why_not(result) if f.node.id == "share"][0]
    assert share.change == ["`claim.spend / applicant.annual_revenue > 1%` would have to be true; with "
                            "claim.spend = 10,000.00 元 (1萬), applicant.annual_revenue = 500,000,000.00 元 (5億) "
                            "it is false"]


def test_needed_reads_only_the_trace(small):
    node = refused(small).trace.find("condition", "revenue")
    node.inputs["applicant.annual_revenue"] = ordinance.trace.MISSING  # as if the fact were missing
    assert needed(node)[0].startswith("`applicant.annual_revenue >= 10億` would have to be true")


def test_an_eligible_claim_has_nothing_to_explain(small):
    case = {"applicant": {"kind": "enterprise", "annual_revenue": "20億"},
            "claims": [{"id": "c1", "measure": "big", "date": "2025-06-01", "spend": "1億", "ok": True,
                        "banned": False, "started": "2025-03-01", "staff": 50, "sector": "ai"}]}
    eligible = small.evaluate(case).results[0]
    assert eligible.status == "eligible"
    assert why_not(eligible) == []
    text = render_explanation(eligible)
    assert "Why not" not in text and "Derivation" in text


# -- the other kinds ---------------------------------------------------------------------------------

def test_validity_failure_says_the_window(bundled):
    d = bundled.evaluate({"applicant": {"kind": "enterprise"}, "claims": [
        {"id": "c1", "measure": "incubator-rent-free", "date": "2028-02-01", "ai_startup": True,
         "zero_rent_incubator": True}]})
    (f,) = why_not(d.results[0])
    assert f.kind == "validity"
    assert f.change == ["claim.date would have to be within 2025-04-21 to 2027-12-31; it is 2028-02-01"]


def test_the_validity_window_is_wholly_chinese_in_chinese(bundled):
    """The reason and the finding say the window 「2025-04-21 至 2027-12-31」 in Chinese (it said
    "2025-04-21 to 2027-12-31" in the Chinese too); the trace's expression is the rule language's."""
    d = bundled.evaluate({"applicant": {"kind": "enterprise"}, "claims": [
        {"id": "c1", "measure": "incubator-rent-free", "date": "2030-01-01", "ai_startup": True,
         "zero_rent_incubator": True}]})
    result = d.results[0]
    (reason,) = result.reasons
    assert reason["zh"] == "申請日期2030-01-01不在政策有效期（2025-04-21 至 2027-12-31）內"
    assert reason["en"] == "the claim date 2030-01-01 is outside the policy's validity (2025-04-21 to 2027-12-31)"
    (f,) = why_not(result, "zh")
    assert f.change == ["claim.date 須在 2025-04-21 至 2027-12-31 之內；現為 2030-01-01"]
    node = result.trace.find("validity", "policy")
    assert node.to_dict()["expression"] == "claim.date within 2025-04-21 to 2027-12-31"
    # a trace read back from JSON (its expression plain text): the window said in Chinese all the same
    node.expression = str(node.expression)
    (f,) = why_not(result, "zh")
    assert f.change == ["claim.date 須在 2025-04-21 至 2027-12-31 之內；現為 2030-01-01"]
    (f,) = why_not(result)
    assert f.change == ["claim.date would have to be within 2025-04-21 to 2027-12-31; it is 2030-01-01"]


def test_missing_facts_name_the_steps_they_would_decide(bundled):
    d = bundled.evaluate(ordinance.load_case(ROOT / "examples" / "support.yaml", bundled))
    result = d.result("c2")
    (f,) = why_not(result)
    assert f.kind == "missing"
    assert f.title == "claim.lawful_market_based is not given"
    assert f.node.kind == "condition" and f.node.id == "contest-project-or-market-event"
    assert ("claim.lawful_market_based", "<missing>") in f.inputs
    assert f.change[0].startswith("giving claim.lawful_market_based would decide condition "
                                  "contest-project-or-market-event")


def test_a_claim_without_a_date_is_missing_claim_date(bundled):
    d = bundled.evaluate({"applicant": {"kind": "enterprise"}, "claims": [
        {"id": "c1", "measure": "incubator-rent-free", "ai_startup": True, "zero_rent_incubator": True}]})
    (f,) = why_not(d.results[0])
    assert f.kind == "missing" and f.title == "claim.date is not given"
    assert f.node.kind == "validity"


def test_superseded_names_the_winner_group_and_project(bundled):
    d = bundled.evaluate(ordinance.load_case(ROOT / "examples" / "rd-project.yaml", bundled))
    (f,) = why_not(d.result("c2"))
    assert f.kind == "superseded"
    assert f.title.startswith("superseded by c1 (group rd-project, project embodied-brain)")
    assert f.node.kind == "exclusivity"
    assert f.change[-1] == "it would stand only if it came to more than c1"
    assert why_not(d.result("c1")) == []


def test_one_time_award_already_paid(bundled):
    d = bundled.evaluate(ordinance.load_case(ROOT / "examples" / "platform.yaml", bundled))
    (f,) = why_not(d.result("c3"))
    assert f.kind == "one-time" and f.node is not None and f.node.kind == "one-time"
    assert "h1 already received it" in f.change[0]


def test_quota_exceeded_gives_the_ranking(bundled):
    cases = [{"case": f"firm-{i:02d}", "applicant": {"kind": "enterprise"}, "claims": [
        {"id": "c1", "measure": "hit-product", "date": "2025-12-01", "project": "p", "intelligent_product": True,
         "meets_assessment": True, "annual_sales": f"{1000 + i * 500}萬"}]} for i in range(12)]
    decisions = bundled.evaluate_many(cases)
    last = decisions[0].results[0]
    (f,) = why_not(last)
    assert f.kind == "quota"
    assert f.title == "beyond the quota: ranked 12 of 12 for 2025, 10 awards a year"
    assert f.change == ["it would have to rank among the first 10 by claim.annual_sales"]
    assert ("rank value", "10,000,000.00 元 (1000萬)") in f.inputs
    assert why_not(decisions[-1].results[0]) == []


def test_a_used_up_yearly_cap_explains_an_eligible_claim_of_zero(bundled):
    d = bundled.evaluate(ordinance.load_case(ROOT / "tests" / "golden" / "render" / "refusals.yaml", bundled))
    result = d.result("r4")
    assert result.status == "eligible" and result.amount == 0
    (f,) = why_not(result)
    assert f.kind == "cap" and f.node.kind == "yearly-cap"
    assert ("already granted (history)", "2,000,000.00 元 (200萬)") in f.inputs
    assert "Why not more" in render_explanation(result)


def test_findings_come_in_the_documented_order(bundled):
    d = bundled.evaluate(ordinance.load_case(ROOT / "tests" / "golden" / "render" / "refusals.yaml", bundled))
    for result in d.results:
        kinds = [f.kind for f in why_not(result)]
        assert kinds == sorted(kinds, key=KINDS.index)


# -- without a trace -----------------------------------------------------------------------------------

def test_without_a_trace_the_reasons_remain_and_the_text_says_so(small):
    result = refused(small, trace=False, ok=False)
    findings = why_not(result)
    assert [f.kind for f in findings] == ["condition", "condition"]
    assert all(f.node is None for f in findings)
    text = render_explanation(result)
    assert "The decision was made without a trace" in text
    assert "condition not met: qualifies" in text


# -- the terminal text -----------------------------------------------------------------------------------

def test_render_explanation_puts_why_not_before_the_derivation(small):
    text = render_explanation(refused(small, ok=False))
    assert text.startswith("Explanation of claim c1: ineligible\n")
    why, derivation = text.index("Why not: the claim is refused"), text.index("\nDerivation\n")
    assert why < derivation
    assert text.index("1. ✗ condition revenue is not met") < text.index("2. ✗ condition ok is not met")
    assert "→ applicant.annual_revenue would have to be at least 1,000,000,000.00 元 (10億)" in text
    assert "├── ✗ condition revenue revenue of 1 billion or more: applicant.annual_revenue >= 10億" in text
    assert "\x1b[" not in text
    assert "\x1b[" in render_explanation(refused(small), colour=True)


# -- the command -------------------------------------------------------------------------------------

def run(*args, input=None):
    return CliRunner().invoke(explain_command, list(args), input=input)


@pytest.fixture()
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def test_explain_one_claim(at_root):
    result = run("examples/support.yaml", "--claim", "c4")
    assert result.exit_code == 0, result.output
    assert "Explanation of claim c4: ineligible" in result.output
    assert "Explanation of claim c1" not in result.output
    assert "→ claim.ai_innovation_center would have to be true; it is false" in result.output
    assert "at xiamen-ai-2025/rules/13-innovation-center.yaml:" in result.output


def test_explain_every_claim_by_default(at_root):
    result = run("examples/support.yaml")
    assert result.exit_code == 0
    assert [line for line in result.output.splitlines() if line.startswith("Explanation of claim")] == [
        "Explanation of claim c1: eligible", "Explanation of claim c2: undetermined",
        "Explanation of claim c3: eligible", "Explanation of claim c4: ineligible"]


def test_explain_reads_standard_input(at_root):
    text = (ROOT / "examples" / "support.yaml").read_text(encoding="utf-8")
    result = run("-", "--claim", "c2", input=text)
    assert result.exit_code == 0, result.output
    assert "claim.lawful_market_based is not given" in result.output


def test_unknown_claim_is_an_error_with_did_you_mean(tmp_path):
    case = tmp_path / "case.yaml"
    case.write_text("applicant: {kind: enterprise}\nclaims:\n"
                    "  - {id: voucher-june, measure: incubator-rent-free, date: 2025-06-01, ai_startup: true}\n",
                    encoding="utf-8")
    result = run(str(case), "--claim", "voucher-jun")
    assert result.exit_code == 1
    assert "the case has no claim `voucher-jun`" in result.output
    assert "did you mean `voucher-june`?" in result.output
    other = run(str(case), "--claim", "zzz")
    assert other.exit_code == 1 and "its claims are voucher-june" in other.output


def test_bad_case_file_is_exit_1_without_traceback(tmp_path):
    case = tmp_path / "bad.yaml"
    case.write_text("claims:\n  - id: c1\n    measure: compute-vouchr\n    date: 2025-06-01\n", encoding="utf-8")
    result = run(str(case))
    assert result.exit_code == 1
    assert "unknown-measure" in result.output and "Traceback" not in result.output


def test_help_has_an_example():
    result = run("--help")
    assert result.exit_code == 0
    assert "ordinance explain examples/support.yaml --claim c2" in result.output
    assert "--claim ID" in result.output and "--policy" in result.output


def test_as_of_decides_a_claim_without_a_date(tmp_path):
    case = tmp_path / "case.yaml"
    case.write_text("applicant: {kind: enterprise}\nclaims:\n"
                    "  - {id: i1, measure: incubator-rent-free, ai_startup: true, zero_rent_incubator: true}\n",
                    encoding="utf-8")
    undated = run(str(case))
    assert undated.exit_code == 0 and "claim.date is not given" in undated.output
    dated = run(str(case), "--as-of", "2025-06-01")
    assert dated.exit_code == 0, dated.output
    assert ", as of 2025-06-01" in dated.output.splitlines()[0]
    assert "Explanation of claim i1: eligible" in dated.output
    assert "the claim gives no date: decided as of 2025-06-01" in dated.output


def test_the_ordinance_command_has_explain(at_root):
    from ordinance.cli.main import main

    result = CliRunner().invoke(main, ["explain", "examples/support.yaml", "--claim", "c4"])
    assert result.exit_code == 0, result.output
    assert "Explanation of claim c4: ineligible" in result.output

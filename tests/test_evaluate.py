"""Engine semantics on small policies: validity, conditions, tables, caps, groups, quotas, benefits."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ordinance import EvaluationError
from policy_factory import make_policy

VOUCHER = """\
article: 一
measures:
  - id: voucher
    title: {zh: 券, en: voucher}
    basis: maximum
    facts:
      claim.spend: {type: money}
      claim.ok: {type: bool}
    parameters:
      rate:
        values:
          - value: 30%
          - from: 2026-07-01
            value: 25%
    tables:
      tier:
        rows:
          - when: applicant.kind == "university"
            set: {cap: 200萬}
          - when: applicant.annual_revenue >= 10億
            set: {cap: 1000萬}
          - otherwise: true
            set: {cap: 500萬}
    conditions:
      - {id: ok, when: claim.ok, zh: 合格, en: qualifies}
    amount: claim.spend * rate
    caps:
      - {id: yearly, per: entity-year, limit: tier.cap}
"""


@pytest.fixture(scope="module")
def voucher(tmp_path_factory):
    return make_policy(tmp_path_factory.mktemp("voucher"), {"voucher": VOUCHER})


def claim(id="c1", date="2025-06-01", **facts):
    return {"id": id, "measure": "voucher", "date": date, **facts}


def decide(policy, claims, applicant=None, history=None, trace=True):
    case = {"applicant": applicant or {"kind": "enterprise", "annual_revenue": "5億"}, "claims": claims}
    if history is not None:
        case["history"] = history
    return policy.evaluate(case, trace=trace)


def test_eligible_amount_is_rate_times_spend(voucher):
    d = decide(voucher, [claim(spend="100萬", ok=True)])
    r = d.result("c1")
    assert (r.status, r.amount, r.basis) == ("eligible", Decimal("300000.00"), "maximum")
    assert d.to_dict()["total"] == "300000.00"


@pytest.mark.parametrize("date,rate", [("2026-06-30", "0.30"), ("2026-07-01", "0.25"), ("2027-12-31", "0.25")])
def test_parameter_value_changes_from_a_date(voucher, date, rate):
    r = decide(voucher, [claim(date=date, spend="100萬", ok=True)]).result("c1")
    assert r.amount == Decimal("1000000") * Decimal(rate)


@pytest.mark.parametrize("date,status", [("2024-12-31", "ineligible"), ("2025-01-01", "eligible"),
                                         ("2027-12-31", "eligible"), ("2028-01-01", "ineligible")])
def test_policy_validity_window_is_inclusive(voucher, date, status):
    r = decide(voucher, [claim(date=date, spend="100萬", ok=True)]).result("c1")
    assert r.status == status
    if status == "ineligible":
        assert [x["code"] for x in r.reasons] == ["outside-validity"]
        assert r.amount == 0


def test_failed_condition_is_ineligible_with_reason_and_trace_node(voucher):
    r = decide(voucher, [claim(spend="100萬", ok=False)]).result("c1")
    assert r.status == "ineligible"
    assert r.reasons[0]["code"] == "condition-failed" and r.reasons[0]["condition"] == "ok"
    node = r.trace.find("condition", "ok")
    assert node.status == "false" and node.inputs == {"claim.ok": False}


def test_missing_fact_makes_the_claim_undetermined_and_names_it(voucher):
    r = decide(voucher, [claim(spend="100萬")]).result("c1")
    assert (r.status, r.amount, r.missing) == ("undetermined", None, ["claim.ok"])
    r = decide(voucher, [claim(ok=True)]).result("c1")
    assert (r.status, r.missing) == ("undetermined", ["claim.spend"])


def test_missing_claim_date_is_undetermined(voucher):
    r = decide(voucher, [{"id": "c1", "measure": "voucher", "spend": "1萬", "ok": True}]).result("c1")
    assert (r.status, r.missing) == ("undetermined", ["claim.date"])


def test_table_first_matching_row_and_why_earlier_rows_did_not(voucher):
    d = decide(voucher, [claim(spend="5000萬", ok=True)], applicant={"kind": "enterprise", "annual_revenue": "10億"})
    r = d.result("c1")
    assert r.amount == Decimal("10000000.00")  # 30% of 5000萬 = 1500萬, capped at the 1000萬 tier
    table = r.trace.find("table", "tier")
    assert [row.status for row in table.children] == ["false", "true"]
    assert table.result == {"cap": Decimal("10000000")}


def test_yearly_cap_consumes_history_then_claims_in_date_order(voucher):
    d = decide(voucher, [claim("late", date="2025-09-01", spend="1000萬", ok=True),
                         claim("early", date="2025-03-01", spend="1000萬", ok=True)],
               history=[{"measure": "voucher", "date": "2025-02-01", "amount": "100萬"}])
    assert d.result("early").amount == Decimal("3000000.00")
    assert d.result("late").amount == Decimal("1000000.00")  # 500萬 - 100萬 - 300萬
    node = d.result("late").trace.find("yearly-cap")
    assert node.inputs["already granted (history)"] == Decimal("1000000")
    assert node.inputs["already granted (earlier claims)"] == Decimal("3000000.00")
    assert node.inputs["remaining"] == Decimal("1000000.00")


def test_yearly_cap_is_fresh_in_a_new_calendar_year(voucher):
    d = decide(voucher, [claim("a", date="2025-12-31", spend="2000萬", ok=True),
                         claim("b", date="2026-01-01", spend="2000萬", ok=True)])
    assert d.result("a").amount == Decimal("5000000.00")
    assert d.result("b").amount == Decimal("5000000.00")


def test_yearly_cap_used_up_gives_zero_with_reason(voucher):
    d = decide(voucher, [claim(spend="100萬", ok=True)],
               history=[{"measure": "voucher", "date": "2025-01-05", "amount": "500萬"}])
    r = d.result("c1")
    assert (r.status, r.amount) == ("eligible", Decimal("0"))
    assert [x["code"] for x in r.reasons] == ["yearly-cap-exhausted"]


def test_trace_off_gives_the_same_decision(voucher):
    claims = [claim("a", spend="900萬", ok=True), claim("b", spend="100萬"), claim("c", spend="1萬", ok=False)]
    on = decide(voucher, claims, trace=True).to_dict()
    off = decide(voucher, claims, trace=False).to_dict()
    for r in on["results"]:
        r["trace"] = None
    assert on == off


def test_decision_json_is_deterministic_whatever_the_key_order(voucher):
    a = decide(voucher, [claim(spend="100萬", ok=True)]).to_json()
    reordered = {"ok": True, "spend": "100萬", "date": "2025-06-01", "measure": "voucher", "id": "c1"}
    b = decide(voucher, [reordered], applicant={"annual_revenue": "5億", "kind": "enterprise"}).to_json()
    assert a == b


GROUP_RULES = """\
article: 二
measures:
  - id: national
    title: 國家級
    exclusive: rd
    facts: {claim.spend: {type: money}}
    amount: claim.spend * 50%
    caps: [{id: per-project, per: project, limit: 1000萬}]
  - id: city
    title: 市級
    exclusive: rd
    facts: {claim.spend: {type: money}}
    amount: claim.spend * 30%
  - id: platform
    title: 平臺
    one_time: true
    amount: 3000萬
  - id: talent
    title: 人才
    benefit: assessed
    exclusive: rd
    ceiling: 500萬
  - id: rent
    title: 免租
    benefit: in-kind
    duration: 3 years
  - id: support
    title: 支持
    benefit: support
    facts: {claim.ai_firm: {type: bool}}
    conditions: [{id: ai, when: claim.ai_firm}]
  - id: hit
    title: 爆款
    facts: {claim.sales: {type: money}}
    amount: floor(claim.sales / 1000萬) * 50萬
    quota: {count: 2, per: year, rank_by: claim.sales, order: descending}
"""
GROUPS = """\
groups:
  rd: {zh: 研發, en: research}
"""


@pytest.fixture(scope="module")
def groups(tmp_path_factory):
    return make_policy(tmp_path_factory.mktemp("groups"), {"rules": GROUP_RULES}, extra=GROUPS)


def g(policy, claims, history=None):
    case = {"applicant": {"kind": "enterprise"}, "claims": claims, "history": history or []}
    return policy.evaluate(case)


def test_exclusivity_keeps_the_highest_and_names_it(groups):
    d = g(groups, [{"id": "n", "measure": "national", "date": "2025-05-01", "project": "p", "spend": "100萬"},
                   {"id": "c", "measure": "city", "date": "2025-05-01", "project": "p", "spend": "100萬"},
                   {"id": "other", "measure": "city", "date": "2025-05-01", "project": "q", "spend": "100萬"}])
    assert (d.result("n").status, d.result("n").amount) == ("eligible", Decimal("500000.00"))
    c = d.result("c")
    assert (c.status, c.amount, c.superseded_by) == ("superseded", Decimal("0"), "n")
    assert c.reasons[-1]["code"] == "superseded" and c.reasons[-1]["winner"] == "n"
    assert d.result("other").status == "eligible"  # another project is not affected
    assert d.total == Decimal("800000.00")


def test_exclusivity_compares_assessed_ceilings_too(groups):
    d = g(groups, [{"id": "t", "measure": "talent", "date": "2025-05-01", "project": "p"},
                   {"id": "c", "measure": "city", "date": "2025-05-01", "project": "p", "spend": "100萬"}])
    assert d.result("t").status == "eligible" and d.result("t").ceiling == Decimal("5000000")
    assert d.result("c").superseded_by == "t"


def test_exclusivity_with_a_prior_award_pays_only_the_difference(groups):
    d = g(groups, [{"id": "n", "measure": "national", "date": "2025-05-01", "project": "p", "spend": "100萬"}],
          history=[{"id": "old", "measure": "city", "date": "2025-01-01", "project": "p", "amount": "20萬"}])
    assert d.result("n").amount == Decimal("300000.00")
    d = g(groups, [{"id": "n", "measure": "national", "date": "2025-05-01", "project": "p", "spend": "100萬"}],
          history=[{"id": "old", "policy": "elsewhere", "group": "rd", "date": "2025-01-01", "project": "p",
                    "amount": "60萬"}])
    assert (d.result("n").status, d.result("n").superseded_by) == ("superseded", "old")


def test_exclusive_measure_needs_a_project(groups):
    r = g(groups, [{"id": "n", "measure": "national", "date": "2025-05-01", "spend": "100萬"}]).result("n")
    assert (r.status, r.missing) == ("undetermined", ["claim.project"])


def test_per_project_cap(groups):
    r = g(groups, [{"id": "n", "measure": "national", "date": "2025-05-01", "project": "p",
                    "spend": "3000萬"}]).result("n")
    assert r.amount == Decimal("10000000.00")
    cap = r.trace.find("cap", "per-project")
    assert any("capped per project" in n for n in cap.notes)


def test_one_time_award_is_paid_once(groups):
    d = g(groups, [{"id": "a", "measure": "platform", "date": "2025-05-01", "project": "lab"},
                   {"id": "b", "measure": "platform", "date": "2025-06-01", "project": "lab"},
                   {"id": "c", "measure": "platform", "date": "2025-06-01", "project": "other-lab"}])
    assert [d.result(x).status for x in "abc"] == ["eligible", "ineligible", "eligible"]
    assert d.result("b").reasons[-1]["code"] == "one-time-paid"
    d = g(groups, [{"id": "a", "measure": "platform", "date": "2025-05-01", "project": "lab"}],
          history=[{"measure": "platform", "date": "2025-02-01", "amount": "3000萬", "project": "lab"}])
    assert d.result("a").status == "ineligible"


def test_non_money_benefits_have_no_invented_amount(groups):
    d = g(groups, [{"id": "r", "measure": "rent", "date": "2025-05-01"},
                   {"id": "s", "measure": "support", "date": "2025-05-01", "ai_firm": True},
                   {"id": "t", "measure": "talent", "date": "2025-05-01", "project": "x"}])
    as_json = {r["claim"]: r for r in d.to_dict()["results"]}
    assert as_json["r"]["amount"] is None and as_json["r"]["duration"] == "3 years"
    assert as_json["s"]["amount"] is None and as_json["s"]["benefit"] == "support"
    assert as_json["t"]["amount"] is None and as_json["t"]["ceiling"] == "5000000.00"
    assert d.to_dict()["total"] == "0.00"


def test_quota_pending_in_one_case_and_ranked_across_cases(groups):
    single = g(groups, [{"id": "h", "measure": "hit", "date": "2025-05-01", "sales": "2500萬"}]).result("h")
    assert single.amount == Decimal("1000000.00")  # two full blocks of 1000萬
    assert single.quota["status"] == "pending"
    cases = [{"case": name, "claims": [{"id": "h", "measure": "hit", "date": "2025-05-01", "sales": sales}]}
             for name, sales in [("a", "2000萬"), ("b", "9000萬"), ("c", "5000萬"), ("d", "2000萬")]]
    decisions = groups.evaluate_many(cases)
    status = {d.case: (d.results[0].status, d.results[0].quota["position"]) for d in decisions}
    assert status == {"b": ("eligible", 1), "c": ("eligible", 2), "a": ("ineligible", 3), "d": ("ineligible", 4)}
    assert decisions[0].results[0].reasons[-1]["code"] == "quota-exceeded"


def test_division_by_zero_is_an_evaluation_error(tmp_path):
    policy = make_policy(tmp_path, {"r": """\
        article: 一
        measures:
          - id: m
            title: m
            facts: {claim.n: {type: number}, claim.spend: {type: money}}
            amount: claim.spend / claim.n
        """})
    with pytest.raises(EvaluationError) as info:
        policy.evaluate({"claims": [{"id": "c", "measure": "m", "date": "2025-05-01", "n": 0, "spend": 1}]})
    assert info.value.codes == ["evaluation"]


def test_measure_validity_window(tmp_path):
    policy = make_policy(tmp_path, {"r": """\
        article: 一
        measures:
          - id: m
            title: m
            valid: {from: 2026-01-01}
            amount: 1萬
        """})
    r = policy.evaluate({"claims": [{"id": "c", "measure": "m", "date": "2025-05-01"}]}).result("c")
    assert r.status == "ineligible" and r.reasons[0]["code"] == "outside-validity"
    r = policy.evaluate({"claims": [{"id": "c", "measure": "m", "date": "2026-01-01"}]}).result("c")
    assert (r.status, r.amount) == ("eligible", Decimal("10000.00"))


def test_a_shared_pool_counts_history_of_the_other_measure(tmp_path):
    policy = make_policy(tmp_path, {"r": """\
        article: 一
        measures:
          - id: a
            title: a
            amount: 100萬
            caps: [{id: y, per: entity-year, pool: shared, limit: 150萬}]
          - id: b
            title: b
            amount: 100萬
            caps: [{id: y, per: entity-year, pool: shared, limit: 150萬}]
        """})
    d = policy.evaluate({"claims": [{"id": "c", "measure": "a", "date": "2025-05-01"}],
                         "history": [{"measure": "b", "date": "2025-02-01", "amount": "100萬"}]})
    assert d.result("c").amount == Decimal("500000.00")


CAPS = """\
article: 一
measures:
  - id: m
    title: m
    facts: {claim.spend: {type: money}}
    amount: claim.spend
    caps:
      - {id: per-project, per: project, limit: 100萬}
  - id: yearly-product
    title: p
    facts: {claim.spend: {type: money}}
    amount: claim.spend
    caps:
      - {id: per-product-year, per: product-year, limit: 100萬}
"""


def test_project_cap_binds_across_claims_and_history(tmp_path):
    policy = make_policy(tmp_path, {"r": CAPS})
    d = policy.evaluate({"claims": [
        {"id": "a", "measure": "m", "date": "2025-05-01", "project": "p", "spend": "50萬"},
        {"id": "b", "measure": "m", "date": "2026-05-01", "project": "p", "spend": "50萬"},
        {"id": "c", "measure": "m", "date": "2026-05-01", "project": "q", "spend": "50萬"}],
        "history": [{"measure": "m", "date": "2024-01-01", "project": "p", "amount": "30萬"}]})
    assert [d.result(x).amount for x in "abc"] == [Decimal("500000.00"), Decimal("200000.00"),
                                                  Decimal("500000.00")]
    node = d.result("b").trace.find("project-cap", "per-project")
    assert node.inputs["already granted (history)"] == Decimal("300000")
    assert node.inputs["remaining"] == Decimal("200000.00")


def test_product_year_cap_is_fresh_each_year(tmp_path):
    policy = make_policy(tmp_path, {"r": CAPS})
    d = policy.evaluate({"claims": [
        {"id": "a", "measure": "yearly-product", "date": "2025-05-01", "project": "x", "spend": "80萬"},
        {"id": "b", "measure": "yearly-product", "date": "2025-09-01", "project": "x", "spend": "80萬"},
        {"id": "c", "measure": "yearly-product", "date": "2026-05-01", "project": "x", "spend": "80萬"}]})
    assert [d.result(x).amount for x in "abc"] == [Decimal("800000.00"), Decimal("200000.00"),
                                                  Decimal("800000.00")]
    d = policy.evaluate({"claims": [
        {"id": "a", "measure": "yearly-product", "date": "2025-05-01", "project": "x", "spend": "80萬"}],
        "history": [{"measure": "yearly-product", "date": "2025-01-01", "project": "x", "amount": "100萬"}]})
    r = d.result("a")
    assert (r.amount, [x["code"] for x in r.reasons]) == (Decimal("0"), ["cap-exhausted"])


def test_assessed_winner_is_lowered_by_a_prior_award_in_its_group(groups):
    d = g(groups, [{"id": "t", "measure": "talent", "date": "2025-05-01", "project": "p"}],
          history=[{"id": "old", "measure": "city", "date": "2025-01-01", "project": "p", "amount": "200萬"}])
    assert d.result("t").ceiling == Decimal("3000000")
    assert any("deducted" in n for n in d.result("t").trace.find("exclusivity").notes)


def test_quota_places_already_awarded_come_first(groups):
    cases = [{"case": name, "claims": [{"id": "h", "measure": "hit", "date": "2025-05-01", "sales": sales}]}
             for name, sales in [("a", "2000萬"), ("b", "9000萬")]]
    decisions = groups.evaluate_many(cases, awarded={("hit", 2025): 1})
    status = {d.case: d.results[0].status for d in decisions}
    assert status == {"b": "eligible", "a": "ineligible"}
    assert decisions[1].results[0].quota["position"] == 2


GUARDED = """\
article: 一
measures:
  - id: m
    title: m
    facts: {claim.units: {type: number}, claim.spend: {type: money}}
    values:
      per_unit: claim.spend / claim.units
    conditions:
      - {id: small, when: claim.units == 0 or per_unit < 10萬}
    amount: 1萬
  - id: unguarded
    title: u
    facts: {claim.units: {type: number}, claim.spend: {type: money}}
    amount: claim.spend / claim.units
"""


def test_tracing_never_changes_a_decision(tmp_path):
    policy = make_policy(tmp_path, {"r": GUARDED})
    case = {"claims": [{"id": "c", "measure": "m", "date": "2025-05-01", "units": 0, "spend": "5萬"}]}
    on, off = policy.evaluate(case, trace=True), policy.evaluate(case, trace=False)
    assert on.result("c").status == off.result("c").status == "eligible"
    node = on.result("c").trace.find("condition", "small")
    assert str(node.inputs["per_unit"]) == "<not computed: division by zero>"
    assert node.to_dict()["inputs"]["per_unit"] == "<not computed: division by zero>"


def test_evaluation_error_names_the_step_and_its_position(tmp_path):
    policy = make_policy(tmp_path, {"r": GUARDED})
    case = {"claims": [{"id": "c", "measure": "unguarded", "date": "2025-05-01", "units": 0, "spend": "5萬"}]}
    with pytest.raises(EvaluationError) as info:
        policy.evaluate(case)
    p = info.value.problems[0]
    assert p.message == "the amount of measure `unguarded` cannot be computed: division by zero"
    assert (p.location.line, p.location.column) == (14, 13)
    assert "guard the division" in p.hint
    # named as a decision names it (the policy and its file), and the rendering still echoes the line
    assert p.location.file.endswith("/r.yaml") and not p.location.file.startswith(str(tmp_path))
    assert "amount: claim.spend / claim.units" in info.value.render().splitlines()[1]


def test_readings_sit_under_the_step_they_are_about(tmp_path):
    policy = make_policy(tmp_path, {"r": """\
        article: 一
        measures:
          - id: m
            title: m
            basis: maximum
            amount: 1萬
            readings:
              - {zh: 金額解讀, en: how the amount is read, about: amount}
              - {zh: 其他, en: something general}
        """}, extra="""\
        readings:
          - {zh: 上限, en: at most is a ceiling, about: "basis:maximum"}
          - {zh: 無關, en: nothing in this trace, about: nowhere}
        """)
    trace = policy.evaluate({"claims": [{"id": "c", "measure": "m", "date": "2025-05-01"}]}).result("c").trace
    amount = trace.find("amount")
    assert [n.label.en for n in amount.children] == ["how the amount is read", "at most is a ceiling"]
    top_level = [n.label.en for n in trace.children if n.kind == "reading"]
    assert top_level == ["something general"]
    assert "nothing in this trace" not in str(trace.to_dict())


def test_as_of_is_the_date_of_claims_without_one_and_is_reported(voucher):
    from datetime import date

    d = voucher.evaluate({"applicant": {"kind": "enterprise", "annual_revenue": "5億"},
                          "claims": [{"id": "c", "measure": "voucher", "spend": "100萬", "ok": True}]},
                         as_of=date(2026, 8, 1))
    assert d.result("c").amount == Decimal("250000.00")  # the rate from 2026-07-01
    assert d.to_dict()["as_of"] == "2026-08-01"
    assert any("decided as of 2026-08-01" in n for n in d.result("c").trace.notes)


def test_evaluate_many_names_cases_without_an_id(groups):
    decisions = groups.evaluate_many([{"claims": []}, {"claims": []}])
    assert [d.case for d in decisions] == ["case-1", "case-2"]


@pytest.mark.parametrize("rules,codes", [
    ("values: {base: 'claim.spend *'}\n    amount: base * 30%", ["syntax"]),
    ("amount: claim.spend *", ["syntax"]),
    ("tables:\n      t:\n        rows:\n          - {when: 'claim.spend >', set: {r: 30%}}\n"
     "          - {otherwise: true, set: {r: 20%}}\n    amount: claim.spend * t.r", ["syntax"]),
    ("values: {then: 1}\n    amount: 1萬", ["bad-format"]),
])
def test_a_syntax_error_gives_one_message_not_a_cascade(tmp_path, rules, codes):
    from ordinance import PolicyError

    text = f"article: 一\nmeasures:\n  - id: m\n    title: m\n    facts: {{claim.spend: {{type: money}}}}\n    {rules}\n"
    with pytest.raises(PolicyError) as info:
        make_policy(tmp_path, {"r": text})
    assert info.value.codes == codes

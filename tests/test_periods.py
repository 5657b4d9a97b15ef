"""Facts that change from year to year (issue 14, section 2): an applicant fact declared
``per: year`` may be given year by year; each measure reads the year its period names; a year
not given is unknown (never another year's value, never zero); mistakes are named with their
place, in cases and in rule files."""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from decimal import Decimal

import pytest

from ordinance import CaseError, PolicyError, default_policy
from ordinance.cases import read_case_text
from ordinance.cases.read import read_case, read_plain_case
from ordinance.periods import PERIODS, ByYear, value_for
from policy_factory import write_policy


@pytest.fixture(scope="module")
def policy():
    return default_policy()


def voucher_case(revenue, *days, kind="enterprise", spend="800萬"):
    return {"applicant": {"kind": kind, "annual_revenue": revenue},
            "claims": [{"id": f"c{i + 1}", "measure": "compute-voucher", "date": day, "compute_spend": spend,
                        "service_qualified": True} for i, day in enumerate(days)]}


# -- the one function that picks a year ---------------------------------------------------------

def test_value_for_reads_the_year_its_period_names_and_nothing_else():
    by_year = ByYear({2024: Decimal(1), 2025: Decimal(2)}, "money")
    before, same = PERIODS["year-before-claim"], PERIODS["claim-year"]
    assert value_for(by_year, before, _dt.date(2025, 12, 31)) == 1
    assert value_for(by_year, before, _dt.date(2026, 1, 1)) == 2
    assert value_for(by_year, same, _dt.date(2025, 1, 1)) == 2
    assert value_for(by_year, before, _dt.date(2027, 1, 1)) is None  # 2026 not given: no fallback to 2025
    assert value_for(by_year, before, None) is None  # undated: the year cannot be told
    assert value_for(Decimal(7), before, None) == 7  # one value: read for every year


# -- decisions at the year boundary -------------------------------------------------------------

def test_the_tier_follows_the_year_before_the_claim(policy):
    # 2024: 8000萬 (below 1億: 50%, at most 200萬); 2025: 1.2億 (40%, at most 500萬)
    decision = policy.evaluate(voucher_case({2024: "8000萬", 2025: "1.2億"}, "2025-12-31", "2026-01-01"))
    dec, jan = decision.results
    assert (dec.status, dec.amount) == ("eligible", Decimal("2000000.00"))
    assert (jan.status, jan.amount) == ("eligible", Decimal("3200000.00"))
    period = dec.trace.find("period", "applicant.annual_revenue")
    assert period.inputs["year read"] == 2024 and period.result == Decimal("80000000")
    assert "year-before-claim" in period.notes[0] and "2024" in period.notes[0]
    assert jan.trace.find("period", "applicant.annual_revenue").inputs["year read"] == 2025
    # the row that read it shows the year's value
    row = jan.trace.find("row", "tier[3]")
    assert row.inputs["applicant.annual_revenue"] == Decimal("120000000") and row.status == "true"


def test_a_missing_year_is_unknown_and_named_with_its_year(policy):
    decision = policy.evaluate(voucher_case({"2024": "8000萬"}, "2025-12-31", "2026-01-01"))
    dec, jan = decision.results
    assert dec.status == "eligible"
    assert (jan.status, jan.amount, jan.missing) == ("undetermined", None, ["applicant.annual_revenue[2025]"])
    assert jan.reasons[0]["code"] == "missing-facts"
    node = jan.trace.find("period", "applicant.annual_revenue")
    assert node.status == "undetermined" and any("no other year" in n for n in node.notes)
    # a null year is the same as a year left out
    assert policy.decide(voucher_case({2024: "8000萬", 2025: None}, "2026-01-01")).results[0].missing == \
        ["applicant.annual_revenue[2025]"]


def test_a_university_needs_no_revenue_for_any_year(policy):
    result = policy.decide(voucher_case({2024: "8000萬"}, "2026-06-01", kind="university")).results[0]
    assert (result.status, result.amount) == ("eligible", Decimal("2000000.00"))


def test_a_plain_value_is_read_for_every_year(policy):
    results = policy.evaluate(voucher_case("1.2億", "2025-12-31", "2026-01-01")).results
    assert [r.amount for r in results] == [Decimal("3200000.00"), Decimal("3200000.00")]
    node = results[0].trace.find("period", "applicant.annual_revenue")
    assert any("one value is given for every year" in n for n in node.notes)


def test_an_undated_claim_waits_for_its_date_and_as_of_tells_the_year(policy):
    data = voucher_case({2024: "8000萬", 2025: "1.2億"}, None)
    del data["claims"][0]["date"]
    assert policy.decide(data).results[0].missing == ["claim.date"]
    assert policy.evaluate(data).results[0].missing == ["claim.date"]
    decided = policy.evaluate(data, as_of=_dt.date(2026, 3, 1)).results[0]
    assert (decided.status, decided.amount) == ("eligible", Decimal("3200000.00"))


def test_the_generated_code_decides_per_year_cases_and_declines_a_missing_year_counted(policy):
    before = Counter(policy.engine.counts)
    policy.decide(voucher_case({2024: "8000萬", 2025: "1.2億"}, "2025-12-31", "2026-01-01"))
    assert policy.engine.counts - before == Counter(generated=1)
    before = Counter(policy.engine.counts)
    policy.decide(voucher_case({2024: "8000萬"}, "2026-01-01"))
    assert policy.engine.counts - before == Counter({"declined:fact-missing": 1, "reference": 1})


# -- reading cases -------------------------------------------------------------------------------

def test_both_readers_read_years_as_int_or_text(policy):
    for revenue in ({2024: "8000萬", 2025: 120_000_000}, {"2024": "8000萬", "2025": "1.2億"}):
        data = voucher_case(revenue, "2025-06-01")
        full = read_case(data, policy)
        assert full.applicant["applicant.annual_revenue"] == ByYear(
            {2024: Decimal(80_000_000), 2025: Decimal(120_000_000)})
        assert read_plain_case(data, policy) == full


@pytest.mark.parametrize("revenue,code,path,hint", [
    ({24: "1億"}, "bad-year", "applicant.annual_revenue.24", "four digits"),
    ({"twenty": "1億"}, "bad-year", "applicant.annual_revenue.twenty", "four digits"),
    ({"02024": "1億"}, "bad-year", "applicant.annual_revenue.02024", "four digits"),
    ({True: "1億"}, "bad-year", "applicant.annual_revenue.True", "four digits"),
    ({2024: "1億", "2024": "2億"}, "duplicate-year", "applicant.annual_revenue.2024", "once"),
    ({2025: "5 billion"}, "wrong-type", "applicant.annual_revenue.2025", "500萬"),
    ({2025: "-5萬"}, "wrong-type", "applicant.annual_revenue.2025", "negative"),
    ({2025: {"q1": "1億"}}, "wrong-type", "applicant.annual_revenue.2025", "one value per year"),
])
def test_bad_years_and_values_are_refused_with_their_path(policy, revenue, code, path, hint):
    data = voucher_case(revenue, "2025-06-01")
    assert read_plain_case(data, policy) is None
    with pytest.raises(CaseError) as info:
        policy.decide(data)
    [problem] = info.value.problems
    assert (problem.code, problem.path) == (code, path)
    assert hint in problem.hint


def test_a_value_by_year_for_a_fact_not_declared_per_year_is_refused(policy):
    data = voucher_case("5億", "2025-06-01")
    data["applicant"]["kind"] = {2025: "enterprise"}
    with pytest.raises(CaseError) as info:
        policy.decide(data)
    [problem] = info.value.problems
    assert (problem.code, problem.path) == ("not-per-year", "applicant.kind")
    assert "per: year" in problem.hint and "applicant.annual_revenue" in problem.hint


def test_errors_in_a_case_file_point_at_the_year(policy):
    text = ("applicant:\n  kind: enterprise\n  annual_revenue:\n    2024: 8000萬\n    2025: lots\n    25: 1億\n"
            "claims:\n  - {measure: compute-voucher, date: 2025-06-01}\n")
    with pytest.raises(CaseError) as info:
        read_case_text(text, "case.yaml", policy)
    found = [(str(p.location), p.code, p.path) for p in info.value.problems]
    assert found == [("case.yaml:5:11", "wrong-type", "applicant.annual_revenue.2025"),
                     ("case.yaml:6:5", "bad-year", "applicant.annual_revenue.25")]


def test_the_case_schema_takes_years_only_for_facts_declared_per_year(policy):
    import jsonschema

    validator = jsonschema.Draft202012Validator(policy.case_schema())
    ok = voucher_case({"2024": "8000萬", "2025": None}, "2025-06-01")
    assert not list(validator.iter_errors(ok))
    assert list(validator.iter_errors(voucher_case({"24": "1億"}, "2025-06-01")))
    bad_kind = voucher_case("5億", "2025-06-01")
    bad_kind["applicant"]["kind"] = {"2025": "enterprise"}
    assert list(validator.iter_errors(bad_kind))


# -- rule files ----------------------------------------------------------------------------------

def _policy_text(tmp_path, declaration: str, same_year: str = ""):
    """A policy of two measures reading the revenue: ``declaration`` is added to the manifest's
    declaration of `applicant.annual_revenue`, ``same_year`` to the second measure."""
    rule = ("article: 一\nmeasures:\n"
            "  - id: grant\n    title: {zh: 補助, en: grant}\n    amount: applicant.annual_revenue * 10%\n"
            "  - id: same-year\n    title: {zh: 當年補助, en: grant of the year}\n"
            "    amount: applicant.annual_revenue * 10%\n" + (same_year + "\n" if same_year else ""))
    root = write_policy(tmp_path / "p", {"r": rule})
    manifest = root / "policy.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        "applicant.annual_revenue: {type: money}", f"applicant.annual_revenue: {{type: money{declaration}}}"),
        encoding="utf-8")
    return root


def _problems(root):
    from ordinance import load_policy

    with pytest.raises(PolicyError) as info:
        load_policy(root)
    return [(p.code, str(p.location).split("/")[-1], p.hint) for p in info.value.problems]


def test_a_measure_may_read_another_period_and_both_back_ends_agree(tmp_path):
    from ordinance import load_policy

    root = _policy_text(tmp_path, ", per: year, period: year-before-claim",
                        same_year="    periods: {applicant.annual_revenue: claim-year}")
    policy = load_policy(root)
    assert policy.plans["grant"].periods["applicant.annual_revenue"].name == "year-before-claim"
    assert policy.plans["same-year"].periods["applicant.annual_revenue"].name == "claim-year"
    data = {"applicant": {"annual_revenue": {2025: "100萬", 2026: "300萬"}},
            "claims": [{"id": "a", "measure": "grant", "date": "2026-05-01"},
                       {"id": "b", "measure": "same-year", "date": "2026-05-01"}]}
    traced = policy.evaluate(data)
    assert [r.amount for r in traced.results] == [Decimal("100000.00"), Decimal("300000.00")]
    before = Counter(policy.engine.counts)
    fast = policy.decide(data)
    assert policy.engine.counts - before == Counter(generated=1)
    assert fast.to_json() == policy.evaluate(data, trace=False).to_json()
    assert policy.decide({**data, "applicant": {"annual_revenue": {2026: "300萬"}}}).results[0].missing == \
        ["applicant.annual_revenue[2025]"]


@pytest.mark.parametrize("declaration,same_year,code,where,hint", [
    (", period: year-before-claim", "", "not-per-year", "policy.yaml:10:", "add `per: year`"),
    (", per: year", "", "period-needed", "policy.yaml:10:", "period: year-before-claim"),
    (", per: year, period: fiscal", "", "unknown-period", "policy.yaml:10:", "one of: claim-year"),
    (", per: year, period: claim-yaer", "", "unknown-period", "policy.yaml:10:", "claim-year"),
    ("", "    periods: {applicant.annual_revenue: claim-year}", "not-per-year", "r.yaml:",
     "declare `per: year`"),
    (", per: year, period: claim-year", "    periods: {applicant.annual_revenue: year-befor-claim}",
     "unknown-period", "r.yaml:", "year-before-claim"),
    (", per: year, period: claim-year", "    periods: {applicant.kind: claim-year}", "not-per-year",
     "r.yaml:", "declare `per: year`"),
    (", per: year, period: claim-year", "    periods: {applicant.revenue: claim-year}", "unknown-name",
     "r.yaml:", "applicant.annual_revenue"),
    ("", "    facts:\n      claim.spend: {type: money, per: year, period: claim-year}", "not-per-year",
     "r.yaml:", "remove `per:`"),
])
def test_the_checker_refuses_periods_it_cannot_read(tmp_path, declaration, same_year, code, where, hint):
    root = _policy_text(tmp_path, declaration, same_year=same_year)
    problems = _problems(root)
    assert any(c == code and loc.startswith(where) and h and hint in h for c, loc, h in problems), problems
    # file:line:col
    assert all(loc.count(":") == 2 for c, loc, h in problems if c == code), problems


def test_the_rules_schema_takes_per_year_only(tmp_path):
    root = _policy_text(tmp_path, ", per: month, period: claim-year")
    problems = _problems(root)
    assert problems and all(loc.startswith("policy.yaml:10:") for _, loc, _ in problems), problems


def test_the_bundled_policy_reads_the_revenue_of_the_year_before_the_claim(policy):
    fact = policy.applicant_facts["applicant.annual_revenue"]
    assert (fact.per, fact.period) == ("year", "year-before-claim")
    readers = {key: p.plan.periods for key, p in policy.programs.items() if p.plan.periods}
    assert readers == {"compute-voucher": {"applicant.annual_revenue": PERIODS["year-before-claim"]}}


def test_policies_loaded_together_declare_a_per_year_fact_alike(tmp_path):
    from ordinance import load_policy

    a = _policy_text(tmp_path / "a", ", per: year, period: year-before-claim")
    b = write_policy(tmp_path / "b", {"r": "article: 一\nmeasures:\n  - id: other\n    title: {zh: 其他, en: other}\n"
                                           "    amount: applicant.annual_revenue * 1%\n"}, id="other-policy")
    with pytest.raises(PolicyError) as info:
        load_policy([a, b])
    assert [p.code for p in info.value.problems] == ["fact-conflict"]

"""Reading cases: conversions, and every mistake named with its path, all reported together."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ordinance import CaseError, default_policy
from ordinance.cases import read_case_text


@pytest.fixture(scope="module")
def policy():
    return default_policy()


def case_with(**claim):
    return {"applicant": {"kind": "enterprise", "annual_revenue": "5億"},
            "claims": [{"id": "c1", "measure": "compute-voucher", "date": "2025-06-01", **claim}]}


@pytest.mark.parametrize("written,yuan", [
    ("5億", "500000000"), ("5亿", "500000000"), ("500萬元", "5000000"), ("3.5億元", "350000000"),
    (500000000, "500000000"), ("500000000", "500000000"), ("1_000", "1000"), ("12.34", "12.34"),
    ("100元", "100"), (Decimal("0.01"), "0.01"),
])
def test_amounts_may_be_written_like_the_statute(policy, written, yuan):
    case = policy.read_case(case_with(compute_spend=written))
    assert case.claims[0].facts["claim.compute_spend"] == Decimal(yuan)


@pytest.mark.parametrize("value,hint_part", [
    ("abc", "500萬"), (-5, "negative"), ("NaN", "finite"), ("1e400", "range"), (True, None), ([1], None),
])
def test_bad_money_is_refused_with_its_path(policy, value, hint_part):
    with pytest.raises(CaseError) as info:
        policy.read_case(case_with(compute_spend=value))
    p = info.value.problems[0]
    assert (p.code, p.path) == ("wrong-type", "claims[0].compute_spend")
    assert "money" in p.message
    if hint_part:
        assert hint_part in p.hint


def test_unknown_measure_and_fact_get_did_you_mean(policy):
    with pytest.raises(CaseError) as info:
        policy.read_case({"applicant": {"kind": "enterprise", "anual_revenue": 1},
                          "claims": [{"id": "a", "measure": "compute-vouchr", "date": "2025-06-01"},
                                     {"id": "b", "measure": "compute-voucher", "date": "2025-06-01",
                                      "compute_spnd": 1}]})
    by_code = {p.code: p for p in info.value.problems}
    assert set(by_code) == {"unknown-fact", "unknown-measure"}
    assert "compute-voucher" in by_code["unknown-measure"].hint
    hints = " ".join(p.hint or "" for p in info.value.problems)
    assert "annual_revenue" in hints and "compute_spend" in hints
    assert len(info.value.problems) == 3  # all at once


def test_date_that_does_not_exist(policy):
    with pytest.raises(CaseError) as info:
        policy.read_case(case_with(date="2025-02-30"))
    assert info.value.problems[0].path == "claims[0].date"


def test_enum_value_with_did_you_mean(policy):
    with pytest.raises(CaseError) as info:
        policy.read_case({"applicant": {"kind": "universty"}, "claims": []})
    assert "university" in info.value.problems[0].hint


def test_duplicate_claim_ids_and_missing_claims(policy):
    with pytest.raises(CaseError) as info:
        policy.read_case({"claims": [{"id": "x", "measure": "compute-voucher"},
                                     {"id": "x", "measure": "compute-voucher"}]})
    assert info.value.codes == ["duplicate-claim"]
    with pytest.raises(CaseError) as info:
        policy.read_case({"applicant": {}})
    assert info.value.codes == ["missing-key"]
    with pytest.raises(CaseError):
        policy.read_case(["not", "a", "mapping"])


def test_errors_in_a_case_file_carry_line_and_column(policy):
    text = "applicant:\n  kind: enterprise\nclaims:\n  - id: c1\n    measure: compute-voucher\n" \
           "    date: 2025-06-01\n    compute_spend: lots\n"
    with pytest.raises(CaseError) as info:
        read_case_text(text, "case.yaml", policy)
    p = info.value.problems[0]
    assert (str(p.location), p.path) == ("case.yaml:7:20", "claims[0].compute_spend")
    assert "    compute_spend: lots" in info.value.render()


def test_null_fact_counts_as_missing(policy):
    d = policy.evaluate(case_with(compute_spend=None, service_qualified=True))
    assert d.results[0].missing == ["claim.compute_spend"]


def test_a_fact_of_another_measure_is_named_as_such(policy):
    with pytest.raises(CaseError) as info:
        policy.read_case(case_with(model_spend="1萬"))
    assert info.value.problems[0].hint == "`model_spend` is a fact of model-voucher, not of compute-voucher"


def test_negative_money_written_with_a_unit(policy):
    with pytest.raises(CaseError) as info:
        policy.read_case(case_with(compute_spend="-5億"))
    assert "negative" in info.value.problems[0].hint


def test_list_items_are_named(tmp_path):
    from policy_factory import make_policy

    p = make_policy(tmp_path, {"r": """\
        article: 一
        measures:
          - id: m
            title: m
            facts: {claim.amounts: {type: list of money}, claim.share: {type: rate}}
            amount: sum(claim.amounts) * claim.share
        """})
    with pytest.raises(CaseError) as info:
        p.read_case({"claims": [{"id": "c", "measure": "m", "amounts": ["10萬", "lots"], "share": 30}]})
    hints = [x.hint for x in info.value.problems]
    assert any("item 2 (the text 'lots') is not money" in h for h in hints)
    assert any("write 30% if you mean it" in h for h in hints)  # 30 would be 3000%
    ok = p.evaluate({"claims": [{"id": "c", "measure": "m", "date": "2025-05-01", "amounts": ["10萬", 5],
                                 "share": "30%"}]})
    assert ok.results[0].amount == Decimal("30001.50")


def test_prior_awards_that_would_count_for_nothing_are_refused(policy):
    base = {"applicant": {"kind": "enterprise"}, "claims": []}
    with pytest.raises(CaseError) as info:
        policy.read_case({**base, "history": [{"policy": "old", "measure": "old-voucher", "date": "2025-01-01",
                                               "amount": 1}]})
    assert "group:" in info.value.problems[0].message
    with pytest.raises(CaseError) as info:
        policy.read_case({**base, "history": [{"measure": "platform-national", "date": "2025-05-01",
                                               "amount": "3000萬"}]})
    assert "needs `project:`" in info.value.problems[0].message


def test_a_case_may_name_its_schema(policy):
    case = case_with(compute_spend="1萬", service_qualified=True)
    case["$schema"] = "./case.schema.json"
    assert policy.evaluate(case).results[0].status == "eligible"


# -- the plain-case reader (the fast path of Policy.read_case) ---------------------------------

def _all_bundled_case_data():
    from ordinance.policy import bundled_policy_dir
    from ordinance.testing import collect

    out = []
    for test in collect(bundled_policy_dir()):
        spec = test.spec
        out.extend(spec["cases"] if "cases" in spec else [spec.get("case")])
    return out


_ODD_CASES = [
    None, [], "text", {"claims": None}, {"claims": "c1"}, {"claims": [], "surprise": 1},
    {"case": 7, "claims": []}, {"applicant": [], "claims": []},
    {"applicant": {"kind": "enterprise", "annual_revenu": 1}, "claims": []},
    {"claims": [{"id": "c1", "measure": "compute-voucher"}, {"id": "c1", "measure": "compute-voucher"}]},
    {"claims": [{"id": 1, "measure": "compute-voucher"}]}, {"claims": [{"measure": "compute-vouchr"}]},
    {"claims": [{"measure": ["compute-voucher"]}]}, {"claims": [{"measure": "compute-voucher", "project": 3}]},
    {"claims": [{"measure": "compute-voucher", "date": "2025-02-30"}]},
    {"claims": [{"measure": "compute-voucher", "compute_spend": "-5元"}]},
    {"claims": [{"measure": "compute-voucher", "model_spend": "5元"}]},
    {"claims": [{"measure": "compute-voucher"}], "history": "h1"},
    {"claims": [{"measure": "compute-voucher"}], "history": [{"measure": "compute-voucher"}]},
    {"claims": [{"measure": "compute-voucher", "date": None, "compute_spend": None}], "note": "n"},
    *[{"claims": [{"id": "c1", "measure": "compute-voucher"}], "history": [award]} for award in [
        {"measure": "compute-voucher", "date": "2025-04-01", "amount": "50萬"},
        {"id": "h9", "measure": "compute-voucher", "date": "2025-04-01", "amount": 500000, "pool": "p", "note": "x"},
        {"measure": "rd-city", "date": "2025-04-01", "amount": "50萬"},  # exclusive: needs its project
        {"measure": "rd-city", "date": "2025-04-01", "amount": "50萬", "project": "p1"},
        {"measure": "rd-city", "date": "2025-04-01", "amount": "50萬", "project": 7},
        {"measure": "rd-city", "date": "2025-04-01", "amount": "50萬", "project": "p1", "group": "other"},
        {"id": 3, "measure": "compute-voucher", "date": "2025-04-01", "amount": "50萬"},
        {"measure": "compute-voucher", "date": "2025-04-31", "amount": "50萬"},
        {"measure": "compute-voucher", "date": "2025-04-01", "amount": "-50萬"},
        {"measure": "compute-voucher", "date": "2025-04-01"},
        {"measure": "compute-voucher", "amount": "50萬"},
        {"measure": "elsewhere", "date": "2025-04-01", "amount": "50萬", "policy": "other", "group": "g"},
        {"pool": "compute", "date": "2025-04-01", "amount": "50萬"},
        {"measure": "compute-voucher", "date": "2025-04-01", "amount": "50萬", "surprise": 1},
        {"measure": "compute-voucher", "date": "2025-04-01", "amount": "50萬", "group": ["g"]},
        "h1",
    ]],
]


@pytest.mark.parametrize("data", _all_bundled_case_data() + _ODD_CASES)
def test_the_plain_reader_agrees_with_the_full_reader_or_declines(policy, data):
    from ordinance.cases.read import read_case, read_plain_case

    plain = read_plain_case(data, policy)
    try:
        full = read_case(data, policy)
    except CaseError:
        assert plain is None, "the plain reader accepted a case the full reader refuses"
        return
    assert plain is None or plain == full


def test_the_plain_reader_reads_the_common_cases(policy):
    from ordinance.cases.read import read_plain_case

    cases = [c for c in _all_bundled_case_data() if c is not None]
    read = [c for c in cases if read_plain_case(c, policy) is not None]
    assert len(read) >= 0.8 * len(cases), f"only {len(read)} of {len(cases)}"

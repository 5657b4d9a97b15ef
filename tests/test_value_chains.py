"""A chain of named values (``v2: v1 + 1元``, ``v3: v2 + 1元``, ...) or of decision tables of any
length, or a short chain of deeply nested values: checked, compiled, decided and traced with no
call inside a call per value (issue 15: about 150 values hit Python's recursion limit, exit 3
and HTTP 500).  The reference interpreter and the generated code agree, the generated code
really decides, and a deep value is computed only when it is read, as a shallow one."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from click.testing import CliRunner

from ordinance.cli.main import main
from ordinance.plan.steps import DEEP
from ordinance.run.reference import evaluate_case
from ordinance.cases.read import read_case
from policy_factory import make_policy, write_policy

N = 1000


def chain_rules(n: int, branch: bool = False) -> str:
    values = ["      v1: {expr: claim.x}"] + [f"      v{i}: {{expr: v{i - 1} + 1元}}" for i in range(2, n + 1)]
    if branch:  # a value the amount reads only when the flag is false; it divides by zero
        values.append("      bad: {expr: v%d * (1元 / (claim.x - claim.x))}" % n)
        amount = f"if claim.flag then v{n} else bad"
    else:
        amount = f"v{n}"
    facts = "      claim.x: {type: money}\n" + ("      claim.flag: {type: bool}\n" if branch else "")
    return (f"article: 一\nmeasures:\n  - id: m\n    title: {{zh: 測, en: m}}\n    facts:\n{facts}"
            f"    values:\n" + "\n".join(values) + f"\n    amount: {amount}\n")


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    return make_policy(tmp_path_factory.mktemp("chain"), {"m": chain_rules(N)})


def case(**facts):
    return {"claims": [{"id": "c1", "measure": "m", "date": "2025-06-01", **facts}]}


def test_a_thousand_values_check_and_decide_on_both_back_ends(chain):
    before = Counter(chain.engine.counts)
    fast = chain.decide(case(x="1萬"))
    assert chain.engine.counts - before == Counter(generated=1)  # the generated code decided it
    assert fast.results[0].amount == Decimal(10000 + N - 1)
    slow = evaluate_case(chain, read_case(case(x="1萬"), chain), trace=False)
    assert slow == fast


def test_a_thousand_values_traced_and_undetermined(chain):
    traced = chain.evaluate(case(x="1萬"))
    assert traced.results[0].amount == Decimal(10000 + N - 1)
    assert sum(1 for n in traced.results[0].trace.walk() if n.kind == "value") == N
    missing = chain.evaluate(case())
    assert missing.results[0].status == "undetermined" and list(missing.results[0].missing) == ["claim.x"]


def test_a_branch_not_taken_is_not_computed_in_a_deep_chain(tmp_path):
    """A value that fails (division by zero) fails the claim only where it is read."""
    policy = make_policy(tmp_path / "p", {"m": chain_rules(DEEP, branch=True)})
    for trace in (True, False):
        ok = policy.evaluate(case(x="1萬", flag=True), trace=trace)
        assert ok.results[0].amount == Decimal(10000 + DEEP - 1)
    from ordinance import EvaluationError
    with pytest.raises(EvaluationError, match="division by zero"):
        policy.evaluate(case(x="1萬", flag=False))


def test_the_command_line_checks_a_long_chain(tmp_path):
    root = write_policy(tmp_path / "p", {"m": chain_rules(N)})
    result = CliRunner().invoke(main, ["check", str(root)])
    assert result.exit_code == 0 and "internal error" not in result.output, result.output


def _decided_alike(policy, facts, amount):
    """Both back-ends give ``amount``, the generated code deciding; return the traced decision."""
    before = Counter(policy.engine.counts)
    fast = policy.decide(case(**facts))
    assert policy.engine.counts - before == Counter(generated=1)
    assert fast.results[0].amount == amount
    assert evaluate_case(policy, read_case(case(**facts), policy), trace=False) == fast
    traced = policy.evaluate(case(**facts))
    assert traced.results[0].amount == amount
    return traced


def table_chain_rules(n: int) -> str:
    tables = []
    for i in range(1, n + 1):
        prev = "claim.x" if i == 1 else f"t{i - 1}.y"
        tables.append(f"      t{i}:\n        rows:\n          - when: {prev} > 0元\n            set: {{y: {prev} + 1元}}\n"
                      f"          - otherwise: true\n            set: {{y: 0元}}")
    return ("article: 一\nmeasures:\n  - id: m\n    title: {zh: 測, en: m}\n    facts:\n      claim.x: {type: money}\n"
            "    tables:\n" + "\n".join(tables) + f"\n    amount: t{n}.y\n")


def test_a_chain_of_a_thousand_tables_checks_and_decides_on_both_back_ends(tmp_path):
    root = write_policy(tmp_path / "p", {"m": table_chain_rules(N)})
    result = CliRunner().invoke(main, ["check", str(root)])
    assert result.exit_code == 0 and "internal error" not in result.output, result.output
    policy = make_policy(tmp_path / "q", {"m": table_chain_rules(N)})
    traced = _decided_alike(policy, {"x": "1萬"}, Decimal(10000 + N))
    assert sum(1 for n in traced.results[0].trace.walk() if n.kind == "table") == N
    missing = policy.evaluate(case())
    assert missing.results[0].status == "undetermined" and list(missing.results[0].missing) == ["claim.x"]


def test_a_short_chain_of_deeply_nested_values(tmp_path):
    """30 values each nested 90 deep: as deep on Python's stack as 2,700 values in a chain."""
    def nest(x):
        return "(" * 90 + x + " + 1元)" * 90
    values = [f"      v{i}: {nest('claim.x' if i == 1 else f'v{i - 1}')}" for i in range(1, 31)]
    rules = ("article: 一\nmeasures:\n  - id: m\n    title: {zh: 測, en: m}\n    facts:\n      claim.x: {type: money}\n"
             "    values:\n" + "\n".join(values) + "\n    amount: v30\n")
    _decided_alike(make_policy(tmp_path / "p", {"m": rules}), {"x": "1萬"}, Decimal(10000 + 30 * 90))


def test_a_deep_value_reads_only_the_branch_it_takes(tmp_path):
    """Inside a deep chain, a value in the branch not taken is not computed (its division by zero
    does not fail the claim) and the trace shows exactly the values read, as in a short chain; a
    fact missing half-way leaves the claim undetermined on that fact alone."""
    values = ["      v1: {expr: claim.x}"] + [f"      v{i}: {{expr: v{i - 1} + 1元}}" for i in range(2, N)]
    values += [f"      bad: {{expr: claim.x * (1元 / (claim.x - claim.x))}}",
               f"      v{N}: {{expr: if claim.flag then v{N - 1} + 1元 else bad}}",
               f"      half: {{expr: v{N // 2} + claim.more}}"]
    rules = ("article: 一\nmeasures:\n  - id: m\n    title: {zh: 測, en: m}\n    facts:\n      claim.x: {type: money}\n"
             "      claim.flag: {type: bool}\n      claim.more: {type: money}\n"
             "    values:\n" + "\n".join(values) + f"\n    amount: if claim.more > 0元 then half else v{N}\n")
    policy = make_policy(tmp_path / "p", {"m": rules})
    facts = case(x="1萬", flag=True, more="0元")
    traced = policy.evaluate(facts)
    assert traced.results[0].amount == Decimal(10000 + N - 1)
    assert policy.decide(facts).results[0].amount == traced.results[0].amount  # (the generated code
    # computes every value it may read, and declines to the interpreter for `bad`)
    shown = {n.id for n in traced.results[0].trace.walk() if n.kind == "value"}
    assert shown - {"half"} == {f"v{i}" for i in range(1, N + 1)}  # not `bad` (`half`: the amount's input)
    waiting = policy.evaluate(case(x="1萬", flag=True))
    assert waiting.results[0].status == "undetermined" and list(waiting.results[0].missing) == ["claim.more"]
    from ordinance import EvaluationError
    with pytest.raises(EvaluationError, match="division by zero"):
        policy.evaluate(case(x="1萬", flag=False, more="0元"))


@pytest.mark.parametrize("route", ["/v1/check", "/v1/try", "/v1/compare"])
def test_the_web_api_takes_a_long_chain_as_an_overlay(route):
    """It was an HTTP 500: a thousand values, and a thousand tables, in a rule file sent as an overlay."""
    import json
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    from ordinance.web import create_app

    client = TestClient(create_app(time_limit_seconds=600), raise_server_exceptions=False)
    claim = {"id": "c1", "measure": "m", "date": "2025-06-01", "x": "1萬"}
    the_case = {"applicant": {"kind": "enterprise", "annual_revenue": "5億"}, "claims": [claim]}
    quote = "    quote: 對購買符合條件的智能算力服務的企業、高校、科研機構分檔予以補助\n"  # the bundled policy wants one
    for rules in (chain_rules(N), table_chain_rules(N)):
        rules = rules.replace("    title: {zh: 測, en: m}\n", "    title: {zh: 測, en: m}\n" + quote)
        files = {"files": {"rules/99-chain.yaml": rules}}
        body = {"/v1/check": files, "/v1/try": {**files, "case": the_case},
                "/v1/compare": {"case": the_case, "left": files, "right": files}}[route]
        response = client.post(route, content=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                               headers={"content-type": "application/json"})
        assert response.status_code == 200, response.text[:500]
        data = response.json()
        if route == "/v1/check":
            assert data["problems"] == [], data["problems"][:3]
        elif route == "/v1/try":
            assert data["case_problems"] == [] and data["decision"]["results"][0]["amount"] in ("10999.00", "11000.00")
        else:
            assert data["same"] is True

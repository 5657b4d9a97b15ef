"""A chain of named values (``v2: v1 + 1元``, ``v3: v2 + 1元``, ...) of any length: checked,
compiled, decided and traced with no call inside a call per value (issue 15: about 150 values
hit Python's recursion limit, exit 3 and HTTP 500).  The reference interpreter and the generated
code agree, and the generated code really decides."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from click.testing import CliRunner

from ordinance.cli.main import main
from ordinance.run.interpret import DEEP_CHAIN
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
    """Values are computed ahead, deepest first, in a deep chain; one that fails (division by
    zero) fails the claim only where it is read."""
    policy = make_policy(tmp_path / "p", {"m": chain_rules(DEEP_CHAIN * 3, branch=True)})
    for trace in (True, False):
        ok = policy.evaluate(case(x="1萬", flag=True), trace=trace)
        assert ok.results[0].amount == Decimal(10000 + DEEP_CHAIN * 3 - 1)
    from ordinance import EvaluationError
    with pytest.raises(EvaluationError, match="division by zero"):
        policy.evaluate(case(x="1萬", flag=False))


def test_the_command_line_checks_a_long_chain(tmp_path):
    root = write_policy(tmp_path / "p", {"m": chain_rules(N)})
    result = CliRunner().invoke(main, ["check", str(root)])
    assert result.exit_code == 0 and "internal error" not in result.output, result.output


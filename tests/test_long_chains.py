"""Long chains of one operator (issue 15, "long sums"): ``a + b + c ...`` of 2,000 terms, or
10,000, a long ``+ -`` or ``* /`` chain, 2,000 conditions joined by ``and`` or by ``or``.

Depth is counted as a reader would: a run of operators of one level is one level of the tree
(grammar/ast.py's Chain), so such a chain is no longer refused as ``expression-too-deep`` (it was
from 100 terms), and every stage -- parsing, the checker, the plan, the interpreter, the code
generator, the trace and its renderings -- loops over it.  Both back-ends decide it alike, the
generated code deciding, through the API and the command line; an independent oracle says what
the answer is.  Real nesting still counts, and is still refused past the limit, where it is."""

from __future__ import annotations

import datetime as _dt
import decimal
import json
import random
import re
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ordinance import PolicyError
from ordinance import types as T
from ordinance import values as V
from ordinance.cases.read import read_case
from ordinance.check.checker import Checker, Scope, Symbol
from ordinance.cli.main import main
from ordinance.grammar.parser import MAX_DEPTH, SourceSpan, parse_expression
from ordinance.limits import DEFAULT_LIMITS
from ordinance.run.compile import Undetermined, compile_expression
from ordinance.run.pygen import compile_fast_expression
from ordinance.run.reference import evaluate_case
from policy_factory import make_policy, write_policy
from test_compile import FactResolver

N = 2_000
CENT = Decimal("0.01")
FACTS = {"a": ("money", "12.34元"), "b": ("money", "0.05元"), "c": ("money", "1000元"), "n": ("number", None)}
MONEY = {"a": Decimal("12.34"), "b": Decimal("0.05"), "c": Decimal("1000")}


def rules(amount: str, condition: str | None = None) -> str:
    facts = "".join(f"      claim.{name}: {{type: {kind}}}\n" for name, (kind, _given) in FACTS.items())
    when = f"    conditions:\n      - id: long\n        when: {condition}\n" if condition else ""
    return (f"article: 一\nmeasures:\n  - id: m\n    title: {{zh: 測, en: m}}\n    facts:\n{facts}{when}"
            f"    amount: {amount}\n")


def stepwise(first: Decimal, steps) -> Decimal:
    """The oracle of an arithmetic chain: each step in turn, with Python's decimal module in the
    engine's context (34 digits, half up), then the amount's rounding to the cent."""
    with decimal.localcontext(V.DECIMAL_CONTEXT):
        value = first
        for op, x in steps:
            value = {"+": value + x, "-": value - x, "*": value * x, "/": value / x}[op]
    return value.quantize(CENT, ROUND_HALF_UP)


def _chains():
    """name -> (rules, [(case facts, expected status, expected amount)])."""
    rng = random.Random(15)
    names = [rng.choice("abc") for _ in range(N)]
    out = {}
    # a plain sum of 2,000 terms
    out["sum"] = (rules(" + ".join(f"claim.{x}" for x in names)),
                  [({}, "eligible", stepwise(MONEY[names[0]], [("+", MONEY[x]) for x in names[1:]]))])
    # + and - mixed (more + than -: a negative amount would be floored to nothing)
    ops = [rng.choice("++-") for _ in names[1:]]
    out["plus-minus"] = (rules(f"claim.{names[0]}" + "".join(f" {op} claim.{x}" for op, x in zip(ops, names[1:]))),
                         [({}, "eligible", stepwise(MONEY[names[0]], list(zip(ops, (MONEY[x] for x in names[1:])))))])
    # * and / by numbers, rounded to 34 digits at each step as the oracle is (steered to stay
    # between 10 and a million, so that the amount in cents is neither nothing nor huge)
    factors, size = [], float(MONEY["a"])
    for _ in range(N - 1):
        op, f = "/" if size > 1e6 else "*" if size < 10 else rng.choice("*/"), rng.choice(["1.5", "0.8", "3", "1.01"])
        factors.append((op, f))
        size = size * float(f) if op == "*" else size / float(f)
    out["times-divide"] = (rules("claim.a" + "".join(f" {op} {f}" for op, f in factors)),
                           [({}, "eligible", stepwise(MONEY["a"], [(op, Decimal(f)) for op, f in factors]))])
    # 2,000 conditions joined by `and`: all true, or one of them (in the middle) false
    bounds = list(range(N))
    rng.shuffle(bounds)
    out["and"] = (rules("claim.a", " and ".join(f"claim.n >= {k}" for k in bounds)),
                  [({"n": N - 1}, "eligible", MONEY["a"]), ({"n": N - 2}, "ineligible", Decimal(0))])
    # 2,000 conditions joined by `or`: one of them true, or none
    out["or"] = (rules("claim.a", " or ".join(f"claim.n == {k}" for k in bounds)),
                 [({"n": bounds[N // 2]}, "eligible", MONEY["a"]), ({"n": N + 5}, "ineligible", Decimal(0))])
    return out


CHAINS = _chains()
RUNS = [(name, facts, status, amount) for name, (_rules, runs) in CHAINS.items() for facts, status, amount in runs]


def case(**facts):
    given = {name: value for name, (_kind, value) in FACTS.items() if value is not None}
    return {"claims": [{"id": "c1", "measure": "m", "date": "2025-06-01", **given, **facts}]}


@pytest.fixture(scope="module")
def policies(tmp_path_factory):
    root = tmp_path_factory.mktemp("chains")
    return {name: make_policy(root / name, {"m": text}) for name, (text, _runs) in CHAINS.items()}


def test_the_chains_are_long_and_within_the_length_limit():
    for text, _runs in CHAINS.values():
        formula = text.split("when: ")[1] if "when: " in text else text.split("amount: ")[1]
        formula = formula.splitlines()[0]
        assert len(re.findall(r" (?:[-+*/]|and|or) ", formula)) == N - 1
        assert len(formula) <= DEFAULT_LIMITS.max_expression_length
    # no answer is one a broken chain could give by chance
    assert all(amount > 0 for _name, _facts, status, amount in RUNS if status == "eligible")
    assert len({amount for name, _facts, _status, amount in RUNS if name in ("sum", "plus-minus", "times-divide")}) == 3


@pytest.mark.parametrize("name,facts,status,amount", RUNS)
def test_a_long_chain_decides_alike_on_both_back_ends(policies, name, facts, status, amount):
    policy = policies[name]
    before = Counter(policy.engine.counts)
    fast = policy.decide(case(**facts))
    assert policy.engine.counts - before == Counter(generated=1)  # the generated code decided it
    result = fast.results[0]
    assert (result.status, result.amount) == (status, amount)
    assert evaluate_case(policy, read_case(case(**facts), policy), trace=False) == fast
    traced = policy.evaluate(case(**facts)).results[0]
    assert (traced.status, traced.amount) == (status, amount)
    # the trace shows the formula as written
    text = CHAINS[name][0]
    shown = [n.expression for n in traced.trace.walk() if n.kind in ("condition", "amount")]
    assert shown and all(s in text for s in shown) and max(map(len, shown)) > 4 * N


@pytest.mark.parametrize("name", ["and", "or", "sum"])
def test_a_long_chain_missing_a_fact_is_undetermined(policies, name):
    policy = policies[name]
    data = case()
    if name == "sum":
        del data["claims"][0]["b"]
    decision = policy.evaluate(data, trace=False)
    assert policy.engine.counts["declined:fact-missing"] >= 1  # the generated code hands it on
    missing = ["claim.b"] if name == "sum" else ["claim.n"]
    assert decision.results[0].status == "undetermined" and list(decision.results[0].missing) == missing
    assert policy.evaluate(data).results[0].missing == decision.results[0].missing


@pytest.mark.parametrize("name,facts,status,amount", RUNS)
def test_a_long_chain_through_the_command_line(tmp_path, name, facts, status, amount):
    root = write_policy(tmp_path / "p", {"m": CHAINS[name][0]})
    result = CliRunner().invoke(main, ["check", str(root)])
    assert result.exit_code == 0 and result.output.startswith("ok: test-policy: 1 measures"), result.output
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case(**facts)), encoding="utf-8")
    for trace in ("--trace", "--no-trace"):  # the reference, and the generated code
        result = CliRunner().invoke(main, ["eval", "--policy", str(root), str(path), "--format", "json", trace])
        assert result.exit_code == 0, result.output
        decided = json.loads(result.output)["results"][0]
        assert decided["status"] == status
        assert Decimal(decided["amount"]) == amount


def test_ten_thousand_terms(tmp_path):
    """As long as the length limit allows: a named value read 10,000 times."""
    amount = " + ".join(["v"] * 10_000)
    assert len(amount) <= DEFAULT_LIMITS.max_expression_length
    text = rules(amount).replace("    amount:", "    values:\n      v: claim.a - claim.b\n    amount:")
    policy = make_policy(tmp_path / "p", {"m": text})
    fast = policy.decide(case())
    assert policy.engine.counts == Counter(generated=1)
    assert fast.results[0].amount == (MONEY["a"] - MONEY["b"]) * 10_000
    assert evaluate_case(policy, read_case(case(), policy), trace=False) == fast
    assert policy.evaluate(case()).results[0].amount == fast.results[0].amount


# -- real nesting still counts --------------------------------------------------------------------

def test_deep_real_nesting_is_refused_where_it_is(tmp_path):
    """101 nested parentheses, each holding a sum: 102 levels, over the limit of 100."""
    nested = "(" * (MAX_DEPTH + 1) + "claim.a" + " + claim.b)" * (MAX_DEPTH + 1)
    root = write_policy(tmp_path / "p", {"m": rules(nested)})
    with pytest.raises(PolicyError) as info:
        make_policy(tmp_path / "p", {"m": rules(nested)})
    [problem] = info.value.problems
    assert problem.code == "expression-too-deep" and problem.location.file.endswith("m.yaml")
    assert (problem.location.line, problem.location.column) == (10, 13)  # where the amount's formula starts
    result = CliRunner().invoke(main, ["check", str(root)])
    assert result.exit_code == 1 and "m.yaml:10:13: expression-too-deep" in result.stderr, result.stderr
    # one level fewer is accepted
    ok = "(" * (MAX_DEPTH - 2) + "claim.a" + " + claim.b)" * (MAX_DEPTH - 2)
    assert make_policy(tmp_path / "q", {"m": rules(ok)}).decide(case()).results[0].amount == \
        MONEY["a"] + (MAX_DEPTH - 2) * MONEY["b"]


def test_nesting_to_the_limit_each_level_a_long_chain(tmp_path):
    """98 levels, each a chain of 20 steps -- of money (+ - and * / by turns), and of a date with
    durations -- within the depth limit: the generated code stays within what Python's parser
    (200 nested parentheses) and compiler nest, and decides as the oracle says."""
    levels, b = MAX_DEPTH - 2, MONEY["b"]
    money, amount = "claim.a", MONEY["a"]
    dates, day, p = "claim.d", _dt.date(2025, 1, 31), V.Duration(months=3)
    with decimal.localcontext(V.DECIMAL_CONTEXT):
        for level in range(levels):
            steps = [("*", "3", Decimal(3)), ("/", "3", Decimal(3))] * 10 if level % 2 else \
                [("+", "claim.b", b), ("-", "claim.b", b)] * 5 + [("+", "claim.b", b)] * 10
            money = f"({money})" + "".join(f" {op} {x}" for op, x, _v in steps)
            for op, _x, v in steps:
                amount = {"+": amount + v, "-": amount - v, "*": amount * v, "/": amount / v}[op]
            durations = [("+", "1 month", V.Duration(months=1)), ("-", "1 day", V.Duration(days=1))] + \
                [("+", "claim.p", p), ("-", "claim.p", p)] * 9
            dates = f"({dates})" + "".join(f" {op} {x}" for op, x, _v in durations)
            for op, _x, d in durations:
                day = d.add_to(day) if op == "+" else V.Duration(-d.months, -d.days).add_to(day)
    assert len(money) <= DEFAULT_LIMITS.max_expression_length and len(dates) <= DEFAULT_LIMITS.max_expression_length
    text = rules(money, f"{dates} == {day.isoformat()}").replace(
        "      claim.n:", "      claim.d: {type: date}\n      claim.p: {type: duration}\n      claim.n:")
    policy = make_policy(tmp_path / "p", {"m": text})
    data = case(d="2025-01-31", p="3 months")
    fast = policy.decide(data)
    assert policy.engine.counts == Counter(generated=1)
    assert (fast.results[0].status, fast.results[0].amount) == ("eligible", amount.quantize(CENT, ROUND_HALF_UP))
    assert evaluate_case(policy, read_case(data, policy), trace=False) == fast


# -- and, or: the three-valued semantics of the nested form, kept ---------------------------------

def nested(items, decisive):
    """The oracle: ``((a and b) and c) ...`` as the engine read it before chains, one binary
    connective inside the other (compile.py before issue 15), over thunks."""
    def connective(l, r):
        def both():
            try:
                a = l()
            except Undetermined as left_missing:
                try:
                    b = r()
                except Undetermined as right_missing:
                    raise Undetermined(left_missing.missing | right_missing.missing) from None
                if b is decisive:
                    return decisive
                raise
            if a is decisive:
                return decisive
            return r()
        return both
    fn = items[0]
    for item in items[1:]:
        fn = connective(fn, item)
    return fn


OUTCOMES = st.sampled_from(["true", "false", "missing", "error"])


def _operand(i: int, outcome: str) -> tuple[str, dict]:
    """The text of operand ``i`` and the facts it reads, for an outcome: a fact that is true or
    false, a fact not given, or a division by zero (it must not be evaluated unless reached)."""
    if outcome == "error":
        return f"n{i} / zero > 1", {f"n{i}": Decimal(1)}
    return f"b{i}", ({} if outcome == "missing" else {f"b{i}": outcome == "true"})


def _settle(fn):
    try:
        return ("value", fn())
    except Undetermined as exc:
        return ("missing", exc.missing)
    except decimal.DivisionByZero:
        return ("error", None)


def _typed(text: str, symbols: dict):
    scope = Scope()
    for name, t in symbols.items():
        scope.add(Symbol(name, "fact", t))
    problems: list = []
    typed = Checker(scope, problems.append).check(parse_expression(text, SourceSpan.at("r.yaml", 1, 1)))
    assert problems == [], problems
    return typed


@settings(max_examples=400, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["and", "or"]), st.lists(OUTCOMES, min_size=2, max_size=7))
def test_and_or_chains_keep_the_three_valued_semantics_of_the_nested_form(word, outcomes):
    parts = [_operand(i, o) for i, o in enumerate(outcomes)]
    text = f" {word} ".join(p for p, _facts in parts)
    env = {"zero": Decimal(0)}
    for _text, facts in parts:
        env.update(facts)
    symbols = {"zero": T.NUMBER, **{f"b{i}": T.BOOL for i in range(len(parts))},
               **{f"n{i}": T.NUMBER for i in range(len(parts))}}
    typed = _typed(text, symbols)
    resolver = FactResolver()
    with decimal.localcontext(V.DECIMAL_CONTEXT):
        chain = compile_expression(typed, resolver)
        got = _settle(lambda: chain(dict(env)))
        # the oracle over the same operands, each compiled on its own
        operands = [compile_expression(_typed(p, symbols), resolver) for p, _facts in parts]
        want = _settle(nested([lambda f=f: f(dict(env)) for f in operands], decisive=word == "or"))
    assert got == want, (text, env)
    if got[0] == "value" and "missing" not in outcomes:  # every fact given: the generated code agrees
        fn, _source = compile_fast_expression(typed, lambda dotted: ("local", f"env[{dotted!r}]"))
        with decimal.localcontext(V.DECIMAL_CONTEXT):
            assert _settle(lambda: fn(dict(env))) == got


# -- arithmetic: left to right, one step at a time ------------------------------------------------

@pytest.mark.parametrize("text,first", [
    # two facts missing: the first from the left is the one named, whatever the step
    ("xm + xm2", "xm"), ("xm2 - xm * xn", "xm2"), ("xd + xp", "xd"), ("xd - xp", "xd"), ("xp + xd", "xp"),
    ("xd - xd2", "xd"), ("xn * xp", "xn"), ("xp * xn", "xp"), ("xd + 1 month + xp", "xd"),
    ("1 month + xp + xd", "xp"),
])
def test_arithmetic_is_evaluated_left_to_right(text, first):
    symbols = {"xm": T.MONEY, "xm2": T.MONEY, "xn": T.NUMBER, "xd": T.DATE, "xd2": T.DATE, "xp": T.DURATION}
    fn = compile_expression(_typed(text, symbols), FactResolver())
    with pytest.raises(Undetermined) as info:
        fn({})
    assert info.value.missing == frozenset((first,))


@pytest.mark.parametrize("text,value", [
    # dates and durations in one chain, each step on what comes before it; the code generator
    # writes a long one as a tuple of steps (a variable keeping what is computed so far)
    ("d + du + du", _dt.date(2025, 3, 28)),
    ("d + du - 1 day + du * 2 + (d2 - d)", _dt.date(2025, 3, 21)),
    ("d - d2 + du", V.Duration(months=1, days=37)),
    ("du * 2 * 3 + du", V.Duration(months=7)),
    ("n * du + d", _dt.date(2025, 8, 31)),
    ("d" + " + du - 1 day" * 30, _dt.date(2027, 6, 28)),
    ("m" + " + m2 - m" * 50 + " * 2 / n2", Decimal(1000 - 700 * 50)),
    ("m" + " / 3 * 3" * 20, Decimal("999.9999999999999999999999999999999")),  # 34 digits each step
])
def test_a_chain_gives_the_same_value_on_both_back_ends(text, value):
    from test_backends import _generated_expression
    from test_compile import FACTS as GIVEN, run
    with decimal.localcontext(V.DECIMAL_CONTEXT):
        got = _generated_expression(text)(dict(GIVEN))
    assert got == value == run(text) and str(got) == str(run(text)), (got, run(text))

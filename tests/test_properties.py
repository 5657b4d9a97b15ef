"""Property tests (hypothesis) of the parser, the printer and compiled Decimal arithmetic.

Every test is derandomized (the same examples on every run, so CI cannot flake) and has no
deadline (nothing depends on timing); ``max_examples`` keeps each one to a few seconds.
"""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ordinance import types as T
from ordinance import values as V
from ordinance.check.checker import Checker, Scope, Symbol
from ordinance.run.compile import Resolver, Undetermined, compile_expression
from ordinance.grammar import ast as A
from ordinance.grammar.parser import MAX_DEPTH, ExpressionSyntaxError, SourceSpan, parse_expression, parse_text

SETTINGS = dict(derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])

KEYWORDS = {"if", "then", "else", "and", "or", "not", "in", "true", "false"}

# -- (1) the parser never fails with anything but a syntax error ----------------------------------

TOKENS = ["a", "applicant.kind", "claim.年度營業收入", "min", "cap", "(", ")", "[", "]", ",", ".", "+", "-", "*",
          "/", "×", "÷", "==", "!=", "<", "<=", ">", ">=", "≠", "≤", "≥", "=", "!", "&&", "and", "or", "not", "in",
          "if", "then", "else", "true", "false", "1", "0.5", "1_000", "30%", "1000萬", "3.5億元", "100元",
          "2027-12-31", "2025-02-30", "3 years", "6個月", "30天", '"u"', "'r'", '"', "'", "\\", "，", "（", "“",
          " ", "\n", "\t", "_", "萬", "%", "e", "#"]

texts = st.one_of(
    st.text(max_size=30),
    st.builds(lambda digits, unit: digits + unit, st.sampled_from(["1" * 5000, "9" * 8, "0" * 40]),
              st.sampled_from(["", " years", "年", "萬", "%", ".5", "-01-01"])),
    st.text(alphabet="0123456789._-+*/%()[],.<>=!&| \n\"'\\萬億元年月天日ifthenelsandortuy", max_size=30),
    st.lists(st.sampled_from(TOKENS), max_size=12).map(" ".join),
    st.lists(st.sampled_from(TOKENS), max_size=12).map("".join),
)


@settings(max_examples=1500, **SETTINGS)
@given(texts)
def test_any_text_parses_or_is_a_syntax_error(text):
    try:
        tree = parse_text(text)
    except ExpressionSyntaxError as exc:
        assert 0 <= exc.offset <= len(text)
        assert exc.width >= 1
        assert exc.message
        return
    assert isinstance(tree, (A.Literal, A.Name, A.Negate, A.Chain, A.Compare, A.Not, A.If, A.Call, A.ListExpr))
    # node offsets lie inside the text
    for node in A.walk(tree):
        assert 0 <= node.start <= node.end <= len(text)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1000, 10_000])
def test_deep_texts_are_syntax_errors(depth):
    for text in ("- " * depth + "1", "(" * depth + "a" + " + b)" * depth, "[" * depth + "]" * depth):
        with pytest.raises(ExpressionSyntaxError, match="nested too deeply"):
            parse_text(text)


# -- (2) printing a tree and reading it back gives the same tree ----------------------------------

identifiers = st.from_regex(r"[a-z_\u4e00-\u9fa5][a-z0-9_\u4e00-\u9fa5]{0,6}", fullmatch=True).filter(
    lambda s: s not in KEYWORDS)
names = st.lists(identifiers, min_size=1, max_size=3).map(lambda p: A.Name(tuple(p)))


def _string_text(value: str, quote: str) -> str:
    body = value.replace("\\", "\\\\").replace(quote, "\\" + quote).replace("\n", "\\n").replace("\t", "\\t")
    return quote + body + quote


number_texts = st.one_of(
    st.integers(-10**12, 10**12).map(str),
    st.integers(0, 10**6).map(lambda i: f"{i:_}"),
    st.decimals(min_value=-10**6, max_value=10**6, places=3, allow_nan=False).map(lambda d: format(d, "f")),
)
literal_texts = st.one_of(
    number_texts,
    st.builds(lambda n, u: f"{n}{u}", st.integers(0, 10**5), st.sampled_from(["萬", "万", "億", "亿", "元", "萬元", "億元", " 萬"])),
    st.builds(lambda n: f"{n}%", st.decimals(min_value=0, max_value=100, places=2).map(lambda d: format(d, "f"))),
    st.dates().map(lambda d: d.isoformat()).filter(lambda s: len(s) == 10),
    st.builds(lambda n, u: f"{n}{u}", st.integers(0, 999),
              st.sampled_from([" years", " year", " months", " days", "年", "個月", "个月", "天", "日"])),
    st.sampled_from(["true", "false"]),
    st.builds(_string_text, st.text(max_size=8), st.sampled_from(['"', "'"])),
)
literals = literal_texts.map(parse_text)


def _chain(level, operands, random):
    """A chain of ``operands`` joined by operators of one ``level``."""
    return A.Chain(tuple(operands), tuple(random.choice(level) for _ in operands[1:]))


def _nodes(children):
    return st.one_of(
        children.map(A.Negate),
        st.builds(_chain, st.sampled_from([("+", "-"), ("*", "/"), ("and",), ("or",)]),
                  st.lists(children, min_size=2, max_size=4), st.randoms(use_true_random=False)),
        st.builds(A.Compare, st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "in", "not in"]), children, children),
        children.map(A.Not),
        st.builds(A.If, children, children, children),
        st.builds(A.Call, identifiers, st.lists(children, max_size=3).map(tuple)),
        st.lists(children, max_size=3).map(lambda items: A.ListExpr(tuple(items))),
    )


trees = st.recursive(st.one_of(literals, names), _nodes, max_leaves=12)


def test_literal_strategy_makes_literals():
    assert isinstance(parse_text("-5"), A.Literal) and isinstance(parse_text("'a\\'b'"), A.Literal)


@settings(max_examples=600, **SETTINGS)
@given(trees)
def test_printed_trees_parse_back_to_the_same_tree(tree):
    text = A.to_source(tree)
    assert parse_text(text) == tree, text


def fully_parenthesised(node) -> str:
    """Another printer: every operation in parentheses, the other spellings of operators."""
    p = fully_parenthesised
    if isinstance(node, A.Literal):
        return node.text
    if isinstance(node, A.Name):
        return node.dotted
    if isinstance(node, A.Negate):
        return f"(-({p(node.operand)}))"
    if isinstance(node, A.Chain):
        ops = [{"*": "×", "/": "÷"}.get(op, f" {op} ") for op in node.ops]
        return "(" + "".join(f"{op}({p(o)})" for op, o in zip([""] + ops, node.operands)) + ")"
    if isinstance(node, A.Compare):
        op = {"!=": "≠", "<=": "≤", ">=": "≥"}.get(node.op, node.op)
        return f"(({p(node.left)}) {op} ({p(node.right)}))"
    if isinstance(node, A.Not):
        return f"(not ({p(node.operand)}))"
    if isinstance(node, A.If):
        return f"(if ({p(node.condition)}) then ({p(node.then)}) else ({p(node.otherwise)}))"
    if isinstance(node, A.Call):
        return f"{node.function}({','.join(p(a) for a in node.arguments)})"
    if isinstance(node, A.ListExpr):
        return f"[{','.join(p(i) for i in node.items)}{',' if node.items else ''}]"
    raise TypeError(node)


@settings(max_examples=400, **SETTINGS)
@given(trees)
def test_generated_texts_print_and_parse_back(tree):
    text = fully_parenthesised(tree)
    parsed = parse_text(text)
    assert parsed == tree, text  # the parenthesised text means the tree it came from
    printed = A.to_source(parsed)
    assert parse_text(printed) == parsed, printed


# -- (3) compiled Decimal arithmetic agrees with the decimal module --------------------------------

class Facts(Resolver):
    def name(self, dotted):
        def fact(env):
            try:
                return env[dotted]
            except KeyError:
                raise Undetermined(frozenset((dotted,))) from None
        return fact


VARS = ("a", "b", "c")
_scope = Scope()
for _v in VARS:
    _scope.add(Symbol(_v, "fact", T.NUMBER))
_scope.add(Symbol("spend", "fact", T.MONEY))
_scope.add(Symbol("rate", "fact", T.RATE))


def compile_text(text):
    problems = []
    typed = Checker(_scope, problems.append).check(parse_expression(text, SourceSpan.at("p.yaml", 1, 1)))
    assert problems == [], problems
    return compile_expression(typed, Facts())


decimals = st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=4, allow_nan=False,
                       allow_infinity=False).map(lambda d: d.copy_abs() if d.is_zero() else d)  # no -0


def arithmetic(children):
    return st.builds(lambda op, l, r: ("bin", op, l, r), st.sampled_from("+-*/"), children, children) | \
        children.map(lambda e: ("neg", e))


leaves = st.one_of(st.sampled_from(VARS).map(lambda v: ("var", v)), decimals.map(lambda d: ("lit", d)))
arith_trees = st.recursive(leaves, arithmetic, max_leaves=8)


def text_of(e) -> str:
    kind = e[0]
    if kind == "var":
        return e[1]
    if kind == "lit":
        return f"({format(e[1], 'f')})" if e[1] < 0 else format(e[1], "f")
    if kind == "neg":
        return f"-({text_of(e[1])})"
    return f"({text_of(e[2])} {e[1]} {text_of(e[3])})"


def value_of(e, env):
    """The same computation, straight with the decimal module."""
    kind = e[0]
    if kind == "var":
        return env[e[1]]
    if kind == "lit":
        return e[1]
    if kind == "neg":
        return -value_of(e[1], env)
    left, right = value_of(e[2], env), value_of(e[3], env)
    return {"+": lambda: left + right, "-": lambda: left - right, "*": lambda: left * right,
            "/": lambda: left / right}[e[1]]()


def outcome(thunk):
    try:
        return ("value", thunk())
    except ArithmeticError:  # DivisionByZero, InvalidOperation (0/0), Overflow: never a wrong value
        return ("error", None)


@settings(max_examples=400, **SETTINGS)
@given(arith_trees, st.tuples(decimals, decimals, decimals))
def test_compiled_arithmetic_agrees_with_decimal(tree, values):
    env = dict(zip(VARS, values))
    fn = compile_text(text_of(tree))
    with decimal.localcontext(V.DECIMAL_CONTEXT):
        expected = outcome(lambda: value_of(tree, env))
        got = outcome(lambda: fn(dict(env)))
    assert got[0] == expected[0]
    if got[0] == "value":
        assert isinstance(got[1], Decimal)
        assert got[1] == expected[1]
        assert str(got[1]) == str(expected[1])  # same digits, same exponent


@settings(max_examples=400, **SETTINGS)
@given(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), decimals, decimals, st.booleans())
def test_compiled_comparisons_agree_with_decimal(op, x, y, literal_right):
    right = (f"({format(y, 'f')})" if y < 0 else format(y, "f")) if literal_right else "b"
    fn = compile_text(f"a {op} {right}")
    expected = {"==": x == y, "!=": x != y, "<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]
    with decimal.localcontext(V.DECIMAL_CONTEXT):
        assert fn({"a": x, "b": y}) is expected


@settings(max_examples=300, **SETTINGS)
@given(st.decimals(min_value=0, max_value=Decimal("1e10"), places=2),
       st.decimals(min_value=0, max_value=1, places=4),
       st.decimals(min_value=1, max_value=Decimal("1e9"), places=0))
def test_money_formula_agrees_with_decimal(spend, rate, limit):
    fn = compile_text(f"cap(round(spend * rate, 0.01元), {limit}元)")
    with decimal.localcontext(V.DECIMAL_CONTEXT):
        product = (spend * rate / Decimal("0.01")).to_integral_value(rounding=decimal.ROUND_HALF_UP) * Decimal("0.01")
        expected = min(product, limit)
        got = fn({"spend": spend, "rate": rate})
    assert got == expected
    assert isinstance(got, Decimal)


@settings(max_examples=300, **SETTINGS)
@given(st.lists(decimals, max_size=6))
def test_sum_min_max_agree_with_decimal(items):
    scope = Scope()
    scope.add(Symbol("xs", "fact", T.list_of(T.NUMBER)))
    results = {}
    for f in ("sum", "count", "min", "max"):
        typed = Checker(scope, lambda p: pytest.fail(str(p))).check(
            parse_expression(f"{f}(xs)", SourceSpan.at("p.yaml", 1, 1)))
        fn = compile_expression(typed, Facts())
        with decimal.localcontext(V.DECIMAL_CONTEXT):
            try:
                results[f] = fn({"xs": tuple(items)})
            except ValueError:
                results[f] = None
    with decimal.localcontext(V.DECIMAL_CONTEXT):
        total = Decimal(0)
        for item in items:
            total += item
    assert results["sum"] == total
    assert results["count"] == len(items)
    assert results["min"] == (min(items) if items else None)
    assert results["max"] == (max(items) if items else None)

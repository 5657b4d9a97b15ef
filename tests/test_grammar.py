"""The expression grammar: literals, operators, precedence, names, syntax errors."""

from __future__ import annotations

import datetime as dt
import decimal
from decimal import Decimal

import pytest

from ordinance.grammar import ast as A
from ordinance.grammar.parser import (MAX_DEPTH, ExpressionSyntaxError, SourceSpan, parse_expression,
                                      parse_text)
from ordinance.values import Duration
from ordinance import PolicyError

D = Decimal


def lit(text):
    node = parse_text(text)
    assert isinstance(node, A.Literal), node
    assert node.text == text.strip()
    return node.kind, node.value


# -- literals -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,kind,value", [
    ("0", "number", D(0)),
    ("42", "number", D(42)),
    ("1_000_000", "number", D(1000000)),
    ("1_0", "number", D(10)),
    ("0.5", "number", D("0.5")),
    ("1_000.25", "number", D("1000.25")),
    ("-7", "number", D(-7)),
    ("-0.5", "number", D("-0.5")),
    ("30%", "percent", D("0.3")),
    ("0.5%", "percent", D("0.005")),
    ("100%", "percent", D(1)),
    ("30 %", "percent", D("0.3")),
    ("-30%", "percent", D("-0.3")),
    ("1000萬", "money", D(10_000_000)),
    ("1000万", "money", D(10_000_000)),
    ("10億", "money", D(1_000_000_000)),
    ("10亿", "money", D(1_000_000_000)),
    ("50萬元", "money", D(500_000)),
    ("50万元", "money", D(500_000)),
    ("3.5億元", "money", D(350_000_000)),
    ("3.5亿元", "money", D(350_000_000)),
    ("0.5億", "money", D(50_000_000)),
    ("100元", "money", D(100)),
    ("1_000元", "money", D(1000)),
    ("1萬 元", "money", D(10_000)),
    ("200 萬", "money", D(2_000_000)),
    ("-5萬", "money", D(-50_000)),
    ("2027-12-31", "date", dt.date(2027, 12, 31)),
    ("2024-02-29", "date", dt.date(2024, 2, 29)),
    ("3 years", "duration", Duration(months=36)),
    ("1 year", "duration", Duration(months=12)),
    ("6 months", "duration", Duration(months=6)),
    ("1 month", "duration", Duration(months=1)),
    ("30 days", "duration", Duration(days=30)),
    ("1 day", "duration", Duration(days=1)),
    ("3years", "duration", Duration(months=36)),
    ("3年", "duration", Duration(months=36)),
    ("6個月", "duration", Duration(months=6)),
    ("6个月", "duration", Duration(months=6)),
    ("30天", "duration", Duration(days=30)),
    ("30日", "duration", Duration(days=30)),
    ("3 年", "duration", Duration(months=36)),
    ("true", "bool", True),
    ("false", "bool", False),
    ('"university"', "string", "university"),
    ("'university'", "string", "university"),
    ('""', "string", ""),
    ('"高校"', "string", "高校"),
    (r'"say \"hi\""', "string", 'say "hi"'),
    (r"'it\'s'", "string", "it's"),
    ('"it\'s"', "string", "it's"),
    ("'a \"b\"'", "string", 'a "b"'),
    (r'"a\nb"', "string", "a\nb"),
    (r'"a\tb"', "string", "a\tb"),
    (r'"back\\slash"', "string", "back\\slash"),
])
def test_literals(text, kind, value):
    got_kind, got_value = lit(text)
    assert got_kind == kind
    assert got_value == value
    assert type(got_value) is type(value)


def test_money_and_numbers_are_exact_decimals():
    for text in ("0.1", "3.5億元", "30%", "1_000_000"):
        value = parse_text(text).value
        assert isinstance(value, Decimal)
    assert parse_text("0.1").value + parse_text("0.2").value == D("0.3")


def test_literals_are_exact_whatever_the_decimal_context():
    with decimal.localcontext(decimal.Context(prec=3)):
        assert parse_text("-1234567890123456789012345678901.5").value == D("-1234567890123456789012345678901.5")
        assert parse_text("1234567.5萬").value == D("12345675000")
        assert parse_text("-12.345%").value == D("-0.12345")
    assert str(parse_text("-0").value) == "0"  # minus zero is zero


@pytest.mark.parametrize("text,items", [
    ("[]", ()),
    ("[1]", (D(1),)),
    ("[1, 2, 3]", (D(1), D(2), D(3))),
    ("[1, 2,]", (D(1), D(2))),
    ('["university", "research-institute"]', ("university", "research-institute")),
    ("[1萬, 30%, 2027-12-31, 3年]", (D(10000), D("0.3"), dt.date(2027, 12, 31), Duration(months=36))),
])
def test_lists(text, items):
    node = parse_text(text)
    assert isinstance(node, A.ListExpr)
    assert tuple(i.value for i in node.items) == items


def test_nested_list():
    node = parse_text("[[1], []]")
    assert node == A.ListExpr((A.ListExpr((A.Literal("number", D(1), "1"),)), A.ListExpr(())))


# -- names ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,path", [
    ("rate", ("rate",)),
    ("applicant.annual_revenue", ("applicant", "annual_revenue")),
    ("tier.cap", ("tier", "cap")),
    ("applicant.年度營業收入", ("applicant", "年度營業收入")),
    ("年度營業收入", ("年度營業收入",)),
    ("claim.算力_費用2", ("claim", "算力_費用2")),
    ("a.b.c", ("a", "b", "c")),
    ("_private", ("_private",)),
    # keywords are whole words: these are names
    ("trueish", ("trueish",)),
    ("android", ("android",)),
    ("notice", ("notice",)),
    ("iffy", ("iffy",)),
    ("income", ("income",)),
    ("years", ("years",)),
    ("萬", ("萬",)),
])
def test_names(text, path):
    node = parse_text(text)
    assert node == A.Name(path)
    assert node.dotted == text


def test_chinese_name_in_an_expression():
    node = parse_text("applicant.年度營業收入 >= 1億")
    assert node == A.Compare(">=", A.Name(("applicant", "年度營業收入")), A.Literal("money", D(10**8), "1億"))


@pytest.mark.parametrize("text,function,arity", [
    ("min(a, b)", "min", 2),
    ("max(a)", "max", 1),
    ("f()", "f", 0),
    ("round(x, 1萬,)", "round", 2),
    ("date(2025, 1, 31)", "date", 3),
])
def test_calls(text, function, arity):
    node = parse_text(text)
    assert isinstance(node, A.Call)
    assert node.function == function and len(node.arguments) == arity


# -- operators and precedence ---------------------------------------------------------------------

def P(node) -> str:
    """Fully parenthesised form of a tree, written independently of ast.to_source."""
    if isinstance(node, A.Literal):
        return node.text
    if isinstance(node, A.Name):
        return node.dotted
    if isinstance(node, A.Negate):
        return f"(neg {P(node.operand)})"
    if isinstance(node, A.Not):
        return f"(not {P(node.operand)})"
    if isinstance(node, A.Compare):
        return f"({P(node.left)} {node.op} {P(node.right)})"
    if isinstance(node, A.Chain):  # read left to right: a - b + c is ((a - b) + c)
        text = P(node.operands[0])
        for op, operand in node.steps:
            text = f"({text} {op} {P(operand)})"
        return text
    if isinstance(node, A.If):
        return f"(if {P(node.condition)} then {P(node.then)} else {P(node.otherwise)})"
    if isinstance(node, A.Call):
        return f"{node.function}({', '.join(P(a) for a in node.arguments)})"
    if isinstance(node, A.ListExpr):
        return f"[{', '.join(P(i) for i in node.items)}]"
    raise TypeError(node)


PRECEDENCE = [
    # arithmetic: * / over + -, left associative
    ("a + b * c", "(a + (b * c))"),
    ("a * b + c", "((a * b) + c)"),
    ("a - b - c", "((a - b) - c)"),
    ("a - (b - c)", "(a - (b - c))"),
    ("a / b / c", "((a / b) / c)"),
    ("a / b * c", "((a / b) * c)"),
    ("a + b - c + d", "(((a + b) - c) + d)"),
    ("(a + b) * c", "((a + b) * c)"),
    ("a × b ÷ c", "((a * b) / c)"),
    ("a-b", "(a - b)"),
    ("1-2", "(1 - 2)"),
    # unary minus binds tighter than * and is folded into a number right after it
    ("-a * b", "((neg a) * b)"),
    ("-(a * b)", "(neg (a * b))"),
    ("a * -b", "(a * (neg b))"),
    ("a - -b", "(a - (neg b))"),
    ("--a", "(neg (neg a))"),
    ("- 5", "(neg 5)"),
    ("-5 * a", "(-5 * a)"),
    ("a - -5", "(a - -5)"),
    ("-3 years", "(neg 3 years)"),
    # comparisons below arithmetic
    ("a + 1 > b * 2", "((a + 1) > (b * 2))"),
    ("a == b", "(a == b)"),
    ("a != b", "(a != b)"),
    ("a ≠ b", "(a != b)"),
    ("a < b", "(a < b)"),
    ("a <= b", "(a <= b)"),
    ("a ≤ b", "(a <= b)"),
    ("a > b", "(a > b)"),
    ("a >= b", "(a >= b)"),
    ("a ≥ b", "(a >= b)"),
    ("x in [1, 2]", "(x in [1, 2])"),
    ("x not in [1, 2]", "(x not in [1, 2])"),
    ("x + 1 in xs", "((x + 1) in xs)"),
    # not below comparisons, and below it, or below and
    ("not a == b", "(not (a == b))"),
    ("not x in xs", "(not (x in xs))"),
    ("not a and b", "((not a) and b)"),
    ("not (a and b)", "(not (a and b))"),
    ("not not a", "(not (not a))"),
    ("a and not b", "(a and (not b))"),
    ("a or b and c", "(a or (b and c))"),
    ("a and b or c", "((a and b) or c)"),
    ("(a or b) and c", "((a or b) and c)"),
    ("a and b and c", "((a and b) and c)"),
    ("a or b or c", "((a or b) or c)"),
    ("a < b and b < c", "((a < b) and (b < c))"),
    ("not a or b", "((not a) or b)"),
    # if: lowest, the else branch extends as far as it can
    ("if a then b else c", "(if a then b else c)"),
    ("if a then b else c + 1", "(if a then b else (c + 1))"),
    ("if a then b else c or d", "(if a then b else (c or d))"),
    ("(if a then b else c) + 1", "((if a then b else c) + 1)"),
    ("if a or b then c + d else e * f", "(if (a or b) then (c + d) else (e * f))"),
    ("if a then if b then c else d else e", "(if a then (if b then c else d) else e)"),
    ("if a then b else if c then d else e", "(if a then b else (if c then d else e))"),
    ("min(if a then b else c, d)", "min((if a then b else c), d)"),
    ("[if a then 1 else 2, 3]", "[(if a then 1 else 2), 3]"),
    # calls and lists are atoms
    ("max(a, b) * 2", "(max(a, b) * 2)"),
    ("-min(a, b)", "(neg min(a, b))"),
    ("cap(claim.spend * 30%, tier.cap)", "cap((claim.spend * 30%), tier.cap)"),
    ("sum([a, b + c])", "sum([a, (b + c)])"),
    ("a\n  + b", "(a + b)"),
]


@pytest.mark.parametrize("text,expected", PRECEDENCE)
def test_precedence(text, expected):
    assert P(parse_text(text)) == expected


@pytest.mark.parametrize("text,expected", PRECEDENCE)
def test_to_source_round_trips(text, expected):
    tree = parse_text(text)
    printed = A.to_source(tree)
    assert parse_text(printed) == tree
    assert P(parse_text(printed)) == expected


@pytest.mark.parametrize("text,printed", [
    ("a + (b * c)", "a + b * c"),
    ("(a * b) + c", "a * b + c"),
    ("a - (b - c)", "a - (b - c)"),
    ("((a))", "a"),
    ("not (a == b)", "not a == b"),
    ("(not a) == b", "(not a) == b"),
    ("(a == b) == c", "(a == b) == c"),
    ("(if a then b else c) * 2", "(if a then b else c) * 2"),
    ("a ≥ b", "a >= b"),
    ("a × b", "a * b"),
    ("[1,2,]", "[1, 2]"),
    ("- 5", "- 5"),   # a negation of 5 stays one (not the literal -5)
    ("- -5", "- -5"),
])
def test_to_source_prints_few_parentheses(text, printed):
    assert A.to_source(parse_text(text)) == printed


def test_negative_literal_and_negation_are_distinct():
    assert parse_text("-5") == A.Literal("number", D(-5), "-5")
    assert parse_text("- 5") == A.Negate(A.Literal("number", D(5), "5"))
    assert parse_text("-(5)") == A.Negate(A.Literal("number", D(5), "5"))


@pytest.mark.parametrize("op", ["==", "!=", "<", "<=", ">", ">=", "in", "not in"])
def test_every_comparison(op):
    node = parse_text(f"left {op} right")
    assert isinstance(node, A.Compare) and node.op == op
    assert node.left == A.Name(("left",)) and node.right == A.Name(("right",))


@pytest.mark.parametrize("op,spelled", [("+", "+"), ("-", "-"), ("*", "*"), ("/", "/"), ("*", "×"), ("/", "÷"),
                                        ("and", "and"), ("or", "or")])
def test_every_chained_operator(op, spelled):
    node = parse_text(f"left {spelled} right")
    assert node == A.Chain((A.Name(("left",)), A.Name(("right",))), (op,))


@pytest.mark.parametrize("text,ops,operands", [
    # a run of operators of one level is one chain, read left to right, however long
    ("a + b - c + d", ("+", "-", "+"), 4),
    ("a * b / c × d ÷ e", ("*", "/", "*", "/"), 5),
    ("a and b and c", ("and", "and"), 3),
    ("a or b or c or d", ("or", "or", "or"), 4),
    (" + ".join(["x"] * 2000), ("+",) * 1999, 2000),
    (" and ".join(["x > 0"] * 2000), ("and",) * 1999, 2000),
])
def test_a_run_of_one_level_is_one_chain(text, ops, operands):
    node = parse_text(text)
    assert isinstance(node, A.Chain) and node.ops == ops and len(node.operands) == operands
    assert A.depth(node) == 2 + any(isinstance(o, A.Compare) for o in node.operands)


@pytest.mark.parametrize("text,depth", [
    ("a + b", 2), ("a + b + c + d", 2), ("a + b * c", 3), ("a * b + c * d + e", 3), ("(a + b) + c", 3),
    ("a + (b + c)", 3), ("a and b or c", 3), ("a and b and not c", 3), ("-a + -b", 3), ("f(a + b + c)", 3),
    ("[a, b + c + d]", 3), ("if a then b + c + d else e", 3), ("((a)) + ((b))", 2),
])
def test_depth_is_counted_as_a_reader_would(text, depth):
    assert A.depth(parse_text(text)) == depth


def test_offsets_of_nodes():
    text = "claim.spend * 30% >= 1萬"
    node = parse_text(text)
    assert (node.start, node.end) == (0, len(text))
    assert text[node.left.start:node.left.end] == "claim.spend * 30%"
    assert text[node.left.operands[1].start:node.left.operands[1].end] == "30%"
    assert text[node.right.start:node.right.end] == "1萬"


@pytest.mark.parametrize("text,steps", [
    # where each step of a chain ends: a closing parenthesis is the step's, the blanks after it are not
    ("a + b - c", ["a + b", "a + b - c"]),
    ("a + (b) + c", ["a + (b)", "a + (b) + c"]),
    ("(a) * (b)\n  / ((c))", ["(a) * (b)", "(a) * (b)\n  / ((c))"]),
])
def test_where_each_step_of_a_chain_ends(text, steps):
    node = parse_text(text)
    assert [text[node.start:node.step_end(i)] for i in range(len(node.ops))] == steps
    call = parse_text("  min(a, b)")
    assert (call.start, call.name_end, call.end) == (2, 5, 11)


def test_names_in_and_walk():
    node = parse_text("if a.b > c then min(c, d) else [e, a.b]")
    assert A.names_in(node) == ["a.b", "c", "d", "e"]
    assert sum(1 for _ in A.walk(node)) == 10


# -- syntax errors --------------------------------------------------------------------------------

def error(text) -> ExpressionSyntaxError:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse_text(text)
    return info.value


@pytest.mark.parametrize("text,offset,message,hint", [
    ("a = b", 2, "unexpected character '='", "compare with `==`; a single `=` is not an operator"),
    ("a => b", 2, "unexpected character '='", "write `>=`"),
    ("a =< b", 2, "unexpected character '='", "write `<=`"),
    ("a === b", 4, "unexpected character '='", "compare with `==`"),
    ("a < b < c", 6, "unexpected '<'", "comparisons do not chain"),
    ("a == b != c", 7, "unexpected '!='", "comparisons do not chain"),
    ("a <> b", 3, "unexpected '>'", "write `!=`"),
    ("a >> b", 3, "unexpected '>'", "`>>` is not an operator"),
    ("(1 +", 4, "the expression ends too early", "expected "),
    ("1 +", 3, "the expression ends too early", "a name"),
    ("if a then b", 11, "the expression ends too early", "expected `else`"),
    ("[1, 2", 5, "the expression ends too early", "`]`"),
    ("a.", 2, "the expression ends too early", "expected a name"),
    ("&&", 0, "unexpected character '&'", "write `and`, `or`, `not`"),
    ("a && b", 2, "unexpected character '&'", "write `and`, `or`, `not`"),
    ("a || b", 2, "unexpected character '|'", "write `and`, `or`, `not`"),
    ("!a", 0, "unexpected character '!'", "write `not`"),
    ("min(a，b)", 5, "unexpected character '，'", "write `,` instead of the full-width `，`"),
    ("min（a, b）", 3, "unexpected character '（'", "write `(` instead of the full-width `（`"),
    ("a ＝＝ b", 2, "unexpected character '＝'", "write `=` instead of the full-width `＝`"),
    ("30％", 2, "unexpected character '％'", "write `%`"),
    ("a ≧ b", 2, "unexpected character '≧'", "write `>=`"),
    ("a、b", 1, "unexpected character '、'", "write `,`"),
    ("“高校”", 0, "unexpected character '“'", "straight quotes"),
    ("「高校」", 0, "unexpected character '「'", "straight quotes"),
    ('kind == "university', 8, "unexpected character '\"'", "the string is not closed"),
    ("kind == 'university", 8, "unexpected character \"'\"", "the string is not closed"),
    ("", 0, "empty expression", "write a value, a name or a formula"),
    ("   \n ", 0, "empty expression", "write a value, a name or a formula"),
    ("2025-02-30", 0, "2025-02-30 is not a date in the calendar", "no such day"),
    ("claim.date < 2023-02-29", 13, "2023-02-29 is not a date in the calendar", "no such day"),
    ("2025-13-01", 0, "2025-13-01 is not a date in the calendar", "no such day"),
    ("a b", 2, "unexpected 'b'", "expected"),
    (")", 0, "unexpected ')'", "expected"),
    ("x in y in z", 7, "unexpected 'in'", "expected"),
    ("1e5", 0, "unexpected character '1'", "write numbers as digits"),
    ("1.", 0, "unexpected character '1'", "write numbers as digits"),
    ("1.5 years", 4, "unexpected 'years'", "expected"),
    ("a + if b then c else d", 4, "unexpected 'if'", "goes in parentheses"),
    ("claim.if", 6, "unexpected 'if'", "`if` is a reserved word"),
    ("a + and", 4, "unexpected 'and'", "expected"),
    ("x == not", 5, "unexpected 'not'", "expected"),
    ("f(then)", 2, "unexpected 'then'", "expected"),
    ("#", 0, "unexpected character '#'", None),
])
def test_syntax_errors(text, offset, message, hint):
    exc = error(text)
    assert exc.offset == offset
    assert exc.message.startswith(message)
    if hint is None:
        assert exc.hint is None or "expected" in exc.hint
    else:
        assert hint in exc.hint


def test_syntax_error_width_covers_the_token():
    assert error("2025-02-30").width == len("2025-02-30")
    assert error("a == b != c").width == 2
    assert error("x in y in z").width == 2
    assert error("a = b").width == 1


def test_hints_name_the_expected_tokens_in_words():
    hint = error("(1 +").hint
    assert "a name" in hint and "`(`" in hint and "a date (e.g. 2027-12-31)" in hint
    assert "LPAR" not in hint and "NAME" not in hint and "LSQB" not in hint
    assert error("a.").hint == "expected a name"


def nested_sum(levels: int) -> str:
    """``((1 + 1) + 1) ...``: a sum nested ``levels`` parentheses deep, ``levels + 1`` deep as a tree."""
    return "(" * levels + "1" + " + 1)" * levels


def test_deep_nesting_is_a_syntax_error_not_a_crash():
    assert A.depth(parse_text(nested_sum(MAX_DEPTH - 1))) == MAX_DEPTH
    for text in (nested_sum(MAX_DEPTH), "-" * 5000 + "x", "not " * 3000 + "x", "[" * 1000 + "]" * 1000,
                 "f(" * 1000 + ")" * 1000, nested_sum(5000), "1 + " * 2000 + nested_sum(200)):
        exc = error(text)
        assert exc.message == "the expression is nested too deeply"
        assert (exc.code, exc.offset) == ("expression-too-deep", 0)


@pytest.mark.parametrize("terms", [MAX_DEPTH, 2_000, 10_000])
@pytest.mark.parametrize("op", ["+", "-", "*", "/", "and", "or"])
def test_a_long_run_of_one_operator_is_not_deep(op, terms):
    text = f" {op} ".join(["x"] * terms)
    node = parse_text(text)
    assert A.depth(node) == 2 and len(node.operands) == terms
    # parentheses alone do not nest the tree
    assert parse_text("(" * 500 + "x" + ")" * 500) == A.Name(("x",))


@pytest.mark.parametrize("text,kind", [
    ("1" * 5000, "number"), ("1" * 5000 + "萬", "money"), ("1" * 5000 + "%", "percent"), ("9999999 days", "duration"),
])
def test_huge_literals_are_read_exactly(text, kind):
    node = parse_text(text)
    assert node.kind == kind
    if kind != "duration":
        assert node.value.as_tuple().digits[:5000] == (1,) * 5000


@pytest.mark.parametrize("text,offset", [("1" * 5000 + " years", 0), ("x + 10000000年", 4)])
def test_durations_too_long_are_syntax_errors(text, offset):
    exc = error(text)
    assert exc.offset == offset
    assert "too long a duration" in exc.message
    assert exc.width == len(text) - offset


def test_parse_expression_reports_a_located_problem():
    problems = []
    span = SourceSpan.at("rules/r.yaml", 7, 13)
    assert parse_expression("spend = 1萬", span, problems.append) is None
    [problem] = problems
    assert problem.code == "syntax"
    loc = problem.location
    assert (loc.file, loc.line, loc.column, loc.end_column) == ("rules/r.yaml", 7, 19, 20)
    with pytest.raises(PolicyError) as info:
        parse_expression("(1 +", span)
    assert info.value.codes == ["syntax"]
    assert info.value.problems[0].location.column == 13 + 4


def test_span_across_lines():
    span = SourceSpan("f.yaml", ((0, 3, 5), (10, 4, 7)))
    assert (span.location(2).line, span.location(2).column) == (3, 7)
    loc = span.location(12, 14)
    assert (loc.line, loc.column, loc.end_line, loc.end_column) == (4, 9, 4, 11)


@pytest.mark.parametrize("keyword", ["if", "then", "else", "and", "or", "not", "in", "true", "false"])
def test_keywords_are_reserved_everywhere(keyword):
    """A keyword is never read as a name, even where the keyword itself cannot stand."""
    for text in (f"a + {keyword}", f"min({keyword})", f"x.{keyword}", f"[{keyword}]"):
        try:
            node = parse_text(text)
        except ExpressionSyntaxError:
            continue
        assert keyword not in A.names_in(node), text

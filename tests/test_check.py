"""The type checker: the type of every well-formed expression, the error of every ill-formed one."""

from __future__ import annotations

import pytest

from ordinance import PolicyError, load_policy
from ordinance import types as T
from ordinance.check.checker import FUNCTIONS, Checker, Scope, Symbol
from ordinance.grammar.parser import SourceSpan, parse_expression
from policy_factory import write_policy

KIND = T.enum_of(("enterprise", "university", "research-institute"))

SYMBOLS = {
    "m": T.MONEY, "m2": T.MONEY, "n": T.NUMBER, "r": T.RATE, "d": T.DATE, "du": T.DURATION,
    "s": T.STRING, "b": T.BOOL, "k": KIND,
    "lm": T.list_of(T.MONEY), "ln": T.list_of(T.NUMBER), "lb": T.list_of(T.BOOL), "ls": T.list_of(T.STRING),
    "ld": T.list_of(T.DATE), "lk": T.list_of(KIND),
    "applicant.annual_revenue": T.MONEY, "applicant.kind": KIND, "applicant.年度營業收入": T.MONEY,
    "claim.compute_spend": T.MONEY, "claim.date": T.DATE, "tier.rate": T.RATE, "tier.cap": T.MONEY,
}


def scope() -> Scope:
    s = Scope()
    for name, t in SYMBOLS.items():
        s.add(Symbol(name, "fact", t))
    return s


def check(text, expected=None):
    problems = []
    expression = parse_expression(text, SourceSpan.at("r.yaml", 1, 1))
    typed = Checker(scope(), problems.append).check(expression, expected)
    return typed, problems


def type_of(text):
    typed, problems = check(text)
    assert problems == [], problems
    return typed.type


LIST_OF = T.list_of

TYPES = [
    # literals
    ("1", T.NUMBER), ("0.5", T.NUMBER), ("30%", T.RATE), ("1000萬", T.MONEY), ("100元", T.MONEY),
    ("2027-12-31", T.DATE), ("3 years", T.DURATION), ("3年", T.DURATION), ("true", T.BOOL), ('"x"', T.STRING),
    # names
    ("m", T.MONEY), ("k", KIND), ("applicant.年度營業收入", T.MONEY), ("tier.rate", T.RATE),
    # arithmetic on numbers and rates
    ("n + n", T.NUMBER), ("r + r", T.RATE), ("r - r", T.RATE), ("r + n", T.NUMBER), ("r * r", T.RATE),
    ("n * r", T.NUMBER), ("n / n", T.NUMBER), ("r / r", T.NUMBER), ("-n", T.NUMBER), ("-r", T.RATE),
    # money
    ("m + m2", T.MONEY), ("m - 1萬", T.MONEY), ("m * r", T.MONEY), ("30% * m", T.MONEY), ("m * 2", T.MONEY),
    ("2 * m", T.MONEY), ("m / 2", T.MONEY), ("m / m2", T.NUMBER), ("-m", T.MONEY), ("m - -m", T.MONEY),
    ("claim.compute_spend * tier.rate", T.MONEY), ("m × r ÷ 2", T.MONEY),
    # dates and durations
    ("d + du", T.DATE), ("du + d", T.DATE), ("d - du", T.DATE), ("d - d", T.DURATION), ("d + 3 years", T.DATE),
    ("du + du", T.DURATION), ("du - du", T.DURATION), ("du * 2", T.DURATION), ("2 * du", T.DURATION),
    ("-du", T.DURATION),
    # comparisons
    ("m > 1萬", T.BOOL), ("n == 5", T.BOOL), ("r > 5", T.BOOL), ("r == 5%", T.BOOL), ("n < 5%", T.BOOL),
    ("d <= 2027-12-31", T.BOOL), ("du < 6 months", T.BOOL), ("s == k", T.BOOL), ("k == s", T.BOOL),
    ('k == "university"', T.BOOL), ('k != "enterprise"', T.BOOL), ("b == true", T.BOOL), ("lm == lm", T.BOOL),
    ("[1] == [2]", T.BOOL), ("m ≥ m2", T.BOOL),
    ('k in ["university", "research-institute"]', T.BOOL), ('"university" in lk', T.BOOL),
    ("m in lm", T.BOOL), ("m not in [1萬, 2萬]", T.BOOL), ("s in ls", T.BOOL), ("n in [1, 2%]", T.BOOL),
    ("applicant.annual_revenue >= 1億", T.BOOL), ("applicant.年度營業收入 >= 10億", T.BOOL),
    # logic
    ("b and m > 1萬", T.BOOL), ("b or not b", T.BOOL), ("not b", T.BOOL),
    # if
    ("if b then m else 1萬", T.MONEY), ("if b then 1 else r", T.NUMBER), ("if b then r else 5%", T.RATE),
    ("if b then k else 'x'", T.STRING), ("if m > 1萬 then d else d + du", T.DATE),
    # lists
    ("[]", LIST_OF(T.ERROR)), ("[1, 2]", LIST_OF(T.NUMBER)), ("[1萬, m]", LIST_OF(T.MONEY)),
    ("[1, 30%]", LIST_OF(T.NUMBER)), ("[[1], []]", LIST_OF(LIST_OF(T.NUMBER))), ("[k, 'x']", LIST_OF(T.STRING)),
    ("[d, 2027-12-31]", LIST_OF(T.DATE)), ("[b, m > 1萬]", LIST_OF(T.BOOL)),
    # functions
    ("min(m, m2)", T.MONEY), ("max(m, 1萬, m2)", T.MONEY), ("min(lm)", T.MONEY), ("max(ln)", T.NUMBER),
    ("min(d, 2027-12-31)", T.DATE), ("max(du, 6 months)", T.DURATION), ("min(r, n)", T.NUMBER),
    ("max([1, 2])", T.NUMBER), ("min(ld)", T.DATE),
    ("floor(m)", T.MONEY), ("floor(m, 1萬)", T.MONEY), ("ceil(n)", T.NUMBER), ("ceil(n, 0.5)", T.NUMBER),
    ("round(r, 0.01)", T.RATE), ("round(m, 100元)", T.MONEY), ("floor(n, 1%)", T.NUMBER),
    ("abs(m)", T.MONEY), ("abs(n)", T.NUMBER), ("abs(r)", T.RATE),
    ("year(d)", T.NUMBER), ("month(claim.date)", T.NUMBER), ("date(2025, 1, 31)", T.DATE),
    ("date(year(d), month(d), 1)", T.DATE),
    ("between(m, 1萬, 2萬)", T.BOOL), ("between(d, 2025-01-01, 2025-12-31)", T.BOOL), ("between(n, 1, 5%)", T.BOOL),
    ("sum(lm)", T.MONEY), ("sum(ln)", T.NUMBER), ("sum([])", T.NUMBER), ("sum([m, 1萬])", T.MONEY),
    ("count(ls)", T.NUMBER), ("count([])", T.NUMBER), ("any(lb)", T.BOOL), ("all([b, true])", T.BOOL),
    ("all([])", T.BOOL),
    ("cap(m, 1000萬)", T.MONEY), ("cap(m * r, tier.cap)", T.MONEY), ("cap(n, 5)", T.NUMBER), ("cap(r, 50%)", T.RATE),
    ("cap(n, r)", T.NUMBER),
]


@pytest.mark.parametrize("text,expected", TYPES)
def test_types(text, expected):
    assert type_of(text) == expected


def test_node_types_and_reads_are_recorded():
    typed, problems = check("cap(claim.compute_spend * tier.rate, tier.cap) + claim.compute_spend")
    assert problems == []
    tree = typed.tree
    assert typed.type_of(tree) == T.MONEY
    assert typed.type_of(tree.operands[0].arguments[0].operands[1]) == T.RATE
    assert typed.reads == ["claim.compute_spend", "tier.rate", "tier.cap"]


ERRORS = [
    # arithmetic
    ("m + d", "type-mismatch", "cannot add money and date", None),
    ("m * m", "type-mismatch", "cannot multiply money and money", "multiply money by a rate or a number"),
    ("m + 1", "type-mismatch", "cannot add money and number", "write amounts with a unit"),
    ("1 - m", "type-mismatch", "cannot subtract number and money", "write amounts with a unit"),
    ("n / m", "type-mismatch", "cannot divide number and money", None),
    ("du - d", "type-mismatch", "cannot subtract duration and date", None),
    ("d + d", "type-mismatch", "cannot add date and date", None),
    ("r * du", "type-mismatch", "cannot multiply rate and duration", None),
    ("s + s", "type-mismatch", "cannot add string and string", None),
    ("b * 2", "type-mismatch", "cannot multiply bool and number", None),
    ("-d", "type-mismatch", "cannot negate date", None),
    ("-s", "type-mismatch", "cannot negate string", None),
    # comparisons
    ("m > 5", "type-mismatch", "cannot compare money with number", "write the amount with a unit"),
    ("m == 5", "type-mismatch", "cannot compare money with number", "write the amount with a unit"),
    ("d == '2025-01-01'", "type-mismatch", "cannot compare date with string", "write dates without quotes"),
    ("k == 5", "type-mismatch", "cannot compare enum {enterprise, university, research-institute} with number", None),
    ("b < b", "type-mismatch", "bool has no order: use == or !=", None),
    ("s < s", "type-mismatch", "string has no order", None),
    ("k < k", "type-mismatch", "enum {enterprise, university, research-institute} has no order", None),
    ("lm < lm", "type-mismatch", "list of money has no order", None),
    ("m in m", "type-mismatch", "`in` needs a list on its right, not money", "write a list"),
    ("1 in lm", "type-mismatch", "cannot look for number in a list of money", None),
    ("[1] == [m]", "type-mismatch", "cannot compare list of number with list of money", None),
    # logic
    ("not 5", "type-mismatch", "`not` needs true or false, not number", None),
    ("b and 5", "type-mismatch", "`and` needs true or false on both sides, not number", "compare the value"),
    ("m or b", "type-mismatch", "`or` needs true or false on both sides, not money", "compare the value"),
    # if
    ("if b then m else d", "type-mismatch", "the branches of `if` differ: money and date", "both branches"),
    ("if b then 1 else m", "type-mismatch", "the branches of `if` differ: number and money", None),
    ("if n then m else m", "type-mismatch", "the condition of `if` must be bool, not number", None),
    # lists
    ("[1, m]", "type-mismatch", "a list holds one kind of value: number and money", None),
    ("[m, d]", "type-mismatch", "a list holds one kind of value: money and date", None),
    ("[b, 'x']", "type-mismatch", "a list holds one kind of value: bool and string", None),
    # names
    ("x", "unknown-name", "unknown name `x`", "declare it under `facts:`"),
    ("applicant.annual_revenu", "unknown-name", "unknown name `applicant.annual_revenu`",
     "did you mean `applicant.annual_revenue`?"),
    ("claim.compute_spnd", "unknown-name", "unknown name `claim.compute_spnd`", "did you mean `claim.compute_spend`?"),
    ("claim.spend", "unknown-name", "unknown name `claim.spend`", "did you mean `claim.compute_spend`"),
    ("applicant.年度營業收", "unknown-name", "unknown name `applicant.年度營業收`", "did you mean `applicant.年度營業收入`"),
    # enums
    ('k == "enterprize"', "unknown-enum-value", '"enterprize" is not one of enterprise, university, research-institute',
     "did you mean `enterprise`?"),
    ('"universty" == applicant.kind', "unknown-enum-value", '"universty" is not one of', "did you mean `university`?"),
    ('k in ["university", "institute"]', "unknown-enum-value", '"institute" is not one of',
     "did you mean `research-institute`?"),
    ('"school" in lk', "unknown-enum-value", '"school" is not one of', None),
    ('k != "zzz"', "unknown-enum-value", '"zzz" is not one of', None),
    # functions
    ("foo(1)", "unknown-function", "unknown function `foo`", "did you mean `floor`?"),
    ("mx(m, m2)", "unknown-function", "unknown function `mx`", "did you mean `max`?"),
    ("frobnicate(1)", "unknown-function", "unknown function `frobnicate`", "the functions are abs, all, any"),
    ("min()", "wrong-arguments", "`min` takes at least 1 argument, given 0", "usage: min(a, b, ...) or min(list)"),
    ("max([])", "wrong-arguments", "`max` of an empty list has no value", "usage: max"),
    ("min(1)", "type-mismatch", "argument 1 of `min` must be a list (or give two or more values), not number", "usage"),
    ("min(m, 1)", "type-mismatch", "`min` compares values of one kind, not money and number", None),
    ("max(s, s)", "type-mismatch", "argument 1 of `max` must be a number, money, a rate, a date or a duration", None),
    ("min(lm, lm)", "type-mismatch", "argument 1 of `min` must be a number, money", None),
    ("floor()", "wrong-arguments", "`floor` takes 1 to 2 arguments, given 0", "usage: floor(x) or floor(x, unit)"),
    ("floor(m, 1萬, 1)", "wrong-arguments", "`floor` takes 1 to 2 arguments, given 3", None),
    ("floor(d)", "type-mismatch", "argument 1 of `floor` must be a number, a rate or money, not date", None),
    ("floor(m, 1)", "type-mismatch", "argument 2 of `floor` must be a unit of the same kind as money (e.g. 1萬)", None),
    ("ceil(n, 1萬)", "type-mismatch", "argument 2 of `ceil` must be a unit of the same kind as number", None),
    ("round(s)", "type-mismatch", "argument 1 of `round` must be a number, a rate or money, not string", None),
    ("abs(d)", "type-mismatch", "argument 1 of `abs` must be a number, a rate or money, not date", "usage: abs(x)"),
    ("abs(du)", "type-mismatch", "argument 1 of `abs` must be a number, a rate or money, not duration", None),
    ("abs(1, 2)", "wrong-arguments", "`abs` takes 1 argument, given 2", "usage: abs(x)"),
    ("year(m)", "type-mismatch", "argument 1 of `year` must be a date, not money", "usage: year(date)"),
    ("month(s)", "type-mismatch", "argument 1 of `month` must be a date, not string", None),
    ("year()", "wrong-arguments", "`year` takes 1 argument, given 0", None),
    ("date(2025, 1)", "wrong-arguments", "`date` takes 3 arguments, given 2", "usage: date(year, month, day)"),
    ("date(2025, 1, r)", "type-mismatch", "argument 3 of `date` must be a number, not rate", None),
    ("date('2025', 1, 1)", "type-mismatch", "argument 1 of `date` must be a number, not string", None),
    ("between(m, 1, 2)", "type-mismatch", "argument 2 of `between` must be comparable with money, not number", None),
    ("between(m, 1萬, d)", "type-mismatch", "argument 3 of `between` must be comparable with money, not date", None),
    ("between(b, true, false)", "type-mismatch", "argument 1 of `between` must be a number, money", None),
    ("between(m, 1萬)", "wrong-arguments", "`between` takes 3 arguments, given 2", None),
    ("sum(m)", "type-mismatch", "argument 1 of `sum` must be a list, not money", "usage: sum(list)"),
    ("sum(ls)", "type-mismatch", "argument 1 of `sum` must be a list of numbers or money, not list of string", None),
    ("sum(ld)", "type-mismatch", "argument 1 of `sum` must be a list of numbers or money, not list of date", None),
    ("sum(lm, lm)", "wrong-arguments", "`sum` takes 1 argument, given 2", None),
    ("count(m)", "type-mismatch", "argument 1 of `count` must be a list, not money", "usage: count(list)"),
    ("any(ln)", "type-mismatch", "argument 1 of `any` must be a list of bool, not list of number", None),
    ("all(b)", "type-mismatch", "argument 1 of `all` must be a list, not bool", None),
    ("cap(m, 1)", "type-mismatch", "argument 2 of `cap` must be money (the limit is of the same kind as the amount)",
     "usage: cap(amount, limit)"),
    ("cap(n, 1萬)", "type-mismatch", "argument 2 of `cap` must be number", None),
    ("cap(d, d)", "type-mismatch", "argument 1 of `cap` must be money or a number, not date", None),
    ("cap(m)", "wrong-arguments", "`cap` takes 2 arguments, given 1", None),
]


@pytest.mark.parametrize("text,code,message,hint", ERRORS)
def test_errors(text, code, message, hint):
    _, problems = check(text)
    assert [p.code for p in problems] == [code], problems
    problem = problems[0]
    assert problem.message.startswith(message), problem.message
    if hint is not None:
        assert problem.hint is not None and hint in problem.hint, problem.hint
    assert problem.location.file == "r.yaml" and problem.location.line == 1


def test_every_function_has_a_right_and_a_wrong_call_in_the_tables():
    right = {t.split("(", 1)[0] for t, _ in TYPES if "(" in t}
    wrong = {t.split("(", 1)[0] for t, code, _, _ in ERRORS if code in ("type-mismatch", "wrong-arguments")
             and "(" in t and t.split("(", 1)[0] in FUNCTIONS}
    assert set(FUNCTIONS) <= right
    assert set(FUNCTIONS) <= wrong


@pytest.mark.parametrize("text,span", [
    ("m + d", "m + d"),
    ("b and (m + d > 1萬)", "m + d"),
    ("not 5", "5"),
    ("b and 5", "5"),
    ("[1, m]", "m"),
    ('k == "enterprize"', '"enterprize"'),
    ('k in ["university", "institute"]', '"institute"'),
    ("claim.compute_spnd * 30%", "claim.compute_spnd"),
    ("min(m, 1)", "1"),
    ("floor(m, 1)", "1"),
    ("year(m)", "m"),
    ("foo(1)", "foo(1)"),
    ("date(2025, 1)", "date(2025, 1)"),
    ("if n then m else m", "n"),
    ("if b then m else d", "if b then m else d"),
    ("m > 5", "m > 5"),
])
def test_errors_point_at_the_offending_node(text, span):
    _, problems = check(text)
    assert len(problems) == 1
    loc = problems[0].location
    assert (loc.line, loc.end_line) == (1, 1)
    assert text[loc.column - 1:loc.end_column - 1] == span


@pytest.mark.parametrize("text,count", [
    ("x + y", 2),                 # two unknown names, nothing more
    ("x + 1萬 > m", 1),           # the unknown name does not also give a type error
    ("(m + d) * 2 > m", 1),       # one mistake, one message
    ("min([x])", 1),              # an item already wrong: min does not complain again
    ("max([1, m])", 1),
    ("sum([1, m])", 1),
    ("if x then m else d", 2),    # the branches are still checked
    ("foo(x)", 2),
    ("not x", 1),
    ("-x", 1),
])
def test_one_mistake_one_message(text, count):
    _, problems = check(text)
    assert len(problems) == count, problems


@pytest.mark.parametrize("text,expected,ok", [
    ("m * 30%", T.MONEY, True),
    ("30%", T.MONEY, False),
    ("5", T.MONEY, False),
    ("m > 1萬", T.BOOL, True),
    ("m", T.BOOL, False),
    ("3 years", T.DURATION, True),
    ("n", T.RATE, True),         # a number may stand for a rate
    ("r", T.NUMBER, True),
    ("k", T.STRING, True),
    ("s", KIND, True),
    ("x", T.MONEY, True),        # already an unknown name: no second message
    ("lm", T.list_of(T.MONEY), True),
    ("ln", T.list_of(T.MONEY), False),
    ("m", (T.NUMBER, T.MONEY, T.DATE), True),
    ("s", (T.NUMBER, T.MONEY, T.DATE), False),
])
def test_expected_type(text, expected, ok):
    _, problems = check(text, expected)
    mismatches = [p for p in problems if p.code == "type-mismatch"]
    assert (not mismatches) is ok


def test_expected_type_hints():
    _, [problem] = check("30%", T.MONEY)
    assert problem.message == "this expression must be money, but it is rate"
    assert "give the amount a unit" in problem.hint
    _, [problem] = check("m", T.BOOL)
    assert "a condition compares values" in problem.hint


@pytest.mark.parametrize("a,b,common", [
    (T.NUMBER, T.RATE, T.NUMBER), (T.RATE, T.RATE, T.RATE), (T.MONEY, T.NUMBER, None), (T.ERROR, T.MONEY, T.MONEY),
    (T.MONEY, T.ERROR, T.MONEY), (T.STRING, KIND, T.STRING),
    (T.enum_of(("a",)), T.enum_of(("b",)), T.enum_of(("a", "b"))),
    (T.list_of(T.NUMBER), T.list_of(T.RATE), T.list_of(T.NUMBER)), (T.list_of(T.NUMBER), T.list_of(T.MONEY), None),
    (T.DATE, T.DURATION, None),
])
def test_unify(a, b, common):
    assert T.unify(a, b) == common
    assert T.unify(b, a) == common


@pytest.mark.parametrize("a,b,ok", [
    (T.NUMBER, T.RATE, True), (T.MONEY, T.NUMBER, False), (T.STRING, KIND, True), (T.DATE, T.DATE, True),
    (T.DATE, T.STRING, False), (T.ERROR, T.DATE, True), (T.list_of(T.MONEY), T.list_of(T.MONEY), True),
    (T.list_of(T.MONEY), T.list_of(T.DATE), False), (T.BOOL, T.NUMBER, False),
])
def test_comparable(a, b, ok):
    assert T.comparable(a, b) is ok
    assert T.comparable(b, a) is ok


@pytest.mark.parametrize("text,t", [
    ("money", T.MONEY), ("list of money", T.list_of(T.MONEY)), ("list of list of date", T.list_of(T.list_of(T.DATE))),
    ("bool", T.BOOL), ("nonsense", None), ("list of nonsense", None),
])
def test_parse_type_name(text, t):
    assert T.parse_type_name(text) == t


def test_enum_type_names():
    assert T.parse_type_name("enum", ["a", "b"]) == T.enum_of(("a", "b"))
    assert str(KIND) == "enum {enterprise, university, research-institute}"
    assert str(T.list_of(T.MONEY)) == "list of money"


# -- the policy-level passes ----------------------------------------------------------------------

def _policy_problems(tmp_path, rule):
    with pytest.raises(PolicyError) as info:
        load_policy(write_policy(tmp_path / "p", {"r": rule}))
    return info.value.problems


MEASURE = """
article: x
measures:
  - id: m
    title: m
    facts:
      claim.spend: {type: money}
"""


@pytest.mark.parametrize("body,cycle", [
    ("""
    values:
      base: claim.spend - rebate
      rebate: base * 10%
    amount: base
""", "base -> rebate -> base"),
    ("""
    values:
      base: base + 1元
    amount: base
""", "base -> base"),
    ("""
    values:
      share: claim.spend * tier.rate
    tables:
      tier:
        rows:
          - when: share > 1萬
            set: {rate: 30%}
          - otherwise: true
            set: {rate: 20%}
    amount: share
""", "share -> tier -> share"),
])
def test_a_cycle_is_one_problem(tmp_path, body, cycle):
    problems = _policy_problems(tmp_path, MEASURE + body)
    assert [p.code for p in problems] == ["cycle"]
    assert problems[0].message.endswith(cycle)


def test_a_parameter_cannot_read_names(tmp_path):
    problems = _policy_problems(tmp_path, MEASURE + """
    parameters:
      limit: claim.spend * 2
    amount: min(claim.spend, limit)
""")
    assert [p.code for p in problems] == ["unknown-name"]
    assert problems[0].message == "unknown name `claim.spend`"
    assert "a parameter is a constant" in problems[0].hint


@pytest.mark.parametrize("body,codes", [
    ("""
    parameters:
      rate:
        values:
          - {value: 30%}
          - {from: 2026-01-01, value: 100萬}
    amount: claim.spend * 30%
""", ["type-mismatch"]),
    ("""
    parameters:
      rate:
        values:
          - {from: 2026-01-01, value: 30%}
          - {from: 2025-01-01, value: 40%}
    amount: claim.spend * rate
""", ["parameter-dates"]),
    ("""
    tables:
      tier:
        rows:
          - otherwise: true
            set: {rate: 30%}
          - when: claim.spend > 1萬
            set: {rate: 40%}
    amount: claim.spend * tier.rate
""", ["table-otherwise"]),
    ("""
    tables:
      tier:
        rows:
          - when: claim.spend > 1萬
            set: {rate: 30%}
          - otherwise: true
            set: {rate: 1萬}
    amount: claim.spend * tier.rate
""", ["type-mismatch"]),
    ("""
    values:
      rate: 30%
    parameters:
      rate: 40%
    amount: claim.spend * rate
""", ["duplicate-name"]),
    ("""
    conditions:
      - {id: a, when: claim.spend > 0元}
      - {id: a, when: claim.spend > 1元}
    amount: claim.spend * 30%
""", ["duplicate-name"]),
    ("""
    conditions:
      - {id: a, when: claim.spend}
    amount: claim.spend * 30%
""", ["type-mismatch"]),
    ("""
    amount: claim.spend > 1萬
""", ["type-mismatch"]),
    ("""
    benefit: in-kind
    duration: 3 years * 2萬
""", ["type-mismatch"]),
])
def test_policy_checks(tmp_path, body, codes):
    assert [p.code for p in _policy_problems(tmp_path, MEASURE + body)] == codes

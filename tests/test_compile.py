"""Compiled evaluation: every operator and function, dates, three-valued logic, cap notes, errors."""

from __future__ import annotations

import datetime as dt
import decimal
from decimal import Decimal

import pytest

from ordinance import types as T
from ordinance import values as V
from ordinance.check.checker import Checker, Scope, Symbol
from ordinance.run.compile import NOTES_KEY, Resolver, Undetermined, compile_expression, constant_value
from ordinance.grammar.parser import SourceSpan, parse_expression
from ordinance.values import Duration

D = Decimal
date = dt.date

SYMBOLS = {
    "m": T.MONEY, "m2": T.MONEY, "n": T.NUMBER, "n2": T.NUMBER, "zero": T.NUMBER, "r": T.RATE,
    "d": T.DATE, "d2": T.DATE, "du": T.DURATION, "s": T.STRING, "yes": T.BOOL, "no": T.BOOL,
    "lm": T.list_of(T.MONEY), "ln": T.list_of(T.NUMBER), "lb": T.list_of(T.BOOL), "empty": T.list_of(T.MONEY),
    # never in the facts below: reading them is undetermined
    "x": T.BOOL, "y": T.BOOL, "xm": T.MONEY, "xn": T.NUMBER, "xd": T.DATE,
}

FACTS = {
    "m": D(1000), "m2": D(300), "n": D(7), "n2": D(2), "zero": D(0), "r": D("0.3"),
    "d": date(2025, 1, 31), "d2": date(2024, 12, 25), "du": Duration(months=1), "s": "university",
    "yes": True, "no": False, "lm": (D(1), D(5), D(3)), "ln": (D(4), D(-2)), "lb": (True, False), "empty": (),
}


class FactResolver(Resolver):
    """Reads facts from the env dict like run/interpret.py's ``_fact``: absent means undetermined."""

    def name(self, dotted):
        missing = frozenset((dotted,))

        def fact(env):
            try:
                return env[dotted]
            except KeyError:
                raise Undetermined(missing) from None
        return fact


def compiled(text):
    problems = []
    scope = Scope()
    for name, t in SYMBOLS.items():
        scope.add(Symbol(name, "fact", t))
    typed = Checker(scope, problems.append).check(parse_expression(text, SourceSpan.at("r.yaml", 1, 1)))
    assert problems == [], problems
    return compile_expression(typed, FactResolver())


def run(text, env=None):
    fn = compiled(text)
    with decimal.localcontext(V.DECIMAL_CONTEXT):
        return fn(dict(FACTS) if env is None else env)


VALUES = [
    # arithmetic
    ("m + m2", D(1300)), ("m - m2", D(700)), ("m2 - m", D(-700)), ("m * r", D(300)), ("m * 30%", D(300)),
    ("30% * m", D(300)), ("m / n2", D(500)), ("m / m2", D("3." + "3" * 33)), ("n / n2", D("3.5")),
    ("1 / 3", D("0." + "3" * 34)), ("-m", D(-1000)), ("- n", D(-7)), ("--n", D(7)), ("n - -2", D(9)),
    ("2 + 3 * 4", D(14)), ("(2 + 3) * 4", D(20)), ("10 - 4 - 3", D(3)), ("24 / 4 / 2", D(3)),
    ("0.1 + 0.2", D("0.3")), ("1萬 * 30%", D(3000)), ("m × 2 ÷ 4", D(500)), ("r + r", D("0.6")),
    ("1億 - 1元", D(99_999_999)),
    # comparisons
    ("n > 5", True), ("n < 5", False), ("n >= 7", True), ("n <= 6", False), ("n == 7", True), ("n != 7", False),
    ("n ≥ 7", True), ("n ≤ 7", True), ("n ≠ 8", True), ("m > m2", True), ("r == 30%", True), ("r == 0.3", True),
    ("n in [7, 8]", True), ("n in [1, 2]", False), ("n not in [7]", False), ("n not in []", True),
    ("n in [n2, 7]", True), ('s in ["university", "research-institute"]', True), ('s == "enterprise"', False),
    ("m in lm", False), ("5元 in lm", True), ("d == 2025-01-31", True), ("d > d2", True),
    ("du == 1 month", True), ("1 year == 12 months", True), ("1 year > 11 months", True),
    ("30 days < 31 days", True), ("[n, 1] == [7, 1]", True), ("yes == true", True), ("no != false", False),
    # logic
    ("yes and no", False), ("yes and yes", True), ("yes or no", True), ("no or no", False), ("not no", True),
    ("not yes", False), ("not n > 5", False), ("no or n > 5 and yes", True),
    # if
    ("if yes then 1 else 2", D(1)), ("if no then 1 else 2", D(2)), ("if n > 5 then m else m2", D(1000)),
    ("if no then 1 else if yes then 2 else 3", D(2)),
    # lists
    ("[1, 2]", (D(1), D(2))), ("[]", ()), ("[n, n2 + 1]", (D(7), D(3))),
    # min, max
    ("min(m, m2)", D(300)), ("max(m, m2)", D(1000)), ("min(3, 1, 2)", D(1)), ("max(lm)", D(5)), ("min(lm)", D(1)),
    ("min(ln)", D(-2)), ("max(d, d2)", date(2025, 1, 31)), ("min(6 months, 2 months)", Duration(months=2)),
    ("max([1, 30%])", D(1)),
    # floor, ceil, round (half up), to a unit
    ("floor(n / n2)", D(3)), ("ceil(n / n2)", D(4)), ("round(n / n2)", D(4)), ("round(2.5)", D(3)),
    ("round(2.4)", D(2)), ("round(-2.5)", D(-3)), ("floor(-1.5)", D(-2)), ("ceil(-1.5)", D(-1)),
    ("floor(m, 300元)", D(900)), ("ceil(m, 300元)", D(1200)), ("round(m, 300元)", D(900)),
    ("round(1234567元, 1萬)", D(1_230_000)), ("round(1235000元, 1萬)", D(1_240_000)),
    ("floor(1234567元, 1萬)", D(1_230_000)), ("ceil(1230001元, 1萬)", D(1_240_000)),
    ("round(0.125, 0.01)", D("0.13")), ("floor(0.129, 0.01)", D("0.12")), ("round(r, 25%)", D("0.25")),
    # abs
    ("abs(-m)", D(1000)), ("abs(m2 - m)", D(700)), ("abs(-30%)", D("0.3")), ("abs(0)", D(0)),
    # year, month, date
    ("year(d)", D(2025)), ("month(d)", D(1)), ("month(d2)", D(12)), ("date(2025, 2, 28)", date(2025, 2, 28)),
    ("date(2024, 2, 29)", date(2024, 2, 29)), ("date(year(d), month(d), 1)", date(2025, 1, 1)),
    ("date(2025, 1.0, 1)", date(2025, 1, 1)),
    # between: both ends included
    ("between(n, 1, 7)", True), ("between(n, 7, 9)", True), ("between(n, 8, 9)", False),
    ("between(d, 2025-01-01, 2025-12-31)", True), ("between(m, 1萬, 2萬)", False),
    # sum, count, any, all
    ("sum(lm)", D(9)), ("sum(ln)", D(2)), ("sum(empty)", D(0)), ("sum([])", D(0)), ("sum([m, m2])", D(1300)),
    ("count(lm)", D(3)), ("count([])", D(0)), ("any(lb)", True), ("all(lb)", False), ("any([])", False),
    ("all([])", True), ("any([no, n > 5])", True), ("all([yes, n > 5])", True),
    # cap
    ("cap(m, m2)", D(300)), ("cap(m2, m)", D(300)), ("cap(m, m)", D(1000)), ("cap(m * r, 200元)", D(200)),
    ("cap(n, 5)", D(5)), ("cap(r, 50%)", D("0.3")),
    # dates and durations: month arithmetic clamps to the end of the month
    ("d + du", date(2025, 2, 28)), ("du + d", date(2025, 2, 28)), ("d + 1 month", date(2025, 2, 28)),
    ("2024-01-31 + 1 month", date(2024, 2, 29)), ("2025-01-31 + 2 months", date(2025, 3, 31)),
    ("2025-01-31 + 1 month + 1 month", date(2025, 3, 28)), ("2025-03-31 - 1 month", date(2025, 2, 28)),
    ("2024-02-29 + 1 year", date(2025, 2, 28)), ("2025-04-21 + 3 years", date(2028, 4, 21)),
    ("2025-04-21 + 3年", date(2028, 4, 21)), ("2025-01-01 + 6個月", date(2025, 7, 1)),
    ("d + 30 days", date(2025, 3, 2)), ("d + 30天", date(2025, 3, 2)), ("d - 31 days", date(2024, 12, 31)),
    ("d - du", date(2024, 12, 31)), ("d - d2", Duration(days=37)), ("d2 - d", Duration(days=-37)),
    ("2025-03-01 - 2025-02-01", Duration(days=28)), ("2025-01-01 + (d - d2)", date(2025, 2, 7)),
    ("du + 2 months", Duration(months=3)), ("du - 1 month", Duration()), ("du * 3", Duration(months=3)),
    ("3 * du", Duration(months=3)), ("-du", Duration(months=-1)), ("d + -du", date(2024, 12, 31)),
    ("d + du * 12", date(2026, 1, 31)),
]


@pytest.mark.parametrize("text,value", VALUES)
def test_values(text, value):
    got = run(text)
    assert got == value
    assert type(got) is type(value)


def test_every_function_is_exercised():
    from ordinance.check.checker import FUNCTIONS
    called = {t.split("(", 1)[0].lstrip("-") for t, _ in VALUES if "(" in t}
    assert set(FUNCTIONS) <= called


def test_money_stays_decimal_and_exact():
    for text in ("m * r", "m / n2", "sum(lm)", "cap(m * r, 200元)", "round(m / 3, 0.01元)", "1萬 * 30%"):
        assert isinstance(run(text), Decimal), text
    assert run("round(m / 3, 0.01元)") == D("333.33")
    assert run("m / 3 * 3") == D("999.9999999999999999999999999999999")  # 34 significant digits


# -- three-valued logic ---------------------------------------------------------------------------

def missing(text, env=None) -> frozenset:
    with pytest.raises(Undetermined) as info:
        run(text, env)
    return info.value.missing


@pytest.mark.parametrize("text,value", [
    ("no and x", False), ("x and no", False), ("yes or x", True), ("x or yes", True),
    ("x and y and no", False), ("no and (x or y)", False), ("(x and y) or yes", True),
    ("not x and no", False), ("no and xm > 1元", False), ("yes or xm > 1元", True),
    ("no and xn / zero > 1", False),                    # the right side is never computed
    ("if yes then 1 else xn", D(1)), ("if no then xn else 2", D(2)),
    ("if yes or x then 1 else 2", D(1)), ("between(n, 8, xn)", False),
])
def test_what_is_known_without_the_missing_facts(text, value):
    assert run(text) == value


@pytest.mark.parametrize("text,names", [
    ("yes and x", {"x"}), ("x and yes", {"x"}), ("no or x", {"x"}), ("x or no", {"x"}),
    ("x and y", {"x", "y"}), ("x or y", {"x", "y"}), ("x or yes and y", {"x", "y"}),
    ("not x", {"x"}), ("x == true", {"x"}),
    ("if x then 1 else 2", {"x"}), ("if x then xn else 2", {"x"}), ("if no then 1 else xn", {"xn"}),
    ("xm + 1元", {"xm"}), ("xm * 0", {"xm"}), ("0 * xm", {"xm"}), ("-xm", {"xm"}), ("xn > 5", {"xn"}),
    ("xn in [1]", {"xn"}), ("min(xm, m)", {"xm"}), ("cap(xm, m)", {"xm"}), ("[xn, 1]", {"xn"}),
    ("count([xn])", {"xn"}), ("xd + du", {"xd"}), ("year(xd)", {"xd"}), ("yes and xm + xn * m > m", {"xm"}),
    ("(x or y) and yes", {"x", "y"}),
])
def test_undetermined_names_exactly_the_missing_facts(text, names):
    assert missing(text) == frozenset(names)


def test_undetermined_message_lists_the_facts():
    with pytest.raises(Undetermined) as info:
        run("x and y")
    assert str(info.value) == "x, y"


def test_the_same_closure_serves_many_envs():
    fn = compiled("yes and xm > 1萬")
    with decimal.localcontext(V.DECIMAL_CONTEXT):
        assert fn({**FACTS, "xm": D(20_000)}) is True
        assert fn({**FACTS, "xm": D(5_000)}) is False
        with pytest.raises(Undetermined):
            fn(dict(FACTS))


# -- cap notes ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,bites", [
    ("cap(m, m2)", True), ("cap(m2, m)", False), ("cap(m, m)", False), ("cap(m * r, 200元)", True),
    ("cap(1000萬, 500萬)", True),                      # constant arguments: still noted at run time
    ("cap(n, 5)", True), ("min(cap(m, m2), m)", True), ("if yes then cap(m, m2) else m", True),
    ("if no then cap(m, m2) else m", False),
])
def test_cap_notes_when_it_bites_and_only_then(text, bites):
    env = {**FACTS, NOTES_KEY: []}
    compiled_fn = compiled(text)
    with decimal.localcontext(V.DECIMAL_CONTEXT):
        compiled_fn(env)
    notes = env[NOTES_KEY]
    assert len(notes) == (1 if bites else 0), notes
    if bites:
        assert notes[0].startswith("capped by cap(")


def test_cap_note_shows_money_as_money():
    env = {**FACTS, "m": D(8_000_000), NOTES_KEY: []}
    assert run("cap(m, 500萬)", env) == D(5_000_000)
    assert env[NOTES_KEY] == ["capped by cap(m, 500萬): 8,000,000.00 元 (800萬) > 5,000,000.00 元 (500萬)"]
    env = {**FACTS, NOTES_KEY: []}
    run("cap(n, 5)", env)
    assert env[NOTES_KEY] == ["capped by cap(n, 5): 7 > 5"]


def test_cap_without_a_notes_list_just_caps():
    env = dict(FACTS)
    assert run("cap(m, m2)", env) == D(300)
    assert NOTES_KEY not in env


def test_each_cap_is_evaluated_once():
    """A negated duration and ``date - duration`` read their operand once: one note, not two."""
    for text in ("-(if cap(m, m2) > 1元 then du else du)", "d - (if cap(m, m2) > 1元 then du else du)"):
        env = {**FACTS, NOTES_KEY: []}
        run(text, env)
        assert len(env[NOTES_KEY]) == 1, text


# -- errors at run time ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "n / zero", "m / zero", "1 / 0", "n / (n - n)", "m / (m - m)", "0 / 0", "m / 0元", "round(n / zero)",
    "if yes then 1 / zero else 1", "yes and n / zero > 1", "n / zero > 1 or yes",
])
def test_division_by_zero_raises_an_arithmetic_error(text):
    with pytest.raises(ArithmeticError):
        run(text)


def test_division_by_zero_raises_in_the_default_decimal_context_too():
    fn = compiled("n / zero")
    with pytest.raises(ArithmeticError):
        fn(dict(FACTS))


@pytest.mark.parametrize("text,message", [
    ("date(2025, 2, 29)", "no such date"),
    ("date(2025, 13, 1)", "no such date"),
    ("date(2025.5, 1, 1)", "2025.5 is not a whole number"),
    ("date(2025, n / n2, 1)", "3.5 is not a whole number"),
    ("min(empty)", "the list is empty"),
    ("max(empty)", "the list is empty"),
    ("floor(m, 0元)", "the unit must be positive"),
    ("round(m, m2 - m)", "the unit must be positive"),
    ("du * 1.5", "not a whole number of months and days"),
    ("1 year > 30 days", "months and days do not convert"),
    ("9999-12-01 + 1 month", "outside the calendar"),
    ("9999-12-31 + 1 day", "outside the calendar"),
])
def test_run_time_errors_are_value_errors(text, message):
    with pytest.raises(ValueError, match=message):
        run(text)


# -- constant folding -----------------------------------------------------------------------------

def _typed(text):
    problems = []
    typed = Checker(Scope(), problems.append).check(parse_expression(text, SourceSpan.at("r.yaml", 1, 1)))
    assert problems == []
    return typed


@pytest.mark.parametrize("text,value", [
    ("1萬 * 30%", D(3000)), ("2025-01-31 + 1 month", date(2025, 2, 28)), ("max(1, 2) + 1", D(3)),
    ("[1, 2]", (D(1), D(2))), ("if true then 1 else 2", D(1)), ("true and false", False),
])
def test_constants_fold(text, value):
    assert constant_value(_typed(text), FactResolver()) == (True, value)


@pytest.mark.parametrize("text", ["cap(1000萬, 500萬)", "1 / 0", "date(2025, 2, 30)"])
def test_what_does_not_fold(text):
    ok, _ = constant_value(_typed(text), FactResolver())
    assert not ok


def test_a_constant_resolver_name_is_folded():
    class Constants(FactResolver):
        def constant(self, dotted):
            return (True, D("0.3")) if dotted == "r" else (False, None)

    scope = Scope()
    scope.add(Symbol("r", "parameter", T.RATE))
    typed = Checker(scope, lambda p: None).check(parse_expression("1萬 * r", SourceSpan.at("r.yaml", 1, 1)))
    assert constant_value(typed, Constants()) == (True, D(3000))
    assert compile_expression(typed, Constants())({}) == D(3000)


def test_any_and_all_over_a_written_list_are_three_valued():
    from ordinance.check.checker import Checker, Scope, Symbol
    from ordinance.run.compile import Resolver, Undetermined, compile_expression
    from ordinance.grammar.parser import SourceSpan, parse_expression
    from ordinance import types as T

    scope = Scope()
    for name in ("a", "b", "c"):
        scope.add(Symbol(f"claim.{name}", "fact", T.BOOL))

    class Facts(Resolver):
        def name(self, dotted):
            def read(env):
                try:
                    return env[dotted]
                except KeyError:
                    raise Undetermined(frozenset((dotted,))) from None
            return read

    def run(text, env):
        typed = Checker(scope, lambda p: (_ for _ in ()).throw(AssertionError(p))).check(
            parse_expression(text, SourceSpan.at("t", 1, 1)))
        try:
            return compile_expression(typed, Facts())(env)
        except Undetermined as exc:
            return sorted(exc.missing)

    assert run("any([claim.a, claim.b])", {"claim.b": True}) is True
    assert run("any([claim.a, claim.b])", {"claim.b": False}) == ["claim.a"]
    assert run("any([claim.a, claim.b, claim.c])", {"claim.b": False}) == ["claim.a", "claim.c"]
    assert run("all([claim.a, claim.b])", {"claim.b": False}) is False
    assert run("all([claim.a, claim.b])", {"claim.a": True, "claim.b": True}) is True
    assert run("all([claim.a, claim.b])", {"claim.a": True}) == ["claim.b"]
    assert run("any([false, false])", {}) is False and run("all([])", {}) is True

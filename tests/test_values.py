"""Literal parsers and formatters of ordinance.values, and Duration arithmetic."""

from __future__ import annotations

import datetime as dt
import decimal
from decimal import Decimal

import pytest

from ordinance import values as V
from ordinance.values import Duration, LiteralError

D = Decimal


# -- money ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,value", [
    ("1000萬", D(10_000_000)),
    ("1000万", D(10_000_000)),
    ("10億", D(1_000_000_000)),
    ("10亿", D(1_000_000_000)),
    ("50萬元", D(500_000)),
    ("50万元", D(500_000)),
    ("3.5億元", D(350_000_000)),
    ("3.5亿元", D(350_000_000)),
    ("100元", D(100)),
    ("1_000元", D(1000)),
    ("0.5萬", D(5000)),
    ("0.0001萬", D(1)),
    ("5 萬 元", D(50_000)),
    ("  200萬  ", D(2_000_000)),
    ("1_000_000.25元", D("1000000.25")),
])
def test_parse_money(text, value):
    got = V.parse_money(text)
    assert isinstance(got, Decimal)
    assert got == value


@pytest.mark.parametrize("text", ["5", "1.5", "萬", "元", "-5萬", "1,000元", "5萬元元", "1e3萬", "五萬", "5 萬元 x", ""])
def test_parse_money_refuses(text):
    with pytest.raises(LiteralError, match="not an amount of money"):
        V.parse_money(text)


def test_parse_money_is_exact_whatever_the_decimal_context():
    text = "1234567890123456789012345678901.5萬"  # 32 significant digits
    with decimal.localcontext(decimal.Context(prec=5)):
        got = V.parse_money(text)
    assert got == D("12345678901234567890123456789015000")
    assert V.parse_percent("12345678901234567890123456789.75%") == D("123456789012345678901234567.8975")


def test_money_keeps_a_plain_representation():
    assert str(V.parse_money("1000萬")) == "10000000"
    assert str(V.parse_money("3.5億元")) == "350000000.0"


# -- percentages ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text,value", [
    ("30%", D("0.3")), ("0.5%", D("0.005")), ("100%", D(1)), ("30 %", D("0.3")), ("1_0%", D("0.1")),
    ("0%", D(0)), ("12.5%", D("0.125")),
])
def test_parse_percent(text, value):
    assert V.parse_percent(text) == value


@pytest.mark.parametrize("text", ["30", "%", "-5%", "30％", "thirty%", "3 0%"])
def test_parse_percent_refuses(text):
    with pytest.raises(LiteralError, match="not a percentage"):
        V.parse_percent(text)


@pytest.mark.parametrize("value,negated", [
    (D(5), D(-5)), (D("-0.30"), D("0.30")), (D(0), D(0)), (D("1234567890123456789012345678901234567.5"),
                                                         D("-1234567890123456789012345678901234567.5")),
])
def test_negated_is_exact(value, negated):
    with decimal.localcontext(decimal.Context(prec=2)):
        got = V.negated(value)
    assert got == negated and str(got) == str(negated)


def test_parse_number():
    assert V.parse_number("1_000_000") == D(1_000_000)
    assert V.parse_number("0.5") == D("0.5")


# -- dates ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,value", [
    ("2027-12-31", dt.date(2027, 12, 31)),
    ("2024-02-29", dt.date(2024, 2, 29)),
    (" 2025-01-01 ", dt.date(2025, 1, 1)),
    ("0001-01-01", dt.date(1, 1, 1)),
    ("9999-12-31", dt.date(9999, 12, 31)),
])
def test_parse_date(text, value):
    assert V.parse_date(text) == value


@pytest.mark.parametrize("text", ["2025-02-30", "2023-02-29", "2025-13-01", "2025-00-10", "2025-04-31", "0000-01-01"])
def test_parse_date_refuses_days_not_in_the_calendar(text):
    with pytest.raises(LiteralError, match="is not a date in the calendar"):
        V.parse_date(text)


@pytest.mark.parametrize("text", ["2025-2-3", "2025/01/01", "2025-01-01T00:00", "25-01-01", "tomorrow", ""])
def test_parse_date_refuses_other_forms(text):
    with pytest.raises(LiteralError, match=r"not a date \(YYYY-MM-DD\)"):
        V.parse_date(text)


# -- durations ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,value", [
    ("3 years", Duration(months=36)), ("1 year", Duration(months=12)), ("3years", Duration(months=36)),
    ("6 months", Duration(months=6)), ("1 month", Duration(months=1)),
    ("30 days", Duration(days=30)), ("1 day", Duration(days=1)), ("0 days", Duration()),
    ("3年", Duration(months=36)), ("6個月", Duration(months=6)), ("6个月", Duration(months=6)),
    ("30天", Duration(days=30)), ("30日", Duration(days=30)), ("3 年", Duration(months=36)),
])
def test_parse_duration(text, value):
    assert V.parse_duration(text) == value


@pytest.mark.parametrize("text", ["3", "1.5 years", "-3 days", "3 weeks", "years", "3 yearsx", "三年"])
def test_parse_duration_refuses(text):
    with pytest.raises(LiteralError, match="not a duration"):
        V.parse_duration(text)


@pytest.mark.parametrize("text", ["10000000 days", "1" * 5000 + " years"])
def test_parse_duration_refuses_absurd_lengths(text):
    with pytest.raises(LiteralError, match="too long a duration"):
        V.parse_duration(text)


def test_duration_arithmetic():
    assert Duration(1, 5) + Duration(2, 10) == Duration(3, 15)
    assert Duration(1, 5) - Duration(2, 10) == Duration(-1, -5)
    assert Duration(2, 4).scale(D(3)) == Duration(6, 12)
    assert Duration(2, 4).scale(D("0.5")) == Duration(1, 2)
    assert Duration(3).scale(D(-1)) == Duration(-3)
    with pytest.raises(LiteralError, match="not a whole number"):
        Duration(3).scale(D("0.5"))
    with pytest.raises(TypeError):
        Duration(1) + 5


@pytest.mark.parametrize("a,b,lt", [
    (Duration(1), Duration(2), True),
    (Duration(2), Duration(1), False),
    (Duration(days=5), Duration(days=10), True),
    (Duration(12), Duration(12), False),
    (Duration(1, 5), Duration(1, 10), True),     # same months: compare the days
    (Duration(3, 7), Duration(1, 7), False),     # same days: compare the months
])
def test_duration_order(a, b, lt):
    assert (a < b) is lt
    assert (a >= b) is not lt
    assert (a <= b) is (lt or a == b)
    assert (a > b) is (not lt and a != b)


@pytest.mark.parametrize("a,b", [(Duration(12), Duration(days=365)), (Duration(1, 1), Duration(2, 0))])
def test_durations_in_months_and_days_do_not_compare(a, b):
    for op in ("__lt__", "__le__", "__gt__", "__ge__"):
        with pytest.raises(LiteralError, match="months and days do not convert"):
            getattr(a, op)(b)


@pytest.mark.parametrize("duration,day,expected", [
    (Duration(1), dt.date(2025, 1, 31), dt.date(2025, 2, 28)),      # clamped to the month's end
    (Duration(1), dt.date(2024, 1, 31), dt.date(2024, 2, 29)),      # leap year
    (Duration(2), dt.date(2025, 1, 31), dt.date(2025, 3, 31)),
    (Duration(1), dt.date(2025, 3, 31), dt.date(2025, 4, 30)),
    (Duration(-1), dt.date(2024, 3, 31), dt.date(2024, 2, 29)),
    (Duration(12), dt.date(2024, 2, 29), dt.date(2025, 2, 28)),
    (Duration(36), dt.date(2025, 4, 21), dt.date(2028, 4, 21)),
    (Duration(-13), dt.date(2025, 1, 15), dt.date(2023, 12, 15)),
    (Duration(1, 1), dt.date(2025, 1, 31), dt.date(2025, 3, 1)),    # months first, then days
    (Duration(days=30), dt.date(2025, 2, 1), dt.date(2025, 3, 3)),
    (Duration(days=-1), dt.date(2025, 3, 1), dt.date(2025, 2, 28)),
    (Duration(), dt.date(2025, 6, 1), dt.date(2025, 6, 1)),
])
def test_add_to(duration, day, expected):
    assert duration.add_to(day) == expected


@pytest.mark.parametrize("duration,day", [
    (Duration(1), dt.date(9999, 12, 1)),
    (Duration(-1), dt.date(1, 1, 1)),
    (Duration(days=1), dt.date(9999, 12, 31)),
    (Duration(days=-1), dt.date(1, 1, 1)),
])
def test_add_to_outside_the_calendar_is_a_literal_error(duration, day):
    with pytest.raises(LiteralError, match="outside the calendar"):
        duration.add_to(day)


@pytest.mark.parametrize("duration,text", [
    (Duration(36), "3 years"), (Duration(12), "1 year"), (Duration(13), "1 year 1 month"),
    (Duration(6), "6 months"), (Duration(days=1), "1 day"), (Duration(days=30), "30 days"),
    (Duration(), "0 days"), (Duration(14, 3), "1 year 2 months 3 days"),
    (Duration(-1), "-1 month"), (Duration(-13), "-1 year -1 month"), (Duration(days=-1), "-1 day"),
    (Duration(-24, -2), "-2 years -2 days"),
])
def test_duration_str(duration, text):
    assert str(duration) == text


# -- formatting -----------------------------------------------------------------------------------

@pytest.mark.parametrize("amount,text", [
    (D(5_000_000), "5,000,000.00 元 (500萬)"),
    (D("3200000.00"), "3,200,000.00 元 (320萬)"),
    (D(100_000_000), "100,000,000.00 元 (1億)"),
    (D(150_000_000), "150,000,000.00 元 (1.5億)"),
    (D("1.5E+8"), "150,000,000.00 元 (1.5億)"),
    (D(123_456_789), "123,456,789.00 元 (12345.6789萬)"),
    (D(15_000), "15,000.00 元 (1.5萬)"),
    (D(12_345), "12,345.00 元 (1.2345萬)"),
    (D(10_000), "10,000.00 元 (1萬)"),
    (D(9_999), "9,999.00 元"),
    (D("10000.5"), "10,000.50 元"),
    (D(0), "0.00 元"),
    (D("1234.565"), "1,234.57 元"),          # half up
    (D("1234.564"), "1,234.56 元"),
    (D("0.005"), "0.01 元"),
    (D("99999.995"), "100,000.00 元 (10萬)"),  # the spelling of the figure shown
    (D(-5_000_000), "-5,000,000.00 元 (-500萬)"),
    (D("-0"), "0.00 元"),
    (D("-0.001"), "0.00 元"),
])
def test_format_money(amount, text):
    assert V.format_money(amount) == text


@pytest.mark.parametrize("amount,text", [
    (D(5_000_000), "5000000.00"), (D("3200000"), "3200000.00"), (D("1234.565"), "1234.57"),
    (D("1234.564"), "1234.56"), (D("0.1"), "0.10"), (D("1.5E+8"), "150000000.00"), (D(0), "0.00"),
    (D("-0"), "0.00"), (D("-0.004"), "0.00"), (D("-12.345"), "-12.35"),
])
def test_money_string(amount, text):
    assert V.money_string(amount) == text


@pytest.mark.parametrize("amount,text", [
    (D(5_000_000), "500萬"), (D(100_000_000), "1億"), (D(12_345), "1.2345萬"), (D("12345.5"), None),
    (D(0), None), (D(999), None), (D(250_000_000), "2.5億"),
])
def test_chinese_amount(amount, text):
    assert V.chinese_amount(amount) == text


@pytest.mark.parametrize("rate,text", [(D("0.3"), "30%"), (D("0.30"), "30%"), (D("0.015"), "1.5%"), (D(1), "100%")])
def test_format_rate(rate, text):
    assert V.format_rate(rate) == text


def test_format_decimal():
    assert V.format_decimal(D("3.50")) == "3.5"
    assert V.format_decimal(D("1E+3")) == "1000"


def test_decimal_context_traps_instead_of_infinities():
    with decimal.localcontext(V.DECIMAL_CONTEXT):
        with pytest.raises(ArithmeticError):
            D(1) / D(0)
        with pytest.raises(ArithmeticError):
            D(0) / D(0)
        assert D(1) / D(3) == D("0.3333333333333333333333333333333333")  # 34 digits


def test_money_string_needs_no_context_from_the_caller():
    """Amounts up to the 30 digits a case may give (and sums of them) are shown whole, whatever
    decimal context is current: the default one has 28 digits and would refuse them."""
    import decimal

    big, bigger = Decimal("123456789012345678901234567890.125"), Decimal("123456789012345678901234567890125")
    with decimal.localcontext(decimal.Context(prec=28, traps=[decimal.InvalidOperation])):
        assert V.money_string(big) == "123456789012345678901234567890.13"
        assert V.money_string(bigger) == "123456789012345678901234567890125.00"
    with decimal.localcontext(decimal.Context(prec=28)):
        try:
            big.quantize(V.CENT)  # (what the default context alone does with it: so the test can fail)
        except decimal.InvalidOperation:
            pass
        else:  # pragma: no cover
            raise AssertionError("the default context quantized 33 digits")

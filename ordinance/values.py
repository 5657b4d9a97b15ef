"""Runtime values and the literal forms they are written in.

Numbers, money and rates are all :class:`decimal.Decimal` at run time (the static type
says which is which); dates are :class:`datetime.date`; durations are :class:`Duration`.
This module also reads the literal spellings that rule files and case files share
(``1000萬``, ``3.5億元``, ``30%``, ``2027-12-31``, ``3 years``, ``3年``), so that a case
may write an amount exactly as the statute does.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import functools
import re
import unicodedata
from dataclasses import dataclass
from decimal import Context, Decimal, DivisionByZero, InvalidOperation, Overflow, ROUND_HALF_UP

from .messages import Text, msg

#: The arithmetic context of every evaluation: exact for money (34 significant digits),
#: and errors instead of silent infinities or NaN.
DECIMAL_CONTEXT = Context(prec=34, rounding=ROUND_HALF_UP, Emin=-999999, Emax=999999,
                          traps=[InvalidOperation, DivisionByZero, Overflow])

CENT = Decimal("0.01")

#: Chinese magnitude units, in both character sets.
MONEY_UNITS: dict[str, Decimal] = {
    "萬": Decimal(10_000), "万": Decimal(10_000),
    "億": Decimal(100_000_000), "亿": Decimal(100_000_000),
}

# Digits are ASCII only, as in the published JSON Schema (``\d`` in Python would also take ``５``,
# ``٥``, ``५``, ``𝟓``: see :func:`ascii_digits` for the hint given instead).
_NUMBER = r"[0-9](?:_?[0-9])*(?:\.[0-9](?:_?[0-9])*)?"
MONEY_RE = re.compile(rf"^({_NUMBER})\s*(萬|万|億|亿)?\s*(元)?$")
PERCENT_RE = re.compile(rf"^({_NUMBER})\s*%$")
NUMBER_RE = re.compile(rf"^[-+]?{_NUMBER}$")
DATE_RE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
DURATION_RE = re.compile(
    r"^([0-9]+)\s*(years?|months?|days?|年|個月|个月|日|天)$")

#: The most digits a duration's count may have (10^7 days is beyond the calendar anyway).
MAX_DURATION_DIGITS = 7

_DURATION_UNITS = {
    "year": "years", "years": "years", "年": "years",
    "month": "months", "months": "months", "個月": "months", "个月": "months",
    "day": "days", "days": "days", "日": "days", "天": "days",
}


class LiteralError(ValueError):
    """A literal that does not denote a value (e.g. the date 2025-02-30); ``text`` says why, in
    both languages (``str(exc)`` is the English)."""

    def __init__(self, text: Text):
        super().__init__(text)
        self.text = text


def ascii_digits(text: str) -> str | None:
    """``text`` with its digits of other scripts written in ASCII (``５億`` -> ``5億``, ``٥``,
    ``५``, ``𝟓`` -> ``5``), or None when it has none: for the hint "write ASCII digits: 5億"."""
    if text.isascii() or not any(ch.isdigit() and not ch.isascii() for ch in text):
        return None
    return "".join(str(unicodedata.digit(ch)) if not ch.isascii() and unicodedata.digit(ch, None) is not None
                   else ch for ch in text)


def _not_literal(key: str, text: str) -> Text:
    """The message ``key`` about ``text``, with ``(write ASCII digits: 5億)`` when that is its trouble."""
    fixed = ascii_digits(text.strip())
    if fixed is not None:
        return msg(key + ".ascii", text=repr(text), fixed=fixed)
    return msg(key, text=repr(text))


#: Python's words for a date that is not in the calendar -> the catalogue's
CALENDAR_REASONS = {"day is out of range for month": "value.reason.day-out-of-range",
                     "month must be in 1..12": "value.reason.month-out-of-range"}


@dataclass(frozen=True, slots=True)
class Duration:
    """A length of time in calendar months and days (a year is twelve months)."""

    months: int = 0
    days: int = 0

    def __add__(self, other: object) -> "Duration":
        if isinstance(other, Duration):
            return Duration(self.months + other.months, self.days + other.days)
        return NotImplemented

    def __sub__(self, other: object) -> "Duration":
        if isinstance(other, Duration):
            return Duration(self.months - other.months, self.days - other.days)
        return NotImplemented

    def scale(self, factor: Decimal) -> "Duration":
        months, days = Decimal(self.months) * factor, Decimal(self.days) * factor
        if months != months.to_integral_value() or days != days.to_integral_value():
            raise LiteralError(msg("value.duration-not-whole", duration=str(self), factor=factor))
        return Duration(int(months), int(days))

    def _key(self, other: "Duration") -> tuple[int, int]:
        # comparable when they differ in one unit only: months never convert to days
        if self.days == other.days or self.months == other.months:
            return (self.months, self.days)
        raise LiteralError(msg("value.duration-incomparable", left=str(self), right=str(other)))

    def __lt__(self, other: "Duration") -> bool:
        return self._key(other) < other._key(self)

    def __le__(self, other: "Duration") -> bool:
        return self._key(other) <= other._key(self)

    def __gt__(self, other: "Duration") -> bool:
        return self._key(other) > other._key(self)

    def __ge__(self, other: "Duration") -> bool:
        return self._key(other) >= other._key(self)

    def add_to(self, day: _dt.date) -> _dt.date:
        """``day`` plus this duration; the day of month is clamped (Jan 31 + 1 month = Feb 28)."""
        month_index = day.year * 12 + (day.month - 1) + self.months
        year, month = divmod(month_index, 12)
        month += 1
        if not 1 <= year <= 9999:
            raise LiteralError(msg("value.outside-calendar", day=day, duration=str(self)))
        last = calendar.monthrange(year, month)[1]
        try:
            return _dt.date(year, month, min(day.day, last)) + _dt.timedelta(days=self.days)
        except OverflowError:
            raise LiteralError(msg("value.outside-calendar", day=day, duration=str(self))) from None

    def __str__(self) -> str:
        parts = []
        years, months = divmod(abs(self.months), 12)  # -13 months is -1 year -1 month, not -2 years 11 months
        sign = "-" if self.months < 0 else ""
        if years:
            parts.append(f"{sign}{years} year{'s' if years != 1 else ''}")
        if months:
            parts.append(f"{sign}{months} month{'s' if months != 1 else ''}")
        if self.days or not parts:
            parts.append(f"{self.days} day{'s' if abs(self.days) != 1 else ''}")
        return " ".join(parts)


def parse_number(text: str) -> Decimal:
    """``1_000_000`` or ``0.5`` as an exact Decimal."""
    return Decimal(text.replace("_", ""))


def parse_money(text: str) -> Decimal:
    """``1000萬``, ``3.5億元``, ``50萬元``, ``1_000元`` as yuan."""
    m = MONEY_RE.match(text.strip())
    if not m or not (m.group(2) or m.group(3)):
        raise LiteralError(_not_literal("value.not-money", text))
    value = parse_number(m.group(1))
    unit = m.group(2)
    return _exact(value).multiply(value, MONEY_UNITS[unit]) if unit else value


def parse_percent(text: str) -> Decimal:
    """``30%`` as 0.30 (exact)."""
    m = PERCENT_RE.match(text.strip())
    if not m:
        raise LiteralError(_not_literal("value.not-percent", text))
    value = parse_number(m.group(1))
    return _exact(value).scaleb(value, -2)


def negated(value: Decimal) -> Decimal:
    """``-value``, exactly (``-`` alone rounds to the caller's decimal context); minus zero is zero."""
    return _exact(value).minus(value)


def _exact(value: Decimal) -> Context:
    """A context wide enough that negating ``value`` or scaling it by 萬, 億 or % never rounds it
    (a literal means exactly what it says, whatever the caller's decimal context)."""
    return Context(prec=len(value.as_tuple().digits) + 10, Emin=-999999, Emax=999999,
                   traps=[InvalidOperation, Overflow])


def parse_date(text: str) -> _dt.date:
    """``2027-12-31``; a date that does not exist (``2025-02-30``) is an error."""
    m = DATE_RE.match(text.strip())
    if not m:
        raise LiteralError(_not_literal("value.not-date", text))
    try:
        return _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError as exc:
        said = str(exc)
        reason = msg(CALENDAR_REASONS[said]) if said in CALENDAR_REASONS else said
        raise LiteralError(msg("value.not-in-calendar", text=text, reason=reason)) from None


def parse_duration(text: str) -> Duration:
    """``3 years``, ``6 months``, ``30 days``, ``3年``, ``6個月``."""
    m = DURATION_RE.match(text.strip())
    if not m:
        raise LiteralError(_not_literal("value.not-duration", text))
    if len(m.group(1)) > MAX_DURATION_DIGITS:  # int() refuses 4300+ digits; no calendar holds 10^7 days
        raise LiteralError(msg("value.duration-too-long", count=m.group(1), unit=m.group(2)))
    n, unit = int(m.group(1)), _DURATION_UNITS[m.group(2)]
    if unit == "years":
        return Duration(months=12 * n)
    if unit == "months":
        return Duration(months=n)
    return Duration(days=n)


@functools.lru_cache(maxsize=4096)
def format_money(amount: Decimal) -> str:
    """``5000000`` -> ``5,000,000.00 元 (500萬)``: the figure and the statute's spelling
    (remembered: traces show the same caps and amounts again and again)."""
    q = _cents(amount)
    text = f"{q:,.2f} 元"
    chinese = chinese_amount(q)  # the spelling of the figure shown, not of the unrounded amount
    return f"{text} ({chinese})" if chinese else text


def chinese_amount(amount: Decimal) -> str | None:
    """``5000000`` -> ``500萬``; None when the amount has no short 萬/億 spelling."""
    if amount == 0:
        return None
    for unit, size in _CHINESE_UNITS:
        if abs(amount) >= size:
            value = (amount / size).normalize()
            if value == value.to_integral_value() or len(str(abs(value)).split(".")[-1]) <= 4:
                return f"{_plain(value)}{unit}"
    return None


_CHINESE_UNITS = (("億", Decimal(100_000_000)), ("萬", Decimal(10_000)))


def _plain(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_rate(rate: Decimal) -> str:
    return f"{_plain(rate.scaleb(2))}%"


def format_decimal(value: Decimal) -> str:
    return _plain(value)


def money_string(amount: Decimal) -> str:
    """The JSON form of a sum of money: yuan with two decimals, e.g. ``"5000000.00"``."""
    return str(_cents(amount))


#: Where amounts are rounded to the cent for showing: enough digits for any sum of amounts the
#: limits allow, whatever decimal context the caller has (the default one has 28 digits).
_CENTS_CONTEXT = Context(prec=100, rounding=ROUND_HALF_UP, Emin=-999999, Emax=999999,
                         traps=[InvalidOperation, DivisionByZero, Overflow])


def _cents(amount: Decimal) -> Decimal:
    """``amount`` rounded half up to the cent; a zero is never negative (no "-0.00")."""
    q = amount.quantize(CENT, ROUND_HALF_UP, _CENTS_CONTEXT)
    return q.copy_abs() if q.is_zero() else q


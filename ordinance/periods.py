"""Periods: facts that change from year to year, and which year a measure reads.

An applicant fact declared ``per: year`` (in a policy's ``facts:``) may be given in a case
year by year -- ``annual_revenue: {2024: 8000萬, 2025: 1.2億}`` -- or as one plain value, which
is read for every year.  The declaration names the *period* its rules read by default
(``period: year-before-claim``); a measure may read another (``periods: {applicant.x: claim-year}``).
A period is a function of the claim's date to a calendar year (Chinese financial years are
calendar years):

- ``claim-year``: the year of the claim's date;
- ``year-before-claim``: the last full financial year before the claim's date (the year before
  its year).

The values given year by year are a :class:`ByYear`.  :func:`value_for` is the one place that
picks the value for a claim: the reference interpreter's readers and the generated code both
call it.  A year the case does not give is an unknown fact, named ``applicant.x[2024]`` in the
claim's ``missing`` -- never a value of another year, never zero (OpenFisca answers a missing
period with the variable's default; here it stays unknown).  An undated claim cannot tell the
year: it waits for ``claim.date``.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

from .front.model import Label
from .messages import Text, msg


@dataclass(frozen=True, slots=True)
class Period:
    """A reading of a per-year fact: which calendar year a claim dated ``day`` reads."""

    name: str
    label: Label
    offset: int  # the year read is the claim's year plus this

    def year(self, day: _dt.date) -> int:
        return day.year + self.offset

    def explain(self, day: _dt.date) -> Text:
        """Words for the trace: the reading and the year it gives for ``day``."""
        return msg("note.period-claim-year" if self.offset == 0 else "note.period-year-before", period=self.name,
                   day=day.isoformat(), year=self.year(day))


#: The periods a rule file may name, by name.
PERIODS: dict[str, Period] = {
    "claim-year": Period("claim-year", Label("申請日期所在年度", "the year of the claim date"), 0),
    "year-before-claim": Period("year-before-claim", Label("申請日期前最近一個完整會計年度",
                                                           "the last full financial year before the claim date"),
                                -1),
}

#: How a fact may be given per period (``per:`` of a fact declaration).
PER_VALUES = ("year",)


class ByYear:
    """A fact's values year by year (year -> value of the fact's type), immutable.

    ``type_name`` is the fact's type, for showing the values (money with 元)."""

    __slots__ = ("_values", "type_name")

    def __init__(self, values: Mapping[int, Any], type_name: str = ""):
        object.__setattr__(self, "_values", dict(sorted(values.items())))
        object.__setattr__(self, "type_name", type_name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("ByYear is immutable")

    def get(self, year: int) -> Any:
        """The value for ``year``, or None when the case does not give it."""
        return self._values.get(year)

    def years(self) -> list[int]:
        return list(self._values)

    def items(self) -> Iterator[tuple[int, Any]]:
        return iter(self._values.items())

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ByYear) and self._values == other._values

    def __hash__(self) -> int:
        return hash(tuple(self._values.items()))

    def __repr__(self) -> str:
        return f"ByYear({self._values!r})"

    def __str__(self) -> str:
        from .values import format_decimal, format_money  # (values.py is imported by everything)

        def show(v: Any) -> str:
            if self.type_name == "money":
                return format_money(v)
            if hasattr(v, "is_finite"):
                return format_decimal(v)
            if isinstance(v, _dt.date):
                return v.isoformat()
            if isinstance(v, bool):
                return "true" if v else "false"
            return str(v)
        return "{" + ", ".join(f"{y}: {show(v)}" for y, v in self._values.items()) + "}" + " (by year)"


def value_for(value: Any, period: Period, day: _dt.date | None) -> Any:
    """The value of a per-year fact for a claim dated ``day`` under ``period``: a plain value is
    read for every year (and needs no date); of a :class:`ByYear`, the value of the period's year,
    or None where the case does not give that year or the claim has no date.  The one function
    both back-ends call."""
    if value.__class__ is not ByYear:
        return value
    if day is None:
        return None
    return value._values.get(day.year + period.offset)


def missing_name(fact: str, period: Period, day: _dt.date | None) -> str:
    """How ``missing`` names a per-year fact whose year is not given (``applicant.x[2024]``),
    or ``claim.date`` when the claim has no date to tell the year by."""
    if day is None:
        return "claim.date"
    return f"{fact}[{period.year(day)}]"


_YEAR_TEXT = re.compile(r"[0-9]{4}\Z")


class YearKeyError(ValueError):
    """A key of a per-year value that is not a year; ``hint`` says what to write."""

    def __init__(self, message: Text, hint: Text):
        super().__init__(message)
        self.message = message
        self.hint = hint


def year_key(key: Any) -> int:
    """A year written as a key: a whole number or text of four digits (``2024``, ``"2024"``)."""
    if key.__class__ is int and 1000 <= key <= 9999:
        return key
    if key.__class__ is str and _YEAR_TEXT.match(key) and key[0] != "0":
        return int(key)
    raise YearKeyError(msg("year.not-a-year", key=key), msg("year.hint.four-digits"))


def read_by_year(data: Mapping[Any, Any], convert: Callable[[Any], Any], type_name: str) -> ByYear:
    """A mapping of years to values, each converted by ``convert`` (which raises on a value that
    does not fit); a null value is left out (that year is unknown).  Raises
    :class:`YearKeyError` for a key that is not a year, or a year given twice."""
    values: dict[int, Any] = {}
    seen: set[int] = set()
    for key, item in data.items():
        year = year_key(key)
        if year in seen:
            raise YearKeyError(msg("year.twice", year=year), msg("year.hint.once"))
        seen.add(year)
        if item is not None:
            values[year] = convert(item)
    return ByYear(values, type_name)

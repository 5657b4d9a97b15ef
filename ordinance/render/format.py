"""Formatting single trace values by their static type, shared by all renderers."""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Any

from ..messages import msg, plural
from ..trace import Missing
from ..values import Duration, format_decimal, format_money, format_rate


def show(value: Any, type_name: str | None = None, lang: str = "en") -> str:
    """``8000000`` typed money -> ``8,000,000.00 元 (800萬)``; a rate -> ``40%``.  In ``lang``: a value
    not given, or not computed, is said in it; values themselves read the same in every language."""
    if isinstance(value, Missing) or value is None:
        return "<missing>" if lang == "en" else msg("report.missing-value").in_lang(lang)
    words = getattr(value, "in_lang", None) if not isinstance(value, str) else None
    if words is not None:  # a value the trace could not compute, and why
        return words(lang)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        if type_name == "money":
            return format_money(value)
        if type_name == "rate":
            return format_rate(value)
        return format_decimal(value)
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, Duration):
        return str(value) if lang == "en" else duration_words(value, lang)
    if isinstance(value, str):
        return f'"{value}"' if type_name in ("string", "enum") or (type_name or "").startswith("enum") else value
    if isinstance(value, (list, tuple)):
        inner = type_name[len("list of "):] if type_name and type_name.startswith("list of ") else None
        return "[" + ", ".join(show(v, inner, lang) for v in value) + "]"
    if isinstance(value, dict):
        return ", ".join(f"{k} = {show(v, None, lang)}" for k, v in value.items())
    return str(value)


def duration_words(value: Duration, lang: str = "en") -> str:
    """A duration in ``lang``: ``1 year 6 months`` (as :class:`~ordinance.values.Duration` says it),
    ``1年6個月``."""
    years, months = divmod(abs(value.months), 12)
    sign = "-" if value.months < 0 else ""
    parts = []
    if years:
        parts.append(plural("words.years", years, sign=sign))
    if months:
        parts.append(plural("words.months", months, sign=sign))
    if value.days or not parts:
        parts.append(plural("words.days", abs(value.days), sign="-" if value.days < 0 else ""))
    return (" " if lang == "en" else "").join(p.in_lang(lang) for p in parts)


def show_amount(value: Decimal | None) -> str:
    return "—" if value is None else format_money(value)

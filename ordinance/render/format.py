"""Formatting single trace values by their static type, shared by all renderers."""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Any

from ..trace import Missing
from ..values import Duration, format_decimal, format_money, format_rate


def show(value: Any, type_name: str | None = None) -> str:
    """``8000000`` typed money -> ``8,000,000.00 元 (800萬)``; a rate -> ``40%``."""
    if isinstance(value, Missing) or value is None:
        return "<missing>"
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
        return str(value)
    if isinstance(value, str):
        return f'"{value}"' if type_name in ("string", "enum") or (type_name or "").startswith("enum") else value
    if isinstance(value, (list, tuple)):
        inner = type_name[len("list of "):] if type_name and type_name.startswith("list of ") else None
        return "[" + ", ".join(show(v, inner) for v in value) + "]"
    if isinstance(value, dict):
        return ", ".join(f"{k} = {show(v)}" for k, v in value.items())
    return str(value)


def show_amount(value: Decimal | None) -> str:
    return "—" if value is None else format_money(value)

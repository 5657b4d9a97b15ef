"""The static types of the expression language.

``bool``, ``number``, ``money``, ``rate``, ``date``, ``duration``, ``string``, ``enum``
(a string from a declared set) and ``list`` (of one element type).  Types are checked
when a rule file loads; evaluation then never has to ask what kind of value it holds.
``error`` is the type of an expression that already failed to check: it is compatible
with everything so that one mistake gives one message, not a cascade.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Type:
    """A type; ``element`` for lists, ``values`` for enums."""

    name: str
    element: "Type | None" = None
    values: tuple[str, ...] | None = None

    def __str__(self) -> str:
        if self.name == "list":
            return f"list of {self.element}"
        if self.name == "enum" and self.values:
            return "enum {" + ", ".join(self.values) + "}"
        return self.name

    @property
    def is_error(self) -> bool:
        return self.name == "error"

    @property
    def is_numeric(self) -> bool:
        """Number-like: number and rate mix freely; money is kept apart."""
        return self.name in ("number", "rate")

    @property
    def is_stringy(self) -> bool:
        return self.name in ("string", "enum")


BOOL = Type("bool")
NUMBER = Type("number")
MONEY = Type("money")
RATE = Type("rate")
DATE = Type("date")
DURATION = Type("duration")
STRING = Type("string")
ERROR = Type("error")


def list_of(element: Type) -> Type:
    return Type("list", element=element)


def enum_of(values: tuple[str, ...]) -> Type:
    return Type("enum", values=tuple(values))


_BY_NAME = {t.name: t for t in (BOOL, NUMBER, MONEY, RATE, DATE, DURATION, STRING)}


def parse_type_name(text: str, values: list[str] | None = None) -> Type | None:
    """``money``, ``list of money``, ``enum`` (with ``values``); None when unknown."""
    text = text.strip()
    if text.startswith("list of "):
        inner = parse_type_name(text[len("list of "):], values)
        return list_of(inner) if inner else None
    if text == "enum":
        return enum_of(tuple(values or ()))
    return _BY_NAME.get(text)


def comparable(a: Type, b: Type) -> bool:
    """Whether values of ``a`` and ``b`` may be compared for equality or order."""
    if a.is_error or b.is_error:
        return True
    if a.is_numeric and b.is_numeric:
        return True
    if a.is_stringy and b.is_stringy:
        return True
    if a.name == "list" and b.name == "list":
        return comparable(a.element or ERROR, b.element or ERROR)
    return a.name == b.name


def unify(a: Type, b: Type) -> Type | None:
    """The common type of two branches or list items, or None if they have none."""
    if a.is_error:
        return b
    if b.is_error:
        return a
    if a == b:
        return a
    if a.is_numeric and b.is_numeric:
        return NUMBER
    if a.is_stringy and b.is_stringy:
        return STRING if a.name == "string" or b.name == "string" else enum_of(
            tuple(sorted(set(a.values or ()) | set(b.values or ()))))
    if a.name == "list" and b.name == "list" and a.element and b.element:
        inner = unify(a.element, b.element)
        return list_of(inner) if inner else None
    return None

"""The abstract syntax tree of expressions: small immutable dataclasses.

Every node carries ``start`` and ``end``, character offsets into the expression text; the
:class:`~ordinance.grammar.parser.Expression` that owns the tree maps them to file, line
and column.  :func:`to_source` prints a tree back as text that parses to the same tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union


@dataclass(frozen=True)
class Literal:
    kind: str  # number | money | percent | date | duration | string | bool
    value: Any
    text: str
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Name:
    """A dotted path: ``applicant.annual_revenue``, ``rate``, ``tier.cap``."""

    path: tuple[str, ...]
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class Negate:
    operand: "Node"
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Binary:
    """Arithmetic: ``+ - * /``."""

    op: str
    left: "Node"
    right: "Node"
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Compare:
    """``== != < <= > >= in`` and ``not in``."""

    op: str
    left: "Node"
    right: "Node"
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)


@dataclass(frozen=True)
class And:
    left: "Node"
    right: "Node"
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Or:
    left: "Node"
    right: "Node"
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Not:
    operand: "Node"
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)


@dataclass(frozen=True)
class If:
    condition: "Node"
    then: "Node"
    otherwise: "Node"
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Call:
    function: str
    arguments: tuple["Node", ...]
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)
    name_end: int = field(default=0, compare=False)


@dataclass(frozen=True)
class ListExpr:
    items: tuple["Node", ...]
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)


Node = Union[Literal, Name, Negate, Binary, Compare, And, Or, Not, If, Call, ListExpr]

#: Binding strength of each node kind, for printing with the fewest parentheses.
_PRECEDENCE = {"If": 1, "Or": 2, "And": 3, "Not": 4, "Compare": 5, "+": 6, "-": 6, "*": 7, "/": 7,
               "Negate": 8}
_ATOM = 9
#: Literal kinds whose text may start with a minus sign that is part of the literal.
_SIGNED_LITERALS = ("number", "money", "percent")


def _precedence(node: Node) -> int:
    if isinstance(node, Binary):
        return _PRECEDENCE[node.op]
    return _PRECEDENCE.get(type(node).__name__, _ATOM)


def to_source(node: Node) -> str:
    """Print ``node`` as expression text (round-trips through the parser)."""
    if isinstance(node, Literal):
        return node.text
    if isinstance(node, Name):
        return node.dotted
    if isinstance(node, Negate):
        operand = _wrap(node.operand, _PRECEDENCE["Negate"], strict=False)
        # "-5" is the literal minus five, not the negation of 5; "--5" is the literal five:
        # keep a space so that a negated number literal stays a negation when re-read.
        if isinstance(node.operand, Literal) and node.operand.kind in _SIGNED_LITERALS:
            return "- " + operand
        return "-" + operand
    if isinstance(node, Binary):
        p = _PRECEDENCE[node.op]
        return f"{_wrap(node.left, p, strict=False)} {node.op} {_wrap(node.right, p, strict=True)}"
    if isinstance(node, Compare):
        p = _PRECEDENCE["Compare"]
        return f"{_wrap(node.left, p, strict=True)} {node.op} {_wrap(node.right, p, strict=True)}"
    if isinstance(node, And):
        p = _PRECEDENCE["And"]
        return f"{_wrap(node.left, p, strict=False)} and {_wrap(node.right, p, strict=True)}"
    if isinstance(node, Or):
        p = _PRECEDENCE["Or"]
        return f"{_wrap(node.left, p, strict=False)} or {_wrap(node.right, p, strict=True)}"
    if isinstance(node, Not):
        return "not " + _wrap(node.operand, _PRECEDENCE["Not"], strict=False)
    if isinstance(node, If):
        return (f"if {to_source(node.condition)} then {to_source(node.then)} "
                f"else {to_source(node.otherwise)}")
    if isinstance(node, Call):
        return f"{node.function}({', '.join(to_source(a) for a in node.arguments)})"
    if isinstance(node, ListExpr):
        return f"[{', '.join(to_source(i) for i in node.items)}]"
    raise TypeError(f"not an expression node: {node!r}")


def _wrap(node: Node, parent: int, strict: bool) -> str:
    text = to_source(node)
    mine = _precedence(node)
    if isinstance(node, If) or mine < parent or (strict and mine == parent):
        return f"({text})"
    return text


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of ``node``, left to right."""
    if isinstance(node, (Negate, Not)):
        return (node.operand,)
    if isinstance(node, (Binary, Compare, And, Or)):
        return (node.left, node.right)
    if isinstance(node, If):
        return (node.condition, node.then, node.otherwise)
    if isinstance(node, Call):
        return node.arguments
    if isinstance(node, ListExpr):
        return node.items
    return ()


def depth(node: Node) -> int:
    """The depth of the tree (a leaf is 1), computed without recursion."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        n, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((child, d + 1) for child in children(n))
    return deepest


def walk(node: Node):
    """Every node of the tree, parents before children."""
    yield node
    for child in children(node):
        yield from walk(child)


def names_in(node: Node) -> list[str]:
    """The dotted names an expression reads, in order of first appearance."""
    seen: dict[str, None] = {}
    for sub in walk(node):
        if isinstance(sub, Name):
            seen.setdefault(sub.dotted, None)
    return list(seen)

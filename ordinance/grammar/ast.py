"""The abstract syntax tree of expressions: small immutable dataclasses.

Every node carries ``start`` and ``end``, character offsets into the expression text; the
:class:`~ordinance.grammar.parser.Expression` that owns the tree maps them to file, line
and column.  :func:`to_source` prints a tree back as text that parses to the same tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Union


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
class Chain:
    """Operands joined by operators of one precedence level, read left to right: ``a + b - c``,
    ``a * b / c``, ``a and b and c``, ``a or b or c``.

    ``ops[i]`` joins what comes before ``operands[i + 1]`` to it: ``a - b + c`` is
    ``((a - b) + c)``.  However long, a chain is one level of the tree, as a reader sees it
    (:func:`depth`), and every stage loops over its operands rather than recursing.  A
    parenthesised chain of the same level stays an operand of its own: ``(a + b) + c`` nests.
    """

    operands: tuple["Node", ...]  # two or more
    ops: tuple[str, ...]  # one fewer, of one level: "+" "-" | "*" "/" | "and" | "or"
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)
    #: where ``operands[0] ops[0] ... operands[i + 1]`` ends as written, closing parenthesis
    #: included (the checker places a type error of step ``i`` there); empty: at the operands' ends
    ends: tuple[int, ...] = field(default=(), compare=False)

    @property
    def level(self) -> str:
        """``+``, ``*``, ``and`` or ``or``: the level of its operators."""
        return _LEVEL[self.ops[0]]

    @property
    def steps(self) -> Iterator[tuple[str, "Node"]]:
        """``(op, operand)`` for each operand after the first."""
        return zip(self.ops, self.operands[1:])

    def step_end(self, i: int) -> int:
        """Where the chain up to and including step ``i`` (``ops[i]``) ends."""
        return self.ends[i] if self.ends else self.operands[i + 1].end


@dataclass(frozen=True)
class Compare:
    """``== != < <= > >= in`` and ``not in``."""

    op: str
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


Node = Union[Literal, Name, Negate, Chain, Compare, Not, If, Call, ListExpr]

#: The level of each operator a :class:`Chain` joins with.
_LEVEL = {"+": "+", "-": "+", "*": "*", "/": "*", "and": "and", "or": "or"}

#: Binding strength of each node kind, for printing with the fewest parentheses.
_PRECEDENCE = {"If": 1, "or": 2, "and": 3, "Not": 4, "Compare": 5, "+": 6, "*": 7, "Negate": 8}
_ATOM = 9
#: Literal kinds whose text may start with a minus sign that is part of the literal.
_SIGNED_LITERALS = ("number", "money", "percent")


def _precedence(node: Node) -> int:
    if isinstance(node, Chain):
        return _PRECEDENCE[node.level]
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
    if isinstance(node, Chain):
        # an operand of the same level is parenthesised, the first too: it is a chain of its own
        p = _PRECEDENCE[node.level]
        parts = [_wrap(node.operands[0], p, strict=True)]
        for op, operand in node.steps:
            parts += (op, _wrap(operand, p, strict=True))
        return " ".join(parts)
    if isinstance(node, Compare):
        p = _PRECEDENCE["Compare"]
        return f"{_wrap(node.left, p, strict=True)} {node.op} {_wrap(node.right, p, strict=True)}"
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
    if isinstance(node, Chain):
        return node.operands
    if isinstance(node, Compare):
        return (node.left, node.right)
    if isinstance(node, If):
        return (node.condition, node.then, node.otherwise)
    if isinstance(node, Call):
        return node.arguments
    if isinstance(node, ListExpr):
        return node.items
    return ()


def depth(node: Node) -> int:
    """The depth of the tree (a leaf is 1), computed without recursion.  A :class:`Chain` is one
    level whatever its length: ``a + b + c`` is as deep as ``a + b``."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        n, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((child, d + 1) for child in children(n))
    return deepest


def walk(node: Node):
    """Every node of the tree, parents before children, left to right (without recursion)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(children(n)))


def names_in(node: Node) -> list[str]:
    """The dotted names an expression reads, in order of first appearance."""
    seen: dict[str, None] = {}
    for sub in walk(node):
        if isinstance(sub, Name):
            seen.setdefault(sub.dotted, None)
    return list(seen)

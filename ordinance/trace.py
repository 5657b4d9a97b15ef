"""The derivation trace: a tree of plain dataclasses, recorded during evaluation.

A :class:`TraceNode` says what was decided (``kind``: claim, validity, condition, table, row,
value, amount, cap, yearly-cap, exclusivity, quota, reading, ...), where its rule is
(``location``), what the statute says (``citation``), the formula (``expression``), the
inputs with their values, the result, notes ("capped: ... > ..."), and its children.
Failed conditions are nodes too.  The tree is JSON-serialisable with :meth:`to_dict`, and
deterministic: keys and children come in a fixed order.  Renderers (text, Markdown, HTML)
read this data and add nothing to it.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .errors import Location
from .values import Duration, format_decimal
from .front.model import Citation, Label
from .periods import ByYear
from .messages import Text


@dataclass(slots=True, init=False)
class TraceNode:
    kind: str
    id: str
    label: Label | None
    location: Location | None
    citation: Citation | None
    expression: str | None
    inputs: dict[str, Any]
    result: Any
    status: str | None  # for conditions: true | false | undetermined
    types: dict[str, str]  # input name (or "result") -> static type
    notes: list[str] | tuple[()]  # the empty tuple where there are none: add with note()
    children: list["TraceNode"] | tuple[()]  # the empty tuple where there are none: add with add()

    def __init__(self, kind: str, id: str, label: Label | None = None, location: Location | None = None,
                 citation: Citation | None = None, expression: str | None = None,
                 inputs: dict[str, Any] | None = None, result: Any = None, status: str | None = None,
                 types: dict[str, str] | None = None, notes: list[str] | None = None,
                 children: list["TraceNode"] | None = None):
        # written out rather than generated: a traced claim makes dozens of nodes
        self.kind, self.id, self.label, self.location, self.citation = kind, id, label, location, citation
        self.expression, self.result, self.status = expression, result, status
        self.inputs = inputs if inputs is not None else {}
        self.types = types if types is not None else {}
        # a step without notes or children holds the one shared empty tuple: a kept trace is some
        # fifteen nodes a claim, and each empty list would cost the garbage collector
        self.notes = notes if notes else ()
        self.children = children if children else ()

    def add(self, child: "TraceNode") -> "TraceNode":
        """Add ``child`` below this node; return it."""
        if self.children:
            self.children.append(child)
        else:
            self.children = [child]
        return child

    def note(self, *notes: str) -> None:
        """Add ``notes`` to this node's notes."""
        if not notes:
            return
        if self.notes:
            self.notes.extend(notes)
        else:
            self.notes = list(notes)

    def insert(self, index: int, children: "list[TraceNode] | tuple[()]") -> None:
        """Put ``children`` below this node, before its ``index``-th child."""
        if children:
            self.children = [*self.children[:index], *children, *self.children[index:]]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "id": self.id}
        if self.label is not None:
            out["label"] = self.label.to_dict()
        if self.location is not None:
            out["location"] = str(self.location)
        if self.citation is not None:
            out["citation"] = self.citation.to_dict()
        if self.expression is not None:
            out["expression"] = self.expression
        if self.inputs:
            out["inputs"] = {k: json_value(v) for k, v in self.inputs.items()}
            # the engine's own names of inputs ("remaining", "year"), in Chinese: a fact's name is
            # not one of them (its label is the policy's, in /v1/policies)
            own = {k: k.in_lang("zh") for k in self.inputs if isinstance(k, Text)}
            if own:
                out["input_names_zh"] = own
        if self.types:
            out["types"] = dict(self.types)
        if self.status is not None:
            out["status"] = self.status
        if self.result is not None:
            out["result"] = json_value(self.result)
        if self.notes:
            out["notes"] = list(self.notes)
            out["notes_zh"] = notes_in_chinese(self.notes)
        if self.children:
            out["children"] = [c.to_dict() for c in self.children]
        return out

    def walk(self):
        """This node and all below it, depth first (parents before their children)."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def find(self, kind: str, id: str | None = None) -> "TraceNode | None":
        for node in self.walk():
            if node.kind == kind and (id is None or node.id == id):
                return node
        return None


def notes_in_chinese(notes) -> list[str]:
    """``notes`` said in Chinese, for a decision's ``notes_zh``: a note from the catalogue (a
    :class:`~ordinance.messages.Text`) or from a rule file's two languages says its Chinese; any
    other words are given as they are."""
    out = []
    for note in notes:
        say = getattr(note, "in_lang", None)
        out.append(say("zh") if say is not None else str(note))
    return out


class Missing:
    """The trace's value for an input that was not given."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING = Missing()


def json_value(value: Any) -> Any:
    """A value as JSON: Decimals as strings (exact), dates ISO, durations in words."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, (list, tuple, frozenset, set)):
        items = [json_value(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, Missing):
        return None
    if value.__class__.__name__ == "NotComputed":
        return str(value)
    if isinstance(value, (dict, ByYear)):
        return {str(k): json_value(v) for k, v in value.items()}
    return str(value)

"""Parse expression text into the AST.

The grammar lives beside this module in ``expression.lark`` (LALR(1)).  The Lark parser is
built once per process (and cached on disk by Lark between processes); a Transformer turns
the parse tree into the immutable nodes of :mod:`ordinance.grammar.ast`, keeping character
offsets.  Syntax errors become :class:`~ordinance.errors.Problem` records with code
``syntax`` and a hint that names what was expected, in words rather than terminal names.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from .. import values as V
from ..errors import Location, Problem
from . import ast as A

GRAMMAR_PATH = Path(__file__).with_name("expression.lark")

#: What the drafter reads instead of Lark's terminal names.
_TERMINAL_WORDS = {
    "NAME": "a name", "NUMBER": "a number", "MONEY": "an amount (e.g. 1000萬)",
    "PERCENT": "a percentage (e.g. 30%)", "DATE": "a date (e.g. 2027-12-31)",
    "DURATION": "a duration (e.g. 3 years)", "STRING": 'a string (e.g. "university")',
    "TRUE": "`true`", "FALSE": "`false`", "COMPARE": "a comparison (== != < <= > >=)",
    "PLUS": "`+`", "MINUS": "`-`", "STAR": "`*`", "SLASH": "`/`", "LPAR": "`(`", "RPAR": "`)`",
    "LSQB": "`[`", "RSQB": "`]`", "COMMA": "`,`", "DOT": "`.`", "IF": "`if`", "THEN": "`then`",
    "ELSE": "`else`", "AND": "`and`", "OR": "`or`", "NOT": "`not`", "IN": "`in`",
    "$END": "the end of the expression",
}


@functools.lru_cache(maxsize=1)
def _lark() -> Lark:
    return Lark(GRAMMAR_PATH.read_text(encoding="utf-8"), parser="lalr", start="start",
                propagate_positions=True, maybe_placeholders=True, cache=True)


class ExpressionSyntaxError(Exception):
    """Raised by :func:`parse_text`; carries the offset and a readable message."""

    def __init__(self, offset: int, message: str, hint: str | None = None, width: int = 1):
        super().__init__(message)
        self.offset, self.message, self.hint, self.width = offset, message, hint, width


@v_args(meta=True)
class _ToAst(Transformer):
    """Parse tree -> AST.  Every method receives the tree's meta (positions) and children."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    # literals -----------------------------------------------------------------------------
    def _lit(self, meta, token: Token, kind: str, value) -> A.Literal:
        return A.Literal(kind, value, str(token), token.start_pos, token.end_pos)

    def number(self, meta, c):
        return self._lit(meta, c[0], "number", V.parse_number(str(c[0])))

    def money(self, meta, c):
        return self._lit(meta, c[0], "money", V.parse_money(str(c[0])))

    def percent(self, meta, c):
        return self._lit(meta, c[0], "percent", V.parse_percent(str(c[0])))

    def date(self, meta, c):
        try:
            value = V.parse_date(str(c[0]))
        except V.LiteralError as exc:
            raise ExpressionSyntaxError(c[0].start_pos, str(exc), width=len(c[0])) from None
        return self._lit(meta, c[0], "date", value)

    def duration(self, meta, c):
        return self._lit(meta, c[0], "duration", V.parse_duration(str(c[0])))

    def string(self, meta, c):
        raw = str(c[0])
        return self._lit(meta, c[0], "string", _unescape(raw[1:-1]))

    def true(self, meta, c):
        return self._lit(meta, c[0], "bool", True)

    def false(self, meta, c):
        return self._lit(meta, c[0], "bool", False)

    # names, calls, lists ------------------------------------------------------------------
    def path(self, meta, c):
        return A.Name(tuple(str(t) for t in c), meta.start_pos, meta.end_pos)

    def arguments(self, meta, c):
        return tuple(x for x in c if x is not None)

    def call(self, meta, c):
        name, args = c[0], c[1] or ()
        return A.Call(str(name), tuple(args), meta.start_pos, meta.end_pos, name.end_pos)

    def list(self, meta, c):
        return A.ListExpr(tuple(c[0] or ()), meta.start_pos, meta.end_pos)

    # operators ----------------------------------------------------------------------------
    def negate(self, meta, c):
        operand = c[1]
        # A minus sign straight before a number literal is part of the literal.
        if isinstance(operand, A.Literal) and operand.kind in ("number", "money", "percent") \
                and c[0].end_pos == operand.start:
            return A.Literal(operand.kind, -operand.value, "-" + operand.text, c[0].start_pos, operand.end)
        return A.Negate(operand, meta.start_pos, meta.end_pos)

    def binary(self, meta, c):
        op = {"×": "*", "÷": "/"}.get(str(c[1]), str(c[1]))
        return A.Binary(op, c[0], c[2], meta.start_pos, meta.end_pos)

    def compare(self, meta, c):
        op = {"≠": "!=", "≤": "<=", "≥": ">="}.get(str(c[1]), str(c[1]))
        return A.Compare(op, c[0], c[2], meta.start_pos, meta.end_pos)

    def in_(self, meta, c):
        return A.Compare("in", c[0], c[1], meta.start_pos, meta.end_pos)

    def not_in(self, meta, c):
        return A.Compare("not in", c[0], c[1], meta.start_pos, meta.end_pos)

    def and_(self, meta, c):
        return A.And(c[0], c[1], meta.start_pos, meta.end_pos)

    def or_(self, meta, c):
        return A.Or(c[0], c[1], meta.start_pos, meta.end_pos)

    def not_(self, meta, c):
        return A.Not(c[0], meta.start_pos, meta.end_pos)

    def conditional(self, meta, c):
        return A.If(c[0], c[1], c[2], meta.start_pos, meta.end_pos)


def _unescape(body: str) -> str:
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def parse_text(text: str) -> A.Node:
    """Parse one expression; raise :class:`ExpressionSyntaxError` on a mistake."""
    if not text.strip():
        raise ExpressionSyntaxError(0, "empty expression", "write a value, a name or a formula")
    try:
        tree = _lark().parse(text)
        return _ToAst(text).transform(tree)
    except UnexpectedInput as exc:
        raise _friendly(exc, text) from None
    except Exception as exc:  # a Transformer callback raised: unwrap lark's VisitError
        inner = getattr(exc, "orig_exc", None)
        if isinstance(inner, ExpressionSyntaxError):
            raise inner from None
        if isinstance(inner, V.LiteralError):
            raise ExpressionSyntaxError(0, str(inner)) from None
        raise


def _expected_words(names) -> str:
    words = sorted({_TERMINAL_WORDS.get(n, n) for n in names if not n.startswith("__")})
    return ", ".join(words[:8]) + (", ..." if len(words) > 8 else "")


def _friendly(exc: UnexpectedInput, text: str) -> ExpressionSyntaxError:
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream
        ch = text[pos] if pos < len(text) else ""
        hint = None
        if ch in "=" and text[pos:pos + 2] != "==":
            hint = "compare with `==`; a single `=` is not an operator"
        elif ch in "&|!":
            hint = "write `and`, `or`, `not`"
        elif ch == "“" or ch == "”" or ch == "「":
            hint = 'quote strings with straight quotes: "..." or \'...\''
        elif ch in "，（）":
            hint = "use ASCII punctuation `,` `(` `)` in formulas"
        return ExpressionSyntaxError(pos, f"unexpected character {ch!r}", hint)
    if isinstance(exc, UnexpectedEOF):
        return ExpressionSyntaxError(len(text), "the expression ends too early",
                                     f"expected {_expected_words(exc.expected)}")
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        if tok.type == "$END":
            return ExpressionSyntaxError(len(text), "the expression ends too early",
                                         f"expected {_expected_words(exc.expected)}")
        hint = f"expected {_expected_words(exc.expected)}"
        if tok.type == "COMPARE" and "COMPARE" not in exc.expected:
            hint = "comparisons do not chain: write `a < b and b < c` (or use between(b, a, c))"
        return ExpressionSyntaxError(tok.start_pos, f"unexpected {str(tok)!r}", hint, width=max(len(tok), 1))
    return ExpressionSyntaxError(0, str(exc))


@dataclass(frozen=True)
class SourceSpan:
    """Where an expression's text sits in its file, to map offsets to line and column.

    ``segments`` are ``(offset, line, column)`` triples: the character at ``offset`` in the
    expression text is at ``line:column`` in the file, and the characters after it follow on
    the same line until the next segment.
    """

    file: str
    segments: tuple[tuple[int, int, int], ...]

    def location(self, start: int, end: int | None = None) -> Location:
        line, col = self._point(start)
        if end is None:
            return Location(self.file, line, col)
        end_line, end_col = self._point(end)
        return Location(self.file, line, col, end_line, end_col)

    def _point(self, offset: int) -> tuple[int, int]:
        best = self.segments[0]
        for seg in self.segments:
            if seg[0] <= offset:
                best = seg
            else:
                break
        return best[1], best[2] + (offset - best[0])

    @staticmethod
    def at(file: str, line: int, column: int) -> "SourceSpan":
        return SourceSpan(file, ((0, line, column),))


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its text, its tree and where it came from."""

    text: str
    tree: A.Node
    span: SourceSpan

    def location(self, node: A.Node | None = None) -> Location:
        node = node or self.tree
        return self.span.location(node.start, node.end)


def parse_expression(text: str, span: SourceSpan,
                     report: Callable[[Problem], None] | None = None) -> Expression | None:
    """Parse ``text`` found at ``span``; on error report a Problem and return None.

    Without ``report`` the problem is raised as a :class:`~ordinance.errors.PolicyError`.
    """
    try:
        return Expression(text, parse_text(text), span)
    except ExpressionSyntaxError as exc:
        loc = span.location(exc.offset, exc.offset + exc.width)
        problem = Problem("syntax", exc.message, loc, exc.hint)
        if report is None:
            from ..errors import PolicyError
            raise PolicyError([problem]) from None
        report(problem)
        return None

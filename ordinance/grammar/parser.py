"""Parse expression text into the AST.

The grammar lives beside this module in ``expression.lark`` (LALR(1)).  The Lark parser is
built once per process (and cached on disk by Lark between processes); a Transformer turns
the parse tree into the immutable nodes of :mod:`ordinance.grammar.ast`, keeping character
offsets.  Syntax errors become :class:`~ordinance.errors.Problem` records with code
``syntax`` and a hint that names what was expected, in words rather than terminal names.

Expressions are data, never Python: the text is lexed and parsed by the grammar alone, and
nothing here (or later) hands it to ``eval``, ``exec``, ``getattr`` or ``str.format``.  Every
parse is bounded by :class:`~ordinance.limits.Limits`: the length of the text
(``expression-too-long``, checked before any parsing), the digits of a number
(``literal-too-long``) and the depth of the tree (``expression-too-deep``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from .. import values as V
from ..errors import Location, Problem
from ..limits import DEFAULT_LIMITS, Limits
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
    return Lark(GRAMMAR_PATH.read_text(encoding="utf-8"), parser="lalr", lexer="basic", start="start",
                propagate_positions=True, maybe_placeholders=True, cache=True)


class ExpressionSyntaxError(Exception):
    """Raised by :func:`parse_text`; carries the offset, a readable message and a stable code
    (``syntax``, or the limit broken: ``expression-too-long``, ``expression-too-deep``,
    ``literal-too-long``)."""

    def __init__(self, offset: int, message: str, hint: str | None = None, width: int = 1, code: str = "syntax"):
        super().__init__(message)
        self.offset, self.message, self.hint, self.width, self.code = offset, message, hint, width, code


def _limits(limits: Limits | None) -> Limits:
    """``limits``, or the defaults."""
    return DEFAULT_LIMITS if limits is None else limits


@v_args(meta=True)
class _ToAst(Transformer):
    """Parse tree -> AST.  Every method receives the tree's meta (positions) and children."""

    def __init__(self, text: str, max_digits: int):
        super().__init__()
        self.text = text
        self.max_digits = max_digits

    # literals -----------------------------------------------------------------------------
    def _lit(self, meta, token: Token, kind: str, value) -> A.Literal:
        return A.Literal(kind, value, str(token), token.start_pos, token.end_pos)

    def _digits(self, token: Token) -> str:
        """The token's text, once its digits are within the limit."""
        text = str(token)
        if len(text) > self.max_digits:
            digits = sum(ch.isdigit() for ch in text)
            if digits > self.max_digits:
                raise ExpressionSyntaxError(
                    token.start_pos, f"the number has {digits} digits, over the limit of {self.max_digits}",
                    "no amount needs so many digits: check the literal (or raise max_literal_digits)",
                    width=len(text), code="literal-too-long")
        return text

    def number(self, meta, c):
        return self._lit(meta, c[0], "number", V.parse_number(self._digits(c[0])))

    def money(self, meta, c):
        return self._lit(meta, c[0], "money", V.parse_money(self._digits(c[0])))

    def percent(self, meta, c):
        return self._lit(meta, c[0], "percent", V.parse_percent(self._digits(c[0])))

    def date(self, meta, c):
        try:
            value = V.parse_date(str(c[0]))
        except V.LiteralError as exc:
            raise ExpressionSyntaxError(c[0].start_pos, str(exc), "there is no such day: check the month and the day",
                                        width=len(c[0])) from None
        return self._lit(meta, c[0], "date", value)

    def duration(self, meta, c):
        try:
            value = V.parse_duration(self._digits(c[0]))
        except V.LiteralError as exc:
            raise ExpressionSyntaxError(c[0].start_pos, str(exc), width=len(c[0])) from None
        return self._lit(meta, c[0], "duration", value)

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
            value = V.negated(operand.value)
            return A.Literal(operand.kind, value, "-" + operand.text, c[0].start_pos, operand.end)
        return A.Negate(operand, meta.start_pos, meta.end_pos)

    def chain(self, meta, c):
        """``a + b - c``, ``a * b / c``: the operands and the operator tokens between them."""
        operands, tokens = tuple(c[0::2]), c[1::2]
        ops = tuple({"×": "*", "÷": "/"}.get(str(t), str(t)) for t in tokens)
        # step i ends where the text before the next operator ends (a closing parenthesis included)
        ends = tuple(self._before_blanks(t.start_pos) for t in tokens[1:]) + (meta.end_pos,)
        return A.Chain(operands, ops, meta.start_pos, meta.end_pos, ends)

    def _before_blanks(self, offset: int) -> int:
        """``offset``, moved back over the blanks before it."""
        text = self.text
        while offset and text[offset - 1] in _BLANKS:
            offset -= 1
        return offset

    def compare(self, meta, c):
        op = {"≠": "!=", "≤": "<=", "≥": ">="}.get(str(c[1]), str(c[1]))
        return A.Compare(op, c[0], c[2], meta.start_pos, meta.end_pos)

    def in_(self, meta, c):
        return A.Compare("in", c[0], c[1], meta.start_pos, meta.end_pos)

    def not_in(self, meta, c):
        return A.Compare("not in", c[0], c[1], meta.start_pos, meta.end_pos)

    def and_(self, meta, c):
        return A.Chain(tuple(c), ("and",) * (len(c) - 1), meta.start_pos, meta.end_pos)

    def or_(self, meta, c):
        return A.Chain(tuple(c), ("or",) * (len(c) - 1), meta.start_pos, meta.end_pos)

    def not_(self, meta, c):
        return A.Not(c[0], meta.start_pos, meta.end_pos)

    def conditional(self, meta, c):
        return A.If(c[0], c[1], c[2], meta.start_pos, meta.end_pos)


#: What the lexer skips between tokens (expression.lark's %ignore).
_BLANKS = " \t\r\n"


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


#: How deeply an expression may nest (operators, calls, lists) by default
#: (``Limits.max_expression_depth``), counted as a reader would: a run of operators of one level
#: (``a + b - c + ...``, ``x and y and ...``) is one level however long (:class:`~.ast.Chain`),
#: while parentheses, calls, lists, ``if`` and operators of another level each nest one more.
#: The checker, the compiler and the compiled closures recurse over that nesting (and loop over
#: a chain), so a bound here keeps them within Python's recursion limit; no statute needs more
#: than a handful of levels.
MAX_DEPTH = 100

_TOO_DEEP = "the expression is nested too deeply"


def _too_deep(limit: int) -> ExpressionSyntaxError:
    return ExpressionSyntaxError(0, _TOO_DEEP, f"split it into named values under `values:` (at most {limit} levels)",
                                 code="expression-too-deep")


def parse_text(text: str, limits: Limits | None = None) -> A.Node:
    """Parse one expression; raise :class:`ExpressionSyntaxError` on a mistake or a broken limit.

    ``limits`` (default: the default :class:`~ordinance.limits.Limits`) bounds the length
    of ``text``, the digits of each number and the depth of the tree.
    """
    limits = _limits(limits)
    if not isinstance(text, str):
        raise ExpressionSyntaxError(0, "an expression must be text")
    if len(text) > limits.max_expression_length:
        raise ExpressionSyntaxError(0, f"the expression is {len(text)} characters long, over the limit of "
                                    f"{limits.max_expression_length}",
                                    "split it into named values under `values:`", width=1,
                                    code="expression-too-long")
    if not text.strip():
        raise ExpressionSyntaxError(0, "empty expression", "write a value, a name or a formula")
    try:
        tree = _lark().parse(text)
        node = _ToAst(text, limits.max_literal_digits).transform(tree)
    except UnexpectedInput as exc:
        raise _friendly(exc, text) from None
    except RecursionError:
        raise _too_deep(limits.max_expression_depth) from None
    except Exception as exc:  # a Transformer callback raised: unwrap lark's VisitError
        inner = getattr(exc, "orig_exc", None)
        if isinstance(inner, ExpressionSyntaxError):
            raise inner from None
        if isinstance(inner, V.LiteralError):
            raise ExpressionSyntaxError(0, str(inner)) from None
        if isinstance(inner, RecursionError):
            raise _too_deep(limits.max_expression_depth) from None
        raise
    if A.depth(node) > limits.max_expression_depth:
        raise _too_deep(limits.max_expression_depth)
    return node


#: The keywords of the language: reserved, never names (the lexer is not contextual).
_KEYWORDS = frozenset({"IF", "THEN", "ELSE", "AND", "OR", "NOT", "IN", "TRUE", "FALSE"})

#: Look-alike characters an IME types, and what to write instead.
_LOOKALIKES = {"≦": "`<=`", "≧": "`>=`", "。": "`.`", "、": "`,`", "\u3000": "an ordinary space"}
_CURLY_QUOTES = "“”‘’「」『』"


def _character_hint(text: str, pos: int) -> str | None:
    """A hint for a character the lexer cannot start a token with."""
    ch, nxt, prev = text[pos], text[pos + 1:pos + 2], text[pos - 1:pos] if pos else ""
    if ch == "=":
        if nxt in ("<", ">"):
            return f"write `{nxt}=`"
        if prev == "=":
            return "compare with `==`"
        return "compare with `==`; a single `=` is not an operator"
    if ch in "&|":
        return "write `and`, `or`, `not`"
    if ch == "!":
        return "write `not` to negate, `!=` to compare"
    if ch in "\"'":
        return f"the string is not closed: end it with {ch} on the same line"
    if ch in _CURLY_QUOTES:
        return 'quote strings with straight quotes: "..." or \'...\''
    fixed = V.ascii_digits(_word_at(text, pos))
    if fixed is not None:  # ３０%, ５億, ٥, 𝟓: digits of other scripts (the lexer takes ASCII ones only)
        return f"write ASCII digits: {fixed}"
    if "\uff01" <= ch <= "\uff5e":  # full-width forms of ASCII (，（）＝％ ...)
        ascii_ch = chr(ord(ch) - 0xFEE0)
        return f"use ASCII punctuation in formulas: write `{ascii_ch}` instead of the full-width `{ch}`"
    if ch in _LOOKALIKES:
        return f"use ASCII punctuation in formulas: write {_LOOKALIKES[ch]} instead of `{ch}`"
    if ch.isdigit():
        return "write numbers as digits with an optional decimal part, e.g. 1_000_000 or 0.5"
    return None


def _word_at(text: str, pos: int) -> str:
    """The literal around ``pos``: back over digits, points, underscores and hyphens, on to the
    next space, bracket, comma or operator (``x * ３０%`` at the ``３`` -> ``３０%``)."""
    start = pos
    while start > 0 and (text[start - 1].isdigit() or text[start - 1] in "._-"):
        start -= 1
    end = pos
    while end < len(text) and not text[end].isspace() and text[end] not in "()[],+*/<>=!×÷":
        end += 1
    return text[start:end]


def _expected_words(names) -> str:
    words = sorted({_TERMINAL_WORDS.get(n, n) for n in names if not n.startswith("__")})
    return ", ".join(words[:8]) + (", ..." if len(words) > 8 else "")


def _friendly(exc: UnexpectedInput, text: str) -> ExpressionSyntaxError:
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream
        if pos >= len(text):
            return ExpressionSyntaxError(len(text), "the expression ends too early")
        ch = text[pos]
        return ExpressionSyntaxError(pos, f"unexpected character {ch!r}", _character_hint(text, pos))
    if isinstance(exc, UnexpectedEOF):
        return ExpressionSyntaxError(len(text), "the expression ends too early",
                                     f"expected {_expected_words(exc.expected)}")
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        if tok.type == "$END":
            return ExpressionSyntaxError(len(text), "the expression ends too early",
                                         f"expected {_expected_words(exc.expected)}")
        hint = f"expected {_expected_words(exc.expected)}"
        if tok.type in _KEYWORDS and set(exc.expected) == {"NAME"}:
            hint = f"`{tok}` is a reserved word, not a name"
        elif tok.type == "IF" and "IF" not in exc.expected:
            hint = "an `if` inside a formula goes in parentheses: x + (if a then b else c)"
        elif tok.type == "COMPARE" and "COMPARE" not in exc.expected:
            before = text[tok.start_pos - 1] if tok.start_pos > 0 else ""
            if before in ("<", ">", "=", "≤", "≥", "≠"):  # `<>`, `>>`: one operator mistyped
                hint = "write `!=`" if before + str(tok) == "<>" else \
                    f"`{before}{tok}` is not an operator: write one of == != < <= > >="
            else:
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
    #: the limits of the file the text came from (:attr:`LoadedFile.limits`); None: the defaults
    limits: Limits | None = field(default=None, compare=False, repr=False)

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
    def at(file: str, line: int, column: int, limits: Limits | None = None) -> "SourceSpan":
        return SourceSpan(file, ((0, line, column),), limits)


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its text, its tree and where it came from."""

    text: str
    tree: A.Node
    span: SourceSpan

    def location(self, node: A.Node | None = None) -> Location:
        if node is None or node is self.tree:
            return self._whole
        return self.span.location(node.start, node.end)

    @functools.cached_property
    def _whole(self) -> Location:
        """Where the whole expression is (asked for by every trace step: computed once)."""
        return self.span.location(self.tree.start, self.tree.end)


def parse_expression(text: str, span: SourceSpan, report: Callable[[Problem], None] | None = None,
                     limits: Limits | None = None) -> Expression | None:
    """Parse ``text`` found at ``span``; on error report a Problem and return None.

    Without ``report`` the problem is raised as a :class:`~ordinance.errors.PolicyError`.
    ``limits``: the limits to parse under; by default those the file was loaded under
    (``span.limits``), else the default :class:`~ordinance.limits.Limits`.
    """
    try:
        return Expression(text, parse_text(text, limits if limits is not None else span.limits), span)
    except ExpressionSyntaxError as exc:
        loc = span.location(exc.offset, exc.offset + exc.width)
        problem = Problem(exc.code, exc.message, loc, exc.hint)
        if report is None:
            from ..errors import PolicyError
            raise PolicyError([problem]) from None
        report(problem)
        return None

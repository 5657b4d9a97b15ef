"""Errors as data.

Every problem `ordinance` finds in a rule file or a case is a :class:`Problem`: a stable
``code``, a ``message``, a :class:`Location` (file, line, column, end) and an optional
``hint`` ("did you mean ...?").  Stages collect problems instead of stopping at the first
one; when a stage is done, the problems are sorted by location and raised together inside
one :class:`OrdinanceError` (or one of its subclasses).  Rendering is separate from the
data: :func:`render_problems` prints ``file:line:col: code: message``, the source line and
a caret under the offending span.

A problem's ``message`` and ``hint`` are :class:`~ordinance.messages.Text` from the message
catalogue: their ``str`` value is English, and every rendering takes a ``lang`` (``en`` or
``zh``) to say them in Chinese instead (:meth:`Problem.message_in`).  The code, the location and
the path are data, the same in every language.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from .messages import Text, in_lang, join, msg, plural


#: Problems printed by :func:`render_problems` (the terminal): the first ones in order, the rest counted.
SHOWN_PROBLEMS = 50
#: Problems listed in JSON (a batch's error record, an HTTP problem body), the rest counted.
LISTED_PROBLEMS = 1000
#: Characters of a source line echoed under a problem: a longer line is cut to a window around
#: the column, each cut marked with ``…``.
LINE_WINDOW = 160
#: Characters of a name or value echoed in a message; a longer one is cut in the middle (:func:`shorten`).
ECHO_LENGTH = 80


# -- safe for a terminal ----------------------------------------------------------------------------

#: What a terminal would act on rather than show: the C0 controls but the line feed, DEL, the C1
#: controls (``\x9b`` is a CSI on many terminals), the line and paragraph separators and the
#: bidirectional overrides and isolates (text that reads otherwise than it is).
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_text(text: str) -> str:
    """``text`` with every control character shown as an escape (``\x1b``, ``\x9b``, ``\u202e``),
    so that what a case holds is shown, never obeyed (a title change, a disguised hyperlink)."""
    return _CONTROL.sub(_escape, text) if _CONTROL.search(text) else text


@dataclass(frozen=True, order=True)
class Location:
    """A position in a source file; lines and columns count from 1."""

    file: str
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"file": self.file, "line": self.line, "column": self.column}
        if self.end_line is not None:
            out["end_line"] = self.end_line
            out["end_column"] = self.end_column
        return out


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, with where it is and how to fix it.

    ``message`` and ``hint`` are :class:`~ordinance.messages.Text` (built with
    :func:`~ordinance.messages.msg`): English as strings, any language through :meth:`message_in`
    and :meth:`hint_in`."""

    code: str
    message: str
    location: Location | None = None
    hint: str | None = None
    path: str | None = None  # the path inside a case or rule file, e.g. ``claims[0].date``

    def sort_key(self) -> tuple[object, ...]:
        loc = self.location
        if loc is None:
            return ("", 0, 0, self.path or "", self.code, self.message)
        return (loc.file, loc.line, loc.column, self.path or "", self.code, self.message)

    def message_in(self, lang: str) -> str:
        """The message in ``lang`` (``en``, ``zh``)."""
        return in_lang(self.message, lang) or ""

    def hint_in(self, lang: str) -> str | None:
        """The hint in ``lang`` (``en``, ``zh``), or None."""
        return in_lang(self.hint, lang)

    def headline(self, lang: str = "en") -> str:
        """``file:line:col: code: message`` (with ``(at path)`` when both are known), in ``lang``."""
        where = str(self.location) if self.location else (self.path or "<input>")
        if self.location and self.path:
            return msg("problem.headline-at", where=where, code=self.code, message=self.message,
                       path=self.path).in_lang(lang)
        return f"{where}: {self.code}: {self.message_in(lang)}"

    def to_dict(self, lang: str = "en") -> dict[str, object]:
        """The JSON form, its message and hint in ``lang``."""
        out: dict[str, object] = {"code": self.code, "message": self.message_in(lang)}
        if self.location is not None:
            out["location"] = self.location.to_dict()
        if self.path is not None:
            out["path"] = self.path
        if self.hint is not None:
            out["hint"] = self.hint_in(lang)
        return out


class OrdinanceError(Exception):
    """Base class of every error `ordinance` raises on bad input.

    It carries one or more :class:`Problem` records and, where known, the text of the
    sources they point into, so that :meth:`render` can show the offending lines.
    """

    def __init__(self, problems: Iterable[Problem], sources: Mapping[str, str] | None = None):
        self.problems: list[Problem] = sorted(problems, key=Problem.sort_key)
        self.sources: dict[str, str] = dict(sources or {})
        super().__init__(self.summary())

    def summary(self, lang: str = "en") -> str:
        """The first problem's headline and how many more there are, in ``lang``."""
        if not self.problems:
            return msg("problem.unknown-error").in_lang(lang)
        first = self.problems[0].headline(lang)
        more = len(self.problems) - 1
        return first if more == 0 else plural("problem.and-more", more, first=first).in_lang(lang)

    @property
    def codes(self) -> list[str]:
        return [p.code for p in self.problems]

    def render(self, limit: int | None = SHOWN_PROBLEMS, lang: str = "en") -> str:
        """The problems as text (:func:`render_problems`): the first ``limit`` (None: all), the rest counted."""
        return render_problems(self.problems, self.sources, limit, lang)

    def to_dict(self, lang: str = "en") -> dict[str, object]:
        """The JSON form: the error's class and its problems (:func:`listed`), in ``lang``."""
        return {"error": type(self).__name__, "problems": listed(self.problems, lang), **problem_count(self.problems)}


class SummaryWords:
    """An engine error's :meth:`~OrdinanceError.summary` as words: a message's parameter (the
    ``detail`` of a problem+json body, a policy test's failure) said in the language the message is
    said in."""

    __slots__ = ("error",)

    def __init__(self, error: OrdinanceError):
        self.error = error

    def in_lang(self, lang: str) -> str:
        return self.error.summary(lang)

    def __str__(self) -> str:
        return self.error.summary()


class PolicyError(OrdinanceError):
    """A rule file or policy manifest is wrong (raised at load time)."""


class CaseError(OrdinanceError):
    """A case file, or a fact in it, is wrong."""


class EvaluationError(OrdinanceError):
    """Evaluation could not finish (division by zero, a limit reached)."""


def render_problems(problems: Sequence[Problem], sources: Mapping[str, str] | None = None,
                    limit: int | None = SHOWN_PROBLEMS, lang: str = "en") -> str:
    """Render problems as ``file:line:col: code: message`` with the source line and a caret, in ``lang``.

    At most ``limit`` problems are shown (None: all), then ``... and N more problems (M in all)``.
    Each source is split into lines once, and a long line is echoed as a window of
    :data:`LINE_WINDOW` characters around the column, so the work is linear in the sources and
    the problems shown."""
    sources = sources or {}
    split: dict[str, list[str]] = {}
    blocks: list[str] = []
    shown = problems if limit is None else problems[:limit]
    for problem in shown:  # every echo of the input escaped: shown, never obeyed by the terminal
        lines = [terminal_text(problem.headline(lang))]
        loc = problem.location
        text = sources.get(loc.file) if loc else None
        if loc is not None and text is not None:
            source_lines = split.get(loc.file)
            if source_lines is None:
                source_lines = split[loc.file] = text.splitlines()
            if 1 <= loc.line <= len(source_lines):
                lines.extend(_excerpt(source_lines[loc.line - 1], loc))
        if problem.hint:
            lines.append(terminal_text(msg("problem.hint", hint=problem.hint).in_lang(lang)))
        blocks.append("\n".join(lines))
    more = len(problems) - len(shown)
    if more > 0:
        blocks.append(plural("problem.more-shown", more, total=len(problems)).in_lang(lang))
    return "\n".join(blocks)


def _excerpt(line: str, loc: Location) -> list[str]:
    """The source line (a window of it, if long) and the caret line under ``loc``."""
    column = min(max(loc.column, 1), len(line) + 1)  # 1-based, at most just past the end
    end = column + 1
    if loc.end_line == loc.line and loc.end_column and loc.end_column > loc.column:
        end = loc.end_column
    start, stop = 0, len(line)
    if len(line) > LINE_WINDOW:
        start = max(0, min(column - 1 - LINE_WINDOW // 4, len(line) - LINE_WINDOW))
        stop = start + LINE_WINDOW
    head = "…" if start > 0 else ""
    src = head + terminal_text(line[start:stop].expandtabs(1)) + ("…" if stop < len(line) else "")
    gutter = f"{loc.line:>5} | "
    span = terminal_text(line[column - 1: min(end, stop + 1) - 1].expandtabs(1))
    width = max(terminal_width(span), 1)
    pad = " " * len(head) + _caret_pad(terminal_text(line[start:column - 1].expandtabs(1)))
    return [gutter + src, " " * (len(gutter) - 2) + "| " + pad + "^" * width]


def _caret_pad(before: str) -> str:
    """Spaces under ``before``, counting wide (CJK) characters as two cells."""
    return "".join("  " if _is_wide(ch) else " " for ch in before)


def shorten(text: str, limit: int = ECHO_LENGTH) -> str:
    """``text``, or if longer than ``limit`` its start and end around ``…(N characters)…`` (a
    :class:`~ordinance.messages.Text`): what a message echoes of a name or value the input gave,
    whatever its length."""
    if len(text) <= limit:
        return text
    keep = max(limit // 2 - 8, 4)
    return msg("echo.shortened", start=text[:keep], count=len(text), end=text[-keep:])


def listed(problems: Sequence[Problem], lang: str = "en") -> list[dict[str, object]]:
    """The first :data:`LISTED_PROBLEMS` problems as JSON data (with :func:`problem_count`), in ``lang``."""
    return [p.to_dict(lang) for p in problems[:LISTED_PROBLEMS]]


def problem_count(problems: Sequence[object]) -> dict[str, int]:
    """``{"problem_count": N}`` when there are more than :data:`LISTED_PROBLEMS` problems (the
    JSON lists only the first ones), else nothing: put after the ``problems`` key."""
    return {"problem_count": len(problems)} if len(problems) > LISTED_PROBLEMS else {}


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def terminal_width(text: str) -> int:
    """How many cells ``text`` takes in a terminal: a wide (CJK) character two, any other one; for
    aligning columns that hold Chinese (``ordinance show``, the batch summary) and carets."""
    return sum(2 if _is_wide(ch) else 1 for ch in text)


def dotted_path(path) -> str:
    """``("claims", 0, "date")`` -> ``claims[0].date``: a path inside a case or rule file."""
    out = ""
    for p in path:
        p = p if isinstance(p, int) else shorten(str(p))  # an unknown key may be of any length
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


#: The longest word (and candidate) :func:`did_you_mean` compares: no name of a policy is near it,
#: and difflib's time grows with the product of the lengths.
SUGGEST_LENGTH = 100


def did_you_mean(word: str, candidates: Iterable[str]) -> Text | None:
    """A "did you mean ...?" hint for ``word`` among ``candidates``, or None.

    None for a word longer than :data:`SUGGEST_LENGTH`, and candidates that long are passed over,
    so a hint costs little whatever the input holds."""
    if len(word) > SUGGEST_LENGTH:
        return None
    pool = sorted({c for c in candidates if len(c) <= SUGGEST_LENGTH})
    scored = sorted(((difflib.SequenceMatcher(None, word, c).ratio(), c) for c in pool), key=lambda x: (-x[0], x[1]))
    # keep the candidates about as close as the best one: one clear winner is named alone
    matches = [c for score, c in scored[:3] if score >= 0.6 and score >= scored[0][0] - 0.1] if scored else []
    if not matches:
        # Also try the last segment of dotted names: ``claim.spend`` vs ``claim.compute_spend``.
        tail = word.rsplit(".", 1)[-1]
        matches = [c for c in pool if c.rsplit(".", 1)[-1].find(tail) >= 0 and tail][:3]
    if not matches:
        return None
    return msg("hint.did-you-mean", names=join((f"`{m}`" for m in matches), "sep.or"))

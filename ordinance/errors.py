"""Errors as data.

Every problem `ordinance` finds in a rule file or a case is a :class:`Problem`: a stable
``code``, a ``message``, a :class:`Location` (file, line, column, end) and an optional
``hint`` ("did you mean ...?").  Stages collect problems instead of stopping at the first
one; when a stage is done, the problems are sorted by location and raised together inside
one :class:`OrdinanceError` (or one of its subclasses).  Rendering is separate from the
data: :func:`render_problems` prints ``file:line:col: code: message``, the source line and
a caret under the offending span.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence


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
    """One thing wrong with an input, with where it is and how to fix it."""

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

    def headline(self) -> str:
        where = str(self.location) if self.location else (self.path or "<input>")
        if self.location and self.path:
            return f"{where}: {self.code}: {self.message} (at {self.path})"
        return f"{where}: {self.code}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"code": self.code, "message": self.message}
        if self.location is not None:
            out["location"] = self.location.to_dict()
        if self.path is not None:
            out["path"] = self.path
        if self.hint is not None:
            out["hint"] = self.hint
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

    def summary(self) -> str:
        if not self.problems:
            return "unknown error"
        first = self.problems[0].headline()
        more = len(self.problems) - 1
        return first if more == 0 else f"{first} (and {more} more problem{'s' if more > 1 else ''})"

    @property
    def codes(self) -> list[str]:
        return [p.code for p in self.problems]

    def render(self) -> str:
        return render_problems(self.problems, self.sources)

    def to_dict(self) -> dict[str, object]:
        return {"error": type(self).__name__, "problems": [p.to_dict() for p in self.problems]}


class PolicyError(OrdinanceError):
    """A rule file or policy manifest is wrong (raised at load time)."""


class CaseError(OrdinanceError):
    """A case file, or a fact in it, is wrong."""


class EvaluationError(OrdinanceError):
    """Evaluation could not finish (division by zero, a limit reached)."""


def render_problems(problems: Sequence[Problem], sources: Mapping[str, str] | None = None) -> str:
    """Render problems as ``file:line:col: code: message`` with the source line and a caret."""
    sources = sources or {}
    blocks: list[str] = []
    for problem in problems:
        lines = [problem.headline()]
        loc = problem.location
        text = sources.get(loc.file) if loc else None
        if loc is not None and text is not None:
            source_lines = text.splitlines()
            if 1 <= loc.line <= len(source_lines):
                src = source_lines[loc.line - 1].expandtabs(1)
                gutter = f"{loc.line:>5} | "
                lines.append(gutter + src)
                span = src[loc.column - 1: loc.column]
                if loc.end_line == loc.line and loc.end_column and loc.end_column > loc.column:
                    span = src[loc.column - 1: loc.end_column - 1]
                width = max(sum(2 if _is_wide(ch) else 1 for ch in span), 1)
                lines.append(" " * (len(gutter) - 2) + "| " + _caret_pad(src, loc.column) + "^" * width)
        if problem.hint:
            lines.append(f"  hint: {problem.hint}")
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def _caret_pad(src: str, column: int) -> str:
    """Spaces up to ``column``, counting wide (CJK) characters as two cells."""
    pad = []
    for ch in src[: max(column - 1, 0)]:
        pad.append("  " if _is_wide(ch) else " ")
    return "".join(pad)


def _is_wide(ch: str) -> bool:
    import unicodedata

    return unicodedata.east_asian_width(ch) in ("W", "F")


def dotted_path(path) -> str:
    """``("claims", 0, "date")`` -> ``claims[0].date``: a path inside a case or rule file."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A "did you mean ...?" hint for ``word`` among ``candidates``, or None."""
    pool = sorted(set(candidates))
    scored = sorted(((difflib.SequenceMatcher(None, word, c).ratio(), c) for c in pool), key=lambda x: (-x[0], x[1]))
    # keep the candidates about as close as the best one: one clear winner is named alone
    matches = [c for score, c in scored[:3] if score >= 0.6 and score >= scored[0][0] - 0.1] if scored else []
    if not matches:
        # Also try the last segment of dotted names: ``claim.spend`` vs ``claim.compute_spend``.
        tail = word.rsplit(".", 1)[-1]
        matches = [c for c in pool if c.rsplit(".", 1)[-1].find(tail) >= 0 and tail][:3]
    if not matches:
        return None
    quoted = " or ".join(f"`{m}`" for m in matches)
    return f"did you mean {quoted}?"

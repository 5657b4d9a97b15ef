"""What the commands of ``ordinance`` share: the limits and the policy a command runs with,
standard input, colour, writing the output, reporting a problem, and the options and parameter
types used by several commands.

:mod:`ordinance.cli.main` (the group and its commands), :mod:`ordinance.cli.explain` and
:mod:`ordinance.cli.serve` import this module; it imports none of them.
"""

from __future__ import annotations

import datetime as _dt
import io
import os
import re
import sys
from pathlib import Path
from typing import Any

import click

from ..front.load import decode, read_limited
from ..errors import CaseError, Location, OrdinanceError, PolicyError, Problem
from ..limits import DEFAULT_LIMITS, MAX_TRACED_CLAIMS, Limits
from ..policy import Policy, bundled_policy_dir, load_policy


def command_limits() -> Limits:
    """The limits the command runs under: the global ``--max-...`` options (or the defaults)."""
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if isinstance(ctx.obj, Limits):
            return ctx.obj
        ctx = ctx.parent
    return DEFAULT_LIMITS


def command_policy(paths: tuple[str, ...]) -> Policy:
    """The policy of the ``--policy`` directories (none: the bundled policy), under :func:`command_limits`."""
    return load_policy(list(paths) if paths else bundled_policy_dir(), limits=command_limits())


def read_stdin(name: str = "<stdin>") -> str:
    """Standard input as text, at most ``max_file_bytes`` of it; a mistake is a case problem."""
    if sys.stdin is None:
        return ""
    stdin = getattr(sys.stdin, "buffer", None)  # bytes: an encoding mistake is reported, not raised
    if stdin is None:  # a text stream (an embedding replaced sys.stdin): its characters, bounded alike
        stdin = io.BytesIO(sys.stdin.read(command_limits().max_file_bytes + 1).encode("utf-8", "surrogateescape"))
    try:
        return decode(read_limited(stdin, name, command_limits()), name)
    except PolicyError as exc:  # the loader's errors are about this case
        raise CaseError(exc.problems, exc.sources) from None


def use_colour(stream) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return tty and "NO_COLOR" not in os.environ


def fail(exc: OrdinanceError) -> None:
    """Print ``exc``'s located problems and their count to standard error; exit with status 1."""
    click.echo(exc.render(), err=True)
    count = len(exc.problems)
    click.echo(f"{count} problem{'s' if count != 1 else ''}", err=True)
    sys.exit(1)


def write_output(text: str, output: str | None) -> None:
    """Write ``text`` to the file ``output`` (``-`` or None: standard output)."""
    if output is None or output == "-":
        click.echo(text, nl=False)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.FileError(output, exc.strerror or str(exc)) from None


def check_unicode(text: str, source: str) -> None:
    """A JSON or YAML escape can smuggle half a surrogate pair into the case: report it, not crash."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CaseError([Problem("encoding", f"the case holds text that is not valid Unicode (a lone surrogate "
                                             f"U+{ord(exc.object[exc.start]):04X})", Location(source, 1, 1),
                                 "write text as UTF-8; do not escape half of a surrogate pair")]) from None


policy_option = click.option("--policy", "policies", multiple=True, type=click.Path(file_okay=False),
                             help="A policy directory (default: the bundled Xiamen 2025 AI measures). "
                                  "Repeat to load several policies together.")


class DateType(click.ParamType):
    """A calendar date written YYYY-MM-DD."""

    name = "date"

    def convert(self, value, param, ctx):
        if isinstance(value, _dt.date):
            return value
        text = str(value).strip()
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            self.fail(f"{value!r} is not a date: write YYYY-MM-DD, e.g. 2025-06-30", param, ctx)
        try:
            return _dt.date.fromisoformat(text)
        except ValueError as exc:
            self.fail(f"{value!r} is not a date: {exc}", param, ctx)


DATE = DateType()

traced_claims_option = click.option(
    "--max-traced-claims", type=click.IntRange(min=1), default=MAX_TRACED_CLAIMS, show_default=True,
    help="The most claims a case decided with its trace may have (more: trace-too-large; --no-trace has no such bound).")


def bound_traced_claims(case: Any, most: int, source: str) -> None:
    """A case of more than ``most`` claims decided with its trace is ``trace-too-large``: ten
    thousand claims took 1.2 GB and printed 156 MB."""
    claims = len(case.claims)
    if claims > most:
        raise CaseError([Problem("trace-too-large", f"the case has {claims:,} claims; a decision with its trace is "
                                 f"given for at most {most:,}", Location(source, 1, 1),
                                 "decide it without the trace (--no-trace, e.g. --format json --no-trace), "
                                 "raise --max-traced-claims, or split the case", "claims")])


as_of_option = click.option("--as-of", "as_of", type=DATE, metavar="YYYY-MM-DD",
                            help="The date of evaluation: shown in the report and used for claims "
                                 "that give no date.")


class ByteSize(click.ParamType):
    """A number of bytes: ``1048576``, ``512k``, ``4M``, ``1G`` (k, M, G: powers of 1024)."""

    name = "size"
    _UNITS = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}
    #: the largest size taken (1 TiB): more than any file or line here, and within what the
    #: operating system's read calls accept (a larger one was an OverflowError, exit 3)
    MOST = 1024 ** 4

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            number = value
        else:
            m = re.fullmatch(r"\s*(\d{1,15})\s*([kKmMgG]?)(?:i?[bB])?\s*", str(value))
            if not m:
                self.fail(f"{value!r} is not a size: write bytes, or a number with k, M or G (e.g. 4M)", param, ctx)
            number = int(m.group(1)) * self._UNITS[m.group(2).lower()]
        if number < 1:
            self.fail(f"{value!r} is not a size: it must be at least 1 byte", param, ctx)
        if number > self.MOST:
            self.fail(f"{value!r} is too large a size: at most 1T (1024G)", param, ctx)
        return number


BYTES = ByteSize()

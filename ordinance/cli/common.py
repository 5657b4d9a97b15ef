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
from ..messages import LANGS, env_lang, msg, plural, said_os_error
from ..policy import Policy, bundled_policy_dir, load_policy


def command_limits() -> Limits:
    """The limits the command runs under: the global ``--max-...`` options (or the defaults)."""
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if isinstance(ctx.obj, Limits):
            return ctx.obj
        ctx = ctx.parent
    return DEFAULT_LIMITS


#: where the group keeps the language of the run (click's ``Context.meta`` is shared by every
#: context of one invocation)
LANG_KEY = "ordinance.lang"


def command_lang() -> str:
    """The language the command speaks in (``en`` or ``zh``): the global ``--lang``, else the
    environment (``ORDINANCE_LANG``, then the locale: :func:`~ordinance.messages.env_lang`)."""
    ctx = click.get_current_context(silent=True)
    chosen = ctx.meta.get(LANG_KEY) if ctx is not None else None
    return chosen or env_lang()


def _keep_lang(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.meta[LANG_KEY] = value


#: the global ``--lang``: kept as soon as it is read (eager), so that even the other global options'
#: mistakes are told in it
lang_option = click.option("--lang", type=click.Choice(LANGS), default=None, is_eager=True, expose_value=False,
                           callback=_keep_lang,
                           help="The language of messages and reports: en or zh (default: ORDINANCE_LANG, "
                                "else zh when the locale (LC_ALL, LC_MESSAGES, LANG) is Chinese, else en).")


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
    lang = command_lang()
    click.echo(exc.render(lang=lang), err=True)
    click.echo(plural("problem.count", len(exc.problems)).in_lang(lang), err=True)
    sys.exit(1)


def write_output(text: str, output: str | None) -> None:
    """Write ``text`` to the file ``output`` (``-`` or None: standard output)."""
    if output is None or output == "-":
        click.echo(text, nl=False)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.FileError(output, said_os_error(exc)) from None


def check_unicode(text: str, source: str) -> None:
    """A JSON or YAML escape can smuggle half a surrogate pair into the case: report it, not crash."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CaseError([Problem("encoding", msg("case.lone-surrogate", code=f"U+{ord(exc.object[exc.start]):04X}"),
                                 Location(source, 1, 1), msg("case.hint.lone-surrogate"))]) from None


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
            self.fail(msg("cli.not-a-date", value=repr(value)), param, ctx)
        try:
            return _dt.date.fromisoformat(text)
        except ValueError as exc:
            self.fail(msg("cli.not-a-date-because", value=repr(value), why=str(exc)),
                      param, ctx)


DATE = DateType()

traced_claims_option = click.option(
    "--max-traced-claims", type=click.IntRange(min=1), default=MAX_TRACED_CLAIMS, show_default=True,
    help="The most claims a case decided with its trace may have (more: trace-too-large; --no-trace has no such bound).")


def bound_traced_claims(case: Any, most: int, source: str) -> None:
    """A case of more than ``most`` claims decided with its trace is ``trace-too-large``: ten
    thousand claims took 1.2 GB and printed 156 MB."""
    claims = len(case.claims)
    if claims > most:
        raise CaseError([Problem("trace-too-large", msg("cli.trace-too-large", claims=f"{claims:,}", most=f"{most:,}"),
                                 Location(source, 1, 1), msg("cli.hint.trace-too-large"), "claims")])


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
                self.fail(msg("cli.not-a-size", value=repr(value)), param, ctx)
            number = int(m.group(1)) * self._UNITS[m.group(2).lower()]
        if number < 1:
            self.fail(msg("cli.size-too-small", value=repr(value)), param, ctx)
        if number > self.MOST:
            self.fail(msg("cli.size-too-large", value=repr(value)), param, ctx)
        return number


BYTES = ByteSize()

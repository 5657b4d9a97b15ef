"""A usage mistake in the language of the run: click's frame and click's own messages from the catalogue.

click says a usage mistake in English (``Usage: ...``, ``Try '... --help' for help.``,
``Error: No such option '--foo'.``): its words come from stdlib gettext, which knows nothing of
``--lang``.  The group (:mod:`ordinance.cli.main`) hands every :class:`click.ClickException` to
:func:`in_language`; in English it is left to click, byte for byte, and in Chinese it becomes a
:class:`SaidError`, which shows the same report said from the catalogue
(:mod:`ordinance.messages.framing`): the frame from the error's structure (its context, parameter,
option name, possibilities), click's message recognised from its English
(:func:`~ordinance.messages.recognise` over the ``click.*`` entries).  Whatever click says that the
catalogue does not know stays as click said it; what the user typed is shown, never obeyed
(:func:`~ordinance.errors.terminal_text`).

The language: the ``--lang`` already read (eager, so known before the other options are
converted), else a ``--lang`` written in the arguments (when the parsing failed before reaching
it), else the environment (:func:`~ordinance.messages.env_lang`).
"""

from __future__ import annotations

from typing import Any, Sequence

import click

from ..errors import terminal_text
from ..messages import LANGS, Text, env_lang, join, msg, plural, recognise
from .common import LANG_KEY

#: where the group keeps the ``--lang`` written in its arguments (read before click parses them)
ASKED_KEY = "ordinance.lang-asked"


def lang_in_args(args: Sequence[str]) -> str | None:
    """The language a ``--lang X`` or ``--lang=X`` among ``args`` names (the last one; none after
    ``--``), or None: what was asked even when click could not parse the arguments."""
    chosen = None
    words = list(args)
    for i, word in enumerate(words):
        if word == "--":
            break
        value = None
        if word == "--lang" and i + 1 < len(words):
            value = words[i + 1]
        elif word.startswith("--lang="):
            value = word[len("--lang="):]
        if value in LANGS:  # as --lang takes it (click.Choice: exactly)
            chosen = value
    return chosen


def usage_lang(ctx: click.Context | None, asked: str | None = None) -> str:
    """The language of a usage mistake: the ``--lang`` read, else one written, else the environment."""
    if ctx is not None:
        chosen = ctx.meta.get(LANG_KEY) or ctx.meta.get(ASKED_KEY)
        if chosen:
            return chosen
    return asked or env_lang()


class SaidError(click.ClickException):
    """A click error said in ``lang``: what click's own ``show`` prints, in that language, with the
    error's exit status (2 for a usage mistake)."""

    def __init__(self, error: click.ClickException, lang: str):
        super().__init__(error.format_message())
        self.error = error
        self.lang = lang
        self.exit_code = error.exit_code  # type: ignore[misc]

    def show(self, file: Any = None) -> None:
        ctx = getattr(self.error, "ctx", None)
        click.echo(report(self.error, self.lang), file=file, err=file is None,
                   color=ctx.color if ctx is not None else None)


def in_language(error: click.ClickException, lang: str) -> click.ClickException:
    """``error`` to raise in ``lang``: itself in English (click says it; a :class:`SaidError` when
    what it says holds a control character), a :class:`SaidError` otherwise.
    click's help shown for a missing command (``ordinance`` alone) is left as it is."""
    if isinstance(error, (SaidError, click.exceptions.NoArgsIsHelpError)):
        return error
    if lang == "en":
        # click's own words, unless they would carry a control character typed in an argument (an
        # escape sequence) to the terminal: then the same report, the character shown, not obeyed
        said = error.format_message()
        return error if terminal_text(said) == said else SaidError(error, lang)
    return SaidError(error, lang)


def report(error: click.ClickException, lang: str) -> str:
    """What click's ``error.show()`` prints (without the last newline), in ``lang``."""
    out = ""
    if isinstance(error, click.UsageError) and error.ctx is not None:
        ctx = error.ctx
        out = usage_line(ctx, lang) + "\n"
        if ctx.command.get_help_option(ctx) is not None:
            option = max(ctx.command.get_help_option_names(ctx), key=len)
            out += msg("framing.try-help", command=ctx.command_path, option=option).in_lang(lang) + "\n"
        out += "\n"
    out += msg("framing.error", message=message(error)).in_lang(lang)
    return terminal_text(out)


def usage_line(ctx: click.Context, lang: str) -> str:
    """``ctx.get_usage()``, its ``Usage:`` said in ``lang``."""
    formatter = ctx.make_formatter()
    formatter.write_usage(ctx.command_path, " ".join(ctx.command.collect_usage_pieces(ctx)),
                          msg("framing.usage").in_lang(lang))
    return formatter.getvalue().rstrip("\n")


def message(error: click.ClickException) -> Any:
    """The error's message (``error.format_message()``) as the catalogue's words; click's English
    as it is when the catalogue cannot say it exactly."""
    said = _message(error)
    return said if str(said) == error.format_message() else error.format_message()


def _message(error: click.ClickException) -> Any:
    if isinstance(error, (click.NoSuchOption, click.exceptions.NoSuchCommand)):
        base = words(error.message)
        if not error.possibilities:
            return base
        options = sorted(error.possibilities)
        return plural("framing.did-you-mean", len(options), message=base,
                      possibilities=join([repr(p) for p in options]))
    if isinstance(error, click.MissingParameter):
        param = error.param
        kind = error.param_type or (param.param_type_name if param is not None else None)
        hint = _hint(error)
        extra = param.type.get_missing_message(param=param, ctx=error.ctx) if param is not None else None
        if hint is None or error.message or extra or kind not in ("argument", "option"):
            return words(error.format_message())
        return msg(f"framing.missing-{kind}", param=hint)
    if isinstance(error, click.BadParameter):
        hint = _hint(error)
        if hint is None:
            return words(error.format_message())
        return msg("framing.invalid-value-for", param=hint, message=words(error.message))
    if isinstance(error, click.FileError):
        return msg("framing.could-not-open", filename=repr(error.ui_filename), message=words(error.message))
    return words(error.message)


def words(said: Any) -> Any:
    """A message as the catalogue's: words that say themselves (a :class:`Text`) as they are, click's
    English recognised (a list of choices joined by the catalogue's comma)."""
    if hasattr(said, "in_lang"):
        return said
    text = recognise("click.", str(said))
    if "choices" in text.params:
        text = Text(text.key, {**text.params, "choices": join(str(text.params["choices"]).split(", "))})
    return text


def _hint(error: click.BadParameter) -> Any:
    """The parameter the error is about, as click names it (``'--format'``, ``'CASE'``), an
    environment variable said in words; None when there is none."""
    if error.param_hint is not None:
        hint = error.param_hint
        return hint if isinstance(hint, str) else " / ".join(repr(x) for x in hint)
    param = error.param
    if param is None:
        return None
    said = param.get_error_hint(error.ctx)
    if isinstance(param, click.Option) and param.show_envvar and param.envvar:
        names = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar)
        text = msg("framing.env-var", param=click.Parameter.get_error_hint(param, error.ctx),
                   names=join([f"'{name}'" for name in names]))
        return text if text == said else said
    return said

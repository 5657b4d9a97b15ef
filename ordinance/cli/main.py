"""The ``ordinance`` command line.

Every command loads the bundled policy unless given ``--policy DIR`` (repeatable: several
policies load together).  Input mistakes are printed as ``file:line:col: code: message`` with
the source line and a caret, and exit with status 1; usage mistakes exit with status 2.  No
input produces a Python traceback.

The commands: ``eval`` (decide one case), ``batch`` (decide many, with annual quotas ranked
across them; the logic is in :mod:`ordinance.batch`), ``show`` (the policy for reading,
:mod:`ordinance.cli.show`), ``explain`` (:mod:`ordinance.cli.explain`), ``check``, ``test``
and ``schema``.
What several commands share (options, limits, standard input, reporting) is in
:mod:`ordinance.cli.common`.
"""

from __future__ import annotations

import datetime as _dt
import os
import shlex
import sys
from pathlib import Path

import click

from ..errors import Location, OrdinanceError, PolicyError, Problem
from ..messages import in_lang, msg, plural, said_os_error
from ..limits import DEFAULT_LIMITS, Limits
from ..policy import bundled_policy_dir, load_policy
from ..render import FORMATS, render
from .common import BYTES, DATE, ByteSize, DateType, as_of_option, policy_option  # noqa: F401 (still importable here)
from .common import LANG_KEY, bound_traced_claims, command_lang, lang_option, traced_claims_option
# The shared helpers, by the names main's commands (and callers of this module) know them by.
from .common import check_unicode as _check_unicode
from .common import command_limits as _limits
from .common import command_policy as _policy
from .common import fail as _fail
from .common import read_stdin as _read_stdin
from .common import use_colour as _colour
from .common import write_output as _write
from .explain import explain_command
from .serve import serve_command
from .usage import ASKED_KEY, in_language, lang_in_args, usage_lang


class _Group(click.Group):
    """Turns any exception that escapes a command into a one-line report instead of a traceback."""

    def make_context(self, info_name, args, parent=None, **extra):
        asked = lang_in_args(args)  # a --lang the parsing may fail before reaching
        try:
            ctx = super().make_context(info_name, args, parent, **extra)
        except click.ClickException as exc:  # a usage mistake among the global options: said in the run's language
            said = in_language(exc, usage_lang(getattr(exc, "ctx", None), asked))
            if said is exc:
                raise
            raise said from None
        if asked:
            ctx.meta[ASKED_KEY] = asked
        return ctx

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except OrdinanceError as exc:
            _fail(exc)
        except click.ClickException as exc:  # a usage mistake: said in the run's language (ordinance.cli.usage)
            said = in_language(exc, usage_lang(ctx))
            if said is exc:
                raise
            raise said from None
        except (click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo(msg("framing.interrupted").in_lang(command_lang()), err=True)
            sys.exit(130)
        except BrokenPipeError:  # the reader went away (`ordinance test -v | head`): stop quietly
            quiet_broken_pipe()
        except Exception as exc:  # a bug: say so plainly; ORDINANCE_DEBUG=1 shows the traceback
            if os.environ.get("ORDINANCE_DEBUG"):
                raise
            click.echo(msg("cli.internal-error", error=f"{type(exc).__name__}: {exc}").in_lang(command_lang()),
                       err=True)
            sys.exit(3)


def quiet_broken_pipe() -> None:
    """Stop as a program killed by SIGPIPE would, without a word: exit status 141 (128 + 13).
    Standard output is pointed at the null device first, so that the interpreter's last flush
    of what is still buffered cannot fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # pragma: no cover - stdout without a file descriptor
        pass
    sys.exit(141)


#: The largest count a --max-... option takes (a bound, not a budget: more is no bound at all).
_MOST_COUNT = 10 ** 9

#: The global options that set :class:`~ordinance.limits.Limits` (docs/security.md), each
#: also read from an environment variable.
LIMIT_OPTIONS = (
    ("max_file_bytes", BYTES, "bytes in one rule file, case file or standard input"),
    ("max_depth", click.IntRange(min=1, max=_MOST_COUNT), "nesting of one YAML or JSON document"),
    ("max_nodes", click.IntRange(min=1, max=_MOST_COUNT), "values in one document (each use of a YAML alias counts)"),
    ("max_expression_length", click.IntRange(min=1, max=_MOST_COUNT), "characters in one expression of a rule file"),
    ("max_expression_depth", click.IntRange(min=1, max=_MOST_COUNT), "nesting of one expression (operators, calls, lists)"),
    ("max_literal_digits", click.IntRange(min=1, max=_MOST_COUNT), "digits in one number"),
    ("max_line_bytes", BYTES, "bytes in one line of batch input (JSON Lines, CSV)"),
    ("max_claims", click.IntRange(min=1, max=_MOST_COUNT), "claims (and, apart, prior awards) in one case"),
)


def _limit_options(f):
    for name, kind, what in reversed(LIMIT_OPTIONS):
        flag = "--" + name.replace("_", "-")
        default = getattr(DEFAULT_LIMITS, name)
        f = click.option(flag, name, type=kind, default=None, metavar="SIZE" if kind is BYTES else "N",
                         envvar="ORDINANCE_" + name.upper(), show_envvar=True,
                         help=f"Limit: {what} (default {default}).")(f)
    return f


@click.group("ordinance", cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ordinance")
@lang_option
@_limit_options
@click.pass_context
def main(ctx: click.Context, **limits) -> None:
    """ordinance: decide subsidy claims from rule files, and explain every step.

    \b
    Examples:
      ordinance eval examples/compute-voucher.yaml
      ordinance eval case.yaml --format json -o decision.json
      ordinance batch examples/batch/cases --out decisions.jsonl
      ordinance show compute-voucher
      ordinance check policy/xiamen-ai-2025
      ordinance --max-line-bytes 4M batch big.jsonl --out out.jsonl
      ordinance --lang zh eval case.yaml --format html -o decision.html

    The --max-... options (before the command) bound what is read; docs/security.md lists
    them with their defaults.

    Exit status: 0 done; 1 a problem in the input (printed as file:line:col: code: message);
    2 a usage mistake; 3 an internal error (ORDINANCE_DEBUG=1 shows the traceback);
    130, 143 or 75: a batch interrupted by SIGINT, SIGTERM or a worker that died
    (its output holds complete records; --resume goes on).
    Colour is used on a terminal unless NO_COLOR is set.  Messages and reports are in English,
    or in Chinese with --lang zh (or ORDINANCE_LANG=zh, or a Chinese locale).
    """
    chosen = {name: value for name, value in limits.items() if value is not None}
    ctx.obj = Limits(**chosen) if chosen else DEFAULT_LIMITS


_SUFFIX_FORMATS = {".json": "json", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html",
                   ".txt": "text"}


@main.command("eval")
@click.argument("case", type=click.Path(dir_okay=False, allow_dash=True))
@policy_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="How to print the decision (default: text, or what the -o file's suffix names: "
                   ".json, .md, .html).")
@as_of_option
@click.option("--trace/--no-trace", default=True, show_default=True, help="Record the derivation.")
@traced_claims_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, allow_dash=True),
              help="Write to FILE, not stdout.")
def eval_command(case: str, policies: tuple[str, ...], fmt: str | None, as_of: _dt.date | None, trace: bool,
                 max_traced_claims: int, output: str | None) -> None:
    """Decide CASE (a YAML or JSON case file; `-` reads standard input).

    \b
    Example:
      ordinance eval examples/compute-voucher.yaml
      ordinance eval examples/compute-voucher.yaml --format json --as-of 2025-12-31
      cat case.yaml | ordinance eval - -o decision.md
    """
    from ..cases import load_case, read_case_text

    if fmt is None:
        suffix = Path(output).suffix.lower() if output and output != "-" else ""
        fmt = _SUFFIX_FORMATS.get(suffix, "text")
        if fmt not in FORMATS:
            fmt = "text"
    policy = _policy(policies)
    if case == "-":
        parsed = read_case_text(_read_stdin(), "<stdin>", policy, _limits())
    else:
        parsed = load_case(case, policy, _limits())
    if trace:
        bound_traced_claims(parsed, max_traced_claims, "<stdin>" if case == "-" else case)
    decision = policy.evaluate(parsed, trace=trace, as_of=as_of)
    to_terminal = output is None or output == "-"
    text = render(decision, fmt, colour=to_terminal and _colour(sys.stdout), lang=command_lang(),
                  labels=policy.fact_label)
    _check_unicode(text, "<stdin>" if case == "-" else case)
    _write(text, output)


@main.command("batch")
@click.argument("cases", type=click.Path(exists=True))
@click.option("-o", "--out", "out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The file to write: one decision per case, in input order.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default=None,
              help="jsonl: one decision (JSON) per line; csv: one row per claim "
                   "(default: csv when --out ends in .csv, else jsonl).")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=1, show_default=True,
              help="Worker processes (0: one per CPU; more than the CPUs: reduced to one per CPU, with a "
                   "note). The output is the same for any number.")
@click.option("--trace/--no-trace", default=False, show_default=True,
              help="Record the derivation in each decision (JSON Lines only).")
@click.option("--resume", is_flag=True,
              help="Go on with an interrupted run: keep the cases OUT already holds (see OUT.checkpoint), "
                   "decide the rest, and rank the quotas over all of them.")
@as_of_option
@policy_option
def batch_command(cases: str, out: str, fmt: str | None, jobs: int, trace: bool, resume: bool,
                  as_of: _dt.date | None, policies: tuple[str, ...]) -> None:
    """Decide many cases: a folder of case files, a .jsonl file or a .csv file.

    Every case appears in the output once, in input order; a case that cannot be read or
    decided appears as `"status": "error"` with its problems, and the others go on.
    Annual quotas (e.g. at most 10 hit products a year) are ranked across the whole batch.
    A summary goes to stderr: claims by status, and the amount due by measure and year.
    Exit status 0 when every case was decided, 1 when some could not be.

    Interrupted (Ctrl-C, SIGTERM, a worker killed), the run stops between two cases (a
    JSON Lines file in and out is decided in blocks of lines: between two blocks): OUT
    holds complete records, OUT.checkpoint what is needed to go on, and the command to go
    on is printed (the same one with --resume).  Exit status 130, 143 or 75.

    \b
    CSV input: one claim per row; columns case, id, measure, date, project,
    applicant.<fact> and the claim's facts by name; consecutive rows with the same
    `case` form one case; empty cells are absent facts.

    \b
    Example:
      ordinance batch examples/batch/cases --out decisions.jsonl
      ordinance batch examples/batch/claims.csv --out decisions.csv --jobs 4
    """
    from .. import batch

    lang = command_lang()
    cpus = _cpus()
    if jobs == 0:
        jobs = cpus
    elif jobs > cpus:  # more workers than CPUs only costs memory: each loads the policy
        click.echo(plural("batch.note.jobs", cpus, jobs=jobs).in_lang(lang), err=True)
        jobs = cpus
    fmt = fmt or ("csv" if out.lower().endswith(".csv") else "jsonl")
    source = Path(cases)
    kind = batch.input_kind(source)
    if kind is None:
        raise click.BadParameter(msg("batch.usage.input"), param_hint="CASES")
    if source.is_file() and Path(out).resolve() == source.resolve():
        raise click.BadParameter(msg("batch.usage.overwrite"), param_hint="--out")
    if Path(out).exists() and not Path(out).is_file():
        raise click.BadParameter(msg("batch.usage.not-a-file"), param_hint="--out")
    policy = _policy(policies)
    options = batch.Options(tuple(str(p) for p in policies), trace and fmt == "jsonl", as_of, fmt,
                            bool(os.environ.get("ORDINANCE_DEBUG")), _limits(), lang)
    try:
        summary = batch.run(source, kind, Path(out), policy, options, jobs,
                            progress=_is_tty(sys.stderr), resume=resume)
    except batch.ResumeError as exc:
        # the reason is a message: said with the rest in the run's language (ordinance.cli.usage)
        raise click.UsageError(msg("batch.resume.cannot", why=exc.args[0] if exc.args else "")) from None
    except OSError as exc:
        raise click.FileError(getattr(exc, "filename", None) or out, said_os_error(exc)) from None
    if summary.interrupted is not None:
        again = _resume_command(cases, out, fmt, jobs, trace, as_of, policies)
        click.echo(plural("batch.note.stopped", summary.cases, what=msg(f"batch.stopped.{summary.interrupted.lower()}"),
                          out=out, checkpoint=batch.checkpoint_path(Path(out)).name, again=again).in_lang(lang),
                   err=True)
        sys.exit(batch.INTERRUPTED_STATUS[summary.interrupted])
    if summary.resumed:
        click.echo(plural("batch.note.resumed", summary.resumed).in_lang(lang), err=True)
    if summary.records_lang is not None:
        click.echo(msg("batch.note.resumed-lang", language=msg(f"batch.lang.{summary.records_lang}")).in_lang(lang),
                   err=True)
    click.echo(summary.render(out, fmt, lang), err=True, nl=False)
    if summary.internal_errors:
        sys.exit(3)
    if summary.errors:
        sys.exit(1)


def _cpus() -> int:
    """The CPUs this process may run on (its affinity where the system says), at least 1."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):
        return max(os.cpu_count() or 1, 1)


def _resume_command(cases: str, out: str, fmt: str, jobs: int, trace: bool, as_of: _dt.date | None,
                    policies: tuple[str, ...]) -> str:
    """The command that goes on with an interrupted batch: this one, with --resume."""
    words = ["ordinance"]
    limits = _limits()
    for name, _, _ in LIMIT_OPTIONS:
        value = getattr(limits, name)
        if value != getattr(DEFAULT_LIMITS, name):
            words += ["--" + name.replace("_", "-"), str(value)]
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.meta.get(LANG_KEY):
        words += ["--lang", ctx.meta[LANG_KEY]]
    words += ["batch", cases, "--out", out, "--format", fmt]
    if jobs != 1:
        words += ["--jobs", str(jobs)]
    if trace:
        words.append("--trace")
    if as_of is not None:
        words += ["--as-of", as_of.isoformat()]
    for policy in policies:
        words += ["--policy", policy]
    return shlex.join(words + ["--resume"])


def _is_tty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@main.command("show")
@click.argument("measure", required=False)
@policy_option
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True,
              help="text for the terminal, markdown for a document.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, allow_dash=True),
              help="Write to FILE, not stdout.")
@click.option("--generated", is_flag=True,
              help="Show the Python the code generator writes for a one-claim case of MEASURE instead.")
def show_command(measure: str | None, policies: tuple[str, ...], fmt: str, output: str | None,
                 generated: bool) -> None:
    """Show the policy for reading: every measure, or MEASURE, beside the text it encodes.

    For each measure: its title, article and responsible units, the quoted source text,
    the facts it reads, its parameters (with dated values), conditions, tables, amount,
    caps, basis, exclusivity group, quota, one-time rule, and the readings taken.
    With --lang zh the headings are in Chinese and the rule files' labels in their Chinese.

    \b
    Example:
      ordinance show compute-voucher
      ordinance show --format markdown -o policy.md
      ordinance show compute-voucher --generated
    """
    from .show import show_generated, show_policy

    policy = _policy(policies)
    _write(show_generated(policy, measure) if generated else show_policy(policy, measure, fmt, command_lang()), output)


@main.command("check")
@click.argument("directories", nargs=-1, type=click.Path(file_okay=False))
def check_command(directories: tuple[str, ...]) -> None:
    """Validate policy directories: schema, syntax, names, types, references, dates.

    Every problem is reported at once as `file:line:col: code: message`; the exit status is
    0 when clean and 1 when there are problems.

    \b
    Example:
      ordinance check policy/xiamen-ai-2025
    """
    targets = list(directories) or [str(bundled_policy_dir())]
    policy = load_policy(targets, limits=_limits())
    click.echo(msg("cli.check-ok", policy=policy.id, count=len(policy.programs),
                   digest=policy.digest[:12]).in_lang(command_lang()))


@main.command("test")
@click.argument("directories", nargs=-1, type=click.Path(file_okay=False))
@click.option("-v", "--verbose", is_flag=True, help="List every test, not only failures.")
@click.option("--allow-no-tests", is_flag=True, help="Pass a policy that has no test cases (by default it fails).")
def test_command(directories: tuple[str, ...], verbose: bool, allow_no_tests: bool) -> None:
    """Run a policy's YAML test cases (DIR/tests/*.yaml).

    Every test file is checked against its JSON Schema first (`ordinance schema --kind tests`):
    an unknown key, a test that checks nothing or a value of the wrong shape is a problem at its
    line and column, and no test runs.  A policy without tests fails unless --allow-no-tests.
    On a failure, shows what was expected against what came out, with the trace.
    Ends with `N passed, M failed`; the exit status is 1 on any failure.

    \b
    Example:
      ordinance test policy/xiamen-ai-2025
    """
    from ..render.text import render_claim, terminal_text
    from ..testing import collect, run_test

    targets = [Path(d) for d in directories] or [bundled_policy_dir()]
    lang = command_lang()
    passed = failed = 0
    for directory in targets:
        policy = load_policy(directory, limits=_limits())
        # in Chinese a fact is named by the rule file's label too; the English is as it always was
        labels = policy.fact_label if lang != "en" else None
        tests = collect(directory, _limits())
        if not tests and not allow_no_tests:
            raise PolicyError([Problem("no-tests", msg("cli.no-tests", directory=directory),
                                       Location(str(directory / "tests"), 1, 1), msg("cli.hint.no-tests"))])
        for test in tests:
            outcome = run_test(test, policy, directory)
            if outcome.passed:
                passed += 1
                if verbose:
                    click.echo(terminal_text(msg("testing.pass", file=test.file, line=test.line,
                                                 name=test.name).in_lang(lang)))
                continue
            failed += 1
            click.echo(terminal_text(msg("testing.fail", file=test.file, line=test.line, name=test.name).in_lang(lang)))
            for failure in outcome.failures:
                click.echo(terminal_text("  " + in_lang(failure, lang)))
            for decision in outcome.decisions:
                for result in decision.results:
                    click.echo(terminal_text("\n".join("    " + line for line in render_claim(
                        result, lang=lang, labels=labels))))
    click.echo(msg("cli.tests-summary", passed=passed, failed=failed).in_lang(lang))
    if failed:
        sys.exit(1)


@main.command("schema")
@policy_option
@click.option("--kind", type=click.Choice(["case", "rules", "policy", "tests"]), default="case", show_default=True,
              help="case: case files for the loaded policy; rules/policy/tests: rule files, manifests, test files.")
def schema_command(policies: tuple[str, ...], kind: str) -> None:
    """Print a JSON Schema: of case files for the loaded policy (default), or of rule files.

    \b
    Example:
      ordinance schema > case.schema.json
    """
    from ..decision import to_json
    from ..front.validate import schema

    click.echo(to_json(_policy(policies).case_schema() if kind == "case" else schema(kind)), nl=False)


main.add_command(explain_command)
main.add_command(serve_command)


if __name__ == "__main__":  # pragma: no cover
    main()

"""The ``ordinance`` command line.

Every command loads the bundled policy unless given ``--policy DIR`` (repeatable: several
policies load together).  Input mistakes are printed as ``file:line:col: code: message`` with
the source line and a caret, and exit with status 1; usage mistakes exit with status 2.  No
input produces a Python traceback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ..errors import OrdinanceError
from ..policy import Policy, bundled_policy_dir, load_policy


def _policy(paths: tuple[str, ...]) -> Policy:
    return load_policy(list(paths) if paths else bundled_policy_dir())


def _colour(stream) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ


def _fail(exc: OrdinanceError) -> None:
    click.echo(exc.render(), err=True)
    count = len(exc.problems)
    click.echo(f"{count} problem{'s' if count != 1 else ''}", err=True)
    sys.exit(1)


policy_option = click.option("--policy", "policies", multiple=True, type=click.Path(file_okay=False),
                             help="A policy directory (default: the bundled Xiamen 2025 AI measures). "
                                  "Repeat to load several policies together.")


class _Group(click.Group):
    """Turns any exception that escapes a command into a one-line report instead of a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except OrdinanceError as exc:
            _fail(exc)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as exc:  # a bug: say so plainly; ORDINANCE_DEBUG=1 shows the traceback
            if os.environ.get("ORDINANCE_DEBUG"):
                raise
            click.echo(f"ordinance: internal error ({type(exc).__name__}: {exc}); this is a bug, "
                       "please report it with the input that caused it (ORDINANCE_DEBUG=1 shows details)", err=True)
            sys.exit(3)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ordinance")
def main() -> None:
    """ordinance: decide subsidy claims from rule files, and explain every step.

    \b
    Examples:
      ordinance eval examples/compute-voucher.yaml
      ordinance eval case.yaml --format json -o decision.json
      ordinance check policy/xiamen-ai-2025
    """


@main.command("eval")
@click.argument("case", type=click.Path(dir_okay=False, allow_dash=True))
@policy_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="How to print the decision.")
@click.option("--trace/--no-trace", default=True, show_default=True, help="Record the derivation.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write to FILE, not stdout.")
def eval_command(case: str, policies: tuple[str, ...], fmt: str, trace: bool, output: str | None) -> None:
    """Decide CASE (a YAML or JSON case file; `-` reads standard input).

    \b
    Example:
      ordinance eval examples/compute-voucher.yaml --format json
    """
    from ..cases import load_case, read_case_text
    from ..render.text import render_decision

    try:
        policy = _policy(policies)
        if case == "-":
            parsed = read_case_text(sys.stdin.read(), "<stdin>", policy)
        else:
            parsed = load_case(case, policy)
        decision = policy.evaluate(parsed, trace=trace)
    except OrdinanceError as exc:
        _fail(exc)
        return
    if fmt == "json":
        text = decision.to_json()
    else:
        text = render_decision(decision, colour=output is None and _colour(sys.stdout))
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


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
    try:
        policy = load_policy(targets)
    except OrdinanceError as exc:
        _fail(exc)
        return
    click.echo(f"ok: {policy.id}: {len(policy.programs)} measures, sha256:{policy.digest[:12]}")


if __name__ == "__main__":  # pragma: no cover
    main()

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


@main.command("test")
@click.argument("directories", nargs=-1, type=click.Path(file_okay=False))
@click.option("-v", "--verbose", is_flag=True, help="List every test, not only failures.")
def test_command(directories: tuple[str, ...], verbose: bool) -> None:
    """Run a policy's YAML test cases (DIR/tests/*.yaml).

    On a failure, shows what was expected against what came out, with the trace.
    Ends with `N passed, M failed`; the exit status is 1 on any failure.

    \b
    Example:
      ordinance test policy/xiamen-ai-2025
    """
    from ..render.text import render_claim
    from ..testing import collect, run_test

    targets = [Path(d) for d in directories] or [bundled_policy_dir()]
    passed = failed = 0
    for directory in targets:
        policy = load_policy(directory)
        for test in collect(directory):
            outcome = run_test(test, policy, directory)
            if outcome.passed:
                passed += 1
                if verbose:
                    click.echo(f"PASS {test.file}:{test.line}: {test.name}")
                continue
            failed += 1
            click.echo(f"FAIL {test.file}:{test.line}: {test.name}")
            for failure in outcome.failures:
                click.echo(f"  {failure}")
            for decision in outcome.decisions:
                for result in decision.results:
                    click.echo("\n".join("    " + line for line in render_claim(result)))
    click.echo(f"{passed} passed, {failed} failed")
    if failed:
        sys.exit(1)


@main.command("schema")
@policy_option
@click.option("--kind", type=click.Choice(["case", "rules", "policy"]), default="case", show_default=True,
              help="case: case files for the loaded policy; rules/policy: rule files and manifests.")
def schema_command(policies: tuple[str, ...], kind: str) -> None:
    """Print a JSON Schema: of case files for the loaded policy (default), or of rule files.

    \b
    Example:
      ordinance schema > case.schema.json
    """
    from ..engine.decision import to_json
    from ..engine.validate import schema

    click.echo(to_json(_policy(policies).case_schema() if kind == "case" else schema(kind)), nl=False)


if __name__ == "__main__":  # pragma: no cover
    main()

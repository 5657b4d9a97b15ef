"""``ordinance explain``: why a claim was decided as it was — and, when refused, why not.

Decides the case with the trace, then prints for each claim (or the one named by ``--claim``) its
result, what kept it from its benefit with what would have to change (failed conditions with the
value a fact would need, validity, missing facts, exclusivity, quota, caps), and the full derivation.
"""

from __future__ import annotations

import sys

import click

from ..errors import OrdinanceError, did_you_mean
from ..messages import join, msg
from .common import (as_of_option, bound_traced_claims, check_unicode, command_lang, command_limits, command_policy,
                     fail, policy_option, read_stdin, traced_claims_option, use_colour)


@click.command("explain", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("case", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--claim", "claim_id", metavar="ID", help="Explain only this claim (default: every claim).")
@as_of_option
@policy_option
@traced_claims_option
def explain_command(case: str, claim_id: str | None, as_of, policies: tuple[str, ...], max_traced_claims: int) -> None:
    """Explain the decision on CASE claim by claim: why not, and the full derivation.

    CASE is a YAML or JSON case file; `-` reads standard input.  For a refused or undetermined
    claim the failed conditions come first, with what would have to change (e.g. "claim.annual_sales
    would have to be at least 10,000,000.00 元 (1000萬); it is 5,000,000.00 元 (500萬)"), then
    validity, missing facts, exclusivity (就高不重複), quotas and caps; then every step of the
    derivation with its citation and rule location.

    \b
    Examples:
      ordinance explain examples/support.yaml --claim c2
      ordinance explain examples/rd-project.yaml --as-of 2025-12-31
    """
    from ..cases import load_case, read_case_text
    from ..render.explain import render_explanation
    from ..render.text import say, terminal_text

    try:
        policy = command_policy(policies)
        if case == "-":
            parsed = read_case_text(read_stdin(), "<stdin>", policy, command_limits())
        else:
            parsed = load_case(case, policy, command_limits())
        bound_traced_claims(parsed, max_traced_claims, "<stdin>" if case == "-" else case)
        decision = policy.evaluate(parsed, trace=True, as_of=as_of)
    except OrdinanceError as exc:
        fail(exc)
        return
    results = decision.results
    if claim_id is not None:
        results = [r for r in decision.results if r.claim == claim_id]
        if not results:
            known = [r.claim for r in decision.results]
            lang = command_lang()
            click.echo(f"{case}: unknown-claim: {msg('claim.unknown', claim=claim_id).in_lang(lang)}", err=True)
            hint = did_you_mean(claim_id, known) or msg("claim.hint.its-claims",
                                                        claims=join(known) if known else msg("claim.none"))
            click.echo(terminal_text(msg("problem.hint", hint=hint).in_lang(lang)), err=True)
            sys.exit(1)
    colour = use_colour(sys.stdout)
    lang = command_lang()
    texts = [render_explanation(r, colour=colour, lang=lang, labels=policy.fact_label) for r in results]
    header = say("report.text.case", lang, case=decision.case) + say(
        "report.text.policy", lang, policy=decision.policy_id, digest=decision.policy_digest[:12])
    if decision.as_of is not None:
        header += say("report.text.as-of", lang, day=decision.as_of.isoformat())
    text = terminal_text(header) + "\n\n" + "\n".join(texts)  # the case's id is its own: shown, never obeyed
    try:
        check_unicode(text, "<stdin>" if case == "-" else case)
    except OrdinanceError as exc:
        fail(exc)
    click.echo(text, nl=False)

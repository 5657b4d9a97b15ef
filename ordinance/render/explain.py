"""Why not: what kept a claim from its benefit, and what would have to change.

:func:`why_not` filters one claim's trace (and its :class:`~ordinance.decision.ClaimResult`)
for the steps that refused it or left it open, in this order:

1. failed conditions — the condition, its expression, the facts' values, and what would have to
   change: for a fact compared with a constant (``applicant.annual_revenue >= 10億``) the value
   needed, for a yes/no fact the answer needed, otherwise the expression with its inputs;
2. validity windows the claim's date falls outside;
3. decision tables with no row for the claim;
4. missing facts, each with the steps that need it (the facts that would decide the claim);
5. undetermined claims this one waits on (a yearly pool, 就高不重複, a one-time award or a quota
   it shares with them), the facts they miss, and the bounds until then;
6. one-time awards already paid;
7. exclusivity (就高不重複): superseded by which claim or prior award, in which group and project;
8. quotas exceeded (the ranking);
9. caps used up by earlier awards.

It is a filter, not a second evaluator: everything it says is read from the trace and the result.
The only thing it computes is the *wording* of a need — it reads the expression text of a failed
condition with the expression parser to see whether it is a plain comparison of one fact with a
constant, and takes both values from the trace's inputs.

:func:`render_explanation` is the terminal form used by ``ordinance explain``: a heading, the why-not
part, then the full derivation tree drawn by :mod:`ordinance.render.text`.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from ..decision import ClaimResult
from ..front.model import Citation
from ..trace import Missing, TraceNode
from ..grammar import ast as A
from .format import show
from .text import (MARK, STATUS_COLOUR, Style, claim_summary_lines, derivation_lines, input_items, plain,
                   short, style_for, terminal_safe)

#: the order of the kinds of finding (see the module's docstring)
KINDS = ("condition", "validity", "table", "missing", "depends", "one-time", "superseded", "quota", "cap", "other")

_FACT_ROOTS = ("applicant", "claim")
_LITERAL_TYPES = {"number": "number", "money": "money", "percent": "rate", "date": "date",
                  "duration": "duration", "string": "string", "bool": "bool"}
_FLIP = {">=": "<=", "<=": ">=", ">": "<", "<": ">", "==": "==", "!=": "!="}


@dataclass
class Finding:
    """One thing that kept the claim from its benefit.

    ``kind`` is one of :data:`KINDS`; ``title`` says what happened in a line; ``node`` is the step of
    the trace it comes from (``None`` for a claim decided without a trace); ``inputs`` the values that
    step read, formatted; ``change`` what would have to change, in sentences; ``steps`` the further
    steps concerned (the rows of a table, the steps that need a missing fact); ``reason`` the
    result's reason record it explains, when there is one.
    """

    kind: str
    title: str
    node: TraceNode | None = None
    inputs: list[tuple[str, str]] = field(default_factory=list)
    change: list[str] = field(default_factory=list)
    steps: list[TraceNode] = field(default_factory=list)
    reason: dict[str, Any] | None = None

    @property
    def expression(self) -> str | None:
        return self.node.expression if self.node is not None else None

    @property
    def location(self) -> str | None:
        return str(self.node.location) if self.node is not None and self.node.location is not None else None

    @property
    def citation(self) -> Citation | None:
        return self.node.citation if self.node is not None else None

    @property
    def label(self) -> str | None:
        return str(self.node.label) if self.node is not None and self.node.label is not None else None


def is_fact(name: str) -> bool:
    """Facts are the case's inputs: ``applicant.*`` and ``claim.*``."""
    return name.split(".", 1)[0] in _FACT_ROOTS and "." in name


def _given(value: Any) -> bool:
    return value is not None and not isinstance(value, Missing) and value.__class__.__name__ != "NotComputed"


# -- the filter -------------------------------------------------------------------------------------

def why_not(result: ClaimResult) -> list[Finding]:
    """What kept ``result`` from its benefit, in the order of :data:`KINDS`; empty when nothing did."""
    trace = result.trace
    findings: list[Finding] = []
    explained: set[int] = set()  # ids of the reasons accounted for

    def reasons(*codes: str) -> list[dict[str, Any]]:
        return [r for r in result.reasons if r.get("code") in codes]

    def done(r: dict[str, Any] | None) -> None:
        if r is not None:
            explained.add(id(r))

    nodes = list(trace.walk()) if trace is not None else []

    # 1. failed conditions
    by_condition = {r.get("condition"): r for r in reasons("condition-failed")}
    if trace is not None:
        for node in nodes:
            if node.kind == "condition" and node.status == "false":
                r = by_condition.get(node.id)
                done(r)
                findings.append(_condition_finding(node, r))
    # 2. validity
    outside = reasons("outside-validity")
    if trace is not None:
        for node in nodes:
            if node.kind == "validity" and node.status == "false":
                r = outside[0] if outside else None
                done(r)
                findings.append(_validity_finding(node, r))
    # 3. tables without a row
    for r in reasons("no-table-row"):
        table = next((n for n in nodes if n.kind == "table" and n.id == r.get("table")), None)
        done(r)
        findings.append(_table_finding(table, r))
    # 4. missing facts
    project = reasons("project-needed")
    for fact in result.missing:
        r = project[0] if fact == "claim.project" and project else None
        done(r)
        for m in reasons("missing-facts"):
            done(m)
        findings.append(_missing_finding(fact, nodes, r))
    # 5. undetermined claims this one waits on (the rules spanning claims)
    for r in reasons("depends-on-undetermined"):
        done(r)
        steps = [n for n in nodes if n.kind == "depends"]
        change = [f"claim {claim} must be decided first: give {', '.join(facts)}"
                  for claim, facts in r.get("waiting_on", {}).items()]
        bounds = result.bounds_words()
        if bounds is not None:
            change.append(f"until then this claim comes to {bounds}")
        findings.append(Finding("depends", f"{r['en']} ({r['zh']})", steps[0] if steps else None,
                                _inputs(steps[0]) if steps else [], change + [n for s in steps for n in s.notes],
                                steps=steps[1:], reason=r))
    # 6. one-time awards
    for r in reasons("one-time-paid"):
        done(r)
        node = next((n for n in nodes if n.kind == "one-time"), None)
        findings.append(Finding("one-time", f"{r['en']} ({r['zh']})", node, _inputs(node),
                                [f"the measure pays once per project: {r.get('granted', 'an earlier award')} "
                                 "already received it"], reason=r))
    # 7. exclusivity
    for r in reasons("superseded"):
        done(r)
        findings.append(_superseded_finding(r, nodes))
    # 8. quota
    for r in reasons("quota-exceeded"):
        done(r)
        findings.append(_quota_finding(result, r, nodes))
    # 9. caps used up
    for r in reasons("yearly-cap-exhausted", "cap-exhausted"):
        done(r)
        kind = "yearly-cap" if r["code"] == "yearly-cap-exhausted" else "project-cap"
        capped = [n for n in nodes if n.kind == kind and _given(n.result) and not n.result]
        node = capped[0] if capped else None
        change = list(node.notes) if node is not None else []
        findings.append(Finding("cap", f"{r['en']} ({r['zh']})", node, _inputs(node), change,
                                steps=capped[1:], reason=r))
    if trace is None:
        # without a trace only the reasons are known: conditions and validity by their reasons
        for r in reasons("condition-failed", "outside-validity"):
            done(r)
            findings.append(Finding("condition" if r["code"] == "condition-failed" else "validity",
                                    f"{r['en']} ({r['zh']})", reason=r))
    # anything else the result gives as a reason
    for r in result.reasons:
        if id(r) not in explained and result.status != "eligible":
            findings.append(Finding("other", f"{r['en']} ({r['zh']})", reason=r))
    findings.sort(key=lambda f: KINDS.index(f.kind))
    return findings


def _inputs(node: TraceNode | None) -> list[tuple[str, str]]:
    return input_items(node) if node is not None else []


def _condition_finding(node: TraceNode, r: dict[str, Any] | None) -> Finding:
    label = node.label
    title = f"condition {node.id} is not met"
    if label is not None:
        title += f": {label.en} ({label.zh})"
    return Finding("condition", title, node, _inputs(node), needed(node), reason=r)


def _validity_finding(node: TraceNode, r: dict[str, Any] | None) -> Finding:
    label = node.label
    title = f"the claim's date is outside the {node.id}'s validity"
    if label is not None:
        title += f": {label.en} ({label.zh})"
    expression = node.expression or ""
    day = node.inputs.get("claim.date")
    prefix = "claim.date within "
    if expression.startswith(prefix) and _given(day):
        change = [f"claim.date would have to be within {expression[len(prefix):]}; it is {show(day, 'date')}"]
    else:
        change = [f"{expression} would have to hold"] if expression else []
    return Finding("validity", title, node, _inputs(node), change, reason=r)


def _table_finding(table: TraceNode | None, r: dict[str, Any]) -> Finding:
    rows = [n for n in table.children if n.kind == "row"] if table is not None else []
    change = ["one of its rows would have to match (they are tried in order):"] if rows else []
    return Finding("table", f"{r['en']} ({r['zh']})", table, [], change, steps=rows, reason=r)


def _missing_finding(fact: str, nodes: list[TraceNode], r: dict[str, Any] | None) -> Finding:
    steps = [n for n in nodes if fact in n.inputs and not _given(n.inputs[fact])]
    if steps:
        what = "; ".join(_step_name(n) for n in steps)
        change = [f"giving {fact} would decide {what}"]
    else:
        change = [f"the claim cannot be decided without {fact}"]
    if r is not None:
        change.append(r["en"])
    return Finding("missing", f"{fact} is not given", steps[0] if steps else None,
                   _inputs(steps[0]) if steps else [], change, steps=steps[1:], reason=r)


def _step_name(node: TraceNode) -> str:
    name = f"{node.kind} {node.id}"
    if node.label is not None:
        name += f" ({node.label.en})"
    return name


def _superseded_finding(r: dict[str, Any], nodes: list[TraceNode]) -> Finding:
    winner = r.get("winner", "another award")
    group, project = r.get("group"), r.get("project")
    where = f"group {group}, project {project}" if group else "the same project"
    node = next((n for n in nodes if n.kind == "exclusivity" and n.result == "superseded"), None)
    if node is None:
        node = next((n for n in nodes if n.kind == "exclusivity"), None)
    title = f"superseded by {winner} ({where}): 就高不重複, only the highest award for a project stands"
    change = [f"it would stand only if it came to more than {winner}"]
    if node is not None:
        change = [n for n in node.notes if not n.startswith("reading:") and n != f"superseded by {winner}"] + change
    return Finding("superseded", title, node, _inputs(node), change, reason=r)


def _quota_finding(result: ClaimResult, r: dict[str, Any], nodes: list[TraceNode]) -> Finding:
    quota = result.quota or {}
    node = next((n for n in nodes if n.kind == "quota"), None)
    count = quota.get("count", r.get("count"))
    position = quota.get("position", r.get("position"))
    contenders = quota.get("contenders")
    ranked = f"ranked {position}" + (f" of {contenders}" if contenders else "")
    title = f"beyond the quota: {ranked} for {quota.get('year')}, {count} awards a {quota.get('per', 'year')}"
    change = [f"it would have to rank among the first {count} by {quota.get('rank_by', 'the ranking key')}"]
    return Finding("quota", title, node, _inputs(node), change, reason=r)


# -- what would have to change ----------------------------------------------------------------------

def needed(node: TraceNode) -> list[str]:
    """What would make a failed condition true, in words, read from the trace alone."""
    expression = node.expression or ""
    tree = _parse(expression)
    inputs, types = node.inputs, node.types
    if tree is not None:
        sentence = _simple_need(tree, inputs, types)
        if sentence is not None:
            return [sentence]
    if not expression:
        return []
    known = ", ".join(f"{k} = {v}" for k, v in input_items(node))
    return [f"`{expression}` would have to be true" + (f"; with {known} it is false" if known else "")]


def _parse(text: str) -> A.Node | None:
    if not text:
        return None
    try:
        from ..grammar.parser import parse_text

        return parse_text(text)
    except Exception:  # the trace's text is the checked rule's, but a renderer must never fail on it
        return None


def _simple_need(tree: A.Node, inputs: dict[str, Any], types: dict[str, str]) -> str | None:
    # a yes/no fact: `claim.x` or `not claim.x`
    if isinstance(tree, A.Name) and is_fact(tree.dotted) and isinstance(inputs.get(tree.dotted), bool):
        return f"{tree.dotted} would have to be true; it is {show(inputs[tree.dotted])}"
    if (isinstance(tree, A.Not) and isinstance(tree.operand, A.Name) and is_fact(tree.operand.dotted)
            and isinstance(inputs.get(tree.operand.dotted), bool)):
        name = tree.operand.dotted
        return f"{name} would have to be false; it is {show(inputs[name])}"
    if not isinstance(tree, A.Compare):
        return None
    op, fact, other = tree.op, tree.left, tree.right
    if not _is_fact_name(fact):
        if op in _FLIP and _is_fact_name(tree.right):
            op, fact, other = _FLIP[op], tree.right, tree.left
        else:
            return None
    assert isinstance(fact, A.Name)
    name = fact.dotted
    value = inputs.get(name)
    if not _given(value):
        return None
    constant = _constant(other, inputs, types, types.get(name))
    if constant is None:
        return None
    wanted = _phrase(op, constant, types.get(name) or "", value)
    if wanted is None:
        return None
    return f"{name} would have to be {wanted}; it is {show(value, types.get(name))}"


def _is_fact_name(node: A.Node) -> bool:
    return isinstance(node, A.Name) and is_fact(node.dotted)


def _constant(node: A.Node, inputs: dict[str, Any], types: dict[str, str], fact_type: str | None) -> str | None:
    """The constant side of a comparison, formatted: a literal, a list of literals, or a named
    parameter or value whose value the trace holds."""
    if isinstance(node, A.Literal):
        return show(node.value, _literal_type(node, fact_type))
    if isinstance(node, A.ListExpr) and all(isinstance(i, A.Literal) for i in node.items):
        item_type = fact_type[len("list of "):] if fact_type and fact_type.startswith("list of ") else fact_type
        return "[" + ", ".join(show(i.value, _literal_type(i, item_type)) for i in node.items) + "]"
    if isinstance(node, A.Name) and not is_fact(node.dotted) and _given(inputs.get(node.dotted)):
        return f"{node.dotted} = {show(inputs[node.dotted], types.get(node.dotted))}"
    return None


def _literal_type(node: A.Literal, fact_type: str | None) -> str:
    own = _LITERAL_TYPES.get(node.kind, node.kind)
    if fact_type and (fact_type == own or (own == "string" and fact_type.startswith("enum"))):
        return fact_type
    return own


def _phrase(op: str, constant: str, fact_type: str, value: Any) -> str | None:
    dated = fact_type == "date" or isinstance(value, _dt.date)
    words = {
        ">=": "on or after" if dated else "at least",
        ">": "after" if dated else "more than",
        "<=": "on or before" if dated else "at most",
        "<": "before" if dated else "less than",
        "in": "one of",
        "not in": "none of",
    }
    if op == "==":
        return constant
    if op == "!=":
        return f"anything but {constant}"
    word = words.get(op)
    return f"{word} {constant}" if word else None


# -- the terminal -----------------------------------------------------------------------------------

def render_explanation(result: ClaimResult, *, colour: bool = False) -> str:
    """One claim explained for the terminal: heading, why not (when refused, open or superseded, or
    when a cap took everything), then the full derivation; safe to print (control characters
    escaped: :func:`~ordinance.render.text.terminal_safe`)."""
    return terminal_safe(lambda c: _explanation_text(result, c), colour)


def _explanation_text(result: ClaimResult, colour: bool) -> str:
    style = style_for(colour)
    lines = [style(f"Explanation of claim {result.claim}: {result.status}", bold=True, underline=True)]
    lines.extend(claim_summary_lines(result, style))
    findings = why_not(result)
    if findings or result.status != "eligible":
        lines.append("")
        lines.append(style(_why_heading(result), bold=True))
        if not findings:
            lines.append("  (the result gives no reason)")
        for i, finding in enumerate(findings, start=1):
            lines.extend(finding_lines(finding, i, style))
    lines.append("")
    lines.append(style("Derivation", bold=True))
    if result.trace is None:
        lines.append("  The decision was made without a trace: the derivation was not recorded "
                     "(decide the case with the trace to see it).")
    else:
        lines.extend(derivation_lines(result, style))
    return "\n".join(lines) + "\n"


def _why_heading(result: ClaimResult) -> str:
    return {
        "ineligible": "Why not: the claim is refused",
        "undetermined": "Why not (yet): the claim cannot be decided",
        "superseded": "Why not: the claim is superseded",
    }.get(result.status, "Why not more: the claim gets no more than this")


def finding_lines(finding: Finding, number: int, style: Style = plain) -> list[str]:
    """One finding as numbered terminal lines."""
    mark = {"condition": "✗", "validity": "✗", "table": "✗", "missing": "?", "depends": "?"}.get(finding.kind, "•")
    colour = {"✗": "red", "?": "yellow"}.get(mark, STATUS_COLOUR.get("superseded"))
    head = f"  {number}. {style(mark, fg=colour)} {finding.title}"
    pad = " " * (len(str(number)) + 4)
    lines = [head]
    if finding.expression:
        lines.append(f"{pad}{finding.expression}")
    if finding.inputs:
        lines.append(pad + style(", ".join(f"{k} = {v}" for k, v in finding.inputs), dim=True))
    for sentence in finding.change:
        lines.append(f"{pad}→ {sentence}")
    for step in finding.steps:
        mark = MARK.get(step.status or "", "·")
        text = f"{pad}  {mark} {step.kind} {step.id}"
        if step.expression:
            text += f": {step.expression}"
        lines.append(text)
        if step.inputs:
            lines.append(pad + "    " + style(", ".join(f"{k} = {v}" for k, v in input_items(step)), dim=True))
    if finding.citation is not None and finding.citation.text:
        lines.append(pad + style(f"cites {finding.citation.article}「{short(finding.citation.text, 80)}」", dim=True))
    if finding.location:
        lines.append(pad + style(f"at {finding.location}", dim=True))
    return lines

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

Both say their findings in a ``lang`` (``en``, ``zh``), the facts named by their labels when given
``labels`` (:meth:`ordinance.policy.Policy.fact_label`), as the other renderings do.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from ..decision import ClaimResult
from ..front.model import Citation
from ..trace import Missing, TraceNode
from ..grammar import ast as A
from ..messages import Both, join, msg
from .format import show
from .text import (MARK, STATUS_COLOUR, FactLabels, Style, claim_summary_lines, derivation_lines, fact_name,
                   input_items, kind_text, label_text, plain, say, short, status_text, style_for, terminal_safe,
                   words)

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

def why_not(result: ClaimResult, lang: str = "en", labels: FactLabels | None = None) -> list[Finding]:
    """What kept ``result`` from its benefit, in the order of :data:`KINDS`; empty when nothing did.
    The findings' words are in ``lang``; ``labels`` names the facts."""
    trace = result.trace
    findings: list[Finding] = []
    explained: set[int] = set()  # ids of the reasons accounted for
    say_ = _Say(lang, labels, result.measure)

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
                findings.append(_condition_finding(node, r, say_))
    # 2. validity
    outside = reasons("outside-validity")
    if trace is not None:
        for node in nodes:
            if node.kind == "validity" and node.status == "false":
                r = outside[0] if outside else None
                done(r)
                findings.append(_validity_finding(node, r, say_))
    # 3. tables without a row
    for r in reasons("no-table-row"):
        table = next((n for n in nodes if n.kind == "table" and n.id == r.get("table")), None)
        done(r)
        findings.append(_table_finding(table, r, say_))
    # 4. missing facts
    project = reasons("project-needed")
    for fact in result.missing:
        r = project[0] if fact == "claim.project" and project else None
        done(r)
        for m in reasons("missing-facts"):
            done(m)
        findings.append(_missing_finding(fact, nodes, r, say_))
    # 5. undetermined claims this one waits on (the rules spanning claims)
    for r in reasons("depends-on-undetermined"):
        done(r)
        steps = [n for n in nodes if n.kind == "depends"]
        change = [say("why.decide-first", lang, claim=claim, facts=join(say_.fact(f) for f in facts))
                  for claim, facts in r.get("waiting_on", {}).items()]
        bounds = result.bounds_words()
        if bounds is not None:
            change.append(say("why.until-then", lang, bounds=bounds))
        findings.append(Finding("depends", say_.reason(r), steps[0] if steps else None,
                                say_.inputs(steps[0]) if steps else [],
                                change + [words(n, lang) for s in steps for n in s.notes], steps=steps[1:], reason=r))
    # 6. one-time awards
    for r in reasons("one-time-paid"):
        done(r)
        node = next((n for n in nodes if n.kind == "one-time"), None)
        granted = r["granted"] if "granted" in r else say("why.an-earlier-award", lang)
        findings.append(Finding("one-time", say_.reason(r), node, say_.inputs(node),
                                [say("why.once-per-project", lang, granted=granted)], reason=r))
    # 7. exclusivity
    for r in reasons("superseded"):
        done(r)
        findings.append(_superseded_finding(r, nodes, say_))
    # 8. quota
    for r in reasons("quota-exceeded"):
        done(r)
        findings.append(_quota_finding(result, r, nodes, say_))
    # 9. caps used up
    for r in reasons("yearly-cap-exhausted", "cap-exhausted"):
        done(r)
        kind = "yearly-cap" if r["code"] == "yearly-cap-exhausted" else "project-cap"
        capped = [n for n in nodes if n.kind == kind and _given(n.result) and not n.result]
        node = capped[0] if capped else None
        change = [words(n, lang) for n in node.notes] if node is not None else []
        findings.append(Finding("cap", say_.reason(r), node, say_.inputs(node), change, steps=capped[1:], reason=r))
    if trace is None:
        # without a trace only the reasons are known: conditions and validity by their reasons
        for r in reasons("condition-failed", "outside-validity"):
            done(r)
            findings.append(Finding("condition" if r["code"] == "condition-failed" else "validity",
                                    say_.reason(r), reason=r))
    # anything else the result gives as a reason
    for r in result.reasons:
        if id(r) not in explained and result.status != "eligible":
            findings.append(Finding("other", say_.reason(r), reason=r))
    findings.sort(key=lambda f: KINDS.index(f.kind))
    return findings


class _Say:
    """How one claim's findings are worded: the language, and the facts' labels."""

    def __init__(self, lang: str, labels: FactLabels | None, measure: str | None):
        self.lang, self.labels, self.measure = lang, labels, measure

    def fact(self, name: str) -> str:
        return fact_name(name, self.lang, self.labels, self.measure) if self.lang != "en" else name

    def inputs(self, node: TraceNode | None) -> list[tuple[str, str]]:
        return input_items(node, self.lang, self.labels, self.measure) if node is not None else []

    def reason(self, r: dict[str, Any]) -> str:
        """A reason of the result: ``en (zh)`` in English, its Chinese alone in Chinese."""
        return Both(f"{r['en']} ({r['zh']})", r["zh"]).in_lang(self.lang)

    def label(self, label: Any) -> str:
        return f"{label.en} ({label.zh})" if self.lang == "en" else label_text(label, self.lang)


def _inputs(node: TraceNode | None) -> list[tuple[str, str]]:
    return input_items(node) if node is not None else []


def _condition_finding(node: TraceNode, r: dict[str, Any] | None, s: _Say = _Say("en", None, None)) -> Finding:
    label = node.label
    title = say("why.condition-not-met", s.lang, id=node.id)
    if label is not None:
        title = say("why.titled", s.lang, title=title, label=s.label(label))
    return Finding("condition", title, node, s.inputs(node), needed(node, s.lang, s.labels, s.measure), reason=r)


def _validity_finding(node: TraceNode, r: dict[str, Any] | None, s: _Say = _Say("en", None, None)) -> Finding:
    label = node.label
    title = say("why.outside-validity", s.lang, window=node.id)
    if label is not None:
        title = say("why.titled", s.lang, title=title, label=s.label(label))
    expression = node.expression or ""
    day = node.inputs.get("claim.date")
    valid = getattr(expression, "params", {}).get("valid")  # the window's own words (plan/build.py)
    prefix = "claim.date within "
    if valid is None and expression.startswith(prefix):  # a trace read back from JSON: its window said again
        valid = expression[len(prefix):]
        start, to, end = valid.partition(" to ")
        if to and " " not in start + end:
            valid = msg("words.validity", start=start, end=end)
    if valid is not None and _given(day):
        change = [say("why.date-within", s.lang, valid=valid, day=show(day, "date"))]
    else:
        change = [say("why.would-have-to-hold", s.lang, expression=expression)] if expression else []
    return Finding("validity", title, node, s.inputs(node), change, reason=r)


def _table_finding(table: TraceNode | None, r: dict[str, Any], s: _Say = _Say("en", None, None)) -> Finding:
    rows = [n for n in table.children if n.kind == "row"] if table is not None else []
    change = [say("why.one-row", s.lang)] if rows else []
    return Finding("table", s.reason(r), table, [], change, steps=rows, reason=r)


def _missing_finding(fact: str, nodes: list[TraceNode], r: dict[str, Any] | None,
                     s: _Say = _Say("en", None, None)) -> Finding:
    steps = [n for n in nodes if fact in n.inputs and not _given(n.inputs[fact])]
    if steps:
        what = join((_step_name(n, s.lang) for n in steps), "sep.semicolon")
        change = [say("why.giving-decides", s.lang, fact=s.fact(fact), steps=what)]
    else:
        change = [say("why.cannot-decide-without", s.lang, fact=s.fact(fact))]
    if r is not None:
        change.append(Both(r["en"], r["zh"]).in_lang(s.lang))
    return Finding("missing", say("why.not-given", s.lang, fact=s.fact(fact)), steps[0] if steps else None,
                   s.inputs(steps[0]) if steps else [], change, steps=steps[1:], reason=r)


def _step_name(node: TraceNode, lang: str = "en") -> str:
    name = f"{kind_text(node.kind, lang)} {node.id}"
    if node.label is not None:
        name = say("report.parenthesised-after", lang, text=name, more=label_text(node.label, lang))
    return name


def _superseded_finding(r: dict[str, Any], nodes: list[TraceNode], s: _Say = _Say("en", None, None)) -> Finding:
    winner = r["winner"] if "winner" in r else say("why.another-award", s.lang)
    group, project = r.get("group"), r.get("project")
    where = say("why.group-project", s.lang, group=group, project=project) if group \
        else say("why.same-project", s.lang)
    node = next((n for n in nodes if n.kind == "exclusivity" and n.result == "superseded"), None)
    if node is None:
        node = next((n for n in nodes if n.kind == "exclusivity"), None)
    title = say("why.superseded", s.lang, winner=winner, where=where)
    change = [say("why.would-stand-if", s.lang, winner=winner)]
    if node is not None:
        change = [words(n, s.lang) for n in node.notes
                  if not n.startswith("reading:") and n != f"superseded by {winner}"] + change
    return Finding("superseded", title, node, s.inputs(node), change, reason=r)


def _quota_finding(result: ClaimResult, r: dict[str, Any], nodes: list[TraceNode],
                   s: _Say = _Say("en", None, None)) -> Finding:
    quota = result.quota or {}
    node = next((n for n in nodes if n.kind == "quota"), None)
    count = quota.get("count", r.get("count"))
    position = quota.get("position", r.get("position"))
    contenders = quota.get("contenders")
    ranked = say("why.ranked-of", s.lang, position=position, contenders=contenders) if contenders \
        else say("why.ranked", s.lang, position=position)
    per = quota.get("per", "year")
    title = say("why.beyond-quota", s.lang, ranked=ranked, year=quota.get("year"), count=count,
                per=say(f"words.per.{per}", s.lang) if per == "year" else per)
    rank_by = quota["rank_by"] if "rank_by" in quota else say("why.the-ranking-key", s.lang)
    change = [say("why.rank-among", s.lang, count=count, rank_by=rank_by)]
    return Finding("quota", title, node, s.inputs(node), change, reason=r)


# -- what would have to change ----------------------------------------------------------------------

def needed(node: TraceNode, lang: str = "en", labels: FactLabels | None = None,
           measure: str | None = None) -> list[str]:
    """What would make a failed condition true, in words (in ``lang``), read from the trace alone."""
    expression = node.expression or ""
    tree = _parse(expression)
    inputs, types = node.inputs, node.types
    if tree is not None:
        sentence = _simple_need(tree, inputs, types, lang)
        if sentence is not None:
            return [sentence]
    if not expression:
        return []
    known = join((f"{k} = {v}" for k, v in input_items(node, lang, labels, measure)),
                 "sep.inputs").in_lang(lang)
    return [say("why.would-be-true-but", lang, expression=expression, known=known) if known
            else say("why.would-be-true", lang, expression=expression)]


def _parse(text: str) -> A.Node | None:
    if not text:
        return None
    try:
        from ..grammar.parser import parse_text

        return parse_text(text)
    except Exception:  # the trace's text is the checked rule's, but a renderer must never fail on it
        return None


def _simple_need(tree: A.Node, inputs: dict[str, Any], types: dict[str, str], lang: str = "en") -> str | None:
    # a yes/no fact: `claim.x` or `not claim.x`
    if isinstance(tree, A.Name) and is_fact(tree.dotted) and isinstance(inputs.get(tree.dotted), bool):
        return say("why.would-be", lang, name=tree.dotted, wanted="true", value=show(inputs[tree.dotted]))
    if (isinstance(tree, A.Not) and isinstance(tree.operand, A.Name) and is_fact(tree.operand.dotted)
            and isinstance(inputs.get(tree.operand.dotted), bool)):
        name = tree.operand.dotted
        return say("why.would-be", lang, name=name, wanted="false", value=show(inputs[name]))
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
    return say("why.would-be", lang, name=name, wanted=wanted, value=show(value, types.get(name), lang))


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


def _phrase(op: str, constant: str, fact_type: str, value: Any) -> Any:
    """``at least 10億`` (a message: said in the language of the sentence that holds it)."""
    dated = fact_type == "date" or isinstance(value, _dt.date)
    keys = {
        ">=": "why.on-or-after" if dated else "why.at-least",
        ">": "why.after" if dated else "why.more-than",
        "<=": "why.on-or-before" if dated else "why.at-most",
        "<": "why.before" if dated else "why.less-than",
        "in": "why.one-of",
        "not in": "why.none-of",
        "!=": "why.anything-but",
    }
    if op == "==":
        return constant
    key = keys.get(op)
    return msg(key, constant=constant) if key else None


# -- the terminal -----------------------------------------------------------------------------------

def render_explanation(result: ClaimResult, *, colour: bool = False, lang: str = "en",
                       labels: FactLabels | None = None) -> str:
    """One claim explained for the terminal: heading, why not (when refused, open or superseded, or
    when a cap took everything), then the full derivation; safe to print (control characters
    escaped: :func:`~ordinance.render.text.terminal_safe`)."""
    return terminal_safe(lambda c: _explanation_text(result, c, lang, labels), colour)


def _explanation_text(result: ClaimResult, colour: bool, lang: str = "en", labels: FactLabels | None = None) -> str:
    style = style_for(colour)
    lines = [style(say("why.explanation", lang, claim=result.claim, status=status_text(result.status, lang)),
                   bold=True, underline=True)]
    lines.extend(claim_summary_lines(result, style, lang, labels))
    findings = why_not(result, lang, labels)
    if findings or result.status != "eligible":
        lines.append("")
        lines.append(style(_why_heading(result, lang), bold=True))
        if not findings:
            lines.append("  " + say("why.no-reason", lang))
        for i, finding in enumerate(findings, start=1):
            lines.extend(finding_lines(finding, i, style, lang))
    lines.append("")
    lines.append(style(say("why.derivation", lang), bold=True))
    if result.trace is None:
        lines.append("  " + say("why.no-trace", lang))
    else:
        lines.extend(derivation_lines(result, style, lang=lang, labels=labels))
    return "\n".join(lines) + "\n"


def why_heading(result: ClaimResult, lang: str = "en") -> str:
    """The heading of the why-not part: refused, open, superseded, or no more than this."""
    key = {"ineligible": "why.heading.refused", "undetermined": "why.heading.open",
           "superseded": "why.heading.superseded"}.get(result.status, "why.heading.no-more")
    return say(key, lang)


_why_heading = why_heading


def finding_lines(finding: Finding, number: int, style: Style = plain, lang: str = "en") -> list[str]:
    """One finding as numbered terminal lines."""
    mark = {"condition": "✗", "validity": "✗", "table": "✗", "missing": "?", "depends": "?"}.get(finding.kind, "•")
    colour = {"✗": "red", "?": "yellow"}.get(mark, STATUS_COLOUR.get("superseded"))
    head = f"  {number}. {style(mark, fg=colour)} {finding.title}"
    pad = " " * (len(str(number)) + 4)
    lines = [head]
    if finding.expression:
        lines.append(f"{pad}{words(finding.expression, lang)}")
    if finding.inputs:
        lines.append(pad + style(join((f"{k} = {v}" for k, v in finding.inputs), "sep.inputs").in_lang(lang),
                                 dim=True))
    for sentence in finding.change:
        lines.append(f"{pad}→ {sentence}")
    for step in finding.steps:
        mark = MARK.get(step.status or "", "·")
        text = f"{pad}  {mark} {kind_text(step.kind, lang)} {step.id}"
        if step.expression:
            text += f": {words(step.expression, lang)}"
        lines.append(text)
        if step.inputs:
            lines.append(pad + "    " + style(join((f"{k} = {v}" for k, v in input_items(step, lang)),
                                                    "sep.inputs").in_lang(lang), dim=True))
    if finding.citation is not None and finding.citation.text:
        lines.append(pad + style(say("report.text.cites", lang, citation=f"{finding.citation.article}「"
                                     f"{short(finding.citation.text, 80)}」"), dim=True))
    if finding.location:
        lines.append(pad + style(say("report.text.at", lang, location=finding.location), dim=True))
    return lines

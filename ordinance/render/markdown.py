"""The Markdown rendering: a decision for pasting into a ticket or a review.

A header (case, policy id and digest, the date of evaluation when one was given, the total), a
summary table of the claims, then per claim: its result, reasons, missing facts, notes, what kept
it from its benefit (:func:`ordinance.render.explain.why_not`) and its derivation as nested lists
with the citations (article and quoted text, the line of the source text) and rule locations
(``file:line:col``).

Everything comes from the decision and its trace; rule text and case data are escaped so that
they cannot change the document's structure (no raw HTML, no stray emphasis, no table breaks).
"""

from __future__ import annotations

import re

from ..decision import ClaimResult, Decision
from ..front.model import Citation
from ..trace import TraceNode
from .explain import Finding, why_not
from .format import show_amount
from .text import (MARK, amount_text, basis_text, citation_text, input_items, result_text,
                   shows_id)

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~#&!])")
_LINE_START = re.compile(r"^([-+=])|^(\d+)([.)])")


def md(text: object, start: bool = False) -> str:
    """Plain text made safe for Markdown: special characters escaped, one line.  With ``start``
    the text begins a block (a list item's content), where ``-``, ``+`` or ``1.`` would start a list."""
    flat = " ".join(str(text).split())
    escaped = _SPECIAL.sub(r"\\\1", flat)
    if start:
        escaped = _LINE_START.sub(lambda m: "\\" + m.group(1) if m.group(1) else m.group(2) + "\\" + m.group(3),
                                  escaped)
    return escaped


def code(text: object) -> str:
    """An inline code span that holds any text (a fence longer than any run of backticks in it)."""
    flat = " ".join(str(text).split())
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") or not flat else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def _cell(text: str) -> str:
    """Table cells: a pipe, even inside a code span, must be escaped (GFM)."""
    return re.sub(r"(?<!\\)\|", r"\\|", text)


def render_decision(decision: Decision, *, colour: bool = False, lang: str = "en") -> str:
    """The decision as Markdown (``colour`` is accepted for the common signature and ignored)."""
    out: list[str] = [f"# Decision on case {code(decision.case)}", ""]
    out += ["| | |", "|---|---|"]
    out.append(f"| Policy | {_cell(code(decision.policy_id))} |")
    out.append(f"| Policy digest (sha256) | {_cell(code(decision.policy_digest))} |")
    for ref in decision.policies if len(decision.policies) > 1 else []:
        out.append(f"| Loaded with | {_cell(code(ref.get('id', '')))} sha256 {_cell(code(ref.get('digest', '')))} |")
    if decision.as_of is not None:
        out.append(f"| Date of evaluation | {decision.as_of.isoformat()} |")
    out.append(f"| Total due | {md(show_amount(decision.total))} |")
    still = decision.open_words()
    if still is not None:
        out.append(f"| Still open | {_cell(md(still))} |")
    out.append("")
    out += ["## Claims", "", "| claim | measure | status | amount | basis |", "|---|---|---|---|---|"]
    for r in decision.results:
        title = f" {md(r.trace.label)}" if r.trace is not None and r.trace.label is not None else ""
        out.append("| " + " | ".join(_cell(c) for c in (
            f"[{md(r.claim)}](#{_anchor(r)})", code(r.measure) + title, f"**{r.status}**",
            md(amount_text(r)), md(basis_text(r)))) + " |")
    out.append("")
    for r in decision.results:
        out.extend(render_claim(r))
    return "\n".join(out).rstrip("\n") + "\n"


def _anchor(result: ClaimResult) -> str:
    """The anchor GitHub gives the claim's heading (``## Claim c1: …``): lower case, words joined."""
    heading = f"claim {result.claim} {result.measure}"
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def render_claim(result: ClaimResult) -> list[str]:
    """One claim: heading, result, reasons, facts needed, notes, why not, derivation."""
    out = [f"## Claim {md(result.claim)} {md(result.measure)}", ""]
    if result.trace is not None and result.trace.label is not None:
        out += [md(result.trace.label), ""]
    out.append(f"- **Status:** {result.status}")
    if result.policy:
        out.append(f"- **Policy:** {code(result.policy)}")
    out.append(f"- **Benefit:** {md(result.benefit)}")
    out.append(f"- **Amount:** {md(amount_text(result))}")
    out.append(f"- **Basis:** {md(basis_text(result))}")
    if result.superseded_by:
        out.append(f"- **Superseded by:** {code(result.superseded_by)}")
    if result.project:
        out.append(f"- **Project:** {code(result.project)}")
    if result.date is not None:
        out.append(f"- **Claim date:** {result.date.isoformat()}")
    if result.trace is not None and result.trace.citation is not None and result.trace.citation.text:
        out.append(f"- **Cites:** {_citation(result.trace.citation)}")
    if result.trace is not None and result.trace.location is not None:
        out.append(f"- **Rule:** {code(result.trace.location)}")
    if result.trace is not None:
        out += [f"- {md(note, True)}" for note in result.trace.notes]
    out.append("")
    if result.reasons:
        out += ["**Reasons**", ""]
        out += [f"- {md(r['en'], True)} ({md(r['zh'])}) {code(r['code'])}" for r in result.reasons]
        out.append("")
    if result.missing:
        out += ["**Facts needed**", ""]
        out += [f"- {code(m)}" for m in result.missing]
        out.append("")
    if result.notes:
        out += ["**Notes**", ""]
        out += [f"- {md(n, True)}" for n in result.notes]
        out.append("")
    findings = why_not(result)
    if findings:
        out += ["**Why not: what would have to change**", ""]
        for i, f in enumerate(findings, start=1):
            out.extend(_finding(f, i))
        out.append("")
    out += ["**Derivation**", ""]
    if result.trace is None:
        out += ["The decision was made without a trace: the derivation was not recorded.", ""]
    else:
        for child in result.trace.children:
            out.extend(_node(child, 0))
        out.append("")
    return out


def _citation(c: Citation) -> str:
    return md(citation_text(c))


def _finding(f: Finding, number: int) -> list[str]:
    out = [f"{number}. {md(f.title, True)}"]
    pad = " " * (len(str(number)) + 2)
    if f.expression:
        out.append(f"{pad}- expression: {code(f.expression)}")
    if f.inputs:
        out.append(f"{pad}- inputs: " + "; ".join(f"{code(k)} = {md(v)}" for k, v in f.inputs))
    for sentence in f.change:
        out.append(f"{pad}- → {md(sentence)}")
    for step in f.steps:
        line = f"{pad}- {MARK.get(step.status or '', '·')} {md(step.kind)} {code(step.id)}"
        if step.expression:
            line += f": {code(step.expression)}"
        if step.inputs:
            line += " with " + "; ".join(f"{code(k)} = {md(v)}" for k, v in input_items(step))
        out.append(line)
    if f.citation is not None and f.citation.text:
        out.append(f"{pad}- cites {_citation(f.citation)}")
    if f.location:
        out.append(f"{pad}- rule: {code(f.location)}")
    return out


def _node(node: TraceNode, depth: int) -> list[str]:
    pad = "  " * depth
    mark = MARK.get(node.status or "", "")
    head = f"{pad}- {mark + ' ' if mark else ''}**{md(node.kind)}**"
    if shows_id(node):
        head += f" {code(node.id)}"
    if node.label is not None:
        head += f" {md(node.label)}"
    if node.expression:
        head += f": {code(node.expression)}"
    result = result_text(node)
    if result is not None:
        head += f" → **{md(result)}**"
    elif node.status is not None and node.kind not in ("condition", "validity", "row"):
        head += f" → **{md(node.status)}**"
    out = [head]
    inner = pad + "  "
    if node.inputs:
        out.append(f"{inner}- inputs: " + "; ".join(f"{code(k)} = {md(v)}" for k, v in input_items(node)))
    for note in node.notes:
        out.append(f"{inner}- {md(note, True)}")
    if node.citation is not None and node.citation.text:
        out.append(f"{inner}- cites {_citation(node.citation)}")
    if node.location is not None:
        out.append(f"{inner}- rule: {code(node.location)}")
    for child in node.children:
        out.extend(_node(child, depth + 1))
    return out

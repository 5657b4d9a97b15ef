"""The Markdown rendering: a decision for pasting into a ticket or a review.

A header (case, policy id and digest, the date of evaluation when one was given, the total), a
summary table of the claims, then per claim: its result, reasons, missing facts, notes, what kept
it from its benefit (:func:`ordinance.render.explain.why_not`) and its derivation as nested lists
with the citations (article and quoted text, the line of the source text) and rule locations
(``file:line:col``).

Everything comes from the decision and its trace; rule text and case data are escaped so that
they cannot change the document's structure (no raw HTML, no stray emphasis, no table breaks).
The words are in ``lang`` (``en``, ``zh``): :mod:`ordinance.render.text` says how.
"""

from __future__ import annotations

import re

from ..decision import ClaimResult, Decision
from ..front.model import Citation
from ..trace import TraceNode
from .explain import Finding, why_not
from .format import show_amount
from .text import (MARK, FactLabels, Words, amount_text, basis_text, citation_text, kind_text, label_text,
                   result_text, say, shows_id, status_text, words)

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


def render_decision(decision: Decision, *, colour: bool = False, lang: str = "en",
                    labels: FactLabels | None = None) -> str:
    """The decision as Markdown (``colour`` is accepted for the common signature and ignored)."""
    t = _Words(lang, labels)
    out: list[str] = [t("report.md.title", case=code(decision.case)), ""]
    out += ["| | |", "|---|---|"]
    out.append(f"| {t('report.policy')} | {_cell(code(decision.policy_id))} |")
    out.append(f"| {t('report.policy-digest')} | {_cell(code(decision.policy_digest))} |")
    for ref in decision.policies if len(decision.policies) > 1 else []:
        out.append(f"| {t('report.md.loaded-with')} | {_cell(code(ref.get('id', '')))} sha256 "
                   f"{_cell(code(ref.get('digest', '')))} |")
    if decision.as_of is not None:
        out.append(f"| {t('report.date-of-evaluation')} | {decision.as_of.isoformat()} |")
    out.append(f"| {t('report.total-due')} | {md(show_amount(decision.total))} |")
    still = decision.open_words()
    if still is not None:
        out.append(f"| {t('report.still-open')} | {_cell(md(words(still, lang)))} |")
    out.append("")
    out += [f"## {t('report.claims')}", "", f"| {t('report.col.claim')} | {t('report.col.measure')} | "
            f"{t('report.col.status')} | {t('report.col.amount')} | {t('report.col.basis')} |", "|---|---|---|---|---|"]
    for r in decision.results:
        title = f" {md(t.label(r.trace.label))}" if r.trace is not None and r.trace.label is not None else ""
        out.append("| " + " | ".join(_cell(c) for c in (
            f"[{md(r.claim)}](#{_anchor(r, lang)})", code(r.measure) + title, f"**{status_text(r.status, lang)}**",
            md(amount_text(r, lang)), md(basis_text(r, lang)))) + " |")
    out.append("")
    for r in decision.results:
        out.extend(render_claim(r, lang, labels))
    return "\n".join(out).rstrip("\n") + "\n"


class _Words(Words):
    """The words of a Markdown rendering."""

    def name(self, name: str) -> str:
        """An input's name: code in English; in Chinese a label and its key, or words, as text."""
        return code(name) if self.lang == "en" else md(name)


def _anchor(result: ClaimResult, lang: str = "en") -> str:
    """The anchor GitHub gives the claim's heading (``## Claim c1: …``): lower case, words joined."""
    heading = say("report.md.claim-anchor", lang, claim=result.claim, measure=result.measure)
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def render_claim(result: ClaimResult, lang: str = "en", labels: FactLabels | None = None) -> list[str]:
    """One claim: heading, result, reasons, facts needed, notes, why not, derivation."""
    t = _Words(lang, labels, result.measure)
    out = [f"## {t('report.md.claim', claim=md(result.claim), measure=md(result.measure))}", ""]
    if result.trace is not None and result.trace.label is not None:
        out += [md(t.label(result.trace.label)), ""]
    out.append(f"- **{t('report.field.status')}** {status_text(result.status, lang)}")
    if result.policy:
        out.append(f"- **{t('report.field.policy')}** {code(result.policy)}")
    benefit = result.benefit if lang == "en" else t(f"report.benefit-kind.{result.benefit}")
    out.append(f"- **{t('report.field.benefit')}** {md(benefit)}")
    out.append(f"- **{t('report.field.amount')}** {md(amount_text(result, lang))}")
    out.append(f"- **{t('report.field.basis')}** {md(basis_text(result, lang))}")
    if result.superseded_by:
        out.append(f"- **{t('report.field.superseded-by')}** {code(result.superseded_by)}")
    if result.project:
        out.append(f"- **{t('report.field.project')}** {code(result.project)}")
    if result.date is not None:
        out.append(f"- **{t('report.field.claim-date')}** {result.date.isoformat()}")
    if result.trace is not None and result.trace.citation is not None and result.trace.citation.text:
        out.append(f"- **{t('report.field.cites')}** {_citation(result.trace.citation, lang)}")
    if result.trace is not None and result.trace.location is not None:
        out.append(f"- **{t('report.field.rule')}** {code(result.trace.location)}")
    if result.trace is not None:
        out += [f"- {md(words(note, lang), True)}" for note in result.trace.notes]
    out.append("")
    if result.reasons:
        out += [f"**{t('report.reasons')}**", ""]
        out += [f"- {md(r['en'], True)} ({md(r['zh'])}) {code(r['code'])}" if lang == "en"
                else f"- {md(r['zh'], True)} {code(r['code'])}" for r in result.reasons]
        out.append("")
    if result.missing:
        out += [f"**{t('report.facts-needed')}**", ""]
        out += [f"- {_fact(m, t)}" for m in result.missing]
        out.append("")
    if result.notes:
        out += [f"**{t('report.notes')}**", ""]
        out += [f"- {md(words(n, lang), True)}" for n in result.notes]
        out.append("")
    findings = why_not(result, lang, labels)
    if findings:
        out += [f"**{t('report.why-not')}**", ""]
        for i, f in enumerate(findings, start=1):
            out.extend(_finding(f, i, t))
        out.append("")
    out += [f"**{t('report.derivation')}**", ""]
    if result.trace is None:
        out += [t("report.no-trace"), ""]
    else:
        for child in result.trace.children:
            out.extend(_node(child, 0, t))
        out.append("")
    return out


def _fact(name: str, t: _Words) -> str:
    """A fact: ``label (`key`)`` when its label is known, the key alone otherwise."""
    label = t.labels(t.measure, name) if t.labels is not None else None
    if label is None:
        return code(name)
    return t("report.fact-named", label=md(label_text(label, t.lang)), name=code(name))


def _citation(c: Citation, lang: str = "en") -> str:
    return md(citation_text(c, lang=lang))


def _finding(f: Finding, number: int, t: _Words = _Words("en")) -> list[str]:
    out = [f"{number}. {md(f.title, True)}"]
    pad = " " * (len(str(number)) + 2)
    if f.expression:
        out.append(f"{pad}- {t('report.md.expression')}{code(words(f.expression, t.lang))}")
    if f.inputs:
        out.append(f"{pad}- {t('report.md.inputs')}" + "; ".join(f"{t.name(k)} = {md(v)}" for k, v in f.inputs))
    for sentence in f.change:
        out.append(f"{pad}- → {md(sentence)}")
    for step in f.steps:
        line = f"{pad}- {MARK.get(step.status or '', '·')} {md(kind_text(step.kind, t.lang))} {code(step.id)}"
        if step.expression:
            line += f": {code(words(step.expression, t.lang))}"
        if step.inputs:
            line += t("report.md.with", inputs="; ".join(f"{t.name(k)} = {md(v)}" for k, v in t.inputs(step)))
        out.append(line)
    if f.citation is not None and f.citation.text:
        out.append(f"{pad}- {t('report.md.cites', citation=_citation(f.citation, t.lang))}")
    if f.location:
        out.append(f"{pad}- {t('report.md.rule')}{code(f.location)}")
    return out


def _node(node: TraceNode, depth: int, t: _Words = _Words("en")) -> list[str]:
    pad = "  " * depth
    mark = MARK.get(node.status or "", "")
    head = f"{pad}- {mark + ' ' if mark else ''}**{md(kind_text(node.kind, t.lang))}**"
    if shows_id(node):
        head += f" {code(node.id)}"
    if node.label is not None:
        head += f" {md(t.label(node.label))}"
    if node.expression:
        head += f": {code(words(node.expression, t.lang))}"
    result = result_text(node, t.lang)
    if result is not None:
        head += f" → **{md(result)}**"
    elif node.status is not None and node.kind not in ("condition", "validity", "row"):
        head += f" → **{md(status_text(node.status, t.lang))}**"
    out = [head]
    inner = pad + "  "
    if node.inputs:
        out.append(f"{inner}- {t('report.md.inputs')}"
                   + "; ".join(f"{t.name(k)} = {md(v)}" for k, v in t.inputs(node)))
    for note in node.notes:
        out.append(f"{inner}- {md(words(note, t.lang), True)}")
    if node.citation is not None and node.citation.text:
        out.append(f"{inner}- {t('report.md.cites', citation=_citation(node.citation, t.lang))}")
    if node.location is not None:
        out.append(f"{inner}- {t('report.md.rule')}{code(node.location)}")
    for child in node.children:
        out.extend(_node(child, depth + 1, t))
    return out

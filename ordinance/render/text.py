"""The terminal rendering: a decision as a tree, one branch per step of each claim's derivation.

Colour is applied only when asked (the CLI asks on a terminal, unless ``NO_COLOR`` is set).

The pieces are public so that other renderings reuse them rather than copy them:
:func:`claim_summary_lines` (the heading, status, reasons, missing facts and notes of a claim),
:func:`derivation_lines` (its derivation tree), :func:`node_lines` (one step and everything below
it), and the small helpers that every renderer shares — :func:`benefit_text`,
:func:`result_text`, :func:`input_items`, :func:`node_title`, :func:`citation_text`.
"""

from __future__ import annotations

import re
from typing import Callable

from ..decision import ClaimResult, Decision
from ..front.model import Citation
from ..trace import TraceNode
from .format import show, show_amount

Style = Callable[..., str]

STATUS_COLOUR = {"eligible": "green", "ineligible": "red", "undetermined": "yellow", "superseded": "magenta"}
MARK = {"true": "✓", "false": "✗", "undetermined": "?"}
_MARK_COLOUR = {"✓": "green", "✗": "red", "?": "yellow"}

#: how the basis of an amount reads
BASIS_WORDS = {"exact": "exact amount", "maximum": "statutory maximum (最高不超過)"}


def plain(text: str, **_: object) -> str:
    """The style that adds nothing (no colour)."""
    return text


_plain = plain  # the old private name


def click_style(text: str, **kwargs: object) -> str:
    """ANSI colour through click, ignoring unset options."""
    import click

    return click.style(text, **{k: v for k, v in kwargs.items() if v is not None})


_click_style = click_style


def style_for(colour: bool) -> Style:
    return click_style if colour else plain


# -- safe for a terminal ----------------------------------------------------------------------------

#: What a terminal would act on rather than show: the C0 controls but the line feed, DEL, the C1
#: controls (``\x9b`` is a CSI on many terminals), the line and paragraph separators and the
#: bidirectional overrides and isolates (text that reads otherwise than it is).
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_text(text: str) -> str:
    """``text`` with every control character shown as an escape (``\x1b``, ``\x9b``, ``\u202e``),
    so that what a case holds is shown, never obeyed (a title change, a disguised hyperlink)."""
    return _CONTROL.sub(_escape, text) if _CONTROL.search(text) else text


def terminal_safe(render: Callable[[bool], str], colour: bool) -> str:
    """What ``render(colour)`` gives, safe to print: rendered without colour, every control
    character escaped (:func:`terminal_text`).  In colour only when that text holds none, so that
    the only escape sequences printed are the colours' own."""
    text = render(False)
    safe = terminal_text(text)
    if colour and safe == text:
        return render(True)
    return safe


# -- the decision ---------------------------------------------------------------------------------

def render_decision(decision: Decision, *, colour: bool = False, detail: bool = True, lang: str = "en") -> str:
    """The whole decision: a header, one tree per claim, the total; safe to print (:func:`terminal_safe`)."""
    return terminal_safe(lambda c: _decision_text(decision, c, detail), colour)


def _decision_text(decision: Decision, colour: bool, detail: bool) -> str:
    style = style_for(colour)
    head = (style(f"Case {decision.case}", bold=True)
            + f" — policy {decision.policy_id} (sha256:{decision.policy_digest[:12]})")
    if decision.as_of is not None:
        head += f", as of {decision.as_of.isoformat()}"
    lines = [head, ""]
    for result in decision.results:
        lines.extend(render_claim(result, style=style, detail=detail))
        lines.append("")
    lines.append(style("Total due: ", bold=True) + show_amount(decision.total))
    still = decision.open_words()
    if still is not None:
        lines.append(style("Still open: ", bold=True) + still)
    return "\n".join(lines) + "\n"


def render_claim(result: ClaimResult, *, style: Style = plain, detail: bool = True) -> list[str]:
    """One claim: its summary and, with ``detail``, its derivation tree."""
    lines = claim_summary_lines(result, style)
    if detail:
        lines.extend(derivation_lines(result, style))
    return lines


def claim_summary_lines(result: ClaimResult, style: Style = plain) -> list[str]:
    """The claim's heading, status and benefit, reasons, facts needed and notes."""
    status = style(result.status.upper(), fg=STATUS_COLOUR.get(result.status), bold=True)
    head = f"{style(result.claim, bold=True)}  {result.measure}"
    if result.trace is not None and result.trace.label is not None:
        head += f"  {result.trace.label}"
    lines = [head, f"  {status}  {benefit_text(result)}"]
    for r in result.reasons:
        lines.append(f"  reason: {r['en']}  ({r['zh']})")
    if result.missing:
        lines.append("  facts needed: " + ", ".join(result.missing))
    for n in result.notes:
        lines.append(f"  note: {n}")
    return lines


def derivation_lines(result: ClaimResult, style: Style = plain, indent: str = "  ") -> list[str]:
    """The derivation tree under the claim (nothing when the claim was decided without a trace)."""
    if result.trace is None:
        return []
    lines: list[str] = []
    children = result.trace.children
    for i, child in enumerate(children):
        lines.extend(node_lines(child, indent, i == len(children) - 1, style))
    for note in result.trace.notes:  # the claim's own: measure and article, responsible units, date used
        lines.append(indent + style(note, dim=True))
    if result.trace.citation is not None and result.trace.citation.text:
        lines.append(f"{indent}cites {citation_text(result.trace.citation)}")
    return lines


# -- shared helpers ---------------------------------------------------------------------------------

def benefit_text(result: ClaimResult) -> str:
    """What the claim comes to, in words: the amount and basis, the ceiling, the duration."""
    parts = []
    if result.benefit == "money":
        parts.append(show_amount(result.amount))
        parts.append(f"[{result.basis}]")
    elif result.benefit == "assessed":
        parts.append(f"assessed award, up to {show_amount(result.ceiling)}" if result.ceiling is not None
                     else "assessed award")
    elif result.benefit == "in-kind":
        parts.append(f"in-kind benefit{', up to ' + str(result.duration) if result.duration else ''}")
    else:
        parts.append("support without a computed amount")
    if result.superseded_by:
        parts.append(f"superseded by {result.superseded_by}")
    bounds = result.bounds_words()
    if bounds is not None:
        parts.append(f"({bounds})")
    return "  ".join(parts)


_benefit = benefit_text


def amount_text(result: ClaimResult) -> str:
    """The amount column of a summary: money, a ceiling, a duration, or a dash (with an undetermined
    claim's bounds)."""
    bounds = result.bounds_words()
    if bounds is not None:
        return f"— ({bounds})"
    if result.benefit == "money":
        return show_amount(result.amount)
    if result.benefit == "assessed":
        return f"up to {show_amount(result.ceiling)} (assessed)" if result.ceiling is not None else "assessed"
    if result.benefit == "in-kind":
        return f"in kind, up to {result.duration}" if result.duration else "in kind"
    return "— (support)"


def basis_text(result: ClaimResult) -> str:
    """The basis in words; a dash for support, which has no amount to qualify."""
    if result.benefit == "support":
        return "—"
    return BASIS_WORDS.get(result.basis, result.basis)


def shows_id(node: TraceNode) -> bool:
    """Whether a step's id says more than its kind and label."""
    return not (node.id == node.kind or (node.label is not None and node.id == node.label.en))


def node_title(node: TraceNode) -> str:
    """``condition annual-sales annual sales of at least 10 million`` (kind, id, English label)."""
    text = node.kind
    if shows_id(node):
        text += f" {node.id}"
    if node.label is not None:
        text += f" {node.label.en}"
    return text


def result_text(node: TraceNode) -> str | None:
    """A step's result formatted by its static type (none for conditions: their mark says it)."""
    if node.result is None or node.kind in ("condition", "validity"):
        return None
    if isinstance(node.result, dict):
        return ", ".join(f"{k} = {show(v, node.types.get(k))}" for k, v in node.result.items())
    return show(node.result, node.types.get("result"))


def input_items(node: TraceNode) -> list[tuple[str, str]]:
    """A step's inputs as ``(name, formatted value)``."""
    return [(k, show(v, node.types.get(k))) for k, v in node.inputs.items()]


def citation_text(citation: Citation, width: int | None = None) -> str:
    """``二(五)「quote」 (source line 17)``; the quote shortened to ``width`` characters if given."""
    quote = citation.text if width is None else short(citation.text, width)
    where = f" (source line {citation.source_line})" if citation.source_line else ""
    return f"{citation.article}「{quote}」{where}"


def short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


_short = short


# -- the tree ---------------------------------------------------------------------------------------

def node_lines(node: TraceNode, prefix: str, last: bool, style: Style = plain) -> list[str]:
    """One step of the derivation with its details, then its children, as tree lines."""
    branch = "└── " if last else "├── "
    lines = [prefix + branch + node_summary(node, style)]
    inner = prefix + ("    " if last else "│   ")
    for detail in node_details(node):
        lines.append(inner + style(detail, dim=True))
    for i, child in enumerate(node.children):
        lines.extend(node_lines(child, inner, i == len(node.children) - 1, style))
    return lines


_node_lines = node_lines


def node_summary(node: TraceNode, style: Style = plain) -> str:
    """The head line of a step: mark, kind, id, label, expression and result."""
    mark = MARK.get(node.status or "", "")
    if mark:
        mark = style(mark, fg=_MARK_COLOUR[mark]) + " "
    text = f"{mark}{node_title(node)}"
    if node.expression:
        text += f": {node.expression}"
    result = result_text(node)
    if result is not None:
        text += " → " + result
    return text


_summary = node_summary


def node_details(node: TraceNode) -> list[str]:
    """The lines under a step's head: inputs, notes, citation (shortened), rule location."""
    out = []
    if node.inputs:
        out.append(", ".join(f"{k} = {v}" for k, v in input_items(node)))
    for note in node.notes:
        out.append(note)
    if node.citation is not None and node.citation.text and node.kind not in ("claim",):
        out.append(f"cites {node.citation.article}「{short(node.citation.text)}」")
    if node.location is not None:
        out.append(f"at {node.location}")
    return out


_details = node_details

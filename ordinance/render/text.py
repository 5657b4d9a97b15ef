"""The terminal rendering: a decision as a tree, one branch per step of each claim's derivation.

Colour is applied only when asked (the CLI asks on a terminal, unless ``NO_COLOR`` is set).
"""

from __future__ import annotations

from typing import Callable

from ..engine.decision import ClaimResult, Decision
from ..engine.trace import TraceNode
from .format import show, show_amount

Style = Callable[..., str]

_STATUS_COLOUR = {"eligible": "green", "ineligible": "red", "undetermined": "yellow", "superseded": "magenta"}
_MARK = {"true": "✓", "false": "✗", "undetermined": "?"}


def _plain(text: str, **_: object) -> str:
    return text


def render_decision(decision: Decision, *, colour: bool = False, detail: bool = True) -> str:
    """The whole decision: a header, one tree per claim, the total."""
    style: Style = _click_style if colour else _plain
    lines = [style(f"Case {decision.case}", bold=True)
             + f" — policy {decision.policy_id} (sha256:{decision.policy_digest[:12]})", ""]
    for result in decision.results:
        lines.extend(render_claim(result, style=style, detail=detail))
        lines.append("")
    lines.append(style("Total due: ", bold=True) + show_amount(decision.total))
    return "\n".join(lines) + "\n"


def render_claim(result: ClaimResult, *, style: Style = _plain, detail: bool = True) -> list[str]:
    status = style(result.status.upper(), fg=_STATUS_COLOUR.get(result.status), bold=True)
    head = f"{style(result.claim, bold=True)}  {result.measure}"
    if result.trace is not None and result.trace.label is not None:
        head += f"  {result.trace.label}"
    lines = [head, f"  {status}  {_benefit(result)}"]
    for r in result.reasons:
        lines.append(f"  reason: {r['en']}  ({r['zh']})")
    if result.missing:
        lines.append("  facts needed: " + ", ".join(result.missing))
    for n in result.notes:
        lines.append(f"  note: {n}")
    if detail and result.trace is not None:
        children = result.trace.children
        for i, child in enumerate(children):
            lines.extend(_node_lines(child, "  ", i == len(children) - 1, style))
        if result.trace.citation is not None and result.trace.citation.text:
            c = result.trace.citation
            where = f" (source line {c.source_line})" if c.source_line else ""
            lines.append(f"  cites {c.article}「{c.text}」{where}")
    return lines


def _benefit(result: ClaimResult) -> str:
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
    return "  ".join(parts)


def _node_lines(node: TraceNode, prefix: str, last: bool, style: Style) -> list[str]:
    branch = "└── " if last else "├── "
    lines = [prefix + branch + _summary(node, style)]
    inner = prefix + ("    " if last else "│   ")
    for detail in _details(node):
        lines.append(inner + style(detail, dim=True))
    for i, child in enumerate(node.children):
        lines.extend(_node_lines(child, inner, i == len(node.children) - 1, style))
    return lines


def _summary(node: TraceNode, style: Style) -> str:
    mark = _MARK.get(node.status or "", "")
    if mark:
        colour = {"✓": "green", "✗": "red", "?": "yellow"}[mark]
        mark = style(mark, fg=colour) + " "
    label = f" {node.label.en}" if node.label is not None else ""
    ident = "" if node.id == node.kind or (node.label is not None and node.id == node.label.en) else f" {node.id}"
    text = f"{mark}{node.kind}{ident}{label}"
    if node.expression and node.kind not in ("row",):
        text += f": {node.expression}"
    elif node.kind == "row" and node.expression:
        text += f": {node.expression}"
    if node.result is not None and node.kind not in ("condition", "validity"):
        if isinstance(node.result, dict):
            text += " → " + ", ".join(f"{k} = {show(v, node.types.get(k))}" for k, v in node.result.items())
        else:
            text += " → " + show(node.result, node.types.get("result"))
    return text


def _details(node: TraceNode) -> list[str]:
    out = []
    if node.inputs:
        out.append(", ".join(f"{k} = {show(v, node.types.get(k))}" for k, v in node.inputs.items()))
    for note in node.notes:
        out.append(note)
    if node.citation is not None and node.citation.text and node.kind not in ("claim",):
        out.append(f"cites {node.citation.article}「{_short(node.citation.text)}」")
    if node.location is not None:
        out.append(f"at {node.location}")
    return out


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _click_style(text: str, **kwargs: object) -> str:
    import click

    return click.style(text, **{k: v for k, v in kwargs.items() if v is not None})

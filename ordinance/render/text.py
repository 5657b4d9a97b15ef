"""The terminal rendering: a decision as a tree, one branch per step of each claim's derivation.

Colour is applied only when asked (the CLI asks on a terminal, unless ``NO_COLOR`` is set).

The pieces are public so that other renderings reuse them rather than copy them:
:func:`claim_summary_lines` (the heading, status, reasons, missing facts and notes of a claim),
:func:`derivation_lines` (its derivation tree), :func:`node_lines` (one step and everything below
it), and the small helpers that every renderer shares — :func:`benefit_text`,
:func:`result_text`, :func:`input_items`, :func:`node_title`, :func:`citation_text`.

Every piece takes a ``lang``: ``en`` (the default: English, with the Chinese the rule files give
beside it where it always was) or ``zh`` (Chinese: the chrome from the message catalogue, the
rule files' Chinese for labels, reasons and readings, English only where the data has nothing
else).  Given ``labels`` (:meth:`ordinance.policy.Policy.fact_label`), a fact still needed is
named by its label, then its key; in Chinese the trace's inputs are too.
"""

from __future__ import annotations

from typing import Callable

from ..decision import ClaimResult, Decision
from ..errors import terminal_text  # noqa: F401  (shown here too: renderers and the CLI use it)
from ..front.model import Citation, Label
from ..messages import in_lang, join, msg
from ..trace import TraceNode
from .format import show, show_amount

Style = Callable[..., str]
#: how a report finds what the rule files call a fact: (measure key, fact name) -> its label, or None
#: (:meth:`ordinance.policy.Policy.fact_label`)
FactLabels = Callable[[str | None, str], "Label | None"]

STATUS_COLOUR = {"eligible": "green", "ineligible": "red", "undetermined": "yellow", "superseded": "magenta"}
MARK = {"true": "✓", "false": "✗", "undetermined": "?"}
_MARK_COLOUR = {"✓": "green", "✗": "red", "?": "yellow"}

#: how the basis of an amount reads
BASIS_WORDS = {"exact": msg("report.basis.exact"), "maximum": msg("report.basis.maximum")}
#: the kinds of a trace's steps (``condition``, ``cap``, ...) as a Chinese report names them
KINDS = ("claim", "facts", "validity", "condition", "table", "row", "value", "period", "amount", "ceiling", "duration",
         "cap", "yearly-cap", "project-cap", "exclusivity", "quota", "one-time", "depends", "bounds", "reading",
         "steps")
_STATUSES = ("eligible", "ineligible", "undetermined", "superseded", "pending", "awarded", "exceeded", "open")


def say(key: str, lang: str, **params: object) -> str:
    """The catalogue's message ``key`` in ``lang``."""
    return msg(key, **params).in_lang(lang)


def words(text: object, lang: str) -> str:
    """Words the engine wrote (a note, an input's name: :class:`~ordinance.messages.Text`) in ``lang``;
    anything else (a name, a value) as it is."""
    return in_lang(text, lang) or ""


def label_text(label: Label, lang: str = "en") -> str:
    """A label in ``lang``: its English, or its Chinese (the rule file's words)."""
    return label.zh if lang == "zh" else label.en


def kind_text(kind: str, lang: str = "en") -> str:
    """A step's kind: ``condition`` in English, 條件 in Chinese."""
    return say(f"report.kind.{kind}", lang) if lang != "en" and kind in KINDS else kind


def status_text(status: str, lang: str = "en") -> str:
    """A status (``eligible``, ``undetermined``, ...) as a report shows it: the code in English."""
    return say(f"report.status.{status}", lang) if lang != "en" and status in _STATUSES else status


class Words:
    """The words of one rendering (or of one claim in it): the catalogue's in ``lang``
    (``words("report.claims")``), labels in it, a step's inputs with facts named by their labels."""

    def __init__(self, lang: str = "en", labels: FactLabels | None = None, measure: str | None = None):
        self.lang, self.labels, self.measure = lang, labels, measure

    def __call__(self, key: str, **params: object) -> str:
        return say(key, self.lang, **params)

    def label(self, label: Label) -> str:
        """A label: ``zh / en`` (as Markdown and HTML always showed it) in English, its Chinese alone in Chinese."""
        return str(label) if self.lang == "en" else label_text(label, self.lang)

    def inputs(self, node: TraceNode) -> list[tuple[str, str]]:
        """:func:`input_items` in this language, of this claim's measure."""
        return input_items(node, self.lang, self.labels, self.measure)


def fact_name(name: str, lang: str = "en", labels: FactLabels | None = None, measure: str | None = None) -> str:
    """A fact as a person reads it: its label (in ``lang``), then its key; the key alone when there
    are no ``labels`` or the name is no fact."""
    label = labels(measure, name) if labels is not None else None
    if label is None:
        return name
    return say("report.fact-named", lang, label=label_text(label, lang), name=name)


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

def render_decision(decision: Decision, *, colour: bool = False, detail: bool = True, lang: str = "en",
                    labels: FactLabels | None = None) -> str:
    """The whole decision: a header, one tree per claim, the total; safe to print (:func:`terminal_safe`)."""
    return terminal_safe(lambda c: _decision_text(decision, c, detail, lang, labels), colour)


def _decision_text(decision: Decision, colour: bool, detail: bool, lang: str = "en",
                   labels: FactLabels | None = None) -> str:
    style = style_for(colour)
    head = (style(say("report.text.case", lang, case=decision.case), bold=True)
            + say("report.text.policy", lang, policy=decision.policy_id, digest=decision.policy_digest[:12]))
    if decision.as_of is not None:
        head += say("report.text.as-of", lang, day=decision.as_of.isoformat())
    lines = [head, ""]
    for result in decision.results:
        lines.extend(render_claim(result, style=style, detail=detail, lang=lang, labels=labels))
        lines.append("")
    lines.append(style(say("report.text.total", lang), bold=True) + show_amount(decision.total))
    still = decision.open_words()
    if still is not None:
        lines.append(style(say("report.text.still-open", lang), bold=True) + words(still, lang))
    return "\n".join(lines) + "\n"


def render_claim(result: ClaimResult, *, style: Style = plain, detail: bool = True, lang: str = "en",
                 labels: FactLabels | None = None) -> list[str]:
    """One claim: its summary and, with ``detail``, its derivation tree."""
    lines = claim_summary_lines(result, style, lang, labels)
    if detail:
        lines.extend(derivation_lines(result, style, lang=lang, labels=labels))
    return lines


def claim_summary_lines(result: ClaimResult, style: Style = plain, lang: str = "en",
                        labels: FactLabels | None = None) -> list[str]:
    """The claim's heading, status and benefit, reasons, facts needed and notes."""
    shown = result.status.upper() if lang == "en" else status_text(result.status, lang)
    status = style(shown, fg=STATUS_COLOUR.get(result.status), bold=True)
    head = f"{style(result.claim, bold=True)}  {result.measure}"
    if result.trace is not None and result.trace.label is not None:
        head += f"  {result.trace.label if lang == 'en' else label_text(result.trace.label, lang)}"
    lines = [head, f"  {status}  {benefit_text(result, lang)}"]
    for r in result.reasons:
        lines.append(f"  reason: {r['en']}  ({r['zh']})" if lang == "en" else "  " + say("report.text.reason", lang,
                                                                                           reason=r["zh"]))
    if result.missing:
        lines.append("  " + say("report.text.facts-needed", lang, facts=missing_text(result, lang, labels)))
    for n in result.notes:
        lines.append("  " + say("report.text.note", lang, note=words(n, lang)))
    return lines


def missing_text(result: ClaimResult, lang: str = "en", labels: FactLabels | None = None) -> str:
    """The facts a claim still needs, each named by :func:`fact_name`, in one line."""
    return join(fact_name(m, lang, labels, result.measure) for m in result.missing).in_lang(lang)


def derivation_lines(result: ClaimResult, style: Style = plain, indent: str = "  ", lang: str = "en",
                     labels: FactLabels | None = None) -> list[str]:
    """The derivation tree under the claim (nothing when the claim was decided without a trace)."""
    if result.trace is None:
        return []
    lines: list[str] = []
    children = result.trace.children
    for i, child in enumerate(children):
        lines.extend(node_lines(child, indent, i == len(children) - 1, style, lang, labels, result.measure))
    for note in result.trace.notes:  # the claim's own: measure and article, responsible units, date used
        lines.append(indent + style(words(note, lang), dim=True))
    if result.trace.citation is not None and result.trace.citation.text:
        lines.append(indent + say("report.text.cites", lang, citation=citation_text(result.trace.citation, lang=lang)))
    return lines


# -- shared helpers ---------------------------------------------------------------------------------

def benefit_text(result: ClaimResult, lang: str = "en") -> str:
    """What the claim comes to, in words: the amount and basis, the ceiling, the duration."""
    parts = []
    if result.benefit == "money":
        parts.append(show_amount(result.amount))
        parts.append(f"[{result.basis}]" if lang == "en" else f"[{basis_words(result.basis, lang)}]")
    elif result.benefit == "assessed":
        parts.append(say("report.benefit.assessed-up-to", lang, ceiling=show_amount(result.ceiling))
                     if result.ceiling is not None else say("report.benefit.assessed", lang))
    elif result.benefit == "in-kind":
        parts.append(say("report.benefit.in-kind-up-to", lang, duration=result.duration) if result.duration
                     else say("report.benefit.in-kind", lang))
    else:
        parts.append(say("report.benefit.support", lang))
    if result.superseded_by:
        parts.append(say("note.superseded-by", lang, claim=result.superseded_by))
    bounds = result.bounds_words()
    if bounds is not None:
        parts.append(say("report.parenthesised", lang, text=words(bounds, lang)))
    return "  ".join(parts)


def basis_words(basis: str, lang: str = "en") -> str:
    """``exact`` / ``maximum`` in words (the code itself when it is neither)."""
    return words(BASIS_WORDS[basis], lang) if basis in BASIS_WORDS else basis


_benefit = benefit_text


def amount_text(result: ClaimResult, lang: str = "en") -> str:
    """The amount column of a summary: money, a ceiling, a duration, or a dash (with an undetermined
    claim's bounds)."""
    bounds = result.bounds_words()
    if bounds is not None:
        return say("report.amount.open", lang, bounds=bounds)
    if result.benefit == "money":
        return show_amount(result.amount)
    if result.benefit == "assessed":
        return say("report.amount.assessed-up-to", lang, ceiling=show_amount(result.ceiling)) \
            if result.ceiling is not None else say("report.amount.assessed", lang)
    if result.benefit == "in-kind":
        return say("report.amount.in-kind-up-to", lang, duration=result.duration) if result.duration \
            else say("report.amount.in-kind", lang)
    return say("report.amount.support", lang)


def basis_text(result: ClaimResult, lang: str = "en") -> str:
    """The basis in words; a dash for support, which has no amount to qualify."""
    if result.benefit == "support":
        return "—"
    return basis_words(result.basis, lang)


def shows_id(node: TraceNode) -> bool:
    """Whether a step's id says more than its kind and label."""
    return not (node.id == node.kind or (node.label is not None and node.id == node.label.en))


def node_title(node: TraceNode, lang: str = "en") -> str:
    """``condition annual-sales annual sales of at least 10 million`` (kind, id, label: in English,
    or in Chinese: ``條件 annual-sales 年銷售額不低于1000萬元``)."""
    text = kind_text(node.kind, lang)
    if shows_id(node):
        text += f" {node.id}"
    if node.label is not None:
        text += f" {label_text(node.label, lang)}"
    return text


def result_text(node: TraceNode, lang: str = "en") -> str | None:
    """A step's result formatted by its static type (none for conditions: their mark says it)."""
    if node.result is None or node.kind in ("condition", "validity"):
        return None
    if isinstance(node.result, dict):
        return ", ".join(f"{k} = {show(v, node.types.get(k), lang)}" for k, v in node.result.items())
    if lang != "en" and isinstance(node.result, str) and node.types.get("result") is None:
        return status_text(node.result, lang)  # the step's outcome: superseded, undetermined, pending
    return show(node.result, node.types.get("result"), lang)


def input_items(node: TraceNode, lang: str = "en", labels: FactLabels | None = None,
                measure: str | None = None) -> list[tuple[str, str]]:
    """A step's inputs as ``(name, formatted value)``; in Chinese a fact is named by its label and
    key (:func:`fact_name`), an input of the engine's own step in Chinese."""
    if lang == "en":
        return [(k, show(v, node.types.get(k))) for k, v in node.inputs.items()]
    return [(fact_name(k, lang, labels, measure) if "." in k else words(k, lang), show(v, node.types.get(k), lang))
            for k, v in node.inputs.items()]


def citation_text(citation: Citation, width: int | None = None, lang: str = "en") -> str:
    """``二(五)「quote」 (source line 17)``; the quote shortened to ``width`` characters if given."""
    quote = citation.text if width is None else short(citation.text, width)
    where = say("report.source-line", lang, line=citation.source_line) if citation.source_line else ""
    return f"{citation.article}「{quote}」{where}"


def short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


_short = short


# -- the tree ---------------------------------------------------------------------------------------

def node_lines(node: TraceNode, prefix: str, last: bool, style: Style = plain, lang: str = "en",
               labels: FactLabels | None = None, measure: str | None = None) -> list[str]:
    """One step of the derivation with its details, then its children, as tree lines."""
    branch = "└── " if last else "├── "
    lines = [prefix + branch + node_summary(node, style, lang)]
    inner = prefix + ("    " if last else "│   ")
    for detail in node_details(node, lang, labels, measure):
        lines.append(inner + style(detail, dim=True))
    for i, child in enumerate(node.children):
        lines.extend(node_lines(child, inner, i == len(node.children) - 1, style, lang, labels, measure))
    return lines


_node_lines = node_lines


def node_summary(node: TraceNode, style: Style = plain, lang: str = "en") -> str:
    """The head line of a step: mark, kind, id, label, expression and result."""
    mark = MARK.get(node.status or "", "")
    if mark:
        mark = style(mark, fg=_MARK_COLOUR[mark]) + " "
    text = f"{mark}{node_title(node, lang)}"
    if node.expression:
        text += f": {words(node.expression, lang)}"
    result = result_text(node, lang)
    if result is not None:
        text += " → " + result
    return text


_summary = node_summary


def node_details(node: TraceNode, lang: str = "en", labels: FactLabels | None = None,
                 measure: str | None = None) -> list[str]:
    """The lines under a step's head: inputs, notes, citation (shortened), rule location."""
    out = []
    if node.inputs:
        items = input_items(node, lang, labels, measure)
        out.append(join((f"{k} = {v}" for k, v in items), "sep.inputs").in_lang(lang))
    for note in node.notes:
        out.append(words(note, lang))
    if node.citation is not None and node.citation.text and node.kind not in ("claim",):
        out.append(say("report.text.cites", lang, citation=f"{node.citation.article}「{short(node.citation.text)}」"))
    if node.location is not None:
        out.append(say("report.text.at", lang, location=node.location))
    return out


_details = node_details

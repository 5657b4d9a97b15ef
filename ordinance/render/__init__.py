"""Renderers: the same decision and trace data as a terminal tree, JSON, Markdown or HTML.

A renderer reads :class:`~ordinance.decision.Decision` and
:class:`~ordinance.trace.TraceNode` data and adds nothing the data does not hold; ``lang``
chooses the language its words are in (the data carries both).
:func:`render` picks one by name; :data:`FORMATS` lists the names.
"""

from __future__ import annotations

from typing import Any, Callable

from ..decision import Decision


def _text(decision: Decision, *, colour: bool = False, lang: str = "en", labels: Any = None) -> str:
    from .text import render_decision

    return render_decision(decision, colour=colour, lang=lang, labels=labels)


def _json(decision: Decision, *, colour: bool = False, lang: str = "en", labels: Any = None) -> str:
    return decision.to_json()  # both languages, whatever the reader's: the contract


def _markdown(decision: Decision, *, colour: bool = False, lang: str = "en", labels: Any = None) -> str:
    from .markdown import render_decision
    from .text import terminal_safe

    # printed, or kept as text
    return terminal_safe(lambda c: render_decision(decision, colour=c, lang=lang, labels=labels), colour)


def _html(decision: Decision, *, colour: bool = False, lang: str = "en", labels: Any = None) -> str:
    from .html import render_decision

    return render_decision(decision, colour=colour, lang=lang, labels=labels)


#: format name -> renderer(decision, *, colour, lang, labels) -> str
RENDERERS: dict[str, Callable[..., str]] = {"text": _text, "json": _json, "markdown": _markdown, "html": _html}


def render(decision: Decision, fmt: str = "text", *, colour: bool = False, lang: str = "en",
           labels: Callable[[str | None, str], Any] | None = None) -> str:
    """Render ``decision`` in format ``fmt`` (one of :data:`FORMATS`), its words in ``lang``: ``en``
    (English, with the Chinese of the rule files beside it, as always) or ``zh`` (Chinese: the rule
    files' own words for labels, reasons and readings; English only where they give nothing else).
    ``labels`` (:meth:`~ordinance.policy.Policy.fact_label`) names each fact still needed by its
    label, then its key (in Chinese, the facts a step read too).  The JSON holds both languages
    whatever ``lang`` is."""
    return RENDERERS[fmt](decision, colour=colour, lang=lang, labels=labels)


FORMATS = tuple(RENDERERS)

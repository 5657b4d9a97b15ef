"""Renderers: the same decision and trace data as a terminal tree, JSON, Markdown or HTML.

A renderer reads :class:`~ordinance.decision.Decision` and
:class:`~ordinance.trace.TraceNode` data and adds nothing the data does not hold; ``lang``
chooses the language its words are in (the data carries both).
:func:`render` picks one by name; :data:`FORMATS` lists the names.
"""

from __future__ import annotations

from typing import Callable

from ..decision import Decision


def _text(decision: Decision, *, colour: bool = False, lang: str = "en") -> str:
    from .text import render_decision

    return render_decision(decision, colour=colour, lang=lang)


def _json(decision: Decision, *, colour: bool = False, lang: str = "en") -> str:
    return decision.to_json()  # both languages, whatever the reader's: the contract


def _markdown(decision: Decision, *, colour: bool = False, lang: str = "en") -> str:
    from .markdown import render_decision
    from .text import terminal_safe

    return terminal_safe(lambda c: render_decision(decision, colour=c, lang=lang), colour)  # printed, or kept as text


def _html(decision: Decision, *, colour: bool = False, lang: str = "en") -> str:
    from .html import render_decision

    return render_decision(decision, colour=colour, lang=lang)


#: format name -> renderer(decision, *, colour, lang) -> str
RENDERERS: dict[str, Callable[..., str]] = {"text": _text, "json": _json, "markdown": _markdown, "html": _html}


def render(decision: Decision, fmt: str = "text", *, colour: bool = False, lang: str = "en") -> str:
    """Render ``decision`` in format ``fmt`` (one of :data:`FORMATS`), its words in ``lang``: ``en``
    (English first, the Chinese of the rule files beside it) or ``zh`` (Chinese first, the words of
    the statute; English only where the rule files give nothing else).  The JSON holds both
    languages whatever ``lang`` is."""
    return RENDERERS[fmt](decision, colour=colour, lang=lang)


FORMATS = tuple(RENDERERS)

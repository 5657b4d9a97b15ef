"""Renderers: the same decision and trace data as a terminal tree, JSON, Markdown or HTML.

A renderer reads :class:`~ordinance.decision.Decision` and
:class:`~ordinance.trace.TraceNode` data and adds nothing the data does not hold.
:func:`render` picks one by name; :data:`FORMATS` lists the names.
"""

from __future__ import annotations

from typing import Callable

from ..decision import Decision


def _text(decision: Decision, *, colour: bool = False) -> str:
    from .text import render_decision

    return render_decision(decision, colour=colour)


def _json(decision: Decision, *, colour: bool = False) -> str:
    return decision.to_json()


def _markdown(decision: Decision, *, colour: bool = False) -> str:
    from .markdown import render_decision
    from .text import terminal_safe

    return terminal_safe(lambda c: render_decision(decision, colour=c), colour)  # printed, or kept as text


def _html(decision: Decision, *, colour: bool = False) -> str:
    from .html import render_decision

    return render_decision(decision, colour=colour)


#: format name -> renderer(decision, *, colour) -> str
RENDERERS: dict[str, Callable[..., str]] = {"text": _text, "json": _json, "markdown": _markdown, "html": _html}


def render(decision: Decision, fmt: str = "text", *, colour: bool = False) -> str:
    """Render ``decision`` in format ``fmt`` (one of :data:`FORMATS`)."""
    return RENDERERS[fmt](decision, colour=colour)


FORMATS = tuple(RENDERERS)

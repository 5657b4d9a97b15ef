"""Renderers: the same decision and trace data as a terminal tree, JSON, Markdown or HTML.

A renderer reads :class:`~ordinance.engine.decision.Decision` and
:class:`~ordinance.engine.trace.TraceNode` data and adds nothing the data does not hold.
"""

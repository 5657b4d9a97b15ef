"""Input limits: every bound on what the engine reads, in one place below the grammar and the loader.

:class:`Limits` is defined here, below :mod:`ordinance.grammar` (which bounds an expression's
length, depth and literals by it) and :mod:`ordinance.front.load` (which bounds files, nesting
and values by it), so that neither imports the other for it.  ``ordinance.Limits`` and
``ordinance.front.load.Limits`` are this class.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Limits:
    """Input limits; each breach is a clear error with a stable code (docs/security.md).

    One ``Limits`` serves rule files and cases alike: pass it to
    ``ordinance.load_policy(..., limits=)``, ``ordinance.load_case(..., limits=)``, or give the
    ``ordinance`` command its ``--max-...`` options.  Every field is a positive integer.
    """

    #: bytes in one file (a rule file, a manifest, a case file, standard input): ``file-too-large``
    max_file_bytes: int = 4 * 1024 * 1024
    #: nesting of mappings and lists in one YAML or JSON document: ``too-deep``
    max_depth: int = 64
    #: values in one document, every use of an alias counted again: ``too-many-nodes``
    max_nodes: int = 200_000
    #: characters in one expression of a rule file: ``expression-too-long``
    max_expression_length: int = 65_536
    #: nesting of one expression's tree (operators, calls, lists; a run of one operator, however
    #: long, is one level): ``expression-too-deep``
    max_expression_depth: int = 100
    #: digits in one number (an expression's literal, a plain YAML or JSON integer): ``literal-too-long``
    max_literal_digits: int = 5_000
    #: bytes in one line of batch input (JSON Lines, CSV): ``line-too-long`` (that case fails)
    max_line_bytes: int = 1024 * 1024
    #: claims, and prior awards, in one case: ``too-many-claims``.  The language has no loops, so
    #: this bounds the evaluation steps of a case (each claim runs its measure's expressions once)
    max_claims: int = 10_000

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Limits.{f.name} must be a positive integer, not {value!r}")

    @property
    def integer_digits(self) -> int:
        """Digits allowed in an integer read as a Python ``int``: ``max_literal_digits``, and never
        more than Python converts from text (``sys.get_int_max_str_digits()``, 4300 by default)."""
        cap = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0
        return min(self.max_literal_digits, cap) if cap else self.max_literal_digits


DEFAULT_LIMITS = Limits()

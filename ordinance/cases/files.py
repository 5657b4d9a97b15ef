"""Reading case files (YAML or JSON) from disk or text, with positions for error messages."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .read import Case, read_case
from ..front.load import DEFAULT_LIMITS, Limits, LoadedFile, load_file, load_text
from ..errors import CaseError, PolicyError


def load_case_data(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS) -> LoadedFile:
    """Load a case file into plain data with positions; errors are CaseError."""
    try:
        return load_file(Path(path), str(path), limits)
    except PolicyError as exc:  # the loader's errors are about this case file
        raise CaseError(exc.problems, exc.sources) from None


def load_case(path: str | os.PathLike[str], policy: Any = None, limits: Limits = DEFAULT_LIMITS) -> Case:
    """Read and check the case file at ``path`` against ``policy`` (default: the bundled one)."""
    from ..policy import default_policy

    loaded = load_case_data(path, limits)
    return read_case(loaded.data, policy or default_policy(), loaded.name, loaded)


def read_case_text(text: str, name: str, policy: Any, limits: Limits = DEFAULT_LIMITS) -> Case:
    """Read a case from text (e.g. standard input)."""
    try:
        loaded = load_text(text, name, limits)
    except PolicyError as exc:
        raise CaseError(exc.problems, exc.sources) from None
    return read_case(loaded.data, policy, name, loaded)

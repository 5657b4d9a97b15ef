"""Stage 2, validate: check a loaded file against the JSON Schema for its kind.

The schemas live in ``ordinance/schema/`` (``policy.schema.json`` for the manifest,
``rules.schema.json`` for rule files, ``tests.schema.json`` for a policy's test files) so that an
editor validates the same way as the loader
(``# yaml-language-server: $schema=...``).  Schema errors are turned into problems at the
offending key or value, with the allowed keys or values offered as "did you mean".

Validation is a pure function of the file's text and the schema, so a file that passed once
need not be validated again: its sha256 (with the schema's) is remembered in a small cache
directory (``$XDG_CACHE_HOME/ordinance``, or ``~/.cache/ordinance``; ``ORDINANCE_CACHE=off``
turns it off).  Only passes are remembered — a file with problems is always validated afresh —
so the cache can change how fast a policy loads, never what it loads to.  jsonschema itself is
imported only when a file has to be validated.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

from ..errors import Problem, did_you_mean, dotted_path, shorten
from .load import LoadedFile

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schema"


@functools.lru_cache(maxsize=None)
def schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of ``kind`` (``policy``, ``rules`` or ``tests``)."""
    return json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=None)
def _validator(kind: str) -> "Draft202012Validator":
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema(kind))


@functools.lru_cache(maxsize=None)
def _schema_digest(kind: str) -> str:
    return hashlib.sha256((SCHEMA_DIR / f"{kind}.schema.json").read_bytes()).hexdigest()


def _cache_dir() -> Path | None:
    if os.environ.get("ORDINANCE_CACHE", "").lower() in ("off", "0", "no", "false"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ordinance" / "validated"


def _pass_mark(loaded: LoadedFile, kind: str) -> Path | None:
    folder = _cache_dir()
    if folder is None:
        return None
    key = hashlib.sha256(f"{kind}\0{_schema_digest(kind)}\0{loaded.text}".encode("utf-8", "surrogatepass"))
    return folder / key.hexdigest()


def validate(loaded: LoadedFile, kind: str) -> list[Problem]:
    """All schema problems of ``loaded`` as a ``kind`` file, at their positions."""
    if loaded.data is None:
        return [Problem("empty-file", "the file is empty", loaded.location(()), _EMPTY_HINTS[kind])]
    mark = _pass_mark(loaded, kind)
    if mark is not None and mark.exists():
        return []
    from jsonschema.exceptions import best_match

    problems: list[Problem] = []
    seen: set[tuple[object, ...]] = set()
    for error in _validator(kind).iter_errors(loaded.data):
        if error.context:
            error = best_match(error.context) or error
        problem = _problem(error, loaded)
        key = (problem.location, problem.message)
        if key not in seen:
            seen.add(key)
            problems.append(problem)
    if not problems and mark is not None:
        try:
            mark.parent.mkdir(parents=True, exist_ok=True)
            mark.touch()
        except OSError:
            pass  # a read-only home: validate every time
    return problems


_EMPTY_HINTS = {"rules": "a rule file needs at least `article:` and `measures:`",
                "policy": "a policy manifest needs `policy:`, `title:`, `issuer:`, `issued:`, `valid:`",
                "tests": "a test file needs `tests:`, a list of tests, each with `name:`, `case:` and `want:`"}


def _problem(error: "ValidationError", loaded: LoadedFile) -> Problem:
    path = tuple(error.absolute_path)
    where = "/".join(shorten(str(p)) for p in path) or "the top level"
    v, instance, sub = error.validator, error.instance, error.schema
    hint = sub.get("x-hint") if isinstance(sub, dict) else None
    if v == "additionalProperties" and isinstance(instance, dict):
        allowed = list(sub.get("properties", {}))
        extra = sorted(k for k in instance if k not in allowed)
        key = extra[0] if extra else "?"
        return Problem("unknown-key", f"unknown key `{shorten(str(key))}` in {where}",
                       loaded.location(path + (key,), key=True),
                       did_you_mean(key, allowed) or ("allowed keys: " + ", ".join(allowed) if allowed else None),
                       _dotted(path + (key,)))
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else str(error.validator_value)
        return Problem("missing-key", f"`{missing}` is required in {where}", loaded.location(path, key=True),
                       hint, _dotted(path))
    if v == "enum":
        options = [str(o) for o in error.validator_value]
        return Problem("not-allowed", f"`{shorten(str(instance))}` is not allowed here; expected one of: {', '.join(options)}",
                       loaded.location(path), did_you_mean(str(instance), options), _dotted(path))
    if v == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return Problem("wrong-type", f"{where} must be {_article(expected)}, not {_json_kind(instance)}",
                       loaded.location(path), hint, _dotted(path))
    if v == "pattern":
        return Problem("bad-format", f"`{instance}` is not of the expected form in {where}",
                       loaded.location(path), hint, _dotted(path))
    if v in ("minItems", "minProperties", "minLength"):  # (the code stays the generic one, as it always was)
        return Problem("schema", f"{where} is empty", loaded.location(path), hint, _dotted(path))
    if v == "oneOf":
        return Problem("schema", f"{where} gives more than one of the forms allowed here", loaded.location(path),
                       hint, _dotted(path))
    if v == "propertyNames":
        return Problem("bad-name", f"`{instance}` is not a valid name in {where}",
                       loaded.location(path + (instance,), key=True), hint, _dotted(path))
    return Problem("schema", f"{where}: {error.message}", loaded.location(path), hint, _dotted(path))


def _dotted(path: tuple[object, ...]) -> str:
    return dotted_path(path) or "."


def _json_kind(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _article(word: str) -> str:
    return {"object": "a mapping", "array": "a list", "string": "text", "integer": "a whole number",
            "boolean": "true or false"}.get(word, word)

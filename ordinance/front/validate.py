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
from ..messages import Both, Text, join, msg, recognise
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
        return [Problem("empty-file", msg("schema.empty-file"), loaded.location(()), msg(f"schema.hint.empty-{kind}"))]
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


def _problem(error: "ValidationError", loaded: LoadedFile) -> Problem:
    path = tuple(error.absolute_path)
    where = "/".join(shorten(str(p)) for p in path) or msg("schema.top-level")
    v, instance, sub = error.validator, error.instance, error.schema
    hint = _hint(sub)
    if v == "additionalProperties" and isinstance(instance, dict):
        allowed = list(sub.get("properties", {}))
        extra = sorted(k for k in instance if k not in allowed)
        key = extra[0] if extra else "?"
        return Problem("unknown-key", msg("schema.unknown-key", key=shorten(str(key)), where=where),
                       loaded.location(path + (key,), key=True),
                       did_you_mean(key, allowed) or (msg("schema.hint.allowed-keys", keys=", ".join(allowed))
                                                      if allowed else None),
                       _dotted(path + (key,)))
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else str(error.validator_value)
        return Problem("missing-key", msg("schema.required", key=missing, where=where), loaded.location(path, key=True),
                       hint, _dotted(path))
    if v == "enum":
        options = [str(o) for o in error.validator_value]
        return Problem("not-allowed",
                       msg("schema.not-allowed", value=shorten(str(instance)), options=", ".join(options)),
                       loaded.location(path), did_you_mean(str(instance), options), _dotted(path))
    if v == "type":
        expected = error.validator_value
        expected = join([_article(e) for e in expected], "sep.or") if isinstance(expected, list) else _article(expected)
        return Problem("wrong-type",
                       msg("schema.wrong-type", where=where, expected=expected, value=_json_kind(instance)),
                       loaded.location(path), hint, _dotted(path))
    if v == "pattern":
        return Problem("bad-format", msg("schema.bad-format", value=instance, where=where),
                       loaded.location(path), hint, _dotted(path))
    if v in ("minItems", "minProperties", "minLength"):  # (the code stays the generic one, as it always was)
        return Problem("schema", msg("schema.is-empty", where=where), loaded.location(path), hint, _dotted(path))
    if v == "oneOf":
        return Problem("schema", msg("schema.one-of", where=where), loaded.location(path),
                       hint, _dotted(path))
    if v == "propertyNames":
        return Problem("bad-name", msg("schema.bad-name", value=instance, where=where),
                       loaded.location(path + (instance,), key=True), hint, _dotted(path))
    return Problem("schema", msg("schema.said", where=where, said=recognise("jsonschema.", error.message)),
                   loaded.location(path), hint, _dotted(path))


def _dotted(path: tuple[object, ...]) -> str:
    return dotted_path(path) or "."


def _hint(sub: Any) -> Text | None:
    """The schema's hint (``x-hint``, in Chinese ``x-hint-zh``) for the part ``sub`` of it."""
    if not isinstance(sub, dict) or "x-hint" not in sub:
        return None
    # the schema is the one truth of its hints (an editor reads the same file), in both languages
    return msg("schema.x-hint", hint=Both(sub["x-hint"], sub.get("x-hint-zh")))


def _json_kind(value: Any) -> str:
    if value is None:
        return msg("case.value.empty")
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return msg("schema.value.number")
    if isinstance(value, str):
        return msg("case.value.text", text=repr(value))
    if isinstance(value, list):
        return msg("case.value.list")
    if isinstance(value, dict):
        return msg("case.value.mapping")
    return type(value).__name__


def _article(word: str) -> str:
    return msg(f"schema.type.{word}") if word in ("object", "array", "string", "integer", "boolean") else word

"""Errors of the HTTP API as ``application/problem+json`` (RFC 9457).

Every error response has the body::

    {"type": "https://ordinance.dev/problems/<code>", "title": ..., "status": ..., "detail": ...,
     "code": "<code>", "problems": [Problem.to_dict(), ...]}

``code`` is the engine's stable code when the engine found the mistake (``wrong-type``,
``bad-date``, ``unknown-measure``, ...; the first problem's when there are several), or one of
the API's own codes (:data:`API_CODES`).  ``problems`` lists every problem found, each with its
location (file, line, column) and/or its path in the request body (``case.claims[0].date``).
Nothing else ever reaches the client: no traceback, no server path.

The words (``title``, ``detail``, each problem's ``message`` and ``hint``) are in the language the
request's ``Accept-Language`` asks for (English or Chinese, :func:`ordinance.messages.accept_lang`);
the answer says which in ``Content-Language`` (and ``Vary: Accept-Language``).  The codes, paths
and locations are the same in every language.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Iterable, Mapping

from starlette.responses import Response

from ..errors import (LISTED_PROBLEMS, CaseError, EvaluationError, OrdinanceError, PolicyError, Problem, SummaryWords,
                      problem_count)
from ..messages import LANG_TAGS, Text, in_lang, msg

TYPE_BASE = "https://ordinance.dev/problems/"
MEDIA_TYPE = "application/problem+json"

#: the API's own codes, with their HTTP status and title (a :class:`~ordinance.messages.Text`)
API_CODES: dict[str, tuple[int, Text]] = {code: (status, msg(f"web.title.{code}")) for code, status in (
    ("malformed-json", 400), ("encoding", 400), ("bad-override-path", 400), ("bad-request", 400),
    ("not-found", 404), ("unknown-policy", 404), ("unknown-claim", 404), ("method-not-allowed", 405),
    ("request-timeout", 408), ("client-disconnected", 400), ("body-too-large", 413), ("trace-too-large", 413),
    ("unsupported-media-type", 415), ("invalid-request", 422), ("invalid-case", 422), ("invalid-policy", 422),
    ("evaluation", 422), ("time-limit", 503), ("too-many-connections", 503), ("internal", 500))}



class ApiError(Exception):
    """An error response: raised by handlers, turned into problem+json by the app, its words
    (title, detail, the problems' messages and hints) in the language of the request."""

    def __init__(self, code: str, detail: Any, problems: Iterable[Problem | Mapping[str, Any]] = (), *,
                 status: int | None = None, title: Any = None, problem_code: str | None = None,
                 headers: Mapping[str, str] | None = None):
        default_status, default_title = API_CODES.get(code, (400, msg("web.title.bad-request")))
        self.status = status or default_status
        self.title = title or default_title
        self.type_code = code
        self.detail = detail
        problems = list(problems)
        self.problems: list[Problem | dict[str, Any]] = [p if isinstance(p, Problem) else dict(p)
                                                         for p in problems[:LISTED_PROBLEMS]]
        self.count = problem_count(problems)  # the full count, when more than the first are listed
        self.code = problem_code or code
        self.headers = dict(headers or {})
        super().__init__(str(detail))

    def problem_dicts(self, lang: str = "en") -> list[dict[str, Any]]:
        """The problems listed, as JSON data in ``lang``."""
        return [p.to_dict(lang) if isinstance(p, Problem) else p for p in self.problems]

    def body(self, lang: str = "en") -> dict[str, Any]:
        return {"type": TYPE_BASE + self.code, "title": in_lang(self.title, lang), "status": self.status,
                "detail": in_lang(self.detail, lang), "code": self.code, "problems": self.problem_dicts(lang),
                **self.count}

    def response(self, lang: str = "en") -> Response:
        return problem_response(self.body(lang), self.status, {**self.headers, **language_headers(lang)})


def language_headers(lang: str) -> dict[str, str]:
    """The headers of an answer whose words are in ``lang``, chosen by the request's Accept-Language."""
    return {"Content-Language": LANG_TAGS.get(lang, "en"), "Vary": "Accept-Language"}


def problem_response(body: dict[str, Any], status: int, headers: Mapping[str, str] | None = None) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n"
    return Response(text.encode("utf-8", "surrogatepass"), status_code=status, media_type=MEDIA_TYPE,
                    headers=dict(headers or {}))


def _prefixed(prefix: str, path: str) -> str:
    """``path`` inside the field ``prefix`` of the body: ``case.claims[0].date``; ``""`` is the whole
    of it (the prefix alone, not ``case.``)."""
    return prefix + path if not path or path.startswith("[") else f"{prefix}.{path}"


def from_ordinance_error(exc: OrdinanceError, *, prefix: str = "", detail: Any = None) -> ApiError:
    """A 422 problem from an engine error, with the engine's code (the first problem's) and the
    problems found (the first :data:`LISTED_PROBLEMS`, with ``problem_count`` when there are more); ``prefix`` is
    put before each problem's path (``case``: the path in the body).  The detail is the error's
    summary unless given."""
    problems = list(exc.problems[:LISTED_PROBLEMS])
    if prefix:
        problems = [p if p.path is None else dataclasses.replace(p, path=_prefixed(prefix, str(p.path)))
                    for p in problems]
    if isinstance(exc, CaseError):
        code = "invalid-case"
    elif isinstance(exc, PolicyError):
        code = "invalid-policy"
    elif isinstance(exc, EvaluationError):
        code = "evaluation"
    else:  # pragma: no cover - every engine error is one of the three
        code = "invalid-request"
    status, title = API_CODES[code]
    engine_code = exc.problems[0].code if exc.problems else code
    error = ApiError(code, detail if detail is not None else SummaryWords(exc), problems, status=status, title=title,
                     problem_code=engine_code)
    error.count = problem_count(exc.problems)
    return error

"""Errors of the HTTP API as ``application/problem+json`` (RFC 9457).

Every error response has the body::

    {"type": "https://ordinance.dev/problems/<code>", "title": ..., "status": ..., "detail": ...,
     "code": "<code>", "problems": [Problem.to_dict(), ...]}

``code`` is the engine's stable code when the engine found the mistake (``wrong-type``,
``bad-date``, ``unknown-measure``, ...; the first problem's when there are several), or one of
the API's own codes (:data:`API_CODES`).  ``problems`` lists every problem found, each with its
location (file, line, column) and/or its path in the request body (``case.claims[0].date``).
Nothing else ever reaches the client: no traceback, no server path.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

from starlette.responses import Response

from ..errors import LISTED_PROBLEMS, CaseError, EvaluationError, OrdinanceError, PolicyError, Problem, problem_count

TYPE_BASE = "https://ordinance.dev/problems/"
MEDIA_TYPE = "application/problem+json"

#: the API's own codes, with their HTTP status and title
API_CODES: dict[str, tuple[int, str]] = {
    "malformed-json": (400, "The request body is not valid JSON"),
    "encoding": (400, "The request body is not UTF-8 text"),
    "bad-override-path": (400, "A file path of the overlay is not allowed"),
    "bad-request": (400, "The request cannot be read"),
    "not-found": (404, "Not found"),
    "unknown-policy": (404, "No such policy"),
    "unknown-claim": (404, "The case has no such claim"),
    "method-not-allowed": (405, "Method not allowed"),
    "request-timeout": (408, "The request did not arrive within the time allowed"),
    "client-disconnected": (400, "The client went away before sending the whole request"),
    "body-too-large": (413, "The request body is too large"),
    "trace-too-large": (413, "The decision asked for would be too large"),
    "unsupported-media-type": (415, "The request body must be JSON (Content-Type: application/json)"),
    "invalid-request": (422, "The request is not valid"),
    "invalid-case": (422, "The case is not valid"),
    "invalid-policy": (422, "The policy (with the files given) is not valid"),
    "evaluation": (422, "The case cannot be decided"),
    "time-limit": (503, "The request took longer than the time limit"),
    "too-many-connections": (503, "The server has too many connections open"),
    "internal": (500, "Internal server error"),
}


class ApiError(Exception):
    """An error response: raised by handlers, turned into problem+json by the app."""

    def __init__(self, code: str, detail: str, problems: Iterable[Problem | Mapping[str, Any]] = (), *,
                 status: int | None = None, title: str | None = None, problem_code: str | None = None,
                 headers: Mapping[str, str] | None = None):
        default_status, default_title = API_CODES.get(code, (400, "Bad request"))
        self.status = status or default_status
        self.title = title or default_title
        self.type_code = code
        self.detail = detail
        problems = list(problems)
        self.problems = [p.to_dict() if isinstance(p, Problem) else dict(p) for p in problems[:LISTED_PROBLEMS]]
        self.count = problem_count(problems)  # the full count, when more than the first are listed
        self.code = problem_code or code
        self.headers = dict(headers or {})
        super().__init__(detail)

    def body(self) -> dict[str, Any]:
        return {"type": TYPE_BASE + self.code, "title": self.title, "status": self.status,
                "detail": self.detail, "code": self.code, "problems": self.problems, **self.count}

    def response(self) -> Response:
        return problem_response(self.body(), self.status, self.headers)


def problem_response(body: dict[str, Any], status: int, headers: Mapping[str, str] | None = None) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n"
    return Response(text.encode("utf-8", "surrogatepass"), status_code=status, media_type=MEDIA_TYPE,
                    headers=dict(headers or {}))


def from_ordinance_error(exc: OrdinanceError, *, prefix: str = "", detail: str | None = None) -> ApiError:
    """A 422 problem from an engine error, with the engine's code (the first problem's) and the
    problems found (the first :data:`LISTED_PROBLEMS`, with ``problem_count`` when there are more); ``prefix`` is put before each problem's path (``case``: the path in the body)."""
    problems = [p.to_dict() for p in exc.problems[:LISTED_PROBLEMS]]
    if prefix:
        for p in problems:
            if "path" in p:  # "" is the whole of it: the prefix alone, not "case."
                path = str(p["path"])
                p["path"] = prefix + path if not path or path.startswith("[") else f"{prefix}.{path}"
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
    error = ApiError(code, detail or exc.summary(), problems, status=status, title=title, problem_code=engine_code)
    error.count = problem_count(exc.problems)
    return error

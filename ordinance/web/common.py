"""What the routes of ``ordinance serve`` share: deterministic JSON responses, the handler
wrapper that turns errors into problem+json, the service of a request, and the content security
policies.

:mod:`ordinance.web.app` builds the application from the routes of :mod:`ordinance.web.api` and
:mod:`ordinance.web.openapi`; all three import this module, and it imports none of them.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Callable

from starlette.requests import Request
from starlette.responses import Response

from ..errors import OrdinanceError, Problem
from .problems import ApiError, from_ordinance_error

JSON_TYPE = "application/json"

#: every response (the page, the API, the errors) but the downloaded report: app.SecurityHeaders
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
#: the downloaded HTML report: inline CSS, no script, nothing fetched
REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
              "form-action 'none'; frame-ancestors 'none'")


# -- responses ----------------------------------------------------------------------------------------

def dumps(data: Any) -> bytes:
    """Deterministic compact JSON (keys in the order built, Chinese as is), as UTF-8."""
    return utf8(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")


def utf8(text: str) -> bytes:
    """``text`` as UTF-8; a lone surrogate (``\\ud800`` escaped in the request's JSON) is a 422, as
    ``ordinance eval`` refuses it."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ApiError("invalid-case", "the request holds text that is not valid Unicode",
                       [Problem("encoding", f"the text holds a lone surrogate (U+{ord(exc.object[exc.start]):04X})",
                                None, "write text as UTF-8; do not escape half of a surrogate pair")],
                       problem_code="encoding") from None


def raw_json_response(body: bytes) -> Response:
    return Response(body, media_type=JSON_TYPE)


def handler(fn: Callable[[Request], Any]) -> Callable[[Request], Any]:
    """Turns :class:`ApiError` and engine errors raised by ``fn`` into problem+json responses."""

    async def wrapped(request: Request) -> Response:
        try:
            return await fn(request)
        except ApiError as exc:
            return exc.response()
        except OrdinanceError as exc:
            return from_ordinance_error(exc).response()

    wrapped.__name__ = fn.__name__
    wrapped.__doc__ = fn.__doc__
    return wrapped


def service(request: Request):
    return request.app.state.service


# -- abandoned work ------------------------------------------------------------------------------------

class Abandoned(Exception):
    """Raised in a worker thread at a :func:`checkpoint` once its request has been answered 503."""


_current = threading.local()


def checkpoint() -> None:
    """In the engine's work for a request: stop here (:class:`Abandoned`) if the request was abandoned."""
    event = getattr(_current, "abandoned", None)
    if event is not None and event.is_set():
        raise Abandoned()

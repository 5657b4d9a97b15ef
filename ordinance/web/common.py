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
from ..messages import accept_lang, msg
from .problems import ApiError, from_ordinance_error, language_headers

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
        raise ApiError("invalid-case", msg("web.not-unicode"),
                       [Problem("encoding", msg("web.lone-surrogate", code=f"U+{ord(exc.object[exc.start]):04X}"),
                                None, msg("case.hint.lone-surrogate"))],
                       problem_code="encoding") from None


def raw_json_response(body: bytes) -> Response:
    return Response(body, media_type=JSON_TYPE)


def request_lang(request: Request) -> str:
    """The language the request asks for (``en`` or ``zh``), from its ``Accept-Language``."""
    return accept_lang(request.headers.get("accept-language"))


def localized(response: Response, lang: str) -> Response:
    """``response``, saying that its words are in ``lang`` (chosen by the request's Accept-Language)."""
    response.headers.update(language_headers(lang))
    return response


def handler(fn: Callable[[Request], Any]) -> Callable[[Request], Any]:
    """Turns :class:`ApiError` and engine errors raised by ``fn`` into problem+json responses, in
    the language of the request (:func:`request_lang`); every answer varies by Accept-Language."""

    async def wrapped(request: Request) -> Response:
        lang = request_lang(request)
        try:
            response = await fn(request)
        except ApiError as exc:
            return exc.response(lang)
        except OrdinanceError as exc:
            return from_ordinance_error(exc).response(lang)
        if "vary" not in response.headers:
            response.headers["Vary"] = "Accept-Language"
        return response

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

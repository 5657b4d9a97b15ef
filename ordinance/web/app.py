"""The application factory of ``ordinance serve``.

:func:`create_app` loads the policies once (each directory is one policy, chosen by its id in a
request; the first is the default), and returns a Starlette application with:

- the routes of :mod:`ordinance.web.api`, ``/openapi.json`` and the static page (``/`` and
  ``/static/...``, from ``ordinance/web/static/``: no directory listing, no path outside it);
- a request body limit (``max_body_bytes``): a larger ``Content-Length`` is refused before
  the body is read, and a body sent in chunks is counted as it arrives; both give 413;
- a time limit per request (``time_limit_seconds``): the engine's work runs in a worker
  thread, and a request not done in time is answered 503 (the thread is abandoned; the
  engine's input limits bound how long it can run on);
- security headers on every response (a strict Content-Security-Policy, ``nosniff``,
  ``no-referrer``), and errors as ``application/problem+json`` — never a traceback.

``ordinance serve --workers N`` runs several processes; each builds its app from
:data:`ENV_SETTINGS` with :func:`app_from_env` (uvicorn's factory mode).
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import json
import logging
import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import Location, PolicyError, Problem
from ..limits import DEFAULT_LIMITS, Limits
from ..policy import Policy, bundled_policy_dir, load_policy
from . import api, openapi
from .common import CSP, REPORT_CSP  # noqa: F401 (REPORT_CSP: still importable from here)
from .problems import ApiError

log = logging.getLogger("ordinance.web")

STATIC_DIR = Path(__file__).resolve().parent / "static"
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_TIME_LIMIT = 10.0
#: the environment variable carrying :class:`Settings` to uvicorn's worker processes
ENV_SETTINGS = "ORDINANCE_SERVE_SETTINGS"

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)


@dataclass(frozen=True)
class Settings:
    """What a server process needs to build its app (passed to workers as JSON in the environment)."""

    policies: tuple[str, ...] = ()  # policy directories; empty: the bundled policy
    limits: Limits = DEFAULT_LIMITS
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    time_limit_seconds: float = DEFAULT_TIME_LIMIT

    def to_json(self) -> str:
        return json.dumps({"policies": list(self.policies), "limits": dataclasses.asdict(self.limits),
                           "max_body_bytes": self.max_body_bytes, "time_limit_seconds": self.time_limit_seconds})

    @classmethod
    def from_json(cls, text: str) -> "Settings":
        data = json.loads(text)
        return cls(tuple(data.get("policies") or ()), Limits(**(data.get("limits") or {})),
                   int(data.get("max_body_bytes") or DEFAULT_MAX_BODY_BYTES),
                   float(data.get("time_limit_seconds") or DEFAULT_TIME_LIMIT))


@dataclass
class PolicyEntry:
    """One served policy: the compiled policy, its directory, and responses computed once."""

    id: str
    directory: Path
    policy: Policy
    cache: dict[str, Any] = field(default_factory=dict)

    def cached(self, key: str, make: Callable[[], Any]) -> Any:
        value = self.cache.get(key)
        if value is None:
            value = self.cache[key] = make()
        return value


def load_policies(directories: Sequence[str | os.PathLike[str] | Policy] | None,
                  limits: Limits = DEFAULT_LIMITS) -> list[PolicyEntry]:
    """Load each directory as one policy (files named relative to it); raise PolicyError with
    every problem of every directory, or when two directories hold the same policy id."""
    items = list(directories or []) or [bundled_policy_dir()]
    problems: list[Problem] = []
    sources: dict[str, str] = {}
    entries: list[PolicyEntry] = []
    for item in items:
        if isinstance(item, Policy):
            policy = item
        else:
            try:
                policy = load_policy(item, limits=limits, display_root="")
            except PolicyError as exc:
                # the files are named relative to their directory: name the directory too
                for p in exc.problems:
                    loc = p.location
                    if loc is not None:
                        loc = dataclasses.replace(loc, file=str(Path(item) / loc.file))
                    problems.append(dataclasses.replace(p, location=loc))
                sources.update({str(Path(item) / k): v for k, v in exc.sources.items()})
                continue
        directory = Path(policy.policies[0].directory)
        if any(e.id == policy.id for e in entries):
            problems.append(Problem("duplicate-policy", f"two policy directories hold the policy `{policy.id}`",
                                    Location(str(Path(directory) / "policy.yaml"), 1, 1),
                                    "serve each policy once; give a policy a new id to serve both versions"))
            continue
        entries.append(PolicyEntry(policy.id, directory, policy))
    if problems:
        raise PolicyError(problems, sources)
    return entries


class Service:
    """The state shared by the handlers: the policies, the limits, the overlay cache."""

    def __init__(self, entries: list[PolicyEntry], limits: Limits, max_body_bytes: int, time_limit_seconds: float):
        self.entries: dict[str, PolicyEntry] = {e.id: e for e in entries}
        self.default = entries[0]
        self.limits = limits
        self.max_body_bytes = max_body_bytes
        self.time_limit = time_limit_seconds
        #: the worker threads of the engine's work (an abandoned request's thread runs on to its end)
        self.executor = ThreadPoolExecutor(max(4, min(32, (os.cpu_count() or 1) * 4)), "ordinance-web")
        self._overlays: OrderedDict[tuple[Any, ...], Policy | PolicyError] = OrderedDict()
        self._overlay_lock = threading.Lock()
        self._cache: dict[str, Any] = {}

    def cached(self, key: str, make: Callable[[], Any]) -> Any:
        """A value computed once per process (a response body of data that never changes)."""
        value = self._cache.get(key)
        if value is None:
            value = self._cache[key] = make()
        return value

    # -- policies --------------------------------------------------------------------------------
    def entry(self, policy_id: str | None, where: str = "policy") -> PolicyEntry:
        if policy_id is None:
            return self.default
        entry = self.entries.get(policy_id)
        if entry is None:
            from ..errors import did_you_mean

            hint = did_you_mean(policy_id, self.entries) or f"the policies served are {', '.join(self.entries)}"
            raise ApiError("unknown-policy", f"no policy `{policy_id}` is served",
                           [Problem("unknown-policy", f"no policy `{policy_id}` is served", None, hint, where)])
        return entry

    def overlay(self, entry: PolicyEntry, files: Mapping[str, str], extra: tuple[Path, ...] = ()) -> Policy:
        """``entry``'s policy with ``files`` overlaid (and ``extra`` directories loaded beside it);
        raises PolicyError.  The last few results are kept: a drafter checks the same text again."""
        if not files and not extra:
            return entry.policy
        key = (entry.id, tuple(sorted(files.items())), extra)
        with self._overlay_lock:
            hit = self._overlays.get(key)
            if hit is not None:
                self._overlays.move_to_end(key)
        if hit is None:
            try:
                hit = load_policy([entry.directory, *extra], limits=self.limits, overrides=dict(files),
                                  display_root="")
            except PolicyError as exc:
                hit = exc
            with self._overlay_lock:
                self._overlays[key] = hit
                while len(self._overlays) > 8:
                    self._overlays.popitem(last=False)
        if isinstance(hit, PolicyError):
            raise hit
        return hit

    # -- work ------------------------------------------------------------------------------------
    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` in a worker thread, within the time limit (503 after it)."""
        try:
            async with asyncio.timeout(self.time_limit):
                return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)
        except TimeoutError:
            raise ApiError("time-limit", f"the request was not done within the time limit of "
                           f"{self.time_limit:g} s; it was abandoned", headers={"Retry-After": "1"}) from None


class SecurityHeaders:
    """ASGI middleware: the security headers on every HTTP response (a response that sets its own
    Content-Security-Policy, the downloaded report, keeps it)."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {k.lower() for k, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        err = ApiError("not-found", f"nothing at {request.url.path}")
    elif exc.status_code == 405:
        err = ApiError("method-not-allowed", f"{request.method} is not allowed on {request.url.path}",
                       headers=exc.headers or {})
    else:
        err = ApiError("bad-request", str(exc.detail), status=exc.status_code, title=str(exc.detail))
    return err.response()


async def _internal_error(request: Request, exc: Exception) -> Response:
    log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    response = ApiError("internal", "the server failed on this request; it has been logged").response()
    response.headers.update({k.decode(): v.decode() for k, v in SECURITY_HEADERS})
    return response


#: the media types of the page's files, whatever the platform's mimetypes table says
_MEDIA_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                ".mjs": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
                ".json": "application/json", ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon",
                ".woff2": "font/woff2", ".txt": "text/plain; charset=utf-8"}


class _StaticFiles(StaticFiles):
    """The page's files: fixed media types, revalidated on every load (ETag), nothing but files under
    ``static/`` (Starlette refuses paths outside it and lists no directory)."""

    def file_response(self, full_path: Any, stat_result: os.stat_result, scope: Any,
                      status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        media = _MEDIA_TYPES.get(Path(str(full_path)).suffix.lower())
        if media is not None:
            response.headers["content-type"] = media
        response.headers["cache-control"] = "no-cache"
        return response


async def _index(request: Request) -> Response:
    index = STATIC_DIR / "index.html"
    if not index.is_file():
        raise ApiError("not-found", "the web page is not installed")
    return FileResponse(index, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-cache"})


def create_app(policies: Sequence[str | os.PathLike[str] | Policy] | None = None, *,
               limits: Limits = DEFAULT_LIMITS, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
               time_limit_seconds: float = DEFAULT_TIME_LIMIT) -> Starlette:
    """The ASGI application serving ``policies`` (directories or loaded policies; default: the
    bundled policy).  Raises PolicyError when a policy does not load."""
    if max_body_bytes < 1 or time_limit_seconds <= 0:
        raise ValueError("max_body_bytes and time_limit_seconds must be positive")
    service = Service(load_policies(policies, limits), limits, max_body_bytes, time_limit_seconds)
    routes = [
        Route("/", _index, methods=["GET"]),
        Route("/healthz", api.healthz, methods=["GET"]),
        Route("/openapi.json", openapi.openapi_route, methods=["GET"]),
        Route("/v1/policies", api.list_policies, methods=["GET"]),
        Route("/v1/policies/{id}", api.policy_detail, methods=["GET"]),
        Route("/v1/schema/case", api.case_schema, methods=["GET"]),
        Route("/v1/decide", api.decide, methods=["POST"]),
        Route("/v1/explain", api.explain, methods=["POST"]),
        Route("/v1/check", api.check, methods=["POST"]),
        Route("/v1/try", api.try_policy, methods=["POST"]),
        Route("/v1/compare", api.compare, methods=["POST"]),
        Mount("/static", app=_StaticFiles(directory=STATIC_DIR, check_dir=False, follow_symlink=False),
              name="static"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)],
                    exception_handlers={HTTPException: _http_error, Exception: _internal_error})
    app.state.service = service
    return app


def settle() -> None:
    """Once the policies are loaded in a server process: rule text sent to /v1/check is the clients',
    not to be remembered on disk (the validation cache is turned off), and the loaded objects are
    moved out of the garbage collector's sight (``gc.freeze``), so that its full collections do not
    walk the compiled policies between two requests (they made the slowest answers slower)."""
    os.environ["ORDINANCE_CACHE"] = "off"
    gc.collect()
    gc.freeze()


def app_from_env() -> Starlette:
    """The app of one uvicorn worker, built from :data:`ENV_SETTINGS` (uvicorn's ``--factory``)."""
    settings = Settings.from_json(os.environ.get(ENV_SETTINGS) or "{}")
    app = create_app(settings.policies, limits=settings.limits, max_body_bytes=settings.max_body_bytes,
                     time_limit_seconds=settings.time_limit_seconds)
    settle()
    return app


# -- uvicorn's HTTP protocol, with TCP_NODELAY ----------------------------------------------------------
# With --workers, uvicorn binds the listening socket itself with protocol number 0, and asyncio then
# leaves Nagle's algorithm on for the connections (it sets TCP_NODELAY only on sockets whose protocol
# is IPPROTO_TCP).  A response written in two parts (head, body) then waits for the client's delayed
# ACK: 40 ms per request on Linux.  These subclasses set TCP_NODELAY on every connection.
# (The numbers are IPPROTO_TCP, the IANA protocol number, and TCP_NODELAY, the same on Linux, the
# BSDs, macOS and Windows: the package does not import the socket module, tests/test_hostile.py.)
_IPPROTO_TCP = 6
_TCP_NODELAY = 1


def _no_delay(transport: Any) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(_IPPROTO_TCP, _TCP_NODELAY, 1)
        except (OSError, AttributeError):  # not a TCP socket (a Unix socket)
            pass


try:
    from uvicorn.protocols.http.h11_impl import H11Protocol as _H11Protocol

    class NoDelayH11Protocol(_H11Protocol):
        def connection_made(self, transport: Any) -> None:  # type: ignore[override]
            _no_delay(transport)
            super().connection_made(transport)
except ImportError:  # pragma: no cover - uvicorn is a dependency
    pass

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _HttpToolsProtocol

    class NoDelayHttpToolsProtocol(_HttpToolsProtocol):
        def connection_made(self, transport: Any) -> None:  # type: ignore[override]
            _no_delay(transport)
            super().connection_made(transport)

    HTTP_PROTOCOL = "ordinance.web.app:NoDelayHttpToolsProtocol"
except ImportError:  # httptools is optional: uvicorn's pure-Python h11 protocol
    HTTP_PROTOCOL = "ordinance.web.app:NoDelayH11Protocol"


def iter_routes(app: Starlette) -> Iterable[tuple[str, list[str]]]:
    """(path, methods) of every route of ``app`` (the OpenAPI test reads it)."""
    for route in app.routes:
        if isinstance(route, Route):
            yield route.path, sorted(m for m in (route.methods or ()) if m != "HEAD")
        elif isinstance(route, Mount):
            yield route.path + "/{path}", ["GET"]

"""The application factory of ``ordinance serve``.

:func:`create_app` loads the policies once (each directory is one policy, chosen by its id in a
request; the first is the default), and returns a Starlette application with:

- the routes of :mod:`ordinance.web.api`, ``/openapi.json`` and the static page (``/`` and
  ``/static/...``, from ``ordinance/web/static/``: no directory listing, no path outside it);
- a request body limit (``max_body_bytes``): a larger ``Content-Length`` is refused before
  the body is read, and a body sent in chunks is counted as it arrives; both give 413;
- a deadline for reading the body (``body_timeout_seconds``: 408 after it), and a bound on the
  claims of a traced decision (``max_traced_claims``: 413 before any work);
- a time limit per request (``time_limit_seconds``): the engine's work runs in a worker
  thread, and a request not done in time is answered 503; work not yet started is then not
  started, and a running one stops at its next checkpoint (between evaluation and rendering,
  between two tests of ``/v1/try``);
- security headers on every response (a strict Content-Security-Policy, ``nosniff``,
  ``no-referrer``), and errors as ``application/problem+json`` — never a traceback.

``ordinance serve --workers N`` runs several processes; each builds its app from
:data:`ENV_SETTINGS` with :func:`app_from_env` (uvicorn's factory mode).
"""

from __future__ import annotations

import asyncio
import dataclasses
import errno
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
from ..messages import LANG_TAGS, Text, accept_lang, join, msg
from ..limits import DEFAULT_LIMITS, MAX_TRACED_CLAIMS, Limits
from ..policy import Policy, bundled_policy_dir, load_policy
from . import api, openapi
from .common import CSP, REPORT_CSP, Abandoned, _current  # noqa: F401 (REPORT_CSP: still importable from here)
from .common import request_lang
from .problems import ApiError

log = logging.getLogger("ordinance.web")

STATIC_DIR = Path(__file__).resolve().parent / "static"
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_TIME_LIMIT = 10.0
#: seconds for a request's head to arrive (from the connection, or from its first byte after a response)
DEFAULT_HEADER_TIMEOUT = 10.0
#: seconds for a request's body to arrive, once its head has
DEFAULT_BODY_TIMEOUT = 30.0
#: connections open at once (per server process); one more is answered 503 and closed at once
DEFAULT_MAX_CONNECTIONS = 256
#: claims of a case decided with its trace (the trace and the HTML report grow with them)
DEFAULT_MAX_TRACED_CLAIMS = MAX_TRACED_CLAIMS
#: the largest request head (request line and headers), bytes: h11's limit
MAX_HEADER_BYTES = 16 * 1024
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
    header_timeout_seconds: float = DEFAULT_HEADER_TIMEOUT
    body_timeout_seconds: float = DEFAULT_BODY_TIMEOUT
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    max_traced_claims: int = DEFAULT_MAX_TRACED_CLAIMS

    def to_json(self) -> str:
        data = dataclasses.asdict(self)
        data["policies"] = list(self.policies)
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> "Settings":
        data = json.loads(text)
        defaults = cls()
        return cls(tuple(data.get("policies") or ()), Limits(**(data.get("limits") or {})),
                   *(type(getattr(defaults, f.name))(data.get(f.name) or getattr(defaults, f.name))
                     for f in dataclasses.fields(cls)[2:]))


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
            problems.append(Problem("duplicate-policy", msg("web.duplicate-policy", policy=policy.id),
                                    Location(str(Path(directory) / "policy.yaml"), 1, 1),
                                    msg("web.hint.duplicate-policy")))
            continue
        entries.append(PolicyEntry(policy.id, directory, policy))
    if problems:
        raise PolicyError(problems, sources)
    return entries


class Service:
    """The state shared by the handlers: the policies, the limits, the overlay cache."""

    def __init__(self, entries: list[PolicyEntry], limits: Limits, max_body_bytes: int, time_limit_seconds: float,
                 body_timeout_seconds: float = DEFAULT_BODY_TIMEOUT,
                 max_traced_claims: int = DEFAULT_MAX_TRACED_CLAIMS):
        self.entries: dict[str, PolicyEntry] = {e.id: e for e in entries}
        self.default = entries[0]
        self.limits = limits
        self.max_body_bytes = max_body_bytes
        self.time_limit = time_limit_seconds
        self.body_timeout = body_timeout_seconds
        self.max_traced_claims = max_traced_claims
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

            hint = did_you_mean(policy_id, self.entries) or msg("web.hint.policies-served", policies=join(self.entries))
            said = msg("web.unknown-policy", policy=policy_id)
            raise ApiError("unknown-policy", said, [Problem("unknown-policy", said, None, hint, where)])
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
        """``fn(*args)`` in a worker thread, within the time limit (503 after it).  Once the request
        is abandoned, the work is not started if it has not been, and a running one stops at its
        next :func:`checkpoint`."""
        abandoned = threading.Event()

        def call() -> Any:
            if abandoned.is_set():
                raise Abandoned()
            _current.abandoned = abandoned
            try:
                return fn(*args)
            finally:
                _current.abandoned = None

        try:
            async with asyncio.timeout(self.time_limit):
                return await asyncio.get_running_loop().run_in_executor(self.executor, call)
        except TimeoutError:
            abandoned.set()
            raise ApiError("time-limit", msg("web.time-limit", seconds=f"{self.time_limit:g}"),
                           headers={"Retry-After": "1"}) from None
        except BaseException:
            abandoned.set()  # the request was cancelled (its client went away): so is its work
            raise


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
        err = ApiError("not-found", msg("web.nothing-at", path=request.url.path))
    elif exc.status_code == 405:
        err = ApiError("method-not-allowed", msg("web.method-not-allowed", method=request.method,
                                                 path=request.url.path), headers=exc.headers or {})
    else:  # Starlette's own words for another status: echoed as they are
        said = msg("web.http-said", said=str(exc.detail))
        err = ApiError("bad-request", said, status=exc.status_code, title=said)
    return err.response(request_lang(request))


async def _internal_error(request: Request, exc: Exception) -> Response:
    log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    response = ApiError("internal", msg("web.internal")).response(request_lang(request))
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
    if not index.is_file():  # answered here: a route without the API's handler would turn a raised ApiError into a 500
        return ApiError("not-found", msg("web.page-not-installed")).response(request_lang(request))
    return FileResponse(index, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-cache"})


def create_app(policies: Sequence[str | os.PathLike[str] | Policy] | None = None, *,
               limits: Limits = DEFAULT_LIMITS, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
               time_limit_seconds: float = DEFAULT_TIME_LIMIT, body_timeout_seconds: float = DEFAULT_BODY_TIMEOUT,
               max_traced_claims: int = DEFAULT_MAX_TRACED_CLAIMS) -> Starlette:
    """The ASGI application serving ``policies`` (directories or loaded policies; default: the
    bundled policy).  Raises PolicyError when a policy does not load."""
    if max_body_bytes < 1 or time_limit_seconds <= 0 or body_timeout_seconds <= 0 or max_traced_claims < 1:
        raise ValueError("max_body_bytes, time_limit_seconds, body_timeout_seconds and max_traced_claims "
                         "must be positive")
    service = Service(load_policies(policies, limits), limits, max_body_bytes, time_limit_seconds,
                      body_timeout_seconds, max_traced_claims)
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
                     time_limit_seconds=settings.time_limit_seconds,
                     body_timeout_seconds=settings.body_timeout_seconds,
                     max_traced_claims=settings.max_traced_claims)
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
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol as _H11Protocol

    class NoDelayH11Protocol(_H11Protocol):
        def connection_made(self, transport: Any) -> None:  # type: ignore[override]
            _no_delay(transport)
            super().connection_made(transport)

    class GuardedH11Protocol(NoDelayH11Protocol):
        """uvicorn's h11 protocol with the guards of a server facing untrusted clients (docs/security.md
        4b), from the :class:`Settings` of the process (:data:`ENV_SETTINGS`):

        - a head deadline: a request's head (request line and headers) must arrive within
          ``header_timeout_seconds`` of the connection, or of its first byte after a response:
          else 408 and the connection is closed (a silent connection, a client sending a byte a
          second);
        - a body deadline: the body must arrive within ``body_timeout_seconds`` of the head (the app
          answers 408 at that deadline when it reads the body; this closes the connection a little
          later in any case, a body the app does not read included);
        - at most ``max_connections`` connections at once: one more is answered 503 and closed at once;
        - malformed framing answered 400 as ``application/problem+json`` with the security headers,
          not uvicorn's plain text.
        """

        _deadline: Any = None
        _phase: str | None = None

        def connection_made(self, transport: Any) -> None:  # type: ignore[override]
            super().connection_made(transport)
            settings = server_settings()
            if len(self.connections) > settings.max_connections:
                _limited_log.warning("connection refused: %d connections are open, the limit is %d",
                                     len(self.connections) - 1, settings.max_connections)
                self._refuse(503, "too-many-connections",
                             msg("framing.http.too-many-connections", most=settings.max_connections), retry=True)
                return
            self._arm("head", settings.header_timeout_seconds)

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.transport.is_closing():
                return
            state = self.conn.their_state
            if state is h11.SEND_BODY:
                if self._phase != "body":
                    self._arm("body", server_settings().body_timeout_seconds + 2)
            elif state is h11.IDLE:
                if self._phase != "head":
                    self._arm("head", server_settings().header_timeout_seconds)
            else:  # the request is whole (or the connection is ending)
                self._disarm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def send_400_response(self, said: str) -> None:  # malformed framing (h11 refused the bytes)
            self._disarm()  # uvicorn has logged it (rate-limited: log_config)
            self._refuse(400, "bad-request", msg("framing.http.bad-request"))

        def _arm(self, phase: str, seconds: float) -> None:
            self._disarm()
            self._phase = phase
            self._deadline = self.loop.call_later(seconds, self._expired, phase)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
            self._deadline = None
            self._phase = None

        def _expired(self, phase: str) -> None:
            self._deadline = None
            self._phase = None
            if self.transport.is_closing():
                return
            _limited_log.warning("request %s not received in time: connection closed", phase)
            if phase == "head" and self.conn.our_state is h11.IDLE:
                self._refuse(408, "request-timeout", msg("framing.http.head-timeout",
                                                         seconds=f"{server_settings().header_timeout_seconds:g}"))
            else:
                if self.cycle is not None:
                    self.cycle.disconnected = True
                    self.cycle.message_event.set()
                self.transport.close()

        def _head_lang(self) -> str | None:
            """The language the request being read asks for (its Accept-Language), or None when no
            request head has been read (none yet, or the last one answered)."""
            cycle = self.cycle
            if cycle is None or cycle.response_complete:
                return None
            said = [v for k, v in cycle.scope["headers"] if k == b"accept-language"]
            return accept_lang(said[0].decode("latin-1") if said else None)

        def _refuse(self, status: int, code: str, detail: Text, retry: bool = False) -> None:
            """Answer with a problem (written directly: h11 has no request to answer) and close.  In
            the language of the request's Accept-Language when its head was read; before it, in
            English with the Chinese beside (``title_zh``, ``detail_zh``; Content-Language says both)."""
            from .problems import API_CODES, TYPE_BASE

            title = API_CODES.get(code, (status, msg("web.title.bad-request")))[1]
            lang = self._head_lang()
            problem: dict[str, Any] = {"type": TYPE_BASE + code, "title": title.in_lang(lang or "en"),
                                       "status": status, "detail": detail.in_lang(lang or "en"), "code": code,
                                       "problems": []}
            if lang is None:
                problem.update(title_zh=title.in_lang("zh"), detail_zh=detail.in_lang("zh"))
                language = [b"content-language: en, zh-Hant"]
            else:
                language = [b"content-language: " + LANG_TAGS[lang].encode(), b"vary: Accept-Language"]
            body = json.dumps(problem, ensure_ascii=False, separators=(",", ":")).encode()
            reason = {400: b"Bad Request", 408: b"Request Timeout", 503: b"Service Unavailable"}[status]
            head = [b"HTTP/1.1 %d %s" % (status, reason), b"content-type: application/problem+json",
                    b"content-length: %d" % len(body), *language, b"connection: close"]
            head += [k + b": " + v for k, v in SECURITY_HEADERS]
            if retry:
                head.append(b"retry-after: 1")
            try:
                self.transport.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
            finally:
                self.transport.close()

    HTTP_PROTOCOL = "ordinance.web.app:GuardedH11Protocol"
except ImportError:  # pragma: no cover - uvicorn is a dependency
    HTTP_PROTOCOL = "h11"


_SERVER_SETTINGS: list[Settings] = []


def server_settings() -> Settings:
    """The :class:`Settings` of this server process (from :data:`ENV_SETTINGS`; read once)."""
    if not _SERVER_SETTINGS:
        _SERVER_SETTINGS.append(Settings.from_json(os.environ.get(ENV_SETTINGS) or "{}"))
    return _SERVER_SETTINGS[0]


# -- logging, rate-limited -------------------------------------------------------------------------------

class LogRateLimit(logging.Filter):
    """At most ``burst`` records of one message (its logger and format string) per ``period``
    seconds; then one line saying how many were dropped, when the next one of them passes.  A
    flood of hostile requests cannot fill the log: each kind of complaint gets a few lines a minute."""

    def __init__(self, burst: int = 10, period: float = 60.0):
        super().__init__()
        self.burst, self.period = burst, period
        self._seen: dict[tuple[str, Any], list[float]] = {}  # key -> [window start, count, dropped]
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        import time

        key = (record.name, record.msg if isinstance(record.msg, str) else type(record.msg).__name__)
        now = time.monotonic()
        with self._lock:
            entry = self._seen.get(key)
            if entry is None or now - entry[0] >= self.period:
                if len(self._seen) > 1000:
                    self._seen.clear()
                dropped = int(entry[2]) if entry is not None else 0
                self._seen[key] = [now, 1, 0]
                if dropped:
                    record.msg = f"{record.msg} (and {dropped} more like it in the last {self.period:g} s, not logged)"
                return True
            if entry[1] < self.burst:
                entry[1] += 1
                return True
            entry[2] += 1
            return False


class OutOfDescriptors(logging.Filter):
    """asyncio's complaint that accept() found no file descriptor (EMFILE, ENFILE) as one line
    saying what to do, not a traceback: an operating condition of a flood, not a bug."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, OSError) and exc.errno in (errno.EMFILE, errno.ENFILE):
            record.msg, record.args = ("cannot accept a connection: %s (raise `ulimit -n`, or lower "
                                       "--max-connections)", (exc.strerror,))
            record.exc_info, record.exc_text = None, None
        return True


#: the logger of the connection guards (its records go through the rate limit too)
_limited_log = logging.getLogger("ordinance.web.server")


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with :class:`LogRateLimit` on its error log and on the app's."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["rate"] = {"()": "ordinance.web.app.LogRateLimit"}
    config["filters"]["descriptors"] = {"()": "ordinance.web.app.OutOfDescriptors"}
    config["handlers"]["default"].setdefault("filters", []).append("rate")
    config["loggers"]["ordinance.web"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    # asyncio's own complaints (an accept() failing for want of file descriptors, once per try)
    # went to Python's last-resort handler: thousands of tracebacks in a flood
    config["loggers"]["asyncio"] = {"handlers": ["default"], "level": "WARNING", "propagate": False,
                                    "filters": ["descriptors"]}
    return config


def raise_open_file_limit(wanted: int) -> str | None:
    """Raise the soft limit on open files towards ``wanted`` (up to the hard limit); a note when
    even the hard limit is below it (a flood could then exhaust the descriptors), else None."""
    try:
        import resource
    except ImportError:  # not on this platform
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft != resource.RLIM_INFINITY and soft < wanted:
        return (f"the process may open {soft} files, fewer than the {wanted} that --max-connections wants "
                "(a connection, and its refusal, each hold one): raise `ulimit -n` or lower --max-connections")
    return None


def iter_routes(app: Starlette) -> Iterable[tuple[str, list[str]]]:
    """(path, methods) of every route of ``app`` (the OpenAPI test reads it)."""
    for route in app.routes:
        if isinstance(route, Route):
            yield route.path, sorted(m for m in (route.methods or ()) if m != "HEAD")
        elif isinstance(route, Mount):
            yield route.path + "/{path}", ["GET"]

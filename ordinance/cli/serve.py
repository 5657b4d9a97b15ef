"""``ordinance serve``: the HTTP API and the web workbench on uvicorn.

The policies are loaded (and checked) once, before the server starts: a broken policy stops
start-up with its located problems and exit status 1, like every other command.  Each
``--policy`` directory is one policy, chosen in a request by its id (the first is the default).
With ``--workers N`` uvicorn runs N processes; each builds the app from the settings passed
in the environment (:data:`ordinance.web.app.ENV_SETTINGS`).  Starlette and uvicorn are
imported only here, when the command runs.
"""

from __future__ import annotations

import errno

import os
from pathlib import Path

import click

from ..messages import msg, said_os_error
from .common import BYTES, command_limits


@click.command("serve", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--policy", "policies", multiple=True, type=click.Path(file_okay=False),
              help="A policy directory (default: the bundled Xiamen 2025 AI measures). Repeat to serve "
                   "several policies, each chosen in a request by its id (the first is the default).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on (0.0.0.0: every interface; mind who can reach it).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="The TCP port.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Server processes (each loads the policies; 2 on a 2-core machine).")
@click.option("--max-body-bytes", type=BYTES, default="1M", show_default=True, metavar="SIZE",
              help="The largest request body accepted (larger: 413).")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=10.0, show_default=True,
              metavar="SECONDS", help="The time one request may take (longer: 503).")
@click.option("--header-timeout", type=click.FloatRange(min=0, min_open=True), default=10.0, show_default=True,
              metavar="SECONDS", help="The time a request's head may take to arrive (longer: 408, closed).")
@click.option("--body-timeout", type=click.FloatRange(min=0, min_open=True), default=30.0, show_default=True,
              metavar="SECONDS", help="The time a request's body may take to arrive (longer: 408, closed).")
@click.option("--max-connections", type=click.IntRange(min=1), default=256, show_default=True,
              help="Connections open at once, per worker (one more: 503, closed).")
@click.option("--max-traced-claims", type=click.IntRange(min=1), default=500, show_default=True,
              help="The most claims a case decided with its trace (or as an HTML report) may have (more: 413).")
@click.option("--access-log/--no-access-log", default=False, show_default=True,
              help="Log every request to stderr.")
def serve_command(policies: tuple[str, ...], host: str, port: int, workers: int, max_body_bytes: int,
                  time_limit: float, header_timeout: float, body_timeout: float, max_connections: int,
                  max_traced_claims: int, access_log: bool) -> None:
    """Serve the HTTP API and the web workbench (docs/api.md, docs/web.md).

    Open http://127.0.0.1:8000/ for the page; the API is under /v1/ and described by
    /openapi.json.  The global --max-... options bound what every request may hold.
    Stop with Ctrl-C.

    \b
    Examples:
      ordinance serve
      ordinance serve --policy policy/xiamen-ai-2025 --port 8080 --workers 2
      curl -s localhost:8000/v1/decide -H 'content-type: application/json' \\
           -d '{"case": {"claims": [{"id": "c1", "measure": "compute-voucher", "compute_spend": "100萬",
                "service_qualified": true, "date": "2025-06-01"}], "applicant": {"kind": "university"}}}'
    """
    from ..web.app import (ENV_SETTINGS, HTTP_PROTOCOL, MAX_HEADER_BYTES, Settings, create_app, load_policies,
                           log_config, raise_open_file_limit, settle)

    limits = command_limits()
    entries = load_policies(list(policies), limits)  # a PolicyError is reported like any command's
    import uvicorn

    settings = Settings(tuple(str(Path(p).resolve()) for p in policies), limits, max_body_bytes, time_limit,
                        header_timeout, body_timeout, max_connections, max_traced_claims)
    os.environ[ENV_SETTINGS] = settings.to_json()
    _check_port(host, port)
    # each connection and each over-the-cap refusal holds a descriptor, and asyncio keeps trying to
    # accept while there are none: ask for room for the cap, the backlog and the files a request reads
    note = raise_open_file_limit(4 * max_connections + BACKLOG + 256)
    if note:
        click.echo(f"ordinance: note: {note}", err=True)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"ordinance: serving {', '.join(e.id for e in entries)} at http://{shown}:{port}/ "
               f"({workers} worker{'s' if workers != 1 else ''}; Ctrl-C stops)", err=True)
    options = dict(host=host, port=port, http=HTTP_PROTOCOL, lifespan="off", access_log=access_log, server_header=False,
                   log_level="info" if access_log else "warning", log_config=log_config(),
                   # an idle connection between two requests is closed after 5 s; a request's head is at
                   # most 16 KiB (h11); the head and body deadlines and the connection cap are the
                   # protocol's (GuardedH11Protocol: uvicorn's limit_concurrency answers in plain text)
                   timeout_keep_alive=5, h11_max_incomplete_event_size=MAX_HEADER_BYTES, backlog=BACKLOG)
    if workers == 1:
        app = create_app([e.policy for e in entries], limits=limits, max_body_bytes=max_body_bytes,
                         time_limit_seconds=time_limit, body_timeout_seconds=body_timeout,
                         max_traced_claims=max_traced_claims)
        settle()
        uvicorn.run(app, **options)
    else:
        uvicorn.run("ordinance.web.app:app_from_env", factory=True, workers=workers, **options)


#: Connections the kernel queues before they are accepted (uvicorn's default is 2048).
BACKLOG = 128


def _check_port(host: str, port: int) -> None:
    """A usage error (exit 2) before "serving at ..." when the address cannot be listened on (a
    port in use, an address not of this machine): it was a bind error after the message, exit 3."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise click.BadParameter(msg("framing.cannot-listen", address=host, why=exc.strerror), param_hint="--host") from None
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # (as uvicorn binds)
        try:
            probe.bind(address)
        except OSError as exc:
            said = msg("framing.cannot-listen-in-use" if exc.errno == errno.EADDRINUSE else "framing.cannot-listen",
                       address=f"{host}:{port}", why=said_os_error(exc))
            raise click.BadParameter(said, param_hint="--port") from None

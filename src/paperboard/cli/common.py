"""Helpers every command shares: the context, JSON output, progress bars."""

from __future__ import annotations

import errno
import json
import socket
import sys
from datetime import date, datetime

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from paperboard.errors import UserError
from paperboard.services.context import AppContext, default_context
from paperboard.settings import Settings, get_settings

console = Console(stderr=True)
stdout = Console()


def context(migrate: bool = True) -> AppContext:
    """A command's context: its reads get the batch budget (``BATCH_READ_TIMEOUT_MS``)."""
    ctx = default_context(batch=True)
    if migrate:
        ctx.migrate()
    return ctx


def serving_context(host: str | None, port: int | None, *, migrate: bool = True) -> AppContext:
    """The context of a web server on ``--host``/``--port`` (each defaulting to its setting).

    The settings carry the address really served, so with BASE_URL empty every absolute link this
    process makes (canonical and og:url, feeds, the mails its jobs send) names it, not HOST:PORT.
    """
    given = {name: value for name, value in (("host", host), ("port", port)) if value is not None}
    ctx = AppContext(get_settings().model_copy(update=given))
    if migrate:
        ctx.migrate()
    if not ctx.settings.base_url and ctx.settings.host in ("0.0.0.0", "::"):
        console.print(
            f"[dim]paperboard[/] links in pages, feeds and mail will say {ctx.settings.resolved_base_url}: "
            "set PAPERBOARD_BASE_URL to the address people use", highlight=False, soft_wrap=True,
        )
    return ctx


def check_port_free(host: str, port: int) -> None:
    """UserError in one line when ``host:port`` cannot be listened on (most often: taken).

    Tried before a server says "serving" and before ``up`` starts its jobs: uvicorn would find out
    only once it binds, after the banner, and end the process with a traceback-free exit 1 or 3.
    The bind is made as uvicorn makes it (``SO_REUSEADDR``, which still refuses a port someone
    listens on), then let go; a program that takes the port in between still fails in uvicorn.
    """
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as error:
        raise UserError(f"cannot serve on {host}:{port}: the address does not resolve ({error.strerror})") from None
    with socket.socket(family, kind, protocol) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise UserError(
                    f"cannot serve on {host}:{port}: the port is taken (another paperboard or program listens there); "
                    "stop it, or choose another with --port"
                ) from None
            raise UserError(f"cannot serve on {host}:{port}: {error.strerror or error}") from None


def proxy_header_options(settings: Settings) -> dict:
    """uvicorn's options for ``X-Forwarded-For``/``-Proto``: believed only from FORWARDED_ALLOW_IPS.

    uvicorn's own default believes them from 127.0.0.1, so on a server reached on loopback (or
    through a proxy that passes a client's header along) a client picks the address each per-IP
    rate limit counts, a new one per request.
    """
    if not settings.forwarded_allow_ips:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": settings.forwarded_allow_ips}


def print_json(data) -> None:
    def default(value):
        if isinstance(value, (date, datetime)):
            return value.isoformat()
        raise TypeError(type(value).__name__)

    sys.stdout.write(json.dumps(data, default=default, indent=2, ensure_ascii=False) + "\n")


def progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )

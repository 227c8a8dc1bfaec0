"""``paperboard web``: serve the site (pages, JSON API, feeds) without the scheduled jobs.

The scale-out shape runs several of these behind a reverse proxy, beside ``paperboard worker``.
"""

from __future__ import annotations

import os

import typer

from paperboard.cli.app import app
from paperboard.cli.memory import limit_malloc_arenas
from paperboard.cli.common import check_port_free, console, proxy_header_options, serving_context


@app.command()
def web(
    host: str = typer.Option(None, help="Listen address (default: PAPERBOARD_HOST)."),
    port: int = typer.Option(None, min=1, max=65535, help="Listen port (default: PAPERBOARD_PORT)."),
    workers: int = typer.Option(1, min=1, max=64, help="Server processes sharing the port."),
) -> None:
    """Serve the site and its API (no harvesting; see `paperboard up` for everything in one)."""
    import uvicorn

    limit_malloc_arenas()  # before any thread starts: flat memory under load (cli/memory.py)

    ctx = serving_context(host, port)
    listen_host, listen_port = ctx.settings.host, ctx.settings.port
    check_port_free(listen_host, listen_port)
    console.print(f"[dim]paperboard[/] serving http://{listen_host}:{listen_port}  (Ctrl+C to stop)", highlight=False)
    if workers == 1:
        from paperboard.services.warmup import start_warm_up
        from paperboard.web.app import create_app

        start_warm_up(ctx.for_jobs(), lambda line: console.print(f"[dim]paperboard[/] {line}", highlight=False))
        uvicorn.run(
            create_app(ctx), host=listen_host, port=listen_port, log_level="warning", access_log=False,
            **proxy_header_options(ctx.settings),
        )
    else:
        # Each worker process builds its own app from the environment's settings: the address served
        # goes there too, so that the workers' links name it as this process's would. The proxy
        # options travel in uvicorn's config, which every worker process gets.
        os.environ["PAPERBOARD_HOST"], os.environ["PAPERBOARD_PORT"] = listen_host, str(listen_port)
        uvicorn.run(
            "paperboard.web.app:app_from_settings", factory=True, host=listen_host, port=listen_port,
            workers=workers, log_level="warning", access_log=False, **proxy_header_options(ctx.settings),
        )

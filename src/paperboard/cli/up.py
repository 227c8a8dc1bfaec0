"""``paperboard up`` (the embedded shape: everything in one process) and ``paperboard worker``."""

from __future__ import annotations

import logging
import signal
import threading

import typer

from paperboard.cli.app import app
from paperboard.cli.memory import limit_malloc_arenas
from paperboard.cli.common import check_port_free, console, context, proxy_header_options, serving_context
from paperboard.services.jobs import scheduled_jobs
from paperboard.services.scheduler import Scheduler
from paperboard.services.warmup import start_warm_up


def _say(line: str) -> None:
    console.print(f"[dim]paperboard[/] {line}", highlight=False, soft_wrap=True)


def _quiet_source_retries() -> None:
    """A long-running process reports each job's outcome in one line (an unreachable arXiv included);
    the retries inside a job are detail that would otherwise flood its console with one line each."""
    for name in ("paperboard.http", "paperboard.github"):
        logging.getLogger(name).setLevel(logging.ERROR)


@app.command()
def up(
    host: str = typer.Option(None, help="Listen address (default: PAPERBOARD_HOST)."),
    port: int = typer.Option(None, min=1, max=65535, help="Listen port (default: PAPERBOARD_PORT)."),
    no_harvest: bool = typer.Option(False, "--no-harvest", help="Serve only; do not harvest arXiv."),
) -> None:
    """Migrate the database, harvest arXiv on a schedule and serve the site."""
    import uvicorn

    limit_malloc_arenas()  # before any thread starts: flat memory under load (cli/memory.py)

    from paperboard.web.app import create_app

    ctx = serving_context(host, port, migrate=False)
    check_port_free(ctx.settings.host, ctx.settings.port)  # before migrating and starting jobs
    _quiet_source_retries()
    before, after = ctx.migrate()
    settings = ctx.settings
    _say(f"database {ctx.database.url.render_as_string(hide_password=True)} at revision {after}"
         + (f" (migrated from {before or 'empty'})" if before != after else ""))
    scheduler = Scheduler([j for j in scheduled_jobs(ctx.for_jobs()) if not (no_harvest and j.name == "harvest")], report=_say)
    if any(job.name == "harvest" for job in scheduler.jobs):
        _say(
            f"harvesting {', '.join(settings.harvest_categories)} every {settings.harvest_interval_minutes} min "
            f"(first run: last {settings.harvest_initial_days} days)"
        )
    else:
        _say("scheduled harvest is off")
    _say(f"keeping the search index current every {settings.index_interval_minutes} min (keyword index, embeddings)")
    start_warm_up(ctx.for_jobs(), _say)
    if scheduler.jobs:
        scheduler.start()
    listen_host, listen_port = settings.host, settings.port
    _say(f"serving http://{listen_host}:{listen_port}  (Ctrl+C to stop)")
    try:
        uvicorn.run(create_app(ctx), host=listen_host, port=listen_port, log_level="warning", **proxy_header_options(settings))
    finally:
        scheduler.stop()


@app.command()
def worker() -> None:
    """Run the scheduled jobs without a web server (the scale-out shape's worker process)."""
    ctx = context()
    scheduler = Scheduler(scheduled_jobs(ctx), report=_say)
    if not scheduler.jobs:
        _say("no scheduled jobs are enabled; nothing to do")
        raise typer.Exit(0)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    logging.basicConfig(level=logging.INFO)
    _quiet_source_retries()
    scheduler.start()
    _say(f"worker running {', '.join(job.name for job in scheduler.jobs)}")
    stop.wait()
    scheduler.stop()

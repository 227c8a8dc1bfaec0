"""Operations: ``/healthz`` for load balancers and ``/metrics`` for Prometheus."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from paperboard.services import feed

router = APIRouter(tags=["operations"])
log = logging.getLogger("paperboard.web")


@router.get("/healthz", summary="Whether the site can answer: the database must respond, and take writes")
async def healthz(request: Request):
    """200 when the database reads and takes writes; 503 otherwise, saying which. A database that
    reads but takes no writes (read-only, disk full) is 503 ``read-only`` with ``reads: ok``: pages
    still answer, every change answers 503 (a balancer that should keep serving reads can look at
    ``reads``)."""
    ctx = request.app.state.ctx
    headers = {"cache-control": "no-store"}
    try:
        papers = await run_in_threadpool(feed.health, ctx)
    except Exception as error:  # any database failure is what this route exists to report
        log.warning("health check failed: %r", error)
        return JSONResponse({"status": "unavailable", "database": "not answering", "reads": "failing"}, 503, headers)
    problem = await run_in_threadpool(ctx.database.write_problem)
    if problem is not None:
        body = {"status": "read-only", "database": "reads only", "reads": "ok", "writes": problem, "papers": papers}
        return JSONResponse(body, 503, headers | {"retry-after": "60"})
    return JSONResponse({"status": "ok", "database": "ok", "reads": "ok", "writes": "ok", "papers": papers}, headers=headers)


@router.get("/metrics", summary="Prometheus metrics")
async def metrics(request: Request):
    site = request.app.state.metrics
    site.cache_entries.set(len(request.app.state.cache))
    return Response(generate_latest(site.registry), media_type=CONTENT_TYPE_LATEST)

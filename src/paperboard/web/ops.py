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


@router.get("/healthz", summary="Whether the site can answer: the database must respond")
async def healthz(request: Request):
    try:
        papers = await run_in_threadpool(feed.health, request.app.state.ctx)
    except Exception as error:  # any database failure is what this route exists to report
        log.warning("health check failed: %r", error)
        return JSONResponse({"status": "unavailable", "database": "not answering"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok", "papers": papers}, headers={"cache-control": "no-store"})


@router.get("/metrics", summary="Prometheus metrics")
async def metrics(request: Request):
    site = request.app.state.metrics
    site.cache_entries.set(len(request.app.state.cache))
    return Response(generate_latest(site.registry), media_type=CONTENT_TYPE_LATEST)

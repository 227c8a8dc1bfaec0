"""The web application: pages, the huggingface_hub-compatible JSON API, feeds and operations routes.

``create_app(ctx)`` wires everything for one :class:`AppContext`. Middleware, outermost first:
security headers (``web/headers.py``, around the error pages too) → metrics (every request, by
route template) → CSRF token insertion → request body limits (``web/limits.py``) → page cache → FastAPI.
Errors become a 4xx page (HTML) or ``{"error": ...}`` (JSON under ``/api``), never a bare 500.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from paperboard import __version__
from paperboard.services import feed
from paperboard.services.context import AppContext, default_context
from paperboard.web import accounts, api, claims, collections, favicon, feeds, moderation, ops, pages, profiles, submissions, subscriptions
from paperboard.web import comments as comment_routes
from paperboard.web import votes as vote_routes
from paperboard.web.apidocs import install_api_docs
from paperboard.web.auth import SessionCookies, current_member
from paperboard.web.cache import CacheMiddleware, PageCache
from paperboard.web.errors import install_error_handlers
from paperboard.web.headers import wrap as wrap_in_security_headers
from paperboard.web.limits import BodyLimitMiddleware, BodyLimits
from paperboard.web.metrics import MetricsMiddleware, SiteMetrics
from paperboard.web.ondemand import OnDemandIndexer
from paperboard.web.rendering import make_templates
from paperboard.web.security import CsrfMiddleware, CsrfTokens, load_secret, require_csrf

_DESCRIPTION = """The JSON API of a paperboard site. The paths, parameters and field names of
`/api/daily_papers`, `/api/papers/search` and `/api/papers/{id}` follow the Hugging Face Papers API,
so `huggingface_hub.HfApi(endpoint=...)` works against this server (`list_daily_papers`,
`list_papers`, `paper_info`, `read_paper`)."""


def create_app(ctx: AppContext) -> FastAPI:
    app = FastAPI(
        title=ctx.settings.site_name,
        version=__version__,
        description=_DESCRIPTION,
        # The member is resolved for every route so that each page's header can greet them.
        dependencies=[Depends(require_csrf), Depends(current_member)],
        # Prometheus metrics (/metrics) are the observability of record; FastAPI's OpenTelemetry
        # hooks would cost a provider lookup on every request for nothing.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        # /docs and /redoc come from web/apidocs.py: the same pages with their assets served here.
        docs_url=None,
        redoc_url=None,
    )
    app.state.ctx = ctx
    # Absolute links come from the settings only, never from a request's Host header: pages are
    # cached and shared between visitors (here and in proxies in front), so one forged Host would
    # plant its links in everyone's page; feeds and mails outlive the request that made them. With
    # BASE_URL empty, `up` and `web` put the address they serve into the settings instead.
    app.state.base_url = ctx.settings.resolved_base_url
    app.state.site_name = ctx.settings.site_name
    app.state.templates = make_templates()
    app.state.csrf = CsrfTokens(load_secret(ctx.settings), secure=ctx.settings.resolved_base_url.startswith("https://"))
    app.state.sessions = SessionCookies(
        load_secret(ctx.settings),
        secure=ctx.settings.resolved_base_url.startswith("https://"),
        max_age_seconds=ctx.settings.session_days * 86400,
    )
    app.state.metrics = SiteMetrics()
    app.state.body_limits = BodyLimits(
        form_bytes=ctx.settings.web_max_form_bytes,
        api_bytes=ctx.settings.web_max_api_body_bytes,
        comment_chars=ctx.settings.comment_max_chars,
    )
    app.state.cache = PageCache(lambda: feed.data_version(ctx), check_seconds=ctx.settings.web_cache_seconds)
    app.state.metrics.watch_cache(app.state.cache)
    app.state.indexer = OnDemandIndexer(ctx, timeout_seconds=ctx.settings.on_demand_timeout_seconds)

    install_api_docs(app)  # mounts /static/api-docs, so before /static
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    app.include_router(ops.router)
    app.include_router(favicon.router)
    # Before the API's GET /api/papers/{id:path} and the pages' /papers/{id:path} catch-alls.
    app.include_router(vote_routes.router)
    app.include_router(comment_routes.router)
    app.include_router(api.router)
    # Feed URLs (/papers/feed.rss, /papers/trending/feed.atom) before the pages' /papers/{id} catch-all.
    app.include_router(feeds.router)
    app.include_router(subscriptions.router)
    app.include_router(accounts.router)
    # /papers/submit before the pages' /papers/{id} catch-all.
    for community in (submissions, collections, claims, moderation, profiles):
        app.include_router(community.router)
    app.include_router(pages.router)
    install_error_handlers(app)

    app.add_middleware(CacheMiddleware, cache=app.state.cache)
    # Inside CSRF, so its 413 page gets the visitor's token like any other page.
    app.add_middleware(BodyLimitMiddleware, limits=app.state.body_limits)
    app.add_middleware(CsrfMiddleware, tokens=app.state.csrf)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    # Outermost of all, around the 500 page too: CSP, frame and sniffing rules, HSTS under https.
    wrap_in_security_headers(app, https=ctx.settings.resolved_base_url.startswith("https://"))
    return app


def app_from_settings() -> FastAPI:
    """The app for the settings in the environment: the factory ``uvicorn --factory`` and workers use.
    Each worker prepares its search (model, indexes) on a thread as it starts."""
    import logging

    from paperboard.services.warmup import start_warm_up

    ctx = default_context()
    start_warm_up(ctx.for_jobs(), logging.getLogger("paperboard.warmup").info)
    return create_app(ctx)

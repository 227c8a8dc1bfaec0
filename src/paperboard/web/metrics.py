"""Prometheus metrics: requests and latency per route *template* (``/papers/{arxiv_id}``), so one
label value stands for every paper and the number of series stays small."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily

UNMATCHED = "(unmatched)"
# Any string can arrive as a method; only these become label values.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class SiteMetrics:
    def __init__(self) -> None:
        # One registry per app, so tests (and several apps in one process) never collide.
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "paperboard_http_requests", "HTTP requests answered.", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "paperboard_http_request_duration_seconds",
            "Time to answer an HTTP request.",
            ["route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        # labels() costs a lock and a tuple build; the few (method, route, status) children are kept.
        self._counters: dict[tuple[str, str, str], object] = {}
        self._histograms: dict[str, object] = {}
        self.cache_entries = Gauge("paperboard_page_cache_entries", "Pages held in the page cache.", registry=self.registry)

    def watch_cache(self, cache) -> None:
        """Report the page cache's hits and misses as counters (read at each scrape): what share of
        the anonymous traffic the cache answers is the first thing to ask of a busy site."""
        self.registry.register(_CacheCounters(cache))

    def record(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, str(status))
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = self.requests.labels(*key)
        histogram = self._histograms.get(route)
        if histogram is None:
            histogram = self._histograms[route] = self.latency.labels(route)
        counter.inc()
        histogram.observe(seconds)


class _CacheCounters:
    def __init__(self, cache) -> None:
        self.cache = cache

    def collect(self):
        yield CounterMetricFamily("paperboard_page_cache_hits", "Pages answered from the page cache.", value=self.cache.hits)
        yield CounterMetricFamily("paperboard_page_cache_misses", "Cacheable requests the page cache could not answer.",
                                  value=self.cache.misses)


class MetricsMiddleware:
    def __init__(self, app, metrics: SiteMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = scope.get("cached_route") or getattr(scope.get("route"), "path", None) or UNMATCHED
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            self.metrics.record(method, route, status, time.perf_counter() - started)

"""The page cache on its own: data-version invalidation, explicit invalidation, the byte budget."""

from __future__ import annotations

import anyio

from paperboard.web.cache import CachedResponse, PageCache


def _response(size: int) -> CachedResponse:
    return CachedResponse(200, [], b"x" * size, "/papers")


def test_a_new_data_version_empties_the_cache():
    version = {"value": 1}
    cache = PageCache(lambda: version["value"], check_seconds=0.000001)
    anyio.run(cache.refresh)
    cache.put(("/papers", b"", False), _response(10))
    anyio.run(cache.refresh)
    assert cache.get(("/papers", b"", False)) is not None
    version["value"] = 2
    anyio.run(cache.refresh)
    assert cache.get(("/papers", b"", False)) is None


def test_the_version_is_read_at_most_once_per_interval():
    reads = []
    cache = PageCache(lambda: reads.append(1) or len(reads), check_seconds=3600)
    for _ in range(5):
        anyio.run(cache.refresh)
    assert len(reads) == 1


def test_explicit_invalidation():
    cache = PageCache(lambda: 1, check_seconds=3600)
    cache.put(("/a", b"", False), _response(10))
    cache.invalidate()
    assert cache.get(("/a", b"", False)) is None and len(cache) == 0


def test_the_byte_budget_drops_the_least_recently_used():
    cache = PageCache(lambda: 1, check_seconds=3600, max_bytes=250)
    for name in ("a", "b"):
        cache.put((name, b"", False), _response(100))
    assert cache.get(("a", b"", False)) is not None  # "a" is now the most recently used
    cache.put(("c", b"", False), _response(100))
    assert cache.get(("b", b"", False)) is None
    assert cache.get(("a", b"", False)) is not None and cache.get(("c", b"", False)) is not None
    cache.put(("c", b"", False), _response(100))  # replacing an entry does not count it twice
    assert len(cache) == 2

"""Fewer glibc malloc arenas for the long-running servers, so their memory stays flat.

glibc gives each thread that allocates concurrently an arena of its own (up to 8 per core), and
memory freed in an arena is rarely handed back: a web process's thread pool grew its resident
size by 40-75 MB each time the page cache's pages expired and were rendered again, 276 → 502 MiB
over 20 minutes of mixed load, while Python's own heap (tracemalloc) stayed within the cache's
budget. With two arenas the same load stayed at 304 → 314 MiB from the second minute to the tenth,
and served more (bench/web_load.py --mixed, 10 minutes, 16 connections: cached pages 2,612 req/s
against 1,326-1,749, unique searches p99 170 ms against 276-365).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

ARENAS = 2
_M_ARENA_MAX = -8  # mallopt's parameter number in glibc's malloc.h


def limit_malloc_arenas() -> bool:
    """Cap this process's arenas now and its children's (server workers) from their start; False
    where the C library is not glibc or the person set MALLOC_ARENA_MAX themselves."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    os.environ["MALLOC_ARENA_MAX"] = str(ARENAS)  # read by glibc when a child process starts
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):  # musl, macOS: no mallopt
        return False
    return mallopt(_M_ARENA_MAX, ARENAS) == 1

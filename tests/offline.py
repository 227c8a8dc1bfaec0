"""A machine without a network, as the resolver sees it: for tests of what "offline" looks like."""

from __future__ import annotations

import socket

import pytest


@pytest.fixture
def unresolvable(monkeypatch) -> list[str]:
    """Names under .invalid (RFC 2606) fail to resolve, as every name does offline; the lookups are listed.

    The OS's resolver is replaced, not asked: on a machine whose DNS server is elsewhere on the
    network, asking it even for a .invalid name would send a packet off the machine.
    """
    lookups: list[str] = []
    resolve = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if isinstance(host, str) and host.endswith(".invalid"):
            lookups.append(host)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on: connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]

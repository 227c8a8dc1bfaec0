"""The checked value types of settings whose rule is more than a range: rate limits, the site's
name, proxy addresses, harvest categories. Each is validated where the settings are read, so a bad
value stops the process at start with the setting named, not later in a request."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from pydantic import AfterValidator

from paperboard.domain.ratelimit import InvalidLimit, parse_limit


def _rate_limit(value: str) -> str:
    try:
        parse_limit(value)
    except InvalidLimit as error:
        raise ValueError(str(error)) from None
    return value


def _one_line(value: str) -> str:
    if not value.strip() or not value.isprintable():
        raise ValueError("site_name must be printable text on one line")
    return value.strip()


def _addresses(value: str) -> str:
    entries = [entry.strip() for entry in value.split(",") if entry.strip()]
    for entry in entries:
        if entry != "*":
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network (or *)") from None
    return ",".join(entries)


def _categories(value: list[str]) -> list[str]:
    cleaned = [c.strip() for c in value if c.strip()]
    if not cleaned:
        raise ValueError("name at least one arXiv category")
    return cleaned


RateLimit = Annotated[str, AfterValidator(_rate_limit)]  # COUNT/PERIOD or off (domain.ratelimit)
SiteName = Annotated[str, AfterValidator(_one_line)]
ProxyAddresses = Annotated[str, AfterValidator(_addresses)]  # comma-separated IPs or networks, or *
Categories = Annotated[list[str], AfterValidator(_categories)]

"""Rate limits as numbers: ``"60/hour"`` parsed, fixed windows, when a client may try again.

A fixed window counts hits from ``window_start`` for ``seconds``; the next window starts from
zero. A client can at worst land ``2 × count`` hits around a window edge, a known trade for one
counter row per (action, key, window) that every process can share through the database.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}
_LIMIT = re.compile(r"\s*(\d+)\s*/\s*(\d*)\s*([a-z]+?)s?\s*")
OFF = "off"
_EPOCH = datetime(1970, 1, 1)


class InvalidLimit(ValueError):
    pass


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: int

    def window_start(self, now: datetime) -> datetime:
        elapsed = int((now - _EPOCH).total_seconds())
        return _EPOCH + timedelta(seconds=elapsed - elapsed % self.seconds)

    def retry_after(self, now: datetime) -> int:
        """Whole seconds until the window that holds ``now`` ends (at least 1)."""
        end = self.window_start(now) + timedelta(seconds=self.seconds)
        return max(1, math.ceil((end - now).total_seconds()))


def parse_limit(text: str) -> Limit | None:
    """``"COUNT/[N]UNIT"`` (``"5/hour"``, ``"30/15minutes"``, ``"100/day"``) or ``"off"`` (None)."""
    if text.strip().lower() == OFF:
        return None
    match = _LIMIT.fullmatch(text.lower())
    unit = match and _UNITS.get(match.group(3))
    if not match or not unit:
        raise InvalidLimit(f"{text!r} is not a rate limit: write COUNT/PERIOD, e.g. 5/hour, 30/15minutes, 100/day, or off")
    count, multiple = int(match.group(1)), int(match.group(2) or 1)
    if count < 1 or multiple < 1:
        raise InvalidLimit(f"{text!r}: the count and the period must be at least 1 (use off to disable)")
    if unit * multiple > 31 * 86400:
        raise InvalidLimit(f"{text!r}: a window is at most 31 days")
    return Limit(count, unit * multiple)

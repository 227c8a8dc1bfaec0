"""When the next mail may go: a per-domain pace and the backoff after a temporary failure.

Pure: callers pass the time (seconds on any monotonic clock) in and sleep themselves.
"""

from __future__ import annotations

from collections import deque

WINDOW_SECONDS = 60.0


class DomainPace:
    """At most ``per_minute`` mails to one recipient domain in any 60-second window; 0 = no limit."""

    def __init__(self, per_minute: int) -> None:
        if per_minute < 0:
            raise ValueError("per_minute cannot be negative")
        self.per_minute = per_minute
        self._sent: dict[str, deque[float]] = {}

    def wait(self, domain: str, now: float) -> float:
        """Seconds until one more mail to ``domain`` is allowed (0 when it is allowed now)."""
        if not self.per_minute:
            return 0.0
        sent = self._sent.get(domain)
        if sent is None:
            return 0.0
        while sent and sent[0] <= now - WINDOW_SECONDS:
            sent.popleft()
        if len(sent) < self.per_minute:
            return 0.0
        return sent[0] + WINDOW_SECONDS - now

    def take(self, domain: str, now: float) -> bool:
        """Count one mail to ``domain`` at ``now`` if the pace allows it; False otherwise."""
        if self.wait(domain, now) > 0:
            return False
        if self.per_minute:
            self._sent.setdefault(domain, deque()).append(now)
        return True


def retry_delay(attempt: int, base_seconds: float, cap_seconds: float = 3600.0) -> float:
    """Wait before attempt ``attempt + 1`` after ``attempt`` failed: base, 2×base, 4×base, … capped."""
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    return min(cap_seconds, base_seconds * 2 ** (attempt - 1))


def recipient_domain(email: str) -> str:
    return email.rpartition("@")[2].lower()

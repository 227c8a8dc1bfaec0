"""Per-domain pace and retry backoff."""

from __future__ import annotations

import pytest

from paperboard.domain.pacing import DomainPace, recipient_domain, retry_delay


def test_pace_allows_n_per_sliding_minute_per_domain():
    pace = DomainPace(2)
    assert pace.take("a.org", 0.0) and pace.take("a.org", 10.0)
    assert not pace.take("a.org", 20.0)
    assert pace.wait("a.org", 20.0) == pytest.approx(40.0)
    assert pace.take("b.org", 20.0)
    assert pace.take("a.org", 60.0)
    assert not pace.take("a.org", 65.0)
    assert pace.take("a.org", 70.0)


def test_zero_means_no_limit():
    pace = DomainPace(0)
    assert all(pace.take("a.org", 0.0) for _ in range(10_000))


def test_backoff_doubles_and_is_capped():
    assert [retry_delay(n, 10) for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
    assert retry_delay(30, 10, cap_seconds=600) == 600
    with pytest.raises(ValueError):
        retry_delay(0, 10)


def test_recipient_domain_is_case_insensitive():
    assert recipient_domain("Someone@Example.ORG") == "example.org"

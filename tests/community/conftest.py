"""The community services' tests run on a fixed clock, with a short submission window and quota."""

from __future__ import annotations

from datetime import datetime

import pytest

NOW = datetime(2026, 4, 8, 10, 30)  # a Wednesday
TODAY = NOW.date()


@pytest.fixture
def ctx_settings() -> dict:
    return {"submission_max_age_days": 7, "submission_daily_quota": 2}

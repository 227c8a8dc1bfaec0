"""Property-based requests from the OpenAPI document: whatever the input, never a 5xx.

Kept small (a few dozen examples per operation) so the run stays well under a minute.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from paperboard.web.app import create_app
from tests.web.conftest import make_ctx


@pytest.fixture
def web_schema(seeded_sqlite, fake_arxiv):
    ctx = make_ctx(seeded_sqlite, fake_arxiv, on_demand_timeout_seconds=0)
    yield schemathesis.openapi.from_asgi("/openapi.json", create_app(ctx))
    ctx.database.dispose()


schema = schemathesis.pytest.from_fixture("web_schema")


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_input_makes_the_site_fail(case):
    case.call_and_validate(checks=[not_a_server_error])

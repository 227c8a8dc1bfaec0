"""An unknown paper id while arXiv cannot be reached: the page says why at once, and the outage is
remembered briefly for every id (a crawler walking through ids must not make each one wait).

arXiv's client keeps its real retry settings here (5 retries, 3 s apart): were an unreachable host
retried, the page would wait out its 8 s budget and say "taking long" instead of the cause.
"""

from __future__ import annotations

from html import unescape

from fastapi.testclient import TestClient

from paperboard.web import ondemand
from paperboard.web.app import create_app
from tests.offline import closed_port, unresolvable  # noqa: F401 - a fixture
from tests.web.conftest import make_ctx

_PATIENT_CLIENT = dict(http_max_retries=5, arxiv_delay_seconds=3, on_demand_timeout_seconds=8)


def _missing_because(client: TestClient, paper_id: str) -> str:
    response = client.get(f"/papers/{paper_id}")
    assert response.status_code == 404
    text = unescape(response.text)
    assert f"does not have arXiv:{paper_id} yet" in text and f"https://arxiv.org/abs/{paper_id}" in text
    return text


def test_connection_refused_is_said_at_once(seeded_sqlite, fake_arxiv):
    port = closed_port()
    ctx = make_ctx(seeded_sqlite, fake_arxiv, arxiv_api_url=f"http://127.0.0.1:{port}/api/query", **_PATIENT_CLIENT)
    with TestClient(create_app(ctx)) as client:
        text = _missing_because(client, "2604.00001")
    assert f"It could not be fetched because arXiv is unreachable: connection refused by 127.0.0.1:{port}." in text


def test_no_dns_is_said_at_once_and_remembered_for_every_id_briefly(seeded_sqlite, fake_arxiv, unresolvable, monkeypatch):  # noqa: F811
    ctx = make_ctx(seeded_sqlite, fake_arxiv, arxiv_api_url="http://export.arxiv.invalid/api/query", **_PATIENT_CLIENT)
    because = "It could not be fetched because arXiv is unreachable: cannot resolve export.arxiv.invalid (no network or DNS?)."
    with TestClient(create_app(ctx)) as client:
        assert because in _missing_because(client, "2604.00001")
        assert because in _missing_because(client, "2604.00002")
        assert unresolvable == ["export.arxiv.invalid"]  # the second id did not ask again
        # Once the outage is forgotten, an id that met it is tried again: it was not the id's fault.
        monkeypatch.setattr(ondemand, "_OUTAGE_SECONDS", 0)
        assert because in _missing_because(client, "2604.00001")
        assert unresolvable == ["export.arxiv.invalid"] * 2

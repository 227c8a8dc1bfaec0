"""The site's one secret: configured, or made once in the data dir and shared by every process."""

from __future__ import annotations

import multiprocessing
import stat

import pytest

from paperboard.errors import UserError
from paperboard.services import subscriptions
from paperboard.services.site_secret import site_secret
from paperboard.settings import Settings
from paperboard.web.security import CsrfTokens, load_secret


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    monkeypatch.setenv("PAPERBOARD_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.delenv("PAPERBOARD_SECRET_KEY", raising=False)
    return Settings(home=tmp_path / "home")


def test_made_once_kept_private_and_the_same_for_web_and_mail(settings):
    secret = site_secret(settings)
    path = settings.home / "secret_key"
    assert len(secret) >= 32 and path.read_text() == secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert site_secret(settings) == secret and load_secret(settings) == secret.encode()
    assert list(settings.home.iterdir()) == [path]  # no draft left behind
    # A mail link made with it verifies; the CSRF signer built on it accepts its own tokens.
    token = subscriptions.make_token(settings, subscriptions.MANAGE, "a@example.org")
    assert subscriptions.read_token(settings, subscriptions.MANAGE, token) == "a@example.org"
    csrf = CsrfTokens(load_secret(settings))
    assert csrf.is_genuine(csrf.new(None), None)


def test_a_configured_key_wins_and_no_file_is_made(settings):
    configured = Settings(**{**settings.model_dump(), "secret_key": "k" * 40})
    assert site_secret(configured) == "k" * 40
    assert not (settings.home / "secret_key").exists()


def test_an_empty_key_file_is_a_clear_error_not_an_empty_key(settings):
    settings.home.mkdir(parents=True)
    (settings.home / "secret_key").write_text("\n")
    with pytest.raises(UserError, match="secret_key is empty: delete it"):
        site_secret(settings)


def _secret_in_a_new_process(home: str, start, results) -> None:
    start.wait()
    results.put(site_secret(Settings(home=home)))


def test_processes_starting_together_agree_on_one_key(settings):
    spawn = multiprocessing.get_context("spawn")
    start, results = spawn.Event(), spawn.Queue()
    workers = [spawn.Process(target=_secret_in_a_new_process, args=(str(settings.home), start, results)) for _ in range(4)]
    for worker in workers:
        worker.start()
    start.set()
    secrets = {results.get(timeout=60) for _ in workers}
    for worker in workers:
        worker.join(timeout=30)
    assert len(secrets) == 1 and secrets == {site_secret(settings)}

"""Settings: every one documented, typed and validated."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from paperboard.cli.config import settings_markdown
from paperboard.settings import Settings, get_settings

DOC = Path(__file__).resolve().parents[1] / "docs" / "settings.md"


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_has_help(name):
    assert Settings.model_fields[name].description, f"{name} has no help text"


def test_the_settings_doc_is_generated_from_the_settings_and_current():
    assert DOC.read_text() == settings_markdown(), (
        "docs/settings.md is not what the settings declare: run `paperboard settings --markdown > docs/settings.md`"
    )


def test_the_settings_command_hides_secrets(monkeypatch, tmp_path, run_paperboard):
    monkeypatch.setenv("PAPERBOARD_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("PAPERBOARD_SECRET_KEY", "a-secret-that-must-not-show")
    monkeypatch.setenv("PAPERBOARD_SMTP_PASSWORD", "hunter2-hunter2")
    monkeypatch.setenv("PAPERBOARD_DATABASE_URL", "postgresql+psycopg://pb:dbpass-123@db.example/pb")
    monkeypatch.setenv("PAPERBOARD_SITE_NAME", "Journal Club")
    get_settings.cache_clear()
    try:
        code, out, _ = run_paperboard("settings")
    finally:
        get_settings.cache_clear()
    assert code == 0 and "PAPERBOARD_SITE_NAME=Journal Club\n" in out
    assert "PAPERBOARD_SECRET_KEY=(set, not shown)" in out and "PAPERBOARD_DATABASE_URL=postgresql+psycopg://pb:***@db.example/pb" in out
    assert not any(secret in out for secret in ("a-secret-that", "hunter2", "dbpass"))


def test_environment_overrides_toml(tmp_path, monkeypatch):
    toml = tmp_path / "paperboard.toml"
    toml.write_text('port = 9001\nharvest_categories = ["math.GT"]\n')
    monkeypatch.setenv("PAPERBOARD_CONFIG", str(toml))
    monkeypatch.setenv("PAPERBOARD_PORT", "9002")
    settings = Settings()
    assert settings.port == 9002
    assert settings.harvest_categories == ["math.GT"]


def test_bad_values_are_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("PAPERBOARD_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("PAPERBOARD_PORT", "not-a-port")
    with pytest.raises(ValidationError):
        Settings()


def test_sqlite_is_the_default_database(monkeypatch, tmp_path):
    monkeypatch.setenv("PAPERBOARD_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("PAPERBOARD_HOME", str(tmp_path / "data"))
    assert Settings().resolved_database_url == f"sqlite:///{tmp_path / 'data' / 'paperboard.db'}"

"""Settings: every one documented, typed and validated."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from paperboard.settings import ENV_PREFIX, Settings

DOC = Path(__file__).resolve().parents[1] / "docs" / "settings.md"


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_has_help_and_is_documented(name):
    field = Settings.model_fields[name]
    assert field.description, f"{name} has no help text"
    assert f"`{ENV_PREFIX}{name.upper()}`" in DOC.read_text(), f"{ENV_PREFIX}{name.upper()} missing from docs/settings.md"


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

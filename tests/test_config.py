"""Settings: documented, read from the environment and a TOML file, errors in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from dailypapers.config import CONFIG_ENV, load_settings, reference_markdown
from dailypapers.errors import ConfigError

DOCS = Path(__file__).parents[1] / "docs" / "configuration.md"


def test_configuration_docs_are_current() -> None:
    assert DOCS.read_text(encoding="utf-8") == reference_markdown(), (
        "run: python scripts/gen_docs.py"
    )


def test_environment_overrides_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "dailypapers.toml"
    config.write_text('data_dir = "/srv/papers"\nimport_batch_size = 42\n')
    monkeypatch.setenv(CONFIG_ENV, str(config))
    monkeypatch.setenv("DAILYPAPERS_IMPORT_BATCH_SIZE", "7")
    settings = load_settings()
    assert settings.data_dir == Path("/srv/papers")
    assert settings.import_batch_size == 7
    assert settings.resolved_database_url == "sqlite:////srv/papers/dailypapers.sqlite3"


def test_invalid_values_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAILYPAPERS_IMPORT_BATCH_SIZE", "lots")
    with pytest.raises(ConfigError, match="DAILYPAPERS_IMPORT_BATCH_SIZE"):
        load_settings()


def test_missing_or_broken_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match=r"nope\.toml"):
        load_settings()
    broken = tmp_path / "broken.toml"
    broken.write_text("data_dir = [unclosed\n")
    monkeypatch.setenv(CONFIG_ENV, str(broken))
    with pytest.raises(ConfigError, match=r"broken\.toml"):
        load_settings()

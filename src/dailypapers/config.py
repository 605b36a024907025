"""Settings: every option declared once, read from DAILYPAPERS_* variables and a TOML file.

Precedence: keyword arguments, then environment variables, then the TOML file named by
`DAILYPAPERS_CONFIG` (if any), then the defaults below. `docs/configuration.md` is
generated from this class and checked by a test.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from dailypapers.errors import ConfigError

CONFIG_ENV = "DAILYPAPERS_CONFIG"


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "dailypapers"


class Settings(BaseSettings):
    """All configuration of a dailypapers instance."""

    model_config = SettingsConfigDict(env_prefix="DAILYPAPERS_", extra="forbid")

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Directory for the SQLite database, search indexes and other state "
        "(default: $XDG_DATA_HOME/dailypapers, i.e. ~/.local/share/dailypapers).",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the database; empty means SQLite at "
        "DATA_DIR/dailypapers.sqlite3. PostgreSQL: postgresql+psycopg://user:pass@host/db.",
    )
    arxiv_api_url: str = Field(
        default="https://export.arxiv.org/api/query", description="arXiv query API endpoint."
    )
    arxiv_oai_url: str = Field(
        default="https://export.arxiv.org/oai2", description="arXiv OAI-PMH endpoint."
    )
    arxiv_delay_seconds: float = Field(
        default=3.0, ge=0, description="Pause between requests to arXiv (its politeness rule)."
    )
    import_batch_size: int = Field(
        default=500, ge=1, le=100_000, description="Records written per import transaction."
    )

    secret_key: str | None = Field(
        default=None,
        description="Secret that signs session cookies and CSRF tokens (at least 32 "
        "characters). Required with PostgreSQL; with the default SQLite database one is "
        "generated on first run and kept in DATA_DIR/secret_key.",
    )
    host: str = Field(default="127.0.0.1", description="Address `serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `serve` listens on.")
    workers: int | None = Field(
        default=None,
        ge=1,
        description="Web server processes; empty means 1 on SQLite (one writer), "
        "otherwise 2 per CPU core up to 8.",
    )
    cookie_secure: bool = Field(
        default=False, description="Mark the session cookie Secure (set when served over HTTPS)."
    )
    rate_limit_auth_per_minute: int = Field(
        default=10, ge=0, description="Sign-ups and sign-ins per IP per minute (0: no limit)."
    )
    rate_limit_votes_per_minute: int = Field(
        default=60, ge=0, description="Votes per user per minute (0: no limit)."
    )
    rate_limit_comments_per_minute: int = Field(
        default=10, ge=0, description="Comments per user per minute (0: no limit)."
    )
    rate_limit_submissions_per_minute: int = Field(
        default=10, ge=0, description="Paper submissions per user per minute (0: no limit)."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Add the TOML file named by DAILYPAPERS_CONFIG below the environment."""
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = os.environ.get(CONFIG_ENV)
        if path:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(path)))
        return tuple(sources)

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to SQLite inside the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'dailypapers.sqlite3'}"


def load_settings(**overrides: object) -> Settings:
    """Build Settings, turning validation and file errors into one readable ConfigError."""
    path = os.environ.get(CONFIG_ENV)
    if path and not Path(path).is_file():
        raise ConfigError(f"{CONFIG_ENV}={path}: no such config file")
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"DAILYPAPERS_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"invalid configuration: {problems}") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc}") from None

"""Settings: every option declared once, read from DAILYPAPERS_* variables and a TOML file.

Precedence: keyword arguments, then environment variables, then the TOML file named by
`DAILYPAPERS_CONFIG` (if any), then the defaults below. `docs/configuration.md` is
generated from this class and checked by a test.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
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
    arxiv_max_retries: int = Field(
        default=4, ge=0, le=20, description="Retries (with backoff) on arXiv 5xx and timeouts."
    )
    hf_api_url: str = Field(
        default="https://huggingface.co",
        description="Hugging Face-compatible daily feed that `fetch hf` and the `hf` sync "
        "source read (`{url}/api/daily_papers`); another dailypapers instance works too.",
    )
    hf_delay_seconds: float = Field(
        default=1.0, ge=0, description="Pause between requests to the daily feed."
    )
    hf_max_retries: int = Field(
        default=3, ge=0, le=20, description="Retries (with backoff) on feed 429/5xx and timeouts."
    )
    hf_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Seconds to wait for one daily-feed answer."
    )
    import_batch_size: int = Field(
        default=500, ge=1, le=100_000, description="Records written per import transaction."
    )
    import_bulk_min_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=0,
        description="`import` takes the bulk path for files at least this large on disk "
        "(16 MiB, about 25,000 arXiv snapshot records; 0: always): a second process parses "
        "while this one writes, in larger batches, feeding the keyword index once per batch "
        "(docs/import-formats.md). `import --bulk` / `--no-bulk` choose for one run.",
    )
    import_bulk_batch_size: int = Field(
        default=5000, ge=1, le=100_000, description="Records written per bulk-import transaction."
    )
    embedding_model: str = Field(
        default="default",
        description="Embedding model of semantic search: `default` (the bundled "
        "all-MiniLM-L6-v2, int8 ONNX) or a sentence-transformers model name or path. After a "
        "change, `serve`'s background embedder (or `dailypapers reindex`) embeds every paper "
        "again while search keeps using the old model's vectors, and switches when done.",
    )
    embedding_max_length: int = Field(
        default=256,
        ge=16,
        le=512,
        description="Tokens of each paper's text the model reads (longer text is cut). A "
        "change, like a change of model, makes new vectors: they are filled in the background "
        "while search keeps using the old ones (docs/embedding-model.md).",
    )
    embedding_device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto",
        description="Where the bundled model runs: `auto` uses onnxruntime's CUDA provider when "
        "the GPU build (`onnxruntime-gpu`) is installed and sees a GPU, else the CPU; `cuda` "
        "refuses to start without one. Worth it for `reindex` of a large store "
        "(docs/embedding-model.md).",
    )
    search_fusion: Literal["rrf", "convex"] = Field(
        default="convex",
        description="How keyword and vector rankings are merged: convex (min-max normalised "
        "scores, weighted by search_keyword_weight) or rrf (reciprocal rank fusion, ranks "
        "only); tuned on the evaluation collections, see docs/search-quality.md.",
    )
    search_keyword_weight: float = Field(
        default=0.4,
        ge=0.0,
        le=1.0,
        description="Convex fusion: the keyword leg's share of the score (the vector leg gets "
        "the rest).",
    )
    search_rrf_k: int = Field(
        default=60,
        ge=0,
        description="RRF constant k: larger values flatten the advantage of the top ranks.",
    )
    search_min_similarity: float = Field(
        default=0.25,
        ge=-1.0,
        le=1.0,
        description="Cosine below which a vector match is not a result (so nonsense finds "
        "nothing); 0.25 is neutral or better on every eval collection.",
    )
    trending_window_days: int = Field(
        default=7,
        ge=1,
        le=365,
        description="Days back from today whose newly featured papers the trending page "
        "ranks (by upvotes / (age in days + 2) ^ 1.5, age from the first feature).",
    )
    submission_max_age_days: int = Field(
        default=14,
        ge=0,
        description="Members may submit papers published at most this many days ago "
        "(Hugging Face's rule); curators may feature older ones. 0: no limit.",
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
        description="Web server processes; empty means one per CPU core up to 4 on SQLite, "
        "2 per core up to 8 on PostgreSQL. Rate limits are counted in the database, so they "
        "hold across workers; each worker keeps its own anonymous page cache (5 s).",
    )
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Largest request body accepted (forms); a larger one is refused with 413 "
        "before it is read, whether its size is announced or it is sent in chunks.",
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

    base_url: str | None = Field(
        default=None,
        description="Public URL of this instance (e.g. https://papers.example.org): every "
        "absolute link in emails and feeds is built on it, and when it is set, requests for "
        "any other host name are refused (400), so a forged Host header can neither reach "
        "the site nor put its host into a link; pages' canonical and share (OpenGraph) links "
        "use it too. Empty: http://HOST:PORT in emails and feeds, the address asked on in "
        "pages, and any host is answered.",
    )
    mail_from: str = Field(
        default="Daily Papers <dailypapers@localhost>",
        description="From address of digests and confirmation emails.",
    )
    list_unsubscribe_mailto: str | None = Field(
        default=None,
        description="Address named in the mailto: part of List-Unsubscribe; empty means "
        "the MAIL_FROM address.",
    )
    smtp_host: str = Field(default="localhost", description="SMTP server that relays mail.")
    smtp_port: int = Field(default=25, ge=1, le=65535, description="SMTP server port.")
    smtp_username: str | None = Field(default=None, description="SMTP login, if required.")
    smtp_password: str | None = Field(default=None, description="SMTP password, if required.")
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        default="starttls",
        description="none: plain SMTP; starttls: upgrade with STARTTLS (port 587); "
        "tls: implicit TLS (port 465).",
    )
    smtp_timeout: float = Field(
        default=30.0, gt=0, description="Seconds to wait for the SMTP server per operation."
    )
    smtp_max_attempts: int = Field(
        default=4, ge=1, description="Tries per message on transient failures (4xx, timeouts)."
    )
    smtp_retry_seconds: float = Field(
        default=2.0, ge=0, description="First backoff after a transient failure; doubles."
    )
    send_rate_per_second: float = Field(
        default=10.0, ge=0, description="Most messages sent per second (0: no limit)."
    )
    pause_after_failures: int = Field(
        default=3,
        ge=1,
        description="Consecutive permanent (5xx) failures after which a subscription is paused.",
    )
    delivery_lease_seconds: float = Field(
        default=600.0,
        gt=0,
        description="How long a claimed delivery belongs to the sender that claimed it; a "
        "crashed send is retried after this. Keep it above SMTP_TIMEOUT x SMTP_MAX_ATTEMPTS.",
    )
    confirm_max_age_days: int = Field(
        default=7, ge=1, description="Days a subscription confirmation link stays valid."
    )
    digest_top_papers: int = Field(default=5, ge=1, description="Papers in a digest's top section.")
    digest_personal_papers: int = Field(
        default=5, ge=0, description="Papers in a digest's personalised section."
    )
    digest_schedule: bool = Field(
        default=False, description="Send digests from `serve` (daily and weekly, below)."
    )
    digest_hour: int = Field(
        default=18,
        ge=0,
        le=23,
        description="UTC hour at which `serve` sends the daily digests (Monday to Friday) "
        "and the weekly one; pick an hour after the day's papers are in.",
    )
    digest_weekday: Literal[
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
    ] = Field(default="friday", description="Day on which `serve` sends weekly digests.")

    sync_sources: str = Field(
        default="",
        description="What `serve` (and `dailypapers sync`) keeps current, separated by spaces: "
        "`hf` (the daily feed at HF_API_URL) and `arxiv:CAT,CAT` (new submissions in those "
        'arXiv categories), e.g. "hf arxiv:cs.CL,cs.LG". Empty: no scheduled sync.',
    )
    sync_hf_interval_minutes: int = Field(
        default=60, ge=1, description="Minutes between syncs of the daily feed."
    )
    sync_arxiv_hour: int = Field(
        default=1,
        ge=0,
        le=23,
        description="UTC hour after which the daily arXiv sync runs (arXiv announces new "
        "submissions at 00:00 UTC, Sunday to Thursday).",
    )
    sync_first_days: int = Field(
        default=3,
        ge=1,
        le=366,
        description="How many days back the first sync of a source fetches; later runs "
        "resume from the last day they completed (re-reading it, as its counts still move).",
    )
    sync_resolve_per_run: int = Field(
        default=20,
        ge=0,
        description="Papers without an arXiv id (from listing pages) whose title each arXiv "
        "sync looks up, resolving those arXiv has exactly one paper of that title for (3 s "
        "apiece at arXiv's pace); one that arXiv does not know is asked about monthly.",
    )
    sync_check_seconds: float = Field(
        default=60.0, gt=0, description="How often `serve` checks whether a sync is due."
    )
    lease_ttl_seconds: float = Field(
        default=30.0,
        ge=1,
        description="Lifetime of the database lease that keeps each background job (sync, "
        "digests, embedding) on one node; renewed every third of it, so a dead node's jobs "
        "move to another within about this long plus a renewal.",
    )

    @field_validator("base_url")
    @classmethod
    def _http_base_url(cls, value: str | None) -> str | None:
        """Links are built on it, so it must be an absolute http(s) URL with a host."""
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an absolute http(s) URL such as https://papers.example.org")
        return value.strip()

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
    def public_url(self) -> str:
        """Where this instance is reached, without a trailing slash: BASE_URL or HOST:PORT."""
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

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


def reference_markdown() -> str:
    """docs/configuration.md: every setting with its variable, default and meaning."""
    lines = [
        "# Configuration",
        "",
        "Generated from `src/dailypapers/config.py` by `python scripts/gen_docs.py`; a test",
        "checks it is current. Each setting is read from the environment variable shown, or",
        "from the same name in lower case (without the prefix) in the TOML file named by",
        f"`{CONFIG_ENV}`.",
        "Environment variables win over the file.",
        "",
        "| variable | default | meaning |",
        "|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        default = "(computed)" if field.default_factory else repr(field.default)
        lines.append(f"| `DAILYPAPERS_{name.upper()}` | `{default}` | {field.description} |")
    return "\n".join(lines) + "\n"

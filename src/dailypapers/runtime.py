"""Runtime: the one object CLI, web app, scheduler and tests build from Settings."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from dailypapers.config import Settings
from dailypapers.errors import ConfigError
from dailypapers.store import migrate
from dailypapers.store.database import create_engine, write_problem

if TYPE_CHECKING:
    from dailypapers.ingest.arxiv_api import ArxivApiClient
    from dailypapers.ingest.arxiv_oai import OaiClient
    from dailypapers.ingest.hf_feed import HfFeedClient
    from dailypapers.recommend.reader import Recommender
    from dailypapers.search.embedder import Embedder
    from dailypapers.search.searcher import HybridSearcher
    from dailypapers.search.sync import SyncReport


@dataclass
class Runtime:
    """Holds the settings, the database engine and builds the clients of outside sources;
    no logic beyond building them."""

    settings: Settings
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    """The current time; tests pass another to use the site over several days."""
    engine: sa.Engine = field(init=False)
    _previous: Embedder | None = field(init=False, default=None)
    """The old model's embedder while a new model's vectors are filled in (embedder_for)."""

    def __post_init__(self) -> None:
        self.engine = create_engine(self.settings.resolved_database_url)

    def now(self) -> datetime:
        """The current UTC time, from `clock`."""
        return self.clock().astimezone(UTC)

    def today(self) -> date:
        """Today's UTC date, from `clock`: what "today" means for feeds and trending."""
        return self.now().date()

    def ensure_schema(self) -> bool:
        """Create the schema on an empty database; refuse an outdated one. True if created."""
        try:
            current = migrate.current_revision(self.engine)
        except sa.exc.OperationalError as exc:
            raise ConfigError(f"cannot open the database: {_first_line(exc)}") from None
        if current is None:
            try:
                migrate.upgrade(self.engine)
            except sa.exc.DBAPIError as exc:
                raise ConfigError(f"cannot create the schema: {_first_line(exc)}") from None
            self.check_writable()
            return True
        if current != migrate.head_revision():
            raise ConfigError(
                f"the database schema is at {current}, this version needs "
                f"{migrate.head_revision()}: run `dailypapers db upgrade`"
            )
        self.check_writable()
        return False

    def check_writable(self) -> None:
        """Refuse to start on a read-only database or data directory, saying which, instead
        of failing later on the first sign-in or search."""
        problem = write_problem(self.engine)
        if problem:
            raise ConfigError(f"the database is read-only ({problem}): check its permissions")
        folder = self.settings.data_dir
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as exc:
            raise ConfigError(
                f"{folder}: the data directory is not writable ({exc.strerror}); search "
                "indexes and the secret key are kept there"
            ) from None

    @cached_property
    def embedder(self) -> Embedder:
        """The configured embedding model, loaded on first use (imported here so that commands
        which never embed do not pay for onnxruntime)."""
        settings = self.settings
        return self._load_embedder(settings.embedding_model, settings.embedding_max_length)

    def _load_embedder(self, name: str, max_length: int) -> Embedder:
        from dailypapers.search.embedder import load_embedder

        return load_embedder(
            name,
            max_length=max_length,
            cache_dir=self.model_cache_dir,
            device=self.settings.embedding_device,
        )

    @cached_property
    def embedding_model_id(self) -> str:
        """The configured model's id, known without loading it."""
        from dailypapers.search.embedder import model_id_for

        settings = self.settings
        return model_id_for(settings.embedding_model, max_length=settings.embedding_max_length)

    def embedder_for(self, model_id: str) -> Embedder:
        """The embedder whose vectors are ``model_id``'s: the configured one, or, while a new
        model's vectors are filled in, the model that still serves searches (one such model
        is kept; a switch replaces it). The configured one when ``model_id`` cannot be made
        here, which the searcher detects by the id."""
        from dailypapers.search.embedder import spec_of

        if model_id == self.embedding_model_id:
            return self.embedder
        held = self._previous
        if held is not None and held.model_id == model_id:
            return held
        spec = spec_of(model_id)
        if spec is None:
            return self.embedder
        self._previous = self._load_embedder(*spec)
        return self._previous

    @property
    def model_cache_dir(self) -> Path:
        """Where the embedding model is kept in the form that loads fastest (embedder.py)."""
        return self.settings.data_dir / "search" / "models"

    @cached_property
    def searcher(self) -> HybridSearcher:
        """The search entry point; cheap to build, the model loads on the first query."""
        from dailypapers.search.searcher import Fusion, build_searcher

        settings = self.settings
        return build_searcher(
            self.engine,
            settings.data_dir / "search",
            embedder=self.embedder_for,
            model_id=self.embedding_model_id,
            fusion=Fusion(
                method=settings.search_fusion,
                rrf_k=settings.search_rrf_k,
                alpha=settings.search_keyword_weight,
                min_similarity=settings.search_min_similarity,
            ),
        )

    def sync_vectors(
        self, *, on_batch: Callable[[int], None] | None = None, batch_size: int | None = None
    ) -> SyncReport:
        """Embed new and edited papers with the configured model (all of them after a model
        change, while the old model serves; it takes over once they are done) and bring
        this process's vector index in step: the one way CLI, submissions and the
        background job keep search by meaning current. Batches commit as they finish, so an
        interrupted run resumes where it stopped."""
        from dailypapers.search.dense import ServingIndex
        from dailypapers.search.sync import (
            DEFAULT_BATCH,
            SyncReport,
            pending,
            switch_when_complete,
            sync,
        )

        dense = self.searcher.dense
        assert isinstance(dense, ServingIndex)
        if not pending(self.engine, self.embedding_model_id):
            # No model is loaded when nothing needs embedding; a switch left undone by an
            # interrupted run is finished, and deletions reach the index.
            switch_when_complete(self.engine, self.embedding_model_id, dense)
            dense.refresh()
            return SyncReport()
        size = batch_size or DEFAULT_BATCH
        return sync(self.engine, self.embedder, dense, on_batch=on_batch, batch_size=size)

    def release_embedder(self) -> None:
        """Forget the loaded models (the next use loads them again): for a long-lived process
        that embeds rarely, such as `serve`'s parent."""
        self.__dict__.pop("embedder", None)
        self._previous = None

    def seed_vectors(self, vectors: Path) -> bool:
        """`sync_vectors` from precomputed vectors (the sample's), without loading the model;
        False if another model's."""
        from dailypapers.search.sync import seed

        return seed(self.engine, self.searcher.dense, vectors)

    def arxiv_client(self, *, max_retries: int | None = None) -> ArxivApiClient:
        """An arXiv API client as configured (URL, politeness); close it after use."""
        from dailypapers.ingest.arxiv_api import ArxivApiClient

        settings = self.settings
        return ArxivApiClient(
            base_url=settings.arxiv_api_url,
            delay_seconds=settings.arxiv_delay_seconds,
            max_retries=settings.arxiv_max_retries if max_retries is None else max_retries,
        )

    def oai_client(self) -> OaiClient:
        """An arXiv OAI-PMH harvester as configured; close it after use."""
        from dailypapers.ingest.arxiv_oai import OaiClient

        settings = self.settings
        return OaiClient(
            base_url=settings.arxiv_oai_url,
            delay_seconds=settings.arxiv_delay_seconds,
            max_retries=settings.arxiv_max_retries,
        )

    def hf_feed_client(self, endpoint: str | None = None) -> HfFeedClient:
        """A daily-feed client for `endpoint` (default: the configured one); close it after."""
        from dailypapers.ingest.hf_feed import HfFeedClient

        settings = self.settings
        return HfFeedClient(
            base_url=endpoint or settings.hf_api_url,
            delay_seconds=settings.hf_delay_seconds,
            max_retries=settings.hf_max_retries,
            timeout=settings.hf_timeout_seconds,
        )

    @cached_property
    def recommender(self) -> Recommender:
        """Per-reader models over the vectors search stores for the configured model; the
        embedder loads only when a reader's topic must be embedded."""
        from dailypapers.recommend.reader import Recommender

        return Recommender(
            self.engine,
            model_id=self.embedding_model_id,
            embed=lambda texts: self.embedder.embed(texts),
        )

    def close(self) -> None:
        """Stop the searcher's threads (if it was built) and release database connections."""
        searcher = self.__dict__.get("searcher")
        if searcher is not None:
            searcher.close()
        self.engine.dispose()


def _first_line(exc: BaseException) -> str:
    return str(getattr(exc, "orig", exc)).strip().splitlines()[0]

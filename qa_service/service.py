"""Wiring: settings -> encoder + store -> SearchService. Shared by the CLI, API and scripts.

`QA_DATABASE_URL` chooses the store: set, PostgreSQL (`store/postgres.py`); unset, the embedded
index folder (`store/index.py`). Nothing else branches on which store serves.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from qa_service.answer import Answerer
from qa_service.asks.book import AskShelf
from qa_service.chunking import ChunkingSettings
from qa_service.config import Settings
from qa_service.encoders import EmbeddingCache, Encoder, make_encoder
from qa_service.retrieval.store import Store
from qa_service.search import SearchService
from qa_service.store.embedded import EmbeddedStore
from qa_service.store.index import LoadedIndex, build_index, load_index
from qa_service.store.live import Change
from qa_service.store.shipped import ShippedVectors

_pools: dict[str, Any] = {}
_pools_lock = threading.Lock()


def chunking_of(settings: Settings) -> ChunkingSettings:
    return ChunkingSettings(
        target_tokens=settings.chunk_target_tokens,
        max_tokens=settings.chunk_max_tokens,
        context=settings.passage_context,
    )


def uses_database(settings: Settings) -> bool:
    return settings.database_url is not None and bool(settings.database_url.get_secret_value())


def database_pool(settings: Settings) -> Any:
    """One connection pool per process and URL (the CLI, every app and worker thread share it)."""
    from qa_service.store import pg_schema

    assert settings.database_url is not None
    url = settings.database_url.get_secret_value()
    with _pools_lock:
        pool = _pools.get(url)
        if pool is None or pool.closed:
            pool = _pools[url] = pg_schema.make_pool(url, settings.pg_pool_size, settings.pg_timeout)
        return pool


def open_store(settings: Settings, encoder_name: str | None) -> Store:
    """The configured store, checked against the encoder and chunking (IndexMismatch otherwise);
    `encoder_name` None opens it for listing only, unchecked."""
    from dataclasses import asdict

    if uses_database(settings):
        from qa_service.store.postgres import PostgresStore

        assert settings.database_url is not None
        return PostgresStore(
            database_pool(settings),
            encoder_name,
            asdict(chunking_of(settings)) if encoder_name is not None else None,
            vector_search=settings.pg_vector_search,
            ef_search=settings.pg_ef_search,
            max_scan_tuples=settings.pg_max_scan_tuples,
            postings_per_term=settings.pg_postings_per_term,
            url=settings.database_url.get_secret_value(),
        )
    chunking = chunking_of(settings) if encoder_name is not None else None
    return EmbeddedStore(load_index(settings.index_dir, encoder_name, chunking))


def open_service(settings: Settings, encoder: Encoder | None = None) -> SearchService:
    encoder = encoder or make_encoder(settings.encoder, settings.encoder_threads)
    return service_for(open_store(settings, encoder.name), encoder, settings)


def service_for(store: Store | LoadedIndex, encoder: Encoder, settings: Settings) -> SearchService:
    if isinstance(store, LoadedIndex):  # a freshly loaded folder version (the folder's watcher)
        store = EmbeddedStore(store)
    return SearchService(
        store,
        encoder,
        min_dense_score=settings.min_dense_score
        if settings.min_dense_score is not None
        else encoder.relevance_threshold,
        keyword_weight=settings.keyword_weight,
        fusion_k=settings.fusion_k,
        candidates=settings.candidates,
        sentence_weight=settings.sentence_weight,
        fusion=settings.fusion,
        sender_bonus=settings.sender_bonus,
        max_per_document=settings.max_per_document,
        language_bias=settings.language_bias,
    )


def open_answerer(settings: Settings, encoder: Encoder | None = None) -> Answerer:
    return answerer_for(open_service(settings, encoder), settings)


def answerer_for(search: SearchService, settings: Settings, shelf: AskShelf | None = None) -> Answerer:
    shelf = shelf or ask_shelf(settings, search.encoder)
    return Answerer(
        search,
        min_similarity=settings.min_answer_score,
        answer_threshold=settings.answer_confidence,
        asks=lambda: shelf.book(search.store),
    )


def ask_shelf(settings: Settings, encoder: Encoder) -> AskShelf:
    """Where the asks of the served corpus come from: their vectors from the embedding cache, then
    the vectors shipped with the bundled corpus, then the encoder (an ingested letter's asks)."""

    def embed(texts: list[str]) -> np.ndarray:
        cache = EmbeddingCache(
            settings.cache_dir / "embeddings.sqlite",
            ShippedVectors.open(settings.vectors_dir, encoder.name),
        )
        try:
            return cache.encode_passages(encoder, texts)
        finally:
            cache.close()

    return AskShelf(embed)


def build(settings: Settings, encoder: Encoder, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Build the configured store from the corpus folder (plus ingested, minus deleted documents)."""
    if uses_database(settings):
        from qa_service.store import pg_writes

        return pg_writes.build(
            database_pool(settings),
            settings.corpus_dir,
            encoder,
            chunking_of(settings),
            settings.cache_dir,
            vector_type=settings.pg_vector_type,
            hnsw_rows=settings.pg_hnsw_rows,
            progress=progress,
        )
    chunking = chunking_of(settings)
    return build_index(
        settings.corpus_dir, settings.index_dir, encoder, chunking, settings.cache_dir, progress, settings.vectors_dir
    )


def apply_changes(
    settings: Settings,
    encoder: Encoder,
    *,
    add_text: tuple[str, str, dict[str, Any]] | None = None,
    remove: set[str] | None = None,
    before_commit: Callable[[], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Change:
    """Add one text and/or remove documents in the configured store, as one unit."""
    if uses_database(settings):
        from qa_service.store import pg_writes

        return pg_writes.apply_changes(
            database_pool(settings),
            encoder,
            chunking_of(settings),
            settings.cache_dir,
            add_text=add_text,
            remove=remove,
            before_commit=before_commit,
        )
    from qa_service.store.live import apply_changes as folder_changes

    return folder_changes(
        settings.index_dir,
        encoder,
        chunking_of(settings),
        settings.cache_dir,
        add_text=add_text,
        remove=remove,
        before_commit=before_commit,
        progress=progress,
    )

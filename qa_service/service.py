"""Wiring: settings -> encoder + store -> SearchService. Shared by the CLI, API and scripts.

Which store serves (the index folder, or PostgreSQL when `QA_DATABASE_URL` is set) is decided
once, in `store/backend.py`; nothing here branches on it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from qa_service.answer import Answerer
from qa_service.asks.book import AskShelf
from qa_service.config import Settings
from qa_service.encoders import EmbeddingCache, Encoder, make_encoder
from qa_service.retrieval import relevance
from qa_service.retrieval.store import Store
from qa_service.search import SearchService
from qa_service.store.backend import backend_for
from qa_service.store.protocol import Change, Upload
from qa_service.store.shipped import ShippedVectors


def open_store(settings: Settings, encoder_name: str | None) -> Store:
    """The configured store, checked against the encoder and chunking (IndexMismatch otherwise);
    `encoder_name` None opens it for listing only, unchecked."""
    return backend_for(settings).open(encoder_name)


def open_service(settings: Settings, encoder: Encoder | None = None) -> SearchService:
    encoder = encoder or make_encoder(settings.encoder, settings.encoder_threads)
    return service_for(open_store(settings, encoder.name), encoder, settings)


def service_for(store: Store, encoder: Encoder, settings: Settings) -> SearchService:
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
        # The relevance model's weights hold for the encoder they were fitted on.
        relevance_confidence=settings.relevance_confidence if encoder.name.startswith(relevance.ENCODER) else 0.0,
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
    return backend_for(settings).build(encoder, progress)


def apply_changes(
    settings: Settings,
    encoder: Encoder,
    *,
    add_text: Upload | None = None,
    remove: set[str] | None = None,
    before_commit: Callable[[], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Change:
    """Add one text and/or remove documents in the configured store, as one unit."""
    return backend_for(settings).apply_changes(
        encoder, add_text=add_text, remove=remove, before_commit=before_commit, progress=progress
    )

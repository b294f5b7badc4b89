"""Wiring: settings -> encoder + loaded index -> SearchService. Shared by the CLI, API and scripts."""

from __future__ import annotations

from qa_service.answer import Answerer
from qa_service.chunking import ChunkingSettings
from qa_service.config import Settings
from qa_service.encoders import Encoder, make_encoder
from qa_service.retrieval.store import Store
from qa_service.search import SearchService
from qa_service.store.embedded import EmbeddedStore
from qa_service.store.index import LoadedIndex, load_index


def chunking_of(settings: Settings) -> ChunkingSettings:
    return ChunkingSettings(
        target_tokens=settings.chunk_target_tokens,
        max_tokens=settings.chunk_max_tokens,
        context=settings.passage_context,
    )


def open_service(settings: Settings, encoder: Encoder | None = None) -> SearchService:
    encoder = encoder or make_encoder(settings.encoder, settings.encoder_threads)
    return service_for(load_index(settings.index_dir, encoder.name, chunking_of(settings)), encoder, settings)


def service_for(store: Store | LoadedIndex, encoder: Encoder, settings: Settings) -> SearchService:
    if isinstance(store, LoadedIndex):
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
    return Answerer(open_service(settings, encoder), min_similarity=settings.min_answer_score)

"""PostgresBackend: the database at `QA_DATABASE_URL` behind the `Backend` protocol."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from qa_service.chunking import chunking_of
from qa_service.config import Settings
from qa_service.encoders import Encoder
from qa_service.retrieval.store import Store
from qa_service.store.postgres import schema, writes
from qa_service.store.postgres.store import PostgresStore
from qa_service.store.protocol import Change, ProgressFn, Upload

_pools: dict[str, Any] = {}
_pools_lock = threading.Lock()


def database_pool(url: str, size: int, timeout: float) -> Any:
    """One connection pool per process and URL (the CLI, every app and worker thread share it)."""
    with _pools_lock:
        pool = _pools.get(url)
        if pool is None or pool.closed:
            pool = _pools[url] = schema.make_pool(url, size, timeout)
        return pool


def close_pools(where: Callable[[str], bool] = lambda url: True) -> None:
    """Close this process's pools whose URL `where` accepts: before their server goes away, so no
    background thread keeps reconnecting (and logging) to a server that is gone."""
    with _pools_lock:
        for url in [u for u in _pools if where(u)]:
            _pools.pop(url).close()


class _Unwatched:
    """Nothing to follow: every request reads the database, so a write is seen at once."""

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def check(self) -> bool:
        return False


class PostgresBackend:
    where = "the database"

    def __init__(self, settings: Settings) -> None:
        assert settings.database_url is not None
        self.settings = settings
        self.url = settings.database_url.get_secret_value()

    def _pool(self) -> Any:
        return database_pool(self.url, self.settings.pg_pool_size, self.settings.pg_timeout)

    def open(self, encoder_name: str | None) -> PostgresStore:
        s = self.settings
        return PostgresStore(
            self._pool(),
            encoder_name,
            asdict(chunking_of(s)) if encoder_name is not None else None,
            vector_search=s.pg_vector_search,
            ef_search=s.pg_ef_search,
            max_scan_tuples=s.pg_max_scan_tuples,
            postings_per_term=s.pg_postings_per_term,
            url=self.url,
        )

    def build(self, encoder: Encoder, progress: ProgressFn | None = None) -> dict[str, Any]:
        s = self.settings
        return writes.build(
            self._pool(),
            s.corpus_dir,
            encoder,
            chunking_of(s),
            s.cache_dir,
            vectors_dir=s.vectors_dir,
            vector_type=s.pg_vector_type,
            hnsw_rows=s.pg_hnsw_rows,
            progress=progress,
        )

    def apply_changes(
        self,
        encoder: Encoder,
        *,
        add_text: Upload | None = None,
        remove: set[str] | None = None,
        before_commit: Callable[[], None] | None = None,
        progress: ProgressFn | None = None,
    ) -> Change:
        return writes.apply_changes(
            self._pool(),
            encoder,
            chunking_of(self.settings),
            self.settings.cache_dir,
            add_text=add_text,
            remove=remove,
            before_commit=before_commit,
            progress=progress,
        )

    def watch(self, encoder_name: str, on_change: Callable[[Store], None], current: str | None) -> _Unwatched:
        return _Unwatched()

    def describe(self) -> dict[str, Any]:
        store = self.open(None)
        return {**asdict(store.info()), "build": store.build_manifest()}

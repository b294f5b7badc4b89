"""FolderBackend: the index folder (`QA_INDEX_DIR`) behind the `Backend` protocol."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from qa_service.chunking import chunking_of
from qa_service.config import Settings
from qa_service.encoders import Encoder
from qa_service.errors import IndexNotFound
from qa_service.retrieval.store import Store
from qa_service.store.folder.build import build_index
from qa_service.store.folder.changes import apply_changes
from qa_service.store.folder.index import current_version, load_index
from qa_service.store.folder.store import EmbeddedStore
from qa_service.store.folder.watcher import IndexWatcher
from qa_service.store.protocol import Change, ProgressFn, Upload


class FolderBackend:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.where = str(settings.index_dir)

    def open(self, encoder_name: str | None) -> Store:
        chunking = chunking_of(self.settings) if encoder_name is not None else None
        return EmbeddedStore(load_index(self.settings.index_dir, encoder_name, chunking))

    def build(self, encoder: Encoder, progress: ProgressFn | None = None) -> dict[str, Any]:
        s = self.settings
        return build_index(s.corpus_dir, s.index_dir, encoder, chunking_of(s), s.cache_dir, progress, s.vectors_dir)

    def apply_changes(
        self,
        encoder: Encoder,
        *,
        add_text: Upload | None = None,
        remove: set[str] | None = None,
        before_commit: Callable[[], None] | None = None,
        progress: ProgressFn | None = None,
    ) -> Change:
        s = self.settings
        return apply_changes(
            s.index_dir,
            encoder,
            chunking_of(s),
            s.cache_dir,
            add_text=add_text,
            remove=remove,
            before_commit=before_commit,
            progress=progress,
        )

    def watch(self, encoder_name: str, on_change: Callable[[Store], None], current: str | None) -> IndexWatcher:
        return IndexWatcher(
            self.settings.index_dir, lambda: self.open(encoder_name), on_change, current, self.settings.reload_interval
        )

    def describe(self) -> dict[str, Any]:
        index_dir = self.settings.index_dir
        v = current_version(index_dir)
        if v is None:
            raise IndexNotFound(f"no index at {index_dir}; build it with `qa-service index build`")
        manifest: dict[str, Any] = json.loads((index_dir / "versions" / v / "manifest.json").read_text())
        return manifest

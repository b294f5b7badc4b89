"""A living corpus in the folder: add, replace and delete documents, each as one new version.

Writers (CLI or HTTP) take the index's file lock for the whole read-modify-write, embed only the
new passages, and publish a complete new version by switching `CURRENT`; readers keep serving the
version they hold until the watcher has loaded the new one (watcher.py). A crash at any moment
leaves the last complete version live.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from qa_service.chunking import ChunkingSettings, Passage
from qa_service.corpus import Document
from qa_service.encoders import Encoder
from qa_service.errors import IndexMismatch, NotFound
from qa_service.store.folder.build import commit_version
from qa_service.store.folder.index import LoadedIndex, load_index, write_lock
from qa_service.store.folder.ingested import record_removals, save_source
from qa_service.store.prepare import chunk, embedding_text, prepare
from qa_service.store.protocol import Change
from qa_service.store.sources import Source, new_source, require_content

logger = logging.getLogger(__name__)


def _known_vectors(live: LoadedIndex, chunking: ChunkingSettings) -> dict[str, np.ndarray]:
    """Embedded text -> vector of the live version, so unchanged passages are not embedded again."""
    known: dict[str, np.ndarray] = {}
    pvec = live.vectors.vectors(np.arange(len(live.passages)))
    for p, v in zip(live.passages, pvec, strict=True):
        known[embedding_text(live.documents[p.doc_id], p, chunking.context)] = v
    if len(live.sentence_table):
        svec = live.sentence_vectors.vectors(np.arange(len(live.sentence_table)))
        for (prow, a, b), v in zip(live.sentence_table.tolist(), svec, strict=True):
            known[live.documents[live.passages[prow].doc_id].text[a:b]] = v
    return known


def apply_changes(
    index_dir: Path,
    encoder: Encoder,
    chunking: ChunkingSettings,
    cache_dir: Path | None,
    *,
    add_text: tuple[str, str, dict[str, Any]] | None = None,
    remove: set[str] | None = None,
    before_commit: Callable[[], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Change:
    """Add one text (name, text, metadata) and/or remove documents, as one new version
    (the contract of `Backend.apply_changes`)."""
    remove = set(remove or ())
    with write_lock(index_dir):
        t0 = time.perf_counter()
        live = load_index(index_dir, encoder.name, chunking)
        unknown = remove - set(live.documents)
        if unknown:
            raise NotFound(f"no document with id {sorted(unknown)[0]!r}")
        cascade = {d.id for d in live.documents.values() if d.parent_id in remove}
        remove |= cascade
        new_docs: list[Document] = []
        source: Source | None = None
        if add_text is not None:
            source, new_docs = new_source(*add_text)
            existing = {d.content_hash: d.id for d in live.documents.values() if d.id not in remove}
            fresh = [d for d in new_docs if d.content_hash not in existing]
            if not fresh and not remove:
                return Change([existing[d.content_hash] for d in new_docs], [], live.version, unchanged=True)
            new_docs = fresh
        kept = [d for d in live.documents.values() if d.id not in remove]
        clash = {d.id for d in kept} & {d.id for d in new_docs}
        if clash:
            raise IndexMismatch(f"document id {sorted(clash)[0]!r} already exists")
        passages: list[Passage] = [p for p in live.passages if p.doc_id not in remove]
        added = chunk(new_docs, encoder, chunking)
        if add_text is not None:
            require_content(add_text[0], added)
        prep = prepare(
            kept + new_docs,
            passages + added,
            encoder,
            chunking,
            cache_dir=cache_dir or index_dir / ".cache",
            known=_known_vectors(live, chunking),
            progress=progress,
        )
        if before_commit is not None:
            before_commit()
        # Persist the source of the change first: a crash after this point is healed by the next
        # `index build`; a crash before it changes nothing.
        if source is not None and new_docs:
            save_source(index_dir, source)
        record_removals(index_dir, remove)
        manifest = commit_version(
            index_dir, prep, encoder, chunking, t0, corpus_sha256=live.manifest.get("corpus_sha256"), lock=False
        )
        return Change([d.id for d in new_docs], sorted(remove), manifest["version"])

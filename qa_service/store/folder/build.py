"""A new version of the index folder: the shared stages (store/prepare.py), then the folder's own
(BM25 and writing, index.py), published by switching `CURRENT`."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from qa_service.chunking import ChunkingSettings, Passage
from qa_service.corpus.loader import corpus_hash
from qa_service.encoders import Encoder
from qa_service.store.folder.index import FORMAT_VERSION, package_versions, write_lock, write_version
from qa_service.store.folder.ingested import deleted_ids, load_ingested
from qa_service.store.prepare import Prepared, build_corpus
from qa_service.store.shipped import ShippedVectors

logger = logging.getLogger(__name__)


def passages_digest(passages: list[Passage]) -> str:
    h = hashlib.sha256()
    for p in passages:
        h.update(f"{p.id}\x00{p.char_start}\x00{p.char_end}\x00{p.text}\x01".encode())
    return h.hexdigest()


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    encoder: Encoder,
    chunking: ChunkingSettings,
    cache_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    vectors_dir: Path | None = None,
) -> dict[str, Any]:
    """Parse the corpus folder (plus documents ingested later, minus deleted ones), chunk, embed
    and write a new index version. Returns its manifest.

    `vectors_dir` holds the vectors shipped with the bundled corpus (store/shipped.py): texts
    found there are not embedded again.
    """
    t0 = time.perf_counter()
    prep = build_corpus(
        corpus_dir,
        load_ingested(index_dir),
        deleted_ids(index_dir),
        encoder,
        chunking,
        cache_dir=cache_dir or index_dir / ".cache",
        shipped=ShippedVectors.open(vectors_dir, encoder.name),
        progress=progress,
    )
    return commit_version(index_dir, prep, encoder, chunking, t0, corpus_sha256=corpus_hash(corpus_dir))


def commit_version(
    index_dir: Path,
    prep: Prepared,
    encoder: Encoder,
    chunking: ChunkingSettings,
    t0: float,
    corpus_sha256: str | None = None,
    lock: bool = True,
) -> dict[str, Any]:
    """Write prepared documents as the new live version (BM25 and writing timed after the
    stages in `prep.timings`); `t0` is when the write began. Returns the manifest."""
    built_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    digest = passages_digest(prep.passages)
    documents = prep.documents
    manifest: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        # Sortable by time; the random tail keeps two builds in one second apart.
        "version": built_at.strftime("%Y%m%dT%H%M%SZ") + "-" + digest[:8] + "-" + uuid.uuid4().hex[:6],
        "encoder": encoder.name,
        "dim": encoder.dim,
        "metric": "inner_product",
        "normalized": True,
        "counts": {
            "documents": len(documents),
            "passages": len(prep.passages),
            "sentences": len(prep.sentences),
            "files": len({d.source_file for d in documents}),
        },
        "corpus_sha256": corpus_sha256,
        "documents_sha256": hashlib.sha256("".join(sorted(d.content_hash for d in documents)).encode()).hexdigest(),
        "passages_sha256": digest,
        "chunking": asdict(chunking),
        "built_at": built_at.isoformat(),
        # Texts not in the live version: from the cache, the shipped vectors, or the encoder.
        "embedded": prep.embedded,
        "vector_sources": dict(prep.vector_sources),
        "build_seconds": round(time.perf_counter() - t0, 2),
        "timings": dict(prep.timings),
        "versions": package_versions(),
    }
    args = (index_dir, documents, prep.passages, prep.vectors, manifest, prep.sentence_vectors, prep.sentences)
    if lock:
        with write_lock(index_dir):
            write_version(*args, t0=t0)
    else:  # the caller holds the lock for its whole read-modify-write
        write_version(*args, t0=t0)
    logger.info(
        "wrote index %s: %d documents, %d passages, %d sentences in %.1f s (%s); vectors: %s",
        manifest["version"],
        len(documents),
        len(prep.passages),
        len(prep.sentences),
        manifest["build_seconds"],
        ", ".join(f"{k} {v:.1f} s" for k, v in manifest["timings"].items()),
        ", ".join(f"{v} {k}" for k, v in manifest["vector_sources"].items()),
    )
    return manifest

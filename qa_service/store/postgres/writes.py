"""Writes to the PostgreSQL store: a full build, and adding, replacing or deleting documents.

Each write is one transaction: the documents, their passages, sentences, postings, the term and
word statistics and the generation counter change together or not at all. Embedding happens
before the transaction (the embedding cache catches repeats), so a writer holds the write lock
(a transaction-level advisory lock: writers are serialised across nodes) only for the SQL.
A writer killed at any moment leaves the last committed state; nothing needs cleaning.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from qa_service.chunking import ChunkingSettings
from qa_service.corpus import Document
from qa_service.encoders import Encoder
from qa_service.errors import IndexMismatch, IndexNotFound, NotFound
from qa_service.store.postgres import rows as pg_rows
from qa_service.store.postgres import schema as pg_schema
from qa_service.store.prepare import Prepared, build_corpus, chunk, prepare
from qa_service.store.protocol import Change
from qa_service.store.shipped import ShippedVectors
from qa_service.store.sources import new_source, require_content

logger = logging.getLogger(__name__)


def _version(generation: int) -> str:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-g{generation}-{uuid.uuid4().hex[:6]}"


def _bump(conn: Any, added: dict[str, int], removed: dict[str, int]) -> tuple[int, str]:
    gen = int(conn.execute("SELECT generation FROM qa_meta").fetchone()[0]) + 1
    version = _version(gen)
    conn.execute(
        "UPDATE qa_meta SET generation = %s, version = %s, n_documents = n_documents + %s, "
        "n_passages = n_passages + %s, n_sentences = n_sentences + %s, total_length = total_length + %s",
        [
            gen,
            version,
            added["documents"] - removed["documents"],
            added["passages"] - removed["passages"],
            added["sentences"] - removed["sentences"],
            added["length"] - removed["length"],
        ],
    )
    return gen, version


def _check(conn: Any, encoder: Encoder, chunking: ChunkingSettings) -> tuple[str, int]:
    row = conn.execute("SELECT encoder, chunking, vector_type, n_passages FROM qa_meta FOR UPDATE").fetchone()
    if row is None:
        raise IndexNotFound("the database holds no index; build it with `qa-service index build`")
    if row[0] != encoder.name or row[1] != asdict(chunking):
        raise IndexMismatch(
            f"the database was built with encoder {row[0]!r} and chunking {row[1]}; "
            f"this service runs {encoder.name!r} with {asdict(chunking)}: rebuild with `qa-service index build`"
        )
    return str(row[2]), int(row[3])


def build(
    pool: Any,
    corpus_dir: Path,
    encoder: Encoder,
    chunking: ChunkingSettings,
    cache_dir: Path,
    *,
    vectors_dir: Path | None = None,
    vector_type: str = "vector",
    hnsw_rows: int = 100_000,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Replace the whole corpus in the database by the corpus folder plus texts ingested through
    the service, minus deleted documents, in one transaction. Returns the build's manifest, which
    is also kept in `qa_meta.info` (`index info` shows it).

    `vectors_dir` holds the vectors shipped with the bundled corpus (store/shipped.py): as for
    the folder, texts found there are not embedded again, so a fresh database embeds nothing of
    the bundled corpus.
    """
    t0 = time.perf_counter()
    with pg_schema.guard(), pool.connection() as conn:
        pg_schema.require_writable(conn)
        pg_schema.migrate(conn, encoder.dim, vector_type)
        sources = conn.execute("SELECT source_file, text, meta FROM qa_sources ORDER BY source_file").fetchall()
        deleted = {r[0] for r in conn.execute("SELECT doc_id FROM qa_deleted").fetchall()}
    prep = build_corpus(
        corpus_dir,
        sources,
        deleted,
        encoder,
        chunking,
        cache_dir=cache_dir,
        shipped=ShippedVectors.open(vectors_dir, encoder.name),
        progress=progress,
    )
    timings = dict(prep.timings)
    with pg_schema.guard(), pool.connection() as conn, conn.transaction():
        t_write = time.perf_counter()
        conn.execute("SELECT pg_advisory_xact_lock(%s)", [pg_schema.WRITE_LOCK])
        row = conn.execute("SELECT dim, vector_type FROM qa_meta FOR UPDATE").fetchone()
        if row is None:
            conn.execute(
                "INSERT INTO qa_meta (id, encoder, dim, vector_type, chunking, format, version) "
                "VALUES (1, %s, %s, %s, %s, %s, '')",
                [encoder.name, encoder.dim, vector_type, _json(asdict(chunking)), pg_schema.FORMAT_VERSION],
            )
        if row is not None and (row[0] != encoder.dim or row[1] != vector_type):
            pg_schema.recreate_data_tables(conn, encoder.dim, vector_type)
        else:
            for stmt in pg_schema.DROP_HNSW:  # bulk inserts are far cheaper without the graph
                conn.execute(stmt)
            for t in ("qa_documents", "qa_terms", "qa_words"):
                conn.execute(f"DELETE FROM {t}")  # MVCC: readers keep the old corpus until commit
        added = pg_rows.insert(conn, prep, vector_type)
        t_index = time.perf_counter()
        for stmt in pg_schema.BM25_INDEX:
            conn.execute(stmt)
        hnsw = added["passages"] >= hnsw_rows
        if hnsw:
            for stmt in pg_schema.hnsw_indexes(vector_type):
                conn.execute(stmt)
        timings["write"] = t_index - t_write
        timings["index"] = time.perf_counter() - t_index
        gen = int(conn.execute("SELECT generation FROM qa_meta").fetchone()[0]) + 1
        version = _version(gen)
        built_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        manifest: dict[str, Any] = {
            "version": version,
            "built_at": built_at,
            "encoder": encoder.name,
            "dim": encoder.dim,
            "vector_type": vector_type,
            "counts": {k: added[k] for k in ("documents", "passages", "sentences")},
            "chunking": asdict(chunking),
            # Distinct texts embedded for this build: from the cache, the shipped vectors, or the encoder.
            "embedded": prep.embedded,
            "vector_sources": dict(prep.vector_sources),
            "hnsw": hnsw,
            "build_seconds": round(time.perf_counter() - t0, 2),
            "timings": {k: round(v, 2) for k, v in timings.items()},
        }
        conn.execute(
            "UPDATE qa_meta SET encoder = %s, dim = %s, vector_type = %s, chunking = %s, format = %s, "
            "generation = %s, version = %s, built_at = %s, n_documents = %s, n_passages = %s, "
            "n_sentences = %s, total_length = %s, info = %s",
            [
                encoder.name,
                encoder.dim,
                vector_type,
                _json(asdict(chunking)),
                pg_schema.FORMAT_VERSION,
                gen,
                version,
                built_at,
                added["documents"],
                added["passages"],
                added["sentences"],
                added["length"],
                _json(manifest),
            ],
        )
    manifest["build_seconds"] = round(time.perf_counter() - t0, 2)  # with the commit
    logger.info(
        "built %s in the database: %d documents, %d passages, %d sentences in %.1f s (%s); vectors: %s",
        version,
        added["documents"],
        added["passages"],
        added["sentences"],
        manifest["build_seconds"],
        ", ".join(f"{k} {v:.1f} s" for k, v in manifest["timings"].items()),
        ", ".join(f"{v} {k}" for k, v in manifest["vector_sources"].items()),
    )
    return manifest


def _json(value: Any) -> Any:
    from psycopg.types.json import Jsonb

    return Jsonb(value)


def apply_changes(
    pool: Any,
    encoder: Encoder,
    chunking: ChunkingSettings,
    cache_dir: Path,
    *,
    add_text: tuple[str, str, dict[str, Any]] | None = None,
    remove: set[str] | None = None,
    before_commit: Callable[[], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Change:
    """Add one text (name, text, metadata) and/or remove documents, in one transaction
    (the contract of `Backend.apply_changes`)."""
    from psycopg.types.json import Jsonb

    remove = set(remove or ())
    with pg_schema.guard(), pool.connection() as conn:
        pg_schema.require_writable(conn)
    new_docs: list[Document] = []
    text, meta = "", dict[str, Any]()
    prep: Prepared | None = None
    if add_text is not None:
        (_, text, meta), new_docs = new_source(*add_text)
        passages = chunk(new_docs, encoder, chunking)
        require_content(add_text[0], passages)
        # Before the lock: embedding is the slow part.
        prep = prepare(new_docs, passages, encoder, chunking, cache_dir=cache_dir, progress=progress)
    with pg_schema.guard(), pool.connection() as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", [pg_schema.WRITE_LOCK])
        vtype, _ = _check(conn, encoder, chunking)
        known = {r[0] for r in conn.execute("SELECT id FROM qa_documents WHERE id = ANY(%s)", [sorted(remove)])}
        unknown = remove - known
        if unknown:
            raise NotFound(f"no document with id {sorted(unknown)[0]!r}")
        if remove:
            cascade = conn.execute("SELECT id FROM qa_documents WHERE parent_id = ANY(%s)", [sorted(remove)])
            remove |= {r[0] for r in cascade}
        if add_text is not None:
            hashes = [d.content_hash for d in new_docs]
            existing = dict(
                conn.execute(
                    "SELECT content_hash, id FROM qa_documents WHERE content_hash = ANY(%s) AND NOT id = ANY(%s)",
                    [hashes, sorted(remove)],
                ).fetchall()
            )
            fresh = [d for d in new_docs if d.content_hash not in existing]
            if not fresh and not remove:
                version = conn.execute("SELECT version FROM qa_meta").fetchone()[0]
                return Change([existing[d.content_hash] for d in new_docs], [], version, unchanged=True)
            new_docs = fresh
            clash = conn.execute(
                "SELECT id FROM qa_documents WHERE id = ANY(%s) AND NOT id = ANY(%s)",
                [[d.id for d in new_docs], sorted(remove)],
            ).fetchall()
            if clash:
                raise IndexMismatch(f"document id {clash[0][0]!r} already exists")
        _record_removals(conn, remove)
        removed = pg_rows.delete(conn, remove)
        added = {"documents": 0, "passages": 0, "sentences": 0, "length": 0}
        if prep is not None and new_docs:
            conn.execute(
                "INSERT INTO qa_sources (source_file, text, meta) VALUES (%s, %s, %s) "
                "ON CONFLICT (source_file) DO UPDATE SET text = excluded.text, meta = excluded.meta",
                [meta["source_file"], text, Jsonb(meta)],
            )
            added = pg_rows.insert(conn, prep.only({d.id for d in new_docs}), vtype)
        _, version = _bump(conn, added, removed)
        if before_commit is not None:  # every row is written, nothing committed yet
            before_commit()
    return Change([d.id for d in new_docs], sorted(remove), version)


def _record_removals(conn: Any, removed: set[str]) -> None:
    """Deleted bundled documents are remembered (a rebuild must not bring them back); a removed
    document of an ingested text removes that text from the sources."""
    if not removed:
        return
    got = conn.execute(
        "SELECT d.id, d.source_file, s.source_file IS NOT NULL FROM qa_documents d "
        "LEFT JOIN qa_sources s ON s.source_file = d.source_file WHERE d.id = ANY(%s)",
        [sorted(removed)],
    ).fetchall()
    ingested = sorted({src for _, src, is_ingested in got if is_ingested})
    bundled = sorted(i for i, _, is_ingested in got if not is_ingested)
    if ingested:
        conn.execute("DELETE FROM qa_sources WHERE source_file = ANY(%s)", [ingested])
    if bundled:
        conn.execute(
            "INSERT INTO qa_deleted SELECT * FROM unnest(%s::text[]) ON CONFLICT DO NOTHING",
            [bundled],
        )

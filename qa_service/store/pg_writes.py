"""Writes to the PostgreSQL store: a full build, and adding, replacing or deleting documents.

Each write is one transaction: the documents, their passages, sentences, postings, the term and
word statistics and the generation counter change together or not at all. Embedding happens
before the transaction (the embedding cache catches repeats), so a writer holds the write lock
(a transaction-level advisory lock: writers are serialised across nodes) only for the SQL.
A writer killed at any moment leaves the last committed state; nothing needs cleaning.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa_service.chunking import ChunkingSettings, Passage, chunk_documents
from qa_service.corpus import Document, load_corpus
from qa_service.encoders import EmbeddingCache, Encoder
from qa_service.errors import IndexMismatch, IndexNotFound, NotFound
from qa_service.retrieval.terms import words
from qa_service.store import pg_schema
from qa_service.store.index import embedding_text, sentence_rows
from qa_service.store.keyword import analyze, looks_english
from qa_service.store.live import Change, documents_from_text, safe_name

logger = logging.getLogger(__name__)


@dataclass
class Prepared:
    """Documents chunked and embedded, ready to insert."""

    documents: list[Document]
    passages: list[Passage]
    texts: list[str]  # what BM25 indexes (context + passage), per passage
    vectors: np.ndarray  # (len(passages), dim)
    sentences: np.ndarray  # (n, 3): passage index, start, end
    sentence_vectors: np.ndarray  # (n, dim)

    def only(self, keep: set[str]) -> Prepared:
        """The part of the documents whose ids are in `keep`."""
        pi = [i for i, p in enumerate(self.passages) if p.doc_id in keep]
        remap = {old: new for new, old in enumerate(pi)}
        si = [i for i, (p, _, _) in enumerate(self.sentences.tolist()) if p in remap]
        table = np.array([[remap[int(self.sentences[i, 0])], *self.sentences[i, 1:]] for i in si], dtype=np.int64)
        return Prepared(
            [d for d in self.documents if d.id in keep],
            [self.passages[i] for i in pi],
            [self.texts[i] for i in pi],
            self.vectors[pi],
            table.reshape(-1, 3),
            self.sentence_vectors[si],
        )


def prepare(
    documents: list[Document],
    encoder: Encoder,
    chunking: ChunkingSettings,
    cache_dir: Path,
    progress: Callable[[int, int], None] | None = None,
) -> Prepared:
    """Chunk and embed documents (vectors from the embedding cache where it has them)."""
    counts: dict[str, int] = {}

    def count(text: str) -> int:
        n = counts.get(text)
        if n is None:
            n = counts[text] = encoder.count_tokens(text)
        return n

    passages = chunk_documents(documents, count, chunking)
    by_id = {d.id: d for d in documents}
    texts = [embedding_text(by_id[p.doc_id], p, chunking.context) for p in passages]
    sent_texts, table = sentence_rows(by_id, passages)
    todo = list(dict.fromkeys([*texts, *sent_texts]))
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, len(todo))

    cache = EmbeddingCache(cache_dir / "embeddings.sqlite")
    try:
        fresh = cache.encode_passages(encoder, todo, progress=tick) if todo else np.zeros((0, encoder.dim), np.float32)
    finally:
        cache.close()
    lookup = dict(zip(todo, fresh, strict=True))

    def stack(keys: list[str]) -> np.ndarray:
        if not keys:
            return np.zeros((0, encoder.dim), np.float32)
        return np.stack([lookup[t] for t in keys]).astype(np.float32)

    return Prepared(documents, passages, texts, stack(texts), table, stack(sent_texts))


def _insert(conn: Any, prep: Prepared, vtype: str) -> dict[str, int]:
    """Insert prepared documents and update the statistics. Returns the counts added."""
    from psycopg.types.json import Jsonb

    if not prep.documents:
        return {"documents": 0, "passages": 0, "sentences": 0, "length": 0}
    try:
        conn.adapters.types["vector"]
    except KeyError:  # a connection opened before the first migration created the extension
        from pgvector.psycopg import register_vector

        register_vector(conn)
    if vtype == "halfvec":
        from pgvector import HalfVector

        def vec_of(v: np.ndarray) -> Any:
            return HalfVector(v)
    else:

        def vec_of(v: np.ndarray) -> Any:
            return v

    by_id = {d.id: d for d in prep.documents}
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO qa_documents (id, kind, sender, date, source_file, parent_id, content_hash, data) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    d.id,
                    d.kind,
                    d.sender or "",
                    d.date or "",
                    d.source_file,
                    d.parent_id,
                    d.content_hash,
                    Jsonb({**d.to_dict(), "paragraphs": [asdict(p) for p in d.paragraphs]}),
                )
                for d in prep.documents
            ],
        )
    ords: Counter[str] = Counter()
    lengths: list[int] = []
    postings: list[Counter[str]] = []
    word_sets: list[list[str]] = []
    prows: list[tuple[Any, ...]] = []
    for p, text, vec in zip(prep.passages, prep.texts, prep.vectors, strict=True):
        d = by_id[p.doc_id]
        terms = analyze(text)
        lengths.append(len(terms) or 1)  # bm25s indexes an empty text as one placeholder token
        postings.append(Counter(terms))
        ws = sorted(words(p.text))
        word_sets.append(ws)
        prows.append(
            (
                p.id,
                p.doc_id,
                ords[p.doc_id],
                d.kind,
                (d.sender or "").lower(),
                d.date or "",
                d.source_file,
                looks_english(p.text),
                lengths[-1],
                ws,
                Jsonb(p.to_dict()),
                vec_of(vec),
            )
        )
        ords[p.doc_id] += 1
    cols = "id, doc_id, ord, kind, sender_lc, date, source_file, english, length, words, data, embedding"
    types = ["text", "text", "int4", "text", "text", "text", "text", "bool", "int4", "text[]", "jsonb", vtype]
    _copy(conn, "qa_passages", cols, types, prows)
    ids = [p.id for p in prep.passages]
    row_of = dict(conn.execute("SELECT id, row FROM qa_passages WHERE id = ANY(%s)", [ids]).fetchall())
    rows = [int(row_of[i]) for i in ids]
    srows = []
    for (pi, a, b), vec in zip(prep.sentences.tolist(), prep.sentence_vectors, strict=True):
        p = prep.passages[pi]
        d = by_id[p.doc_id]
        srows.append(
            (
                rows[pi],
                a,
                b,
                looks_english(d.text[a:b]),
                d.id,
                d.kind,
                (d.sender or "").lower(),
                d.date or "",
                d.source_file,
                vec_of(vec),
            )
        )
    cols = "passage_row, start_char, end_char, english, doc_id, kind, sender_lc, date, source_file, embedding"
    types = ["int8", "int4", "int4", "bool", "text", "text", "text", "text", "text", vtype]
    _copy(conn, "qa_sentences", cols, types, srows)
    _copy(
        conn,
        "qa_postings",
        "term, passage_row, tf",
        ["text", "int8", "int4"],
        [(t, r, n) for r, c in zip(rows, postings, strict=True) for t, n in c.items()],
    )
    _add_counts(conn, "qa_terms", "term", Counter(t for c in postings for t in c), 1)
    _add_counts(conn, "qa_words", "word", Counter(w for ws in word_sets for w in ws), 1)
    return {
        "documents": len(prep.documents),
        "passages": len(prep.passages),
        "sentences": len(srows),
        "length": sum(lengths),
    }


def _copy(conn: Any, table: str, cols: str, types: list[str], rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(types)
        for r in rows:
            copy.write_row(r)


def _add_counts(conn: Any, table: str, key: str, counts: Counter[str], sign: int) -> None:
    """Add (sign=1) or take away (sign=-1) document frequencies; drop keys that reach 0, as a
    rebuilt vocabulary would not hold them."""
    if not counts:
        return
    keys, values = list(counts), [sign * v for v in counts.values()]
    conn.execute(
        f"INSERT INTO {table} ({key}, df) SELECT * FROM unnest(%s::text[], %s::int[]) "
        f"ON CONFLICT ({key}) DO UPDATE SET df = {table}.df + excluded.df",
        [keys, values],
    )
    if sign < 0:
        conn.execute(f"DELETE FROM {table} WHERE {key} = ANY(%s) AND df <= 0", [keys])


def _delete(conn: Any, doc_ids: set[str]) -> dict[str, int]:
    """Delete documents (passages, sentences and postings go by cascade) and their statistics."""
    if not doc_ids:
        return {"documents": 0, "passages": 0, "sentences": 0, "length": 0}
    ids = sorted(doc_ids)
    prow = conn.execute("SELECT row, length, words FROM qa_passages WHERE doc_id = ANY(%s)", [ids]).fetchall()
    rows = [int(r[0]) for r in prow]
    terms = Counter(
        dict(
            conn.execute(
                "SELECT term, count(*) FROM qa_postings WHERE passage_row = ANY(%s) GROUP BY term", [rows]
            ).fetchall()
        )
    )
    n_sent = conn.execute("SELECT count(*) FROM qa_sentences WHERE passage_row = ANY(%s)", [rows]).fetchone()
    _add_counts(conn, "qa_terms", "term", terms, -1)
    _add_counts(conn, "qa_words", "word", Counter(w for r in prow for w in r[2]), -1)
    cur = conn.execute("DELETE FROM qa_documents WHERE id = ANY(%s)", [ids])
    return {
        "documents": cur.rowcount,
        "passages": len(rows),
        "sentences": int(n_sent[0]) if n_sent else 0,
        "length": sum(int(r[1]) for r in prow),
    }


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
    vector_type: str = "vector",
    hnsw_rows: int = 100_000,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Replace the whole corpus in the database by the corpus folder plus texts ingested through
    the service, minus deleted documents, in one transaction. Returns a summary."""
    t0 = time.perf_counter()
    with pg_schema.guard(), pool.connection() as conn:
        pg_schema.migrate(conn, encoder.dim, vector_type)
        sources = conn.execute("SELECT source_file, text, meta FROM qa_sources ORDER BY source_file").fetchall()
        deleted = {r[0] for r in conn.execute("SELECT doc_id FROM qa_deleted").fetchall()}
    documents = load_corpus(corpus_dir)
    for source_file, text, meta in sources:
        documents += documents_from_text(text, source_file, meta)
    documents = [d for d in documents if d.id not in deleted]
    if not documents:
        raise IndexNotFound(f"no corpus files found in {corpus_dir}")
    prep = prepare(documents, encoder, chunking, cache_dir, progress)
    with pg_schema.guard(), pool.connection() as conn, conn.transaction():
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
        added = _insert(conn, prep, vector_type)
        if added["passages"] >= hnsw_rows:
            for stmt in pg_schema.hnsw_indexes(vector_type):
                conn.execute(stmt)
        gen = int(conn.execute("SELECT generation FROM qa_meta").fetchone()[0]) + 1
        version = _version(gen)
        built_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        conn.execute(
            "UPDATE qa_meta SET encoder = %s, dim = %s, vector_type = %s, chunking = %s, format = %s, "
            "generation = %s, version = %s, built_at = %s, n_documents = %s, n_passages = %s, "
            "n_sentences = %s, total_length = %s",
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
            ],
        )
    seconds = round(time.perf_counter() - t0, 2)
    logger.info("built %s in the database: %s in %.1fs", version, added, seconds)
    return {
        "version": version,
        "built_at": built_at,
        "encoder": encoder.name,
        "counts": {k: added[k] for k in ("documents", "passages", "sentences")},
        "hnsw": added["passages"] >= hnsw_rows,
        "build_seconds": seconds,
    }


def _json(value: Any) -> Any:
    from psycopg.types.json import Jsonb

    return Jsonb(value)


def source_name(name: str, text: str) -> str:
    """The stored name of an ingested text, as the folder store names it."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
    return f"{safe_name(name)}-{digest}{Path(name).suffix.lower() or '.txt'}"


def apply_changes(
    pool: Any,
    encoder: Encoder,
    chunking: ChunkingSettings,
    cache_dir: Path,
    *,
    add_text: tuple[str, str, dict[str, Any]] | None = None,
    remove: set[str] | None = None,
    before_commit: Callable[[], None] | None = None,
) -> Change:
    """Add one text (name, text, metadata) and/or remove documents, in one transaction.

    The same contract as the folder store's `apply_changes`: removing a document removes its
    attachments; content already in the corpus is not added again (`unchanged`); an unknown id
    to remove raises NotFound.
    """
    from psycopg.types.json import Jsonb

    remove = set(remove or ())
    new_docs: list[Document] = []
    meta: dict[str, Any] = {}
    prep: Prepared | None = None
    if add_text is not None:
        name, text, given = add_text
        source_file = source_name(name, text)
        meta = {**{k: v for k, v in given.items() if v}, "source_file": source_file, "original_name": name}
        new_docs = documents_from_text(text, source_file, meta)
        prep = prepare(new_docs, encoder, chunking, cache_dir)  # before the lock: the slow part
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
        removed = _delete(conn, remove)
        added = {"documents": 0, "passages": 0, "sentences": 0, "length": 0}
        if prep is not None and new_docs:
            conn.execute(
                "INSERT INTO qa_sources (source_file, text, meta) VALUES (%s, %s, %s) "
                "ON CONFLICT (source_file) DO UPDATE SET text = excluded.text, meta = excluded.meta",
                [meta["source_file"], add_text[1] if add_text else "", Jsonb(meta)],
            )
            added = _insert(conn, prep.only({d.id for d in new_docs}), vtype)
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

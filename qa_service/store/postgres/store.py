"""The PostgreSQL store: documents, passages, sentence vectors (pgvector) and BM25 postings behind `Store`.

A node keeps no copy of the corpus: every request reads the database, so a write committed
through any node is what the next request on every node sees. One search runs in one
REPEATABLE READ, READ ONLY transaction (`snapshot`), so its legs and lookups see one state of
the corpus even while a writer commits. Per-query planner settings go in `SET LOCAL`, which
ends with that transaction: safe behind a transaction-mode connection pooler.

Vector search is exact (a scan ordered by inner product) unless the table has an HNSW index,
which `index build` creates from `pg_hnsw_rows` passages on; with it, `hnsw.iterative_scan`
keeps scanning until enough rows pass the filters, which stay in the WHERE clause.
BM25 is computed in SQL from the postings with bm25s's formula (Lucene idf, k1=1.2, b=0.75),
over terms analysed in Python exactly as the embedded store does.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qa_service.chunking import Passage
from qa_service.corpus import Document
from qa_service.errors import IndexMismatch, IndexNotFound
from qa_service.retrieval.terms import sender_candidates, sender_terms
from qa_service.retrieval.types import DEFAULT_KINDS, Filters, Owner, StoreInfo
from qa_service.store.postgres import schema as pg_schema
from qa_service.store.postgres.documents import DocumentReads, passage_of
from qa_service.store.postgres.sql import SqlKeywordHits, bm25_rows_sql, bm25_top_sql, where

logger = logging.getLogger(__name__)

REBUILD_HINT = "build it with `qa-service index build` (QA_DATABASE_URL set)"


@dataclass
class _Snapshot:
    conn: Any
    generation: int
    n_passages: int
    total_length: int
    passage_en: dict[int, bool] = field(default_factory=dict)
    sentence_en: dict[int, bool] = field(default_factory=dict)


class PostgresStore(DocumentReads):
    """Reads the corpus from PostgreSQL; see the module docstring."""

    backend = "postgres"

    def __init__(
        self,
        pool: Any,
        encoder: str | None,
        chunking: dict[str, Any] | None,
        *,
        vector_search: str = "auto",
        ef_search: int = 100,
        max_scan_tuples: int = 20_000,
        postings_per_term: int = 20_000,
        url: str = "",
    ) -> None:
        self.pool = pool
        self.encoder = encoder
        self.chunking = chunking
        self.vector_search = vector_search
        self.ef_search = ef_search
        self.max_scan_tuples = max_scan_tuples
        self.postings_per_term = postings_per_term
        self.url = url
        super().__init__()
        self._local = threading.local()
        self._senders: tuple[int, frozenset[str]] | None = None
        meta = self._meta()
        self.vtype = str(meta["vector_type"])
        self.dim = int(meta["dim"])
        self._hnsw = self._has_hnsw()
        # An exact scan keeps FAISS's choice among tied rows at the cut-off; an HNSW scan must
        # order by distance alone, or the planner cannot use the index.
        self._tiebreak = "" if self._hnsw and vector_search != "exact" else ", t.row DESC"

    # -- connections -----------------------------------------------------------------------
    @contextlib.contextmanager
    def _conn(self) -> Iterator[Any]:
        """The snapshot's connection inside `snapshot()`, else one from the pool (autocommit)."""
        snap: _Snapshot | None = getattr(self._local, "snap", None)
        if snap is not None:
            yield snap.conn
            return
        with pg_schema.guard(), self.pool.connection() as conn:
            yield conn

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """Run the enclosed reads in one consistent, read-only transaction (re-entrant)."""
        if getattr(self._local, "snap", None) is not None:
            yield
            return
        with pg_schema.guard(), self.pool.connection() as conn:
            with conn.transaction():
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                row = conn.execute("SELECT generation, n_passages, total_length, encoder FROM qa_meta").fetchone()
                if row is None:
                    raise IndexNotFound(f"the database holds no index; {REBUILD_HINT}")
                if self.encoder is not None and row[3] != self.encoder:
                    raise IndexMismatch(
                        f"the database was built with encoder {row[3]!r}, this service runs {self.encoder!r}; "
                        f"{REBUILD_HINT}"
                    )
                self._settings(conn)
                self._local.snap = _Snapshot(conn, int(row[0]), int(row[1]), int(row[2]))
                try:
                    yield
                finally:
                    self._local.snap = None

    def _settings(self, conn: Any) -> None:
        if self._hnsw and self.vector_search != "exact":
            conn.execute(f"SET LOCAL hnsw.ef_search = {int(self.ef_search)}")
            conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            conn.execute(f"SET LOCAL hnsw.max_scan_tuples = {int(self.max_scan_tuples)}")
        elif self._hnsw:
            conn.execute("SET LOCAL enable_indexscan = off")  # exact: scan and sort, not the graph

    def _snap(self) -> _Snapshot:
        snap: _Snapshot | None = getattr(self._local, "snap", None)
        if snap is None:
            raise RuntimeError("PostgresStore leg called outside snapshot()")
        return snap

    def _meta(self) -> dict[str, Any]:
        with self._conn() as conn:
            schema = pg_schema.schema_version(conn)
            if schema is None:
                raise IndexNotFound(f"the database at {pg_schema.redact(self.url)} holds no index; {REBUILD_HINT}")
            cur = conn.execute("SELECT * FROM qa_meta")
            row = cur.fetchone()
            if row is None:
                raise IndexNotFound(f"the database holds no index; {REBUILD_HINT}")
            meta = dict(zip([c.name for c in cur.description], row, strict=True))
        problems = []
        if schema < pg_schema.SCHEMA_VERSION:  # older code wrote it: columns this code reads are missing
            problems.append(f"schema {schema} < {pg_schema.SCHEMA_VERSION}")
        if meta["format"] != pg_schema.FORMAT_VERSION:
            problems.append(f"format {meta['format']} != {pg_schema.FORMAT_VERSION}")
        if self.encoder is not None and meta["encoder"] != self.encoder:
            problems.append(f"encoder {meta['encoder']!r} != configured {self.encoder!r}")
        if self.chunking is not None and meta["chunking"] != self.chunking:
            problems.append(f"chunking {meta['chunking']} != configured {self.chunking}")
        if problems:
            raise IndexMismatch(
                f"the database index does not match the settings: {'; '.join(problems)}; {REBUILD_HINT}",
                details=problems,
            )
        return meta

    def _has_hnsw(self) -> bool:
        with self._conn() as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_indexes WHERE tablename = 'qa_passages' AND indexdef ILIKE '%%hnsw%%'"
            ).fetchone()
        return bool(row and row[0])

    def info(self) -> StoreInfo:
        with self._conn() as conn:
            cur = conn.execute(
                "SELECT version, built_at, encoder, n_documents, n_passages, n_sentences, generation, "
                "pg_is_in_recovery() FROM qa_meta"
            )
            row = cur.fetchone()
        if row is None:
            raise IndexNotFound(f"the database holds no index; {REBUILD_HINT}")
        return StoreInfo(
            version=row[0],
            built_at=row[1],
            encoder=row[2],
            documents=int(row[3]),
            passages=int(row[4]),
            sentences=int(row[5]),
            backend=self.backend,
            extra={"generation": int(row[6]), "vector_type": self.vtype, "hnsw": self._hnsw, "replica": bool(row[7])},
        )

    def build_manifest(self) -> dict[str, Any]:
        """The manifest of the last `index build` (stages, vector sources); {} for an older build."""
        with self._conn() as conn:
            row = conn.execute("SELECT info FROM qa_meta").fetchone()
        return dict(row[0]) if row and row[0] else {}

    def close(self) -> None:
        self.pool.close()

    # -- legs --------------------------------------------------------------------------------
    def has_passages(self, filters: Filters) -> bool:
        sql, params = where(filters, "p")
        with self._conn() as conn:
            row = conn.execute(f"SELECT EXISTS (SELECT 1 FROM qa_passages p WHERE {sql})", params).fetchone()
        return bool(row and row[0])

    def _vector_search(
        self, table: str, cols: str, qvec: np.ndarray, k: int, filters: Filters
    ) -> list[tuple[Any, ...]]:
        sql, params = where(filters, "t")
        q = np.asarray(qvec, dtype=np.float32)
        inner = (
            f"SELECT t.row, {cols}, t.embedding <#> %s::{self.vtype} AS d "
            f"FROM {table} t WHERE {sql} ORDER BY d{self._tiebreak} LIMIT %s"
        )
        # Relaxed-order iterative scans may return rows slightly out of order: sort them again
        # (exact ties higher row first, as FAISS orders them).
        stmt = f"WITH c AS MATERIALIZED ({inner}) SELECT * FROM c ORDER BY d, row DESC"
        with self._conn() as conn:
            return list(conn.execute(stmt, [q, *params, k]).fetchall())

    def search_passages(self, qvec: np.ndarray, k: int, filters: Filters) -> tuple[np.ndarray, np.ndarray]:
        rows = self._vector_search("qa_passages", "t.english", qvec, k, filters)
        snap = getattr(self._local, "snap", None)
        if snap is not None:
            snap.passage_en.update((int(r[0]), bool(r[1])) for r in rows)
        return (
            np.array([-float(r[2]) for r in rows], dtype=np.float32),
            np.array([int(r[0]) for r in rows], dtype=np.int64),
        )

    def search_sentences(self, qvec: np.ndarray, k: int, filters: Filters) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = self._vector_search("qa_sentences", "t.english, t.passage_row", qvec, k, filters)
        snap = getattr(self._local, "snap", None)
        if snap is not None:
            snap.sentence_en.update((int(r[0]), bool(r[1])) for r in rows)
        return (
            np.array([-float(r[3]) for r in rows], dtype=np.float32),
            np.array([int(r[0]) for r in rows], dtype=np.int64),
            np.array([int(r[2]) for r in rows], dtype=np.int64),
        )

    def keyword(self, terms: list[str], k: int, filters: Filters) -> SqlKeywordHits:
        counts = Counter(terms)
        with self._conn() as conn:
            known = {
                r[0] for r in conn.execute("SELECT term FROM qa_terms WHERE term = ANY(%s)", [list(counts)]).fetchall()
            }
            n, total = self._stats(conn)
        n_known = sum(c for t, c in counts.items() if t in known)
        coverage = n_known / max(1, len(terms))
        q_terms = [t for t in counts if t in known]
        q_counts = [counts[t] for t in q_terms]
        avgdl = total / n if n else 1.0

        def score_rows(rows: list[int]) -> dict[int, float]:
            if not q_terms or not rows:
                return {}
            with self._conn() as conn:
                got = conn.execute(bm25_rows_sql(), [q_terms, q_counts, n, avgdl, rows]).fetchall()
            return {int(r): float(s) for r, s in got}

        if not q_terms:
            return SqlKeywordHits({}, coverage, score_rows)
        sql, params = where(filters, "p")
        with self._conn() as conn:
            got = conn.execute(
                bm25_top_sql(sql), [q_terms, q_counts, self.postings_per_term, n, avgdl, *params, k]
            ).fetchall()
        return SqlKeywordHits({int(r): float(s) for r, s in got if s > 0}, coverage, score_rows)

    def _stats(self, conn: Any) -> tuple[int, int]:
        snap = getattr(self._local, "snap", None)
        if snap is not None:
            return snap.n_passages, snap.total_length
        row = conn.execute("SELECT n_passages, total_length FROM qa_meta").fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    # -- rows --------------------------------------------------------------------------------
    def _vectors(self, table: str, rows: np.ndarray) -> np.ndarray:
        ids = [int(r) for r in rows]
        if not ids:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._conn() as conn:
            cur = conn.cursor(binary=True)
            fetched = cur.execute(f"SELECT row, english, embedding FROM {table} WHERE row = ANY(%s)", [ids]).fetchall()
        snap = getattr(self._local, "snap", None)
        if snap is not None:  # the language flags come along: the next question a leg asks
            (snap.passage_en if table == "qa_passages" else snap.sentence_en).update(
                (int(r), bool(e)) for r, e, _ in fetched
            )
        got = {int(r): v for r, _, v in fetched}
        out = np.zeros((len(ids), self.dim), dtype=np.float32)
        for i, r in enumerate(ids):
            v = got.get(r)
            if v is not None:
                out[i] = v.to_numpy()
        return out

    def passage_vectors(self, rows: np.ndarray) -> np.ndarray:
        return self._vectors("qa_passages", rows)

    def sentence_vectors(self, rows: np.ndarray) -> np.ndarray:
        return self._vectors("qa_sentences", rows)

    def _english(self, table: str, rows: np.ndarray, known: dict[int, bool]) -> np.ndarray:
        ids = [int(r) for r in rows]
        missing = [r for r in ids if r not in known]
        if missing:
            with self._conn() as conn:
                got = conn.execute(f"SELECT row, english FROM {table} WHERE row = ANY(%s)", [missing]).fetchall()
            known = {**known, **{int(r): bool(e) for r, e in got}}
        return np.array([known.get(r, False) for r in ids], dtype=bool)

    def passage_english(self, rows: np.ndarray) -> np.ndarray:
        snap = getattr(self._local, "snap", None)
        return self._english("qa_passages", rows, snap.passage_en if snap else {})

    def sentence_english(self, rows: np.ndarray) -> np.ndarray:
        snap = getattr(self._local, "snap", None)
        return self._english("qa_sentences", rows, snap.sentence_en if snap else {})

    def owners(self, rows: list[int]) -> list[Owner]:
        if not rows:
            return []
        with self._conn() as conn:
            got = {
                int(r): Owner(d, s or None)
                for r, d, s in conn.execute(
                    "SELECT row, doc_id, sender_lc FROM qa_passages WHERE row = ANY(%s)", [rows]
                ).fetchall()
            }
        return [got.get(r, Owner("", None)) for r in rows]

    def passages(self, rows: list[int]) -> list[tuple[Passage, Document]]:
        if not rows:
            return []
        with self._conn() as conn:
            got = conn.execute(
                "SELECT p.row, p.data, d.id, d.content_hash FROM qa_passages p JOIN qa_documents d ON d.id = p.doc_id "
                "WHERE p.row = ANY(%s)",
                [rows],
            ).fetchall()
            docs = self._documents(conn, {(d, h) for _, _, d, h in got})
        by_row = {int(r): (passage_of(data), docs[(d, h)]) for r, data, d, h in got}
        return [by_row[r] for r in rows if r in by_row]

    def sentences(self, rows: np.ndarray) -> list[tuple[int, int, int]]:
        ids = [int(r) for r in rows]
        if not ids:
            return []
        with self._conn() as conn:
            got = {
                int(r): (int(p), int(a), int(b))
                for r, p, a, b in conn.execute(
                    "SELECT row, passage_row, start_char, end_char FROM qa_sentences WHERE row = ANY(%s)", [ids]
                ).fetchall()
            }
        return [got[r] for r in ids if r in got]

    def sentence_rows(self, passage_row: int) -> np.ndarray:
        with self._conn() as conn:
            got = conn.execute(
                "SELECT row FROM qa_sentences WHERE passage_row = %s ORDER BY start_char, row", [int(passage_row)]
            ).fetchall()
        return np.array([int(r[0]) for r in got], dtype=np.int64)

    def allowed_rows(self, filters: Filters) -> np.ndarray:
        sql, params = where(filters, "p")
        with self._conn() as conn:
            got = conn.execute(f"SELECT p.row FROM qa_passages p WHERE {sql} ORDER BY p.row", params).fetchall()
        return np.array([int(r[0]) for r in got], dtype=np.int64)

    def sender_terms(self) -> frozenset[str]:
        with self._conn() as conn:
            snap = getattr(self._local, "snap", None)
            if snap is not None:
                generation, n = snap.generation, snap.n_passages
            else:
                row = conn.execute("SELECT generation, n_passages FROM qa_meta").fetchone()
                generation, n = int(row[0]), int(row[1])
            cached = self._senders
            if cached is not None and cached[0] == generation:
                return cached[1]
            senders = [
                r[0]
                for r in conn.execute(
                    "SELECT DISTINCT sender FROM qa_documents WHERE sender <> '' AND kind = ANY(%s)",
                    [list(DEFAULT_KINDS)],
                ).fetchall()
            ]
            cands = sender_candidates(senders)
            freq = dict(conn.execute("SELECT word, df FROM qa_words WHERE word = ANY(%s)", [list(cands)]).fetchall())
        terms = sender_terms(senders, freq, n)
        self._senders = (generation, terms)
        return terms

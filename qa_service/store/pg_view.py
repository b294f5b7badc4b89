"""The PostgreSQL store seen as a loaded index (`SearchService.index`), for answer selection.

`answer.py` reads sentence rows through the folder store's in-memory structures (the sentence
table, the passage list, the document map). This view answers the same reads with queries, so
`/v1/ask` and `/v1/factcheck` work on PostgreSQL unchanged. The whole-table reads (the sentence
table's passage column, the passage count) cost O(corpus) per request: fine for this corpus,
not for millions of passages, where answer selection should use `Store.search_sentences` and
`Store.sentences` instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import numpy as np

from qa_service.chunking import Passage
from qa_service.corpus import Document

if TYPE_CHECKING:
    from qa_service.store.postgres import PostgresStore


def max_row(store: PostgresStore, table: str) -> int:
    with store._conn() as conn:
        row = conn.execute(f"SELECT coalesce(max(row), 0) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def sentence_passage_column(store: PostgresStore) -> np.ndarray:
    """Passage row of every sentence row, indexed by sentence row (0 where no row is)."""
    with store._conn() as conn:
        got = conn.execute("SELECT row, passage_row FROM qa_sentences").fetchall()
    out = np.zeros(max((int(r) for r, _ in got), default=0) + 1, dtype=np.int64)
    for r, p in got:
        out[int(r)] = int(p)
    return out


def search_sentence_rows(
    store: PostgresStore, qvec: np.ndarray, k: int, allowed: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Top `k` sentence rows among `allowed` (all when None) by cosine."""
    ids = None if allowed is None else [int(r) for r in allowed]
    if ids is not None and not ids:
        return np.zeros(0, np.float32), np.zeros(0, np.int64)
    sql = "true" if ids is None else "row = ANY(%s)"
    params: list[Any] = [np.asarray(qvec, dtype=np.float32)] + ([] if ids is None else [ids]) + [k]
    with store._conn() as conn:
        got = conn.execute(
            f"SELECT row, embedding <#> %s::{store.vtype} AS d FROM qa_sentences WHERE {sql} "
            "ORDER BY d, row DESC LIMIT %s",
            params,
        ).fetchall()
    return np.array([-float(d) for _, d in got], np.float32), np.array([int(r) for r, _ in got], np.int64)


class _Documents(Mapping[str, Document]):
    def __init__(self, store: PostgresStore) -> None:
        self._store = store

    def __getitem__(self, doc_id: str) -> Document:
        d = self._store.document(doc_id)
        if d is None:
            raise KeyError(doc_id)
        return d

    def __iter__(self) -> Iterator[str]:
        return iter(d.id for d in self._store.documents(None, None, None, 0, 10**9)[1])

    def __len__(self) -> int:
        return self._store.info().documents


class _Passages:
    def __init__(self, store: PostgresStore) -> None:
        self._store = store

    def __getitem__(self, row: int) -> Passage:
        got = self._store.passages([int(row)])
        if not got:
            raise IndexError(row)
        return got[0][0]

    def __len__(self) -> int:
        """One past the largest row, so that a mask indexed by row fits every row."""
        return max_row(self._store, "qa_passages") + 1


class _SentenceTable:
    def __init__(self, store: PostgresStore) -> None:
        self._store = store

    def __getitem__(self, key: Any) -> np.ndarray:
        if isinstance(key, tuple):  # table[:, 0]: the passage row of every sentence row
            return sentence_passage_column(self._store)
        got = self._store.sentences(np.array([int(key)]))
        if not got:
            raise IndexError(key)
        return np.array(got[0], dtype=np.int64)

    def __len__(self) -> int:
        return max_row(self._store, "qa_sentences") + 1


class _SentenceVectors:
    def __init__(self, store: PostgresStore) -> None:
        self._store = store
        self.dim = store.dim

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        return self._store.sentence_vectors(rows)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        return search_sentence_rows(self._store, query, k, allowed)


class IndexView:
    """`manifest`, `documents`, `passages`, `sentence_table` and `sentence_vectors` over SQL."""

    def __init__(self, store: PostgresStore) -> None:
        self.documents = _Documents(store)
        self.passages = _Passages(store)
        self.sentence_table = _SentenceTable(store)
        self.sentence_vectors = _SentenceVectors(store)
        self._store = store

    @property
    def manifest(self) -> dict[str, Any]:
        info = asdict(self._store.info())
        return {**info, "model": info["encoder"]}

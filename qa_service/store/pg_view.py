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
        return self._store.max_row("qa_passages") + 1


class _SentenceTable:
    def __init__(self, store: PostgresStore) -> None:
        self._store = store

    def __getitem__(self, key: Any) -> np.ndarray:
        if isinstance(key, tuple):  # table[:, 0]: the passage row of every sentence row
            return self._store.sentence_passage_column()
        got = self._store.sentences(np.array([int(key)]))
        if not got:
            raise IndexError(key)
        return np.array(got[0], dtype=np.int64)

    def __len__(self) -> int:
        return self._store.max_row("qa_sentences") + 1


class _SentenceVectors:
    def __init__(self, store: PostgresStore) -> None:
        self._store = store
        self.dim = store.dim

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        return self._store.sentence_vectors(rows)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        return self._store.search_sentence_rows(query, k, allowed)


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

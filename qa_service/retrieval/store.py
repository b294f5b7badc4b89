"""The `Store` protocol: what retrieval legs and the faces need from where the corpus lives.

Rows are integers chosen by the store (a position in the embedded folder, a primary key in
PostgreSQL); ranking only compares and passes them back. Every method that searches takes the
`Filters`, so a store applies them before ranking. Vectors are float32 and L2-normalised; scores
are inner products (cosines).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

import numpy as np

from qa_service.chunking import Passage
from qa_service.corpus import Document
from qa_service.retrieval.types import Filters, Owner, StoreInfo


class KeywordHits(Protocol):
    """One query's BM25 leg: the best candidates, and the score of any other passage."""

    top: dict[int, float]  # row -> BM25 score, best first, only rows with a score > 0
    coverage: float  # share of the query's analysed terms that the vocabulary knows

    def scores_of(self, rows: list[int]) -> list[float]:
        """BM25 scores of `rows` (0.0 for a passage sharing no term)."""
        ...


class Store(Protocol):
    """One corpus: documents, passages, sentence rows, their vectors and the keyword index."""

    def info(self) -> StoreInfo: ...

    def snapshot(self) -> AbstractContextManager[None]:
        """Reads inside see one consistent state of the corpus (re-entrant)."""
        ...

    # -- retrieval legs --------------------------------------------------------------------
    def has_passages(self, filters: Filters) -> bool:
        """Whether any passage passes the filters."""
        ...

    def search_passages(self, qvec: np.ndarray, k: int, filters: Filters) -> tuple[np.ndarray, np.ndarray]:
        """Top `k` passages by cosine with `qvec` (dim,) among those passing `filters`.

        Returns (scores, rows), both (<=k,), best first.
        """
        ...

    def search_sentences(self, qvec: np.ndarray, k: int, filters: Filters) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Top `k` sentence rows by cosine among the sentences of passages passing `filters`.

        Returns (scores, sentence rows, their passage rows), all (<=k,), best first.
        """
        ...

    def keyword(self, terms: list[str], k: int, filters: Filters) -> KeywordHits:
        """BM25 over analysed query `terms` (duplicates count twice, as in bm25s)."""
        ...

    # -- rows ------------------------------------------------------------------------------
    def passage_vectors(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows), dim) float32."""
        ...

    def sentence_vectors(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows), dim) float32."""
        ...

    def passage_english(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows),) bool: the passage reads as English (see `looks_english`)."""
        ...

    def sentence_english(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows),) bool: the sentence reads as English."""
        ...

    def owners(self, rows: list[int]) -> list[Owner]:
        """The document id and sender of each passage row."""
        ...

    def passages(self, rows: list[int]) -> list[tuple[Passage, Document]]:
        """Each passage row with its document."""
        ...

    def sentences(self, rows: np.ndarray) -> list[tuple[int, int, int]]:
        """(passage row, start, end in the document's text) of each sentence row."""
        ...

    def sentence_rows(self, passage_row: int) -> np.ndarray:
        """Sentence rows of one passage, in text order."""
        ...

    def allowed_rows(self, filters: Filters) -> np.ndarray:
        """Rows of every passage passing the filters (for callers that score rows themselves)."""
        ...

    def sender_terms(self) -> frozenset[str]:
        """Words that name a sender (see `retrieval.terms.sender_terms`)."""
        ...

    # -- documents -------------------------------------------------------------------------
    def document(self, doc_id: str) -> Document | None: ...

    def documents(
        self, kind: str | None, sender: str | None, source_file: str | None, offset: int, limit: int
    ) -> tuple[int, list[Document]]:
        """(total matching, one page) in corpus order; `sender` is a case-insensitive substring."""
        ...

    def passages_of(self, doc_id: str) -> list[Passage]: ...

    def passage(self, passage_id: str) -> tuple[Passage, Passage | None, Passage | None] | None:
        """A passage with its neighbours in the same document, or None."""
        ...

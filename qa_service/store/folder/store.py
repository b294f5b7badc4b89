"""The embedded store: a loaded version of the index folder (FAISS flat vectors, bm25s, JSONL) behind `Store`."""

from __future__ import annotations

import contextlib
import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass

import numpy as np

from qa_service.chunking import Passage
from qa_service.corpus import Document
from qa_service.corpus.organisations import matches_sender
from qa_service.retrieval.terms import sender_candidates, sender_terms, words
from qa_service.retrieval.types import DEFAULT_KINDS, Filters, Owner, StoreInfo
from qa_service.store.folder.index import LoadedIndex
from qa_service.store.folder.vectors import FaissVectorStore, VectorStore
from qa_service.store.keyword import looks_english

NEAREST_MIN = 512
SUBSETS = 8  # filtered flat indexes kept (a passage and a sentence index per filter set)


@dataclass
class ArrayKeywordHits:
    """BM25 of one query over the whole (small) corpus: every passage's score is at hand."""

    top: dict[int, float]
    coverage: float
    all_scores: np.ndarray

    def scores_of(self, rows: list[int]) -> list[float]:
        if not len(self.all_scores):
            return [0.0] * len(rows)
        return [float(self.all_scores[r]) for r in rows]


class EmbeddedStore:
    """Everything in memory, row i = line i of passages.jsonl; filters are boolean masks."""

    backend = "embedded"

    def __init__(self, index: LoadedIndex) -> None:
        self.index = index
        self._doc_of = [index.documents[p.doc_id] for p in index.passages]
        self._kinds = np.array([d.kind for d in self._doc_of])
        self._sender_docs = {d.id: d for d in self._doc_of}
        self._dates = np.array([d.date or "" for d in self._doc_of])
        self._doc_ids = np.array([d.id for d in self._doc_of])
        self._files = np.array([d.source_file for d in self._doc_of])
        self._envelope = np.array([p.role == "envelope" for p in index.passages], dtype=bool)
        self._row_of: dict[str, int] = {}
        for i, p in enumerate(index.passages):
            self._row_of.setdefault(p.id, i)
        table = index.sentence_table
        self._passage_en = np.array([looks_english(p.text) for p in index.passages], dtype=bool)
        self._sentence_en = np.array(
            [looks_english(self._doc_of[int(r)].text[a:b]) for r, a, b in table.tolist()], dtype=bool
        )
        order = np.argsort(table[:, 0], kind="stable") if len(table) else np.zeros(0, dtype=np.int64)
        bounds = np.searchsorted(table[order, 0], np.arange(len(index.passages) + 1)) if len(table) else None
        self._sentences_of: list[np.ndarray] = [
            order[bounds[i] : bounds[i + 1]] if bounds is not None else np.zeros(0, dtype=np.int64)
            for i in range(len(index.passages))
        ]
        senders = {d.sender for d in index.documents.values() if d.sender and d.kind in DEFAULT_KINDS}
        cands = sender_candidates(senders)
        freq = dict.fromkeys(cands, 0)
        for p in index.passages:
            for w in cands & words(p.text):
                freq[w] += 1
        self._sender_terms = sender_terms(senders, freq, len(index.passages))
        # A search asks for the same filters in every leg and the relevance judgement; a handful
        # of distinct filter sets is all one version ever sees.
        self._allowed: dict[tuple[object, ...], tuple[np.ndarray, np.ndarray | None, np.ndarray | None]] = {}
        # One search asks each vector index and BM25 for the same query several times (the
        # judgement's top 50, the legs' top n): the last query's answers are kept per thread.
        self._last = threading.local()
        self._subsets: dict[tuple[str, tuple[object, ...]], VectorStore] = {}
        self._subsets_lock = threading.Lock()

    def snapshot(self) -> AbstractContextManager[None]:
        return contextlib.nullcontext()  # a loaded version never changes

    def info(self) -> StoreInfo:
        m = self.index.manifest
        return StoreInfo(
            version=str(m["version"]),
            built_at=m.get("built_at"),
            encoder=str(m["encoder"]),
            documents=len(self.index.documents),
            passages=len(self.index.passages),
            sentences=len(self.index.sentence_table),
            backend=self.backend,
        )

    # -- filters ---------------------------------------------------------------------------
    def allowed_rows(self, filters: Filters) -> np.ndarray:
        return self._filtered(filters)[0]

    def _filtered(self, filters: Filters) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """(allowed passage rows, the same for FAISS or None when all are, allowed sentence rows or None)."""
        key = filters.key()
        memo = self._allowed.get(key)
        if memo is not None:
            return memo
        mask = np.isin(self._kinds, filters.kinds())
        if not filters.envelope:
            mask &= ~self._envelope
        if filters.sender:
            needle = filters.sender
            admitted = {i for i, d in self._sender_docs.items() if matches_sender(d, needle)}
            mask &= np.isin(self._doc_ids, list(admitted))
        if filters.date_from:
            mask &= (self._dates != "") & (self._dates >= filters.date_from.isoformat())
        if filters.date_to:
            mask &= (self._dates != "") & (self._dates <= filters.date_to.isoformat())
        if filters.document_id:
            mask &= self._doc_ids == filters.document_id
        if filters.source_file:
            mask &= self._files == filters.source_file
        rows = np.flatnonzero(mask)
        table = self.index.sentence_table
        every = len(rows) == len(mask)
        sentences = None if every or not len(table) else np.flatnonzero(mask[table[:, 0]])
        memo = (rows, None if every else rows, sentences)
        if len(self._allowed) >= 64:
            self._allowed.clear()
        self._allowed[key] = memo
        return memo

    def has_passages(self, filters: Filters) -> bool:
        return len(self.allowed_rows(filters)) > 0

    # -- legs ------------------------------------------------------------------------------
    def search_passages(self, qvec: np.ndarray, k: int, filters: Filters) -> tuple[np.ndarray, np.ndarray]:
        rows, for_faiss, _ = self._filtered(filters)
        if not len(rows):
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        return self._nearest("passages", self.index.vectors, qvec, k, filters, for_faiss)

    def search_sentences(self, qvec: np.ndarray, k: int, filters: Filters) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        table = self.index.sentence_table
        rows, _, allowed = self._filtered(filters)
        if len(table) == 0 or not len(rows):
            empty = np.zeros(0, dtype=np.int64)
            return np.zeros(0, dtype=np.float32), empty, empty
        scores, srows = self._nearest("sentences", self.index.sentence_vectors, qvec, k, filters, allowed)
        return scores, srows, table[srows, 0]

    def _subset(self, name: str, vectors: VectorStore, filters: Filters, allowed: np.ndarray) -> VectorStore:
        """A flat index of only the rows a filter admits: scanning it beats FAISS's ID selector on
        the whole index (a check per vector) for the few filters searches keep using."""
        key = (name, filters.key())
        with self._subsets_lock:
            sub = self._subsets.pop(key, None)
            if sub is None:
                sub = FaissVectorStore.from_vectors(vectors.vectors(allowed))
            self._subsets[key] = sub  # most recent last
            while len(self._subsets) > SUBSETS:
                self._subsets.pop(next(iter(self._subsets)))
            return sub

    def _nearest(
        self, name: str, vectors: VectorStore, qvec: np.ndarray, k: int, filters: Filters, allowed: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The k nearest of `vectors`, from the thread's last search of this query when it went as deep.

        A flat index's cost hardly depends on k, so every search goes at least NEAREST_MIN deep and
        the next, shallower ask of the same search is a slice of it."""
        key = (name, qvec.tobytes(), filters.key())
        last = getattr(self._last, name, None)
        if last is None or last[0] != key or last[1] < k:
            depth = max(k, NEAREST_MIN)
            if allowed is None:
                scores, found = vectors.search(qvec, depth)
            else:
                scores, at = self._subset(name, vectors, filters, allowed).search(qvec, depth)
                found = allowed[at]
            last = (key, depth, scores, found)
            setattr(self._last, name, last)
        return last[2][:k], last[3][:k]

    def keyword(self, terms: list[str], k: int, filters: Filters) -> ArrayKeywordHits:
        kw = self.index.keyword
        known, unknown = kw.split_terms(terms)
        coverage = len(known) / max(1, len(known) + len(unknown))
        last = getattr(self._last, "bm25", None)
        if last is None or last[0] != terms:
            last = (list(terms), kw.term_scores(terms))
            self._last.bm25 = last
        scores = last[1]
        rows = self.allowed_rows(filters)
        masked = np.full_like(scores, -1.0)
        masked[rows] = scores[rows]
        top = np.argsort(-masked)[:k]
        top = top[masked[top] > 0]
        return ArrayKeywordHits({int(r): float(scores[r]) for r in top}, coverage, scores)

    # -- rows ------------------------------------------------------------------------------
    def passage_vectors(self, rows: np.ndarray) -> np.ndarray:
        return self.index.vectors.vectors(rows)

    def sentence_vectors(self, rows: np.ndarray) -> np.ndarray:
        return self.index.sentence_vectors.vectors(rows)

    def passage_english(self, rows: np.ndarray) -> np.ndarray:
        flags: np.ndarray = self._passage_en[rows]
        return flags

    def sentence_english(self, rows: np.ndarray) -> np.ndarray:
        flags: np.ndarray = self._sentence_en[rows]
        return flags

    def owners(self, rows: list[int]) -> list[Owner]:
        return [Owner(self._doc_of[r].id, self._doc_of[r].sender) for r in rows]

    def passages(self, rows: list[int]) -> list[tuple[Passage, Document]]:
        return [(self.index.passages[r], self._doc_of[r]) for r in rows]

    def sentences(self, rows: np.ndarray) -> list[tuple[int, int, int]]:
        return [(int(p), int(a), int(b)) for p, a, b in self.index.sentence_table[rows].tolist()]

    def sentence_rows(self, passage_row: int) -> np.ndarray:
        return self._sentences_of[passage_row]

    def sender_terms(self) -> frozenset[str]:
        return self._sender_terms

    # -- documents -------------------------------------------------------------------------
    def document(self, doc_id: str) -> Document | None:
        return self.index.documents.get(doc_id)

    def documents(
        self, kind: str | None, sender: str | None, source_file: str | None, offset: int, limit: int
    ) -> tuple[int, list[Document]]:
        docs = list(self.index.documents.values())
        if kind:
            docs = [d for d in docs if d.kind == kind]
        if sender:
            docs = [d for d in docs if matches_sender(d, sender)]
        if source_file:
            docs = [d for d in docs if d.source_file == source_file]
        return len(docs), docs[offset : offset + limit]

    def passages_of(self, doc_id: str) -> list[Passage]:
        return [p for p in self.index.passages if p.doc_id == doc_id]

    def passage(self, passage_id: str) -> tuple[Passage, Passage | None, Passage | None] | None:
        i = self._row_of.get(passage_id)
        if i is None:
            return None
        ps = self.index.passages
        p = ps[i]
        prev = ps[i - 1] if i > 0 and ps[i - 1].doc_id == p.doc_id else None
        nxt = ps[i + 1] if i + 1 < len(ps) and ps[i + 1].doc_id == p.doc_id else None
        return p, prev, nxt

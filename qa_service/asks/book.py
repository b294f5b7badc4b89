"""The asks of one version of the corpus, traced into its agreement, ready to list and search.

An `AskBook` is derived data: it is computed from what a store already holds (documents, the
agreement's passage and sentence vectors) plus the asks' own vectors, which come from the
embedding cache and the vectors shipped with the bundled corpus (a fresh clone encodes nothing).
Both stores serve it alike, because it reads them only through the `Store` protocol; a new
version of the corpus (a build, an ingest, a delete) gets a new book (see `AskShelf`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from qa_service.asks.extract import extract_asks, verb_vocabulary
from qa_service.asks.models import STATUSES, Ask
from qa_service.asks.topics import topic
from qa_service.asks.trace import Agreement, trace
from qa_service.corpus import Document
from qa_service.errors import UnknownFilter
from qa_service.retrieval.store import Store
from qa_service.retrieval.types import Filters
from qa_service.store.folder.bm25 import KeywordIndex
from qa_service.store.keyword import analyze

logger = logging.getLogger(__name__)

Embed = Callable[[list[str]], np.ndarray]
AGREEMENT_KIND = "agreement_section"


def organisations_of(doc: Document) -> list[str]:
    """Whom a document speaks for, its own organisation first (the parser's `organisations`; the
    sender when it has none)."""
    return list(doc.organisations) or ([doc.sender] if doc.sender else [])


@dataclass
class AskBook:
    """Every ask of one corpus version, with vectors (n, dim) for "who asks for X"."""

    version: str
    asks: list[Ask]
    vectors: np.ndarray
    documents: dict[str, Document]
    agreement: Agreement
    keyword: KeywordIndex | None
    seconds: dict[str, float] = field(default_factory=dict)
    _positions: dict[str, list[int]] | None = None

    @classmethod
    def build(cls, store: Store, embed: Embed, previous: AskBook | None = None) -> AskBook:
        """Extract the asks of every incoming letter and attachment and trace them into the agreement.

        With the `previous` book of the same agreement, a document whose text has not changed keeps
        its traced asks (an ingest or a delete then traces only what it changed).
        """
        t0 = time.perf_counter()
        with store.snapshot():
            version = store.info().version
            _, docs = store.documents(None, None, None, 0, 10**9)
            agreement = _agreement(store)
        t1 = time.perf_counter()
        reuse = previous is not None and previous.agreement.fingerprint == agreement.fingerprint
        vocab = verb_vocabulary(docs)
        asks: list[Ask] = []
        kept: dict[int, np.ndarray] = {}  # position in `asks` -> its vector, for the asks reused
        for d in docs:
            old = previous.documents.get(d.id) if reuse and previous is not None else None
            if old is not None and previous is not None and old.content_hash == d.content_hash:
                for i in previous.positions(d.id):
                    kept[len(asks)] = previous.vectors[i]
                    asks.append(previous.asks[i])
                continue
            found = extract_asks(d, vocab)
            for a in found:
                a.topic = topic(a.text)
            asks.extend(found)
        t2 = time.perf_counter()
        new = [i for i in range(len(asks)) if i not in kept]
        dim = agreement.passage_vectors.shape[1] if agreement.passage_vectors.ndim == 2 else 1
        vectors = np.zeros((len(asks), dim), dtype=np.float32)
        if new:
            vectors[new] = embed([asks[i].text for i in new])
        for i, v in kept.items():
            vectors[i] = v
        t3 = time.perf_counter()
        trace([asks[i] for i in new], vectors[new], agreement)
        keyword = KeywordIndex.build([a.text for a in asks]) if asks else None
        t4 = time.perf_counter()
        seconds = {
            "read": round(t1 - t0, 2),
            "extract": round(t2 - t1, 2),
            "vectors": round(t3 - t2, 2),
            "trace": round(t4 - t3, 2),
        }
        logger.info("traced %d asks of version %s in %.1f s (%s)", len(asks), version, t4 - t0, seconds)
        return cls(version, asks, vectors, {d.id: d for d in docs}, agreement, keyword, seconds)

    # -- reading -----------------------------------------------------------------------------
    def document(self, doc_id: str) -> Document | None:
        return self.documents.get(doc_id)

    def positions(self, doc_id: str) -> list[int]:
        """Rows of one document's asks (in `asks` and `vectors`)."""
        if self._positions is None:
            self._positions = {}
            for i, a in enumerate(self.asks):
                self._positions.setdefault(a.doc_id, []).append(i)
        return self._positions.get(doc_id, [])

    def of_document(self, doc_id: str) -> list[Ask]:
        return [a for a in self.asks if a.doc_id == doc_id]

    def organisations(self) -> list[str]:
        """Every organisation with at least one ask, in the order they first ask."""
        seen: dict[str, None] = {}
        for a in self.asks:
            for o in organisations_of(self.documents[a.doc_id]):
                seen.setdefault(o, None)
        return list(seen)

    def chapters(self) -> list[str]:
        """The agreement's chapters (first heading of every section), in text order."""
        seen: dict[str, None] = {}
        for p in self.agreement.passages:
            if p.heading_path:
                seen.setdefault(p.heading_path[0], None)
        return list(seen)

    def chapter_of(self, ask: Ask) -> str | None:
        """The chapter of the ask's best agreement match (None when the agreement is silent)."""
        if not ask.agreement or ask.status == "absent":
            return None
        doc = self.documents.get(ask.agreement[0].doc_id)
        return doc.heading_path[0] if doc and doc.heading_path else None

    def select(
        self,
        sender: str | None = None,
        status: Iterable[str] | None = None,
        chapter: str | None = None,
        document_id: str | None = None,
    ) -> list[Ask]:
        """Asks passing every given filter, in corpus order. `sender` matches as search's filter does."""
        statuses = set(status or [])
        out = []
        for a in self.asks:
            doc = self.documents[a.doc_id]
            if document_id and a.doc_id != document_id and doc.parent_id != document_id:
                continue
            if sender and not matches_sender(doc, sender):
                continue
            if statuses and a.status not in statuses:
                continue
            if chapter and (self.chapter_of(a) or "").lower() != chapter.lower():
                continue
            out.append(a)
        return out

    def check_filters(self, sender: str | None = None, chapter: str | None = None) -> None:
        """Refuse a sender or chapter that names nothing here (UnknownFilter), saying what exists."""
        if sender and not any(matches_sender(d, sender) for d in self.documents.values()):
            raise UnknownFilter(
                f"no document matches sender {sender!r}",
                details={"sender": sender, "organisations": self.organisations()[:200]},
            )
        chapters = self.chapters()
        if chapter and chapter.lower() not in {c.lower() for c in chapters}:
            raise UnknownFilter(f"the agreement has no chapter {chapter!r}", details={"chapters": chapters})

    def counts(self, asks: Iterable[Ask]) -> dict[str, int]:
        out: dict[str, int] = dict.fromkeys(STATUSES, 0)
        for a in asks:
            out[a.status] += 1
        return out

    def overview(self) -> dict[str, object]:
        """Organisations x agreement chapters: how many asks of each organisation land in each chapter."""
        chapters = self.chapters()
        rows: dict[str, dict[str, int]] = {}
        absent: dict[str, int] = {}
        for a in self.asks:
            doc = self.documents[a.doc_id]
            org = organisations_of(doc)[0] if organisations_of(doc) else "onbekende afzender"
            row = rows.setdefault(org, dict.fromkeys(chapters, 0))
            ch = self.chapter_of(a)
            if ch is None:
                absent[org] = absent.get(org, 0) + 1
            elif ch in row:
                row[ch] += 1
        return {
            "chapters": chapters,
            "organisations": [
                {
                    "organisation": org,
                    "chapters": row,
                    "absent": absent.get(org, 0),
                    "total": sum(row.values()) + absent.get(org, 0),
                }
                for org, row in rows.items()
            ],
        }

    def search(self, qvec: np.ndarray, query: str, k: int, filters: Filters | None = None) -> list[tuple[Ask, float]]:
        """The asks closest to a query, best first: cosine fused with BM25 over the asks' words.

        `qvec` (dim,) is the query's vector (encoded as a query); returns (ask, cosine) pairs.
        """
        if not self.asks:
            return []
        allowed = np.array([filters is None or filters.admits(self.documents[a.doc_id]) for a in self.asks], dtype=bool)
        cos = self.vectors @ qvec
        dense = np.where(allowed, cos, -2.0)
        kw = self.keyword.term_scores(analyze(query)) if self.keyword is not None else np.zeros(len(self.asks))
        kw = np.where(allowed, kw, 0.0)
        fused = np.zeros(len(self.asks))
        for scores, weight in ((dense, 1.0), (kw, 0.5)):
            order = np.argsort(-scores, kind="stable")[:100]
            order = order[scores[order] > (0 if scores is kw else -1.5)]
            fused[order] += weight / (61 + np.arange(len(order)))
        best = [int(i) for i in np.argsort(-fused, kind="stable")[:k] if fused[i] > 0]
        return [(self.asks[i], float(cos[i])) for i in best]


def matches_sender(doc: Document, needle: str) -> bool:
    """The sender filter, exactly as search applies it (`Filters.admits`)."""
    return Filters(sender=needle).admits(doc)


def _agreement(store: Store) -> Agreement:
    rows = store.allowed_rows(Filters(kind=[AGREEMENT_KIND]))
    pairs = store.passages([int(r) for r in rows])
    passages = [p for p, _ in pairs]
    headings = [" > ".join(d.heading_path) for _, d in pairs]
    texts_of = {d.id: d.text for _, d in pairs}
    sentence_rows: list[int] = []
    for r in rows:
        sentence_rows.extend(int(s) for s in store.sentence_rows(int(r)))
    srows = np.asarray(sentence_rows, dtype=np.int64)
    index_of = {int(r): i for i, r in enumerate(rows)}
    sentences = []
    for prow, a, b in store.sentences(srows) if len(srows) else []:
        p = passages[index_of[prow]]
        sentences.append((index_of[prow], a, b, texts_of[p.doc_id][a:b]))
    dim = store.passage_vectors(np.asarray(rows[:1], dtype=np.int64)).shape[1] if len(rows) else 1
    pvecs = store.passage_vectors(np.asarray(rows, dtype=np.int64)) if len(rows) else np.zeros((0, dim))
    svecs = store.sentence_vectors(srows) if len(srows) else np.zeros((0, dim))
    return Agreement.build(passages, pvecs, sentences, svecs, headings)


class AskShelf:
    """The current `AskBook` of a store: rebuilt when the store's version changes, one build at a time."""

    def __init__(self, embed: Embed) -> None:
        self._embed = embed
        self._book: AskBook | None = None
        self._lock = threading.Lock()

    def book(self, store: Store) -> AskBook:
        version = store.info().version
        book = self._book
        if book is not None and book.version == version:
            return book
        with self._lock:
            if self._book is None or self._book.version != version:
                self._book = AskBook.build(store, self._embed, self._book)
            return self._book
